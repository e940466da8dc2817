//! The search box as people and scripts use it: facet values that forgive, exclusions,
//! facet limits, one hit per paper, output formats and JSON errors, help, completions
//! and the manual, and the small things (repeated options, empty variables, dates).

mod common;

use std::path::Path;
use std::sync::LazyLock;

use common::paperdex;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

/// The seed page and three pages made from it, with their own ids, titles, dates and
/// affiliations, indexed into `index/`.
static CORPUS: LazyLock<TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(common::seed_page()).unwrap();
    let pages = [
        ("2412.02142", None),
        ("3001.00001", Some(("Adobe Research", "Vision Transformers at Scale", "2025-01-17"))),
        ("3001.00002", Some(("Université de Montréal", "Diffusion Policies for Robots", "2025-02-03"))),
        ("3001.00003", Some(("Adobe Research", "ChartCite: Chart Attribution Agents", "2025-02-20"))),
    ];
    for (id, change) in pages {
        let mut text = seed.replace("2412.02142", id);
        if let Some((org, title, date)) = change {
            text = text
                .replace("Personalized Multimodal Large Language Models: A Survey", title)
                .replace("University of California, San Diego", org)
                .replace("date: 2024-12-03", &format!("date: {date}"));
        }
        if id == "3001.00003" {
            text = text.replacen("{{< lead >}}\n", "{{< lead >}}\nThe benchmark holds 15,937 questions. ", 1);
        }
        let path = dir.path().join("corpus").join(id).join("index.md");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
    dir
});

fn dir() -> &'static Path {
    CORPUS.path()
}

fn json(args: &[&str]) -> Value {
    let out = paperdex().current_dir(dir()).args(["search", "--json"]).args(args).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids(doc: &Value) -> Vec<String> {
    doc["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn filter_values_match_ignoring_case_and_accents() {
    let exact = json(&["--kind", "page", "--filter", "affiliation=Adobe Research"]);
    assert_eq!(exact["total_hits"], 2);
    for spelling in ["adobe research", "ADOBE  RESEARCH", "🏢 Adobe Research"] {
        let doc = json(&["--kind", "page", "--filter", &format!("affiliation={spelling}")]);
        assert_eq!(ids(&doc), ids(&exact), "{spelling}");
    }
    let montreal = json(&["--kind", "page", "--filter", "affiliation=universite de montreal"]);
    assert_eq!(ids(&montreal), ["3001.00002"]);
    // A value that matches nothing says so, with the nearest values.
    let out = paperdex()
        .current_dir(dir())
        .args(["search", "--kind", "page", "--filter", "affiliation=adobe reserch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no affiliation value matches `adobe reserch`; nearest: Adobe Research"), "{stderr}");
    let doc = json(&["--filter", "affiliation=adobe reserch"]);
    assert!(doc["warnings"][0].as_str().unwrap().contains("nearest: Adobe Research"), "{doc}");
    // Counting under a value the index does not hold says so, as a filter of it does:
    // once, when it is both.
    let doc = json(&["--facet", "affiliation=adobe reserch", "-n", "0"]);
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1, "{doc}");
    assert!(doc["warnings"][0].as_str().unwrap().contains("nearest: Adobe Research"), "{doc}");
    assert_eq!(doc["facets"]["affiliation"].as_array().unwrap().len(), 0, "{doc}");
    let doc = json(&["--facet", "affiliation=adobe reserch", "--filter", "affiliation=adobe reserch"]);
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1, "{doc}");
    let doc = json(&["--facet", "affiliation=ADOBE research", "-n", "0"]);
    assert!(doc.get("warnings").is_none_or(|w| w.as_array().unwrap().is_empty()), "{doc}");
    // A period no record is dated in, too; one that holds records is quiet.
    let doc = json(&["--facet", "date=/2099", "-n", "0"]);
    assert_eq!(doc["warnings"][0], "no record is dated in /2099", "{doc}");
    let doc = json(&["--facet", "date=/2025", "-n", "0"]);
    assert!(doc.get("warnings").is_none() && !doc["facets"]["date"].as_array().unwrap().is_empty(), "{doc}");
}

#[test]
fn excluded_values_drop_records() {
    let all = json(&["--kind", "page"]);
    assert_eq!(all["total_hits"], 4);
    let without = json(&["--kind", "page", "--exclude", "affiliation=adobe research"]);
    assert_eq!(without["total_hits"], 2);
    assert!(!ids(&without).contains(&"3001.00001".to_owned()));
    let no_methods = json(&["survey", "--exclude", "kind=method", "--exclude", "date=/2025/02"]);
    let kinds: Vec<&str> = no_methods["hits"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert!(!kinds.is_empty() && !kinds.contains(&"method"), "{kinds:?}");
    assert!(no_methods["hits"].as_array().unwrap().iter().all(|h| !h["date"].as_str().unwrap().starts_with("2025-02")));
}

#[test]
fn facet_lists_are_cut_with_a_count_of_the_rest() {
    let out = paperdex()
        .current_dir(dir())
        .args(["search", "--facet", "affiliation", "--facet-limit", "1", "-n", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("/Adobe Research") && text.contains("… and 2 more"), "{text}");
    let doc = json(&["--facet", "affiliation", "--facet-limit", "2", "-n", "0"]);
    assert_eq!(doc["facets"]["affiliation"].as_array().unwrap().len(), 2);
    assert_eq!(doc["facets_more"]["affiliation"], 1);
    let all = json(&["--facet", "affiliation", "-n", "0"]);
    assert_eq!(all["facets"]["affiliation"].as_array().unwrap().len(), 3, "JSON lists every value by default");
    assert!(all.get("facets_more").is_none());
    // Every value cut: the count of them, not "(none)" as if there were none.
    let out = paperdex()
        .current_dir(dir())
        .args(["search", "--facet", "affiliation", "--facet-limit", "0", "-n", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("… and 3 more") && !text.contains("(none)"), "{text}");
}

#[test]
fn a_query_of_no_words_says_so() {
    for query in ["()", "\"\"", "title:", "???"] {
        let doc = json(&["--", query]);
        assert_eq!(doc["total_hits"], 0, "{query}");
        assert!(doc["warnings"][0].as_str().unwrap().contains("holds no words to search for"), "{query}: {doc}");
    }
    assert!(json(&["taxonomy"]).get("warnings").is_none());
    // A word too long to be indexed is left out, and said to be, shortened.
    let long = "x".repeat(64);
    let doc = json(&["--", &format!("taxonomy {long}")]);
    assert_eq!(doc["total_hits"], json(&["taxonomy"])["total_hits"]);
    let said = doc["warnings"][0].as_str().unwrap();
    assert!(said.contains("is longer than any word the index holds") && said.len() < 120, "{doc}");
    let doc = json(&["--", &"a".repeat(3000)]);
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1, "{doc}");
    assert!(doc["warnings"][0].as_str().unwrap().contains("is longer than any word"), "{doc}");
    // Nor is there anything to rank by relevance: browsing's order, said.
    let browse = json(&["--kind", "page"]);
    let asked = json(&["--kind", "page", "--sort", "relevance"]);
    assert_eq!(ids(&asked), ids(&browse));
    assert_eq!(asked["sort"], "-date");
    assert!(asked["hits"][0]["score"].is_null(), "{asked}");
    assert!(asked["warnings"][0].as_str().unwrap().contains("sorting by relevance needs words"), "{asked}");
}

#[test]
fn an_offset_past_the_hits_says_how_many_there_are() {
    let out = paperdex().current_dir(dir()).args(["search", "taxonomy", "--offset", "5000"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    let total = json(&["taxonomy"])["total_hits"].as_u64().unwrap();
    assert!(err.contains(&format!("none past the first {total} (--offset 5000)")), "{err}");
}

#[test]
fn facet_counts_line_up_under_wide_characters() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(common::seed_page()).unwrap();
    for (id, org) in [("3001.00001", "서울대학교 인공지능연구원"), ("3001.00002", "KAIST")] {
        let text = seed.replace("2412.02142", id).replace("University of California, San Diego", org);
        let path = dir.path().join("corpus").join(id).join("index.md");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
    let out =
        paperdex().current_dir(dir.path()).args(["search", "--facet", "affiliation", "-n", "0"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("  /")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    // Where each count ends, in terminal columns: a Hangul syllable takes two.
    let columns = |line: &str| line.chars().map(|c| if ('가'..='힣').contains(&c) { 2 } else { 1 }).sum::<usize>();
    assert_eq!(columns(lines[0]), columns(lines[1]), "{text}");
}

#[test]
fn one_hit_per_page_and_facets_that_count_pages() {
    let records = json(&["Personalized", "-n", "50"]);
    let grouped = json(&["Personalized", "--group", "page", "-n", "50"]);
    let pages: Vec<String> =
        grouped["hits"].as_array().unwrap().iter().map(|h| h["page_id"].as_str().unwrap().to_owned()).collect();
    let mut unique = pages.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(pages.len(), unique.len(), "one hit per page: {pages:?}");
    assert_eq!(grouped["total_pages"], pages.len());
    assert_eq!(grouped["total_hits"], records["total_hits"]);
    let matched: u64 =
        grouped["hits"].as_array().unwrap().iter().map(|h| h["group"]["matched"].as_u64().unwrap()).sum();
    assert_eq!(matched, records["total_hits"].as_u64().unwrap(), "every matching record is counted in its page");
    assert!(grouped["hits"][0]["group"]["also"].as_array().unwrap().len() <= 3);
    // Paged by page.
    let second = json(&["Personalized", "--group", "page", "-n", "1", "--offset", "1"]);
    assert_eq!(second["hits"][0]["page_id"].as_str().unwrap(), pages[1]);
    // Facet counts of pages.
    let by_record = json(&["--facet", "kind", "-n", "0"]);
    let by_page = json(&["--facet", "kind", "--facet-count", "pages", "-n", "0"]);
    let count = |doc: &Value, path: &str| {
        doc["facets"]["kind"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"] == path)
            .map(|c| c["count"].as_u64().unwrap())
    };
    assert_eq!(count(&by_record, "/method"), Some(128));
    assert_eq!(count(&by_page, "/method"), Some(4));
    assert_eq!(count(&by_page, "/page"), Some(4));
}

#[test]
fn formats_for_scripts() {
    let run = |format: &str| {
        let out = paperdex()
            .current_dir(dir())
            .args(["search", "Personalized", "-n", "3", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let doc: Value = serde_json::from_str(&run("json")).unwrap();
    let ids_text = run("ids");
    assert_eq!(ids_text.lines().collect::<Vec<_>>(), ids(&doc));
    let paths = run("paths");
    assert!(paths.lines().all(|l| l.ends_with("index.md")), "{paths}");
    // Indexed as `corpus/` (the default folder): printed so as to lead there from anywhere.
    let corpus = std::fs::canonicalize(dir().join("corpus")).unwrap();
    assert!(paths.lines().all(|l| Path::new(l).is_absolute() && Path::new(l).starts_with(&corpus)), "{paths}");
    assert!(paths.lines().all(|l| Path::new(l).is_file()), "{paths}");
    let lines: Vec<Value> = run("jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[..3].iter().all(|l| l["type"] == "hit"));
    assert_eq!(lines[0]["id"], doc["hits"][0]["id"]);
    assert_eq!(lines[3]["type"], "summary");
    assert_eq!(lines[3]["total_hits"], doc["total_hits"]);
}

#[test]
fn errors_are_json_objects_for_scripts_that_ask_for_json() {
    for (args, kind) in [
        (&["search", "--json", "--strict", "title:\"unclosed"][..], "query_syntax"),
        (&["search", "--format", "jsonl", "--kind", "paper"][..], "bad_argument"),
        (&["search", "--json", "--limit", "many"][..], "bad_argument"),
        (&["search", "--json", "--index", "nowhere", "x"][..], "no_index"),
        // Every command that prints JSON: its errors too.
        (&["stats", "--json", "--index", "nowhere"][..], "no_index"),
        (&["bench", "--json", "--index", "nowhere"][..], "no_index"),
        (&["inspect", "--json", "no-such-page.md"][..], "read"),
        (&["eval", "--json", "--topics", "no-topics.tsv", "--qrels", "no-qrels.txt"][..], "read"),
    ] {
        let out = paperdex().current_dir(dir()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(doc["error"]["kind"], kind, "{args:?}: {doc}");
        assert!(!doc["error"]["message"].as_str().unwrap().is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("paperdex: ") || kind == "bad_argument", "{args:?}");
    }
    let out =
        paperdex().current_dir(dir()).args(["search", "--json", "--strict", "title:\"unclosed"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["error"]["column"].as_u64().is_some(), "{doc}");
    // Without JSON asked for, stdout stays empty; `--json` after `--` is a query word.
    for args in [&["stats", "--index", "nowhere"][..], &["search", "--index", "nowhere", "--", "--json"][..]] {
        let out = paperdex().current_dir(dir()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn arguments_that_are_not_utf8_are_errors_not_crashes() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"-vid\xffeo");
    let out = paperdex().current_dir(dir()).args(["search", "--json", "robot"]).arg(bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "bad_argument", "{doc}");
    // A search that runs and fails says why, with an index folder named so.
    let named = dir().join(std::ffi::OsStr::from_bytes(b"ix\xff"));
    if !named.exists() {
        paperdex().current_dir(dir()).arg("index").arg("--quiet").arg("--index").arg(&named).assert().success();
    }
    let out = paperdex()
        .current_dir(dir())
        .args(["search", "survey", "--kind", "bogus", "--index"])
        .arg(&named)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn help_completions_and_manual() {
    let help = paperdex().args(["search", "--help"]).output().unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    for needle in ["Query syntax", "\"video generative models\"", "title:diffusion", "phys*", "Examples:", "--format"] {
        assert!(text.contains(needle), "search --help lacks {needle}");
    }
    for (shell, needle) in [("bash", "_paperdex()"), ("zsh", "#compdef paperdex"), ("fish", "complete -c paperdex")] {
        paperdex().args(["completions", shell]).assert().success().stdout(predicate::str::contains(needle));
    }
    paperdex().args(["completions", "tcsh"]).assert().code(2);
    let man = paperdex().arg("man").output().unwrap();
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(page.contains(".TH paperdex 1") && page.contains("search"), "{}", &page[..200.min(page.len())]);
}

#[test]
fn small_things() {
    // An option given twice: the last wins.
    let doc = json(&["Personalized", "-n", "5", "-n", "2"]);
    assert_eq!(doc["hits"].as_array().unwrap().len(), 2);
    // An empty PAPERDEX_INDEX counts as unset.
    paperdex().current_dir(dir()).env("PAPERDEX_INDEX", "").args(["search", "MoMA"]).assert().code(0);
    // Dates that are not on the calendar, and a period that ends before it starts.
    for (args, message) in [
        (&["--since", "2025-02-30"][..], "`2025-02-30` is not a day of the calendar"),
        (&["--since", "2025-03", "--until", "2025-01"][..], "the period starts (2025-03) after it ends (2025-01)"),
        (&["--until", "2023-02-29"][..], "is not a day of the calendar"),
    ] {
        paperdex()
            .current_dir(dir())
            .arg("search")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    let leap = json(&["--since", "2024-02-29", "--until", "2025-01-31", "--kind", "page"]);
    assert_eq!(ids(&leap), ["3001.00001", "2412.02142"]);
    // The writer's memory below its minimum.
    paperdex()
        .current_dir(dir())
        .args(["index", "--memory-mb", "5", "--index", "tiny"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--memory-mb must be between 15"));
    // Bench query files name the file and line of a bad value.
    std::fs::write(dir().join("queries.tsv"), "one\tvideo\nbad\tvideo\tkind=paper\n").unwrap();
    paperdex()
        .current_dir(dir())
        .args(["bench", "--queries", "queries.tsv", "--iterations", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("queries.tsv:2: unknown kind `paper`"));
}

#[test]
fn ids_and_links_put_their_page_first_then_its_records() {
    for query in [
        "3001.00002",
        "3001.00002v2",
        "arXiv:3001.00002",
        "arXiv 3001.00002",
        "https://arxiv.org/abs/3001.00002",
        "https://arxiv.org/pdf/3001.00002v1.pdf",
        "huggingface.co/papers/3001.00002",
        "https://ai-paper-reviewer.com/3001.00002/",
    ] {
        let doc = json(&[query, "-n", "40"]);
        let found = ids(&doc);
        assert_eq!(found[0], "3001.00002", "{query}: {found:?}");
        assert!(found[1].starts_with("3001.00002/"), "{query}: then its records: {found:?}");
        assert_eq!(doc["total_hits"], 34, "{query}: the page's 34 records");
    }
    // An id beside words: that page, then its records (those holding the words first),
    // then the words' hits in the other pages.
    for query in ["3001.00002 taxonomy", "taxonomy https://arxiv.org/abs/3001.00002"] {
        let doc = json(&[query, "-n", "60"]);
        let found = ids(&doc);
        assert_eq!(found[0], "3001.00002", "{query}: {found:?}");
        assert!(found[..34].iter().all(|id| id.starts_with("3001.00002")), "{query}: {found:?}");
        assert!(found[34..].iter().all(|id| !id.starts_with("3001.00002")), "{query}: {found:?}");
        assert!(doc["total_hits"].as_u64().unwrap() > 34, "{query}: and the word's other hits");
    }
    // The documented field queries.
    assert_eq!(ids(&json(&["id:3001.00003"])), ["3001.00003"]);
    assert_eq!(json(&["page_id:3001.00003"])["total_hits"], 34);
    // A key's prefix: the records whose key starts so, in both readings.
    for strict in [false, true] {
        let args: &[&str] = if strict { &["--strict", "-n", "100"] } else { &["-n", "100"] };
        let doc = json(&[&["page_id:3001.0000*"], args].concat());
        let found = ids(&doc);
        assert!(!found.is_empty() && found.iter().all(|id| id.starts_with("3001.0000")), "{found:?}");
        assert!(found.iter().any(|id| id == "3001.00003") && found.iter().any(|id| id == "3001.00002"), "{found:?}");
        let captions = ids(&json(&[&["id:3001.00003/caption/*"], args].concat()));
        assert!(
            !captions.is_empty() && captions.iter().all(|id| id.starts_with("3001.00003/caption/")),
            "{captions:?}"
        );
    }
    // `page_id:*` (having a key) is no search: refused under --strict in paperdex's words.
    let out = paperdex().current_dir(dir()).args(["search", "--strict", "page_id:*"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`page_id:*` (the records that have a page_id) is not a search paperdex runs"), "{err}");
}

#[test]
fn pasted_text_is_read_as_words_and_strict_keeps_the_errors() {
    for (query, first) in [
        ("ChartCite: Chart Attribution Agents", "3001.00003"),
        ("Diffusion Policies for Robots: ", "3001.00002"),
        ("Vision Transformers at Scale OR", "3001.00001"),
        ("Transformers' scale", "3001.00001"),
        ("https://example.org/vision/transformers", "3001.00001"),
    ] {
        let doc = json(&["--kind", "page", "--", query]);
        assert_eq!(ids(&doc).first().map(String::as_str), Some(first), "{query}: {doc}");
    }
    let out = paperdex().current_dir(dir()).args(["search", "\"Chart Attribution"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("warning: read the query as words around column 1: a quote that is never closed")
    );
    for query in ["ChartCite: Chart", "\"Chart Attribution", "(Chart", "OR"] {
        let out = paperdex().current_dir(dir()).args(["search", "--strict", query]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "--strict {query}");
    }
    // Well-formed syntax keeps its meaning.
    assert_eq!(json(&["title:chartcite", "--kind", "page"])["total_hits"], 1);
    assert_eq!(ids(&json(&["(title:Vision OR title:Diffusion) -Robots", "--kind", "page"])), ["3001.00001"]);
    let only_exclusions = json(&["--kind", "page", "--", "-title:ChartCite -title:Transformers -title:Diffusion"]);
    assert_eq!(ids(&only_exclusions), ["2412.02142"], "only exclusions: everything else");
}

#[test]
fn typos_are_matched_on_the_words_as_written_and_scored() {
    // A typo in a suffix: the stem would not be one edit away, the word is.
    let doc = json(&["Attributon", "--fuzzy", "--kind", "page"]);
    assert_eq!(ids(&doc), ["3001.00003"]);
    let doc = json(&["Personalizd", "--fuzzy", "-n", "20"]);
    let scores: Vec<f64> = doc["hits"].as_array().unwrap().iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).any(|w| w[0] != w[1]), "typo matches are ranked, not a constant: {scores:?}");
    let doc = json(&["Attributon", "--fuzzy", "--kind", "page"]);
    let first = &doc["hits"][0];
    let marked: Vec<&str> = first["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &first["snippet"].as_str().unwrap()[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize])
        .collect();
    assert!(marked.iter().any(|m| m.eq_ignore_ascii_case("attribution")), "{marked:?}");
    // The exact word above its typos.
    let exact = json(&["Chart", "--fuzzy", "--kind", "page"]);
    assert_eq!(ids(&exact)[0], "3001.00003");
    // A phrase whose last word is a prefix ranks by BM25F too, marking the completions.
    let phrase = json(&["\"multimodal large lang\"*", "-n", "20"]);
    let scores: Vec<f64> = phrase["hits"].as_array().unwrap().iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.len() > 2 && scores.windows(2).any(|w| w[0] != w[1]), "{scores:?}");
    // Prefix words rank by BM25 too.
    let prefix = json(&["Attrib*", "-n", "5"]);
    assert!(prefix["hits"][0]["score"].as_f64().unwrap() > 0.0);
    assert!(!prefix["hits"][0]["highlights"].as_array().unwrap().is_empty());
}

#[test]
fn quoted_words_match_as_written_and_their_look_alikes_only_when_nothing_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(common::seed_page()).unwrap();
    let lines =
        [("4001.00001", "Zorblat personalized widgets matter."), ("4001.00002", "Zorblat personalizing widget.")];
    for (id, line) in lines {
        let text = seed.replace("2412.02142", id).replacen("{{< lead >}}\n", &format!("{{{{< lead >}}}}\n{line} "), 1);
        let path = dir.path().join("corpus").join(id).join("index.md");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
    let search = |query: &str| {
        let out =
            paperdex().current_dir(dir.path()).args(["search", "--json", "--kind", "page", query]).output().unwrap();
        ids(&serde_json::from_slice(&out.stdout).unwrap())
    };
    // The words as written, in that order: not their stems' look-alikes.
    assert_eq!(search("\"personalized widgets\""), ["4001.00001"]);
    assert_eq!(search("\"zorblat personalizing\""), ["4001.00002"]);
    // Nothing holds these as written: the look-alikes are found instead.
    let mut both = search("\"personalized widget\"");
    both.sort();
    assert_eq!(both, ["4001.00001", "4001.00002"]);
    // Not in that order: not the phrase.
    assert!(search("\"widgets personalized\"").is_empty());
}

#[test]
fn a_query_with_no_hits_is_tried_with_its_typos_corrected() {
    let out = paperdex().current_dir(dir()).args(["search", "Attributon", "--kind", "page"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: no hits for `Attributon`; showing `attribution`"));
    let doc = json(&["Chart Attributon", "--kind", "page"]);
    assert_eq!(doc["corrected"], "Chart attribution");
    assert_eq!(doc["query"], "Chart Attributon");
    assert_eq!(ids(&doc), ["3001.00003"]);
    // Under --fuzzy too, for what typo tolerance leaves as typed (a prefix).
    let prefix = json(&["Attributon*", "--fuzzy", "--kind", "page"]);
    assert_eq!(prefix["corrected"], "attribution*");
    assert!(ids(&prefix).contains(&"3001.00003".to_owned()), "{prefix}");
    // Nothing near: no hits, no correction.
    let none = json(&["Qwxzvbnm"]);
    assert_eq!(none["total_hits"], 0);
    assert!(none.get("corrected").is_none());
}

#[test]
fn numbers_match_with_and_without_thousands_separators() {
    for query in ["15937", "15,937"] {
        let doc = json(&[query, "--kind", "page"]);
        assert_eq!(ids(&doc), ["3001.00003"], "{query}");
        let hit = &doc["hits"][0];
        let snippet = hit["snippet"].as_str().unwrap();
        let [a, b] = [0, 1].map(|i| hit["highlights"][0][i].as_u64().unwrap() as usize);
        assert_eq!(&snippet[a..b], "15,937", "{query}: {snippet}");
    }
}

#[test]
fn pasted_paths_fields_and_ranges_are_never_errors_nor_damage() {
    for query in ["title:*", "/paper-reviews/3001.00002/", "encoder / decoder", "title:<(", "a [b] c", "x>5 y"] {
        let out = paperdex().current_dir(dir()).args(["search", "--json", "--", query]).output().unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{query}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Under --strict, `title:*` is the query's fault, never damage.
    let out = paperdex().current_dir(dir()).args(["search", "--json", "--strict", "title:*"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "query_syntax");
    // A quote never closed: the words, not a phrase.
    let words = json(&["--kind", "page", "Chart Agents"]);
    let unclosed = json(&["--kind", "page", "\"Chart Agents"]);
    assert_eq!(unclosed["total_hits"], words["total_hits"]);
    assert_eq!(json(&["--kind", "page", "\"Chart Agents\""])["total_hits"], 0, "the phrase is not there");
    // A field's prefix stays in the field.
    let titles = json(&["title:Attrib*", "-n", "50"]);
    assert!(titles["hits"].as_array().unwrap().iter().all(|h| h["kind"] == "page"), "{titles}");
    // Ids with the punctuation around them that pasting brings.
    for query in ["3001.00002.", "[3001.00002]", "(arXiv:3001.00002),"] {
        assert_eq!(ids(&json(&[query]))[0], "3001.00002", "{query}");
    }
}

#[test]
fn corrections_reach_words_next_to_punctuation_and_fields() {
    let doc = json(&["--kind", "page", "ChartCite: Chart Atribution"]);
    assert_eq!(doc["corrected"], "ChartCite: Chart attribution");
    let doc = json(&["--kind", "page", "title:Atribution"]);
    assert_eq!(doc["corrected"], "title:attribution");
    assert_eq!(ids(&doc), ["3001.00003"]);
    let out = paperdex().current_dir(dir()).args(["search", "--format", "jsonl", "Atribution"]).output().unwrap();
    let last: Value = serde_json::from_str(String::from_utf8(out.stdout).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(last["corrected"], "attribution");
}

#[test]
fn man_pages_for_each_command() {
    let page = paperdex().args(["man", "search"]).output().unwrap();
    let text = String::from_utf8(page.stdout).unwrap();
    assert!(
        text.contains(".TH paperdex-search") && text.contains("fuzzy") && text.contains("strict"),
        "{}",
        &text[..300.min(text.len())]
    );
    paperdex().args(["man", "nosuch"]).assert().code(2).stderr(predicate::str::contains("the commands: index, search"));
}

#[test]
fn groups_of_exclusions_exclude_from_everything() {
    let total = |q: &str| json(&["--limit", "0", "--", q])["total_hits"].as_u64().unwrap();
    let (all, word, both) = (total("*"), total("generation"), total("generation model"));
    assert!(0 < both && both < word && word < all, "{both} {word} {all}");
    // Negated twice is the word itself.
    for q in ["NOT NOT generation", "NOT (NOT generation)", "-(-generation)"] {
        assert_eq!(total(q), word, "{q}");
    }
    assert_eq!(total("model -(-generation)"), both);
    // A group of exclusions inside the query narrows it like the exclusions themselves.
    let without = total("personalized -generation");
    assert!(0 < without && without < all, "{without}");
    assert_eq!(total("personalized (-generation)"), without);
    assert_eq!(total("(NOT generation) AND personalized"), without);
    assert_eq!(total("personalized (-generation -benchmark)"), total("personalized -generation -benchmark"));
    // And they rank alike: an exclusion of exclusions is the word itself, scored; a group
    // of exclusions adds nothing to a score.
    let ranked = |q: &str| {
        let doc = json(&["--limit", "20", "--", q]);
        doc["hits"].as_array().unwrap().iter().map(|h| (h["id"].clone(), h["score"].clone())).collect::<Vec<_>>()
    };
    let word = ranked("generation");
    for q in ["NOT (NOT generation)", "-(-generation)", "personalized -(-generation)"] {
        let expected = if q.starts_with("personalized") { ranked("personalized generation") } else { word.clone() };
        assert_eq!(ranked(q), expected, "{q}");
    }
    assert_eq!(ranked("personalized (-generation -benchmark)"), ranked("personalized -generation -benchmark"));
    assert_eq!(total("-(-generation -benchmark)"), total("generation OR benchmark"));
}

#[test]
fn exclusions_typed_among_the_options_are_query_words() {
    // `robot -video`, typed as words: the exclusion is the query's, not an unknown option,
    // wherever the options stand; the same hits as the query given after `--`.
    let as_written = |args: &[&str]| json(args);
    let escaped = json(&["--kind", "page", "--limit", "3", "--", "personalized -Robots -Scale"]);
    assert_eq!(ids(&escaped), ["2412.02142", "3001.00003"], "{escaped}");
    for args in [
        &["personalized", "-Robots", "-Scale", "--kind", "page", "--limit", "3"][..],
        &["--kind", "page", "personalized", "-Robots", "--limit", "3", "-Scale"][..],
        &["-n3", "personalized", "-Robots", "--kind=page", "-Scale"][..],
        &["-n", "3", "--kind", "page", "personalized", "-Robots", "--", "-Scale"][..],
    ] {
        let doc = as_written(args);
        assert_eq!(doc["hits"], escaped["hits"], "{args:?}");
        assert_eq!(doc["query"], "personalized -Robots -Scale", "{args:?}");
    }
    // An option's value that starts with `-` stays its value; `-n` stays the limit.
    let sorted = json(&["personalized", "-Robots", "--sort", "-date", "-n", "1"]);
    assert_eq!(sorted["sort"], "-date", "{sorted}");
    assert_eq!(sorted["hits"].as_array().unwrap().len(), 1);
    // A dash and one letter is an option, and a mistyped one is an error, not a search.
    let out = paperdex().current_dir(dir()).args(["search", "personalized", "-x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stray_carets_and_backslashes_lose_no_word() {
    let clean = json(&["--limit", "20", "personalized multimodal"]);
    assert!(clean["total_hits"].as_u64().unwrap() > 0);
    for stray in [
        "^personalized multimodal",
        "personalized ^multimodal",
        "personalized^ multimodal",
        "personalized multimodal^",
        "personalized \\multimodal",
        "\\personalized multimodal",
    ] {
        let doc = json(&["--limit", "20", "--", stray]);
        assert_eq!(doc["total_hits"], clean["total_hits"], "{stray}");
        assert_eq!(ids(&doc), ids(&clean), "{stray}");
    }
    // A boost still boosts: the same records, the boosted word weighing more.
    let boosted = json(&["--limit", "20", "personalized^3 multimodal"]);
    assert_eq!(boosted["total_hits"], clean["total_hits"]);
    assert_ne!(boosted["hits"][0]["score"], clean["hits"][0]["score"]);
}

#[test]
fn regexes_take_anchors_and_a_broken_one_is_said_and_read_as_words_and_a_huge_one_is_said() {
    let plain = json(&["title:/vision.*/"]);
    assert!(plain["total_hits"].as_u64().unwrap() > 0);
    assert_eq!(json(&["title:/^vision.*$/"])["total_hits"], plain["total_hits"]);

    let broken = json(&["title:/vis[ion/"]);
    let warnings = broken["warnings"].to_string();
    assert!(warnings.contains("`/vis[ion/` is not a regular expression (unclosed character class)"), "{warnings}");
    assert!(warnings.contains("searched title for `vis ion`"), "{warnings}");
    assert_eq!(broken["total_hits"], json(&["title:(vis ion)"])["total_hits"]);
    let transformers = json(&["title:/transformers[/"]);
    assert_eq!(transformers["total_hits"], json(&["title:transformers"])["total_hits"]);
    assert!(transformers["total_hits"].as_u64().unwrap() > 0);
    // Well formed but too large to search: said so, and not read as its letters.
    let large = json(&["title:/[a-z]{1,1000}/"]);
    assert_eq!(large["total_hits"], 0);
    assert!(large["warnings"][0].as_str().unwrap().contains("is too large a regular expression to search"), "{large}");

    paperdex()
        .current_dir(dir())
        .args(["search", "--strict", "--", "vision title:/vis[ion/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`/vis[ion/` is not a regular expression: unclosed character class"))
        .stderr(predicate::str::contains("\n  vision title:/vis[ion/\n               ^"));
}

#[test]
fn snippets_show_two_words_side_by_side_where_they_stand_so() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(common::seed_page()).unwrap();
    // Two words side by side near the start; two others apart there, side by side only
    // far into the page's body.
    let filler = "Plain words about other matters fill this paragraph to make it long. ".repeat(80);
    let lead = format!(
        "{{{{< lead >}}}}\nA lattice of ideas comes first; the otter quokka stands near.\n\n{filler}\n\nAt last the quokka lattice stands here. "
    );
    let text = seed.replacen("{{< lead >}}\n", &lead, 1);
    let path = dir.path().join("corpus").join("2412.02142").join("index.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
    let first = |query: &str| {
        let out =
            paperdex().current_dir(dir.path()).args(["search", "--json", "--kind", "page", query]).output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let hit = &doc["hits"][0];
        let snippet = hit["snippet"].as_str().unwrap().to_owned();
        let marked: Vec<String> = hit["highlights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| snippet[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize].to_owned())
            .collect();
        (snippet, marked)
    };
    // A phrase, its words in either order, and their stems: where they stand side by
    // side, however far in.
    for query in ["\"quokka lattice\"", "quokka lattice", "lattice quokka", "quokkas lattices"] {
        let (snippet, marked) = first(query);
        assert!(snippet.contains("the quokka lattice stands"), "{query}: {snippet}");
        assert_eq!(marked, ["quokka", "lattice"], "{query}: {snippet}");
    }
    // Words side by side near the start of a field, in either order.
    for query in ["otter quokka", "quokka otter"] {
        let (snippet, marked) = first(query);
        assert!(snippet.contains("the otter quokka stands"), "{query}: {snippet}");
        assert!(marked.starts_with(&["otter".to_owned(), "quokka".to_owned()]), "{query}: {snippet}");
    }
    // Words never side by side, and one word's completions: where the first one is.
    for query in ["lattice paragraph", "lattic*", "lattice"] {
        let (snippet, marked) = first(query);
        assert!(snippet.starts_with("A lattice of ideas"), "{query}: {snippet}");
        assert_eq!(marked.first().map(String::as_str), Some("lattice"), "{query}: {snippet}");
    }
}

#[test]
fn a_sloppy_phrase_of_repeated_words_is_matched_with_each_word_once() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(common::seed_page()).unwrap();
    // A page dense with the repeated words: matched as tantivy would, a phrase of twelve
    // `the` with slop 40 carried positions that doubled with each word (gigabytes).
    let dense = ["the model of the"; 100].join(" ");
    let text =
        seed.replace("2412.02142", "4001.00003").replacen("{{< lead >}}\n", &format!("{{{{< lead >}}}}\n{dense}. "), 1);
    let path = dir.path().join("corpus").join("4001.00003").join("index.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
    let search = |query: &str| {
        let out = paperdex()
            .current_dir(dir.path())
            .args(["search", "--json", "-n", "50", "--", query])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(out.status.success(), "{query}: {}", String::from_utf8_lossy(&out.stderr));
        let mut found = ids(&serde_json::from_slice(&out.stdout).unwrap());
        found.sort();
        found
    };
    let the = search("the");
    assert!(the.contains(&"4001.00003".to_owned()));
    assert_eq!(search(&format!("\"{}\"~40", ["the"; 12].join(" "))), the);
    let titled = search("title:personalized");
    assert!(!titled.is_empty());
    assert_eq!(search(&format!("title:\"{}\"~40", ["personalized"; 12].join(" "))), titled);
    // A repeat's place still counts: the words around it keep their distance.
    assert_eq!(search("\"the model of the model\"~1"), search("\"the model of the\"~1"));
    assert_eq!(search("\"model model\"~3"), search("model"));
}

#[test]
fn slops_boosts_and_facets_that_are_not_syntax_are_said() {
    let run = |args: &[&str]| paperdex().current_dir(dir()).arg("search").args(args).output().unwrap();
    let hits = |args: &[&str]| {
        let out = run(&[&["--json", "-n", "0"], args].concat());
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        (doc["total_hits"].as_u64().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (phrase, quiet) = hits(&["--", "\"chart attribution\""]);
    assert!(phrase > 0 && quiet.is_empty(), "{quiet}");
    // A slop or boost that is not a number is left out, and said.
    for (query, said) in [
        ("\"chart attribution\"~abc", "`~abc` after a phrase was left out"),
        ("\"chart attribution\"~-1", "`~-1` after a phrase was left out"),
    ] {
        let (found, err) = hits(&["--", query]);
        assert_eq!(found, phrase, "{query}");
        assert!(err.contains(said), "{query}: {err}");
    }
    for mark in ["^-2", "^1e3", "^nan", "^2x", "^.5"] {
        let query = format!("chartcite{mark}");
        let (boosted, err) = hits(&["--", &query]);
        assert_eq!(boosted, hits(&["chartcite"]).0, "{query}");
        assert!(err.contains(&format!("`{mark}` was left out: a boost is a positive number")), "{err}");
        // Refused under --strict, said the same way, where it is.
        let out = run(&["--strict", "--", &query]);
        assert_eq!(out.status.code(), Some(2), "{query}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("`{mark}` is not read: a boost is a positive number")), "{err}");
        assert!(err.contains("\n           ^"), "{err}");
    }
    assert!(hits(&["--", "chartcite^0.5"]).1.is_empty());
    let (_, err) = hits(&["--", "\"chart attribution\"~4294967296"]);
    assert!(err.contains("read as `~255`"), "{err}");
    let out = run(&["--strict", "--", "\"chart attribution\"~300"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("slop is at most 255"));
    // A facet is filtered on, not searched in: said, and refused under --strict as any
    // field a query may not name.
    // A field named in capitals is read as words (pasted text, `Summary: ...`), and the
    // field's name is said.
    let (_, err) = hits(&["Title:chartcite"]);
    assert!(err.contains("`Title:` was read as words: field names are lower-case (`title:`)"), "{err}");
    let out = run(&["--strict", "Title:chartcite"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(names are lower-case: `title:`)"));
    let (_, err) = hits(&["kind:page"]);
    assert!(err.contains("`kind:` was read as words") && err.contains("--filter kind=VALUE"), "{err}");
    for field in ["kind:page", "lang:en", "seq:1", "position:10", "date:2025-01-17"] {
        let out = run(&["--strict", field]);
        assert_eq!(out.status.code(), Some(2), "{field}");
        let name = field.split(':').next().unwrap();
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("unknown field `{name}`")), "{field}");
    }
}

#[test]
fn control_characters_typed_or_pasted_never_reach_the_terminal() {
    // A query, a filter value and a strict error that hold escape sequences: said on
    // stderr with each control character shown as U+FFFD, never sent to the terminal.
    for args in [
        &["--", "\u{7f}\u{1b}"][..],
        &["-n", "1", "--filter", "topic=\u{1b}[31mred", "model"][..],
        &["--strict", "--", "video\u{1b}[31m^x"][..],
    ] {
        let out = paperdex().current_dir(dir()).arg("search").args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.is_empty(), "{args:?}: something is said");
        assert!(!err.contains(['\u{1b}', '\u{7f}']), "{args:?}: {err:?}");
        assert!(err.contains('\u{FFFD}'), "{args:?}: {err:?}");
    }
}

#[test]
fn one_hangul_or_cjk_character_starts_the_words_it_begins() {
    // Hangul and CJK text is indexed as overlapping pairs: one character alone is read
    // as their start, so `모` finds `모델을`, as `모델` does.
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir_all(pages.join("ko")).unwrap();
    let text = "---\ntitle: \"한국어 리뷰\"\ndate: 2025-01-02\n---\n{{< lead >}}\n이 논문은 새로운 모델을 학습합니다.\n{{< /lead >}}\n";
    std::fs::write(pages.join("ko/index.ko.md"), text).unwrap();
    let idx = dir.path().join("idx");
    paperdex().arg("index").arg(&pages).arg("--index").arg(&idx).arg("--quiet").assert().success();
    let total = |query: &str| {
        let out = paperdex().args(["search", "--json", "--index"]).arg(&idx).args(["--", query]).output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["total_hits"].as_u64().unwrap()
    };
    assert_eq!(total("모델"), 1);
    assert_eq!(total("모"), 1);
    assert_eq!(total("학"), 1);
    assert_eq!(total("뭐"), 0);
}
