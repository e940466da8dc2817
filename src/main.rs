//! The `paperdex` binary: parse arguments, run the command, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use paperdex::cli::Cli;
use paperdex::commands;

/// A search allocates many short-lived strings (stored values, snippets): mimalloc
/// serves them faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(paperdex::cli::with_query_words_last(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // A script that asked for JSON reads a bad option as a JSON error too.
            if wants_json() {
                let rendered = e.render().to_string();
                let first = rendered.lines().next().unwrap_or_default();
                let error = paperdex::Error::BadArgument(first.trim_start_matches("error: ").to_owned());
                let _ = paperdex::output::json::write_error(&mut std::io::stdout().lock(), &error);
            }
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    commands::install_panic_hook();
    let outcome = std::panic::catch_unwind(|| commands::run(cli.command))
        .unwrap_or_else(|_| Err(paperdex::Error::Internal(commands::take_panic_message())));
    match outcome {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // A script that asked for JSON reads the error as JSON too, on stdout (and
            // people on stderr, as always).
            if wants_json() {
                let _ = paperdex::output::json::write_error(&mut std::io::stdout().lock(), &e);
            }
            let _ = writeln!(std::io::stderr(), "paperdex: {}", paperdex::output::human::terminal_safe(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

/// True when the options ask for JSON output (`--json`, `--format json|jsonl`); after
/// `--` come a query's words, not options.
fn wants_json() -> bool {
    // An argument that is not UTF-8 (a file name) is an error of its own, not a panic here.
    let args: Vec<String> =
        std::env::args_os().map(|a| a.to_string_lossy().into_owned()).take_while(|a| a != "--").collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--json"
            || a == "--format=json"
            || a == "--format=jsonl"
            || (a == "--format" && args.get(i + 1).is_some_and(|f| f == "json" || f == "jsonl"))
    })
}
