//! Hostile files in a corpus: each gives records or a problem naming its path and
//! reason, within bounded time and memory, and every other file is indexed.

mod common;

use std::path::Path;
use std::time::Duration;

use common::paperdex;
use serde_json::Value;

const FRONT: &str = "---\ntitle: \"Hostile\"\ndate: 2025-02-01\n---\n";

/// The committed fixtures plus the large ones and the symlinks, made here.
fn hostile_corpus(dir: &Path) {
    let fixtures = common::root().join("tests/fixtures/hostile");
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let line = "word ".repeat(4 * 1024 * 1024);
    std::fs::write(dir.join("huge-line.md"), format!("{FRONT}{line}\n")).unwrap();
    let deep = format!(
        "{FRONT}{{{{< table-caption >}}}}\n{}<table><tr><td>deep cell</td></tr></table>{}\n{{{{< /table-caption >}}}}\n> 🔼 Deep HTML.\n",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    std::fs::write(dir.join("deep-html.md"), deep).unwrap();
    let header: String = (0..50_000).map(|i| format!("| c{i} ")).collect();
    let row: String = (0..50_000).map(|i| format!("| {i} ")).collect();
    let wide =
        format!("{FRONT}{{{{< table-caption >}}}}\n{header}|\n{row}|\n{{{{< /table-caption >}}}}\n> 🔼 Wide table.\n");
    std::fs::write(dir.join("wide-table.md"), wide).unwrap();
    let captions: String = (0..10_000).map(|i| format!("![](f{i}.png)\n\n> 🔼 Caption {i}.\n\n")).collect();
    std::fs::write(dir.join("many-captions.md"), format!("{FRONT}#### Visual Insights\n{captions}")).unwrap();
    std::fs::create_dir_all(dir.join("good/2501.00001")).unwrap();
    std::fs::write(
        dir.join("good/2501.00001/index.md"),
        format!("{FRONT}### TL;DR\n{{{{< lead >}}}}\nA perfectly ordinary okapiword page.\n{{{{< /lead >}}}}\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir, dir.join("good/loop")).unwrap();
    std::os::unix::fs::symlink(dir.join("missing.md"), dir.join("dangling.md")).unwrap();
}

#[test]
fn hostile_files_are_reported_and_the_rest_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    hostile_corpus(&corpus);
    let idx = dir.path().join("idx");
    // Limits: 4 GiB of address space (the index files are mapped too) and two minutes.
    let binary = assert_cmd::cargo::cargo_bin("paperdex");
    let out = assert_cmd::Command::new("sh")
        .args(["-c", "ulimit -v 4194304 && exec \"$0\" \"$@\""])
        .arg(&binary)
        .arg("index")
        .arg(&corpus)
        .arg("--index")
        .arg(&idx)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let problem = |file: &str, reason: &str| {
        let path = corpus.join(file).display().to_string();
        assert!(
            stderr.lines().any(|l| l.contains(&path) && l.contains(reason)),
            "no problem for {file} with {reason:?} in:\n{stderr}"
        );
    };
    problem("empty.md", "empty file");
    problem("image-renamed.md", "NUL bytes");
    problem("nul-bytes.md", "NUL bytes");
    problem("unclosed-front-matter.md", "never closed");
    problem("alias-bomb.md", "not valid YAML");
    problem("invalid-utf8.md", "invalid UTF-8");
    problem("unclosed-table-caption.md", "never closed");
    problem("good/loop", "symlink loop");
    problem("dangling.md", "No such file");
    // Records from every file that has some: 9 pages.
    let search = |args: &[&str]| -> Value {
        let out = paperdex().arg("search").args(args).arg("--json").arg("--index").arg(&idx).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let pages = search(&["--kind", "page", "--limit", "100"]);
    let mut ids: Vec<&str> = pages["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "2501.00001",
            "bom",
            "crlf",
            "deep-html",
            "huge-line",
            "invalid-utf8",
            "many-captions",
            "unclosed-table-caption",
            "wide-table"
        ]
    );
    assert_eq!(search(&["okapiword"])["total_hits"], 1);
    assert_eq!(search(&["--filter", "kind=/caption", "--limit", "0"])["total_hits"], 10_000 + 3);
    assert_eq!(search(&["deep", "cell", "--kind", "table"])["total_hits"], 1);
    assert_eq!(search(&["c49999", "--kind", "table"])["total_hits"], 1);
}

#[test]
fn every_fixture_inspects_without_a_panic() {
    for entry in std::fs::read_dir(common::root().join("tests/fixtures/hostile")).unwrap() {
        let path = entry.unwrap().path();
        let out = paperdex().arg("inspect").arg(&path).arg("--json").timeout(Duration::from_secs(30)).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0..=2)) && !stderr.contains("panicked"),
            "{}: {stderr}",
            path.display()
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(doc["page"].is_object() || !doc["problems"].as_array().unwrap().is_empty(), "{}", path.display());
    }
}
