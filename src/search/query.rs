//! The text part of a search: tantivy's query syntax over every text field with its
//! boost, terms joined by AND, optional typo tolerance, and errors that point at the
//! column where the query broke.

use tantivy::Index;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, QueryParserError};

use std::sync::Arc;

use tantivy::schema::Field;

use super::automata::{AutomatonQuery, PrefixAutomaton, TypoAutomaton};

use crate::error::{Error, Result};
use crate::index::Fields;
use crate::index::schema::{TEXT_FIELDS, text_field_names};
use crate::index::tokenizer::{prefix_terms, terms};

/// Parses `text` into a query over all text fields.
pub fn parse(index: &Index, fields: &Fields, text: &str, fuzzy: bool) -> Result<Box<dyn Query>> {
    let Some(words) = plain_words(text) else { return parse_text(index, fields, text, fuzzy) };
    if !fuzzy && words.iter().all(|w| !w.prefix) {
        return parse_text(index, fields, text, false);
    }
    // Plain words with prefix words among them, or typo tolerance: each such word is one
    // automaton shared by all its fields, ANDed with the rest.
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    for word in &words {
        let per_field = |make: &dyn Fn(Field) -> Box<dyn Query>| -> Box<dyn Query> {
            let should = word.fields.iter().filter_map(|n| fields.text(n)).map(|f| (Occur::Should, make(f))).collect();
            Box::new(BooleanQuery::new(should))
        };
        if word.prefix {
            let automaton = Arc::new(PrefixAutomaton::new(&word.core));
            clauses.push((word.occur, per_field(&|f| Box::new(AutomatonQuery::new(f, Arc::clone(&automaton))))));
            continue;
        }
        match &terms(&word.core)[..] {
            [term] => {
                let automaton = Arc::new(TypoAutomaton::new(term));
                let typos = per_field(&|f| Box::new(AutomatonQuery::new(f, Arc::clone(&automaton))));
                // Exact matches keep their BM25 score above the typos' constant one.
                let exact = parse_text(index, fields, word.raw.trim_start_matches(['+', '-']), false)?;
                let either: Box<dyn Query> =
                    Box::new(BooleanQuery::new(vec![(Occur::Should, exact), (Occur::Should, typos)]));
                clauses.push((word.occur, either));
            }
            _ => rest.push(word.raw),
        }
    }
    if !rest.is_empty() {
        clauses.push((Occur::Must, parse_text(index, fields, &rest.join(" "), fuzzy)?));
    }
    if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
        return Err(Error::QuerySyntax {
            query: text.to_owned(),
            column: None,
            message: "the query only excludes terms; add a term to search for (e.g. `diffusion -video`)".into(),
        });
    }
    Ok(Box::new(BooleanQuery::new(clauses)))
}

/// One word of a plain query.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlainWord<'q> {
    raw: &'q str,
    occur: Occur,
    /// The fields it is searched in: the one named, or every text field.
    fields: Vec<&'static str>,
    /// For a prefix word, the prefix as indexed (lower-cased, folded, not stemmed);
    /// otherwise the word as typed.
    core: String,
    prefix: bool,
}

/// The words of a query that has no quotes, groups, operators or other syntax; `None`
/// for anything else (the query parser handles it).
fn plain_words(text: &str) -> Option<Vec<PlainWord<'_>>> {
    if text.contains(['"', '(', ')', '\'', '/', '\\', '[', '{', '^', '~'])
        || text.split_whitespace().any(|w| matches!(w, "AND" | "OR" | "NOT" | "IN"))
    {
        return None;
    }
    let mut words = Vec::new();
    for raw in text.split_whitespace() {
        let (occur, body) = match raw.as_bytes().first() {
            Some(b'-') => (Occur::MustNot, &raw[1..]),
            Some(b'+') => (Occur::Must, &raw[1..]),
            _ => (Occur::Must, raw),
        };
        let (fields, body): (Vec<&'static str>, &str) = match body.split_once(':') {
            Some((field, rest)) => (vec![TEXT_FIELDS.iter().find(|f| f.name == field)?.name], rest),
            None => (TEXT_FIELDS.iter().map(|f| f.name).collect(), body),
        };
        let (prefix, body) = match body.strip_suffix('*') {
            Some(b) => (true, b),
            None => (false, body),
        };
        if body.is_empty() || body.contains('*') {
            return None;
        }
        let core = if prefix {
            let [term] = &prefix_terms(body)[..] else { return None };
            term.clone()
        } else {
            body.to_owned()
        };
        words.push(PlainWord { raw, occur, fields, core, prefix });
    }
    (!words.is_empty()).then_some(words)
}

fn parse_text(index: &Index, fields: &Fields, text: &str, fuzzy: bool) -> Result<Box<dyn Query>> {
    let defaults: Vec<_> = TEXT_FIELDS.iter().filter_map(|f| fields.text(f.name)).collect();
    let mut parser = QueryParser::for_index(index, defaults);
    parser.set_conjunction_by_default();
    // Prefix words (`phys*`) become per-field regex queries; see `expand_prefixes`.
    parser.allow_regexes();
    for f in TEXT_FIELDS {
        let Some(field) = fields.text(f.name) else { continue };
        parser.set_field_boost(field, f.boost);
        if fuzzy {
            // One edit (a transposition counts as one), whole words only.
            parser.set_field_fuzzy(field, false, 1, true);
        }
    }
    let rewritten = expand_prefixes(&escape_apostrophes(text));
    parser.parse_query(&rewritten).map_err(|e| explain(&parser, text, e))
}

/// Rewrites each bare `word*` (or `field:word*`) into regex queries over the indexed
/// terms: tantivy's parser only takes a prefix on the last word of a phrase. The word is
/// lower-cased and folded like indexed text (but not stemmed, so `generat*` still finds
/// `generation`).
fn expand_prefixes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_quote = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(&prefix_word(word).unwrap_or_else(|| word.clone()));
        word.clear();
    };
    for c in text.chars() {
        if in_quote {
            out.push(c);
            in_quote = c != '"';
            continue;
        }
        match c {
            '"' if word.is_empty() => {
                in_quote = true;
                out.push(c);
            }
            c if c.is_whitespace() || c == '(' || c == ')' => {
                flush(&mut word, &mut out);
                out.push(c);
            }
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `phys*` → `(title:/phys.*/ OR name:/phys.*/ OR ...)`; `None` when `word` is not a
/// simple prefix word.
fn prefix_word(word: &str) -> Option<String> {
    let core = word.strip_suffix('*')?;
    let (sign, core) = match core.chars().next()? {
        '+' | '-' => core.split_at(1),
        _ => ("", core),
    };
    let (fields, core): (Vec<&str>, &str) = match core.split_once(':') {
        Some((field, rest)) if TEXT_FIELDS.iter().any(|f| f.name == field) => (vec![field], rest),
        Some(_) => return None,
        None => (TEXT_FIELDS.iter().map(|f| f.name).collect(), core),
    };
    if core.is_empty() || core.contains(['"', '\\', '/', '*', '^', ':', '\'', '`', '[', ']', '{', '}']) {
        return None;
    }
    let terms = prefix_terms(core);
    if terms.len() > 1 {
        // `fine-tun*`: a phrase whose last word is a prefix, which tantivy reads when quoted.
        let field = if fields.len() == 1 { format!("{}:", fields[0]) } else { String::new() };
        return Some(format!("{sign}{field}\"{core}\"*"));
    }
    let [token] = &terms[..] else { return None };
    let alternatives: Vec<String> = fields.iter().map(|f| format!("{f}:/{token}.*/")).collect();
    Some(format!("{sign}({})", alternatives.join(" OR ")))
}

/// An apostrophe inside a word (`Yo'LLaVA`, `don't`) is part of the word, not the start
/// of a single-quoted phrase as tantivy's grammar would read it.
fn escape_apostrophes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\'') {
        return text.into();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let inside_word =
            i > 0 && chars[i - 1].is_alphanumeric() && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c == '\'' && inside_word {
            out.push('\\');
        }
        out.push(c);
    }
    out.into()
}

fn explain(parser: &QueryParser, text: &str, error: QueryParserError) -> Error {
    match error {
        QueryParserError::FieldDoesNotExist(field) => Error::UnknownQueryField { field, valid: text_field_names() },
        QueryParserError::SyntaxError(_) => {
            let (message, column) = locate(parser, text);
            Error::QuerySyntax { query: text.to_owned(), column, message }
        }
        QueryParserError::AllButQueryForbidden => Error::QuerySyntax {
            query: text.to_owned(),
            column: None,
            message: "the query only excludes terms; add a term to search for (e.g. `diffusion -video`)".into(),
        },
        other => Error::QuerySyntax { query: text.to_owned(), column: None, message: other.to_string() },
    }
}

/// Says what is wrong with a query that does not parse and where (1-based column).
fn locate(parser: &QueryParser, text: &str) -> (String, Option<usize>) {
    let mut depth = 0usize;
    let mut open_parens: Vec<usize> = Vec::new();
    let mut quote: Option<usize> = None;
    for (col, c) in text.chars().enumerate() {
        let col = col + 1;
        match c {
            '"' => quote = if quote.is_some() { None } else { Some(col) },
            '(' if quote.is_none() => {
                depth += 1;
                open_parens.push(col);
            }
            ')' if quote.is_none() => {
                if depth == 0 {
                    return ("`)` closes nothing".into(), Some(col));
                }
                depth -= 1;
                open_parens.pop();
            }
            _ => {}
        }
    }
    if let Some(col) = quote {
        return ("the quote opened here is never closed".into(), Some(col));
    }
    if let Some(&col) = open_parens.last() {
        return ("the `(` opened here is never closed".into(), Some(col));
    }
    // tantivy's lenient parser reports the byte position of what it could not read.
    let (_, errors) = parser.parse_query_lenient(&escape_apostrophes(text));
    for e in errors {
        let message = e.to_string();
        if let Some((what, pos)) = message.rsplit_once(" at position ") {
            let byte: usize = pos.trim().parse().unwrap_or(0);
            let column = text.get(..byte.min(text.len())).map_or(1, |s| s.chars().count() + 1);
            let what = what.trim_start_matches("Syntax Error: ");
            return (what.to_owned(), Some(column));
        }
    }
    ("the query does not follow paperdex's query syntax (see `paperdex search --help`)".into(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_and_prefixes() {
        let words = plain_words("video phys* -gen* title:Diff*").unwrap();
        let summary: Vec<(&str, Occur, bool, usize)> =
            words.iter().map(|w| (w.core.as_str(), w.occur, w.prefix, w.fields.len())).collect();
        assert_eq!(
            summary,
            [
                ("video", Occur::Must, false, TEXT_FIELDS.len()),
                ("phys", Occur::Must, true, TEXT_FIELDS.len()),
                ("gen", Occur::MustNot, true, TEXT_FIELDS.len()),
                ("diff", Occur::Must, true, 1)
            ]
        );
        assert!(plain_words("a OR phys*").is_none());
        assert!(plain_words("\"a b\"").is_none());
        assert!(plain_words("fine-tun*").is_none());
        assert!(plain_words("nofield:x").is_none());
    }

    #[test]
    fn prefixes_become_regexes() {
        assert_eq!(expand_prefixes("title:Phys* x"), "(title:/phys.*/) x");
        assert!(expand_prefixes("-phys*").starts_with("-(title:/phys.*/ OR name:/phys.*/ OR"));
        assert_eq!(expand_prefixes("\"big bad wo\"*"), "\"big bad wo\"*");
        assert_eq!(expand_prefixes("fine-tun*"), "\"fine-tun\"*");
        assert_eq!(expand_prefixes("nofield:x*"), "nofield:x*");
    }

    #[test]
    fn apostrophes_inside_words_are_escaped() {
        assert_eq!(escape_apostrophes("Yo'LLaVA"), "Yo\\'LLaVA");
        assert_eq!(escape_apostrophes("'a phrase' don't"), "'a phrase' don\\'t");
    }
}
