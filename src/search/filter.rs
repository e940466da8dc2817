//! Filters and facet requests: record kinds, facet filters and exclusions, date periods,
//! turned into tantivy queries and facet paths. Label values forgive: they match the
//! index's values ignoring case, accents, spacing and decoration, and a value that
//! matches none is said, with the nearest values the index holds.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::request::{DatePath, FacetFilter, FacetSpec, RecordKind};
use crate::error::{Error, Result};
use crate::index::Fields;
use crate::index::document::{date_value, facet_label};

/// The filters of a search, as queries: every `must` holds, no `must_not` does.
#[derive(Default)]
pub struct Filters {
    pub must: Vec<Box<dyn Query>>,
    pub must_not: Vec<Box<dyn Query>>,
    /// Values that matched nothing, with the nearest ones the index holds.
    pub warnings: Vec<String>,
}

/// Builds the filters of a search: kinds and values of one field ORed, fields ANDed,
/// exclusions dropped, dates within `since..=until`.
pub fn filters(
    searcher: &Searcher,
    fields: &Fields,
    kinds: &[RecordKind],
    include: &[FacetFilter],
    exclude: &[FacetFilter],
    since: Option<DatePath>,
    until: Option<DatePath>,
) -> Result<Filters> {
    let mut out = Filters::default();
    let mut by_field: BTreeMap<&'static str, Vec<Facet>> = BTreeMap::new();
    for kind in kinds {
        by_field.entry("kind").or_default().push(Facet::from(kind.facet_path()));
    }
    for filter in include {
        let facets = resolve(searcher, fields, filter, &mut out.warnings)?;
        by_field.entry(filter.field).or_default().extend(facets);
    }
    for (name, facets) in by_field {
        out.must.push(any_of(facet_field(fields, name)?, &facets));
    }
    for filter in exclude {
        let facets = resolve(searcher, fields, filter, &mut out.warnings)?;
        if !facets.is_empty() {
            out.must_not.push(any_of(facet_field(fields, filter.field)?, &facets));
        }
    }
    if let Some(range) = date_range(fields, since, until)? {
        out.must.push(range);
    }
    Ok(out)
}

fn facet_field(fields: &Fields, name: &str) -> Result<Field> {
    fields.facet(name).ok_or_else(|| Error::BadArgument(format!("unknown facet field `{name}`")))
}

/// At most how many records all of `must` pass: the fewest any one passes, counted by
/// the records its terms are on; `None` when none of them is made of terms (a period).
pub fn records_at_most(searcher: &Searcher, must: &[Box<dyn Query>]) -> tantivy::Result<Option<u64>> {
    let mut fewest: Option<u64> = None;
    for query in must {
        let mut terms = Vec::new();
        query.query_terms(&mut |term, _| terms.push(term.clone()));
        if terms.is_empty() {
            continue;
        }
        let mut records = 0;
        for term in &terms {
            records += searcher.doc_freq(term)?;
        }
        fewest = Some(fewest.map_or(records, |f| f.min(records)));
    }
    Ok(fewest)
}

/// A query matching any of `facets` (none: nothing).
fn any_of(field: Field, facets: &[Facet]) -> Box<dyn Query> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = facets
        .iter()
        .map(|f| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(Term::from_facet(field, f), IndexRecordOption::Basic));
            (Occur::Should, q)
        })
        .collect();
    match should.len() {
        0 => Box::new(EmptyQuery),
        1 => should.pop().map(|(_, q)| q).expect("one clause"),
        _ => Box::new(BooleanQuery::new(should)),
    }
}

/// The index's facets a filter value stands for. Kinds and dates are exact paths; a label
/// matches every value of its field that folds to the same text. A label that matches
/// none adds a warning naming the nearest values.
fn resolve(
    searcher: &Searcher,
    fields: &Fields,
    filter: &FacetFilter,
    warnings: &mut Vec<String>,
) -> Result<Vec<Facet>> {
    let value = filter.value.as_str();
    match filter.field {
        "kind" => {
            let kind: RecordKind = value.parse().map_err(Error::BadArgument)?;
            Ok(vec![Facet::from(kind.facet_path())])
        }
        "date" => {
            let date: DatePath = value.parse().map_err(Error::BadArgument)?;
            Ok(vec![Facet::from(date.facet_path().as_str())])
        }
        name => {
            let wanted = fold(&facet_label(value.trim_start_matches('/')).unwrap_or_default());
            let field = facet_field(fields, name)?;
            let matching: Vec<Facet> =
                values_folding_to(searcher, field, &wanted).iter().map(|v| Facet::from_path([v.as_str()])).collect();
            if matching.is_empty() {
                let nearest = nearest(&facet_values(searcher, field), &wanted, 3);
                warnings.push(if nearest.is_empty() {
                    format!("no {name} value matches `{value}`, and none is near it")
                } else {
                    format!("no {name} value matches `{value}`; nearest: {}", nearest.join(", "))
                });
            }
            Ok(matching)
        }
    }
}

/// A facet as a path (`/2025/01/17`), a slash or backslash inside a step written `\/`,
/// as tantivy writes it (which costs a regular expression per step).
pub fn path_string(facet: &Facet) -> String {
    encoded_path_string(facet.encoded_str())
}

/// [`path_string`] of a facet as encoded (its steps parted by zero bytes).
pub fn encoded_path_string(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len() + 2);
    for step in encoded.split('\0') {
        out.push('/');
        for c in step.chars() {
            if c == '/' || c == '\\' {
                out.push_str("\\/");
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// The top-level values of a one-level facet field that fold to `wanted`, found by
/// following [`fold`] down the term dictionary: a few of its branches rather than every
/// value (a survey corpus holds tens of thousands of categories).
fn values_folding_to(searcher: &Searcher, field: Field, wanted: &str) -> BTreeSet<String> {
    let mut values = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else { continue };
        let Ok(mut stream) = inverted.terms().search(FoldsTo::new(wanted)).into_stream() else { continue };
        while stream.advance() {
            if let Ok(value) = std::str::from_utf8(stream.key()) {
                values.insert(value.to_owned());
            }
        }
    }
    values
}

/// Matches the top-level values of a facet field (the terms of its first level) that
/// [`fold`] to a given text, a byte of the term at a time.
pub struct FoldsTo {
    wanted: Vec<u8>,
}

/// How far a term has been followed: `None` once it cannot fold to the text.
#[derive(Clone, Debug)]
pub struct Folding {
    /// Bytes of the text its letters so far fold to.
    matched: usize,
    /// A gap came after the last letter.
    gap: bool,
    /// Some letter or gap came: the root (the empty term) is no value.
    any: bool,
    /// The bytes of a character not yet complete.
    partial: [u8; 4],
    partial_len: u8,
}

impl FoldsTo {
    pub fn new(wanted: &str) -> FoldsTo {
        FoldsTo { wanted: wanted.as_bytes().to_vec() }
    }

    /// Follows `folded` from `at`: the letter matches the text there, after a space when
    /// a gap comes between it and an earlier letter.
    fn step(&self, at: &mut Folding, folded: Option<char>) -> bool {
        let Some(letter) = folded else {
            at.gap = true;
            return true;
        };
        if at.gap && at.matched > 0 {
            if self.wanted.get(at.matched) != Some(&b' ') {
                return false;
            }
            at.matched += 1;
        }
        at.gap = false;
        let mut buf = [0; 4];
        let bytes = letter.encode_utf8(&mut buf).as_bytes();
        if !self.wanted[at.matched..].starts_with(bytes) {
            return false;
        }
        at.matched += bytes.len();
        true
    }
}

impl tantivy_fst::Automaton for FoldsTo {
    type State = Option<Folding>;

    fn start(&self) -> Option<Folding> {
        Some(Folding { matched: 0, gap: false, any: false, partial: [0; 4], partial_len: 0 })
    }

    fn is_match(&self, state: &Option<Folding>) -> bool {
        state.as_ref().is_some_and(|s| s.any && s.partial_len == 0 && s.matched == self.wanted.len())
    }

    fn can_match(&self, state: &Option<Folding>) -> bool {
        state.is_some()
    }

    fn accept(&self, state: &Option<Folding>, byte: u8) -> Option<Folding> {
        let mut at = state.clone()?;
        // A facet's levels are parted by a zero byte: a deeper level's first is a term too.
        if byte == 0 {
            return None;
        }
        at.partial[usize::from(at.partial_len)] = byte;
        at.partial_len += 1;
        let length = match at.partial[0] {
            0x00..=0x7f => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => return None,
        };
        if usize::from(at.partial_len) < length {
            return (byte & 0xc0 == 0x80 || at.partial_len == 1).then_some(at);
        }
        let c = std::str::from_utf8(&at.partial[..length]).ok()?.chars().next()?;
        at.partial_len = 0;
        at.any = true;
        let mut alive = true;
        fold_char(c, |folded| alive = alive && self.step(&mut at, folded));
        alive.then_some(at)
    }
}

/// The top-level values of a one-level facet field, as the index holds them.
pub fn facet_values(searcher: &Searcher, field: Field) -> Vec<String> {
    let mut values = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else { continue };
        let Ok(mut stream) = inverted.terms().stream() else { continue };
        while stream.advance() {
            let Ok(facet) = Facet::from_encoded(stream.key().to_vec()) else { continue };
            if let Some(first) = facet.to_path().first().filter(|v| !v.is_empty()) {
                values.insert((*first).to_owned());
            }
        }
    }
    values.into_iter().collect()
}

/// Lower case, no accents, punctuation as spaces, single spaces: the form filter values
/// are compared in (`fine tuning` is `Fine-tuning`, `inria paris france` is
/// `Inria, Paris, France`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        fold_char(c, |folded| match folded {
            None => gap = true,
            Some(l) => {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push(l);
            }
        });
    }
    out
}

/// What one character of a value folds to, in order: `Some` a lower-case letter or digit,
/// `None` a gap (punctuation, spacing); nothing for an accent. [`fold`] joins the letters
/// with one space where gaps come between them, and [`FoldsTo`] follows it a byte at a time.
pub fn fold_char(c: char, mut out: impl FnMut(Option<char>)) {
    unicode_normalization::char::decompose_canonical(c, |d| {
        if unicode_normalization::char::is_combining_mark(d) {
            return;
        }
        if d.is_alphanumeric() { d.to_lowercase().for_each(|l| out(Some(l))) } else { out(None) }
    });
}

/// Up to `n` of `values` nearest to the folded `wanted`: those containing it (or
/// contained in it) first, then by edit distance.
fn nearest(values: &[String], wanted: &str, n: usize) -> Vec<String> {
    let mut scored: Vec<(usize, &String)> = values
        .iter()
        .map(|v| {
            let folded = fold(v);
            let contains = !wanted.is_empty() && (folded.contains(wanted) || wanted.contains(&folded));
            (if contains { 0 } else { 1 + edit_distance(&folded, wanted) }, v)
        })
        .filter(|(d, _)| *d <= (wanted.chars().count() / 2).max(3))
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, v)| v.clone()).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A facet count request: `category` (from the top) or `date=/2025` (its children).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetRequest {
    pub name: String,
    pub field: Field,
    pub path: Facet,
}

/// The facet counts asked for. A label parent (`--facet category=X`) that matches no value
/// of its field adds the warning a filter of it would (naming the nearest values), instead
/// of an empty list that reads as "none of the hits".
pub fn facet_requests(
    searcher: &Searcher,
    fields: &Fields,
    specs: &[FacetSpec],
    warnings: &mut Vec<String>,
) -> Result<Vec<FacetRequest>> {
    specs
        .iter()
        .map(|spec| {
            let field = facet_field(fields, spec.field)?;
            let path = match spec.parent.as_deref() {
                None => Facet::root(),
                Some(parent) => {
                    let filter = FacetFilter { field: spec.field, value: parent.to_owned() };
                    // A label parent is the index's spelling of it, when there is one.
                    resolve(searcher, fields, &filter, warnings)?
                        .into_iter()
                        .next()
                        .or_else(|| facet_label(parent.trim_start_matches('/')).map(|l| Facet::from_path([l])))
                        .unwrap_or_else(Facet::root)
                }
            };
            // A period no record is dated in (`--facet date=/2099`) says so too.
            if spec.field == "date" && !path.is_root() && !holds_path(searcher, field, &path) {
                warnings.push(format!("no record is dated in {}", path_string(&path)));
            }
            Ok(FacetRequest { name: spec.field.to_owned(), field, path })
        })
        .collect()
}

/// Whether some segment holds the facet `path` (as a value, or above one).
fn holds_path(searcher: &Searcher, field: Field, path: &Facet) -> bool {
    let encoded = path.encoded_str().as_bytes();
    searcher.segment_readers().iter().any(|segment| {
        let Ok(inverted) = segment.inverted_index(field) else { return true };
        let Ok(mut stream) = inverted.terms().range().ge(encoded).into_stream() else { return true };
        stream.advance() && {
            let key = stream.key();
            key.starts_with(encoded) && (key.len() == encoded.len() || key[encoded.len()] == 0)
        }
    })
}

/// Dates on or after the first day of `since` and on or before the last day of `until`,
/// as a range on the date field.
fn date_range(fields: &Fields, since: Option<DatePath>, until: Option<DatePath>) -> Result<Option<Box<dyn Query>>> {
    if let (Some(s), Some(u)) = (since, until)
        && s.first_day() > u.last_day()
    {
        return Err(Error::BadArgument(format!("the period starts ({s}) after it ends ({u})")));
    }
    let day = |text: String| {
        date_value(&text).ok_or_else(|| Error::BadArgument(format!("`{text}` is not a day of the calendar")))
    };
    let lower = match since {
        Some(s) => Bound::Included(Term::from_field_date_for_search(fields.date, day(s.first_day())?)),
        None => Bound::Unbounded,
    };
    let upper = match until {
        Some(u) => Bound::Included(Term::from_field_date_for_search(fields.date, day(u.last_day())?)),
        None => Bound::Unbounded,
    };
    if since.is_none() && until.is_none() {
        return Ok(None);
    }
    Ok(Some(Box::new(RangeQuery::new(lower, upper))))
}

#[cfg(test)]
mod tests {

    #[test]
    fn path_strings_are_tantivys() {
        for facet in [
            Facet::root(),
            Facet::from("/2025/01/17"),
            Facet::from_path(["a/b", "c\\d", "Vision-Language Models", "모델"]),
        ] {
            assert_eq!(path_string(&facet), facet.to_path_string());
        }
    }
    use super::*;

    /// Values that fold alike and apart: case, accents (composed and combining),
    /// punctuation and spacing, letters that lower-case to two, Hangul, a ligature, and
    /// bytes no value holds.
    const FOLDING: &[&str] = &[
        "Daily Papers",
        "daily papers",
        "  DAILY--papers ",
        "Dáily Papers",
        "Da\u{301}ily Papers",
        "Daily Paper",
        "Daily Papers 2",
        "Daily",
        "Dailypapers",
        "Fine-tuning",
        "fine tuning",
        "Fine tuning.",
        "Straße",
        "STRASSE",
        "İstanbul",
        "i̇stanbul",
        "Ångström",
        "\u{212B}ngstrom",
        "모델 학습",
        "모델, 학습",
        "ﬁne",
        "Ǆemal",
        "—",
        "a\0b",
        "a",
        "",
    ];

    fn folds_to(wanted: &str, value: &[u8]) -> bool {
        use tantivy_fst::Automaton;
        let automaton = FoldsTo::new(wanted);
        let state = value.iter().fold(automaton.start(), |s, &b| automaton.accept(&s, b));
        automaton.is_match(&state)
    }

    #[test]
    fn the_fold_automaton_accepts_the_values_that_fold_to_the_text() {
        let mut wanted: Vec<String> = FOLDING.iter().map(|v| fold(v)).collect();
        wanted.extend(["daily pap", "aily papers", "daily papers ", " daily papers"].map(String::from));
        for w in &wanted {
            for v in FOLDING {
                let expected = !v.is_empty() && !v.contains('\0') && fold(v) == *w;
                assert_eq!(folds_to(w, v.as_bytes()), expected, "{v:?} folding to {w:?}");
            }
            // Bytes that are not UTF-8 are no value.
            assert!(!folds_to(w, b"Daily \xff Papers"));
            assert!(!folds_to(w, b"Daily \xc3"));
        }
        assert_eq!(fold("Da\u{301}ily  --  Papers"), "daily papers");
    }

    #[test]
    fn the_fold_automaton_finds_in_a_dictionary_what_a_scan_finds() {
        let mut keys: Vec<&[u8]> = FOLDING.iter().map(|v| v.as_bytes()).collect();
        keys.extend([b"Daily Papers\0Sub".as_slice(), b"Dailz", b"Da", b"Zzz"]);
        keys.sort();
        keys.dedup();
        let map = tantivy_fst::Map::from_iter(keys.iter().map(|k| (*k, 0))).unwrap();
        for w in FOLDING.iter().map(|v| fold(v)) {
            use tantivy_fst::{IntoStreamer, Streamer};
            let mut stream = map.search(FoldsTo::new(&w)).into_stream();
            let mut found = Vec::new();
            while let Some((key, _)) = stream.next() {
                found.push(key.to_vec());
            }
            let scanned: Vec<Vec<u8>> = keys.iter().filter(|k| folds_to(&w, k)).map(|k| k.to_vec()).collect();
            assert_eq!(found, scanned, "{w:?}");
            assert!(!found.is_empty() || w.is_empty() || w == "a b", "{w:?}");
        }
    }

    #[test]
    fn folding_and_nearest_values() {
        assert_eq!(fold("  Adobe   Résearch "), "adobe research");
        assert_eq!(fold("Müller"), "muller");
        let values: Vec<String> =
            ["Adobe Research", "Google DeepMind", "Meta AI", "Alibaba Group"].map(String::from).to_vec();
        assert_eq!(nearest(&values, &fold("adobe reserch"), 3), ["Adobe Research"]);
        assert_eq!(nearest(&values, &fold("deepmind"), 3), ["Google DeepMind"]);
        assert!(nearest(&values, &fold("zzzzzzzzzz"), 3).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
