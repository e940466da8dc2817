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
                    // Terms no document holds (a typo under `--fuzzy`) cannot be marked.
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
            for &field in &candidates {
                let terms = &self.generators[&field].1;
                if terms.is_empty() {
                    continue;
                }
                for value in doc.get_all(field).filter_map(|v| v.as_str()) {
                    if let Some(snippet) = quick_snippet(value, terms, self.max_chars) {
                        return Ok(snippet);
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
                    return Ok(Snippet { text, highlights });
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

/// A fragment of about `max_chars` characters starting a little before the first word
/// that begins with a query term, with every such word marked. Indexed terms are
/// lower-cased stems, and a stem starts the words it comes from (`model` for `models`,
/// `modeling`). `None` when no word begins with a term.
fn quick_snippet(text: &str, terms: &[String], max_chars: usize) -> Option<Snippet> {
    let lower = text.to_ascii_lowercase();
    let starts_word = |at: usize| at == 0 || !lower[..at].chars().next_back().is_some_and(char::is_alphanumeric);
    let first =
        terms.iter().filter_map(|t| lower.match_indices(t.as_str()).map(|(i, _)| i).find(|&i| starts_word(i))).min()?;
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
    let fragment_lower = &lower[start..end];
    let mut highlights = Vec::new();
    let mut tokenizer = WordTokenizer;
    let mut stream = tokenizer.token_stream(fragment);
    while stream.advance() {
        let token = stream.token();
        let word = &fragment_lower[token.offset_from..token.offset_to];
        if terms.iter().any(|t| word.starts_with(t.as_str())) {
            highlights.push([token.offset_from, token.offset_to]);
        }
    }
    if highlights.is_empty() {
        return None;
    }
    Some(Snippet { text: fragment.replace(['\n', '\r', '\t'], " "), highlights })
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
        let s = quick_snippet(text, &["model".to_owned()], 40).unwrap();
        let marked: Vec<&str> = s.highlights.iter().map(|[a, b]| &s.text[*a..*b]).collect();
        assert_eq!(marked, ["models", "modeling"]);
        assert!(s.text.chars().count() <= 40, "{}", s.text);
        assert!(quick_snippet(text, &["studi".to_owned()], 40).is_none());
    }
}
