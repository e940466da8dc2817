//! Printers: one module per output format, each writing to any `impl Write`.

pub mod human;
pub mod json;
pub mod progress;

use std::io::{BufWriter, StdoutLock, Write};

/// Stdout, locked and buffered: the standard stream writes every line on its own (a
/// browse's JSON with its 1,000 facet values was 4,000 writes, a third of the process),
/// this one in blocks. Flush it at the end; dropping it flushes too, ignoring errors.
pub type Stdout = BufWriter<StdoutLock<'static>>;

/// The buffered stdout ([`Stdout`]).
pub fn stdout() -> Stdout {
    BufWriter::with_capacity(64 * 1024, std::io::stdout().lock())
}

/// Prints a command's report on stdout: pretty JSON with `json`, else as `human` writes it.
pub fn print_report<T: serde::Serialize>(
    json: bool,
    report: &T,
    human: impl FnOnce(&mut Stdout, &T) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut out = stdout();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        human(&mut out, report)?;
    }
    out.flush()?;
    Ok(())
}
