//! Filters keep a search's hits to the records they pass, and change nothing else: for
//! words common and rare, one or several, and filters dense and sparse (which a search
//! applies in different ways: a mask of the records the filter passes, or an
//! intersection), the filtered hits are exactly the unfiltered hits whose records the
//! filter passes, in the same order, with the same scores and count; the top hits of a
//! short page are the head of that list.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn search(index: &Path, args: &[&str]) -> Value {
    common::search_json(index, args)
}

/// A hit's record (kind, id, source) and score.
fn hits(v: &Value) -> Vec<(String, String, String, String)> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let text = |k: &str| h[k].as_str().unwrap_or_default().to_owned();
            (text("kind"), text("id"), text("source"), h["score"].to_string())
        })
        .collect()
}

/// The most frequent value of a facet field, by browsing it.
fn top_value(index: &Path, field: &str) -> String {
    let v = search(index, &["--facet", field, "--limit", "0"]);
    v["facets"][field][0]["path"].as_str().unwrap().trim_start_matches('/').to_owned()
}

#[test]
fn filtered_hits_are_the_unfiltered_hits_the_filter_passes() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    let index = dir.path().join("idx");
    common::paperdex().args(["synth", "--pages", "150", "--seed", "5", "--out"]).arg(&pages).assert().success();
    common::paperdex().arg("index").arg(&pages).arg("--index").arg(&index).arg("--quiet").assert().success();
    let category = format!("category={}", top_value(&index, "category"));
    let topic = format!("topic={}", top_value(&index, "topic"));
    let filters: Vec<Vec<&str>> = vec![
        vec!["--filter", "lang=en"],
        vec!["--filter", &category],
        vec!["--filter", &topic],
        vec!["--kind", "caption"],
        vec!["--filter", &category, "--exclude", &topic],
        vec!["--exclude", "lang=ko"],
        vec!["--filter", "kind=method", "--filter", "lang=en"],
    ];
    let queries = ["model", "the", "model learning", "model OR learning", "data OR the OR model", "\"language model\""];
    let mut compared = 0;
    for query in queries {
        let all = search(&index, &[query, "--limit", "10000", "--exact-total"]);
        let all_hits = hits(&all);
        for filter in &filters {
            let what = format!("{query:?} {filter:?}");
            // The records the filter passes: a browse with it.
            let mut browse_args = filter.clone();
            browse_args.extend(["--limit", "10000"]);
            let passed: BTreeSet<(String, String, String)> =
                hits(&search(&index, &browse_args)).into_iter().map(|(k, i, s, _)| (k, i, s)).collect();
            let expected: Vec<_> = all_hits
                .iter()
                .filter(|(k, i, s, _)| passed.contains(&(k.clone(), i.clone(), s.clone())))
                .cloned()
                .collect();
            let mut args = vec![query, "--limit", "10000", "--exact-total"];
            args.extend(filter.iter().copied());
            let filtered = search(&index, &args);
            assert_eq!(filtered["total_hits"].as_u64().unwrap() as usize, expected.len(), "{what}");
            assert_eq!(hits(&filtered), expected, "{what}");
            // A short page of the best hits, its count told as the search tells it.
            let mut args = vec![query, "--limit", "7"];
            args.extend(filter.iter().copied());
            let page = search(&index, &args);
            assert_eq!(hits(&page), expected.iter().take(7).cloned().collect::<Vec<_>>(), "{what} top 7");
            let total = page["total_hits"].as_u64().unwrap() as usize;
            if page["total_exact"].as_bool().unwrap() {
                assert_eq!(total, expected.len(), "{what}");
            } else {
                assert!(total <= expected.len() && total >= 7.min(expected.len()), "{what}: {total}");
            }
            compared += expected.len();
        }
    }
    assert!(compared > 1000, "the filtered searches found hits: {compared}");
}
