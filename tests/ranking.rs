//! Ranking on the real pages (`../shared/corpus/reviews` and `corpus/`): a page's title
//! finds the page first, the system name before a title's colon finds its page first,
//! a quoted phrase puts a record holding the exact words first, and a survey's method
//! category outranks captions that only share the word's stem. Marked ignored (at build
//! time, see build.rs) when ../shared is absent.

mod common;

use std::path::Path;
use std::sync::LazyLock;

use common::paperdex;
use serde_json::Value;
use tempfile::TempDir;

/// The real pages and the default corpus indexed into a temp folder.
static ALL: LazyLock<TempDir> = LazyLock::new(|| {
    let reviews = common::shared_reviews();
    let dir = tempfile::tempdir().unwrap();
    let corpus = common::root().join("corpus");
    paperdex()
        .current_dir(dir.path())
        .arg("index")
        .arg(&reviews)
        .arg(&corpus)
        .args(["--index", "all", "--quiet"])
        .assert()
        .success();
    dir
});

fn search(dir: &Path, args: &[&str]) -> Value {
    let out = paperdex().current_dir(dir).arg("search").args(["--index", "all", "--json"]).args(args).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn hits(doc: &Value) -> &Vec<Value> {
    doc["hits"].as_array().unwrap()
}

/// Every page: (id, title).
fn pages(dir: &Path) -> Vec<(String, String)> {
    let doc = search(dir, &["--kind", "page", "-n", "1000"]);
    let out: Vec<(String, String)> = hits(&doc)
        .iter()
        .map(|h| (h["id"].as_str().unwrap().to_owned(), h["title"].as_str().unwrap().to_owned()))
        .collect();
    assert!(out.len() >= 40, "expected the real pages, found {}", out.len());
    out
}

/// The ids of the first hit of each query that is not the expected page.
fn misses(dir: &Path, queries: &[(String, String)]) -> Vec<String> {
    queries
        .iter()
        .filter_map(|(id, query)| {
            let doc = search(dir, &["-n", "1", "--", query]);
            let first = hits(&doc).first().map(|h| h["id"].as_str().unwrap().to_owned()).unwrap_or_default();
            (first != *id).then(|| format!("`{query}` → {first} (want {id})"))
        })
        .collect()
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn a_full_title_finds_its_page_first() {
    let dir = &*ALL;
    let queries: Vec<(String, String)> =
        pages(dir.path()).into_iter().map(|(id, title)| (id, title.replace(':', " "))).collect();
    let missed = misses(dir.path(), &queries);
    assert!(missed.is_empty(), "{} of {} titles miss:\n{}", missed.len(), queries.len(), missed.join("\n"));
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn a_title_pasted_as_it_is_finds_its_page_first() {
    let dir = &*ALL;
    let queries = pages(dir.path());
    assert!(queries.iter().filter(|(_, t)| t.contains(':')).count() >= 20, "most titles have a colon");
    let missed = misses(dir.path(), &queries);
    assert!(missed.is_empty(), "{} of {} titles miss:\n{}", missed.len(), queries.len(), missed.join("\n"));
    // Pasted text with the syntax people do not mean: still words, never an error.
    for query in ["ratio 3:1", "physics OR", "models' limited", "AND", "https://example.org/x/y video", "(a OR b"] {
        let out = paperdex().current_dir(dir.path()).args(["search", "--index", "all", "--", query]).output().unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{query}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn the_name_before_a_titles_colon_finds_its_page_first() {
    let dir = &*ALL;
    let queries: Vec<(String, String)> = pages(dir.path())
        .into_iter()
        .filter_map(|(id, title)| title.split_once(':').map(|(head, _)| (id, head.trim().to_owned())))
        .collect();
    assert!(queries.len() >= 25, "{queries:?}");
    for named in ["EasyEdit2", "M1", "CamemBERT 2.0", "Think Inside the JSON", "3DV-TON"] {
        assert!(queries.iter().any(|(_, q)| q == named), "no page is named {named}");
    }
    let missed = misses(dir.path(), &queries);
    // Nearly every one: a head that is a common phrase ("GUI Agents") may name another page too.
    assert!(missed.len() * 10 <= queries.len(), "{} of {} miss:\n{}", missed.len(), queries.len(), missed.join("\n"));
    for named in ["EasyEdit2", "M1", "CamemBERT 2.0", "Think Inside the JSON", "3DV-TON", "Clinical ModernBERT"] {
        assert!(!missed.iter().any(|m| m.starts_with(&format!("`{named}`"))), "{named}: {missed:?}");
    }
}

/// Everything a hit's JSON and (for a page) its file says, lower-cased.
fn record_text(dir: &Path, hit: &Value) -> String {
    let mut text = String::new();
    for key in ["title", "summary", "caption", "description", "name", "category", "mechanism"] {
        if let Some(v) = hit[key].as_str() {
            text.push_str(v);
            text.push('\n');
        }
    }
    if hit["kind"] == "page" {
        text.push_str(&std::fs::read_to_string(dir.join(hit["source"].as_str().unwrap())).unwrap_or_default());
    }
    text.to_lowercase()
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn a_quoted_phrase_puts_the_exact_words_first() {
    let dir = &*ALL;
    for phrase in ["video generative models", "large language models", "image generation"] {
        let doc = search(dir.path(), &["-n", "3", &format!("\"{phrase}\"")]);
        let first = hits(&doc).first().unwrap_or_else(|| panic!("no hit for {phrase}"));
        let text = record_text(dir.path(), first);
        assert!(text.contains(phrase), "`\"{phrase}\"` first gives {} without the exact words", first["id"]);
    }
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn recommendation_ranks_the_recommendation_methods_above_we_recommend() {
    let dir = &*ALL;
    let doc = search(dir.path(), &["-n", "60", "recommendation"]);
    let kinds: Vec<(String, String)> = hits(&doc)
        .iter()
        .map(|h| (h["kind"].as_str().unwrap().to_owned(), h["category"].as_str().unwrap_or("").to_owned()))
        .collect();
    let methods = kinds.iter().filter(|(k, c)| k == "method" && c.contains("Recommendation")).count();
    assert!(methods >= 8, "{kinds:?}");
    let last_method = kinds.iter().rposition(|(k, c)| k == "method" && c.contains("Recommendation")).unwrap();
    for h in &hits(&doc)[..last_method] {
        let text = record_text(dir.path(), h);
        assert!(
            text.contains("recommendation"),
            "{} ranks above a Recommendation method without the word itself",
            h["id"]
        );
    }
}
