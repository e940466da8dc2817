//! Words that stand for many terms, turned into the terms the index holds: prefix words
//! (`phys*`), words with one typo (`--fuzzy`, matched against the words as written, not
//! their stems: `generaton` finds `generation`), and regular expressions. The terms are
//! then searched and scored like typed words (BM25F), so their hits rank by relevance
//! and their words are marked in snippets; exact words rank above their typos.

use std::collections::HashMap;

use tantivy::Searcher;
use tantivy::Term;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy_fst::Automaton;

use super::automata::{PrefixAutomaton, TypoAutomaton};
use super::rank;
use crate::index::Fields;
use crate::index::schema::TextField;
use crate::index::tokenizer::{exact_terms, terms};

/// The most terms one word stands for: the most frequent, so that `a*` stays a query.
pub const MAX_TERMS: usize = 64;

/// How much a typo match counts beside the word as typed.
const TYPO_WEIGHT: f32 = 0.4;

/// The terms of `field` that `automaton` accepts, most frequent first, at most `max`,
/// with their document frequency over all segments.
pub fn matching_terms<A: Automaton>(searcher: &Searcher, field: Field, automaton: &A, max: usize) -> Vec<(String, u64)>
where
    A::State: Clone,
{
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else { continue };
        let Ok(mut stream) = inverted.terms().search(automaton).into_stream() else { continue };
        while stream.advance() {
            if let Ok(term) = std::str::from_utf8(stream.key()) {
                *found.entry(term.to_owned()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    let mut terms: Vec<(String, u64)> = found.into_iter().collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.truncate(max);
    terms
}

/// A word as written (`exact`, from the unstemmed field) searched as a typed word: its
/// stem in the text fields, its exact form in the unstemmed field.
fn surface_word(fields: &Fields, searched: &[&'static TextField], exact: &str, weight: f32) -> Option<rank::Word> {
    let [stemmed] = &terms(exact)[..] else { return None };
    // The unstemmed field holds every text field's words: only a word searched in every
    // field may count there too, or `title:phys*` would match outside titles.
    let everywhere = searched.len() == rank::default_fields().len();
    Some(rank::Word::new(fields, searched, stemmed, everywhere.then_some(exact)).boosted(weight))
}

/// `prefix*` over `searched`: the words as written that start with the prefix, scored
/// by BM25F. `None` when the index holds none.
pub fn prefix_query(
    searcher: &Searcher,
    fields: &Fields,
    searched: &[&'static TextField],
    prefix: &str,
    kept: rank::Kinds,
) -> Option<Box<dyn Query>> {
    let [prefix] = &exact_terms(prefix)[..] else { return None };
    let completions = matching_terms(searcher, fields.exact, &PrefixAutomaton::new(prefix), MAX_TERMS);
    // A prefix searched everywhere stands for up to `MAX_TERMS` words: each is scored in
    // the unstemmed field alone (every text field's words as written), as a whole-record
    // BM25, so that `da*` reads tens of posting lists rather than hundreds.
    let everywhere = searched.len() == rank::default_fields().len();
    let words: Vec<rank::Word> = completions
        .iter()
        .filter_map(|(term, _)| {
            if everywhere { Some(rank::Word::exact(fields, term)) } else { surface_word(fields, searched, term, 1.0) }
        })
        .collect();
    (!words.is_empty()).then(|| Box::new(rank::Bm25fQuery::new(fields, words).kept(kept)) as Box<dyn Query>)
}

/// A word with one typo tolerated: the word as typed (`word`, counted `boost` times)
/// and the words as written one edit from it (counted less), scored by BM25F.
pub fn typo_query(
    searcher: &Searcher,
    fields: &Fields,
    searched: &[&'static TextField],
    word: &str,
    boost: f32,
    kept: rank::Kinds,
) -> Option<Box<dyn Query>> {
    let [exact] = &exact_terms(word)[..] else { return None };
    let mut words: Vec<rank::Word> = surface_word(fields, searched, exact, boost).into_iter().collect();
    for (term, _) in typo_terms(searcher, fields, exact) {
        words.extend(surface_word(fields, searched, &term, boost * TYPO_WEIGHT));
    }
    let scored: Box<dyn Query> = Box::new(rank::Bm25fQuery::new(fields, words).kept(kept));
    // A record holding the word as typed ranks above every record that only holds a typo
    // of it: a flat bonus larger than any BM25F score, for the exact word.
    let typed = TermQuery::new(Term::from_field_text(fields.exact, exact), IndexRecordOption::Basic);
    let bonus: Box<dyn Query> = Box::new(tantivy::query::ConstScoreQuery::new(Box::new(typed), EXACT_BONUS));
    Some(Box::new(BooleanQuery::new(vec![(Occur::Must, scored), (Occur::Should, bonus)])))
}

/// The bonus of a word found as typed under `--fuzzy`: above any word's BM25F score.
const EXACT_BONUS: f32 = 100.0;

/// The words as written one edit from `exact` (not `exact` itself), most frequent first.
pub fn typo_terms(searcher: &Searcher, fields: &Fields, exact: &str) -> Vec<(String, u64)> {
    // One-letter words have too many neighbours to mean anything.
    if exact.chars().count() < 3 {
        return Vec::new();
    }
    let mut found = matching_terms(searcher, fields.exact, &TypoAutomaton::new(exact), MAX_TERMS + 1);
    found.retain(|(t, _)| t != exact);
    found.truncate(MAX_TERMS);
    found
}

/// The word the index most likely meant by `exact` when it holds no such word: the most
/// frequent word as written one edit away. `None` when the word is there or has none.
pub fn correction(searcher: &Searcher, fields: &Fields, exact: &str) -> Option<String> {
    let held = searcher.doc_freq(&Term::from_field_text(fields.exact, exact)).unwrap_or(0);
    if held > 0 {
        return None;
    }
    typo_terms(searcher, fields, exact).into_iter().next().map(|(t, _)| t)
}

/// `field:/regex/`: the field's terms the expression matches, each scored by BM25. The
/// expression matches whole terms, so a `^` before it and a `$` after it, which the
/// engine's regexes do not take, say nothing more and are dropped.
pub fn regex_query(searcher: &Searcher, field: Field, pattern: &str) -> Result<Box<dyn Query>, String> {
    let anchored = pattern.strip_prefix('^').unwrap_or(pattern);
    let anchored = match anchored.strip_suffix('$') {
        Some(inner) if !inner.ends_with('\\') => inner,
        _ => anchored,
    };
    let regex = tantivy_fst::Regex::new(anchored).map_err(|e| regex_error(&e.to_string()))?;
    let clauses: Vec<(Occur, Box<dyn Query>)> = matching_terms(searcher, field, &regex, MAX_TERMS)
        .into_iter()
        .map(|(term, _)| {
            let q = TermQuery::new(Term::from_field_text(field, &term), IndexRecordOption::WithFreqs);
            (Occur::Should, Box::new(q) as Box<dyn Query>)
        })
        .collect();
    Ok(Box::new(BooleanQuery::new(clauses)))
}

/// The regex engine's complaint in one short line (its message can span several, with
/// the pattern drawn again and a caret under the fault).
fn regex_error(message: &str) -> String {
    let last = message.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("a syntax error");
    last.trim_start_matches("error:").trim().to_owned()
}
