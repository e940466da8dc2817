//! An independent oracle for page search: for many one- and two-word queries over the real
//! pages, the pages whose page-level text holds every word (found by a plain scan of the
//! parsed records, tokenised by the same rules) must be exactly the pages that
//! `paperdex search --kind page` returns.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use paperdex::index::tokenizer::{exact_terms, terms};
use paperdex::ingest::{self, Page};

/// Every piece of text a page record carries, as the reader sees it.
fn page_text(page: &Page) -> String {
    let mut parts: Vec<&str> = vec![&page.title, &page.summary, &page.tldr, &page.why_it_matters];
    parts.extend(page.categories.iter().map(String::as_str));
    parts.extend(page.topics.iter().map(String::as_str));
    parts.extend(page.affiliations.iter().map(String::as_str));
    parts.extend(page.authors.iter().map(String::as_str));
    parts.extend(page.takeaways.iter().map(String::as_str));
    for insight in &page.insights {
        parts.push(&insight.heading);
        parts.push(&insight.text);
    }
    parts.join("\n")
}

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn page_search_matches_a_plain_scan() {
    let reviews = common::shared_reviews();
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    common::paperdex().arg("index").arg(&reviews).arg("--index").arg(&index).arg("--quiet").assert().success();

    let corpus = ingest::read_corpus(&[reviews]);
    assert_eq!(corpus.pages.len(), 42);
    let texts: Vec<(String, String)> = corpus.pages.iter().map(|p| (p.page.id.clone(), page_text(&p.page))).collect();
    let page_terms: Vec<(String, BTreeSet<String>)> =
        texts.iter().map(|(id, text)| (id.clone(), terms(text).into_iter().collect())).collect();

    // Surface words at spread document frequencies, plus hand-picked ones and pairs.
    let mut df: BTreeMap<String, usize> = BTreeMap::new();
    for (_, text) in &texts {
        let words: BTreeSet<String> = exact_terms(text).into_iter().filter(|w| w.chars().count() >= 3).collect();
        for w in words {
            *df.entry(w).or_default() += 1;
        }
    }
    let mut by_df: Vec<(usize, String)> = df.into_iter().map(|(w, n)| (n, w)).collect();
    by_df.sort();
    let step = by_df.len() / 24;
    let mut queries: Vec<String> = (0..24).map(|i| by_df[i * step].1.clone()).collect();
    queries.extend(
        [
            "diffusion",
            "physics",
            "reasoning",
            "benchmark",
            "robot",
            "모델",
            "video generation",
            "language models",
            "token attention",
            "Google DeepMind",
            "reinforcement learning",
            "daily papers",
            "Korean",
            "multimodal",
            "3D",
        ]
        .map(String::from),
    );
    assert!(queries.len() >= 30);

    let mut nonempty = 0;
    for query in &queries {
        let wanted: Vec<String> = terms(query);
        // Each word is one term, so the engine's AND of words is the oracle's "all terms".
        assert_eq!(wanted.len(), query.split_whitespace().count(), "{query}: {wanted:?}");
        let expected: BTreeSet<&str> = page_terms
            .iter()
            .filter(|(_, t)| wanted.iter().all(|w| t.contains(w)))
            .map(|(id, _)| id.as_str())
            .collect();
        let out = common::paperdex()
            .arg("search")
            .arg(query)
            .args(["--kind", "page", "--limit", "1000", "--json", "--index"])
            .arg(&index)
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{query}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: BTreeSet<&str> =
            doc["hits"].as_array().unwrap().iter().map(|h| h["page_id"].as_str().unwrap()).collect();
        assert_eq!(got, expected, "query {query:?}");
        assert_eq!(doc["total_hits"].as_u64().unwrap() as usize, expected.len(), "{query}");
        nonempty += usize::from(!expected.is_empty());
    }
    assert!(nonempty >= 30, "only {nonempty} queries matched anything");
}
