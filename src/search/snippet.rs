//! Snippets: the best-matching stretch of a hit's text with the matched terms marked,
//! taken from the field most telling for the record's kind.

use std::collections::HashMap;

use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, TantivyDocument};

use crate::index::Fields;

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
    generators: HashMap<Field, SnippetGenerator>,
}

impl<'a> Snippets<'a> {
    pub fn new(searcher: &'a Searcher, query: Option<&'a dyn Query>, fields: &'a Fields, max_chars: usize) -> Self {
        Snippets { searcher, query, fields, max_chars: max_chars.max(20), generators: HashMap::new() }
    }

    /// The fields a record's snippet is looked for in, most telling first.
    fn candidates(&self, kind: &str) -> Vec<Field> {
        let f = self.fields;
        if kind == "page" {
            vec![f.body, f.summary, f.title, f.topic, f.affiliation, f.authors]
        } else if kind == "method" {
            vec![f.category, f.mechanism, f.name, f.citation]
        } else {
            vec![f.description, f.caption, f.table, f.label]
        }
    }

    pub fn for_doc(&mut self, doc: &TantivyDocument, kind: &str) -> tantivy::Result<Snippet> {
        let candidates = self.candidates(kind);
        if let Some(query) = self.query {
            for &field in &candidates {
                if !self.generators.contains_key(&field) {
                    let mut generator = SnippetGenerator::create(self.searcher, query, field)?;
                    generator.set_max_num_chars(self.max_chars);
                    self.generators.insert(field, generator);
                }
                let snippet = self.generators[&field].snippet_from_doc(doc);
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
