//! paperdex: a full-text search engine for AI paper-review pages.
//!
//! [`ingest`] turns review pages (Hugo Markdown) into plain records: pages, figure and
//! table captions, and the method entries of survey taxonomy tables. The command-line
//! front end lives in [`cli`] and [`commands`]; printers in [`output`]; the HTTP API and the
//! web page in [`serve`].

pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod eval;
pub mod index;
pub mod ingest;
pub mod output;
pub mod search;
pub mod serve;
pub mod synth;

pub use error::{Error, Result};
pub use ingest::{Caption, CaptionKind, MethodEntry, Page, PageRecords, Problem};
