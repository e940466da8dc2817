//! `paperdex inspect FILE`: what one file yields, for checking the parser on a page.

use std::io::Write;

use crate::cli::InspectArgs;
use crate::commands::Outcome;
use crate::error::{Error, Result};
use crate::ingest::{self, Severity};
use crate::output;

pub fn run(args: &InspectArgs) -> Result<Outcome> {
    // The same checks as indexing: a regular file (a FIFO or device is refused, never
    // waited on or read without end) of at most the size a review page may have.
    let bytes =
        ingest::read_file(&args.file).map_err(|problem| match problem.reason.strip_prefix("cannot read: ") {
            Some(why) => Error::Read { path: args.file.clone(), source: std::io::Error::other(why.to_owned()) },
            // Named here, not met in a walk: what it is, without the walk's "now".
            None => Error::BadArgument(format!(
                "{}: {}",
                problem.path,
                problem.reason.trim_start_matches("skipped: ").replace(" now, not a regular file", ", not a page file")
            )),
        })?;
    let parsed = ingest::parse_bytes(&args.file, &bytes);
    let mut out = output::stdout();
    if args.json {
        output::json::write_inspect(&mut out, &parsed)?;
    } else {
        output::human::write_inspect(&mut out, &parsed)?;
    }
    out.flush()?;
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for problem in &parsed.problems {
        let _ = writeln!(err, "{problem}");
    }
    Ok(match parsed.records {
        Some(_) => Outcome::Found,
        None if parsed.problems.iter().any(|p| p.severity == Severity::Error) => Outcome::Failed,
        None => Outcome::NothingFound,
    })
}
