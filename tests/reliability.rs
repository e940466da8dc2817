//! Reliability: no mistake empties an index, no input crashes it, no run is seen
//! half-done. Index roots, `paperdex stats`, lossless paths, bounded queries, read-only
//! use, damaged indexes and a full disk, each run through the binary.

mod common;

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::paperdex;
use predicates::prelude::*;
use serde_json::Value;

fn run(dir: &Path, args: &[&str]) -> Output {
    paperdex().current_dir(dir).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `paperdex index ARGS` in `dir`, which must succeed; its stderr.
fn index_ok(dir: &Path, args: &[&str]) -> String {
    let out = paperdex().current_dir(dir).arg("index").args(args).arg("--quiet").output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "index {args:?}: {}", stderr(&out));
    stderr(&out)
}

fn stats(dir: &Path, index: &str) -> Value {
    let out = run(dir, &["stats", "--json", "--index", index]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every record of an index (ids and sources), sorted.
fn records(dir: &Path, index: &str) -> Vec<(String, String)> {
    let out = run(dir, &["search", "--limit", "10000", "--json", "--index", index]);
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<(String, String)> = doc["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["id"].as_str().unwrap().to_owned(), h["source"].as_str().unwrap().to_owned()))
        .collect();
    ids.sort();
    ids
}

/// A page of the seed's format with its own arXiv id and title.
fn page(id: &str, title: &str) -> String {
    let seed = std::fs::read_to_string(common::seed_page()).unwrap();
    let text = seed.replace("2412.02142", id);
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("title:") {
            out.push_str(&format!("title: \"{title}\"\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn write_page(root: &Path, folder: &str, id: &str, title: &str) -> PathBuf {
    let path = root.join(folder).join("index.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, page(id, title)).unwrap();
    path
}

/// Two corpora, `a/` (2 pages) and `b/` (1 page), in a temp dir.
fn two_corpora() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_page(&dir.path().join("a"), "p1", "1111.00001", "Alpha One");
    write_page(&dir.path().join("a"), "p2", "1111.00002", "Alpha Two");
    write_page(&dir.path().join("b"), "p3", "2222.00003", "Beta Three");
    dir
}

fn page_ids(dir: &Path, index: &str) -> Vec<String> {
    let out = run(dir, &["search", "--kind", "page", "--limit", "100", "--json", "--index", index]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<String> =
        doc["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

#[test]
fn a_mistyped_folder_changes_nothing() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    let before = records(d, "idx");
    let out = run(d, &["index", "/nonexistent", "--index", "idx"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "paperdex: cannot index /nonexistent: no such folder; the index is unchanged\n");
    // One bad folder among good ones: still nothing is done.
    let out = run(d, &["index", "b", "nope", "--index", "idx"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(records(d, "idx"), before);
    assert_eq!(page_ids(d, "idx"), ["1111.00001", "1111.00002"]);
}

#[test]
fn folders_are_added_updated_and_forgotten_one_by_one() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    let second = index_ok(d, &["b", "--index", "idx"]);
    assert!(second.contains("(1 added, 0 updated, 0 removed, 0 unchanged)"), "{second}");
    assert_eq!(page_ids(d, "idx"), ["1111.00001", "1111.00002", "2222.00003"], "a second corpus keeps the first");

    // No folder: every remembered folder is updated.
    write_page(&d.join("a"), "p1", "1111.00001", "Alpha One Edited");
    write_page(&d.join("b"), "p4", "2222.00004", "Beta Four");
    let all = index_ok(d, &["--index", "idx"]);
    assert!(all.contains("(1 added, 1 updated, 0 removed, 2 unchanged)"), "{all}");
    let s = stats(d, "idx");
    assert_eq!(s["roots"].as_array().unwrap().len(), 2);
    assert_eq!(s["pages"], 4);

    // A file removed from `b` goes when `b` is updated, not when `a` is.
    std::fs::remove_dir_all(d.join("b/p3")).unwrap();
    let only_a = index_ok(d, &["a", "--index", "idx"]);
    assert!(only_a.contains("(0 added, 0 updated, 0 removed, 2 unchanged)"), "{only_a}");
    assert_eq!(page_ids(d, "idx").len(), 4);
    let only_b = index_ok(d, &["b", "--index", "idx"]);
    assert!(only_b.contains("(0 added, 0 updated, 1 removed, 1 unchanged)"), "{only_b}");

    let forget = index_ok(d, &["--forget", "b", "--index", "idx"]);
    assert!(forget.contains("1 removed"), "{forget}");
    assert_eq!(page_ids(d, "idx"), ["1111.00001", "1111.00002"]);
    let roots = stats(d, "idx")["roots"].clone();
    assert_eq!(roots.as_array().unwrap().len(), 1, "{roots}");
    assert_eq!(roots[0]["given"], "a");

    // A remembered folder that is gone is an error that says how to forget it.
    std::fs::rename(d.join("a"), d.join("moved")).unwrap();
    let out = run(d, &["index", "--index", "idx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--forget"), "{}", stderr(&out));
    assert_eq!(page_ids(d, "idx").len(), 2, "unchanged");
    // --forget works on a folder that no longer exists.
    index_ok(d, &["--forget", "a", "--index", "idx"]);
    assert!(page_ids(d, "idx").is_empty());
}

#[test]
fn forgetting_a_folder_brings_back_the_pages_its_duplicates_stood_in_for() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    // `b` holds a newer copy of a page of `a`: the index keeps the newer one.
    let newer = page("1111.00001", "Alpha One, Revised").replace("date: 2024-12-03", "date: 2025-06-01");
    std::fs::create_dir_all(d.join("b/p1")).unwrap();
    std::fs::write(d.join("b/p1/index.md"), newer).unwrap();
    index_ok(d, &["b", "--index", "idx"]);
    let sources = |d: &Path| -> Vec<String> {
        let out = run(d, &["search", "--kind", "page", "--json", "--index", "idx"]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut s: Vec<String> =
            doc["hits"].as_array().unwrap().iter().map(|h| h["source"].as_str().unwrap().to_owned()).collect();
        s.sort();
        s
    };
    assert!(sources(d).iter().any(|s| s.contains("b/p1")), "{:?}", sources(d));
    assert_eq!(page_ids(d, "idx"), ["1111.00001", "1111.00002", "2222.00003"]);
    // Forgetting `b` drops its pages and brings back the page of `a` it replaced.
    let forget = index_ok(d, &["--forget", "b", "--index", "idx"]);
    assert!(forget.contains("1 added"), "{forget}");
    assert_eq!(page_ids(d, "idx"), ["1111.00001", "1111.00002"]);
    assert!(sources(d).iter().all(|s| s.contains("a/p")), "{:?}", sources(d));
}

#[test]
fn one_folder_by_any_name_is_one_root_and_each_file_is_indexed_once() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    let absolute = d.join("a").display().to_string();
    for spelling in ["./a", "a/", "a/../a", absolute.as_str()] {
        let again = index_ok(d, &[spelling, "--index", "idx"]);
        assert!(again.contains("(0 added, 0 updated, 0 removed, 2 unchanged)"), "{spelling}: {again}");
    }
    assert_eq!(stats(d, "idx")["roots"].as_array().unwrap().len(), 1);
    // A folder with its subfolder, or named twice: each file once, no duplicate warnings.
    let out = paperdex().current_dir(d).args(["index", "a", "a/p1", "a", "--index", "fresh"]).output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("duplicate") && !err.contains("warning"), "{err}");
    assert!(err.contains("from 2 files") && err.contains("(2 added, 0 updated, 0 removed, 0 unchanged)"), "{err}");
    assert_eq!(stats(d, "fresh")["roots"].as_array().unwrap().len(), 1, "a/p1 lies inside a");
    // A subfolder first, then its parent: the parent replaces it.
    index_ok(d, &["a/p1", "--index", "sub"]);
    let parent = index_ok(d, &["a", "--index", "sub"]);
    assert!(parent.contains("(1 added, 0 updated, 0 removed, 1 unchanged)"), "{parent}");
    assert_eq!(stats(d, "sub")["roots"].as_array().unwrap().len(), 1);
}

#[test]
fn stats_report_what_the_index_holds() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "b", "--index", "idx"]);
    let s = stats(d, "idx");
    for key in
        ["path", "schema_version", "records", "pages", "files", "roots", "segments", "bytes", "last_commit", "finished"]
    {
        assert!(s.get(key).is_some(), "{key} missing: {s}");
    }
    assert_eq!(s["pages"], 3);
    assert_eq!(s["files"], 3);
    assert_eq!(s["records"]["page"], 3);
    assert_eq!(s["records"]["method"], 96);
    assert_eq!(s["records"]["caption/table"], 3);
    assert_eq!(s["records"]["total"], 102);
    assert_eq!(s["finished"], true);
    assert!(s["bytes"].as_u64().unwrap() > 1000);
    assert!(s["segments"].as_u64().unwrap() >= 1);
    assert!(s["last_commit"].as_str().unwrap().ends_with('Z'));
    let files: Vec<u64> = s["roots"].as_array().unwrap().iter().map(|r| r["files"].as_u64().unwrap()).collect();
    assert_eq!(files, [2, 1]);
    let human = run(d, &["stats", "--index", "idx"]);
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.contains("pages      3") && text.contains("finished   yes"), "{text}");
    let verify = run(d, &["stats", "--verify", "--json", "--index", "idx"]);
    assert!(verify.status.success());
    let v: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert!(v["verify"]["checked"].as_u64().unwrap() >= 5);
    assert_eq!(v["verify"]["damaged"], serde_json::json!([]));
    paperdex()
        .current_dir(d)
        .args(["stats", "--index", "none"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no index at none"));
}

#[test]
fn names_that_differ_only_in_non_utf8_bytes_are_two_records() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = d.join("pages");
    for name in [&b"caf\xe9"[..], &b"caf\xe8"[..]] {
        let folder = root.join(std::ffi::OsStr::from_bytes(name));
        std::fs::create_dir_all(&folder).unwrap();
        // No arXiv id in the page: its id comes from the folder name.
        let text = page("0000.00000", "Folder Named").replace("0000.00000", "");
        std::fs::write(folder.join("index.md"), text).unwrap();
    }
    for round in 0..3 {
        let err = index_ok(d, &["pages", "--index", "idx"]);
        let expected = if round == 0 {
            "(2 added, 0 updated, 0 removed, 0 unchanged)"
        } else {
            "(0 added, 0 updated, 0 removed, 2 unchanged)"
        };
        assert!(err.contains(expected), "round {round}: {err}");
        assert!(!err.contains("duplicate"), "{err}");
        let mut sources: Vec<String> =
            records(d, "idx").into_iter().filter(|(id, _)| !id.contains('/')).map(|(_, s)| s).collect();
        sources.sort();
        assert_eq!(sources, ["pages/caf\\xE8/index.md", "pages/caf\\xE9/index.md"]);
    }
    let ids = page_ids(d, "idx");
    assert_eq!(ids, ["caf\\xE8", "caf\\xE9"]);
}

#[test]
fn queries_and_paging_past_the_limits_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("corpus/2412.02142")).unwrap();
    std::fs::copy(common::seed_page(), d.join("corpus/2412.02142/index.md")).unwrap();
    index_ok(d, &[]);
    let nested = format!("{}personalized", "(".repeat(8_400));
    // Passed as many arguments (they are joined): one argument may not exceed 128 KiB.
    let ored: Vec<String> = (0..40_000).flat_map(|i| [format!("w{i}"), "OR".to_owned()]).collect();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![nested], "nests parentheses"),
        (ored, "at most"),
        (vec!["--limit".into(), "1000000000".into()], "limit 1000000000 is more than the 10000"),
        (vec!["--limit".into(), "1000000000".into(), "--sort".into(), "-date".into(), "survey".into()], "limit"),
        (vec!["--limit".into(), "18446744073709551615".into()], "limit"),
        (vec!["--offset".into(), "18446744073709551615".into(), "survey".into()], "offset"),
        (vec!["x".repeat(20_000)], "bytes long"),
        (vec!["--fuzzy".into(), (0..100).map(|i| format!("word{i} ")).collect()], "typo"),
    ];
    for (args, message) in cases {
        let out = paperdex().current_dir(d).arg("search").args(&args).output().unwrap();
        let err = stderr(&out);
        let shown: String = args.join(" ").chars().take(80).collect();
        assert_eq!(out.status.code(), Some(2), "{shown}: {err}");
        assert!(err.starts_with("paperdex: ") && err.contains(message), "{shown}: {err}");
        assert!(!err.contains("panicked") && out.stdout.is_empty());
    }
    // At the limits, searches answer.
    let at: String = (0..500).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" OR ");
    let out = paperdex().current_dir(d).args(["search", &at]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = paperdex().current_dir(d).args(["search", "--limit", "10000", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Runs `f` when this process may mount file systems (root); otherwise says so where the
/// test output shows it, and fails under CI, where the tests run as root.
fn with_mount_rights(test: &str, f: impl FnOnce()) {
    let probe = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(probe.path())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "{test}: cannot mount a tmpfs under CI");
        common::note(&format!("{test}: not run: needs the right to mount a tmpfs (root)"));
        return;
    }
    let _ = std::process::Command::new("umount").arg(probe.path()).status();
    f();
}

fn mount_tmpfs(at: &Path, size: &str) {
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .status()
        .unwrap();
    assert!(status.success());
}

fn remount(at: &Path, options: &str) {
    let status =
        std::process::Command::new("mount").args(["-o", &format!("remount,{options}")]).arg(at).status().unwrap();
    assert!(status.success());
}

fn umount(at: &Path) {
    let _ = std::process::Command::new("umount").arg(at).status();
}

#[test]
fn reading_needs_no_write_access() {
    let dir = two_corpora();
    let d = dir.path();
    // Files get the umask's permissions: another user can read them.
    let out = std::process::Command::new("sh")
        .current_dir(d)
        .arg("-c")
        .arg(format!(
            "umask 022 && exec '{}' index a --index idx --quiet",
            assert_cmd::cargo::cargo_bin("paperdex").display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for entry in std::fs::read_dir(d.join("idx")).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o044, 0o044, "{} is mode {mode:o}", entry.path().display());
    }

    // A user who may not write the folder: search, stats and bench work.
    let can_switch = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if can_switch {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = assert_cmd::cargo::cargo_bin("paperdex");
        for args in [
            vec!["search", "Alpha", "--index", "idx"],
            vec!["stats", "--index", "idx"],
            vec!["bench", "--index", "idx", "--iterations", "1", "--warmup", "0"],
        ] {
            let out = std::process::Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin)
                .args(&args)
                .current_dir(d)
                .env_clear()
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?} as nobody: {}", stderr(&out));
        }
    } else {
        assert!(std::env::var_os("CI").is_none(), "cannot switch to another user under CI");
        common::note("reading_needs_no_write_access (other user): not run: needs root to run as another user");
    }

    // A read-only file system.
    with_mount_rights("reading_needs_no_write_access (read-only file system)", || {
        let ro = d.join("ro");
        std::fs::create_dir(&ro).unwrap();
        mount_tmpfs(&ro, "8m");
        let copy = std::process::Command::new("cp").arg("-a").arg(d.join("idx")).arg(&ro).status().unwrap();
        assert!(copy.success());
        remount(&ro, "ro");
        let idx = ro.join("idx");
        let idx = idx.to_str().unwrap();
        let searched = run(d, &["search", "Alpha", "--index", idx]);
        let stats = run(d, &["stats", "--index", idx]);
        let bench = run(d, &["bench", "--index", idx, "--iterations", "1", "--warmup", "0"]);
        let written = run(d, &["index", "b", "--index", idx]);
        umount(&ro);
        assert_eq!(searched.status.code(), Some(0), "{}", stderr(&searched));
        assert_eq!(stats.status.code(), Some(0), "{}", stderr(&stats));
        assert_eq!(bench.status.code(), Some(0), "{}", stderr(&bench));
        assert_eq!(written.status.code(), Some(2));
        assert!(stderr(&written).starts_with("paperdex: cannot write the index at"), "{}", stderr(&written));
    });
}

/// Flips `count` bytes of `path` at positions drawn from `seed`.
fn flip_bytes(path: &Path, seed: u64, count: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    for _ in 0..count {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let at = (state >> 33) as usize % bytes.len();
        bytes[at] ^= 0x5a;
    }
    std::fs::write(path, bytes).unwrap();
}

fn copy_index(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn segment_files(idx: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(idx)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().split('.').next().is_some_and(|s| s.len() == 32))
        .collect();
    files.sort();
    files
}

fn assert_damaged_or_answers(out: &Output, what: &str) {
    let err = stderr(out);
    let code = out.status.code();
    assert!(matches!(code, Some(0..=2)), "{what}: {code:?} {err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{what}: {err}");
    if code == Some(2) {
        assert!(err.contains("is damaged (") && err.contains("paperdex index --rebuild"), "{what}: {err}");
        assert_eq!(err.lines().count(), 1, "{what}: one line: {err}");
        // In words, not the engine's debug output.
        assert!(!err.contains("Custom {") && !err.contains("IoError"), "{what}: {err}");
    }
}

#[test]
fn damaged_indexes_say_so_and_rebuild_fixes_them() {
    let dir = two_corpora();
    let d = dir.path();
    // One indexing thread: the same files give the same bytes, so the damage below is the same every run.
    index_ok(d, &["a", "b", "--index", "good", "--threads", "1"]);
    let good = records(d, "good");
    let searches: [&[&str]; 4] = [
        &["search", "Alpha", "--json"],
        &["search", "survey", "--facet", "category", "--facet", "date"],
        &["search", "--sort", "-date", "-n", "50"],
        &["search", "\"multimodal large language\"", "--kind", "method"],
    ];
    for file in segment_files(&d.join("good")) {
        let ext = file.extension().unwrap().to_string_lossy().into_owned();
        for (mode, seed) in [("truncated", 0u64), ("flipped", 1), ("flipped", 2), ("flipped", 3)] {
            let bad = d.join(format!("bad-{ext}-{mode}-{seed}"));
            copy_index(&d.join("good"), &bad);
            let target = bad.join(file.file_name().unwrap());
            if mode == "truncated" {
                // Cut in half, or (one extension in two) to three bytes: shorter than any footer.
                let len = std::fs::metadata(&target).unwrap().len();
                let cut = if ext.len() % 2 == 0 { len / 2 } else { 3 };
                std::fs::OpenOptions::new().write(true).open(&target).unwrap().set_len(cut).unwrap();
            } else {
                flip_bytes(&target, seed, 16);
            }
            let name = bad.file_name().unwrap().to_str().unwrap().to_owned();
            for args in searches {
                let out = paperdex().current_dir(d).args(args).args(["--index", &name]).output().unwrap();
                assert_damaged_or_answers(&out, &format!("{name} {args:?}"));
                // Damaged stored records are named as such.
                if ext == "store" && out.status.code() == Some(2) {
                    assert!(stderr(&out).contains(".store"), "{name} {args:?}: {}", stderr(&out));
                }
            }
            let verify = run(d, &["stats", "--verify", "--index", &name]);
            assert_eq!(verify.status.code(), Some(2), "{name}: verify finds the damage");
            // Damaged browse counts need only a plain `paperdex index`, and verify says so.
            if ext == "browse" {
                let err = stderr(&verify);
                assert!(err.contains("damaged browse counts") && err.contains("run `paperdex index --index"), "{err}");
                assert!(!err.contains("--rebuild"), "{err}");
            }
            assert!(
                stderr(&verify).contains(file.file_name().unwrap().to_str().unwrap()),
                "{name}: {}",
                stderr(&verify)
            );
            // A plain update never duplicates records, whatever it read.
            let update = run(d, &["index", "--index", &name, "--quiet"]);
            assert_damaged_or_answers(&update, &format!("{name} update"));
            if update.status.success() {
                let count = run(d, &["search", "--limit", "0", "--json", "--index", &name]);
                assert_damaged_or_answers(&count, &format!("{name} count"));
                if count.status.success() {
                    let total = serde_json::from_slice::<Value>(&count.stdout).unwrap()["total_hits"].as_u64().unwrap();
                    assert!(total as usize <= good.len(), "{name}: an update duplicated records ({total})");
                }
            }
            index_ok(d, &["--rebuild", "--index", &name]);
            assert_eq!(records(d, &name), good, "{name}: --rebuild restores it");
            let verified = run(d, &["stats", "--verify", "--index", &name]);
            assert!(verified.status.success(), "{name}: {}", stderr(&verified));
        }
    }
}

#[test]
fn a_broken_meta_json_is_damage_and_rebuild_works_in_any_state() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    let good = records(d, "idx");
    for broken in ["{garbage", "", "{\"segments\": 7}", "null"] {
        std::fs::write(d.join("idx/meta.json"), broken).unwrap();
        let out = run(d, &["search", "Alpha", "--index", "idx"]);
        assert_eq!(out.status.code(), Some(2), "{broken:?}");
        assert!(stderr(&out).contains("index at idx is damaged ("), "{broken:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("run `paperdex index --rebuild --index idx`"), "{}", stderr(&out));
        let stats = run(d, &["stats", "--index", "idx"]);
        assert_eq!(stats.status.code(), Some(2));
        // A plain update refuses to guess; --rebuild rebuilds from the folders it remembers.
        let update = run(d, &["index", "--index", "idx"]);
        assert_eq!(update.status.code(), Some(2), "{broken:?}");
        index_ok(d, &["--rebuild", "--index", "idx"]);
        assert_eq!(records(d, "idx"), good, "{broken:?}");
    }
    std::fs::write(d.join("idx/.managed.json"), "[[[").unwrap();
    index_ok(d, &["--rebuild", "--index", "idx"]);
    assert_eq!(records(d, "idx"), good);
    std::fs::remove_file(d.join("idx/meta.json")).unwrap();
    let out = run(d, &["search", "Alpha", "--index", "idx"]);
    assert!(stderr(&out).contains("damaged (meta.json is missing)"), "{}", stderr(&out));
    index_ok(d, &["--rebuild", "--index", "idx"]);
    assert_eq!(records(d, "idx"), good);

    // --rebuild still refuses a folder that holds anything else.
    std::fs::create_dir(d.join("photos")).unwrap();
    std::fs::write(d.join("photos/cat.jpg"), "meow").unwrap();
    let out = run(d, &["index", "a", "--rebuild", "--index", "photos"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("photos is not a paperdex index"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(d.join("photos")).unwrap().count(), 1, "nothing written there");
    std::fs::create_dir(d.join("empty")).unwrap();
    index_ok(d, &["a", "--rebuild", "--index", "empty"]);
    assert_eq!(records(d, "empty"), good);
}

#[test]
fn an_index_that_remembers_no_folders_is_not_rebuilt_from_the_default_one() {
    let dir = two_corpora();
    let d = dir.path();
    // A `corpus/` folder where the command runs: what a new index is built from.
    std::fs::rename(d.join("b"), d.join("corpus")).unwrap();
    index_ok(d, &["a", "--index", "idx"]);
    let good = records(d, "idx");
    // Both records of its folders unreadable: the rebuild says so and changes nothing.
    std::fs::write(d.join("idx/meta.json"), "junk").unwrap();
    std::fs::write(d.join("idx/paperdex.json"), "junk").unwrap();
    let files = |d: &Path| {
        let mut all: Vec<_> = std::fs::read_dir(d.join("idx")).unwrap().map(|e| e.unwrap().file_name()).collect();
        all.sort();
        all
    };
    let before = files(d);
    let out = run(d, &["index", "--rebuild", "--index", "idx"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("it is damaged, and which folders it was built from cannot be read"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("name the folders"), "{}", stderr(&out));
    assert_eq!(files(d), before);
    assert_eq!(std::fs::read_to_string(d.join("idx/meta.json")).unwrap(), "junk");
    index_ok(d, &["a", "--rebuild", "--index", "idx"]);
    assert_eq!(records(d, "idx"), good);
    // Every folder forgotten: an update names none, and is not the default folder's.
    index_ok(d, &["--forget", "a", "--index", "idx"]);
    let out = run(d, &["index", "--index", "idx"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("remembers no folders: name the folders"), "{}", stderr(&out));
    assert!(records(d, "idx").is_empty());
}

#[test]
fn a_full_disk_leaves_the_last_commit_and_the_index_works_once_space_is_freed() {
    with_mount_rights("a_full_disk_leaves_the_last_commit", || {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let pages = d.join("pages");
        for i in 0..120 {
            write_page(&pages, &format!("p{i}"), &format!("3333.{i:05}"), &format!("Page number {i}"));
        }
        let small = d.join("small");
        write_page(&small, "p", "4444.00001", "Small Page");
        let disk = d.join("disk");
        std::fs::create_dir(&disk).unwrap();
        mount_tmpfs(&disk, "1m");
        let idx = disk.join("idx");
        let idx = idx.to_str().unwrap();
        let result = std::panic::catch_unwind(|| {
            index_ok(d, &["small", "--index", idx]);
            let before = records(d, idx);
            for args in [vec!["index", "pages", "--index", idx], vec!["index", "pages", "--rebuild", "--index", idx]] {
                let out = run(d, &args);
                let err = stderr(&out);
                assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
                assert!(err.starts_with("paperdex: no space left on tmpfs (mounted at "), "{err}");
                assert!(err.contains("the index is unchanged at its last commit"), "{err}");
                assert_eq!(err.lines().count(), 1, "{err}");
                assert_eq!(records(d, idx), before, "{args:?}");
            }
            remount(&disk, "size=64m");
            let err = index_ok(d, &["pages", "--index", idx]);
            assert!(err.contains("indexed 121 pages"), "{err}");
        });
        umount(&disk);
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    });
}

#[test]
fn searches_say_when_the_index_is_mid_update() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pages = d.join("pages");
    for i in 0..600 {
        write_page(&pages, &format!("p{i:04}"), &format!("5555.{i:05}"), &format!("Page {i}"));
    }
    index_ok(d, &["pages", "--index", "idx"]);
    for i in 0..600 {
        write_page(&pages, &format!("p{i:04}"), &format!("5555.{i:05}"), &format!("Page {i} edited"));
    }
    let mut warned = false;
    for attempt in 0..10u64 {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"))
            .current_dir(d)
            .args(["index", "--index", "idx", "--quiet", "--commit-every", "1", "--threads", "1"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait for an interim commit, then kill the run.
        let mut seen_running = false;
        for _ in 0..400 {
            let out = run(d, &["search", "Page", "--index", "idx", "-n", "0"]);
            if stderr(&out).contains("is being updated") {
                seen_running = true;
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5 + attempt));
        }
        let _ = child.kill();
        let _ = child.wait();
        if !seen_running {
            continue;
        }
        let out = run(d, &["search", "Page", "--index", "idx", "-n", "0"]);
        let err = stderr(&out);
        if err.contains("mid-update") {
            assert!(
                err.contains("stopped before it finished") && err.contains("run `paperdex index --index idx`"),
                "{err}"
            );
            assert_eq!(stats(d, "idx")["finished"], false);
            warned = true;
            break;
        }
    }
    assert!(warned, "no run was caught mid-update");
    let done = index_ok(d, &["--index", "idx"]);
    assert!(done.contains("indexed 600 pages"), "{done}");
    let out = run(d, &["search", "Page", "--index", "idx", "-n", "0"]);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert_eq!(stats(d, "idx")["finished"], true);
}

#[test]
fn options_past_their_limits_are_errors() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    for (args, message) in [
        (&["index", "a", "--index", "x", "--threads", "100000"][..], "--threads must be between 1 and 64"),
        (&["index", "a", "--index", "x", "--threads", "0"][..], "--threads must be between 1 and 64"),
        (&["index", "a", "--index", "x", "--memory-mb", "100000"][..], "--memory-mb must be between 15"),
        (
            &["index", "a", "--index", "x", "--memory-mb", "9000", "--threads", "2"][..],
            "more than 4000 MB for each of 2 threads",
        ),
        (
            &["index", "a", "--index", "x", "--memory-mb", "15", "--threads", "8"][..],
            "--memory-mb 15 is less than 15 MB for each of 8 threads: give at least 120 or fewer --threads",
        ),
        (&["index", "a", "--index", "x", "--commit-every", "0"][..], "--commit-every must be at least 1"),
        (&["bench", "--index", "idx", "--iterations", "1000000000"][..], "--iterations must be between 1 and 100000"),
        (&["bench", "--index", "idx", "--iterations", "18446744073709551615"][..], "--iterations must be between"),
        (&["bench", "--index", "idx", "--threads", "0"][..], "--threads must be between 1 and 64"),
        (&["bench", "--index", "idx", "--warmup", "1000000"][..], "--warmup must be at most 100000"),
        (&["synth", "--pages", "18446744073709551615", "--out", "s"][..], "--pages must be between 1 and 10000000"),
    ] {
        let out = run(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("internal error"), "{args:?}");
    }
    assert!(!d.join("x").exists() && !d.join("s").exists(), "nothing written");
}

#[test]
fn inspect_refuses_what_is_not_a_page_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("page.md");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for path in [fifo.as_path(), Path::new("/dev/zero"), Path::new("/dev/urandom"), dir.path()] {
        let out = paperdex().arg("inspect").arg(path).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let err = stderr(&out);
        assert!(err.contains(", not a page file") && !err.contains(" now"), "{}: {err}", path.display());
    }
}

#[test]
fn rebuilding_one_folder_keeps_the_others() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    index_ok(d, &["b", "--index", "idx"]);
    index_ok(d, &["--rebuild", "b", "--index", "idx"]);
    assert_eq!(page_ids(d, "idx"), ["1111.00001", "1111.00002", "2222.00003"]);
    assert_eq!(stats(d, "idx")["roots"].as_array().unwrap().len(), 2);
}

#[test]
fn forgetting_what_the_index_does_not_hold_is_an_error() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    let before = records(d, "idx");
    let never = run(d, &["index", "--forget", "b", "--index", "idx"]);
    assert_eq!(never.status.code(), Some(2));
    assert!(
        stderr(&never).contains("cannot forget b: it is not a folder of the index at idx (its folders: a)"),
        "{}",
        stderr(&never)
    );
    let inner = run(d, &["index", "--forget", "a/p1", "--index", "idx"]);
    assert_eq!(inner.status.code(), Some(2));
    assert!(stderr(&inner).contains("it lies inside a, which the index remembers"), "{}", stderr(&inner));
    // A folder that holds the index's folders (a slip: `--forget .`) is refused too,
    // naming them.
    let outer = run(d, &["index", "--forget", ".", "--index", "idx"]);
    assert_eq!(outer.status.code(), Some(2));
    assert!(
        stderr(&outer).contains("cannot forget .: it is not a folder of the index but holds the index's folder a;"),
        "{}",
        stderr(&outer)
    );
    assert!(stderr(&outer).contains("`paperdex index --forget a`"), "{}", stderr(&outer));
    assert_eq!(records(d, "idx"), before);
}

#[test]
fn what_the_walk_cannot_read_keeps_its_records() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    // A page replaced by a FIFO before the run: a problem, and its records stay.
    let p2 = d.join("a/p2/index.md");
    std::fs::remove_file(&p2).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(&p2).status().unwrap().success());
    let out = run(d, &["index", "a", "--index", "idx"]);
    let err = stderr(&out);
    assert!(err.contains("a/p2/index.md: skipped: it is not a regular file"), "{err}");
    assert!(err.contains("0 removed"), "{err}");
    assert_eq!(page_ids(d, "idx"), ["1111.00001", "1111.00002"]);
    std::fs::remove_file(&p2).unwrap();

    // A subfolder the user may not read (root reads anything: run as nobody).
    let can_switch = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !can_switch {
        assert!(std::env::var_os("CI").is_none(), "cannot switch to another user under CI");
        common::note("what_the_walk_cannot_read_keeps_its_records (unreadable folder): not run: needs root");
        return;
    }
    write_page(&d.join("a"), "p2", "1111.00002", "Alpha Two");
    let chown = std::process::Command::new("chown").args(["-R", "65534:65534"]).arg(d).status().unwrap();
    assert!(chown.success());
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = |args: &[&str]| {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(assert_cmd::cargo::cargo_bin("paperdex"))
            .args(args)
            .current_dir(d)
            .env_clear()
            .output()
            .unwrap()
    };
    assert!(as_nobody(&["index", "a", "--index", "mine", "--quiet"]).status.success());
    std::fs::set_permissions(d.join("a/p2"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = as_nobody(&["index", "a", "--index", "mine"]);
    std::fs::set_permissions(d.join("a/p2"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = stderr(&out);
    assert!(err.contains("Permission denied") && err.contains("0 removed"), "{err}");
    assert_eq!(page_ids(d, "mine"), ["1111.00001", "1111.00002"]);
}

#[test]
fn control_characters_in_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("u")).unwrap();
    std::fs::write(d.join("u").join("evil\nindexed 999 pages.md"), "").unwrap();
    let out = run(d, &["index", "u", "--index", "idx"]);
    let err = stderr(&out);
    assert!(err.contains("u/evil\\x0Aindexed 999 pages.md"), "{err}");
    assert!(!err.lines().any(|l| l.starts_with("indexed 999")), "{err}");
}

#[test]
fn an_index_missing_a_segment_file_is_damaged_at_open() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    for file in segment_files(&d.join("idx")) {
        let copy = d.join("copy");
        let _ = std::fs::remove_dir_all(&copy);
        copy_index(&d.join("idx"), &copy);
        std::fs::remove_file(copy.join(file.file_name().unwrap())).unwrap();
        let out = run(d, &["search", "--index", "copy", "-n", "1"]);
        // The browse counts beside a segment are optional: without them browsing reads
        // the segment's terms, and answers as it does with them.
        if file.extension().is_some_and(|e| e == "browse") {
            let with = run(d, &["search", "--index", "idx", "--facet", "category", "--json"]);
            let without = run(d, &["search", "--index", "copy", "--facet", "category", "--json"]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let facets = |o: &Output| serde_json::from_slice::<Value>(&o.stdout).unwrap()["facets"].clone();
            assert_eq!(facets(&with), facets(&without));
            continue;
        }
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        assert!(stderr(&out).contains("is missing): run `paperdex index --rebuild --index copy`"), "{}", stderr(&out));
    }
}

#[test]
fn counting_one_facet_field_twice_keeps_both_in_json() {
    let dir = two_corpora();
    let d = dir.path();
    index_ok(d, &["a", "--index", "idx"]);
    let out = run(d, &["search", "--index", "idx", "-n", "0", "--json", "--facet", "date", "--facet", "date=/2024"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["facets"]["date"][0]["path"], "/2024");
    assert_eq!(doc["facets"]["date=/2024"][0]["path"], "/2024/12");
    // A query of stars browses, as `*` does.
    let stars = run(d, &["search", "--index", "idx", "* * *", "--json", "-n", "1"]);
    let doc: Value = serde_json::from_slice(&stars.stdout).unwrap();
    assert_eq!(doc["sort"], "-date");
}
