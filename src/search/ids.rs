//! Queries that name a paper: an arXiv id (`2501.09038`, `2501.09038v2`,
//! `arXiv:2501.09038`, `arXiv 2501.09038`) or a link to its arXiv, Hugging Face papers
//! or review page. Such a query puts that page first, then its other records, then
//! whatever else the words match.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption};

use crate::index::Fields;

/// The arXiv id (without version) a query names, when the whole query is one.
pub fn named_paper(text: &str) -> Option<String> {
    let text = text
        .trim()
        .trim_matches(|c: char| matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']' | '.' | ',' | ';' | ':'));
    let lower = text.to_ascii_lowercase();
    // `arXiv:ID`, `arXiv ID`, `arxiv.org/abs/ID`.
    let bare = lower.strip_prefix("arxiv:").or_else(|| lower.strip_prefix("arxiv ")).map(str::trim).unwrap_or(&lower);
    if let Some(id) = arxiv_id(bare) {
        return Some(id);
    }
    // A link: some path segment is an id (`/abs/ID`, `/pdf/ID.pdf`, `/papers/ID`, a
    // review site's `/ID/` or `/paper-reviews/ID/`).
    if lower.contains(char::is_whitespace) {
        // Words and a link: see [`paper_among_words`].
        return None;
    }
    let without_scheme = lower.split_once("://").map_or(lower.as_str(), |(_, rest)| rest);
    let (host, path) = without_scheme.split_once('/')?;
    if !host.contains('.') || host.contains(' ') {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').find_map(|segment| arxiv_id(segment.trim_end_matches(".pdf")))
}

/// The arXiv id (or link) a query starts or ends with, among other words
/// (`2501.09038 physics`, `diffusion https://arxiv.org/abs/2501.09038`), and the rest of
/// the query: the paper is named, and the words say what of it (and of others) to find.
pub fn paper_among_words(text: &str) -> Option<(String, &str)> {
    let text = text.trim();
    let (first, after) = text.split_once(char::is_whitespace)?;
    if let Some(id) = named_paper(first) {
        return Some((id, after.trim()));
    }
    let (before, last) = text.rsplit_once(char::is_whitespace)?;
    named_paper(last).map(|id| (id, before.trim()))
}

/// `2501.09038` or `2501.09038v2` → `2501.09038`: four digits (YYMM), a dot, four or
/// five digits, an optional version.
fn arxiv_id(text: &str) -> Option<String> {
    let (head, tail) = text.split_once('.')?;
    // A version (`v2`) names the same paper.
    let number = match tail.split_once('v') {
        Some((n, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => n,
        Some(_) => return None,
        None => tail,
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let valid = head.len() == 4 && digits(head) && (4..=5).contains(&number.len()) && digits(number);
    valid.then(|| format!("{head}.{number}"))
}

/// The records of page `id`, the page itself far above its other records (which keep
/// corpus order among themselves), ORed with `words` (the query read as text) below.
pub fn paper_query(fields: &Fields, id: &str, words: Option<Box<dyn Query>>) -> Box<dyn Query> {
    let records: Box<dyn Query> = Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(Term::from_field_text(fields.page_id, id), IndexRecordOption::Basic)),
        1_000.0,
    ));
    let page_facet = Facet::from("/page");
    let page: Box<dyn Query> = Box::new(BoostQuery::new(
        Box::new(BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(fields.page_id, id), IndexRecordOption::Basic))
                    as Box<dyn Query>,
            ),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_facet(fields.kind_facet, &page_facet),
                        IndexRecordOption::Basic,
                    )),
                    1.0,
                )),
            ),
        ])),
        1_000.0,
    ));
    let mut should = vec![(Occur::Should, records), (Occur::Should, page)];
    if let Some(words) = words {
        should.push((Occur::Should, words));
    }
    Box::new(BooleanQuery::new(should))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_links_name_a_paper() {
        for text in [
            "2501.09038",
            "2501.09038.",
            "[2501.09038]",
            "2501.09038v2",
            "arXiv:2501.09038",
            "arxiv 2501.09038",
            "https://arxiv.org/abs/2501.09038",
            "arxiv.org/abs/2501.09038v3",
            "https://arxiv.org/pdf/2501.09038.pdf",
            "https://arxiv.org/pdf/2501.09038v1",
            "huggingface.co/papers/2501.09038",
            "https://huggingface.co/papers/2501.09038?utm=x",
            "https://ai-paper-reviewer.com/2501.09038/",
            "https://example.org/paper-reviews/2501.09038/index.html",
            "<https://arxiv.org/abs/2501.09038>",
        ] {
            assert_eq!(named_paper(text).as_deref(), Some("2501.09038"), "{text}");
        }
        for text in
            ["2501.090", "12501.09038", "ratio 3:1", "2501.09038 physics", "v2", "video", "2501.09038v", "3.14159"]
        {
            assert_eq!(named_paper(text), None, "{text}");
        }
        assert_eq!(named_paper("2412.15214").as_deref(), Some("2412.15214"));
        assert_eq!(paper_among_words("2501.09038 physics"), Some(("2501.09038".into(), "physics")));
        assert_eq!(
            paper_among_words("world models  https://arxiv.org/abs/2501.09038v2 "),
            Some(("2501.09038".into(), "world models"))
        );
        assert_eq!(
            paper_among_words("arXiv:2501.09038 \"physical AI\""),
            Some(("2501.09038".into(), "\"physical AI\""))
        );
        for text in ["2501.09038", "physics", "physics 2501.09038 models", "pi 3.14159", "3:1 ratio"] {
            assert_eq!(paper_among_words(text), None, "{text}");
        }
        assert_eq!(named_paper("0704.0001").as_deref(), Some("0704.0001"), "four-digit numbers before 2015");
    }
}
