//! The `paperdex` binary: parse arguments, run the command, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use paperdex::cli::Cli;
use paperdex::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::install_panic_hook();
    let outcome = std::panic::catch_unwind(|| commands::run(cli.command))
        .unwrap_or_else(|_| Err(paperdex::Error::Internal(commands::take_panic_message())));
    match outcome {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "paperdex: {e}");
            ExitCode::from(2)
        }
    }
}
