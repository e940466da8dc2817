//! Printers: one module per output format, each writing to any `impl Write`.

pub mod human;
pub mod json;
pub mod progress;

use std::io::Write;

/// Prints a command's report on stdout: pretty JSON with `json`, else as `human` writes it.
pub fn print_report<T: serde::Serialize>(
    json: bool,
    report: &T,
    human: impl FnOnce(&mut std::io::StdoutLock<'static>, &T) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        human(&mut out, report)?;
    }
    out.flush()?;
    Ok(())
}
