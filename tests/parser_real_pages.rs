//! The real review pages in ../shared: every page parses, yields one caption per
//! `> 🔼` blockquote, and no record keeps markup, template text or mojibake. Without
//! ../shared these tests are listed as ignored, and under `CI=true` they fail.

mod common;

use std::path::Path;
use std::process::Command;

use paperdex::ingest;

const FORBIDDEN: &[&str] = &["{{<", "{{ table.", "<td", "<math", "ltx_", "&nbsp;", "\u{2062}", "ü§", "‚Äô", "Œ"];

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn every_real_page_parses_cleanly() {
    let dir = common::shared_reviews();
    let pages = common::review_pages(&dir);
    assert_eq!(pages.len(), 42);
    for path in pages {
        let bytes = std::fs::read(&path).unwrap();
        let parsed = ingest::parse_bytes(&path, &bytes);
        assert!(parsed.problems.is_empty(), "{}: {:?}", path.display(), parsed.problems);
        let records = parsed.records.expect("records");
        let text = String::from_utf8(bytes).unwrap();
        let blockquotes = text.lines().filter(|l| l.starts_with("> 🔼")).count();
        assert_eq!(records.captions.len(), blockquotes, "{}", path.display());
        let json = serde_json::to_string(&records).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        for field in strings(&value) {
            for bad in FORBIDDEN {
                assert!(!field.contains(bad), "{}: {bad:?} in {field:?}", path.display());
            }
        }
        assert!(!records.page.title.is_empty(), "{}", path.display());
        let folder = path.parent().unwrap().file_name().unwrap().to_str().unwrap();
        assert_eq!(records.page.id, folder);
    }
}

/// Every string value in a JSON document.
fn strings(value: &serde_json::Value) -> Vec<&str> {
    match value {
        serde_json::Value::String(s) => vec![s.as_str()],
        serde_json::Value::Array(items) => items.iter().flat_map(strings).collect(),
        serde_json::Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn korean_pages_are_detected_by_script() {
    let dir = common::shared_reviews();
    let corpus = ingest::read_corpus(&[dir]);
    let mut korean: Vec<&str> =
        corpus.pages.iter().filter(|p| p.page.lang == "ko").map(|p| p.page.id.as_str()).collect();
    korean.sort();
    assert_eq!(korean, ["2412.15214", "2501.09686", "2502.08869", "2502.09100"]);
    assert_eq!(corpus.pages.len(), 42);
    assert!(corpus.problems.is_empty(), "{:?}", corpus.problems);
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn format_details_of_each_era() {
    let dir = common::shared_reviews();
    let parse = |rel: &str| {
        let path = dir.join(rel);
        ingest::parse_bytes(&path, &std::fs::read(&path).unwrap()).records.unwrap()
    };
    // 2024: filler keywords are not authors; image titles carry the paper caption;
    // `{{ table.* }}` placeholders are empty and the plain blockquote after fills them.
    let sgr = parse("paper-reviews/2406.10615/index.md");
    assert_eq!(sgr.page.authors, None);
    assert_eq!(sgr.page.tag_dates, ["2024-06-15", "2024-10-29"]);
    let zip = parse("paper-reviews/2410.08584/index.md");
    let chart = zip.captions.iter().find(|c| c.image.as_deref() == Some("charts/charts_5_0.png")).unwrap();
    assert_eq!(chart.kind, ingest::CaptionKind::Chart);
    assert_eq!(chart.label.as_deref(), Some("Figure 3"));
    let placeholder =
        zip.captions.iter().find(|c| c.kind == ingest::CaptionKind::Table && c.caption.is_empty()).unwrap();
    assert!(placeholder.description.starts_with("Table 1 compares"), "{}", placeholder.description);
    assert_eq!(placeholder.label.as_deref(), Some("Table 1"));
    // 2025: LaTeXML tables keep a formula's TeX once; insights have headings.
    let physics = parse("2025-01-17/2501.09038/index.md");
    assert_eq!(physics.page.affiliations, ["Google DeepMind"]);
    assert_eq!(physics.page.insights.len(), 5);
    assert_eq!(physics.page.insights[0].heading, "Physics IQ Dataset");
    assert!(physics.captions.iter().any(|c| c.table_text.contains("Spatial")));
    let r2 = parse("2025-03-11/2503.06121/index.md");
    let table = r2.captions.iter().find(|c| c.table_text.contains("R^{2}")).expect("a table with R^{2}");
    assert!(table.table_text.starts_with("RMSE | MAE | MAPE | R^{2}\n"), "{}", table.table_text);
    // Maths folded: invisible operators dropped, math italic letters plain.
    let w = parse("2025-04-25/2504.17601/index.md");
    assert!(w.captions.iter().any(|c| c.caption.contains("w¯(p)j=2")), "folded maths");
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn real_page_snapshots() {
    let dir = common::shared_reviews();
    for rel in [
        "paper-reviews/2410.22304/index.md",
        "paper-reviews/2502.09100/index.md",
        "2025-01-17/2501.09038/index.md",
        "paper-reviews/2410.08584/index.md",
    ] {
        let path = dir.join(rel);
        let parsed = ingest::parse_bytes(Path::new(rel), &std::fs::read(&path).unwrap());
        let name = rel.replace(['/', '.'], "_");
        insta::assert_json_snapshot!(name, parsed.records);
    }
}

/// The tests above, which cannot run without ../shared.
const NEEDS_SHARED: [&str; 4] = [
    "every_real_page_parses_cleanly",
    "format_details_of_each_era",
    "korean_pages_are_detected_by_script",
    "real_page_snapshots",
];

/// Runs this test binary itself with `args` and `env`, returning its exit code and output.
fn this_binary(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(args).env_remove("CI").env_remove("PAPERDEX_TEST_SHARED_REVIEWS");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn the_build_saw_the_shared_pages_as_they_are() {
    let dir = common::shared_reviews_dir();
    assert!(
        !(dir.is_dir() && cfg!(paperdex_no_shared)),
        "{} appeared after this build, whose tests on it are marked ignored: `touch build.rs` and test again",
        dir.display()
    );
    // Built without the pages, exactly the tests that need them are ignored.
    let (code, listed) = this_binary(&["--list", "--ignored"], &[]);
    assert_eq!(code, Some(0), "{listed}");
    let mut ignored: Vec<&str> = listed.lines().filter_map(|l| l.strip_suffix(": test")).collect();
    ignored.sort();
    let expected: &[&str] = if cfg!(paperdex_no_shared) { &NEEDS_SHARED } else { &[] };
    assert_eq!(ignored, expected);
}

#[test]
fn a_test_that_needs_the_pages_fails_without_them() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("reviews");
    for ci in [true, false] {
        let mut env = vec![("PAPERDEX_TEST_SHARED_REVIEWS", missing.as_os_str())];
        if ci {
            env.push(("CI", "true".as_ref()));
        }
        let (code, output) =
            this_binary(&["--include-ignored", "--exact", "korean_pages_are_detected_by_script"], &env);
        assert_eq!(code, Some(101), "CI={ci}: {output}");
        assert!(output.contains("1 failed"), "CI={ci}: {output}");
        let why = if ci { "CI=true and " } else { "is missing: this test needs the real review pages" };
        assert!(output.contains(why), "CI={ci}: {output}");
    }
}
