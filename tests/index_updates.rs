//! Incremental indexing and crash safety: runs after edits, additions, renames and
//! deletions hold the same records as a fresh rebuild, and a run killed at any point
//! leaves an index that opens, answers from its last commit, and is completed by the
//! next run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::paperdex;
use serde_json::Value;

/// `pages` synthetic pages written into `dir/pages`.
fn synth(dir: &Path, pages: usize) -> PathBuf {
    let out = dir.join("pages");
    paperdex()
        .current_dir(common::root())
        .args(["synth", "--pages", &pages.to_string(), "--seed", "3", "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

fn index(pages: &Path, idx: &Path, extra: &[&str]) -> String {
    let out = paperdex().arg("index").arg(pages).arg("--index").arg(idx).args(extra).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// Every record of an index, as `paperdex search` prints it, in a stable order.
fn records(idx: &Path) -> Vec<Value> {
    let out = paperdex().args(["search", "--limit", "10000", "--json", "--index"]).arg(idx).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut hits = doc["hits"].as_array().unwrap().clone();
    hits.sort_by_key(|h| (h["lang"].to_string(), h["id"].to_string()));
    hits
}

fn page_files(pages: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(pages)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// Rewrites a page's TL;DR, which changes its text but not its record counts.
fn edit(page: &Path, word: &str) {
    let text = std::fs::read_to_string(page).unwrap();
    let text = text.replacen("{{< lead >}}\n", &format!("{{{{< lead >}}}}\n{word} "), 1);
    std::fs::write(page, text).unwrap();
}

#[test]
fn incremental_runs_equal_a_fresh_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let pages = synth(dir.path(), 40);
    let idx = dir.path().join("idx");
    let first = index(&pages, &idx, &["--quiet"]);
    assert!(first.contains("(40 added, 0 updated, 0 removed, 0 unchanged)"), "{first}");
    let again = index(&pages, &idx, &["--quiet"]);
    assert!(again.contains("(0 added, 0 updated, 0 removed, 40 unchanged)"), "{again}");

    let files = page_files(&pages);
    edit(&files[0], "zebrafishword");
    edit(&files[1], "quokkaword");
    std::fs::remove_file(&files[2]).unwrap();
    let renamed = files[3].parent().unwrap().with_file_name("renamed");
    std::fs::rename(files[3].parent().unwrap(), &renamed).unwrap();
    std::fs::create_dir_all(pages.join("new/2412.02142")).unwrap();
    std::fs::copy(common::seed_page(), pages.join("new/2412.02142/index.md")).unwrap();
    let update = index(&pages, &idx, &["--quiet"]);
    assert!(update.contains("(2 added, 2 updated, 2 removed, 36 unchanged)"), "{update}");

    let fresh = dir.path().join("fresh");
    index(&pages, &fresh, &["--quiet", "--rebuild"]);
    let (ours, theirs) = (records(&idx), records(&fresh));
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours, theirs);
    let find = |q: &str| {
        let out = paperdex().args(["search", q, "--json", "--index"]).arg(&idx).output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["total_hits"].as_u64().unwrap()
    };
    assert_eq!(find("zebrafishword"), 1);
    assert_eq!(find("MoMA"), 2, "the method and the table caption of the added page");
    // --rebuild of an up-to-date index changes nothing either.
    index(&pages, &idx, &["--quiet", "--rebuild"]);
    assert_eq!(records(&idx), theirs);
}

#[test]
fn killed_runs_leave_the_last_commit_and_the_next_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let pages = synth(dir.path(), 240);
    let idx = dir.path().join("idx");
    index(&pages, &idx, &["--quiet"]);
    let files = page_files(&pages);
    let total = |idx: &Path| -> u64 {
        let out = paperdex()
            .args(["search", "--kind", "page", "--limit", "0", "--json", "--index"])
            .arg(idx)
            .output()
            .unwrap();
        assert!(out.status.success(), "the index opens after a kill: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["total_hits"].as_u64().unwrap()
    };
    let mut killed = 0;
    for round in 0..20u64 {
        for file in files.iter().skip(round as usize % 7).step_by(3) {
            edit(file, &format!("round{round}"));
        }
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"))
            .arg("index")
            .arg(&pages)
            .arg("--index")
            .arg(&idx)
            .args(["--quiet", "--commit-every", "16", "--threads", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(15 + round * 37 % 400));
        // A search while the run writes sees a committed state: every page, old or new.
        assert_eq!(total(&idx), 240, "round {round}, during the run");
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        // Whatever commit the run reached, every page is there, old or new.
        assert_eq!(total(&idx), 240, "round {round}");
    }
    assert!(killed >= 10, "only {killed} of 20 runs were killed before they ended");
    let last = index(&pages, &idx, &["--quiet"]);
    assert!(last.contains("indexed 240 pages"), "{last}");
    let fresh = dir.path().join("fresh");
    index(&pages, &fresh, &["--quiet", "--rebuild"]);
    assert_eq!(records(&idx), records(&fresh));
}

/// All records of an index as a search counts them; `None` when there is no index yet.
fn record_total(idx: &Path) -> Option<u64> {
    let out = paperdex().args(["search", "--limit", "0", "--json", "--index"]).arg(idx).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(2) {
        assert!(stderr.contains("no index at"), "only a missing index may fail: {stderr}");
        return None;
    }
    Some(serde_json::from_slice::<Value>(&out.stdout).unwrap()["total_hits"].as_u64().unwrap())
}

#[test]
fn killed_rebuilds_leave_the_old_index_whole_and_searches_never_see_a_part() {
    let dir = tempfile::tempdir().unwrap();
    let pages = synth(dir.path(), 240);
    let idx = dir.path().join("idx");
    // A first build is never seen half-done either: no index, then all of it.
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"))
        .arg("index")
        .arg(&pages)
        .arg("--index")
        .arg(&idx)
        .args(["--quiet", "--threads", "1", "--memory-mb", "15"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    while first.try_wait().unwrap().is_none() {
        seen.push(record_total(&idx));
    }
    assert!(first.wait().unwrap().success());
    let old = record_total(&idx).unwrap();
    assert!(seen.iter().all(|s| s.is_none() || *s == Some(old)), "a first build showed a part: {seen:?}");

    // The rebuild will hold fewer records than the index has now.
    for file in page_files(&pages).iter().take(60) {
        std::fs::remove_file(file).unwrap();
    }
    let fresh = dir.path().join("fresh");
    index(&pages, &fresh, &["--quiet"]);
    let new = record_total(&fresh).unwrap();
    assert!(new < old);

    let mut killed = 0;
    for round in 0..12u64 {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"))
            .arg("index")
            .arg(&pages)
            .arg("--index")
            .arg(&idx)
            .args(["--rebuild", "--quiet", "--threads", "1", "--memory-mb", "15"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let until = std::time::Instant::now() + Duration::from_millis(40 + round * 61 % 700);
        while std::time::Instant::now() < until {
            let total = record_total(&idx);
            assert!(total == Some(old) || total == Some(new), "round {round}: a search during a rebuild saw {total:?}");
        }
        if child.try_wait().unwrap().is_none() {
            killed += 1;
            let _ = child.kill();
        }
        let status = child.wait().unwrap();
        let total = record_total(&idx);
        assert!(total == Some(old) || total == Some(new), "round {round}: after the run, {total:?}");
        if status.success() {
            assert_eq!(total, Some(new), "a finished rebuild is all there");
            break;
        }
        assert_eq!(total, Some(old), "round {round}: a killed rebuild leaves the old index");
    }
    assert!(killed >= 3, "only {killed} rebuilds were killed before they ended");
    let last = index(&pages, &idx, &["--quiet", "--rebuild"]);
    assert!(last.contains("indexed 180 pages"), "{last}");
    assert_eq!(records(&idx), records(&fresh));
}

/// Writes a copy of `page` at `pages/to/index.md`, dated `date` when given.
fn duplicate(pages: &Path, page: &Path, to: &str, date: Option<&str>) {
    let mut text = std::fs::read_to_string(page).unwrap();
    if let Some(date) = date {
        let line = text.lines().find(|l| l.starts_with("date: ")).unwrap().to_owned();
        text = text.replacen(&line, &format!("date: {date}"), 1);
    }
    let path = pages.join(to).join("index.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn builds_in_several_runs_equal_a_build_in_one() {
    // Enough files for a build to split them into three runs (one per thread, at least
    // 256 files each), with duplicates of a page on both sides of a run's end: the same
    // pages stay, with the same warnings in the same order, as when one run reads all.
    let dir = tempfile::tempdir().unwrap();
    let pages = synth(dir.path(), 780);
    let files = page_files(&pages);
    duplicate(&pages, &files[5], "zz/newer", Some("2030-01-01"));
    duplicate(&pages, &files[10], "zz/older", Some("2000-01-01"));
    duplicate(&pages, &files[20], "zz/same", None);
    duplicate(&pages, &files[690], "00/newer", Some("2030-01-01"));
    duplicate(&pages, &files[30], "mm/newer", Some("2029-01-01"));
    duplicate(&pages, &files[30], "zz/newest", Some("2031-01-01"));
    std::fs::create_dir_all(pages.join("mm/broken")).unwrap();
    std::fs::write(pages.join("mm/broken/index.md"), "no front matter here\n").unwrap();

    let build = |threads: &str| {
        let idx = dir.path().join(format!("idx-{threads}"));
        let stderr = index(&pages, &idx, &["--threads", threads]);
        let (problems, summary) = stderr.trim_end().rsplit_once('\n').unwrap_or(("", &stderr));
        let summary = summary.split(" problems").next().unwrap().replace(&*idx.to_string_lossy(), "IDX");
        // Ranked, with their scores: the statistics they are drawn from are the same too.
        let ranked: Vec<Value> = ["model", "\"video generation\"", "data*"]
            .iter()
            .map(|q| {
                let out = paperdex().args(["search", q, "--json", "-n", "50", "--index"]).arg(&idx).output().unwrap();
                let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
                doc["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| Value::from(vec![h["id"].clone(), h["score"].clone()]))
                    .collect()
            })
            .collect();
        (records(&idx), problems.to_owned(), summary, ranked)
    };
    let one = build("1");
    // 780 pages, each file counted once: added, or skipped (the three duplicates dropped,
    // the three files whose pages were replaced, the broken file); six duplicate warnings
    // and the broken file's error.
    let counts = "(780 added, 0 updated, 0 removed, 0 unchanged, 7 skipped): 7";
    assert!(one.2.contains("from 787 files") && one.2.ends_with(counts), "{}", one.2);
    for dated in ["zz/newer", "00/newer", "zz/newest"] {
        assert!(one.0.iter().any(|h| h["source"].as_str().is_some_and(|s| s.contains(dated))), "{dated} kept");
    }
    for dropped in ["zz/older", "zz/same", "mm/newer"] {
        assert!(one.0.iter().all(|h| h["source"].as_str().is_none_or(|s| !s.contains(dropped))), "{dropped} dropped");
    }
    assert_eq!(one.1.matches("duplicate of page").count(), 6, "{}", one.1);
    assert!(one.3.iter().all(|hits| hits.as_array().is_some_and(|h| h.len() > 1)), "{:?}", one.3);
    for threads in ["2", "3"] {
        let runs = build(threads);
        assert_eq!(runs.2, one.2, "{threads} threads");
        assert_eq!(runs.1, one.1, "{threads} threads");
        assert_eq!(runs.0.len(), one.0.len(), "{threads} threads");
        assert_eq!(runs.0, one.0, "{threads} threads");
        assert_eq!(runs.3, one.3, "{threads} threads: scores");
    }
}

#[test]
fn of_two_pages_with_the_same_date_the_same_one_stays_whatever_the_history() {
    // Two copies of a page, same id and date, in b/ and a/: a/'s path comes first, so
    // it stays, whether it was there from the start or came back after b/'s was kept.
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    duplicate(&pages, &common::seed_page(), "b", None);
    let idx = dir.path().join("idx");
    index(&pages, &idx, &["--quiet"]);
    let text = std::fs::read_to_string(pages.join("b/index.md")).unwrap();
    duplicate(&pages, &pages.join("b/index.md"), "a", None);
    std::fs::write(pages.join("a/index.md"), text.replacen("title: \"", "title: \"Amarker ", 1)).unwrap();
    let update = index(&pages, &idx, &[]);
    assert!(update.contains("both dated 2024-12-03, kept the one whose path comes first"), "{update}");
    let kept = |idx: &Path| -> Vec<String> {
        records(idx)
            .iter()
            .filter(|h| h["kind"] == "page")
            .map(|h| h["source"].as_str().unwrap().rsplit_once("pages/").unwrap().1.to_owned())
            .collect()
    };
    assert_eq!(kept(&idx), ["a/index.md"]);
    let fresh = dir.path().join("fresh");
    index(&pages, &fresh, &["--quiet", "--rebuild"]);
    assert_eq!(kept(&fresh), ["a/index.md"]);
    assert_eq!(records(&idx), records(&fresh));
    // Gone and back: b/'s page stands in, then a/'s is kept again.
    let held = dir.path().join("held");
    std::fs::rename(pages.join("a"), &held).unwrap();
    index(&pages, &idx, &["--quiet"]);
    assert_eq!(kept(&idx), ["b/index.md"]);
    std::fs::rename(&held, pages.join("a")).unwrap();
    index(&pages, &idx, &["--quiet"]);
    assert_eq!(kept(&idx), ["a/index.md"]);
    assert_eq!(records(&idx), records(&fresh));
}
