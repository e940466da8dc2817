//! `paperdex stats`: what an index holds, read without write access; `--verify` checks
//! every file's checksum.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::cli::StatsArgs;
use crate::commands::Outcome;
use crate::config::IndexDir;
use crate::error::{Error, Result};
use crate::index::{self, PaperdexIndex};

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

pub fn run(args: &StatsArgs) -> Result<Outcome> {
    let dir = IndexDir::from_location(&args.location);
    let report = super::engine_guard(&dir.path, || {
        // Checked first: a damaged file may keep the index from opening at all.
        let verify = if args.verify && index::exists(&dir.path) {
            let (checked, damaged) = index::verify(&dir.path)?;
            if !damaged.is_empty() {
                let names: Vec<String> = damaged.iter().map(|(f, why)| format!("{}: {why}", f.display())).collect();
                return Err(Error::Damaged { path: dir.path.clone(), reason: names.join("; ") });
            }
            Some(VerifyReport { checked, damaged: Vec::new() })
        } else {
            None
        };
        let px = index::open(&dir.path, &dir.build_hint())?;
        report(&px, verify)
    })?;
    crate::output::print_report(args.json, &report, |out, r| Ok(write_human(out, r)?))?;
    Ok(Outcome::Found)
}

fn report(px: &PaperdexIndex, verify: Option<VerifyReport>) -> Result<StatsReport> {
    let mut records = px.kind_counts()?;
    let pages = records["page"];
    records.insert("total".into(), records.values().sum());
    let keys = index::file_keys(px)?;
    let roots = px
        .info
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
        schema_version: px.info.paperdex_schema,
        records,
        pages,
        files: keys.len(),
        roots,
        segments,
        bytes,
        last_commit: (px.info.committed_at > 0).then(|| timestamp(px.info.committed_at)),
        finished: px.info.complete,
        writer: index::active_writer(&px.path),
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

fn write_human(out: &mut impl Write, r: &StatsReport) -> std::io::Result<()> {
    let kinds: Vec<String> = r
        .records
        .iter()
        .filter(|(k, _)| k.as_str() != "total")
        .map(|(k, n)| format!("{n} {}", k.trim_start_matches("caption/")))
        .collect();
    writeln!(out, "index      {} (schema {})", r.path, r.schema_version)?;
    writeln!(out, "records    {} ({})", r.records["total"], kinds.join(", "))?;
    writeln!(out, "pages      {}", r.pages)?;
    writeln!(out, "files      {}", r.files)?;
    for (i, root) in r.roots.iter().enumerate() {
        let label = if i == 0 { "roots     " } else { "          " };
        let given = if root.given == root.path { String::new() } else { format!(" (named {})", root.given) };
        writeln!(out, "{label} {}{given}: {} files", root.path, root.files)?;
    }
    if r.roots.is_empty() {
        writeln!(out, "roots      (none)")?;
    }
    writeln!(out, "segments   {}", r.segments)?;
    writeln!(out, "size       {:.2} MB", r.bytes as f64 / 1_000_000.0)?;
    writeln!(out, "committed  {}", r.last_commit.as_deref().unwrap_or("unknown"))?;
    let state = match (r.finished, r.writer) {
        (true, _) => "yes".to_owned(),
        (false, Some(pid)) => format!("no: being updated now (pid {pid})"),
        (false, None) => "no: a run stopped before it finished; run `paperdex index` to complete it".to_owned(),
    };
    writeln!(out, "finished   {state}")?;
    if let Some(pid) = r.writer {
        writeln!(out, "writer     pid {pid} is writing the index now")?;
    }
    if let Some(v) = &r.verify {
        writeln!(out, "verified   {} files, {} damaged", v.checked, v.damaged.len())?;
        for d in &v.damaged {
            writeln!(out, "  damaged  {}: {}", d.file, d.reason)?;
        }
    }
    Ok(())
}
