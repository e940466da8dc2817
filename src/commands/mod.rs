//! One module per subcommand; each takes its typed arguments and returns an outcome.

pub mod bench;
pub mod eval;
pub mod index;
pub mod inspect;
pub mod search;
pub mod serve;
pub mod stats;
pub mod synth;

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use crate::cli::Command;
use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
use crate::index::cut_short::{self, OnCutShort};

/// What a command reports back to `main`: 0 results, 1 no results, 2 error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Found,
    NothingFound,
    Failed,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Found => 0,
            Outcome::NothingFound => 1,
            Outcome::Failed => 2,
        }
    }
}

pub fn run(command: Command) -> Result<Outcome> {
    // Commands that write an index stop when a file they read is cut short under them;
    // the others read zeros there and answer that the index is damaged.
    let writes = match &command {
        Command::Index(_) => true,
        Command::Serve(args) => !args.watch.is_empty(),
        _ => false,
    };
    cut_short::install(if writes { OnCutShort::Stop } else { OnCutShort::ReadZeros });
    match command {
        Command::Index(args) => index::run(&args),
        Command::Search(args) => search::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Stats(args) => stats::run(&args),
        Command::Completions(args) => {
            // Generated into memory first: the generator panics on a closed pipe.
            let mut script = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <crate::cli::Cli as clap::CommandFactory>::command(),
                "paperdex",
                &mut script,
            );
            let mut out = std::io::stdout().lock();
            out.write_all(&script)?;
            out.flush()?;
            Ok(Outcome::Found)
        }
        Command::Man(args) => {
            let top = <crate::cli::Cli as clap::CommandFactory>::command();
            let page = match &args.command {
                None => top,
                Some(name) => {
                    let names: Vec<String> = top.get_subcommands().map(|c| c.get_name().to_owned()).collect();
                    let sub = top.find_subcommand(name).cloned().ok_or_else(|| {
                        Error::BadArgument(format!("no command `{name}`; the commands: {}", names.join(", ")))
                    })?;
                    // Named as the top page's "see also" names it.
                    sub.name(format!("paperdex-{name}"))
                }
            };
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(page).render(&mut out)?;
            out.flush()?;
            Ok(Outcome::Found)
        }
        Command::Eval(args) => eval::run(&args),
        Command::Serve(args) => serve::run(&args),
    }
}

/// The message of the last panic, kept by the hook [`install_panic_hook`] sets.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replaces the default panic output (a dump no user can act on) by a note of the
/// message; the command boundary turns the panic into an error.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let place = info.location().map(|l| format!(" ({}:{})", l.file(), l.line())).unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(format!("{message}{place}"));
        }
    }));
}

/// The last panic's message, once.
pub fn take_panic_message() -> String {
    LAST_PANIC.lock().ok().and_then(|mut m| m.take()).unwrap_or_else(|| "unknown panic".to_owned())
}

/// Runs `work` on the index at `dir`; a panic inside the engine (damaged data tantivy
/// did not expect) becomes the damaged-index error, any other panic an internal error.
pub(crate) fn engine_guard<T>(dir: &std::path::Path, work: impl FnOnce() -> Result<T>) -> Result<T> {
    let zeros = cut_short::pages_read_as_zeros();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
    if cut_short::pages_read_as_zeros() != zeros {
        // What it read past a file's new end was zeros, not the index: whatever came of
        // it is not an answer.
        return Err(Error::Damaged {
            path: dir.to_path_buf(),
            reason: "one of its files was cut short while it was read".into(),
        });
    }
    match outcome {
        Ok(result) => result,
        Err(_) => {
            let message = take_panic_message();
            let message: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
            // A panic in the engine, the crates it reads with (ownedbytes, fst, ...) or the
            // standard library under them: the data it read was not what it wrote.
            let in_paperdex = message.contains("(src/") || message.contains("/paperdex/src/");
            if !in_paperdex || message.contains("tantivy") {
                Err(Error::Damaged { path: dir.to_path_buf(), reason: format!("the search engine failed: {message}") })
            } else {
                Err(Error::Internal(message))
            }
        }
    }
}

/// Says on stderr when the index is mid-update: a run is at work, or one stopped before
/// its last commit.
pub(crate) fn warn_if_mid_update(px: &PaperdexIndex) {
    if px.info.complete {
        return;
    }
    let dir = px.path.display();
    let message = match crate::index::active_writer(&px.path) {
        Some(pid) => format!(
            "paperdex: warning: the index at {dir} is being updated{}; results are from its last interim commit",
            if pid > 0 { format!(" (pid {pid})") } else { String::new() }
        ),
        None => format!(
            "paperdex: warning: the index at {dir} is mid-update: a `paperdex index` run stopped before it finished, so some changes are missing; run `paperdex index{}` to complete it",
            if px.path == std::path::Path::new(crate::config::DEFAULT_INDEX) {
                String::new()
            } else {
                format!(" --index {dir}")
            }
        ),
    };
    let _ = writeln!(std::io::stderr(), "{message}");
}
