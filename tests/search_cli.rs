//! `paperdex index` and `paperdex search` end to end: the binary on temp copies of the
//! default corpus and of the real pages, covering every option and error message.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use common::paperdex;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

/// A temp folder holding a copy of `corpus/`, with its index built at `index/`.
static SEED: LazyLock<TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::root().join("corpus"), &dir.path().join("corpus"));
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
    dir
});

/// The real pages plus the default corpus, indexed into `all/` (tests that use it need
/// ../shared and are ignored in builds without it).
static ALL: LazyLock<TempDir> = LazyLock::new(|| {
    let reviews = common::shared_reviews();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&reviews, &dir.path().join("reviews"));
    copy_dir(&common::root().join("corpus"), &dir.path().join("corpus"));
    paperdex()
        .current_dir(dir.path())
        .args(["index", "reviews", "corpus", "--index", "all", "--quiet"])
        .assert()
        .success();
    dir
});

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `paperdex search ARGS --json` in `dir` and parses stdout.
fn search_json(dir: &Path, args: &[&str]) -> Value {
    let out = paperdex().current_dir(dir).arg("search").args(args).arg("--json").output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn seed(args: &[&str]) -> Value {
    search_json(SEED.path(), args)
}

/// The folder of `ALL`, failing first with the reason when ../shared is missing (rather
/// than with a poisoned lock in every test after the first).
fn all_dir() -> &'static Path {
    common::shared_reviews();
    ALL.path()
}

fn all(args: &[&str]) -> Value {
    let mut with_index = vec!["--index", "all"];
    with_index.extend_from_slice(args);
    search_json(all_dir(), &with_index)
}

fn facet(doc: &Value, field: &str) -> Vec<(String, u64)> {
    doc["facets"][field]
        .as_array()
        .unwrap_or_else(|| panic!("no facet {field} in {doc}"))
        .iter()
        .map(|c| (c["path"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
        .collect()
}

fn hit_ids(doc: &Value) -> Vec<String> {
    doc["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn methods_by_category_then_mechanism() {
    let doc = seed(&["--kind", "method", "--facet", "category"]);
    assert_eq!(doc["total_hits"], 32);
    let categories = facet(&doc, "category");
    assert_eq!(categories.len(), 4, "{categories:?}");
    assert!(categories.iter().all(|(_, n)| *n == 8), "{categories:?}");
    assert!(categories.iter().any(|(p, _)| p == "/Personalized MLLM Recommendation"));

    let doc = seed(&[
        "--kind",
        "method",
        "--facet",
        "category",
        "--filter",
        "category=Personalized MLLM Recommendation",
        "--facet",
        "mechanism",
    ]);
    assert_eq!(doc["total_hits"], 8);
    let mechanisms = facet(&doc, "mechanism");
    assert_eq!(
        mechanisms,
        [("/Alignment", 2), ("/Fine-tuning", 2), ("/Generation", 2), ("/Instruction", 2)]
            .map(|(p, n)| (p.to_owned(), n))
    );
    assert_eq!(facet(&doc, "category"), [("/Personalized MLLM Recommendation".to_owned(), 8)]);
}

#[test]
fn eclipse_finds_the_method_first() {
    let doc = seed(&["ECLIPSE"]);
    let first = &doc["hits"][0];
    assert_eq!(first["kind"], "method");
    assert_eq!(first["name"], "λ-ECLIPSE");
    assert_eq!(first["citation"], "Patel et al. (2024)");
    assert_eq!(first["category"], "Personalized MLLM Image Generation");
    assert_eq!(first["mechanism"], "Alignment");
    assert_eq!(first["section"], "4.2");
    assert_eq!(first["snippet"], "λ-ECLIPSE");
    assert_eq!(first["highlights"], serde_json::json!([[3, 10]]));
    for q in ["λ-ECLIPSE", "lambda-eclipse"] {
        assert_eq!(seed(&[q])["hits"][0]["name"], "λ-ECLIPSE", "{q}");
    }
}

#[test]
fn fine_tuning_finds_exactly_the_fine_tuning_methods() {
    let doc = seed(&["fine-tuning", "--kind", "method", "--limit", "50"]);
    assert_eq!(doc["total_hits"], 8);
    let hits = doc["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 8);
    assert!(hits.iter().all(|h| h["mechanism"] == "Fine-tuning"), "{hits:?}");
    // Category and mechanism are words of a method, not only facets.
    assert_eq!(seed(&["mechanism:alignment", "--kind", "method"])["total_hits"], 8);
    assert_eq!(seed(&["recommendation", "alignment", "--kind", "method"])["total_hits"], 2);
}

#[test]
fn mixed_tokens_find_their_records() {
    for (query, name) in
        [("Yo’LLaVA", "Yo’LLaVA"), ("Yo'LLaVA", "Yo’LLaVA"), ("GPT4Rec", "GPT4Rec"), ("Athena 3.0", "Athena 3.0")]
    {
        assert_eq!(seed(&[query, "--kind", "method"])["hits"][0]["name"], name, "{query}");
    }
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn mixed_tokens_find_real_records() {
    assert!(all(&["GPT-4o"])["total_hits"].as_u64().unwrap() > 0);
}

#[test]
fn zero_setup_builds_the_default_index_once() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::root().join("corpus"), &dir.path().join("corpus"));
    paperdex()
        .current_dir(dir.path())
        .args(["search", "personalized image generation"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("no index at index: building it from corpus/"))
        .stdout(predicate::str::contains("Personalized MLLM Image Generation"));
    assert!(dir.path().join("index/meta.json").is_file());
    paperdex()
        .current_dir(dir.path())
        .args(["search", "personalized"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("building").not());
}

#[test]
fn a_named_index_is_never_built_behind_the_users_back() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::root().join("corpus"), &dir.path().join("corpus"));
    paperdex()
        .current_dir(dir.path())
        .args(["search", "x", "--index", "elsewhere"])
        .assert()
        .code(2)
        .stderr("paperdex: no index at elsewhere: run `paperdex index DIR --index elsewhere`\n");
    paperdex()
        .current_dir(dir.path())
        .env("PAPERDEX_INDEX", "from-env")
        .args(["search", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no index at from-env"));
    assert!(!dir.path().join("elsewhere").exists() && !dir.path().join("index").exists());
    // With no corpus/ either, the default location says how to build one.
    let empty = tempfile::tempdir().unwrap();
    paperdex()
        .current_dir(empty.path())
        .args(["search", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no index at index: there is no corpus/ here to build it from"));
}

#[test]
fn env_names_the_index() {
    let index = SEED.path().join("index");
    let out = paperdex().env("PAPERDEX_INDEX", &index).args(["search", "MoMA", "--json"]).output().unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["hits"][0]["name"], "MoMA");
}

#[test]
fn query_errors_show_where_the_query_broke() {
    let cases = [
        ("\"unclosed phrase", "query syntax error: the quote opened here is never closed\n  \"unclosed phrase\n  ^\n"),
        ("(a OR b", "the `(` opened here is never closed\n  (a OR b\n  ^\n"),
        ("a) b", "`)` closes nothing\n  a) b\n   ^\n"),
    ];
    for (query, message) in cases {
        paperdex()
            .current_dir(SEED.path())
            .args(["search", "--strict", query])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(message));
        // Without --strict the query is read as words, with a warning.
        paperdex()
            .current_dir(SEED.path())
            .args(["search", query])
            .assert()
            .code(predicate::in_iter([0, 1]))
            .stderr(predicate::str::contains("paperdex: warning: read the query as words around column"));
    }
    paperdex()
        .current_dir(SEED.path())
        .args(["search", "--strict", "--", "-video"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the query only excludes terms"));
    paperdex().current_dir(SEED.path()).args(["search", "--strict", "nofield:x"]).assert().code(2).stderr(
        "paperdex: unknown field `nofield` in the query; the text fields are: title, name, label, citation, category, \
         mechanism, summary, topic, affiliation, authors, caption, description, table, body\n",
    );
}

/// A search narrowed to kinds (`--kind`, one or several) returns exactly the unnarrowed
/// search's hits of those kinds, in the same order with the same scores and facet counts:
/// a kind filter narrows, it does not score (a rare kind's records are not lifted above
/// a common kind's), whether it is intersected or implied by the fields the query reads.
#[test]
fn kinds_narrow_without_changing_scores() {
    let hits = |v: &Value| -> Vec<(String, String, f64)> {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["kind"].as_str().unwrap().to_owned(),
                    h["id"].as_str().unwrap().to_owned(),
                    h["score"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let kind_sets: &[&[&str]] =
        &[&["caption"], &["method"], &["page"], &["caption", "method"], &["page", "method"], &["table"]];
    for query in ["personalized", "personalized generation", "text OR image", "generation -text", "personal*"] {
        let all = seed(&["--limit", "10000", query]);
        let all_hits = hits(&all);
        assert!(all_hits.len() >= 12, "{query}: {}", all_hits.len());
        for kinds in kind_sets {
            let mut args: Vec<&str> = vec!["--limit", "10000", "--facet", "category"];
            for kind in *kinds {
                args.extend(["--kind", kind]);
            }
            args.push(query);
            let narrowed = seed(&args);
            let keeps = |kind: &str| {
                kinds
                    .iter()
                    .any(|k| kind == *k || kind.split('/').next() == Some(*k) || kind.ends_with(&format!("/{k}")))
            };
            let wanted: Vec<_> = all_hits.iter().filter(|(kind, ..)| keeps(kind)).cloned().collect();
            assert_eq!(hits(&narrowed), wanted, "{query} {kinds:?}");
            assert_eq!(narrowed["total_hits"].as_u64().unwrap() as usize, wanted.len(), "{query} {kinds:?}");
            // `--filter kind=` ORs with `--kind` as another `--kind` does.
            if let [first, rest @ ..] = kinds {
                let mut args: Vec<String> = vec!["--limit".into(), "10000".into(), "--kind".into(), first.to_string()];
                args.extend(rest.iter().map(|k| format!("--filter=kind={k}")));
                args.push(query.into());
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                assert_eq!(hits(&seed(&args)), wanted, "{query} {args:?}");
            }
        }
    }
}

#[test]
fn unknown_filter_facet_kind_and_dates_are_errors() {
    let valid = "valid fields: kind, category, mechanism, topic, affiliation, date, lang";
    let cases: &[(&[&str], &str)] = &[
        (&["--filter", "colour=red"], "--filter colour=red: unknown facet field `colour`"),
        (&["--facet", "colour"], "unknown facet field `colour`"),
        (&["--filter", "category"], "is not FIELD=VALUE"),
        (&["--kind", "paper"], "unknown kind `paper`; valid kinds: page, caption, figure, chart, table, method"),
        (&["--since", "2025-13"], "`2025-13` has no month 13"),
        (&["--filter", "date=January"], "`January` is not a date; write YYYY, YYYY-MM or YYYY-MM-DD"),
    ];
    for (args, message) in cases {
        let assert = paperdex().current_dir(SEED.path()).arg("search").args(*args).assert().code(2);
        assert.stderr(predicate::str::contains(*message).and(predicate::str::starts_with("paperdex: ")));
    }
    paperdex()
        .current_dir(SEED.path())
        .args(["search", "--facet", "colour"])
        .assert()
        .stderr(predicate::str::contains(valid));
}

#[test]
fn exit_codes_are_zero_one_two() {
    paperdex().current_dir(SEED.path()).args(["search", "MoMA"]).assert().code(0);
    paperdex().current_dir(SEED.path()).args(["search", "zzzznotaword"]).assert().code(1).stdout("");
    paperdex().current_dir(SEED.path()).args(["search", "--strict", "(("]).assert().code(2);
}

#[test]
fn browse_mode_with_star_or_no_query() {
    let none = seed(&["--facet", "kind"]);
    let star = seed(&["*", "--facet", "kind"]);
    assert_eq!(none["total_hits"], 34);
    assert_eq!(star["total_hits"], 34);
    for stars in ["**", "* **"] {
        assert_eq!(seed(&[stars])["total_hits"], 34, "{stars}");
    }
    assert_eq!(none["sort"], "-date");
    assert_eq!(facet(&none, "kind"), [("/method".to_owned(), 32), ("/caption".to_owned(), 1), ("/page".to_owned(), 1)]);
    let drill = seed(&["--facet", "kind=/caption"]);
    assert_eq!(facet(&drill, "kind"), [("/caption/table".to_owned(), 1)]);
    assert!(none["hits"][0]["score"].is_null());
}

#[test]
fn limit_offset_and_paging() {
    let all_hits = hit_ids(&seed(&["personalized", "--limit", "40"]));
    assert!(all_hits.len() > 10);
    let page2 = seed(&["personalized", "--limit", "5", "--offset", "5"]);
    assert_eq!(hit_ids(&page2), all_hits[5..10]);
    assert_eq!(page2["offset"], 5);
    let none = seed(&["personalized", "--limit", "0", "--facet", "kind"]);
    assert_eq!(none["hits"], serde_json::json!([]));
    assert_eq!(none["total_hits"].as_u64().unwrap() as usize, all_hits.len());
    assert_eq!(seed(&["personalized", "--offset", "1000"])["hits"], serde_json::json!([]));
}

#[test]
fn json_hits_carry_their_records_fields() {
    let doc = seed(&["Table", "1", "--kind", "table"]);
    let keys: Vec<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["facets", "hits", "offset", "query", "sort", "took_us", "total_exact", "total_hits"]);
    let caption = &doc["hits"][0];
    assert_eq!(caption["kind"], "caption/table");
    assert_eq!(caption["id"], "2412.02142/caption/0");
    assert_eq!(caption["page_id"], "2412.02142");
    assert_eq!(caption["label"], "Table 1");
    assert!(caption["caption"].as_str().unwrap().starts_with("Table 1: Overview"));
    assert!(caption["description"].as_str().unwrap().starts_with("This table provides"));
    let page = &seed(&["survey", "--kind", "page"])["hits"][0];
    assert_eq!(page["title"], "Personalized Multimodal Large Language Models: A Survey");
    assert_eq!(page["date"], "2024-12-03");
    assert_eq!(page["topics"], serde_json::json!(["Multimodal Learning", "Vision-Language Models"]));
    assert_eq!(page["affiliations"], serde_json::json!(["University of California, San Diego"]));
    assert_eq!(page["authors"], "Junda Wu et el.");
    assert!(page["score"].as_f64().unwrap() > 0.0);
    assert!(page.get("name").is_none(), "method fields stay off pages");
}

#[test]
fn snippets_are_coloured_only_on_request() {
    let coloured =
        paperdex().current_dir(SEED.path()).args(["search", "taxonomy", "--color", "always"]).output().unwrap();
    let text = String::from_utf8(coloured.stdout).unwrap();
    assert!(text.contains("\x1b[1;33mtaxonomy\x1b[0m"), "{text}");
    // Piped (and NO_COLOR): no escape codes at all.
    let plain = paperdex().current_dir(SEED.path()).args(["search", "taxonomy"]).output().unwrap();
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(!text.contains('\x1b') && text.contains("taxonomy"), "{text}");
    let never = paperdex().current_dir(SEED.path()).args(["search", "taxonomy", "--color", "never"]).output().unwrap();
    assert!(!String::from_utf8(never.stdout).unwrap().contains('\x1b'));
}

#[test]
fn human_output_snapshot() {
    let out = paperdex()
        .current_dir(SEED.path())
        .args([
            "search",
            "--kind",
            "method",
            "--filter",
            "category=Personalized MLLM Image Generation",
            "--facet",
            "mechanism",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("8 hits, showing 1-8, in "), "{stderr}");
}

#[test]
fn the_summary_follows_the_results_where_both_streams_are_one() {
    let dir = tempfile::tempdir().unwrap();
    let both = std::fs::File::create(dir.path().join("both")).unwrap();
    // One file for both streams, as a terminal or `2>&1` has it.
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin!("paperdex"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(SEED.path())
        .args(["search", "--kind", "method", "--facet", "mechanism", "--color", "never", "image"])
        .stdout(both.try_clone().unwrap())
        .stderr(both)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(dir.path().join("both")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 3, "{text}");
    assert!(lines.last().unwrap().contains(" hits, showing 1-"), "{text}");
    assert!(lines[..lines.len() - 1].iter().all(|l| !l.contains(" hits, showing ")), "{text}");
}

#[test]
fn json_output_snapshot() {
    let mut doc = seed(&["alignment", "image", "--kind", "method", "--facet", "mechanism"]);
    doc["took_us"] = Value::from("[took_us]");
    for hit in doc["hits"].as_array_mut().unwrap() {
        hit["score"] = Value::from("[score]");
    }
    insta::assert_json_snapshot!(doc);
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn indexing_the_real_pages_reports_every_record() {
    let dir = all_dir();
    let out = paperdex().current_dir(dir).args(["index", "reviews", "corpus", "--index", "again"]).output().unwrap();
    assert!(out.status.success());
    let corpus = paperdex::ingest::read_corpus(&[dir.join("reviews"), dir.join("corpus")]);
    let captions: usize = corpus.pages.iter().map(|p| p.captions.len()).sum();
    let methods: usize = corpus.pages.iter().map(|p| p.methods.len()).sum();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let expected = format!(
        "indexed {} pages, {captions} captions, {methods} methods from 43 files into again (43 added, 0 updated, 0 removed, 0 unchanged): 0 problems (0 errors)",
        corpus.pages.len()
    );
    assert!(stderr.contains(&expected), "{stderr}\nexpected: {expected}");
    assert_eq!((corpus.pages.len(), methods), (43, 32));
    let doc = all(&["--facet", "kind=/caption", "--facet", "kind"]);
    assert_eq!(doc["total_hits"].as_u64().unwrap() as usize, 43 + captions + methods);
    let kinds = facet(&doc, "kind");
    assert!(kinds.contains(&("/page".to_owned(), 43)), "{kinds:?}");
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn filters_or_within_a_field_and_across_fields() {
    let one = all(&["--kind", "page", "--filter", "topic=Computer Vision", "--limit", "0"]);
    let other = all(&["--kind", "page", "--filter", "topic=Natural Language Processing", "--limit", "0"]);
    let both = all(&[
        "--kind",
        "page",
        "--filter",
        "topic=Computer Vision",
        "--filter",
        "topic=Natural Language Processing",
        "--limit",
        "0",
    ]);
    let (a, b, ab) = (
        one["total_hits"].as_u64().unwrap(),
        other["total_hits"].as_u64().unwrap(),
        both["total_hits"].as_u64().unwrap(),
    );
    assert!(a > 0 && b > 0, "{a} {b}");
    assert!(ab >= a.max(b) && ab <= a + b, "OR within a field: {a} {b} {ab}");
    let and = all(&["--kind", "page", "--filter", "topic=Computer Vision", "--filter", "lang=ko", "--limit", "0"]);
    assert!(and["total_hits"].as_u64().unwrap() < a, "AND across fields");
    let dm = all(&["--kind", "page", "--filter", "affiliation=Google DeepMind", "--filter", "date=/2025/01"]);
    assert_eq!(hit_ids(&dm), ["2501.09038"]);
    // Decoration is not part of a facet value.
    let daily = all(&["--kind", "page", "--facet", "category", "--limit", "0"]);
    let counts = facet(&daily, "category");
    assert!(counts.iter().any(|(p, _)| p == "/Daily Papers"), "{counts:?}");
    assert!(!counts.iter().any(|(p, _)| p.contains("🤗") || p.contains("Hugging Face")), "{counts:?}");
    let by_emoji = all(&["--kind", "page", "--filter", "category=🤗 Daily Papers", "--limit", "0"]);
    assert_eq!(by_emoji["total_hits"], counts.iter().find(|(p, _)| p == "/Daily Papers").unwrap().1);
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn dates_range_sort_and_drill_down() {
    let jan = all(&["--kind", "page", "--since", "2025-01", "--until", "2025-01", "--limit", "50"]);
    let dates: Vec<&str> = jan["hits"].as_array().unwrap().iter().map(|h| h["date"].as_str().unwrap()).collect();
    assert!(!dates.is_empty() && dates.iter().all(|d| d.starts_with("2025-01")), "{dates:?}");
    let by_facet = all(&["--kind", "page", "--filter", "date=/2025/01", "--limit", "0"]);
    assert_eq!(by_facet["total_hits"].as_u64().unwrap() as usize, dates.len());
    let newest = all(&["--kind", "page", "--sort", "-date", "--limit", "50"]);
    let d: Vec<&str> = newest["hits"].as_array().unwrap().iter().map(|h| h["date"].as_str().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] >= w[1]), "{d:?}");
    let oldest = all(&["--kind", "page", "--sort", "date", "--limit", "50"]);
    let d: Vec<&str> = oldest["hits"].as_array().unwrap().iter().map(|h| h["date"].as_str().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert_eq!(d[0], "2024-06-15");
    let months = all(&["--kind", "page", "--facet", "date=/2025", "--limit", "0"]);
    let counts = facet(&months, "date");
    assert!(counts.iter().all(|(p, _)| p.starts_with("/2025/") && p.len() == 8), "{counts:?}");
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let year = all(&["--kind", "page", "--since", "2025", "--until", "2025", "--limit", "0"]);
    assert_eq!(year["total_hits"].as_u64().unwrap(), total);
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn fuzzy_tolerates_a_typo() {
    let exact = all(&["physcs", "--kind", "page", "--strict"]);
    assert_eq!(exact["total_hits"], 0, "--strict takes the query as it is");
    // Without --strict a query with no hits is tried with its typos corrected.
    let corrected = all(&["physcs", "--kind", "page"]);
    assert_eq!(corrected["corrected"], "physics");
    assert!(hit_ids(&corrected).contains(&"2501.09038".to_owned()), "{corrected}");
    let fuzzy = all(&["physcs", "--kind", "page", "--fuzzy"]);
    assert!(hit_ids(&fuzzy).contains(&"2501.09038".to_owned()), "{fuzzy}");
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn korean_words_find_pages_with_particles_attached() {
    let doc = all(&["모델", "--kind", "page", "--limit", "50"]);
    let mut ids = hit_ids(&doc);
    ids.sort();
    assert_eq!(ids, ["2412.15214", "2501.09686", "2502.08869", "2502.09100"]);
    // English ranking is untouched: a Korean page never outranks for an English query it lacks.
    let physics = all(&["physics", "--kind", "page"]);
    assert_eq!(physics["hits"][0]["page_id"], "2501.09038");
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn phrases_boolean_prefix_and_fields() {
    let phrase = all(&["\"video generative models\"", "--kind", "page", "--limit", "50"]);
    let loose = all(&["video generative models", "--kind", "page", "--limit", "50"]);
    assert!(phrase["total_hits"].as_u64() <= loose["total_hits"].as_u64());
    assert!(hit_ids(&phrase).contains(&"2501.09038".to_owned()));
    let or = all(&["physics OR manga", "--kind", "page", "--limit", "50"]);
    let p = all(&["physics", "--kind", "page", "--limit", "50"]);
    assert!(or["total_hits"].as_u64() > p["total_hits"].as_u64());
    let not = all(&["physics -video", "--kind", "page", "--limit", "50"]);
    assert!(!hit_ids(&not).contains(&"2501.09038".to_owned()));
    let prefix = all(&["phys*", "--kind", "page", "--limit", "50"]);
    assert!(prefix["total_hits"].as_u64() >= p["total_hits"].as_u64());
    let title = all(&["title:physical", "--kind", "page"]);
    assert_eq!(hit_ids(&title), ["2501.09038"]);
    let captions = all(&["Physics-IQ", "--kind", "caption", "--limit", "1"]);
    assert_eq!(captions["hits"][0]["page_id"], "2501.09038");
}

#[test]
fn index_errors() {
    let dir = tempfile::tempdir().unwrap();
    paperdex()
        .current_dir(dir.path())
        .args(["index", "missing-folder", "--index", "idx"])
        .assert()
        .code(2)
        .stderr("paperdex: cannot index missing-folder: no such folder; the index is unchanged\n");
    assert!(!dir.path().join("idx").exists(), "a mistyped folder writes nothing");
    // A folder with a foreign tantivy index is refused, not overwritten.
    std::fs::create_dir_all(dir.path().join("foreign")).unwrap();
    std::fs::write(dir.path().join("foreign/meta.json"), "{}").unwrap();
    paperdex()
        .current_dir(dir.path())
        .args(["search", "x", "--index", "foreign"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("foreign is not a paperdex index"));
    let corpus = PathBuf::from(SEED.path()).join("corpus");
    paperdex()
        .current_dir(dir.path())
        .arg("index")
        .arg(&corpus)
        .args(["--index", "foreign"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("foreign is not a paperdex index"));
}

#[test]
fn index_options_memory_threads_and_quiet() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::root().join("corpus"), &dir.path().join("corpus"));
    std::fs::write(dir.path().join("corpus/broken.md"), "no front matter\n").unwrap();
    let out = paperdex()
        .current_dir(dir.path())
        .args(["index", "--memory-mb", "32", "--threads", "1", "--index", "small"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("error: corpus/broken.md:1: no front matter"), "{stderr}");
    assert!(
        stderr.contains("indexed 1 page, 1 caption, 32 methods from 2 files into small (1 added, 0 updated, 0 removed, 0 unchanged, 1 skipped): 1 problem (1 error)"),
        "{stderr}"
    );
    assert_eq!(out.stdout, b"", "results only on stdout; an index run has none");
    // --quiet keeps errors and the summary; a warning (here a duplicate page) is dropped.
    std::fs::create_dir_all(dir.path().join("corpus/copy")).unwrap();
    std::fs::copy(common::seed_page(), dir.path().join("corpus/copy/index.md")).unwrap();
    let quiet = paperdex().current_dir(dir.path()).args(["index", "--quiet", "--index", "small"]).output().unwrap();
    let stderr = String::from_utf8(quiet.stderr).unwrap();
    assert!(stderr.contains("no front matter") && !stderr.contains("duplicate"), "{stderr}");
    assert!(
        stderr.contains("indexed 1 page, 1 caption, 32 methods from 3 files into small (0 added, 0 updated, 0 removed, 1 unchanged, 2 skipped): 2 problems (1 error)"),
        "{stderr}"
    );
    let loud = paperdex().current_dir(dir.path()).args(["index", "--index", "small"]).output().unwrap();
    assert!(String::from_utf8(loud.stderr).unwrap().contains("warning: "), "warnings show without --quiet");
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::root().join("corpus"), &dir.path().join("corpus"));
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
    // Another process holds the writer lock of the index: this one, for the test.
    let mut lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("index/paperdex.lock"))
        .unwrap();
    lock.lock().unwrap();
    write!(lock, "{}", std::process::id()).unwrap();
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().code(2).stderr(format!(
        "paperdex: index at index is being written by another paperdex process (pid {}); wait for it to finish\n",
        std::process::id()
    ));
    // Searches go on meanwhile.
    paperdex().current_dir(dir.path()).args(["search", "MoMA"]).assert().code(0);
    lock.unlock().unwrap();
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
}

#[test]
fn a_pid_left_by_a_dead_run_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::root().join("corpus"), &dir.path().join("corpus"));
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success();
    // A run that was killed leaves its pid behind, but no lock (the lock dies with it).
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    std::fs::write(dir.path().join("index/paperdex.lock"), dead.to_string()).unwrap();
    paperdex().current_dir(dir.path()).args(["index", "--quiet"]).assert().success().stderr(predicate::str::contains(
        format!("a `paperdex index` run (pid {dead}) on index stopped before it finished; its lock is stale, going on"),
    ));
    // The pid file of earlier versions counts the same.
    std::fs::write(dir.path().join("index/paperdex.pid"), dead.to_string()).unwrap();
    paperdex()
        .current_dir(dir.path())
        .args(["index", "--quiet"])
        .assert()
        .success()
        .stderr(predicate::str::contains("its lock is stale, going on"));
    assert!(!dir.path().join("index/paperdex.pid").exists());
    // A run that ends normally leaves no pid: the next one says nothing about it.
    paperdex()
        .current_dir(dir.path())
        .args(["index", "--quiet"])
        .assert()
        .success()
        .stderr(predicate::str::contains("stale").not());
}

#[test]
fn hostile_queries_give_a_result_or_a_clear_error() {
    let ten_thousand_words: String = (0..10_000).map(|i| format!("w{i} ")).collect();
    let cases: Vec<Vec<String>> = [
        vec!["\"unbalanced"],
        vec!["((a)"],
        vec!["a))"],
        vec!["nofield:x"],
        vec!["*"],
        vec!["--", "-term"],
        vec!["a\u{1}b\u{7f}c\u{1b}[31m"],
        vec!["(\u{1b}[31m"],
        vec!["--fuzzy", "a"],
        vec!["--fuzzy", "x y z"],
        vec!["--limit", "0", "survey"],
        vec!["--offset", "100000", "survey"],
        vec!["title:"],
        vec!["^"],
        vec!["\\"],
        vec!["a AND"],
        vec!["*phys*"],
        vec!["name:/(.*)*x/"],
        vec!["personalized -\"0 1\""],
        vec!["--fuzzy", "g0 -\u{1}0\u{1}\u{1}\u{11}1/\u{1}"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .chain([vec![ten_thousand_words]])
    .collect();
    for args in cases {
        let out = paperdex().current_dir(SEED.path()).arg("search").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(matches!(code, Some(0..=2)), "{args:?}: {code:?} {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        if code == Some(2) {
            assert!(stderr.starts_with("paperdex: "), "{args:?}: {stderr}");
            assert!(!stderr.contains('\u{1b}'), "no control characters echoed: {args:?}");
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
}

/// A ranked search whose best hits are found without visiting every match stops counting
/// past 10,000 and says "at least"; `--exact-total` counts all; the hits are the same.
/// (The count goes 65,536 records at a time: 7,000 pages are some 70,000 records.)
#[test]
fn counts_past_ten_thousand_say_at_least_unless_asked_exactly() {
    let dir = tempfile::tempdir().unwrap();
    paperdex()
        .current_dir(common::root())
        .args(["synth", "--pages", "7000", "--seed", "7", "--out"])
        .arg(dir.path().join("pages"))
        .assert()
        .success();
    let index = dir.path().join("idx");
    paperdex().arg("index").arg(dir.path().join("pages")).arg("--index").arg(&index).arg("--quiet").assert().success();
    let query = "model OR figure";
    let capped = search_json(dir.path(), &["--index", "idx", query]);
    let exact = search_json(dir.path(), &["--index", "idx", "--exact-total", query]);
    let every = exact["total_hits"].as_u64().unwrap();
    let counted = capped["total_hits"].as_u64().unwrap();
    assert_eq!(exact["total_exact"], true);
    assert_eq!(capped["total_exact"], false);
    assert!((10_000..every).contains(&counted), "{counted} of {every}");
    assert_eq!(hit_ids(&capped), hit_ids(&exact));
    assert_eq!(capped["hits"].as_array().unwrap().len(), 10);
    // Counted anyway in the pass that counts facets: exact.
    let faceted = search_json(dir.path(), &["--index", "idx", "--facet", "kind", query]);
    assert_eq!((faceted["total_hits"].as_u64(), faceted["total_exact"].as_bool()), (Some(every), Some(true)));
    // A search under the cap is exact.
    let few = search_json(dir.path(), &["--index", "idx", "model OR ranking", "--kind", "method"]);
    assert_eq!(few["total_exact"], true);
    paperdex()
        .arg("search")
        .arg("--index")
        .arg(&index)
        .arg(query)
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("at least {counted} hits, showing 1-10")));
}
