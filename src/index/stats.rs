//! What an index holds (`paperdex stats --json` and the server's `/api/stats` print
//! this one report): records per kind, folders, files, segments, size, last commit.

use std::collections::BTreeMap;

use serde::Serialize;

use super::PaperdexIndex;
use crate::error::Result;

/// The `--json` report (documented in the README).
#[derive(Debug, Serialize)]
pub struct StatsReport {
    pub path: String,
    pub schema_version: u32,
    /// Records per kind, and `total`.
    pub records: BTreeMap<String, u64>,
    pub pages: u64,
    /// Source files that brought records.
    pub files: usize,
    pub roots: Vec<RootStats>,
    pub segments: usize,
    /// Bytes of the index folder's files.
    pub bytes: u64,
    /// The last commit, `YYYY-MM-DDTHH:MM:SSZ` (null when unknown).
    pub last_commit: Option<String>,
    /// Whether the run that made the last commit finished (false: mid-update).
    pub finished: bool,
    /// The pid of a `paperdex index` writing the index now.
    pub writer: Option<u32>,
    /// With `--verify`: files checked and the damaged ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifyReport>,
}

#[derive(Debug, Serialize)]
pub struct RootStats {
    /// The canonical path.
    pub path: String,
    /// The path as it was named.
    pub given: String,
    pub files: usize,
}

#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub checked: usize,
    pub damaged: Vec<DamagedFile>,
}

#[derive(Debug, Serialize)]
pub struct DamagedFile {
    pub file: String,
    pub reason: String,
}

/// The report on an open index; `verify` is what `--verify` found, if it ran.
pub fn report(px: &PaperdexIndex, verify: Option<VerifyReport>) -> Result<StatsReport> {
    let info = px.commit_info();
    let mut records = px.kind_counts()?;
    let pages = records["page"];
    records.insert("total".into(), records.values().sum());
    let keys = super::file_keys(px)?;
    let roots = info
        .roots
        .iter()
        .map(|r| RootStats {
            path: r.path.clone(),
            given: r.given.clone(),
            files: keys.iter().filter(|k| r.holds(k)).count(),
        })
        .collect();
    let segments = px.searcher().segment_readers().len();
    let bytes = std::fs::read_dir(&px.path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    Ok(StatsReport {
        path: px.path.display().to_string(),
        schema_version: info.paperdex_schema,
        records,
        pages,
        files: keys.len(),
        roots,
        segments,
        bytes,
        last_commit: (info.committed_at > 0).then(|| timestamp(info.committed_at)),
        finished: info.complete,
        writer: super::active_writer(&px.path),
        verify,
    })
}

/// `2026-12-01T09:30:12Z`.
fn timestamp(secs: u64) -> String {
    let secs = secs as i64;
    let day = crate::index::document::civil_date(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", t / 3600, t / 60 % 60, t % 60)
}
