//! Helpers shared by the integration tests: the real-page corpus beside the repo and a
//! `paperdex` command with a clean environment.
#![allow(dead_code)] // each test crate uses its own subset of these helpers

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The default corpus's one page (the seed survey).
pub fn seed_page() -> PathBuf {
    root().join("corpus/2412.02142/index.md")
}

/// `../shared/corpus/reviews`, or `None` (with a skip line) when it is not there.
pub fn shared_reviews(test: &str) -> Option<PathBuf> {
    let dir = root().join("../shared/corpus/reviews");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skip: {test}: ../shared/corpus/reviews is not present");
        None
    }
}

/// Every review page under `dir`, in path order.
pub fn review_pages(dir: &Path) -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    pages.sort();
    pages
}

/// The `paperdex` binary with no inherited paperdex or colour settings.
pub fn paperdex() -> Command {
    let mut cmd = Command::cargo_bin("paperdex").expect("the paperdex binary is built");
    cmd.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).env("NO_COLOR", "1");
    cmd
}

/// Says that (part of) a test could not run, where the test output shows it: libtest
/// captures `println!`, not writes to the stderr handle.
pub fn say_skipped(test: &str, reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {reason}");
}
