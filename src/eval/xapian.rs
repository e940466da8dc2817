//! Xapian as a ranking peer: the index's records and the topics' queries handed to
//! `scripts/xapian_peer.py` (built into the binary) under a Python that has Debian's
//! `python3-xapian`; the peer is skipped, with a warning, where none has it.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use super::{QueryMode, Ranked, SystemRun, Topic, topic_words, trec_order};
use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
use crate::search::RecordKind;

/// The peer script, as committed in `scripts/`.
const SCRIPT: &str = include_str!("../../scripts/xapian_peer.py");

/// The exit status the script gives when `import xapian` fails.
const NO_XAPIAN: i32 = 3;

fn peer_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Peer(format!("Xapian peer: {what}: {e}"))
}

/// Files in the temp folder, removed when dropped.
struct TempFiles(Vec<PathBuf>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs the topics through Xapian; `Ok(None)` when no Python here has `xapian`.
pub fn run(
    px: &PaperdexIndex,
    searcher: &Searcher,
    topics: &[&Topic],
    mode: QueryMode,
    kinds: &[RecordKind],
    depth: usize,
) -> Result<Option<SystemRun>> {
    let mut paths = Vec::new();
    for kind in kinds {
        paths.push(kind.facet_path()[1..].to_owned());
    }
    let stamp =
        format!("{}-{}", std::process::id(), std::time::SystemTime::now().elapsed().map_or(0, |d| d.as_nanos()));
    let dir = std::env::temp_dir();
    let files = TempFiles(vec![
        dir.join(format!("paperdex-xapian-{stamp}-records.jsonl")),
        dir.join(format!("paperdex-xapian-{stamp}-queries.tsv")),
    ]);
    let write = |path: &PathBuf, source| Error::Write { path: path.clone(), source };
    {
        let file = std::fs::File::create(&files.0[0]).map_err(|e| write(&files.0[0], e))?;
        let mut out = std::io::BufWriter::new(file);
        let f = &px.fields;
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in 0..segment.max_doc() {
                if segment.is_deleted(doc) {
                    continue;
                }
                let stored: TantivyDocument =
                    searcher.doc(DocAddress::new(ord as u32, doc)).map_err(|e| Error::tantivy(&px.path, e))?;
                let first = |field| stored.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                let kind = first(f.kind);
                if !paths.is_empty() && !paths.iter().any(|p| kind == *p || kind.starts_with(&format!("{p}/"))) {
                    continue;
                }
                let text: Vec<&str> =
                    f.texts().flat_map(|(_, field)| stored.get_all(field).filter_map(|v| v.as_str())).collect();
                let line = serde_json::json!({ "id": first(f.id), "text": text });
                writeln!(out, "{line}").map_err(|e| write(&files.0[0], e))?;
            }
        }
        out.flush().map_err(|e| write(&files.0[0], e))?;
        let mut queries = String::new();
        for topic in topics {
            let words = match mode {
                QueryMode::Or | QueryMode::And => topic_words(&topic.text).join(" "),
                QueryMode::AsTyped => topic.text.replace(['\t', '\n'], " "),
            };
            queries.push_str(&format!("{}\t{words}\n", topic.id));
        }
        std::fs::write(&files.0[1], queries).map_err(|e| write(&files.0[1], e))?;
    }
    let mut pythons: Vec<String> = std::env::var("PAPERDEX_PYTHON").into_iter().collect();
    pythons.extend(["python3".to_owned(), "/usr/bin/python3".to_owned()]);
    let mut failure = None;
    for python in &pythons {
        let output = match Command::new(python)
            .arg("-c")
            .arg(SCRIPT)
            .arg(&files.0[0])
            .arg(&files.0[1])
            .arg(depth.to_string())
            .env("PAPERDEX_XAPIAN_OP", if mode == QueryMode::And { "and" } else { "or" })
            .output()
        {
            Ok(output) => output,
            Err(_) => continue,
        };
        if output.status.code() == Some(NO_XAPIAN) {
            continue;
        }
        if !output.status.success() {
            failure = Some(peer_error(python, String::from_utf8_lossy(&output.stderr).trim()));
            continue;
        }
        let mut run = SystemRun::default();
        for topic in topics {
            run.by_topic.insert(topic.id.clone(), Vec::new());
        }
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let mut parts = line.splitn(3, '\t');
            let (Some(topic), Some(doc), Some(score)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let score: f64 = score.parse().map_err(|e| peer_error("a weight", e))?;
            run.by_topic.entry(topic.to_owned()).or_default().push(Ranked { doc: doc.to_owned(), score });
        }
        for ranked in run.by_topic.values_mut() {
            trec_order(ranked);
        }
        return Ok(Some(run));
    }
    // A Python that has xapian and failed says more than one without it.
    match failure {
        Some(e) => Err(e),
        None => Ok(None),
    }
}
