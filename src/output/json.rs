//! JSON output. Field names are part of paperdex's documented interface.

use std::io::Write;

use serde::Serialize;

use crate::error::Result;
use crate::ingest::{Caption, MethodEntry, Page, ParsedFile, Problem};

#[derive(Serialize)]
struct InspectJson<'a> {
    page: Option<&'a Page>,
    captions: &'a [Caption],
    methods: &'a [MethodEntry],
    problems: &'a [Problem],
}

/// `{"page": {...}|null, "captions": [...], "methods": [...], "problems": [...]}`.
pub fn write_inspect(out: &mut impl Write, parsed: &ParsedFile) -> Result<()> {
    let (page, captions, methods) = match &parsed.records {
        Some(r) => (Some(&r.page), r.captions.as_slice(), r.methods.as_slice()),
        None => (None, &[][..], &[][..]),
    };
    let doc = InspectJson { page, captions, methods, problems: &parsed.problems };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
