//! Bad input to the parser and the corpus walk: per-file errors with path, line and
//! reason, and the walk going on with the other files.

mod common;

use std::fs;
use std::path::Path;

use common::{paperdex, seed_page};
use paperdex::ingest::{self, Severity};

const GOOD: &str = "---\ntitle: \"A page\"\ndate: 2025-01-02\n---\n{{< keyword icon=\"fingerprint\" >}} 2501.00001 {{< /keyword >}}\n### TL;DR\n{{< lead >}}\nShort.\n{{< /lead >}}\n";

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

#[test]
fn per_file_errors_name_path_line_and_reason() {
    let cases: &[(&str, &[u8], usize, &str)] = &[
        ("empty.md", b"", 1, "empty file"),
        ("no_front.md", b"# Just a heading\n", 1, "no front matter"),
        ("unclosed.md", b"---\ntitle: x\nbody\n", 1, "never closed"),
        ("bad_yaml.md", b"---\ntitle: x\ntags: [a, b\n---\n", 4, "not valid YAML"),
        ("png.md", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 3, "NUL bytes"),
    ];
    for (name, bytes, line, reason) in cases {
        let parsed = ingest::parse_bytes(Path::new(name), bytes);
        assert!(parsed.records.is_none(), "{name}");
        let p = parsed.problems.iter().find(|p| p.severity == Severity::Error).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(p.path, *name);
        assert!(p.reason.contains(reason), "{name}: {}", p.reason);
        if *name != "bad_yaml.md" {
            assert_eq!(p.line, Some(*line), "{name}");
        } else {
            assert!(p.line.unwrap() >= 3, "{name}: {:?}", p.line);
        }
    }
}

#[test]
fn a_date_off_the_calendar_is_a_warning_and_the_page_is_kept_without_one() {
    for bad in ["2025-13-45", "yesterday", "2025-02-29", "2025-04-31"] {
        let text = GOOD.replace("date: 2025-01-02", &format!("date: {bad}"));
        let parsed = ingest::parse_bytes(Path::new("x/2501.00001/index.md"), text.as_bytes());
        assert_eq!(parsed.records.expect("records").page.date, None, "{bad}");
        assert_eq!(parsed.problems.len(), 1, "{bad}: {:?}", parsed.problems);
        let p = &parsed.problems[0];
        assert_eq!((p.severity, p.line), (Severity::Warning, Some(3)), "{bad}");
        assert!(p.reason.contains(&format!("`{bad}` is not a day of the calendar")), "{}", p.reason);
    }
    for good in ["2024-02-29", "2025-01-31", "2025-01-02T10:00:00Z"] {
        let text = GOOD.replace("date: 2025-01-02", &format!("date: {good}"));
        let parsed = ingest::parse_bytes(Path::new("x/2501.00001/index.md"), text.as_bytes());
        assert!(parsed.problems.is_empty(), "{good}: {:?}", parsed.problems);
        assert_eq!(parsed.records.unwrap().page.date.as_deref(), Some(&good[..10]));
    }
}

#[test]
fn a_binary_file_is_one_problem() {
    // Invalid UTF-8 and NUL bytes: skipped as binary, and only that is said.
    let parsed = ingest::parse_bytes(Path::new("png.md"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff");
    assert!(parsed.records.is_none());
    assert_eq!(parsed.problems.len(), 1, "{:?}", parsed.problems);
    assert_eq!(parsed.problems[0].severity, Severity::Error);
}

#[test]
fn invalid_utf8_is_a_warning_and_the_page_is_kept() {
    let mut bytes = GOOD.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n#### Why does it matter?\nbad \xff\xfe byte\n");
    let parsed = ingest::parse_bytes(Path::new("x/2501.00001/index.md"), &bytes);
    let page = parsed.records.expect("records").page;
    assert!(page.why_it_matters.contains("bad \u{FFFD}\u{FFFD} byte"), "{}", page.why_it_matters);
    assert_eq!(parsed.problems.len(), 1);
    assert_eq!(parsed.problems[0].severity, Severity::Warning);
    assert_eq!(parsed.problems[0].line, Some(12));
}

#[test]
fn crlf_bom_and_unclosed_table_caption() {
    let text = "\u{FEFF}---\r\ntitle: \"T\"\r\n---\r\n{{< table-caption >}}\r\n| a | b |\r\n|---|---|\r\n| 1 | 2 |\r\n\r\n> 🔼 A table.\r\n";
    let parsed = ingest::parse_bytes(Path::new("d/p/index.md"), text.as_bytes());
    let records = parsed.records.expect("records");
    assert_eq!(records.page.title, "T");
    assert_eq!(records.captions.len(), 1);
    assert_eq!(records.captions[0].table_text, "a | b\n1 | 2");
    assert!(
        parsed.problems.iter().any(|p| p.reason.contains("never closed") && p.line == Some(4)),
        "{:?}",
        parsed.problems
    );
}

#[test]
fn walk_reports_bad_files_and_indexes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/2501.00001/index.md", GOOD.as_bytes());
    write(dir.path(), "b/broken/index.md", b"---\ntitle: [unclosed\n---\n");
    write(dir.path(), "c/notes.txt", b"plain notes, not a page\n");
    write(dir.path(), "c/page.txt", GOOD.replace("2501.00001", "2501.00002").as_bytes());
    write(dir.path(), "d/image.png", b"\x89PNG");
    let corpus = ingest::read_corpus(&[dir.path().to_path_buf()]);
    let ids: Vec<&str> = corpus.pages.iter().map(|p| p.page.id.as_str()).collect();
    assert_eq!(ids, ["2501.00001", "2501.00002"]);
    assert_eq!(corpus.files_read, 3);
    assert_eq!(corpus.problems.len(), 1, "{:?}", corpus.problems);
    assert!(corpus.problems[0].path.ends_with("b/broken/index.md"));
    assert!(corpus.problems[0].reason.contains("not valid YAML"));
}

#[test]
fn duplicates_keep_the_newer_date() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old/2501.00001/index.md", GOOD.as_bytes());
    write(dir.path(), "new/2501.00001/index.md", GOOD.replace("2025-01-02", "2025-03-04").as_bytes());
    write(dir.path(), "new/2501.00001/index.ko.md", GOOD.as_bytes());
    let corpus = ingest::read_corpus(&[dir.path().to_path_buf()]);
    assert_eq!(corpus.pages.len(), 2);
    let en = corpus.pages.iter().find(|p| p.page.lang == "en").unwrap();
    assert_eq!(en.page.date.as_deref(), Some("2025-03-04"));
    assert!(corpus.pages.iter().any(|p| p.page.lang == "ko"));
    assert_eq!(corpus.problems.len(), 1);
    assert!(corpus.problems[0].path.contains("old"));
    assert!(corpus.problems[0].reason.contains("duplicate of page 2501.00001 (en)"), "{}", corpus.problems[0].reason);
}

#[test]
fn inspect_reports_an_unusable_file_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.md", b"no front matter here\n");
    let bad = dir.path().join("bad.md");
    paperdex()
        .arg("inspect")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!("error: {}:1: no front matter", bad.display())));
    paperdex()
        .args(["inspect", "/no/such/file.md"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read /no/such/file.md"));
    paperdex().arg("inspect").arg(seed_page()).assert().code(0);
}
