//! Snippets: the best-matching stretch of a hit's text with the matched terms marked,
//! taken from the field most telling for the record's kind.

use std::collections::HashMap;

use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TokenStream, Tokenizer};
use tantivy::{Searcher, TantivyDocument};

use crate::index::Fields;
use crate::index::schema::{RecordKind, snippet_fields};
use crate::index::tokenizer::WordTokenizer;

/// A snippet's text and the byte ranges in it that matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<[usize; 2]>,
}

/// Makes snippets for the hits of one query, one generator per field, built on demand.
pub struct Snippets<'a> {
    searcher: &'a Searcher,
    query: Option<&'a dyn Query>,
    fields: &'a Fields,
    max_chars: usize,
    /// Per field: its snippet generator (once needed) and the query's terms in that field.
    generators: HashMap<Field, (Option<SnippetGenerator>, Vec<String>)>,
}

impl<'a> Snippets<'a> {
    pub fn new(searcher: &'a Searcher, query: Option<&'a dyn Query>, fields: &'a Fields, max_chars: usize) -> Self {
        Snippets { searcher, query, fields, max_chars: max_chars.max(20), generators: HashMap::new() }
    }

    /// The fields a record's snippet is looked for in, most telling first (the schema
    /// table's snippet roles).
    fn candidates(&self, kind: &str) -> Vec<Field> {
        let kind = RecordKind::of(kind).unwrap_or(RecordKind::Caption);
        snippet_fields(kind).iter().filter_map(|t| self.fields.text(t.name)).collect()
    }

    pub fn for_doc(&mut self, doc: &TantivyDocument, kind: &str) -> tantivy::Result<Snippet> {
        let candidates = self.candidates(kind);
        if let Some(query) = self.query {
            for &field in &candidates {
                if !self.generators.contains_key(&field) {
                    let mut in_field = Vec::new();
                    query.query_terms(&mut |term, _| {
                        if term.field() == field {
                            in_field.push(term.clone());
                        }
                    });
                    // Terms no document holds (a typo under `--fuzzy`) cannot be marked; a
                    // prefix's many completions are looked for by their most frequent few.
                    in_field.truncate(MAX_SNIPPET_TERMS);
                    let mut terms = Vec::new();
                    for term in in_field {
                        if let Some(text) = term.value().as_str()
                            && self.searcher.doc_freq(&term)? > 0
                        {
                            terms.push(text.to_owned());
                        }
                    }
                    self.generators.insert(field, (None, terms));
                }
            }
            // First the fields where a term starts a word as written: cut the fragment
            // there without analysing the text (a page body can be tens of kilobytes).
            // Where the query has several words, a field that holds two of them side by
            // side (a phrase, a pasted title) comes first: that is where it matched.
            let several = candidates.iter().any(|f| self.generators[f].1.len() > 1);
            for pair in [true, false].into_iter().filter(|&p| several || !p) {
                for &field in &candidates {
                    let terms = &self.generators[&field].1;
                    // A pair needs two terms in the field.
                    if terms.is_empty() || (pair && terms.len() < 2) {
                        continue;
                    }
                    let rows = field == self.fields.table;
                    for value in doc.get_all(field).filter_map(|v| v.as_str()) {
                        if let Some(snippet) = quick_snippet(value, terms, self.max_chars, pair, rows) {
                            return Ok(merged(snippet));
                        }
                    }
                }
            }
            // Then the start of each field through the analyzer, for terms that do not
            // show as written (stems such as `studi`, folded letters such as `muller`).
            for &field in &candidates {
                let Some((generator, terms)) = self.generators.get_mut(&field) else { continue };
                if terms.is_empty() {
                    continue;
                }
                // Built on first need: most snippets are cut without one.
                if generator.is_none() {
                    let mut created = SnippetGenerator::create(self.searcher, query, field)?;
                    created.set_max_num_chars(self.max_chars);
                    *generator = Some(created);
                }
                let Some(generator) = generator.as_ref() else { continue };
                let text = field_text(doc, field);
                let snippet = generator.snippet(head(&text, FALLBACK_BYTES));
                if !snippet.highlighted().is_empty() {
                    let highlights = snippet.highlighted().iter().map(|r| [r.start, r.end]).collect();
                    // Paragraph breaks read as spaces; byte offsets stay the same.
                    let text = snippet.fragment().replace(['\n', '\r', '\t'], " ");
                    return Ok(merged(Snippet { text, highlights }));
                }
            }
        }
        // Nothing matched in a snippet field (or no query): the start of the main text.
        let text = candidates
            .iter()
            .find_map(|&field| doc.get_first(field).and_then(|v| v.as_str()).filter(|s| !s.is_empty()))
            .unwrap_or("");
        Ok(Snippet {
            text: shorten(&crate::ingest::text::collapse_whitespace(text), self.max_chars),
            highlights: Vec::new(),
        })
    }
}

/// The most query terms a snippet looks for in one field.
const MAX_SNIPPET_TERMS: usize = 24;

/// How much of a field the analysing fallback reads: a typo or a stem can hide a term
/// anywhere, but analysing a whole page body costs more than the search.
const FALLBACK_BYTES: usize = 4096;

/// The first `max` bytes of `text`, cut at a character boundary.
fn head(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// All values of a field, one per line.
fn field_text(doc: &TantivyDocument, field: Field) -> String {
    let values: Vec<&str> = doc.get_all(field).filter_map(|v| v.as_str()).collect();
    values.join("\n")
}

/// True when the word `word` (as written) is indexed as one of `terms`: its stem or its
/// exact form. `1` is not `100`, and `model` is `models` but not `remodel`.
fn word_is_term(word: &str, terms: &[String]) -> bool {
    let first = word.chars().next().map(|c| c.to_lowercase().collect::<String>()).unwrap_or_default();
    if !terms.iter().any(|t| t.starts_with(first.as_str())) {
        return false;
    }
    let mut forms = crate::index::tokenizer::terms(word);
    forms.extend(crate::index::tokenizer::exact_terms(word));
    forms.iter().any(|f| terms.contains(f))
}

/// The word of `text` that starts at byte `at` (letters and digits).
fn word_at(text: &str, at: usize) -> &str {
    let end = text[at..].find(|c: char| !c.is_alphanumeric()).map_or(text.len(), |e| at + e);
    &text[at..end]
}

/// The start of the word after the one that starts at `at`, if any.
fn next_word(text: &str, at: usize) -> Option<usize> {
    let after = at + word_at(text, at).len();
    text[after..].find(|c: char| c.is_alphanumeric()).map(|i| after + i)
}

/// Text as a snippet shows it: one line; a table's rows separated by `; ` (its cells
/// keep their ` | `), other line breaks as spaces. Byte offsets shift by one after each
/// row break (see `quick_snippet`).
fn one_line(text: &str, rows: bool) -> String {
    let text = text.replace(['\r', '\t'], " ");
    if rows { text.replace('\n', "; ") } else { text.replace('\n', " ") }
}

/// Overlapping or touching marks as one (CJK bigrams overlap: `모델` and `델의`).
fn merged(mut snippet: Snippet) -> Snippet {
    snippet.highlights.sort_unstable();
    let mut out: Vec<[usize; 2]> = Vec::with_capacity(snippet.highlights.len());
    for [a, b] in snippet.highlights {
        match out.last_mut() {
            Some(last) if a <= last[1] => last[1] = last[1].max(b),
            _ => out.push([a, b]),
        }
    }
    snippet.highlights = out;
    snippet
}

/// A fragment of about `max_chars` characters starting a little before the first word
/// that is a query term (where two terms stand side by side, as in a phrase, if they do
/// anywhere; with `pair`, only there), with every such word marked. `None` when no word
/// is a term.
fn quick_snippet(text: &str, terms: &[String], max_chars: usize, pair: bool, rows: bool) -> Option<Snippet> {
    let lower = text.to_ascii_lowercase();
    let starts_word = |at: usize| at == 0 || !lower[..at].chars().next_back().is_some_and(char::is_alphanumeric);
    // Places where a word begins with a term's letters, checked by analysing that word
    // (at most a few hundred: the first few of each term's, then the rest in order).
    let mut places: Vec<usize> = terms
        .iter()
        .flat_map(|t| lower.match_indices(t.as_str()).map(|(i, _)| i).filter(|&i| starts_word(i)).take(256))
        .collect();
    places.sort_unstable();
    places.dedup();
    let is_term = |i: usize| word_is_term(word_at(text, i), terms);
    // Two places side by side (the next word starts where the next place is): found by
    // looking at the places alone, and only such a pair is analysed.
    let paired = if terms.len() > 1 {
        places.windows(2).find(|w| next_word(text, w[0]) == Some(w[1]) && is_term(w[0]) && is_term(w[1])).map(|w| w[0])
    } else {
        None
    };
    let first = match paired {
        Some(at) => at,
        None if pair => return None,
        None => places.iter().copied().take(64).find(|&i| is_term(i))?,
    };
    // Start up to a quarter of the fragment before the match, at a word boundary.
    let lead = text[..first].char_indices().rev().nth(max_chars / 4).map_or(0, |(i, _)| i);
    let start = if lead == 0 { 0 } else { text[lead..first].find(' ').map_or(lead, |s| lead + s + 1) };
    let mut end = text[start..].char_indices().nth(max_chars).map_or(text.len(), |(i, _)| start + i);
    if end < text.len()
        && let Some(space) = text[start..end].rfind(' ')
        && space > (end - start) / 2
    {
        end = start + space;
    }
    let fragment = &text[start..end];
    let mut highlights = Vec::new();
    let mut tokenizer = WordTokenizer;
    let mut stream = tokenizer.token_stream(fragment);
    while stream.advance() {
        let token = stream.token();
        if word_is_term(&fragment[token.offset_from..token.offset_to], terms) {
            highlights.push([token.offset_from, token.offset_to]);
        }
    }
    if highlights.is_empty() {
        return None;
    }
    // `; ` for a row break is one byte longer than the newline: shift the marks after it.
    let text = one_line(fragment, rows);
    let breaks: Vec<usize> = if rows { fragment.match_indices('\n').map(|(i, _)| i).collect() } else { Vec::new() };
    let shift = |at: usize| at + breaks.iter().filter(|&&b| b < at).count();
    let highlights = highlights.into_iter().map(|[a, b]| [shift(a), shift(b)]).collect();
    Some(Snippet { text, highlights })
}

/// The first `max` characters of `text`, cut at a word boundary where one is near.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_snippets_mark_words_that_start_with_a_term() {
        let text = "Intro words. Large language models and modeling work; a remodel is not a match.";
        let s = quick_snippet(text, &["model".to_owned()], 40, false, false).unwrap();
        let marked: Vec<&str> = s.highlights.iter().map(|[a, b]| &s.text[*a..*b]).collect();
        assert_eq!(marked, ["models", "modeling"]);
        // A number is the number, not every number that starts with its digits.
        let scores = "perfect score 100%. Our model reaches 24.1 on it; 1 more.";
        let s = quick_snippet(scores, &["24".to_owned(), "1".to_owned()], 30, false, false).unwrap();
        let marked: Vec<&str> = s.highlights.iter().map(|[a, b]| &s.text[*a..*b]).collect();
        assert_eq!(marked, ["24", "1", "1"], "{}", s.text);
        // Table rows are told apart, and the marks stay on their words.
        let table = "Model | Score\nVideoPoet | 24.1\nRunway | 19.0";
        let s = quick_snippet(table, &["videopoet".to_owned()], 60, false, true).unwrap();
        assert_eq!(s.text, "Model | Score; VideoPoet | 24.1; Runway | 19.0");
        assert_eq!(&s.text[s.highlights[0][0]..s.highlights[0][1]], "VideoPoet");
        let short = quick_snippet(text, &["model".to_owned()], 40, false, false).unwrap();
        assert!(short.text.chars().count() <= 40, "{}", short.text);
        assert!(quick_snippet(text, &["studi".to_owned()], 40, false, false).is_none());
    }
}
