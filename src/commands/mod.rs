//! One module per subcommand; each takes its typed arguments and returns an outcome.

pub mod bench;
pub mod eval;
pub mod index;
pub mod inspect;
pub mod search;
pub mod synth;

use crate::cli::Command;
use crate::error::Result;

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
    match command {
        Command::Index(args) => index::run(&args),
        Command::Search(args) => search::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Eval(args) => eval::run(&args),
    }
}
