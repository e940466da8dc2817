//! `paperdex serve`: the flags resolved into a [`ServeConfig`], then the server runs
//! until SIGINT or SIGTERM (exit 0).

use std::time::Duration;

use crate::cli::ServeArgs;
use crate::commands::Outcome;
use crate::config::IndexDir;
use crate::error::{Error, Result};
use crate::serve::{self, ServeConfig};

/// The longest time limit a search may be given.
const MAX_TIME_LIMIT_MS: u64 = 600_000;
/// The most searches that may be admitted at once.
const MAX_IN_FLIGHT: usize = 4096;

pub fn run(args: &ServeArgs) -> Result<Outcome> {
    let dir = IndexDir::from_location(&args.location);
    if args.time_limit_ms == 0 || args.time_limit_ms > MAX_TIME_LIMIT_MS {
        return Err(Error::BadArgument(format!("--time-limit-ms must be between 1 and {MAX_TIME_LIMIT_MS}")));
    }
    if args.max_in_flight == 0 || args.max_in_flight > MAX_IN_FLIGHT {
        return Err(Error::BadArgument(format!("--max-in-flight must be between 1 and {MAX_IN_FLIGHT}")));
    }
    serve::run(ServeConfig {
        index: dir.path.clone(),
        build_hint: dir.build_hint(),
        addr: args.addr,
        watch: args.watch.clone(),
        cors: args.cors.clone(),
        time_limit: Duration::from_millis(args.time_limit_ms),
        max_in_flight: args.max_in_flight,
    })
    .map_err(|e| match e {
        Error::BadArgument(m) if m.starts_with("CORS origin") => Error::BadArgument(format!("--cors: {m}")),
        other => other,
    })?;
    Ok(Outcome::Found)
}
