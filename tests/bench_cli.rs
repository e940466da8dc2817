//! `paperdex synth` and `paperdex bench` end to end: determinism, realistic pages that
//! index cleanly, the bench's JSON report, and clear errors for bad input.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use common::paperdex;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

/// 200 synthetic pages and their index, shared by the tests here.
static SYNTH: LazyLock<TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    paperdex()
        .current_dir(common::root())
        .args(["synth", "--pages", "200", "--seed", "7", "--out"])
        .arg(dir.path().join("pages"))
        .assert()
        .success();
    paperdex()
        .arg("index")
        .arg(dir.path().join("pages"))
        .arg("--index")
        .arg(dir.path().join("idx"))
        .arg("--quiet")
        .assert()
        .success();
    dir
});

/// Every file under `dir` with its bytes, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn synth_is_deterministic_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        let seed = if name == "c" { "2" } else { "1" };
        paperdex()
            .current_dir(common::root())
            .args(["synth", "--pages", "40", "--seed", seed, "--out"])
            .arg(dir.path().join(name))
            .assert()
            .success()
            .stderr(predicate::str::contains("wrote 40 pages"))
            .stderr(predicate::str::contains("page size (bytes)"));
    }
    let (a, b, c) = (tree(&dir.path().join("a")), tree(&dir.path().join("b")), tree(&dir.path().join("c")));
    assert_eq!(a.len(), 40);
    assert!(
        a.keys().all(|k| k.ends_with("/index.md") && k.len() == "2024-06-01/2406.00000/index.md".len()),
        "{:?}",
        a.keys()
    );
    assert_eq!(a, b, "same seed, same pages");
    assert_ne!(a, c, "another seed, other pages");
}

#[test]
fn synthetic_pages_index_cleanly_and_include_surveys() {
    let dir = SYNTH.path();
    let out = paperdex().arg("index").arg(dir.join("pages")).arg("--index").arg(dir.join("again")).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("indexed 200 pages") && stderr.contains(": 0 problems"), "{stderr}");
    let methods = paperdex()
        .args(["search", "--kind", "method", "--facet", "mechanism", "--json", "--limit", "0", "--index"])
        .arg(dir.join("idx"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&methods.stdout).unwrap();
    assert!(doc["total_hits"].as_u64().unwrap() >= 32, "surveys carry taxonomy tables: {doc}");
    assert_eq!(doc["facets"]["mechanism"].as_array().unwrap().len(), 4);
    let kinds = paperdex()
        .args(["search", "--facet", "kind=/caption", "--json", "--limit", "0", "--index"])
        .arg(dir.join("idx"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&kinds.stdout).unwrap();
    let paths: Vec<&str> =
        doc["facets"]["kind"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    for kind in ["/caption/figure", "/caption/table"] {
        assert!(paths.contains(&kind), "{paths:?}");
    }
}

#[test]
fn synth_refuses_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x"), "taken").unwrap();
    paperdex()
        .args(["synth", "--pages", "0", "--out"])
        .arg(dir.path().join("new"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--pages must be between 1 and 10000000"));
    paperdex()
        .current_dir(common::root())
        .args(["synth", "--pages", "3", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not empty; synth writes into an empty or new folder"));
    paperdex()
        .args(["synth", "--pages", "3", "--out"])
        .arg(dir.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a file; synth writes into an empty or new folder"));
    paperdex()
        .args(["synth", "--pages", "3", "--learn-from"])
        .arg(dir.path().join("no-such-folder"))
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-folder: no such folder"));
    paperdex()
        .args(["synth", "--pages", "3", "--learn-from"])
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no review pages to learn from"));
}

#[test]
fn bench_reports_every_class_as_json() {
    let out = paperdex()
        .args(["bench", "--warmup", "1", "--iterations", "2", "--threads", "2", "--cold", "1", "--json", "--index"])
        .arg(SYNTH.path().join("idx"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["machine"]["cores"].as_u64().unwrap() >= 1);
    assert!(!doc["machine"]["cpu_model"].as_str().unwrap().is_empty());
    assert!(doc["index"]["records"].as_u64().unwrap() > 200);
    assert!(doc["index"]["bytes"].as_u64().unwrap() > 0);
    let classes: Vec<&str> = doc["classes"].as_array().unwrap().iter().map(|c| c["class"].as_str().unwrap()).collect();
    assert_eq!(classes, paperdex::bench::CLASSES);
    for c in doc["classes"].as_array().unwrap() {
        for key in ["p50_us", "p90_us", "p99_us", "max_us", "qps", "qps_threads", "fetch_p50_us", "search_p50_us"] {
            assert!(c[key].as_f64().is_some_and(|v| v >= 0.0), "{key} in {c}");
        }
        assert!(c["p50_us"].as_f64() <= c["p90_us"].as_f64() && c["p90_us"].as_f64() <= c["p99_us"].as_f64(), "{c}");
        assert!(c["p99_us"].as_f64() <= c["max_us"].as_f64(), "{c}");
        assert!(c["qps"].as_f64().unwrap() > 0.0 && c["queries"].as_u64().unwrap() > 0, "{c}");
        // Cold: fresh processes ran every query (and found what the warm runs found, or
        // the bench would have failed), timed by the search and from spawn to exit.
        for (figure, unit) in [("cold_p50", "us"), ("process_p50", "ms")] {
            let value = |suffix: &str| {
                let key = format!("{figure}{suffix}_{unit}");
                c[&key].as_f64().unwrap_or_else(|| panic!("{key} in {c}"))
            };
            assert!(value("") > 0.0, "{figure} in {c}");
            assert!(value("_min") <= value("") && value("") <= value("_max"), "{figure} in {c}");
        }
    }
    assert_eq!(doc["cold"], 1);
    let hits = |class: &str| {
        doc["classes"].as_array().unwrap().iter().find(|c| c["class"] == class).unwrap()["hits"].as_u64().unwrap()
    };
    assert!(hits("or_two") >= hits("and_two"));
    assert!(hits("one_term") > 0);
}

#[test]
fn bench_times_the_fts5_peer_beside_paperdex() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("peer.svg");
    let out = paperdex()
        .args([
            "bench",
            "--warmup",
            "1",
            "--iterations",
            "2",
            "--repeat",
            "2",
            "--cold",
            "0",
            "--peer",
            "fts5",
            "--json",
        ])
        .arg("--plot")
        .arg(&svg)
        .arg("--index")
        .arg(SYNTH.path().join("idx"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("into SQLite FTS5"));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["peer"], "fts5");
    for c in doc["classes"].as_array().unwrap() {
        if c["class"] == "fuzzy" {
            // FTS5 has no typo tolerance: no figure rather than a made-up one.
            assert!(c.get("peer_p50_us").is_none() && c.get("peer_ratio").is_none(), "{c}");
            continue;
        }
        let figure = |key: &str| c[key].as_f64().unwrap_or_else(|| panic!("{key} in {c}"));
        assert!(figure("peer_p50_us") > 0.0 && figure("peer_p50_us") <= figure("peer_p99_us"), "{c}");
        assert!(
            figure("peer_p50_min_us") <= figure("peer_p50_us") && figure("peer_p50_us") <= figure("peer_p50_max_us")
        );
        let ratio = figure("peer_p50_us") / figure("p50_us");
        assert!((figure("peer_ratio") - ratio).abs() < 1e-6 * ratio.max(1.0), "{c}");
    }
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("fts5 p50 (green)"), "the plot names the peer");
    // The table has the peer's columns; without --peer it has none.
    let table = |peer: bool| {
        let mut cmd = paperdex();
        cmd.args(["bench", "--warmup", "0", "--iterations", "1", "--repeat", "1", "--cold", "0", "--index"])
            .arg(SYNTH.path().join("idx"));
        if peer {
            cmd.args(["--peer", "fts5"]);
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    let with = table(true);
    let header = with.lines().find(|l| l.starts_with("class")).unwrap();
    assert!(header.contains("fts5 p50") && header.contains("ratio"), "{with}");
    let fuzzy = with.lines().find(|l| l.starts_with("fuzzy")).unwrap();
    assert!(fuzzy.trim_end().ends_with('-'), "{with}");
    assert!(!table(false).contains("fts5"));
    // Queries FTS5 cannot run as paperdex does leave their class without a peer figure,
    // whatever the class is called: a typo-tolerant one, and one FTS5's syntax refuses
    // (said on stderr); the others still get theirs.
    let queries = dir.path().join("queries.tsv");
    std::fs::write(&queries, "typos\tvidoe\tfuzzy\nquote\t\"unbalanced\nplain\tmodel\nall\t*\n").unwrap();
    let out = paperdex()
        .args(["bench", "--warmup", "0", "--iterations", "1", "--repeat", "1", "--cold", "0", "--peer", "fts5"])
        .args(["--json", "--queries"])
        .arg(&queries)
        .arg("--index")
        .arg(SYNTH.path().join("idx"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("FTS5 cannot run `quote \"unbalanced`") && stderr.contains("no peer figure for quote"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for c in doc["classes"].as_array().unwrap() {
        let has = c.get("peer_p50_us").is_some();
        assert_eq!(has, c["class"] == "plain" || c["class"] == "all", "{c}");
    }
    paperdex()
        .args(["bench", "--peer", "lucene", "--index"])
        .arg(SYNTH.path().join("idx"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'lucene' for '--peer <PEER>'"));
}

#[test]
fn bench_reads_a_queries_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("queries.tsv");
    std::fs::write(
        &file,
        "# class, query, options\nmine\tmodel\tkind=caption\tfacet=category\nbrowse\t\tfacet=kind\n\
         dash\t-video model\texclude=kind=table\tsort=-date\tlimit=3\tfuzzy\nplain query words\n",
    )
    .unwrap();
    // Every line also runs in fresh `paperdex search` processes, the dash query after `--`.
    let out = paperdex()
        .args(["bench", "--iterations", "2", "--cold", "2", "--json", "--queries"])
        .arg(&file)
        .arg("--index")
        .arg(SYNTH.path().join("idx"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let classes: Vec<&str> = doc["classes"].as_array().unwrap().iter().map(|c| c["class"].as_str().unwrap()).collect();
    assert_eq!(classes, ["mine", "browse", "dash", "custom"]);
    assert!(doc["classes"].as_array().unwrap().iter().all(|c| c["cold_p50_us"].as_f64().is_some()), "{doc}");
    // Human output is a table with the machine on top, cold figures beside the warm p50.
    paperdex()
        .args(["bench", "--iterations", "1", "--repeat", "1", "--queries"])
        .arg(&file)
        .arg("--index")
        .arg(SYNTH.path().join("idx"))
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("machine  ")
                .and(predicate::str::is_match(r"p50 µs +p50 spread +cold p50 +process ms").unwrap()),
        );
}

#[test]
fn bench_bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let idx = SYNTH.path().join("idx");
    let empty = dir.path().join("empty.tsv");
    std::fs::write(&empty, "# nothing but a comment\n\n").unwrap();
    let bad_option = dir.path().join("bad.tsv");
    std::fs::write(&bad_option, "one\tmodel\tcolour=red\n").unwrap();
    let no_class = dir.path().join("no-class.tsv");
    std::fs::write(&no_class, "one\tmodel\n\tvideo\tlimit=3\n").unwrap();
    let not_index = dir.path().join("not-an-index");
    std::fs::create_dir_all(&not_index).unwrap();
    std::fs::write(not_index.join("meta.json"), "{\"segments\": []}").unwrap();
    let cases: Vec<(Vec<std::ffi::OsString>, String)> = vec![
        (vec!["--queries".into(), dir.path().join("missing.tsv").into()], "cannot read".into()),
        (vec!["--queries".into(), empty.clone().into()], format!("{} holds no queries", empty.display())),
        (
            vec!["--queries".into(), bad_option.clone().into()],
            format!("{}:1: unknown option `colour=red`", bad_option.display()),
        ),
        (
            vec!["--queries".into(), no_class.clone().into()],
            format!("{}:2: no class before the tab", no_class.display()),
        ),
        (vec!["--iterations".into(), "0".into()], "--iterations must be between 1 and 100000".into()),
        (vec!["--cold".into(), "1001".into()], "--cold must be between 0 and 1000 (0 skips the cold runs)".into()),
        (vec!["--cold=-1".into()], "invalid value '-1' for '--cold <N>'".into()),
        (
            vec!["--plot".into(), dir.path().join("no/such/folder/x.svg").into()],
            format!("there is no folder {}", dir.path().join("no/such/folder").display()),
        ),
    ];
    for (args, message) in cases {
        paperdex()
            .arg("bench")
            .args(&args)
            .arg("--index")
            .arg(&idx)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    paperdex()
        .arg("bench")
        .arg("--index")
        .arg(&not_index)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a paperdex index"));
    paperdex()
        .arg("bench")
        .arg("--index")
        .arg(dir.path().join("nothing"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no index at"));
}

#[test]
fn bench_repeats_lists_its_queries_compares_with_a_baseline_and_draws() {
    let dir = SYNTH.path();
    let run = |extra: &[&str]| {
        let out = paperdex()
            .args(["bench", "--iterations", "2", "--warmup", "0", "--threads", "1", "--json", "--index"])
            .arg(dir.join("idx"))
            .args(if extra.contains(&"--cold") { &[][..] } else { &["--cold", "0"][..] })
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let first = run(&["--repeat", "3"]);
    assert_eq!(first["repeat"], 3);
    assert_eq!(first["cold"], 0);
    for class in first["classes"].as_array().unwrap() {
        let (lo, mid, hi) = (
            class["p50_min_us"].as_f64().unwrap(),
            class["p50_us"].as_f64().unwrap(),
            class["p50_max_us"].as_f64().unwrap(),
        );
        assert!(lo <= mid && mid <= hi, "{class}");
        for key in ["cold_p50_us", "cold_p50_min_us", "cold_p50_max_us", "process_p50_ms"] {
            assert!(class.get(key).is_none(), "--cold 0 leaves out {key}: {class}");
        }
        let drawn = class["drawn"].as_array().unwrap();
        assert_eq!(drawn.len() as u64, class["queries"].as_u64().unwrap());
        assert!(drawn.iter().all(|q| q.as_str().unwrap().starts_with(class["class"].as_str().unwrap())), "{class}");
    }
    // The drawn queries are a queries file: running them again gives the same classes.
    let file = dir.join("drawn.tsv");
    let lines: Vec<String> = first["classes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["drawn"].as_array().unwrap().iter().map(|q| q.as_str().unwrap().to_owned()))
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let replay = run(&["--repeat", "1", "--queries", file.to_str().unwrap()]);
    let classes = |d: &Value| d["classes"].as_array().unwrap().iter().map(|c| c["class"].clone()).collect::<Vec<_>>();
    assert_eq!(classes(&replay), classes(&first));
    // A baseline from before cold runs (no `cold`, no cold figures), against a run with
    // them: every class compared, with a verdict.
    let mut old = first.clone();
    old.as_object_mut().unwrap().remove("cold");
    let base = dir.join("base.json");
    std::fs::write(&base, old.to_string()).unwrap();
    let svg = dir.join("bench.svg");
    let compared =
        run(&["--repeat", "2", "--cold", "1", "--baseline", base.to_str().unwrap(), "--plot", svg.to_str().unwrap()]);
    assert_eq!(compared["cold"], 1);
    let verdicts: Vec<&str> =
        compared["baseline"].as_array().unwrap().iter().map(|c| c["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts.len(), first["classes"].as_array().unwrap().len());
    assert!(verdicts.iter().all(|v| ["faster", "slower", "same"].contains(v)), "{verdicts:?}");
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.starts_with("<svg") && picture.contains("one_term") && picture.contains("<rect"),
        "{}",
        &picture[..200]
    );
    // With cold runs, a third bar per class: the cold p50, in orange.
    assert!(
        picture.contains("cold p50 (orange)") && picture.matches("fill=\"#E68C28\"").count() == verdicts.len(),
        "{}",
        &picture[..200]
    );
    // The old report has no cold figures to compare; one with them compares them too.
    assert!(compared["baseline"].as_array().unwrap().iter().all(|c| c.get("cold_verdict").is_none()), "{compared}");
    let cold_base = dir.join("cold-base.json");
    std::fs::write(&cold_base, compared.to_string()).unwrap();
    let again = run(&["--repeat", "1", "--cold", "1", "--baseline", cold_base.to_str().unwrap()]);
    for c in again["baseline"].as_array().unwrap() {
        assert!(["faster", "slower", "same"].contains(&c["cold_verdict"].as_str().unwrap()), "{c}");
        assert!(c["baseline_cold_p50_us"].as_f64().unwrap() > 0.0 && c["cold_p50_us"].as_f64().unwrap() > 0.0, "{c}");
    }
    // A baseline that is not a report is a clear error.
    std::fs::write(dir.join("junk.json"), "{}").unwrap();
    paperdex()
        .args(["bench", "--iterations", "1", "--index"])
        .arg(dir.join("idx"))
        .arg("--baseline")
        .arg(dir.join("junk.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a `paperdex bench --json` report"));
}
