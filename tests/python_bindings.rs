//! The index is a plain tantivy index: the official Python bindings open it and find the
//! same pages as `paperdex search --kind page` (in their own order: paperdex ranks by its
//! BM25F scorer, which the bindings do not have).

mod common;

use std::process::Command;

use serde_json::Value;

const QUERIES: &[&str] =
    &["video generation", "reasoning", "diffusion model", "benchmark", "robot manipulation", "physics"];

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn python_bindings_find_the_same_pages() {
    let reviews = common::shared_reviews();
    let has_bindings =
        Command::new("python3").args(["-c", "import tantivy"]).output().is_ok_and(|o| o.status.success());
    if !has_bindings && std::env::var_os("CI").is_none() {
        common::note("python_bindings_find_the_same_pages did not run: `pip install tantivy==0.27.0` first");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    common::paperdex().arg("index").arg(&reviews).arg("--index").arg(&idx).arg("--quiet").assert().success();
    let script = common::root().join("tests/python/top_pages.py");
    let out = Command::new("python3").arg(&script).arg(&idx).args(QUERIES).output().unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    let python: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    for (query, theirs) in QUERIES.iter().zip(python) {
        let out = common::paperdex()
            .args(["search", query, "--kind", "page", "-n", "100", "--json", "--index"])
            .arg(&idx)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ours: Vec<String> =
            doc["hits"].as_array().unwrap().iter().map(|h| h["page_id"].as_str().unwrap().to_owned()).collect();
        assert!(!ours.is_empty(), "{query}");
        let mut theirs = theirs;
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "pages for {query:?}");
    }
}
