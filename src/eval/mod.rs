//! Relevance evaluation: topics and TREC judgments read from files, each topic turned
//! into a query, run through the same search as `paperdex search` (and through a peer),
//! and scored with trec_eval's metrics.

pub mod metrics;
pub mod xapian;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use tantivy::Searcher;

pub use metrics::{Judgments, Metrics, Ranked, mean, topic_metrics, trec_order};

use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
use crate::search::RecordKind;
use crate::search::{self, SearchRequest};

/// One information need: its id and its text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub id: String,
    pub text: String,
}

/// How a topic's text becomes a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum QueryMode {
    /// The topic's words joined by OR (the usual protocol).
    Or,
    /// The topic's words, all required.
    And,
    /// The topic's text as the user typed it, in paperdex's query syntax.
    AsTyped,
}

/// Reads `TOPIC_ID<TAB>TEXT` lines; blank lines and `#` comments are skipped.
pub fn read_topics(path: &Path) -> Result<Vec<Topic>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let mut topics = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((id, text)) = line.split_once('\t') else {
            return Err(Error::BadArgument(format!(
                "{}:{}: a topic line is TOPIC_ID<TAB>TEXT, and this one has no tab",
                path.display(),
                n + 1
            )));
        };
        topics.push(Topic { id: id.trim().to_owned(), text: text.trim().to_owned() });
    }
    if topics.is_empty() {
        return Err(Error::BadArgument(format!("{}: no topics in the file", path.display())));
    }
    Ok(topics)
}

/// Reads TREC judgments, `TOPIC_ID ITERATION DOC_ID GAIN` per line, by topic.
pub fn read_qrels(path: &Path) -> Result<HashMap<String, Judgments>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let mut qrels: HashMap<String, Judgments> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts[..] {
            [] => continue,
            [topic, _, doc, gain] => {
                let gain: i32 = gain.parse().map_err(|_| {
                    Error::BadArgument(format!("{}:{}: the gain `{gain}` is not a whole number", path.display(), n + 1))
                })?;
                qrels.entry(topic.to_owned()).or_default().insert(doc.to_owned(), gain);
            }
            _ => {
                return Err(Error::BadArgument(format!(
                    "{}:{}: a judgment line is TOPIC_ID ITERATION DOC_ID GAIN",
                    path.display(),
                    n + 1
                )));
            }
        }
    }
    Ok(qrels)
}

/// The words of a topic as the protocol takes them: runs of letters and digits, two or
/// more characters, lower-cased.
pub fn topic_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 2).map(str::to_lowercase).collect()
}

/// The query text for a topic in a mode; `None` when the topic has no words.
pub fn topic_query(text: &str, mode: QueryMode) -> Option<String> {
    let words = topic_words(text);
    let joined = match mode {
        QueryMode::Or => words.join(" OR "),
        QueryMode::And => words.join(" "),
        QueryMode::AsTyped => text.trim().to_owned(),
    };
    (!joined.trim().is_empty()).then_some(joined)
}

/// The topics that are judged: at least one relevant document. Evaluation is over these;
/// a judged topic the system gives nothing for counts as zero (trec_eval `-c`).
pub fn judged_topics<'t>(topics: &'t [Topic], qrels: &HashMap<String, Judgments>) -> Vec<&'t Topic> {
    topics.iter().filter(|t| qrels.get(&t.id).is_some_and(|j| j.values().any(|&g| g >= 1))).collect()
}

/// What one system returned for every topic, in trec order.
#[derive(Debug, Clone, Default)]
pub struct SystemRun {
    pub by_topic: BTreeMap<String, Vec<Ranked>>,
    /// Topics whose query failed, with the reason.
    pub failures: Vec<(String, String)>,
}

/// Runs every topic through `paperdex search`'s own API, the top `depth` hits of `kinds`.
pub fn run_paperdex(
    px: &PaperdexIndex,
    searcher: &Searcher,
    topics: &[&Topic],
    mode: QueryMode,
    kinds: &[RecordKind],
    depth: usize,
    mut progress: impl FnMut(usize),
) -> Result<SystemRun> {
    let mut run = SystemRun::default();
    for (i, topic) in topics.iter().enumerate() {
        progress(i);
        let Some(query) = topic_query(&topic.text, mode) else {
            run.by_topic.insert(topic.id.clone(), Vec::new());
            continue;
        };
        let request = SearchRequest {
            query: Some(query),
            kinds: kinds.to_vec(),
            limit: depth,
            snippet_chars: 20,
            ..SearchRequest::default()
        };
        match search::search(px, searcher, &request) {
            Ok(results) => {
                let mut ranked: Vec<Ranked> = results
                    .hits
                    .into_iter()
                    .map(|h| Ranked { doc: h.id, score: f64::from(h.score.unwrap_or(0.0)) })
                    .collect();
                trec_order(&mut ranked);
                run.by_topic.insert(topic.id.clone(), ranked);
            }
            Err(e @ (Error::QuerySyntax { .. } | Error::UnknownQueryField { .. })) if mode == QueryMode::AsTyped => {
                run.failures.push((topic.id.clone(), e.to_string()));
                run.by_topic.insert(topic.id.clone(), Vec::new());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(run)
}

/// One system's figures: the mean over judged topics, and each topic's.
#[derive(Debug, Clone, Serialize)]
pub struct SystemReport {
    pub system: String,
    pub mean: Metrics,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_topic: Vec<TopicReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicReport {
    pub topic: String,
    pub retrieved: usize,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// Scores a run against the judgments over the judged topics.
pub fn score(system: &str, run: &SystemRun, topics: &[&Topic], qrels: &HashMap<String, Judgments>) -> SystemReport {
    let empty = Vec::new();
    let per_topic: Vec<TopicReport> = topics
        .iter()
        .map(|t| {
            let ranked = run.by_topic.get(&t.id).unwrap_or(&empty);
            TopicReport { topic: t.id.clone(), retrieved: ranked.len(), metrics: topic_metrics(ranked, &qrels[&t.id]) }
        })
        .collect();
    let all: Vec<Metrics> = per_topic.iter().map(|t| t.metrics).collect();
    SystemReport { system: system.to_owned(), mean: mean(&all), per_topic }
}

/// Writes a run in TREC format: `TOPIC Q0 DOC RANK SCORE RUN`.
pub fn write_run(out: &mut impl std::io::Write, name: &str, run: &SystemRun) -> std::io::Result<()> {
    for (topic, ranked) in &run.by_topic {
        for (i, hit) in ranked.iter().enumerate() {
            writeln!(out, "{topic} Q0 {} {} {:.6} {name}", hit.doc, i + 1, hit.score)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_words_follow_the_protocol() {
        assert_eq!(
            topic_words("What deals with TSS (Time-Sharing), a 2nd OS? I/O x"),
            ["what", "deals", "with", "tss", "time", "sharing", "2nd", "os"]
        );
        assert_eq!(topic_query("Prieve or Udo", QueryMode::Or).as_deref(), Some("prieve OR or OR udo"));
        assert_eq!(topic_query("a b ?", QueryMode::Or), None);
    }
}
