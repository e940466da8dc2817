//! Command-line arguments. The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Full-text search for AI paper-review pages: ranked, faceted search over pages,
/// figure and table captions, and survey method entries.
#[derive(Debug, Parser)]
#[command(name = "paperdex", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the records one file yields: its page, captions and method entries.
    Inspect(InspectArgs),
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The review page to read (Hugo Markdown with front matter).
    pub file: PathBuf,
    /// Print one JSON object: {"page", "captions", "methods", "problems"}.
    #[arg(long)]
    pub json: bool,
}
