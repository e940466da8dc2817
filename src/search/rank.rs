//! The ranking model: BM25F over a record's text fields. A word's frequency in each field
//! is normalised by that field's length, weighted by the field's weight (the schema
//! table) and summed, and only then saturated, so a word that fills a short field cannot
//! outweigh one a long body keeps returning to (Robertson and Zaragoza, "The
//! Probabilistic Relevance Framework: BM25 and Beyond", 2009, section 6). For quoted words
//! and phrases the unstemmed copy of the text is one more field, so the exact form of a
//! word counts beside its stem. A long request is expanded by pseudo-relevance feedback,
//! each feedback word weighed by Amati's Bose-Einstein model ([`bo1`]).

use std::fmt;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::{InvertedIndexReader, SegmentId};
use tantivy::postings::TermInfo;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Explanation, Occur, Query, Scorer, Weight};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term};

use crate::index::Fields;
use crate::index::schema::{RecordKind, TEXT_FIELDS, TextField};

/// The ranking's constants: one set for every corpus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranking {
    /// Term-frequency saturation.
    pub k1: f32,
    /// Length normalisation of every text field.
    pub b: f32,
    /// The weight of the exact form (the unstemmed field) of a quoted word or of a
    /// phrase's words, beside the stem.
    pub exact_weight: f32,
    /// Length normalisation of the unstemmed field.
    pub exact_b: f32,
    /// The boost of a title (or method name) that holds every word of the query.
    pub title_bonus: f32,
    /// The boost of two adjacent words of the query found side by side.
    pub adjacent_pair_boost: f32,
    /// Queries of at least this many words get the adjacent-pair bonus.
    pub adjacent_pair_min_words: usize,
    /// In a group of at least this many optional words (a request written as a sentence
    /// and searched as `a OR b OR ...`), the words of [`STOPWORDS`] are left out.
    pub stopword_min_words: usize,
    /// A query made only of at least this many optional words (a request written as a
    /// sentence) is expanded by pseudo-relevance feedback.
    pub feedback_min_words: usize,
    /// How many of the query's first records the feedback reads.
    pub feedback_records: usize,
    /// How many words the feedback adds: those the records hold most beyond chance
    /// ([`bo1`]).
    pub feedback_words: usize,
}

pub const RANKING: Ranking = Ranking {
    k1: 1.2,
    b: 0.75,
    exact_weight: 1.0,
    exact_b: 0.75,
    title_bonus: 3.0,
    adjacent_pair_boost: 0.2,
    adjacent_pair_min_words: 3,
    stopword_min_words: 5,
    feedback_min_words: 5,
    feedback_records: 10,
    feedback_words: 10,
};

/// English function words (NLTK's list, without its contractions). In a long request
/// they say how it is phrased, not what it is about, yet each one still adds its BM25F
/// share to every record it is in, and the many records that hold several of them crowd
/// out the ones that hold the request's few telling words. A short query keeps them: in
/// `the who` or `to be or not to be` they are what is asked for.
#[rustfmt::skip]
pub const STOPWORDS: &[&str] = &[
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself", "yourselves",
    "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their",
    "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "is", "are",
    "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
    "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about",
    "against", "between", "into", "through", "during", "before", "after", "above", "below", "to", "from", "up",
    "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here", "there", "when",
    "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no",
    "nor", "not", "only", "own", "same", "so", "than", "too", "very", "can", "will", "just", "don", "should", "now",
];

/// Whether `word` (as typed) is one of [`STOPWORDS`].
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word.to_lowercase().as_str())
}

/// Whether `stem` (a word as the text fields index it) is a stopword's stem (`does` is
/// indexed as `doe`).
pub fn is_stopword_stem(stem: &str) -> bool {
    static STEMS: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    STEMS.get_or_init(|| STOPWORDS.iter().flat_map(|w| crate::index::tokenizer::terms(w)).collect()).contains(stem)
}

/// The weight of a feedback word by Amati's Bose-Einstein model of randomness (Bo1, the
/// default of Terrier's query expansion): `in_feedback` is how often the feedback records
/// hold the word, `mean` how often a record holds it on average over the whole index
/// (its collection frequency over the record count). A word the feedback records hold far
/// more often than its mean predicts weighs most.
pub fn bo1(in_feedback: f32, mean: f32) -> f32 {
    let mean = mean.max(f32::MIN_POSITIVE);
    in_feedback * ((1.0 + mean) / mean).log2() + (1.0 + mean).log2()
}

/// How many times the index's records hold `term`, deleted ones included (as document
/// frequencies count them). It reads the term's postings a block at a time, frequencies
/// only.
pub fn collection_frequency(searcher: &tantivy::Searcher, term: &Term) -> tantivy::Result<u64> {
    let mut total = 0u64;
    for reader in searcher.segment_readers() {
        let inverted = reader.inverted_index(term.field())?;
        if let Some(mut blocks) = inverted.read_block_postings(term, IndexRecordOption::WithFreqs)? {
            while !blocks.docs().is_empty() {
                total += blocks.freqs().iter().map(|&f| u64::from(f)).sum::<u64>();
                blocks.advance();
            }
        }
    }
    Ok(total)
}

/// One word of a query as BM25F sees it: its term in each field it is searched in, and
/// how much it counts (how often the query repeats it, times any `^boost`).
#[derive(Clone)]
pub struct Word {
    parts: Vec<Part>,
    boost: f32,
}

#[derive(Clone)]
struct Part {
    term: Term,
    weight: f32,
    b: f32,
    /// The record kinds that carry the field (`None`: all of them).
    kinds: Option<&'static [RecordKind]>,
}

impl Word {
    /// `stemmed` is the word as the text fields index it; `exact`, when given, is its
    /// unstemmed form, also searched in the unstemmed field.
    pub fn new(fields: &Fields, searched: &[&'static TextField], stemmed: &str, exact: Option<&str>) -> Self {
        let mut parts: Vec<Part> = searched
            .iter()
            .filter_map(|t| {
                let field = fields.text(t.name)?;
                let term = Term::from_field_text(field, stemmed);
                Some(Part { term, weight: t.weight, b: RANKING.b, kinds: Some(t.kinds) })
            })
            .collect();
        if let Some(exact) = exact {
            parts.push(Part {
                term: Term::from_field_text(fields.exact, exact),
                weight: RANKING.exact_weight,
                b: RANKING.exact_b,
                kinds: None,
            });
        }
        Word { parts, boost: 1.0 }
    }

    /// A word as written searched only in the unstemmed field, which holds every text
    /// field's words: one posting list where [`Word::new`] reads one per field.
    pub fn exact(fields: &Fields, exact: &str) -> Self {
        let term = Term::from_field_text(fields.exact, exact);
        Word { parts: vec![Part { term, weight: RANKING.exact_weight, b: RANKING.exact_b, kinds: None }], boost: 1.0 }
    }

    /// The word counted `boost` times.
    pub fn boosted(mut self, boost: f32) -> Self {
        self.boost *= boost;
        self
    }
}

/// The record kinds a search keeps (`--kind`): the postings of fields no such record
/// carries need not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kinds(u8);

impl Kinds {
    pub const ALL: Kinds = Kinds(0b111);

    /// The kinds a search's kind filter keeps; none given: all of them.
    pub fn of(kinds: &[crate::search::RecordKind]) -> Kinds {
        let bits = kinds.iter().filter_map(|k| RecordKind::of(&k.facet_path()[1..])).fold(0, |b, k| b | Kinds::bit(k));
        if bits == 0 { Kinds::ALL } else { Kinds(bits) }
    }

    fn bit(kind: RecordKind) -> u8 {
        match kind {
            RecordKind::Page => 1,
            RecordKind::Caption => 2,
            RecordKind::Method => 4,
        }
    }

    /// The kinds kept; `None` when all are.
    pub fn kept(self) -> Option<Vec<RecordKind>> {
        if self == Kinds::ALL {
            return None;
        }
        let all = [RecordKind::Page, RecordKind::Caption, RecordKind::Method];
        Some(all.into_iter().filter(|&k| self.0 & Kinds::bit(k) != 0).collect())
    }

    /// Whether any of `kinds` is kept.
    fn keeps_any(self, kinds: &[RecordKind]) -> bool {
        kinds.iter().any(|&k| self.0 & Kinds::bit(k) != 0)
    }

    /// Whether every one of `kinds` is kept.
    fn keeps_all(self, kinds: &[RecordKind]) -> bool {
        kinds.iter().all(|&k| self.0 & Kinds::bit(k) != 0)
    }
}

/// Whether every record `query` matches is of a kind `kept` keeps, told from its
/// structure: a BM25F query reading only fields that records of those kinds carry, or a
/// boolean query with such a required clause (or only such optional ones). A search
/// narrowed to those kinds then needs no kind filter beside it.
pub fn within_kinds(query: &dyn Query, kept: Kinds) -> bool {
    if kept == Kinds::ALL {
        return true;
    }
    if let Some(bm25f) = query.downcast_ref::<Bm25fQuery>() {
        return bm25f.kept == kept
            && bm25f.words.iter().flat_map(|w| &w.parts).all(|p| match p.kinds {
                Some(kinds) => !kept.keeps_any(kinds) || kept.keeps_all(kinds),
                None => false,
            });
    }
    if let Some(boolean) = query.downcast_ref::<tantivy::query::BooleanQuery>() {
        let clauses = boolean.clauses();
        let required = || clauses.iter().filter(|(occur, _)| *occur == Occur::Must);
        if required().next().is_some() {
            return required().any(|(_, q)| within_kinds(q.as_ref(), kept));
        }
        let optional = || clauses.iter().filter(|(occur, _)| *occur == Occur::Should);
        return optional().next().is_some() && optional().all(|(_, q)| within_kinds(q.as_ref(), kept));
    }
    false
}

/// Calls `f` with every BM25F query in `query`, itself or among its boolean clauses.
pub fn each_bm25f(query: &dyn Query, f: &mut dyn FnMut(&Bm25fQuery)) {
    if let Some(bm25f) = query.downcast_ref::<Bm25fQuery>() {
        f(bm25f);
    } else if let Some(boolean) = query.downcast_ref::<tantivy::query::BooleanQuery>() {
        for (_, clause) in boolean.clauses() {
            each_bm25f(clause.as_ref(), f);
        }
    } else if let Some(masked) = query.downcast_ref::<super::masked::Masked>() {
        each_bm25f(masked.words(), f);
    }
}

/// Words searched in several fields at once, each scored by BM25F and the scores summed:
/// a record matches when it holds any of the words.
#[derive(Clone)]
pub struct Bm25fQuery {
    words: Vec<Word>,
    kinds: Vec<(Term, RecordKind)>,
    /// The kinds of records the search keeps.
    kept: Kinds,
    /// Whether snippets mark the words (not the words feedback added).
    marked: bool,
    /// Whether the words share one idf, the most frequent one's ([`Bm25fQuery::blended`]).
    blended: bool,
    /// Whether a record must hold every word ([`Bm25fQuery::all_required`]).
    required: bool,
    /// How many records hold each part's term, as the first weight found (shared by the
    /// query's clones): what a snippet asks of the same terms.
    found: Arc<std::sync::OnceLock<Vec<(Term, u64)>>>,
}

impl fmt::Debug for Bm25fQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let terms: Vec<&Term> = self.words.iter().flat_map(|w| w.parts.iter().map(|p| &p.term)).collect();
        f.debug_struct("Bm25fQuery").field("terms", &terms).finish()
    }
}

impl Bm25fQuery {
    pub fn new(fields: &Fields, words: Vec<Word>) -> Self {
        let kinds = [RecordKind::Page, RecordKind::Caption, RecordKind::Method]
            .into_iter()
            .map(|k| (Term::from_facet(fields.kind_facet, &Facet::from(k.facet_path())), k))
            .collect();
        Bm25fQuery {
            words,
            kinds,
            kept: Kinds::ALL,
            marked: true,
            blended: false,
            required: false,
            found: Arc::default(),
        }
    }

    /// How many records hold each of the query's terms, once a weight has looked them up
    /// in every segment; empty before.
    pub fn doc_freqs(&self) -> &[(Term, u64)] {
        self.found.get().map_or(&[], Vec::as_slice)
    }

    /// The words share one idf, that of the most frequent of them: the spellings of one
    /// word (its typos), where a rare lookalike would otherwise outrank the common word
    /// on its rarity alone (Lucene blends a fuzzy query's term frequencies so).
    pub fn blended(mut self) -> Self {
        self.blended = true;
        self
    }

    /// Reads only the fields that records of `kept` kinds carry. The words' statistics
    /// still come from every field, so the scores of the records kept are the same.
    pub fn kept(mut self, kept: Kinds) -> Self {
        self.kept = kept;
        self
    }

    /// Whether its best records are found without scoring every record
    /// ([`Bm25fScorer::prune`]), so that counting them apart costs less than scoring all.
    pub fn prunes(&self) -> bool {
        self.words.len() >= 2 && !self.required
    }

    /// Every word required: the records holding all of them (`video model`), gathered a
    /// window at a time as a union's are, instead of each word's scorer seeking the other
    /// record by record. Scored as the words' scores summed, as an intersection sums them.
    pub fn all_required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The terms of its words, a field at a time.
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        self.words.iter().flat_map(|w| w.parts.iter().map(|p| &p.term))
    }

    /// Words that rank records but are not the query's own: snippets do not mark them.
    pub fn unmarked(mut self) -> Self {
        self.marked = false;
        self
    }
}

/// The text fields a word without a field name is searched in.
pub fn default_fields() -> Vec<&'static TextField> {
    TEXT_FIELDS.iter().filter(|f| f.weight > 0.0).collect()
}

/// The Robertson/Spärck Jones inverse document frequency, as Okapi BM25 (and SQLite's
/// FTS5) have it: a word in more than half the records tells nearly nothing, so its idf
/// is floored near zero rather than kept at tantivy's `ln 2`.
fn idf(doc_freq: u64, docs: u64) -> f32 {
    let x = (docs.saturating_sub(doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
    // The same logarithm as the C library's (both are ARM's optimized-routines logf), but
    // compiled into this executable, beside the other functions a search runs: the C
    // library's cost every search process two or three page faults (its code and its
    // table) at its first word.
    libm::logf(x).max(IDF_FLOOR)
}

/// The idf of a word nearly every record holds: small, so that it still orders records
/// that hold nothing else of the query.
const IDF_FLOOR: f32 = 1e-3;

/// The records a query's weight matches over all segments, counted in record order and
/// stopped once at least `cap` are counted: the count, and whether it is every match.
/// A million-record union is counted in a few windows instead of to its end.
/// With a `filter`, only the records its masks keep are counted.
pub(crate) fn count_up_to(
    weight: &Bm25fWeight,
    searcher: &Searcher,
    cap: Option<u32>,
    filter: Option<&super::masked::Filter>,
) -> tantivy::Result<(usize, bool)> {
    let mut total = 0usize;
    for reader in searcher.segment_readers() {
        let mask = filter.map(|f| f.mask(reader)).transpose()?;
        let Some(cap) = cap.or(mask.as_ref().map(|_| u32::MAX)) else {
            total += weight.count(reader)? as usize;
            continue;
        };
        let left = u32::try_from(cap as usize - total.min(cap as usize)).unwrap_or(u32::MAX);
        let (count, every) = weight.count_up_to(reader, left, COUNT_WINDOW, mask.as_deref())?;
        total += count as usize;
        if !every {
            return Ok((total, false));
        }
    }
    Ok((total, true))
}

impl Query for Bm25fQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.bm25f_weight(scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        if !self.marked {
            return;
        }
        for p in self.words.iter().flat_map(|w| &w.parts) {
            visitor(&p.term, false);
        }
    }
}

impl Bm25fQuery {
    /// The query's weight, scored with `searcher`'s statistics.
    pub(crate) fn scored_weight(&self, searcher: &Searcher) -> tantivy::Result<Bm25fWeight> {
        self.bm25f_weight(EnableScoring::enabled_from_searcher(searcher))
    }

    fn bm25f_weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Bm25fWeight> {
        // Every part's term is looked up once per segment, here: the statistics and each
        // segment's scorer read what was found instead of looking it up again.
        let lookups = match scoring.searcher() {
            Some(searcher) => Lookups::new(searcher, self.words.iter().flat_map(|w| &w.parts))?,
            None => Lookups::default(),
        };
        if scoring.searcher().is_some() && self.found.get().is_none() {
            let parts = self.words.iter().flat_map(|w| &w.parts);
            let _ = self.found.set(parts.enumerate().map(|(i, p)| (p.term.clone(), lookups.counts(i).0)).collect());
        }
        let of_kind = match scoring {
            EnableScoring::Enabled { searcher, .. } => {
                let mut counts = Vec::with_capacity(self.kinds.len());
                for (term, kind) in &self.kinds {
                    counts.push((*kind, searcher.doc_freq(term)?));
                }
                Some(counts)
            }
            EnableScoring::Disabled { .. } => None,
        };
        let mut at = 0;
        let mut stats = Vec::with_capacity(self.words.len());
        for word in &self.words {
            stats.push(match (&scoring, &of_kind) {
                (EnableScoring::Enabled { searcher, statistics_provider }, Some(of_kind)) => {
                    // The counts found are the searcher's own; another provider is asked.
                    let own = std::ptr::addr_eq(*statistics_provider as *const _, *searcher as *const Searcher);
                    let stats = Statistics { provider: *statistics_provider, lookups: own.then_some(&lookups), at };
                    statistics(word, &stats, of_kind)?
                }
                _ => (0.0, vec![Some(1.0); word.parts.len()]),
            });
            at += word.parts.len();
        }
        if self.blended {
            // The lowest idf of the words any record holds: the most frequent one's.
            let held = stats.iter().filter(|(_, averages)| averages.iter().any(Option::is_some));
            if let Some(shared) = held.map(|(idf, _)| *idf).reduce(f32::min) {
                stats.iter_mut().for_each(|(idf, _)| *idf = shared);
            }
        }
        let mut words = Vec::with_capacity(self.words.len());
        // Per word, the indices of its parts' lookups.
        let mut looked_up: Vec<Vec<usize>> = Vec::with_capacity(self.words.len());
        let mut at = 0;
        for (word, (idf, averages)) in self.words.iter().zip(stats) {
            let mut parts = Vec::with_capacity(word.parts.len());
            let mut found = Vec::with_capacity(word.parts.len());
            for (p, average) in word.parts.iter().zip(averages) {
                let part = at;
                at += 1;
                if p.kinds.is_some_and(|kinds| !self.kept.keeps_any(kinds)) {
                    continue;
                }
                let Some(average) = average else { continue };
                parts.push(WeightedPart { term: p.term.clone(), scale: Scale { weight: p.weight, b: p.b, average } });
                found.push(part);
            }
            words.push(WeightedWord { parts, factor: idf * (RANKING.k1 + 1.0) * word.boost });
            looked_up.push(found);
        }
        if words.len() > PRUNED_WORDS {
            // Many words (a prefix's or a typo's terms) are pruned among in the order of
            // their bounds, highest first ([`Bm25fScorer::prune_many`]); every way of
            // scoring sums the words in this one order, so all give the same scores.
            let mut order: Vec<usize> = (0..words.len()).collect();
            order.sort_by(|&a, &b| words[b].factor.total_cmp(&words[a].factor));
            let mut taken: Vec<Option<WeightedWord>> = words.into_iter().map(Some).collect();
            words = order.iter().filter_map(|&i| taken[i].take()).collect();
            looked_up = order.iter().map(|&i| std::mem::take(&mut looked_up[i])).collect();
        }
        let looked_up: Vec<usize> = looked_up.into_iter().flatten().collect();
        Ok(Bm25fWeight {
            words,
            lookups: lookups.keep(&looked_up),
            required: self.required,
            seen: Default::default(),
            skipped: Default::default(),
        })
    }
}

/// Where a word's statistics come from: the terms looked up for the weight when they
/// are the provider's own (`lookups`, the word's parts from `at` on), else the provider.
struct Statistics<'a> {
    provider: &'a dyn Bm25StatisticsProvider,
    lookups: Option<&'a Lookups>,
    at: usize,
}

/// A word's idf over all records (its document frequency taken as the largest of its
/// fields'), and each field's average length over the records of the kinds that carry it.
fn statistics(
    word: &Word,
    stats: &Statistics<'_>,
    of_kind: &[(RecordKind, u64)],
) -> tantivy::Result<(f32, Vec<Option<f32>>)> {
    let docs = stats.provider.total_num_docs()?.max(1);
    let mut doc_freq = 0;
    let mut averages = Vec::with_capacity(word.parts.len());
    for (i, p) in word.parts.iter().enumerate() {
        let (in_field, tokens) = match stats.lookups {
            Some(lookups) => lookups.counts(stats.at + i),
            None => (stats.provider.doc_freq(&p.term)?, stats.provider.total_num_tokens(p.term.field())?),
        };
        doc_freq = doc_freq.max(in_field);
        if in_field == 0 {
            // No record holds the word in this field: the scorer skips it.
            averages.push(None);
            continue;
        }
        let carriers = match p.kinds {
            Some(kinds) => of_kind.iter().filter(|(k, _)| kinds.contains(k)).map(|(_, n)| n).sum::<u64>(),
            None => docs,
        };
        averages.push(Some(tokens as f32 / carriers.max(1) as f32));
    }
    Ok((idf(doc_freq, docs), averages))
}

/// Terms looked up in every segment of a searcher: per segment, per term, the field's
/// inverted index and the term's entry in it (`None`: no record of the segment holds it).
#[derive(Default)]
struct Lookups {
    segments: Vec<(SegmentId, Vec<Found>)>,
}

/// A term's field's inverted index in a segment, and the term's entry in it.
type Found = (Arc<InvertedIndexReader>, Option<TermInfo>);

impl Lookups {
    fn new<'a>(searcher: &Searcher, parts: impl Iterator<Item = &'a Part> + Clone) -> tantivy::Result<Self> {
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let mut found = Vec::new();
            for p in parts.clone() {
                let inverted = reader.inverted_index(p.term.field())?;
                let info = inverted.get_term_info(&p.term)?;
                found.push((inverted, info));
            }
            segments.push((reader.segment_id(), found));
        }
        Ok(Lookups { segments })
    }

    /// The records holding term `i` and the tokens of its field, over all segments (as
    /// the searcher counts them: deleted records too).
    fn counts(&self, i: usize) -> (u64, u64) {
        let (mut docs, mut tokens) = (0, 0);
        for (_, found) in &self.segments {
            if let Some((inverted, info)) = found.get(i) {
                docs += info.as_ref().map_or(0, |t| u64::from(t.doc_freq));
                tokens += inverted.total_num_tokens();
            }
        }
        (docs, tokens)
    }

    /// Only the terms at `kept`, in that order.
    fn keep(self, kept: &[usize]) -> Lookups {
        let segments = self
            .segments
            .into_iter()
            .map(|(id, found)| (id, kept.iter().filter_map(|&i| found.get(i).cloned()).collect()))
            .collect();
        Lookups { segments }
    }

    /// What was found for the terms in `reader`'s segment, if it was looked up.
    fn of(&self, reader: &SegmentReader) -> Option<&[Found]> {
        let id = reader.segment_id();
        self.segments.iter().find(|(s, _)| *s == id).map(|(_, found)| found.as_slice())
    }
}

struct WeightedPart {
    term: Term,
    scale: Scale,
}

/// How a field's term frequencies count: its weight over its length normalisation.
#[derive(Clone, Copy)]
struct Scale {
    weight: f32,
    b: f32,
    /// The field's average length over the records that carry it.
    average: f32,
}

impl Scale {
    /// The field's weight over its length normalisation, for a fieldnorm id.
    fn norm(&self, id: u8) -> f32 {
        let length = FieldNormReader::id_to_fieldnorm(id) as f32;
        self.weight / (1.0 - self.b + self.b * length / self.average.max(1e-6))
    }
}

struct WeightedWord {
    parts: Vec<WeightedPart>,
    /// idf × (k1 + 1) × the word's boost.
    factor: f32,
}

pub(crate) struct Bm25fWeight {
    words: Vec<WeightedWord>,
    /// The parts' terms, in word order, as looked up in each segment.
    lookups: Lookups,
    /// Every word required ([`Bm25fQuery::all_required`]).
    required: bool,
    /// The live records the best-records passes ([`Weight::for_each_pruning`]) went
    /// through, when they went through every match ([`Bm25fWeight::matches_seen`]).
    seen: std::sync::atomic::AtomicU64,
    /// Whether some such pass left records out (pruning by the words' bounds).
    skipped: std::sync::atomic::AtomicBool,
}

impl Weight for Bm25fWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(self.bm25f_scorer(reader, boost)?))
    }

    fn for_each(&self, reader: &SegmentReader, callback: &mut dyn FnMut(DocId, Score)) -> tantivy::Result<()> {
        self.bm25f_scorer(reader, 1.0)?.each_scored(callback);
        Ok(())
    }

    /// The best records only (top hits without a count in the same pass): see
    /// [`Bm25fScorer::prune`].
    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let alive = reader.alive_bitset();
        match self.bm25f_scorer(reader, 1.0)?.prune(reader.max_doc(), threshold, callback, alive) {
            Some(seen) => self.seen.fetch_add(seen, std::sync::atomic::Ordering::Relaxed),
            None => u64::from(self.skipped.swap(true, std::sync::atomic::Ordering::Relaxed)),
        };
        Ok(())
    }

    /// The records holding any word, counted from the document lists alone (no term
    /// frequencies, no scores), a block of postings at a time, into one bit per record.
    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        if self.required {
            return self.count_all_required(reader);
        }
        // A list holds a decoded block (over a kilobyte): made room for once, not moved
        // again as the vector grows.
        let mut lists = Vec::with_capacity(self.words.iter().map(|w| w.parts.len()).sum());
        for (i, p) in self.words.iter().flat_map(|w| &w.parts).enumerate() {
            let (inverted, info) = self.lookup(reader, i, &p.term)?;
            if let Some(info) = info {
                lists.push(inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?);
            }
        }
        let alive = reader.alive_bitset();
        if let ([list], None) = (&lists[..], alive) {
            return Ok(list.doc_freq());
        }
        let mut bits = vec![0u64; (reader.max_doc() as usize).div_ceil(64)];
        for list in &mut lists {
            while !list.docs().is_empty() {
                for &doc in list.docs() {
                    if let Some(word) = bits.get_mut(doc as usize / 64) {
                        *word |= 1 << (doc % 64);
                    }
                }
                list.advance();
            }
        }
        let count = match alive {
            None => bits.iter().map(|w| w.count_ones()).sum(),
            Some(alive) => {
                let mut count = 0;
                for (slot, &word) in bits.iter().enumerate() {
                    let mut rest = word;
                    while rest != 0 {
                        let doc = (slot * 64) as u32 + rest.trailing_zeros();
                        rest &= rest - 1;
                        count += u32::from(alive.is_alive(doc));
                    }
                }
                count
            }
        };
        Ok(count)
    }

    /// Unscored (a count, a date order, facets alone): the records holding any word,
    /// a window at a time, without term frequencies or lengths.
    fn for_each_no_score(&self, reader: &SegmentReader, callback: &mut dyn FnMut(&[DocId])) -> tantivy::Result<()> {
        let mut scorer = self.bm25f_scorer(reader, 1.0)?;
        if self.required {
            // The records every word is on: the scorer's own windows.
            let mut buffer: Vec<DocId> = Vec::with_capacity(BLOCK);
            while scorer.doc() != TERMINATED {
                buffer.push(scorer.doc());
                if buffer.len() == BLOCK {
                    callback(&buffer);
                    buffer.clear();
                }
                scorer.advance();
            }
            if !buffer.is_empty() {
                callback(&buffer);
            }
            return Ok(());
        }
        let mut lists: Vec<&mut SegmentPostings> =
            scorer.words.iter_mut().flat_map(|w| w.postings.iter_mut().map(|p| &mut p.list)).collect();
        let mut present = [0u64; WINDOW as usize / 64];
        let mut buffer: Vec<DocId> = Vec::with_capacity(BLOCK);
        loop {
            let start = lists.iter().map(|l| l.doc()).min().unwrap_or(TERMINATED);
            if start == TERMINATED {
                break;
            }
            let horizon = start.saturating_add(WINDOW);
            for list in lists.iter_mut() {
                let mut d = list.doc();
                while d < horizon {
                    let i = (d - start) as usize;
                    present[i / 64] |= 1 << (i % 64);
                    d = list.advance();
                }
            }
            for (slot, bits) in present.iter_mut().enumerate() {
                let mut rest = std::mem::take(bits);
                while rest != 0 {
                    buffer.push(start + (slot * 64) as u32 + rest.trailing_zeros());
                    rest &= rest - 1;
                    if buffer.len() == BLOCK {
                        callback(&buffer);
                        buffer.clear();
                    }
                }
            }
        }
        if !buffer.is_empty() {
            callback(&buffer);
        }
        Ok(())
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.bm25f_scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document #({doc}) does not match")));
        }
        Ok(Explanation::new("BM25F", scorer.score()))
    }
}

impl Bm25fWeight {
    /// How many live records the best-records passes ([`Weight::for_each_pruning`]) of
    /// this weight went through, where each went through every match: the count of the
    /// matches, taken in the pass that finds the best of them. `None` where a pass pruned.
    pub(crate) fn matches_seen(&self) -> Option<u64> {
        use std::sync::atomic::Ordering::Relaxed;
        (!self.skipped.load(Relaxed)).then(|| self.seen.load(Relaxed))
    }

    /// The records of `reader`'s segment holding any word, counted `window` records at a
    /// time in record order, from the document lists alone, until at least `cap` are:
    /// the count, and whether it is every match (the lists ran out).
    fn count_up_to(
        &self,
        reader: &SegmentReader,
        cap: u32,
        window: u32,
        mask: Option<&super::masked::Mask>,
    ) -> tantivy::Result<(u32, bool)> {
        if self.required {
            let alive = reader.alive_bitset();
            let mut scorer = self.bm25f_scorer(reader, 1.0)?;
            let mut count = 0u32;
            while scorer.doc() != TERMINATED {
                let doc = scorer.doc();
                count += u32::from(mask.is_none_or(|m| m.contains(doc)) && alive.is_none_or(|a| a.is_alive(doc)));
                if count >= cap {
                    return Ok((count, scorer.advance() == TERMINATED));
                }
                scorer.advance();
            }
            return Ok((count, true));
        }
        // A list holds a decoded block (over a kilobyte): made room for once, not moved
        // again as the vector grows.
        let mut lists = Vec::with_capacity(self.words.iter().map(|w| w.parts.len()).sum());
        for (i, p) in self.words.iter().flat_map(|w| &w.parts).enumerate() {
            let (inverted, info) = self.lookup(reader, i, &p.term)?;
            if let Some(info) = info {
                lists.push((inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?, 0usize));
            }
        }
        let alive = reader.alive_bitset();
        // Without a mask, the lengths of the lists can tell.
        if mask.is_none() {
            if let ([(list, _)], None) = (&lists[..], alive) {
                return Ok((list.doc_freq(), true));
            }
            // One list long enough to reach the cap alone (no record deleted): at least
            // its length match, told without reading any.
            let longest = lists.iter().map(|(list, _)| list.doc_freq()).max().unwrap_or(0);
            if alive.is_none() && longest >= cap {
                let every = lists.iter().filter(|(list, _)| list.doc_freq() > 0).count() == 1;
                return Ok((longest, every));
            }
            // Lists too short to reach the cap together are counted whole.
            if lists.iter().map(|(list, _)| u64::from(list.doc_freq())).sum::<u64>() < u64::from(cap) {
                return Ok((self.count(reader)?, true));
            }
        }
        let window = window.max(64);
        let mut present = vec![0u64; window.div_ceil(64) as usize];
        let mut count = 0u32;
        loop {
            let start = lists.iter().filter_map(|(list, at)| list.docs().get(*at).copied()).min();
            let Some(start) = start else { return Ok((count, true)) };
            let horizon = start.saturating_add(window);
            for (list, at) in &mut lists {
                while !list.docs().is_empty() {
                    let docs = list.docs();
                    while let Some(&doc) = docs.get(*at).filter(|&&d| d < horizon) {
                        let i = (doc - start) as usize;
                        present[i / 64] |= 1 << (i % 64);
                        *at += 1;
                    }
                    if *at < docs.len() {
                        break;
                    }
                    list.advance();
                    *at = 0;
                }
            }
            for (slot, bits) in present.iter_mut().enumerate() {
                let mut rest = std::mem::take(bits);
                match (alive, mask) {
                    (None, None) => count += rest.count_ones(),
                    (alive, Some(mask)) => {
                        while rest != 0 {
                            let doc = start + (slot * 64) as u32 + rest.trailing_zeros();
                            count += u32::from(mask.contains(doc) && alive.is_none_or(|a| a.is_alive(doc)));
                            rest &= rest - 1;
                        }
                    }
                    (Some(alive), None) => {
                        while rest != 0 {
                            count += u32::from(alive.is_alive(start + (slot * 64) as u32 + rest.trailing_zeros()));
                            rest &= rest - 1;
                        }
                    }
                }
            }
            if count >= cap {
                let more = lists.iter().any(|(list, at)| *at < list.docs().len());
                return Ok((count, !more));
            }
        }
    }

    /// Part `i`'s term in `reader`'s segment: its field's inverted index and its entry,
    /// as looked up for the weight (else looked up now).
    fn lookup(&self, reader: &SegmentReader, i: usize, term: &Term) -> tantivy::Result<Found> {
        if let Some(found) = self.lookups.of(reader).and_then(|found| found.get(i)) {
            return Ok(found.clone());
        }
        let inverted = reader.inverted_index(term.field())?;
        let info = inverted.get_term_info(term)?;
        Ok((inverted, info))
    }

    fn bm25f_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Bm25fScorer> {
        let mut words = Vec::with_capacity(self.words.len());
        let mut i = 0;
        for word in &self.words {
            // Room made once: a list holds a decoded block (over a kilobyte).
            let mut postings = Vec::with_capacity(word.parts.len());
            for p in &word.parts {
                let (inverted, info) = self.lookup(reader, i, &p.term)?;
                i += 1;
                if let Some(info) = info {
                    let list = inverted.read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)?;
                    let fieldnorms = reader.get_fieldnorms_reader(p.term.field())?;
                    let part = p.scale;
                    postings.push(FieldPostings { list, fieldnorms, part, norms: None });
                }
            }
            if !postings.is_empty() {
                words.push(WordPostings { postings, factor: word.factor * boost });
            } else if self.required {
                // A word no record of the segment holds: none holds them all.
                return Ok(Bm25fScorer::new(Vec::new(), false));
            }
        }
        Ok(Bm25fScorer::new(words, self.required))
    }

    /// The records holding every word, from the document lists alone: each word's
    /// fields' lists into one bit per record, the words' bits intersected.
    fn count_all_required(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        let slots = (reader.max_doc() as usize).div_ceil(64);
        let mut all: Option<Vec<u64>> = None;
        let mut i = 0;
        for word in &self.words {
            let mut bits = vec![0u64; slots];
            for p in &word.parts {
                let (inverted, info) = self.lookup(reader, i, &p.term)?;
                i += 1;
                let Some(info) = info else { continue };
                let mut list = inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
                while !list.docs().is_empty() {
                    for &doc in list.docs() {
                        if let Some(w) = bits.get_mut(doc as usize / 64) {
                            *w |= 1 << (doc % 64);
                        }
                    }
                    list.advance();
                }
            }
            match &mut all {
                None => all = Some(bits),
                Some(all) => all.iter_mut().zip(&bits).for_each(|(a, b)| *a &= b),
            }
        }
        let Some(all) = all else { return Ok(0) };
        Ok(match reader.alive_bitset() {
            None => all.iter().map(|w| w.count_ones()).sum(),
            Some(alive) => {
                let mut count = 0;
                for (slot, &word) in all.iter().enumerate() {
                    let mut rest = word;
                    while rest != 0 {
                        count += u32::from(alive.is_alive((slot * 64) as u32 + rest.trailing_zeros()));
                        rest &= rest - 1;
                    }
                }
                count
            }
        })
    }
}

struct FieldPostings {
    list: SegmentPostings,
    fieldnorms: FieldNormReader,
    part: Scale,
    /// `part.norm` per fieldnorm id, built when a window is first gathered (records
    /// scored one by one compute theirs).
    norms: Option<Box<[f32; 256]>>,
}

struct WordPostings {
    postings: Vec<FieldPostings>,
    factor: f32,
}

impl WordPostings {
    /// The word's score in record `doc` (0 where it is not there), its lists sought to it.
    fn score_at(&mut self, doc: DocId) -> f32 {
        let mut tf = 0.0;
        for p in &mut self.postings {
            if p.list.doc() < doc {
                p.list.seek(doc);
            }
            if p.list.doc() == doc {
                tf += p.list.term_freq() as f32 * p.part.norm(p.fieldnorms.fieldnorm_id(doc));
            }
        }
        if tf > 0.0 { self.factor * tf / (RANKING.k1 + tf) } else { 0.0 }
    }
}

/// Documents are gathered a window at a time, each field's postings read in one run, as
/// tantivy's own union does: the cost follows the postings, not documents × fields. Half
/// tantivy's 4,096: a window's scores and term frequencies (16 KiB) leave more of the
/// core's first-level cache to the postings; a word on about a thousand of 50,000
/// records took 5% less (the bench's `one_term`, queries one at a time).
const WINDOW: u32 = 2048;

/// Records a capped count takes at a time: a window of 8 KiB of bits.
const COUNT_WINDOW: u32 = 1 << 16;

/// A seek this close to the one before is close; after this many close seeks in a
/// row, seeks are served from windows.
const CLOSE_SEEK: u32 = 64;
const DENSE_SEEKS: u32 = 16;

/// The most words [`Bm25fScorer::prune`] prunes among (each holds a window of term
/// frequencies); longer queries score every record.
const PRUNED_WORDS: usize = 8;

/// Whether a score of at most `bound` cannot get above `threshold`, with a margin for
/// the rounding of sums taken in another order.
fn below(bound: f32, threshold: Score) -> bool {
    threshold > 0.0 && bound * (1.0 + 1e-5) <= threshold
}

/// A word on at most this many of a window's records (its postings there, over its
/// fields) has them scored one by one rather than the window's slots scanned.
const SPARSE: usize = 64;

/// With every word required, a word on fewer records than the other words' lists hold
/// over this many times (per other word) leads alone ([`Bm25fScorer::leapfrog`]);
/// otherwise windows of all the words are gathered. Measured on the bench's `and_two` pairs at 5,000 pages and
/// two common words at 100,000: a pair of words within 4x of each other is gathered
/// faster, a rarer one sought faster (16 and 128 made pairs 4 to 40x apart 15 to 40 %
/// slower than the intersection of one query per word).
const LEAPFROG: u64 = 4;

/// How many unscored documents are handed on at once.
const BLOCK: usize = 64;

/// The records holding any of the words, with the sum of the words' BM25F scores.
struct Bm25fScorer {
    words: Vec<WordPostings>,
    /// The current document, `TERMINATED` at the end.
    doc: DocId,
    /// The first document of the window.
    start: DocId,
    /// Per document of the window: its score so far.
    scores: Vec<f32>,
    /// Which documents of the window match.
    present: Box<[u64; WINDOW as usize / 64]>,
    /// One word's weighted, normalised term frequency per document, while gathering.
    tfs: Vec<f32>,
    /// The documents `tfs` holds a value for.
    gathered: Box<[u64; WINDOW as usize / 64]>,
    /// Where in the window a word's first [`SPARSE`] postings are, while gathering.
    sparse: [u16; SPARSE],
    /// Point mode: the current document was sought alone, outside any window (the
    /// window is empty then, and the postings on it not yet advanced); its score once
    /// asked for.
    point: Option<Option<f32>>,
    /// The last target sought outside the window, and how many such seeks in a row
    /// came close to the one before.
    last_sought: Option<DocId>,
    close_seeks: u32,
    /// Every word required: a record is on only when all the words are.
    required: bool,
    /// Every word required and one word on far fewer records than the rest hold: its
    /// records are taken one by one, each sought in the other words' lists and scored
    /// alone (point mode throughout), rather than windows of the others gathered whole.
    leapfrog: bool,
    /// While gathering with every word required: the records all the words so far hold.
    every: Box<[u64; WINDOW as usize / 64]>,
}

impl Bm25fScorer {
    fn new(words: Vec<WordPostings>, required: bool) -> Self {
        let costs: Vec<u64> =
            words.iter().map(|w| w.postings.iter().map(|p| u64::from(p.list.size_hint())).sum()).collect();
        let fewest = costs.iter().copied().min().unwrap_or(0);
        let rest = costs.iter().sum::<u64>() - fewest;
        // Each of the leading word's records is sought in every other word's lists.
        let others = costs.len().saturating_sub(1) as u64;
        let leapfrog = required && fewest.saturating_mul(LEAPFROG * others) < rest;
        let mut scorer = Bm25fScorer {
            words,
            doc: 0,
            start: 0,
            // Allocated on the first window: a scorer that is only sought (beside a
            // required clause) scores records one by one and never needs them.
            scores: Vec::new(),
            present: Box::new([0; WINDOW as usize / 64]),
            tfs: Vec::new(),
            gathered: Box::new([0; WINDOW as usize / 64]),
            sparse: [0; SPARSE],
            point: None,
            last_sought: None,
            close_seeks: 0,
            required,
            leapfrog,
            every: Box::new([0; WINDOW as usize / 64]),
        };
        scorer.settle(0);
        scorer
    }

    /// Moves to the first document at or after `target` that any word is on (postings
    /// sought there), to be scored alone when its score is asked for: point mode, the
    /// window empty. (An intersection seeking many records that turn out not to match
    /// never scores them.)
    fn settle(&mut self, target: DocId) -> DocId {
        let lowest = if self.required { self.first_of_all(target) } else { self.first_of_any(target) };
        self.doc = lowest;
        self.point = if lowest == TERMINATED { None } else { Some(None) };
        lowest
    }

    /// The first document at or after `target` any word is on, every list sought there.
    fn first_of_any(&mut self, target: DocId) -> DocId {
        let mut lowest = TERMINATED;
        for p in self.words.iter_mut().flat_map(|w| w.postings.iter_mut()) {
            let d = if p.list.doc() < target { p.list.seek(target) } else { p.list.doc() };
            lowest = lowest.min(d);
        }
        lowest
    }

    /// The first document at or after `target` every word is on (each word's lists
    /// sought to it in turn, from the furthest any word's first document is).
    fn first_of_all(&mut self, mut target: DocId) -> DocId {
        if self.words.is_empty() {
            return TERMINATED;
        }
        loop {
            let mut furthest = target;
            let mut all_there = true;
            for word in &mut self.words {
                let mut first = TERMINATED;
                for p in &mut word.postings {
                    let d = if p.list.doc() < furthest { p.list.seek(furthest) } else { p.list.doc() };
                    first = first.min(d);
                }
                if first == TERMINATED {
                    return TERMINATED;
                }
                all_there &= first == furthest;
                furthest = furthest.max(first);
            }
            if all_there {
                return furthest;
            }
            target = furthest;
        }
    }

    /// The score of the document the postings are on, in point mode.
    fn point_score(&self) -> f32 {
        let doc = self.doc;
        let mut score = 0.0;
        for word in &self.words {
            let mut tf = 0.0;
            for p in word.postings.iter().filter(|p| p.list.doc() == doc) {
                tf += p.list.term_freq() as f32 * p.part.norm(p.fieldnorms.fieldnorm_id(doc));
            }
            if tf > 0.0 {
                score += word.factor * tf / (RANKING.k1 + tf);
            }
        }
        score
    }

    /// Gathers the next window, from the lowest document any word is on, and moves to
    /// its first document.
    fn refill(&mut self) -> DocId {
        if self.required {
            return self.refill_all_required();
        }
        let lowest = self.words.iter().flat_map(|w| w.postings.iter().map(|p| p.list.doc())).min();
        let Some(start) = lowest.filter(|&d| d != TERMINATED) else {
            self.doc = TERMINATED;
            return TERMINATED;
        };
        self.start = start;
        self.gather(start, self.words.len());
        self.doc = start;
        start
    }

    /// [`Self::refill`] with every word required: the window starts at the first record
    /// every word may be on (the furthest of the words' first records), and windows
    /// where no record holds them all are passed over.
    fn refill_all_required(&mut self) -> DocId {
        if self.leapfrog {
            return self.settle(0);
        }
        loop {
            let mut start = 0;
            for word in &self.words {
                let first = word.postings.iter().map(|p| p.list.doc()).min().unwrap_or(TERMINATED);
                start = start.max(first);
            }
            if self.words.is_empty() || start == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            for p in self.words.iter_mut().flat_map(|w| w.postings.iter_mut()) {
                if p.list.doc() < start {
                    p.list.seek(start);
                }
            }
            self.start = start;
            self.gather(start, self.words.len());
            if let Some(slot) = self.present.iter().position(|&bits| bits != 0) {
                self.doc = start + (slot * 64) as u32 + self.present[slot].trailing_zeros();
                return self.doc;
            }
        }
    }

    /// Gathers the window from `start` of the first `words` words: each record's score
    /// from them, summed word by word in word order, and which records hold any.
    fn gather(&mut self, start: DocId, words: usize) {
        if self.scores.is_empty() {
            self.scores = vec![0.0; WINDOW as usize];
            self.tfs = vec![0.0; WINDOW as usize];
        }
        let horizon = start.saturating_add(WINDOW);
        let required = self.required;
        if required {
            self.every.fill(!0);
        }
        for word in &mut self.words[..words] {
            // The first postings of the window, by where they are in it: a word on few of
            // the window's records (one of a prefix's many completions) has only those
            // scored, not the window's every slot scanned.
            let mut taken = 0;
            for p in &mut word.postings {
                let mut d = p.list.doc();
                let part = &p.part;
                let norms = p.norms.get_or_insert_with(|| Box::new(std::array::from_fn(|id| part.norm(id as u8))));
                while d < horizon {
                    let i = (d - start) as usize;
                    self.gathered[i / 64] |= 1 << (i % 64);
                    if let Some(at) = self.sparse.get_mut(taken) {
                        *at = i as u16;
                    }
                    taken += 1;
                    let norm = norms[p.fieldnorms.fieldnorm_id(d) as usize];
                    self.tfs[i] += p.list.term_freq() as f32 * norm;
                    d = p.list.advance();
                }
            }
            if taken <= SPARSE {
                if required {
                    let mut held = [0u64; WINDOW as usize / 64];
                    for &i in &self.sparse[..taken] {
                        held[usize::from(i) / 64] |= 1 << (i % 64);
                    }
                    self.every.iter_mut().zip(&held).for_each(|(e, h)| *e &= h);
                }
                for &i in &self.sparse[..taken] {
                    let (slot, bit) = (usize::from(i) / 64, 1u64 << (i % 64));
                    // A record two of the word's fields hold is listed twice; scored once.
                    if self.gathered[slot] & bit == 0 {
                        continue;
                    }
                    self.gathered[slot] &= !bit;
                    self.present[slot] |= bit;
                    let tf = std::mem::take(&mut self.tfs[usize::from(i)]);
                    self.scores[usize::from(i)] += word.factor * tf / (RANKING.k1 + tf);
                }
                continue;
            }
            for (slot, bits) in self.gathered.iter_mut().enumerate() {
                let mut rest = std::mem::take(bits);
                self.present[slot] |= rest;
                if required {
                    self.every[slot] &= rest;
                }
                while rest != 0 {
                    let i = slot * 64 + rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    let tf = std::mem::take(&mut self.tfs[i]);
                    self.scores[i] += word.factor * tf / (RANKING.k1 + tf);
                }
            }
        }
        if required {
            // Records some word is on but not every one: not matches, their scores gone.
            for (slot, bits) in self.present.iter_mut().enumerate() {
                let mut dropped = *bits & !self.every[slot];
                *bits &= self.every[slot];
                while dropped != 0 {
                    self.scores[slot * 64 + dropped.trailing_zeros() as usize] = 0.0;
                    dropped &= dropped - 1;
                }
            }
        }
    }

    /// Every matching record with its score, in record order, a window at a time.
    fn each_scored(&mut self, mut callback: impl FnMut(DocId, Score)) {
        while self.doc != TERMINATED {
            if self.point.is_some() {
                callback(self.doc, self.point_score());
                self.advance();
                continue;
            }
            self.drain_window(&mut callback);
            self.refill();
        }
    }

    /// Hands on every record of the gathered window with its score, in record order,
    /// leaving the window empty.
    fn drain_window(&mut self, mut callback: impl FnMut(DocId, Score)) {
        for slot in 0..self.present.len() {
            let mut rest = std::mem::take(&mut self.present[slot]);
            while rest != 0 {
                let i = slot * 64 + rest.trailing_zeros() as usize;
                rest &= rest - 1;
                callback(self.start + i as u32, std::mem::take(&mut self.scores[i]));
            }
        }
    }

    /// Every record that scores above `threshold`, the callback raising the threshold as
    /// better records come (the top hits' lowest score), by MaxScore (Turtle and Flood,
    /// "Query evaluation: strategies and optimizations", 1995): a word adds less than its
    /// factor to any score, so once the lowest-bounded words together cannot lift a record
    /// above the threshold, records holding only them are not gathered; they are only
    /// looked up, for the records the other words bring that could still get above it.
    /// Scores are computed exactly as [`Self::refill`] does, word by word in query order,
    /// so the records kept and their scores are those of scoring every record.
    ///
    /// Where every matching record is scored (one word, every word required, bounds that
    /// cannot prune), the live ones (`alive`) are counted on the way: their count, `None`
    /// where some records were left out.
    fn prune(
        &mut self,
        max_doc: DocId,
        mut threshold: Score,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
        alive: Option<&tantivy::fastfield::AliveBitSet>,
    ) -> Option<u64> {
        let n = self.words.len();
        let bounds: Vec<f32> = self.words.iter().map(|w| w.factor).collect();
        let prunable = (2..=PRUNED_WORDS).contains(&n) && bounds.iter().all(|b| b.is_finite() && *b > 0.0);
        if self.required || !(prunable || n > PRUNED_WORDS && bounds.iter().all(|b| b.is_finite() && *b > 0.0)) {
            let mut seen = 0u64;
            self.each_scored(|doc, score| {
                seen += u64::from(alive.is_none_or(|a| a.is_alive(doc)));
                if score > threshold {
                    threshold = callback(doc, score);
                }
            });
            return Some(seen);
        }
        if !prunable {
            self.prune_many(max_doc, threshold, callback);
            return None;
        }
        let mut by_bound: Vec<usize> = (0..n).collect();
        by_bound.sort_by(|&a, &b| bounds[a].total_cmp(&bounds[b]));
        let mut essential = vec![true; n];
        // How many of the lowest-bounded words are only looked up, and their bounds' sum.
        let (mut skipped, mut skipped_bound) = (0, 0.0f32);
        let mut tfs: Vec<Vec<f32>> = vec![vec![0.0; WINDOW as usize]; n];
        let mut contributions = vec![0.0f32; n];
        // Where the next window starts, and whether windows are scored whole from now on.
        let (mut resume, mut whole) = (0, false);
        loop {
            while skipped < n && below(skipped_bound + bounds[by_bound[skipped]], threshold) {
                skipped_bound += bounds[by_bound[skipped]];
                essential[by_bound[skipped]] = false;
                skipped += 1;
            }
            if skipped == 0 || whole {
                // Nothing to leave out yet (the threshold is below every word's bound), or
                // leaving out did not pay: the window is scored whole, as when every record
                // is, from where the last window ended (the words only looked up lag).
                match self.score_whole_window(resume, &mut threshold, callback) {
                    Some(end) => resume = end,
                    None => return None,
                }
                continue;
            }
            let lowest = (0..n)
                .filter(|&w| essential[w])
                .flat_map(|w| self.words[w].postings.iter().map(|p| p.list.doc()))
                .min()
                .unwrap_or(TERMINATED);
            if lowest == TERMINATED {
                return None;
            }
            let horizon = lowest.saturating_add(WINDOW);
            resume = horizon;
            // Records the bounds let through to be looked up.
            let mut looked = 0usize;
            for (word, tf) in self.words.iter_mut().zip(&mut tfs).zip(&essential).filter_map(|(w, e)| e.then_some(w)) {
                for p in &mut word.postings {
                    let part = &p.part;
                    let norms = p.norms.get_or_insert_with(|| Box::new(std::array::from_fn(|id| part.norm(id as u8))));
                    let mut d = p.list.doc();
                    while d < horizon {
                        let i = (d - lowest) as usize;
                        self.present[i / 64] |= 1 << (i % 64);
                        tf[i] += p.list.term_freq() as f32 * norms[p.fieldnorms.fieldnorm_id(d) as usize];
                        d = p.list.advance();
                    }
                }
            }
            for slot in 0..self.present.len() {
                let mut rest = std::mem::take(&mut self.present[slot]);
                while rest != 0 {
                    let i = slot * 64 + rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    let doc = lowest + i as u32;
                    let mut bound = skipped_bound;
                    for w in 0..n {
                        contributions[w] = 0.0;
                        if essential[w] {
                            let tf = std::mem::take(&mut tfs[w][i]);
                            if tf > 0.0 {
                                contributions[w] = self.words[w].factor * tf / (RANKING.k1 + tf);
                                bound += contributions[w];
                            }
                        }
                    }
                    if below(bound, threshold) {
                        continue;
                    }
                    looked += 1;
                    for w in (0..n).filter(|&w| !essential[w]) {
                        contributions[w] = self.words[w].score_at(doc);
                    }
                    let score = contributions.iter().filter(|&&c| c > 0.0).fold(0.0, |sum, c| sum + c);
                    if score > threshold {
                        threshold = callback(doc, score);
                    }
                }
            }
            // When the bounds let many records through (words of much the same weight, as
            // a prefix's completions), looking the others up costs more than gathering
            // them would (a lookup, a seek in each of the words' lists, costs about three
            // steps of a gathering): the rest is scored whole.
            let (mut lists, mut postings) = (0usize, 0u64);
            for word in self.words.iter().zip(&essential).filter_map(|(w, e)| (!e).then_some(w)) {
                lists += word.postings.len();
                postings += word.postings.iter().map(|p| u64::from(p.list.size_hint())).sum::<u64>();
            }
            let in_window = postings as f64 * f64::from(WINDOW) / f64::from(max_doc.max(1));
            whole = (looked * lists * 3) as f64 > in_window;
        }
    }

    /// Scores whole the window from `resume` on (from the first record there any word is
    /// on), handing on the records above the threshold: the window's end, `None` when
    /// no word is on any record from there.
    fn score_whole_window(
        &mut self,
        resume: DocId,
        threshold: &mut Score,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> Option<DocId> {
        for p in self.words.iter_mut().flat_map(|w| w.postings.iter_mut()) {
            if p.list.doc() < resume {
                p.list.seek(resume);
            }
        }
        if self.refill() == TERMINATED {
            return None;
        }
        self.drain_window(|doc, score| {
            if score > *threshold {
                *threshold = callback(doc, score);
            }
        });
        Some(self.start.saturating_add(WINDOW))
    }

    /// [`Self::prune`] among many words, held in the order of their bounds, highest first
    /// (as the weight orders more than [`PRUNED_WORDS`]): the words left out are always
    /// the last ones, so a record's score is the sum of the gathered words' scores, added
    /// up in the window as [`Self::refill`] adds them, and then the looked-up words',
    /// in word order: the sum, in the same order, that scoring every record takes. No
    /// word needs a window of its own, however many there are.
    fn prune_many(&mut self, max_doc: DocId, mut threshold: Score, callback: &mut dyn FnMut(DocId, Score) -> Score) {
        let n = self.words.len();
        let bounds: Vec<f32> = self.words.iter().map(|w| w.factor).collect();
        // Words `gathered..` are only looked up; the sum of their bounds.
        let (mut gathered, mut skipped_bound) = (n, 0.0f32);
        let (mut resume, mut whole) = (0, false);
        loop {
            while gathered > 0 && below(skipped_bound + bounds[gathered - 1], threshold) {
                gathered -= 1;
                skipped_bound += bounds[gathered];
            }
            if gathered == n || whole {
                match self.score_whole_window(resume, &mut threshold, callback) {
                    Some(end) => resume = end,
                    None => return,
                }
                continue;
            }
            // The gathered words' lists are past the last window already.
            let lowest = self.words[..gathered]
                .iter()
                .flat_map(|w| w.postings.iter().map(|p| p.list.doc()))
                .min()
                .unwrap_or(TERMINATED);
            if lowest == TERMINATED {
                return;
            }
            self.gather(lowest, gathered);
            resume = lowest.saturating_add(WINDOW);
            let mut looked = 0usize;
            for slot in 0..self.present.len() {
                let mut rest = std::mem::take(&mut self.present[slot]);
                while rest != 0 {
                    let i = slot * 64 + rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    let mut score = std::mem::take(&mut self.scores[i]);
                    if below(score + skipped_bound, threshold) {
                        continue;
                    }
                    looked += 1;
                    let doc = lowest + i as u32;
                    for word in &mut self.words[gathered..] {
                        let contribution = word.score_at(doc);
                        if contribution > 0.0 {
                            score += contribution;
                        }
                    }
                    if score > threshold {
                        threshold = callback(doc, score);
                    }
                }
            }
            // As in `prune`: when looking up costs more than gathering would, the rest
            // is scored whole.
            let (mut lists, mut postings) = (0usize, 0u64);
            for word in &self.words[gathered..] {
                lists += word.postings.len();
                postings += word.postings.iter().map(|p| u64::from(p.list.size_hint())).sum::<u64>();
            }
            let in_window = postings as f64 * f64::from(WINDOW) / f64::from(max_doc.max(1));
            whole = (looked * lists * 3) as f64 > in_window;
        }
    }

    /// The first matching document at or after window index `from`, else the next window.
    fn next_from(&mut self, from: u32) -> DocId {
        let mut slot = from as usize / 64;
        let mut bits = self.present.get(slot).map_or(0, |b| b & (!0u64 << (from % 64)));
        loop {
            if bits != 0 {
                self.doc = self.start + (slot * 64) as u32 + bits.trailing_zeros();
                return self.doc;
            }
            slot += 1;
            if slot >= self.present.len() {
                return self.refill();
            }
            bits = self.present[slot];
        }
    }

    /// Forgets document `i` of the window.
    fn clear(&mut self, i: u32) {
        self.present[i as usize / 64] &= !(1u64 << (i % 64));
        self.scores[i as usize] = 0.0;
    }
}

impl DocSet for Bm25fScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        if self.point.take().is_some() {
            let doc = self.doc;
            for p in self.words.iter_mut().flat_map(|w| w.postings.iter_mut()) {
                if p.list.doc() == doc {
                    p.list.advance();
                }
            }
            if self.leapfrog {
                return self.settle(doc + 1);
            }
            return self.refill();
        }
        let i = self.doc - self.start;
        self.clear(i);
        self.next_from(i + 1)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        if self.point.is_none() && target - self.start < WINDOW {
            for i in (self.doc - self.start)..(target - self.start) {
                self.clear(i);
            }
            return self.next_from(target - self.start);
        }
        // Far ahead (an intersection, or a required clause, asking about one record):
        // score that record alone rather than gather a window around it, unless the
        // records asked about come close together (a filter most records pass): then
        // gather the window from there, as when the scorer leads.
        if self.point.take().is_none() {
            for slot in 0..self.present.len() {
                let mut rest = std::mem::take(&mut self.present[slot]);
                while rest != 0 {
                    self.scores[slot * 64 + rest.trailing_zeros() as usize] = 0.0;
                    rest &= rest - 1;
                }
            }
        }
        let close = self.last_sought.is_some_and(|last| target.saturating_sub(last) < CLOSE_SEEK);
        self.last_sought = Some(target);
        self.close_seeks = if close { self.close_seeks + 1 } else { 0 };
        if self.close_seeks >= DENSE_SEEKS {
            for p in self.words.iter_mut().flat_map(|w| w.postings.iter_mut()) {
                if p.list.doc() < target {
                    p.list.seek(target);
                }
            }
            return self.refill();
        }
        self.settle(target)
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        let of_word = |w: &WordPostings| w.postings.iter().map(|p| p.list.size_hint()).max().unwrap_or(0);
        if self.required {
            return self.words.iter().map(of_word).min().unwrap_or(0);
        }
        self.words.iter().flat_map(|w| w.postings.iter().map(|p| p.list.size_hint())).max().unwrap_or(0)
    }

    /// Every posting is read: an intersection lets a cheaper clause lead.
    fn cost(&self) -> u64 {
        self.words.iter().flat_map(|w| w.postings.iter().map(|p| u64::from(p.list.size_hint()))).sum()
    }
}

impl Scorer for Bm25fScorer {
    fn score(&mut self) -> Score {
        match self.point {
            Some(Some(score)) => score,
            Some(None) => {
                let score = self.point_score();
                self.point = Some(Some(score));
                score
            }
            None => self.scores[(self.doc - self.start) as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::schema;
    use tantivy::collector::TopDocs;
    use tantivy::{DocAddress, Index, TantivyDocument};

    /// An in-memory index of `n` pages: every third holds `alpha` in its body (twice in
    /// every ninth), every fifth `beta` in its title.
    fn pages(n: u32) -> (Index, Fields) {
        pages_with(n, |i, doc, fields| {
            let body = match (i % 3, i % 9) {
                (_, 0) => "alpha text alpha",
                (0, _) => "some alpha text here",
                _ => "other words",
            };
            doc.add_text(fields.body, body);
            doc.add_text(fields.title, if i % 5 == 0 { "beta title" } else { "a title" });
        })
    }

    /// An in-memory index of `n` pages, each filled in by `fill`.
    fn pages_with(n: u32, fill: impl Fn(u32, &mut TantivyDocument, &Fields)) -> (Index, Fields) {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        crate::index::tokenizer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        for i in 0..n {
            let mut doc = TantivyDocument::default();
            doc.add_facet(fields.kind_facet, Facet::from("/page"));
            fill(i, &mut doc, &fields);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, fields)
    }

    fn query(fields: &Fields, words: &[&str]) -> Bm25fQuery {
        let searched = default_fields();
        Bm25fQuery::new(fields, words.iter().map(|w| Word::new(fields, &searched, w, None)).collect())
    }

    /// A word on a few records with words on most: the rare word leads (each of its
    /// records sought in the others' lists), and finds and scores what windows find.
    #[test]
    fn a_rare_required_word_leads_and_finds_what_windows_find() {
        let (index, fields) = pages_with(20_000, |i, doc, fields| {
            let mut words = vec!["filler"];
            if i % 3 != 0 {
                words.push("common");
            }
            if i % 7 == 0 {
                words.push("mid");
            }
            if i % 997 == 0 {
                words.extend(["rare", "rare"]);
            }
            doc.add_text(fields.body, words.join(" "));
        });
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        for words in [&["rare", "common"][..], &["common", "rare"], &["rare", "mid", "common"], &["mid", "common"]] {
            let required = query(&fields, words).all_required();
            let clauses =
                words.iter().map(|w| (Occur::Must, Box::new(query(&fields, &[w])) as Box<dyn Query>)).collect();
            let intersection = tantivy::query::BooleanQuery::new(clauses);
            let mut expected = Vec::new();
            intersection.weight(scoring).unwrap().for_each(segment, &mut |d, s| expected.push((d, s))).unwrap();
            let weight = required.weight(scoring).unwrap();
            let mut got = Vec::new();
            weight.for_each(segment, &mut |d, s| got.push((d, s))).unwrap();
            assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), expected.iter().map(|e| e.0).collect::<Vec<_>>());
            for (g, e) in got.iter().zip(&expected) {
                assert!((g.1 - e.1).abs() <= e.1.abs() * 1e-6, "{words:?}: {g:?} {e:?}");
            }
            assert!(!got.is_empty(), "{words:?}");
            assert_eq!(weight.count(segment).unwrap() as usize, got.len(), "{words:?}");
            let mut scorer = weight.scorer(segment, 1.0).unwrap();
            for target in (0..20_000u32).step_by(1234) {
                let from = target.max(scorer.doc());
                let doc = scorer.seek(target);
                match got.iter().find(|(d, _)| *d >= from) {
                    Some(&want) => assert_eq!((doc, scorer.score()), want, "{words:?} seek({target})"),
                    None => assert_eq!(doc, TERMINATED, "{words:?} seek({target})"),
                }
            }
        }
    }

    /// Every word required: the records and scores of the intersection of one query per
    /// word, however they are read (scored one by one, by windows, sought near and far,
    /// unscored, counted, the best ten).
    #[test]
    fn every_word_required_matches_and_scores_as_the_words_intersected() {
        let (index, fields) = pages(10_000);
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let each = |weight: &dyn Weight| {
            let mut all = Vec::new();
            weight.for_each(segment, &mut |doc, score| all.push((doc, score))).unwrap();
            all
        };
        for words in [&["alpha", "beta"][..], &["beta", "alpha"], &["alpha", "text", "beta"], &["alpha", "absent"]] {
            let required = query(&fields, words).all_required();
            assert!(!required.prunes());
            let clauses =
                words.iter().map(|w| (Occur::Must, Box::new(query(&fields, &[w])) as Box<dyn Query>)).collect();
            let intersection = tantivy::query::BooleanQuery::new(clauses);
            let expected = each(intersection.weight(scoring).unwrap().as_ref());
            let weight = required.weight(scoring).unwrap();
            let got = each(weight.as_ref());
            assert_eq!(got.len(), expected.len(), "{words:?}");
            for (g, e) in got.iter().zip(&expected) {
                assert_eq!(g.0, e.0, "{words:?}");
                assert!((g.1 - e.1).abs() <= e.1.abs() * 1e-6, "{words:?}: {g:?} {e:?}");
            }
            if words.len() == 2 {
                assert_eq!(got, expected, "two words sum as an intersection sums them");
            }
            let wanted = match words {
                [_, "absent"] => 0,
                _ => (0..10_000u32).filter(|i| i % 15 == 0).count(),
            };
            assert_eq!(got.len(), wanted, "{words:?}");
            assert_eq!(weight.count(segment).unwrap() as usize, wanted, "{words:?}");

            let mut advanced = Vec::new();
            let mut scorer = weight.scorer(segment, 1.0).unwrap();
            while scorer.doc() != TERMINATED {
                advanced.push((scorer.doc(), scorer.score()));
                scorer.advance();
            }
            assert_eq!(advanced, got, "{words:?}");
            for step in [1u32, 7, 100, 5000] {
                let mut scorer = weight.scorer(segment, 1.0).unwrap();
                for target in (1..10_000u32).step_by(step as usize) {
                    let from = target.max(scorer.doc());
                    let doc = scorer.seek(target);
                    let want = got.iter().find(|(d, _)| *d >= from).copied();
                    match want {
                        Some(want) => assert_eq!((doc, scorer.score()), want, "{words:?} seek({target}) by {step}"),
                        None => assert_eq!(doc, TERMINATED, "{words:?} seek({target}) by {step}"),
                    }
                }
            }
            let mut unscored = Vec::new();
            weight.for_each_no_score(segment, &mut |docs| unscored.extend_from_slice(docs)).unwrap();
            assert_eq!(unscored, got.iter().map(|(d, _)| *d).collect::<Vec<_>>(), "{words:?}");
            let top = TopDocs::with_limit(10).order_by_score();
            let best: Vec<DocAddress> = searcher.search(&required, &top).unwrap().into_iter().map(|(_, a)| a).collect();
            let want: Vec<DocAddress> =
                searcher.search(&intersection, &top).unwrap().into_iter().map(|(_, a)| a).collect();
            assert_eq!(best, want, "{words:?}");
        }
    }

    #[test]
    fn advance_seek_and_for_each_agree_across_windows() {
        let (index, fields) = pages(10_000);
        let searcher = index.reader().unwrap().searcher();
        let q = query(&fields, &["alpha", "beta"]);
        let weight = q.weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
        let segment = &searcher.segment_readers()[0];

        let mut advanced = Vec::new();
        let mut scorer = weight.scorer(segment, 1.0).unwrap();
        while scorer.doc() != TERMINATED {
            advanced.push((scorer.doc(), scorer.score()));
            scorer.advance();
        }
        let expected = (0..10_000u32).filter(|i| i % 3 == 0 || i % 5 == 0).count();
        assert_eq!(advanced.len(), expected);

        let mut each = Vec::new();
        weight.for_each(segment, &mut |doc, score| each.push((doc, score))).unwrap();
        assert_eq!(each, advanced);

        // Seeking, near and far, lands on the same documents with the same scores.
        let mut scorer = weight.scorer(segment, 1.0).unwrap();
        for target in [1, 2, 7, 4095, 4096, 4100, 9000, 9001, 9999] {
            // A seek never goes back: at or after the target and the current document.
            let from = target.max(scorer.doc());
            let doc = scorer.seek(target);
            let want = advanced.iter().find(|(d, _)| *d >= from).copied();
            assert_eq!(Some((doc, scorer.score())), want, "seek({target})");
            let next = scorer.advance();
            let want_next = advanced.iter().find(|(d, _)| *d > doc).map(|(d, _)| *d).unwrap_or(TERMINATED);
            assert_eq!(next, want_next, "advance after seek({target})");
        }
        assert_eq!(scorer.seek(TERMINATED), TERMINATED);

        // Seeks close together (a filter most records pass drives the scorer): the same.
        let mut scorer = weight.scorer(segment, 1.0).unwrap();
        for target in (1..10_000u32).step_by(7) {
            let from = target.max(scorer.doc());
            let doc = scorer.seek(target);
            let want = advanced.iter().find(|(d, _)| *d >= from).copied();
            assert_eq!(Some((doc, scorer.score())), want, "dense seek({target})");
        }

        // Unscored, the same documents.
        let mut unscored = Vec::new();
        weight.for_each_no_score(segment, &mut |docs| unscored.extend_from_slice(docs)).unwrap();
        assert_eq!(unscored, advanced.iter().map(|(d, _)| *d).collect::<Vec<_>>());
    }

    #[test]
    fn words_on_few_records_of_a_window_score_as_records_scored_alone() {
        // `gamma` on a few dozen records of each window (some in two fields), `delta` on
        // over a hundred: gathered a window at a time, each record scores as it does
        // sought alone.
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        crate::index::tokenizer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        for i in 0..10_000u32 {
            let mut doc = TantivyDocument::default();
            doc.add_facet(fields.kind_facet, Facet::from("/page"));
            let gamma = if i % 100 == 0 { "gamma body gamma" } else { "body" };
            let delta = if i % 30 == 0 { "delta" } else { "" };
            doc.add_text(fields.body, format!("{gamma} text {delta} {}", "word ".repeat((i % 7) as usize)));
            doc.add_text(fields.title, if i % 200 == 0 { "gamma title" } else { "a title" });
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        for words in [&["gamma"][..], &["delta"], &["gamma", "delta"]] {
            let weight = query(&fields, words).weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
            let mut each = Vec::new();
            weight.for_each(segment, &mut |doc, score| each.push((doc, score))).unwrap();
            let expected =
                (0..10_000u32).filter(|i| words.iter().any(|w| i % if *w == "gamma" { 100 } else { 30 } == 0));
            assert_eq!(each.iter().map(|(d, _)| *d).collect::<Vec<_>>(), expected.collect::<Vec<_>>(), "{words:?}");
            let mut scorer = weight.scorer(segment, 1.0).unwrap();
            for &(doc, score) in &each {
                assert_eq!(scorer.seek(doc), doc);
                assert_eq!(scorer.score().to_bits(), score.to_bits(), "{words:?} record {doc}");
            }
        }
    }

    /// An in-memory index of `n` pages, page `i` filled by `fill` from a seeded
    /// pseudo-random draw (`next(m)` is below `m`), every `deleted`-th page then
    /// deleted.
    fn test_index(
        n: u32,
        seed: u64,
        deleted: usize,
        mut fill: impl FnMut(&Fields, &mut TantivyDocument, &mut dyn FnMut(u64) -> u64),
    ) -> (Index, Fields) {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        crate::index::tokenizer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        let mut state = seed;
        let mut next = move |m: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        for i in 0..n {
            let mut doc = TantivyDocument::default();
            doc.add_facet(fields.kind_facet, Facet::from("/page"));
            doc.add_text(fields.id, format!("p{i}"));
            fill(&fields, &mut doc, &mut next);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        for i in (0..n).step_by(deleted) {
            writer.delete_term(Term::from_field_text(fields.id, &format!("p{i}")));
        }
        writer.commit().unwrap();
        (index, fields)
    }

    /// An in-memory index of `n` pages of varied length: `common` in most, `middle` in
    /// about one in ten, `rare` in one in fifty, each as often as chance has it, in the
    /// body or the title; one record in 97 deleted.
    fn varied(n: u32) -> (Index, Fields) {
        test_index(n, 12345, 97, |fields, doc, next| {
            let mut body = Vec::new();
            for _ in 0..1 + next(30) {
                body.push(match next(100) {
                    0..2 => "rare",
                    2..12 => "middle",
                    12..40 => "common",
                    _ => "filler",
                });
            }
            doc.add_text(fields.body, body.join(" "));
            doc.add_text(fields.title, if next(40) == 0 { "rare title" } else { "common title" });
        })
    }

    #[test]
    fn pruned_top_hits_and_counts_are_those_of_scoring_every_record() {
        let (index, fields) = varied(30_000);
        let searcher = index.reader().unwrap().searcher();
        // The last sets are words of much the same weight, where windows go back to being
        // scored whole: the same hits all the same.
        let sets: [(&[&str], bool); 7] = [
            (&["rare", "common"], true),
            (&["common", "rare"], true),
            (&["middle", "rare"], true),
            (&["rare", "middle", "common"], true),
            (&["middle", "common", "filler"], false),
            (&["common", "filler", "title"], false),
            (&["rare", "title"], false),
        ];
        for (words, skips) in sets {
            let (offered, matched) = pruned_as_scored(&searcher, &fields, words);
            // The records passed on are far fewer than those that match.
            if skips {
                assert!(offered * 4 < matched, "{words:?}: {offered} of {matched}");
            }
        }
    }

    /// Checks that `words`' top hits, found pruning, are those of scoring every record of
    /// the searcher's one segment, and its count theirs: how many records pruning passed
    /// on for a top ten, and how many match.
    fn pruned_as_scored(searcher: &tantivy::Searcher, fields: &Fields, words: &[&str]) -> (usize, usize) {
        let segment = &searcher.segment_readers()[0];
        let alive = segment.alive_bitset().expect("deletes");
        let q = query(fields, words);
        assert!(q.prunes());
        let weight = q.weight(EnableScoring::enabled_from_searcher(searcher)).unwrap();
        let mut all = Vec::new();
        weight.for_each(segment, &mut |doc, score| all.push((doc, score))).unwrap();
        all.retain(|&(doc, _)| alive.is_alive(doc));
        assert_eq!(weight.count(segment).unwrap() as usize, all.len(), "{words:?}");
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for k in [1, 10, 100] {
            let top = TopDocs::with_limit(k).order_by_score();
            let found = searcher.search(&q, &top).unwrap();
            let want: Vec<(f32, DocAddress)> =
                all.iter().take(k).map(|&(doc, score)| (score, DocAddress::new(0, doc))).collect();
            assert_eq!(found, want, "{words:?} top {k}");
        }
        let mut offered = 0;
        let mut best = Vec::new();
        weight
            .for_each_pruning(Score::MIN, segment, &mut |_, score| {
                offered += 1;
                best.push(score);
                best.sort_by(|a, b| b.total_cmp(a));
                best.truncate(10);
                if best.len() == 10 { best[9] } else { Score::MIN }
            })
            .unwrap();
        (offered, all.len())
    }

    /// `n` pages whose bodies draw from twenty words, `w0` the most frequent (in most
    /// records) down to `w19` (in a few), with every 89th record deleted.
    fn many_words(n: u32) -> (Index, Fields) {
        test_index(n, 99, 89, |fields, doc, next| {
            let body: Vec<String> = (0..1 + next(12))
                .map(|_| {
                    let k = (next(1 << 20) as f64 + 1.0).log2() as u64;
                    format!("w{}", 19 - k.min(19))
                })
                .collect();
            doc.add_text(fields.body, body.join(" "));
        })
    }

    #[test]
    fn many_words_pruned_give_the_top_hits_of_scoring_every_record() {
        let (index, fields) = many_words(30_000);
        let searcher = index.reader().unwrap().searcher();
        let names: Vec<String> = (0..20).map(|k| format!("w{k}")).collect();
        let all_words: Vec<&str> = names.iter().map(String::as_str).collect();
        // In frequency order, against it, and shuffled: the weight orders them itself.
        let shuffled: Vec<&str> = [7, 0, 19, 3, 12, 1, 15, 9, 4, 18, 2, 11].iter().map(|&k| all_words[k]).collect();
        let rarest_first: Vec<&str> = all_words.iter().rev().copied().collect();
        for words in [&all_words[..], &rarest_first[..], &shuffled[..], &all_words[..10]] {
            assert!(words.len() > PRUNED_WORDS);
            let (offered, matched) = pruned_as_scored(&searcher, &fields, words);
            assert!(offered * 4 < matched, "{words:?}: {offered} of {matched}");
        }
    }

    #[test]
    fn counts_stop_past_their_cap_and_say_so() {
        let (index, fields) = varied(30_000);
        let searcher = index.reader().unwrap().searcher();
        for words in [&["rare", "common"][..], &["middle", "common", "filler"], &["rare", "title"]] {
            let weight = query(&fields, words).scored_weight(&searcher).unwrap();
            let (every, exact) = count_up_to(&weight, &searcher, None, None).unwrap();
            assert!(exact);
            assert_eq!(every, searcher.search(&query(&fields, words), &tantivy::collector::Count).unwrap());
            // Below the count: stopped at the cap or a window past it, and said so.
            let cap = (every / 3) as u32;
            let segment = &searcher.segment_readers()[0];
            let (counted, exact) = weight.count_up_to(segment, cap, 4096, None).unwrap();
            let counted = counted as usize;
            assert!(!exact && counted >= cap as usize && counted < every, "{words:?}: {counted} of {every}");
            // The index is one window of the count's own: counted to the end, exactly.
            assert_eq!(count_up_to(&weight, &searcher, Some(cap), None).unwrap(), (every, true), "{words:?}");
            // At or above it: every match, exactly.
            for cap in [every as u32, every as u32 + 1, u32::MAX] {
                assert_eq!(count_up_to(&weight, &searcher, Some(cap), None).unwrap(), (every, true), "{words:?} {cap}");
            }
        }
    }

    /// Where the best-records pass scores every match (one word, every word required), it
    /// counts them too: the live ones, as tantivy's count does, deleted records aside.
    #[test]
    fn a_pass_that_scores_every_match_counts_the_live_ones() {
        use tantivy::collector::Collector;
        let (index, fields) = varied(30_000);
        let mut writer: tantivy::IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 50_000_000).unwrap();
        for kept in [true, false] {
            let searcher = index.reader().unwrap().searcher();
            for (words, required) in [
                (&["rare"][..], false),
                (&["common"], false),
                (&["middle", "common"], true),
                (&["rare", "common"], false),
            ] {
                let q = if required { query(&fields, words).all_required() } else { query(&fields, words) };
                let weight = q.scored_weight(&searcher).unwrap();
                let top = TopDocs::with_limit(10).order_by_score();
                let hits = searcher.search(&q, &top).unwrap();
                let mut fruits = Vec::new();
                for (ord, reader) in searcher.segment_readers().iter().enumerate() {
                    fruits.push(top.collect_segment(&weight, ord as u32, reader).unwrap());
                }
                let expected = searcher.search(&q, &tantivy::collector::Count).unwrap() as u64;
                if words.len() == 1 || required {
                    assert_eq!(weight.matches_seen(), Some(expected), "{words:?}, deletions kept: {kept}");
                } else {
                    assert_eq!(weight.matches_seen(), None, "{words:?}: a pruning pass does not count");
                }
                assert_eq!(top.merge_fruits(fruits).unwrap(), hits, "{words:?}");
            }
            // Then some records deleted.
            writer.delete_term(Term::from_field_text(fields.body, "rare"));
            writer.commit().unwrap();
        }
    }

    #[test]
    fn a_list_that_reaches_the_cap_alone_counts_at_least_its_length() {
        let (index, fields) = pages(3000);
        let searcher = index.reader().unwrap().searcher();
        let words = ["alpha", "beta"];
        let weight = query(&fields, &words).scored_weight(&searcher).unwrap();
        // `alpha` is in a third of the bodies, `beta` in a fifth of the titles.
        let every = searcher.search(&query(&fields, &words), &tantivy::collector::Count).unwrap();
        assert_eq!(every, 1400);
        assert_eq!(count_up_to(&weight, &searcher, Some(800), None).unwrap(), (1000, false));
        assert_eq!(count_up_to(&weight, &searcher, Some(1000), None).unwrap(), (1000, false));
        assert_eq!(count_up_to(&weight, &searcher, Some(1001), None).unwrap(), (1400, true));
        assert_eq!(count_up_to(&weight, &searcher, None, None).unwrap(), (1400, true));
    }

    #[test]
    fn bm25f_saturates_the_weighted_sum() {
        let (index, fields) = pages(90);
        let searcher = index.reader().unwrap().searcher();
        let q = query(&fields, &["alpha"]);
        let weight = q.weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
        let mut scores = std::collections::HashMap::new();
        weight
            .for_each(&searcher.segment_readers()[0], &mut |doc, score| {
                scores.insert(doc, score);
            })
            .unwrap();
        // Doc 0 has `alpha` twice in a 3-word body, doc 3 once in a 4-word body.
        let (twice, once) = (scores[&0], scores[&3]);
        assert!(twice > once && twice < 2.0 * once, "{twice} {once}");
        // By hand: 30 of 90 pages hold it; the body averages (10·3 + 20·4 + 60·2) / 90 words.
        let idf = ((90.0f32 - 30.0 + 0.5) / 30.5).ln();
        let average = (10.0 * 3.0 + 20.0 * 4.0 + 60.0 * 2.0) / 90.0;
        let tf = 1.0 / (1.0 - 0.75 + 0.75 * 4.0 / average);
        let want = idf * 2.2 * tf / (1.2 + tf);
        assert!((once - want).abs() < 1e-4, "{once} {want}");
    }

    #[test]
    fn terms_looked_up_for_the_weight_score_as_terms_looked_up_anew() {
        let (index, fields) = pages(90);
        let before = index.reader().unwrap().searcher();
        let q = query(&fields, &["alpha", "beta"]);
        let old = q.bm25f_weight(EnableScoring::enabled_from_searcher(&before)).unwrap();
        // A second segment the old weight never looked its terms up in.
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        let mut doc = TantivyDocument::default();
        doc.add_facet(fields.kind_facet, Facet::from("/page"));
        doc.add_text(fields.body, "alpha beta");
        writer.add_document(doc).unwrap();
        writer.commit().unwrap();
        let after = index.reader().unwrap().searcher();
        assert_eq!(after.segment_readers().len(), 2);
        let scored = |weight: &dyn Weight, reader: &SegmentReader| {
            let mut all = Vec::new();
            weight.for_each(reader, &mut |doc, score| all.push((doc, score))).unwrap();
            (all, weight.count(reader).unwrap())
        };
        let (first, second) = (&after.segment_readers()[0], &after.segment_readers()[1]);
        // The same statistics: the old weight's scores, from what it looked up (the first
        // segment) and from lookups made now (the new one), are those of a weight made
        // from scratch on the old searcher.
        let mut anew = q.bm25f_weight(EnableScoring::enabled_from_searcher(&before)).unwrap();
        anew.lookups = Lookups::default();
        for reader in [first, second] {
            let (scores, count) = scored(&old, reader);
            assert_eq!((scores.clone(), count), scored(&anew, reader));
            assert!(!scores.is_empty() && count as usize == scores.len());
        }
        assert!(old.lookups.of(first).is_some() && old.lookups.of(second).is_none());
        // The counts it looked up are the searcher's own.
        let stats = |field| {
            (before.doc_freq(&Term::from_field_text(field, "alpha")).unwrap(), before.total_num_tokens(field).unwrap())
        };
        let own = Lookups::new(&before, q.words[0].parts.iter()).unwrap();
        for (i, p) in q.words[0].parts.iter().enumerate() {
            assert_eq!(own.counts(i), stats(p.term.field()));
        }
    }

    #[test]
    fn collection_frequency_counts_every_occurrence() {
        let (index, fields) = pages(90);
        let searcher = index.reader().unwrap().searcher();
        // `alpha` is twice in each of 10 bodies and once in 20 more.
        let alpha = Term::from_field_text(fields.body, "alpha");
        assert_eq!(collection_frequency(&searcher, &alpha).unwrap(), 40);
        let absent = Term::from_field_text(fields.body, "gamma");
        assert_eq!(collection_frequency(&searcher, &absent).unwrap(), 0);
    }

    #[test]
    fn bo1_weighs_a_word_by_how_far_the_feedback_exceeds_its_mean() {
        // By hand: 3 · log2(1.01 / 0.01) + log2(1.01).
        let want = 3.0 * (101.0f32).log2() + (1.01f32).log2();
        assert!((bo1(3.0, 0.01) - want).abs() < 1e-4);
        // Rarer in the index, or more frequent in the feedback records: heavier.
        assert!(bo1(3.0, 0.01) > bo1(3.0, 0.5));
        assert!(bo1(5.0, 0.5) > bo1(3.0, 0.5));
        assert!(bo1(1.0, 0.0).is_finite());
    }

    #[test]
    fn stopwords_are_known_by_their_stems() {
        assert!(is_stopword_stem("doe") && is_stopword_stem("the"));
        assert!(!is_stopword_stem("retriev"));
    }

    #[test]
    fn idf_is_robertson_sparck_jones_floored() {
        assert!((idf(1, 10) - (9.5f32 / 1.5).ln()).abs() < 1e-6);
        // A word in more than half the records would have a negative idf.
        assert_eq!(idf(8, 10), IDF_FLOOR);
        assert_eq!(idf(10, 10), IDF_FLOOR);
        assert!(idf(1, 1000) > idf(10, 1000));
    }
}
