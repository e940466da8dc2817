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

/// Where the real review pages are looked for: `../shared/corpus/reviews`, or the folder
/// named by `PAPERDEX_TEST_SHARED_REVIEWS` (which the tests of this mechanism set).
pub fn shared_reviews_dir() -> PathBuf {
    std::env::var_os("PAPERDEX_TEST_SHARED_REVIEWS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus/reviews"))
}

/// The real review pages, for a test that cannot run without them. Such a test carries
/// `#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]`, so a
/// build without the folder lists it as ignored (build.rs); when it runs anyway (under
/// `CI=true`, or with `--include-ignored`) and the folder is missing, it fails.
pub fn shared_reviews() -> PathBuf {
    let dir = shared_reviews_dir();
    if dir.is_dir() {
        return dir;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true and {} is missing: the tests on the real review pages must run in CI", dir.display());
    }
    panic!("{} is missing: this test needs the real review pages beside the repository", dir.display());
}

/// The real review pages when they are there; a test that only widens its inputs with
/// them says on the test output (uncaptured) when it runs without.
pub fn shared_reviews_if_present(test: &str) -> Option<PathBuf> {
    let dir = shared_reviews_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        note(&format!("{test}: {} is not present", dir.display()));
        None
    }
}

/// A line on the test output that libtest's capture does not swallow (it only captures
/// the `print!` family), for a test that runs with less than it could.
pub fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "note: {line}");
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

/// `paperdex search --index INDEX ARGS --json`, parsed: it must succeed, or exit 1 with no
/// hits (a search that finds nothing).
pub fn search_json(index: &Path, args: &[&str]) -> serde_json::Value {
    let out =
        paperdex().arg("search").arg("--index").arg(index).args(args).arg("--json").output().expect("paperdex runs");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("search --json prints JSON");
    assert_eq!(out.status.code() == Some(1), v["total_hits"] == 0, "{args:?}: exit 1 is no hits");
    v
}
