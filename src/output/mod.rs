//! Printers: one module per output format, each writing to any `impl Write`.

pub mod human;
pub mod json;
pub mod progress;
