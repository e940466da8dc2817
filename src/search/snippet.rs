//! Snippets: the best-matching stretch of a hit's text with the matched terms marked,
//! taken from the field most telling for the record's kind.

use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;

use memchr::memmem::Finder;

use tantivy::postings::Postings;
use tantivy::query::Query;
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TokenStream, Tokenizer};
use tantivy::{DocAddress, DocSet, Searcher};

use crate::index::Fields;
use crate::index::schema::{RecordKind, snippet_fields};
use crate::index::tokenizer::WordTokenizer;

use super::stored::StoredDoc;

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
    generators: HashMap<Field, (Option<SnippetGenerator>, TermFinder)>,
    /// Per query term: whether any record holds it (the unstemmed field's terms are asked
    /// for by every field).
    held: HashMap<Term, bool>,
    /// Every term of the query, read from it once.
    terms: Option<Vec<Term>>,
    /// Per text of a query term: which of the query's words it stands for.
    word_ids: Option<HashMap<String, usize>>,
    /// Where two of the query's words are looked for side by side.
    pairs: Pairs,
    /// Per record kind (page, caption, method), its snippet fields, once asked for.
    candidates: [Option<std::rc::Rc<[Field]>>; 3],
}

impl<'a> Snippets<'a> {
    pub fn new(searcher: &'a Searcher, query: Option<&'a dyn Query>, fields: &'a Fields, max_chars: usize) -> Self {
        // What the search's weights found of the terms is not looked up again.
        let mut held = HashMap::default();
        if let Some(query) = query {
            super::rank::each_bm25f(query, &mut |bm25f| {
                held.extend(bm25f.doc_freqs().iter().map(|(term, n)| (term.clone(), *n > 0)));
            });
        }
        Snippets {
            searcher,
            query,
            fields,
            max_chars: max_chars.max(20),
            generators: HashMap::default(),
            held,
            candidates: Default::default(),
            terms: None,
            word_ids: None,
            pairs: Pairs::Anywhere,
        }
    }

    /// Every term of the query, once each.
    fn all_terms(&mut self, query: &dyn Query) -> &[Term] {
        self.terms.get_or_insert_with(|| {
            let mut all: Vec<Term> = Vec::new();
            query.query_terms(&mut |term, _| {
                if !all.contains(term) {
                    all.push(term.clone());
                }
            });
            all
        })
    }

    /// The query's terms searched in `field`: its own and the unstemmed field's.
    fn terms_in(&mut self, query: &dyn Query, field: Field) -> Vec<Term> {
        // The unstemmed field holds every text field's words as written.
        let exact = self.fields.exact;
        self.all_terms(query).iter().filter(|t| t.field() == field || t.field() == exact).cloned().collect()
    }

    /// Makes `field`'s term finder on its first need: a hit's snippet is most often cut
    /// from its first field, and only the fields looked in cost a look-up of their terms.
    fn prepare(&mut self, query: &dyn Query, field: Field) -> tantivy::Result<()> {
        if self.generators.contains_key(&field) {
            return Ok(());
        }
        let mut in_field = self.terms_in(query, field);
        // Terms no document holds (a typo under `--fuzzy`) cannot be marked; a prefix's
        // many completions are looked for by their most frequent few.
        in_field.truncate(MAX_SNIPPET_TERMS);
        let mut terms = Vec::new();
        for term in in_field {
            let held = match self.held.get(&term) {
                Some(&held) => held,
                None => {
                    let held = self.searcher.doc_freq(&term)? > 0;
                    self.held.insert(term.clone(), held);
                    held
                }
            };
            if let Some(text) = term.value().as_str()
                && held
            {
                terms.push(text.to_owned());
            }
        }
        let terms = dedup(terms);
        let ids = self.word_ids(query);
        let mut words: Vec<usize> = terms.iter().filter_map(|t| ids.get(t).copied()).collect();
        words.sort_unstable();
        words.dedup();
        let words = words.len();
        self.generators.insert(field, (None, TermFinder::with_words(terms, words)));
        Ok(())
    }

    /// Which word of the query each of its terms' texts stands for (see [`word_ids`]).
    fn word_ids(&mut self, query: &dyn Query) -> &HashMap<String, usize> {
        if self.word_ids.is_none() {
            let mut texts: Vec<&str> = Vec::new();
            let text_terms = self.all_terms(query).iter().filter(|t| t.typ() == tantivy::schema::Type::Str);
            for text in text_terms.filter_map(|t| std::str::from_utf8(t.serialized_value_bytes()).ok()) {
                if !texts.contains(&text) {
                    texts.push(text);
                }
            }
            let ids = texts.iter().map(|t| (*t).to_owned()).zip(word_ids(&texts)).collect();
            self.word_ids = Some(ids);
        }
        self.word_ids.get_or_insert_default()
    }

    /// Whether the query has two words or more, so that two could stand side by side.
    fn several(&mut self, query: &dyn Query) -> bool {
        let ids = self.word_ids(query);
        ids.values().any(|&id| id > 0)
    }

    /// The fields a record's snippet is looked for in, most telling first (the schema
    /// table's snippet roles).
    fn candidates(&mut self, kind: &str) -> std::rc::Rc<[Field]> {
        let kind = RecordKind::of(kind).unwrap_or(RecordKind::Caption);
        let slot = match kind {
            RecordKind::Page => 0,
            RecordKind::Caption => 1,
            RecordKind::Method => 2,
        };
        let fields = self.fields;
        self.candidates[slot]
            .get_or_insert_with(|| snippet_fields(kind).iter().filter_map(|t| fields.text(t.name)).collect())
            .clone()
    }

    /// The snippet around the term word at `at` of one of `field`'s values.
    fn fragment(&self, field: Field, value: &str, at: usize) -> Snippet {
        let terms = &self.generators[&field].1;
        let rows = field == self.fields.table;
        // The word at `at` is a term, so the fragment marks at least it.
        fragment(value, at, terms, self.max_chars, rows).map(merged).unwrap_or_else(|| Snippet {
            text: shorten(&crate::ingest::text::collapse_whitespace(value), self.max_chars),
            highlights: Vec::new(),
        })
    }

    /// Tells from `typed` (the query as typed) and `hits` where two of the query's words
    /// are looked for side by side: nowhere for one word (a prefix's completions or a
    /// word's spellings one edit away make no pair); otherwise through every field but a
    /// page's body, and through the body of the hits whose body holds two of the words'
    /// stems side by side (their positions in the index): a body read to its end for a pair
    /// it does not hold cost more than the search.
    pub fn find_pairs(&mut self, hits: &[DocAddress], typed: &str) -> tantivy::Result<()> {
        self.pairs =
            if dedup(crate::index::tokenizer::exact_terms(typed)).len() < 2 { Pairs::Nowhere } else { Pairs::Anywhere };
        let body = self.fields.body;
        let stems: Vec<Term> =
            dedup(crate::index::tokenizer::terms(typed)).iter().map(|w| Term::from_field_text(body, w)).collect();
        if self.pairs == Pairs::Nowhere || stems.len() > MAX_PAIR_WORDS {
            return Ok(());
        }
        let mut hits = hits.to_vec();
        hits.sort_unstable();
        hits.dedup();
        let mut in_body = HashMap::default();
        let mut positions = Vec::new();
        for segment in hits.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
            let inverted = self.searcher.segment_reader(segment[0].segment_ord).inverted_index(body)?;
            let mut postings = Vec::with_capacity(stems.len());
            for stem in &stems {
                if let Some(p) = inverted.read_postings(stem, IndexRecordOption::WithFreqsAndPositions)? {
                    postings.push(p);
                }
            }
            for hit in segment {
                positions.clear();
                for p in &mut postings {
                    if p.doc() < hit.doc_id {
                        p.seek(hit.doc_id);
                    }
                    if p.doc() == hit.doc_id {
                        p.append_positions_with_offset(0, &mut positions);
                    }
                }
                positions.sort_unstable();
                in_body.insert(*hit, positions.windows(2).any(|w| w[1] == w[0] + 1));
            }
        }
        self.pairs = Pairs::InBodyOf(in_body);
        Ok(())
    }

    /// Whether two of the query's words are looked for side by side in `field` of the
    /// record at `address`.
    fn pairs_in(&self, field: Field, address: DocAddress) -> bool {
        match &self.pairs {
            Pairs::Nowhere => false,
            Pairs::Anywhere => true,
            Pairs::InBodyOf(in_body) => field != self.fields.body || in_body.get(&address) != Some(&false),
        }
    }

    /// The snippet of the record `doc` at `address`, of the kind `kind`.
    pub fn for_doc(&mut self, doc: &StoredDoc, kind: &str, address: DocAddress) -> tantivy::Result<Snippet> {
        let candidates = self.candidates(kind);
        if let Some(query) = self.query {
            // First the fields where a term starts a word as written: cut the fragment
            // there without analysing the text (a page body can be tens of kilobytes).
            // Where the query has several words, a field that holds two of them side by
            // side (a phrase, a pasted title) comes first: that is where it matched. Each
            // value is scanned once for both.
            let several = self.several(query);
            let mut single: Option<(Field, &str, usize)> = None;
            for &field in candidates.iter() {
                self.prepare(query, field)?;
                let pairs = several && self.pairs_in(field, address);
                let finder = &self.generators[&field].1;
                if finder.len() == 0 || (single.is_some() && (finder.words < 2 || !pairs)) {
                    continue;
                }
                for value in doc.all(field) {
                    if single.is_some() && !pairs {
                        break;
                    }
                    let places = finder.places(value, pairs);
                    if let Some(at) = places.pair {
                        return Ok(self.fragment(field, value, at));
                    }
                    if let (None, Some(at)) = (single, places.first) {
                        if !several || matches!(self.pairs, Pairs::Nowhere) {
                            return Ok(self.fragment(field, value, at));
                        }
                        single = Some((field, value, at));
                    }
                }
            }
            if let Some((field, value, at)) = single {
                return Ok(self.fragment(field, value, at));
            }
            // Then the start of each field through the analyzer, for terms that do not
            // show as written (stems such as `studi`, folded letters such as `muller`).
            for &field in candidates.iter() {
                self.prepare(query, field)?;
                let Some((generator, finder)) = self.generators.get_mut(&field) else { continue };
                if finder.len() == 0 {
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
        let text = candidates.iter().find_map(|&field| doc.first(field).filter(|s| !s.is_empty())).unwrap_or("");
        Ok(Snippet {
            text: shorten(&crate::ingest::text::collapse_whitespace(text), self.max_chars),
            highlights: Vec::new(),
        })
    }
}

/// Where a snippet looks for two of the query's words side by side.
#[derive(PartialEq)]
enum Pairs {
    Nowhere,
    Anywhere,
    /// Everywhere but in a page's body; there, only in these hits' bodies that hold a pair.
    InBodyOf(HashMap<DocAddress, bool>),
}

/// The most stems whose positions are read to find a pair in a page's body.
const MAX_PAIR_WORDS: usize = 8;

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
fn field_text(doc: &StoredDoc, field: Field) -> String {
    let values: Vec<&str> = doc.all(field).collect();
    values.join("\n")
}

/// Whether `word` is one of `terms`, where that is told without analysing the word.
fn quick_verdict(word: &str, terms: &[String]) -> Option<bool> {
    if word.is_ascii() {
        // An English stem keeps the word's letters but for the last few (`studi` of
        // `studies`, `die` of `dying`): a word no term's head starts can be no term,
        // and a word that is a term as written is one, both told without analysing it.
        let head = |t: &str| t.len().saturating_sub(2).max(1).min(t.len());
        let starts = |t: &String| {
            word.as_bytes().get(..head(t)).is_some_and(|w| w.eq_ignore_ascii_case(&t.as_bytes()[..head(t)]))
        };
        if !terms.iter().any(starts) {
            return Some(false);
        }
        if terms.iter().any(|t| t.eq_ignore_ascii_case(word)) {
            return Some(true);
        }
    } else {
        let first = word.chars().next().map(|c| c.to_lowercase().collect::<String>()).unwrap_or_default();
        if !terms.iter().any(|t| t.starts_with(first.as_str())) {
            return Some(false);
        }
    }
    None
}

/// The most words whose analyses a thread remembers; then it forgets them all.
const MAX_ANALYSED_WORDS: usize = 1 << 16;

/// The terms the index makes of a word: stemmed, and as written.
struct Analysis {
    stemmed: Box<[String]>,
    exact: Box<[String]>,
}

thread_local! {
    /// Words as written and the terms the index makes of them: the same words come back
    /// in hit after hit and query after query (`models`, `modeling` for `model`), and
    /// analysing one costs a stemmer.
    static ANALYSED: RefCell<HashMap<Box<str>, Analysis>> = const { RefCell::new(HashMap::with_hasher(rustc_hash::FxBuildHasher)) };
}

/// `with` given the analysis of `word`, remembered by the thread.
fn analysed<R>(word: &str, with: impl FnOnce(&Analysis) -> R) -> R {
    ANALYSED.with(|analysed| {
        let mut analysed = analysed.borrow_mut();
        if let Some(analysis) = analysed.get(word) {
            return with(analysis);
        }
        let analysis = Analysis {
            stemmed: crate::index::tokenizer::terms(word).into_boxed_slice(),
            exact: crate::index::tokenizer::exact_terms(word).into_boxed_slice(),
        };
        let result = with(&analysis);
        if analysed.len() >= MAX_ANALYSED_WORDS {
            analysed.clear();
        }
        analysed.insert(word.into(), analysis);
        result
    })
}

/// Whether `word`, analysed as the index analyses text, gives one of `terms`.
fn analysed_is_term(word: &str, terms: &[String]) -> bool {
    analysed(word, |a| a.stemmed.iter().chain(a.exact.iter()).any(|f| terms.contains(f)))
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
    if !text.bytes().any(|b| matches!(b, b'\n' | b'\r' | b'\t')) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' | '\t' => out.push(' '),
            '\n' => out.push_str(if rows { "; " } else { " " }),
            c => out.push(c),
        }
    }
    out
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

/// The words of a text where query terms start, found by a fast substring search for
/// each term in the lower-cased text, the terms' matches taken in text order and only as
/// far as needed.
pub struct TermFinder {
    terms: Vec<String>,
    /// How many query words the terms stand for: a word's stem and its form as written
    /// are one word, and only two words side by side make a pair.
    words: usize,
    finders: Vec<Finder<'static>>,
    /// A scanned value, lower-cased.
    lower: RefCell<Vec<u8>>,
}

/// Where a text's first query-term word is, and its first two side by side.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Places {
    first: Option<usize>,
    pair: Option<usize>,
}

/// The most words a scan analyses to tell whether they are query terms.
const MAX_CHECKED_WORDS: usize = 512;

impl TermFinder {
    #[cfg(test)]
    fn new(terms: Vec<String>) -> Self {
        let terms = dedup(terms);
        let words = word_ids(&terms).into_iter().max().map_or(0, |most| most + 1);
        TermFinder::with_words(terms, words)
    }

    /// A finder of `terms` (no repeats), which stand for `words` of the query.
    fn with_words(terms: Vec<String>, words: usize) -> Self {
        let finders = terms.iter().map(|t| Finder::new(t.as_bytes()).into_owned()).collect();
        TermFinder { terms, words, finders, lower: RefCell::new(Vec::new()) }
    }

    /// True when the word `word` (as written) is indexed as one of the terms: its stem or
    /// its exact form. `1` is not `100`, and `model` is `models` but not `remodel`.
    fn is_term(&self, word: &str) -> bool {
        if let Some(verdict) = quick_verdict(word, &self.terms) {
            return verdict;
        }
        analysed_is_term(word, &self.terms)
    }

    fn len(&self) -> usize {
        self.terms.len()
    }

    /// The first word of `text` that is a query term and, with `pair`, the first word
    /// that is one and is followed by another; the scan stops as soon as it knows.
    fn places(&self, text: &str, pair: bool) -> Places {
        let mut found = Places::default();
        if self.finders.is_empty() {
            return found;
        }
        let pair = pair && self.words > 1;
        // The text lower-cased into the finder's own buffer (reused from value to value),
        // only as far as the scan has gone: the first match is often near the start of a
        // page body tens of kilobytes long.
        let mut lower = Lowered { text: text.as_bytes(), buf: self.lower.borrow_mut() };
        lower.buf.clear();
        // Each term's next match at or after where the scan is.
        let mut next: Vec<Option<usize>> = self.finders.iter().map(|f| lower.find(f, 0)).collect();
        let mut previous: Option<usize> = None;
        let mut checked = 0;
        while let Some(at) = next.iter().flatten().copied().min() {
            for (finder, n) in self.finders.iter().zip(next.iter_mut()) {
                if *n == Some(at) {
                    *n = lower.find(finder, at + 1);
                }
            }
            if !starts_word(text, at) {
                continue;
            }
            checked += 1;
            if checked > MAX_CHECKED_WORDS {
                break;
            }
            if !self.is_term(word_at(text, at)) {
                previous = None;
                continue;
            }
            found.first.get_or_insert(at);
            if !pair {
                break;
            }
            if let Some(before) = previous
                && next_word(text, before) == Some(at)
            {
                found.pair = Some(before);
                break;
            }
            previous = Some(at);
        }
        found
    }
}

/// `terms` without repeats, in their order.
fn dedup(mut terms: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    terms
}

/// Which word each of `terms` stands for, numbered from 0 in their order: two terms are
/// one word when one is the other's stem or both have the same stem (`model`, `models`).
fn word_ids<S: AsRef<str>>(terms: &[S]) -> Vec<usize> {
    let stems: Vec<Option<String>> =
        terms.iter().map(|t| analysed(t.as_ref(), |a| a.stemmed.first().cloned())).collect();
    let same = |i: usize, j: usize| {
        let (a, b) = (terms[i].as_ref(), terms[j].as_ref());
        match (&stems[i], &stems[j]) {
            (Some(sa), Some(sb)) => sa == sb || sa == b || sb == a,
            (Some(sa), None) => sa == b,
            (None, Some(sb)) => sb == a,
            (None, None) => false,
        }
    };
    let mut ids: Vec<usize> = Vec::with_capacity(terms.len());
    let mut next = 0;
    for j in 0..terms.len() {
        let id = match (0..j).find(|&i| same(i, j)) {
            Some(i) => ids[i],
            None => {
                next += 1;
                next - 1
            }
        };
        ids.push(id);
    }
    ids
}

/// A text lower-cased (ASCII letters) on demand, as far as a search needs it.
struct Lowered<'t, 'b> {
    text: &'t [u8],
    buf: std::cell::RefMut<'b, Vec<u8>>,
}

/// How much of a text is lower-cased first; each further step doubles it.
const FIRST_LOWERED: usize = 1024;

impl Lowered<'_, '_> {
    /// Where `finder`'s needle next occurs at or after byte `from`.
    fn find(&mut self, finder: &Finder, mut from: usize) -> Option<usize> {
        let needle = finder.needle().len();
        loop {
            let have = self.buf.len();
            if from < have
                && let Some(i) = finder.find(&self.buf[from..])
            {
                return Some(from + i);
            }
            if have == self.text.len() {
                return None;
            }
            // A match not found so far ends past what was lower-cased.
            from = from.max((have + 1).saturating_sub(needle));
            let end = (have * 2).max(FIRST_LOWERED).min(self.text.len());
            self.buf.resize(end, 0);
            for (lower, &byte) in self.buf[have..end].iter_mut().zip(&self.text[have..end]) {
                *lower = byte.to_ascii_lowercase();
            }
        }
    }
}

/// True when a word starts at byte `at` of `text`.
fn starts_word(text: &str, at: usize) -> bool {
    at == 0 || !text[..at].chars().next_back().is_some_and(char::is_alphanumeric)
}

/// A fragment of about `max_chars` characters starting a little before the first word
/// that is a query term (where two terms stand side by side, as in a phrase, if they do
/// anywhere; with `pair`, only there), with every such word marked. `None` when no word
/// is a term.
#[cfg(test)]
fn quick_snippet(text: &str, terms: &[String], max_chars: usize, pair: bool, rows: bool) -> Option<Snippet> {
    let finder = TermFinder::new(terms.to_vec());
    let places = finder.places(text, true);
    let at = if pair { places.pair? } else { places.pair.or(places.first)? };
    fragment(text, at, &finder, max_chars, rows)
}

/// The fragment of about `max_chars` characters around the term word at byte `first`,
/// with every term word in it marked.
fn fragment(text: &str, first: usize, terms: &TermFinder, max_chars: usize, rows: bool) -> Option<Snippet> {
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
    let highlights = marks(fragment, terms);
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

/// The byte ranges of `fragment`'s words (as the index splits them) that are terms.
fn marks(fragment: &str, terms: &TermFinder) -> Vec<[usize; 2]> {
    let mut marks = Vec::new();
    if !fragment.is_ascii() {
        let mut tokenizer = WordTokenizer;
        let mut stream = tokenizer.token_stream(fragment);
        while stream.advance() {
            let token = stream.token();
            if terms.is_term(&fragment[token.offset_from..token.offset_to]) {
                marks.push([token.offset_from, token.offset_to]);
            }
        }
        return marks;
    }
    // ASCII text splits as the tokenizer splits it, without producing tokens: only the
    // words that start with a term's first letter are looked at.
    let mut first = [false; 256];
    for t in &terms.terms {
        if let Some(&b) = t.as_bytes().first() {
            first[b.to_ascii_lowercase() as usize] = true;
            first[b.to_ascii_uppercase() as usize] = true;
        }
    }
    let bytes = fragment.as_bytes();
    let word_end = |start: usize| {
        start + bytes[start..].iter().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(bytes.len() - start)
    };
    // Terms that start with letters: only the words that start with one of those letters
    // are looked at, found by a fast byte search. (A number can run on past a thousands
    // separator, so a term that starts with a digit has every word looked at.)
    let mut letters: Vec<u8> =
        terms.terms.iter().filter_map(|t| t.as_bytes().first().map(u8::to_ascii_lowercase)).collect();
    letters.sort_unstable();
    letters.dedup();
    if !letters.iter().any(u8::is_ascii_digit) {
        let mut starts: Vec<usize> = letters
            .iter()
            .flat_map(|&l| memchr::memchr2_iter(l, l.to_ascii_uppercase(), bytes))
            .filter(|&at| at == 0 || !bytes[at - 1].is_ascii_alphanumeric())
            .collect();
        starts.sort_unstable();
        for start in starts {
            let end = word_end(start);
            if terms.is_term(&fragment[start..end]) {
                marks.push([start, end]);
            }
        }
        return marks;
    }
    let mut i = 0;
    while let Some(skip) = bytes[i..].iter().position(u8::is_ascii_alphanumeric) {
        let start = i + skip;
        i = word_end(start);
        if bytes[start].is_ascii_digit() && i - start <= 3 && bytes[start..i].iter().all(u8::is_ascii_digit) {
            while let Some(group) = crate::index::tokenizer::thousands_group(&fragment[i..]) {
                i += 1 + group.len();
            }
        }
        if first[bytes[start] as usize] && terms.is_term(&fragment[start..i]) {
            marks.push([start, i]);
        }
    }
    marks
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
