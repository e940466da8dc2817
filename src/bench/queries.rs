//! The queries a bench runs: a default set per class, drawn from the index's own
//! vocabulary at several document frequencies, or a file of `CLASS<TAB>QUERY` lines.

use std::collections::HashMap;
use std::path::Path;

use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
use crate::index::tokenizer::terms;
use crate::search::{FacetSpec, RecordKind, SearchRequest, Sort};

/// The default query classes, in report order.
pub const CLASSES: &[&str] =
    &["one_term", "and_two", "or_two", "phrase", "prefix", "fuzzy", "filter_facets", "browse_facets", "date_sort"];

/// Where in the frequency ranking (a share of all candidate terms) query terms are taken:
/// from the most common words to the median one.
const RANKS: &[f64] = &[0.0005, 0.002, 0.01, 0.03, 0.08, 0.15, 0.3, 0.5];

/// One query of a class.
#[derive(Debug, Clone)]
pub struct BenchQuery {
    pub class: String,
    pub request: SearchRequest,
}

impl BenchQuery {
    /// The query as a `--queries` line: `CLASS<TAB>QUERY[<TAB>OPTION]...`.
    pub fn describe(&self) -> String {
        let r = &self.request;
        let mut parts = vec![self.class.clone(), r.query.clone().unwrap_or_default()];
        parts.extend(r.kinds.iter().map(|k| format!("kind={k}")));
        parts.extend(r.filters.iter().map(|f| format!("filter={}={}", f.field, f.value)));
        parts.extend(r.excludes.iter().map(|f| format!("exclude={}={}", f.field, f.value)));
        parts.extend(r.facets.iter().map(|f| match &f.parent {
            Some(p) => format!("facet={}={p}", f.field),
            None => format!("facet={}", f.field),
        }));
        if let Some(sort) = r.sort {
            let name = match sort {
                Sort::Relevance => "relevance",
                Sort::Date => "date",
                Sort::DateDesc => "-date",
            };
            parts.push(format!("sort={name}"));
        }
        if r.limit != SearchRequest::default().limit {
            parts.push(format!("limit={}", r.limit));
        }
        if r.fuzzy {
            parts.push("fuzzy".to_owned());
        }
        parts.join("\t")
    }
}

fn query(class: &str, text: Option<String>) -> BenchQuery {
    BenchQuery { class: class.to_owned(), request: SearchRequest { query: text, ..SearchRequest::default() } }
}

/// Draws the default query set from the index.
pub fn default_queries(px: &PaperdexIndex, searcher: &Searcher) -> Result<Vec<BenchQuery>> {
    let words = vocabulary(px, searcher)?;
    if words.len() < 2 {
        return Err(Error::BadArgument(format!(
            "the index at {} has too few words to draw queries from; pass --queries FILE",
            px.path.display()
        )));
    }
    let mut picked: Vec<&str> =
        RANKS.iter().map(|r| words[((words.len() as f64 * r) as usize).min(words.len() - 1)].as_str()).collect();
    picked.dedup();
    let n = picked.len();
    let mut out = Vec::new();
    for (i, w) in picked.iter().enumerate() {
        let other = picked[(i + n / 2 + 1) % n];
        out.push(query("one_term", Some((*w).to_owned())));
        out.push(query("and_two", Some(format!("{w} {other}"))));
        out.push(query("or_two", Some(format!("{w} OR {other}"))));
        let prefix: String = w.chars().take(4.min(w.chars().count().saturating_sub(1)).max(2)).collect();
        out.push(query("prefix", Some(format!("{prefix}*"))));
        let mut fuzzy = query("fuzzy", Some(typo(w)));
        fuzzy.request.fuzzy = true;
        out.push(fuzzy);
        let mut filtered = query("filter_facets", Some((*w).to_owned()));
        filtered.request.kinds = vec![RecordKind::Caption];
        filtered.request.facets = vec![facet_spec("category"), facet_spec("date")];
        out.push(filtered);
        let mut sorted = query("date_sort", Some((*w).to_owned()));
        sorted.request.sort = Some(Sort::DateDesc);
        out.push(sorted);
    }
    for phrase in phrases(px, searcher, n)? {
        out.push(query("phrase", Some(phrase)));
    }
    for (filters, facets) in [
        (vec![], vec!["category", "kind"]),
        (vec![], vec!["topic", "date=/2025"]),
        (vec!["kind=method"], vec!["category", "mechanism"]),
        (vec!["lang=en"], vec!["affiliation", "date"]),
    ] {
        let mut browse = query("browse_facets", None);
        browse.request.filters = filters.into_iter().map(|f| f.parse().expect("a valid filter")).collect();
        browse.request.facets = facets.into_iter().map(facet_spec).collect();
        out.push(browse);
    }
    out.sort_by_key(|q| CLASSES.iter().position(|c| *c == q.class));
    Ok(out)
}

/// Words of the review text, most documents first: plain lower-case words that the
/// analyzer keeps as they are, so a query for one finds exactly its postings.
fn vocabulary(px: &PaperdexIndex, searcher: &Searcher) -> Result<Vec<String>> {
    let mut df: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        for field in [px.fields.body, px.fields.description] {
            let inverted = segment.inverted_index(field).map_err(|e| Error::tantivy(&px.path, e))?;
            let mut stream = inverted.terms().stream().map_err(|e| Error::tantivy(&px.path, e.into()))?;
            while stream.advance() {
                let Ok(word) = std::str::from_utf8(stream.key()) else { continue };
                if (4..=12).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_lowercase()) {
                    *df.entry(word.to_owned()).or_default() += u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    let mut words: Vec<(u64, String)> =
        df.into_iter().filter(|(w, _)| terms(w) == [w.as_str()]).map(|(w, n)| (n, w)).collect();
    words.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(words.into_iter().map(|(_, w)| w).collect())
}

/// Two-word phrases taken from the stored text of documents spread over the index.
fn phrases(px: &PaperdexIndex, searcher: &Searcher, count: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let max = segment.max_doc();
        let step = (max / (count as u32 * 4).max(1)).max(1);
        let mut doc = 0;
        while doc < max && out.len() < count {
            let stored: TantivyDocument =
                searcher.doc(DocAddress::new(ord as u32, doc)).map_err(|e| Error::tantivy(&px.path, e))?;
            let text = [px.fields.description, px.fields.body]
                .iter()
                .find_map(|f| stored.get_first(*f).and_then(|v| v.as_str()).map(str::to_owned))
                .unwrap_or_default();
            let words: Vec<&str> = text.split_whitespace().collect();
            let plain = |w: &str| w.len() >= 4 && w.chars().all(|c| c.is_ascii_alphabetic());
            if let Some(pair) = words.windows(2).skip(words.len() / 3).find(|p| plain(p[0]) && plain(p[1])) {
                out.push(format!("\"{} {}\"", pair[0], pair[1]));
            }
            doc += step;
        }
    }
    Ok(out)
}

/// The word with one letter changed in the middle: a typo `--fuzzy` should forgive.
fn typo(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'x' { 'z' } else { 'x' };
    chars.into_iter().collect()
}

/// Reads a queries file: `CLASS<TAB>QUERY[<TAB>OPTION]...` per line, `#` comments. An
/// empty QUERY browses. Options: `kind=K`, `filter=FIELD=VALUE`, `facet=FIELD[=PATH]`,
/// `sort=relevance|date|-date`, `limit=N`, `fuzzy`. A line with no tab is a query of
/// class `custom`.
fn facet_spec(text: &str) -> FacetSpec {
    text.parse().expect("a valid facet request")
}

pub fn load_queries(path: &Path) -> Result<Vec<BenchQuery>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let bad = |why: String| Error::BadArgument(format!("{}:{}: {why}", path.display(), n + 1));
        let mut parts = line.split('\t');
        let (class, text) = match (parts.next(), parts.next()) {
            (Some(class), Some(text)) => (class.trim(), text.trim()),
            (Some(text), None) => ("custom", text.trim()),
            _ => continue,
        };
        if class.is_empty() {
            return Err(bad("no class before the tab (`CLASS<TAB>QUERY`): the report names each query's class".into()));
        }
        let mut q = query(class, (!text.is_empty()).then(|| text.to_owned()));
        for option in parts {
            let option = option.trim();
            let (key, value) = option.split_once('=').map_or((option, ""), |(k, v)| (k, v));
            match key {
                "kind" => q.request.kinds.push(value.parse().map_err(bad)?),
                "filter" => q.request.filters.push(value.parse().map_err(bad)?),
                "exclude" => q.request.excludes.push(value.parse().map_err(bad)?),
                "facet" => q.request.facets.push(value.parse().map_err(bad)?),
                "fuzzy" => q.request.fuzzy = true,
                "exact_total" => q.request.exact_total = true,
                "limit" => {
                    q.request.limit = value.parse().map_err(|_| bad(format!("`{value}` is not a number")))?;
                    crate::search::limits::check_paging(q.request.limit, 0).map_err(|e| bad(e.to_string()))?;
                }
                "sort" => {
                    q.request.sort = Some(match value {
                        "relevance" => Sort::Relevance,
                        "date" => Sort::Date,
                        "-date" => Sort::DateDesc,
                        _ => return Err(bad(format!("unknown sort `{value}`"))),
                    })
                }
                _ => return Err(bad(format!("unknown option `{option}`"))),
            }
        }
        out.push(q);
    }
    if out.is_empty() {
        return Err(Error::BadArgument(format!("{} holds no queries", path.display())));
    }
    Ok(out)
}
