//! `paperdex stats`: what an index holds, read without write access; `--verify` checks
//! every file's checksum.

use std::io::Write;

use crate::cli::StatsArgs;
use crate::commands::Outcome;
use crate::config::IndexDir;
use crate::error::{Error, Result};
use crate::index::stats::{StatsReport, VerifyReport};
use crate::index::{self, stats};

pub fn run(args: &StatsArgs) -> Result<Outcome> {
    let dir = IndexDir::from_location(&args.location);
    let report = super::engine_guard(&dir.path, || {
        // Checked first: a damaged file may keep the index from opening at all.
        let verify = if args.verify && index::exists(&dir.path) {
            let (checked, damaged) = index::verify(&dir.path)?;
            if !damaged.is_empty() {
                let names: Vec<String> = damaged.iter().map(|(f, why)| format!("{}: {why}", f.display())).collect();
                let reason = names.join("; ");
                let counts_only = damaged
                    .iter()
                    .all(|(f, _)| f.extension().is_some_and(|e| e == crate::search::browse::SEGMENT_FILE_EXTENSION));
                return Err(if counts_only {
                    Error::DamagedCounts { path: dir.path.clone(), reason }
                } else {
                    Error::Damaged { path: dir.path.clone(), reason }
                });
            }
            Some(VerifyReport { checked, damaged: Vec::new() })
        } else {
            None
        };
        let px = index::open(&dir.path, &dir.build_hint())?;
        stats::report(&px, verify)
    })?;
    crate::output::print_report(args.json, &report, |out, r| Ok(write_human(out, r)?))?;
    Ok(Outcome::Found)
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
        writeln!(out, "{label} {}{given}: {}", root.path, crate::output::human::count(root.files, "file", "files"))?;
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
        writeln!(
            out,
            "verified   {}, {} damaged",
            crate::output::human::count(v.checked, "file", "files"),
            v.damaged.len()
        )?;
        for d in &v.damaged {
            writeln!(out, "  damaged  {}: {}", d.file, d.reason)?;
        }
    }
    Ok(())
}
