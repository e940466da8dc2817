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

use super::automata::{PrefixAutomaton, TypoAutomaton, each_ascii_typo, is_ascii_word};
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
    let typos = typo_terms(searcher, fields, exact);
    let most = typos.iter().map(|(_, freq)| *freq).max().unwrap_or(1).max(1) as f32;
    for (term, freq) in typos {
        // The more records hold a spelling, the likelier it is the one meant (a noisy
        // channel's prior): the common word above its rare lookalikes, which share its
        // idf (`blended`) rather than win on their rarity.
        let prior = (freq as f32 / most).sqrt();
        words.extend(surface_word(fields, searched, &term, boost * TYPO_WEIGHT * prior));
    }
    let scored: Box<dyn Query> = Box::new(rank::Bm25fQuery::new(fields, words).kept(kept).blended());
    // A record holding the word as typed ranks above every record that only holds a typo
    // of it: a flat bonus larger than any BM25F score, for the exact word. A word no
    // record holds as typed (the typo itself) adds nothing: the words are searched alone,
    // and their best records found without scoring every one.
    let typed_term = Term::from_field_text(fields.exact, exact);
    if searcher.doc_freq(&typed_term).is_ok_and(|n| n == 0) {
        return Some(scored);
    }
    let typed = TermQuery::new(typed_term, IndexRecordOption::Basic);
    let bonus: Box<dyn Query> = Box::new(tantivy::query::ConstScoreQuery::new(Box::new(typed), EXACT_BONUS));
    Some(Box::new(BooleanQuery::new(vec![(Occur::Must, scored), (Occur::Should, bonus)])))
}

/// The bonus of a word found as typed under `--fuzzy`: above any word's BM25F score.
const EXACT_BONUS: f32 = 100.0;

/// The words as written one edit from `exact` (not `exact` itself), most frequent first.
pub fn typo_terms(searcher: &Searcher, fields: &Fields, exact: &str) -> Vec<(String, u64)> {
    if exact.chars().count() < shortest_typo_word(exact).0 {
        return Vec::new();
    }
    let mut found = if is_ascii_word(exact) {
        ascii_typo_terms(searcher, fields.exact, exact)
    } else {
        matching_terms(searcher, fields.exact, &TypoAutomaton::new(exact), MAX_TERMS + 1)
    };
    found.retain(|(t, _)| t != exact);
    found.truncate(MAX_TERMS);
    found
}

/// The ASCII words of `field` one edit from the ASCII word `word`, most frequent first,
/// with their document frequency over all segments: each typo looked up in the term
/// dictionary, only those that start with as much of the word as some term does.
///
/// The same words as [`TypoAutomaton`] finds but for those with a letter of another
/// script put in an English word, and about four times faster: the automaton reads
/// every branch within one edit of the word, a dictionary of the size of 5,000 pages'
/// in over 200 µs.
fn ascii_typo_terms(searcher: &Searcher, field: Field, word: &str) -> Vec<(String, u64)> {
    let mut found: Vec<(String, u64)> = Vec::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else { continue };
        let dictionary = inverted.terms();
        // Every typo keeps the word up to its edit: none with its edit past the longest
        // start of the word that begins a term can be there.
        let (mut held, mut over) = (0, word.len() + 1);
        while over - held > 1 {
            let mid = (held + over) / 2;
            if starts_a_term(dictionary, &word.as_bytes()[..mid]) { held = mid } else { over = mid }
        }
        let mut hits: Vec<(Vec<u8>, u64)> = Vec::new();
        each_ascii_typo(word.as_bytes(), held, |typo| {
            if let Ok(Some(info)) = dictionary.get(typo)
                && !hits.iter().any(|(t, _)| t == typo)
            {
                hits.push((typo.to_vec(), u64::from(info.doc_freq)));
            }
        });
        for (term, doc_freq) in hits {
            let term = String::from_utf8(term).unwrap_or_default();
            match found.iter_mut().find(|(t, _)| *t == term) {
                Some((_, total)) => *total += doc_freq,
                None => found.push((term, doc_freq)),
            }
        }
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    found.truncate(MAX_TERMS + 1);
    found
}

/// Whether some term of `dictionary` starts with `start`.
fn starts_a_term(dictionary: &tantivy::termdict::TermDictionary, start: &[u8]) -> bool {
    let Ok(mut stream) = dictionary.range().ge(start).into_stream() else { return false };
    stream.advance() && stream.key().starts_with(start)
}

/// The fewest letters a word needs for its typos to be looked for (`--fuzzy`), and for it
/// to be corrected in a query that finds nothing: words of one or two letters have too
/// many neighbours to mean anything, and one of three is too often meant as written to
/// be corrected; but two Hangul syllables or CJK characters (the bigrams such text is
/// indexed as) are a word of their own.
pub fn shortest_typo_word(exact: &str) -> (usize, usize) {
    if exact.chars().any(crate::index::tokenizer::is_cjk) { (2, 2) } else { (3, 4) }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::schema;
    use tantivy::{Index, TantivyDocument};

    /// A word of `len` letters and digits drawn with `next`, mostly the eight most
    /// frequent letters (all 36 one time in `one_in`), so that words come one edit apart.
    fn drawn_word(next: &mut impl FnMut(u64) -> u64, len: usize, one_in: u64) -> String {
        let letters = b"etaoinshrdlucmfwypvbgkqjxz0123456789";
        (0..len)
            .map(|_| {
                let spread = if next(one_in) == 0 { 36 } else { 8 };
                letters[next(spread) as usize] as char
            })
            .collect()
    }

    /// An in-memory index whose unstemmed field holds drawn words: English-like ones, some
    /// one letter apart, a few with digits or letters of other scripts; in two segments.
    fn vocabulary_index() -> (Index, Fields) {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        crate::index::tokenizer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let mut state = 7u64;
        let mut next = move |m: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        for i in 0..3_000 {
            let mut words = Vec::new();
            for _ in 0..20 {
                let len = 1 + next(9) as usize;
                let word = drawn_word(&mut next, len, 4);
                words.push(match next(60) {
                    0 => format!("{word}é"),
                    1 => format!("{word}λ"),
                    2 => format!("{word}모델"),
                    _ => word,
                });
            }
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.exact, words.join(" "));
            writer.add_document(doc).unwrap();
            if i == 1_500 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        (index, fields)
    }

    /// An in-memory index of one record per text, its words in the body and as written.
    fn index_of(texts: &[&str]) -> (Index, Fields) {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        crate::index::tokenizer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        for text in texts {
            let mut doc = TantivyDocument::default();
            doc.add_facet(fields.kind_facet, tantivy::schema::Facet::from("/page"));
            doc.add_text(fields.body, *text);
            doc.add_text(fields.exact, *text);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, fields)
    }

    #[test]
    fn a_rare_lookalike_does_not_outrank_the_common_word() {
        // `viedo` is one edit from `video`, in forty records of four hundred, and from
        // `viredo`, in one (with as short a text): the common word's records come first.
        let mut texts = vec!["a clip of video about cats"; 40];
        texts.push("a clip of viredo about cats");
        texts.extend(["a page of text about dogs"; 359]);
        let (index, fields) = index_of(&texts);
        let searcher = index.reader().unwrap().searcher();
        let fields_searched = rank::default_fields();
        let query = typo_query(&searcher, &fields, &fields_searched, "viedo", 1.0, rank::Kinds::ALL).unwrap();
        let top = searcher.search(&*query, &tantivy::collector::TopDocs::with_limit(41).order_by_score()).unwrap();
        assert_eq!(top.len(), 41);
        let viredo = tantivy::DocAddress::new(0, 40);
        assert_eq!(top.last().map(|(_, a)| *a), Some(viredo), "{top:?}");
        assert!(top[0].0 > top[40].0, "{top:?}");
    }

    #[test]
    fn a_typed_word_no_record_holds_is_searched_by_its_typos_alone() {
        let mut texts = vec!["a clip of video about cats"; 40];
        texts.push("a clip of viedo about cats");
        texts.extend(["a page of text about dogs"; 20]);
        let (index, fields) = index_of(&texts);
        let searcher = index.reader().unwrap().searcher();
        let searched = rank::default_fields();
        let top = |query: &dyn Query| {
            searcher.search(query, &tantivy::collector::TopDocs::with_limit(50).order_by_score()).unwrap()
        };
        // `vidoe` is in no record: its typos alone, a query whose best records are found
        // without scoring every one, and the records holding `video` its hits.
        let alone = typo_query(&searcher, &fields, &searched, "vidoe", 1.0, rank::Kinds::ALL).unwrap();
        assert!(alone.downcast_ref::<rank::Bm25fQuery>().is_some_and(rank::Bm25fQuery::prunes));
        assert_eq!(top(&*alone).len(), 40);
        // `viedo` is in one: the record holding it as typed comes first, by the bonus.
        let typed = typo_query(&searcher, &fields, &searched, "viedo", 1.0, rank::Kinds::ALL).unwrap();
        assert!(typed.downcast_ref::<rank::Bm25fQuery>().is_none());
        let hits = top(&*typed);
        assert_eq!(hits.len(), 41);
        assert_eq!(hits[0].1, tantivy::DocAddress::new(0, 40));
        assert!(hits[0].0 > EXACT_BONUS && hits[1].0 < EXACT_BONUS, "{hits:?}");
    }

    #[test]
    fn two_hangul_syllables_are_a_word_with_typos() {
        let (index, fields) = index_of(&["새로운 모델 구조", "모든 데이터"]);
        let searcher = index.reader().unwrap().searcher();
        let typos: Vec<String> = typo_terms(&searcher, &fields, "모댈").into_iter().map(|(t, _)| t).collect();
        assert!(typos.contains(&"모델".to_owned()), "{typos:?}");
        assert_eq!(correction(&searcher, &fields, "모댈").as_deref(), Some("모델"));
        // One syllable is not.
        assert!(typo_terms(&searcher, &fields, "모").is_empty());
    }

    #[test]
    fn ascii_typos_looked_up_are_the_automatons_ascii_words() {
        let (index, fields) = vocabulary_index();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let mut state = 11u64;
        let mut next = move |m: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        let mut compared = 0;
        for _ in 0..400 {
            let len = 2 + next(9) as usize;
            let word = drawn_word(&mut next, len, 3);
            let automaton = matching_terms(&searcher, fields.exact, &TypoAutomaton::new(&word), usize::MAX);
            let mut want: Vec<(String, u64)> =
                automaton.into_iter().filter(|(t, _)| t.is_ascii() && *t != word).collect();
            want.truncate(MAX_TERMS + 1);
            let found = ascii_typo_terms(&searcher, fields.exact, &word);
            assert_eq!(found, want, "{word}");
            compared += usize::from(!found.is_empty());
        }
        assert!(compared > 100, "only {compared} words had typos in the index");
    }
}
