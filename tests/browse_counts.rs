//! Browsing everything (no words, no filter) is answered from the term dictionaries; the
//! same request with a filter that keeps every record takes the full pass over the
//! records (every record has a date, so `--since 1970-01-01` keeps them all). Both must
//! give the same counts, facets and hits: on a fresh index, after an
//! update leaves deleted records behind, and over several segments. A date-ordered
//! search looks for its top hits among the newest (oldest) dates first: they must be the
//! head of all its hits in date order. A filter that passes most records counts its
//! facets as every record's counts less those of the records it turns away: the same
//! filter beside a date range that keeps every record takes the full pass instead.

mod common;

use std::path::Path;

use serde_json::Value;

fn search(index: &Path, args: &[&str]) -> Value {
    common::search_json(index, args)
}

/// What a browse answers, without timings and warnings.
fn answer(v: &Value) -> Value {
    let ids: Vec<&Value> = v["hits"].as_array().unwrap().iter().map(|h| &h["id"]).collect();
    serde_json::json!({"total": v["total_hits"], "facets": v["facets"], "ids": ids})
}

/// Every browse below, with and without a filter that keeps every record.
fn assert_browses_agree(index: &Path) {
    let browses: &[&[&str]] = &[
        &["--facet", "category", "--facet", "kind", "--facet", "date"],
        &["--facet", "topic", "--facet", "affiliation", "--facet", "mechanism", "--limit", "0"],
        &["--facet", "date=/2025", "--sort", "date", "--limit", "25"],
        &["--facet", "category", "--sort", "-date", "--limit", "7", "--offset", "40"],
        &["--sort", "date", "--limit", "50", "--offset", "100000"],
        &["--limit", "100"],
        &["--sort", "-date", "--limit", "10", "--offset", "300"],
        &["--sort", "date", "--limit", "20", "--offset", "450", "--facet", "kind"],
    ];
    let mut compared = 0;
    for args in browses {
        let direct = search(index, args);
        let mut filtered_args = args.to_vec();
        filtered_args.extend(["--since", "1970-01-01"]);
        let filtered = search(index, &filtered_args);
        assert_eq!(answer(&direct), answer(&filtered), "{args:?}");
        compared += direct["hits"].as_array().unwrap().len();
    }
    assert!(compared > 0, "the browses returned hits");

    // Filters that pass most records count their facets as every record's counts less
    // those of the records they turn away; beside a date range that keeps every record,
    // the same request takes the full pass over the records it keeps.
    let dense: &[&[&str]] = &[
        &["--filter", "lang=en", "--facet", "category", "--facet", "kind", "--facet", "date"],
        &["--exclude", "kind=method", "--facet", "topic", "--facet", "date=/2025", "--sort", "date", "--limit", "5"],
        &["--filter", "lang=en", "--exclude", "kind=method", "--facet", "mechanism", "--facet", "affiliation"],
        &["--filter", "kind=caption", "--filter", "lang=en", "--facet", "kind", "--sort", "-date", "--limit", "3"],
    ];
    let records = search(index, &["--limit", "0"])["total_hits"].as_u64().unwrap();
    for args in dense {
        let direct = search(index, args);
        assert!(direct["total_hits"].as_u64().unwrap() * 2 > records, "{args:?} passes most records");
        let mut full_pass = args.to_vec();
        full_pass.extend(["--since", "1970-01-01"]);
        assert_eq!(answer(&direct), answer(&search(index, &full_pass)), "{args:?}");
    }
}

/// Every segment has its browse file after a run of `paperdex index`, and what the
/// browses answer from them is what they answer from the term dictionaries (the files
/// moved away, then put back).
fn assert_browse_files_agree(index: &Path) {
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "browse"))
        .collect();
    let meta: Value = serde_json::from_slice(&std::fs::read(index.join("meta.json")).unwrap()).unwrap();
    assert_eq!(files.len(), meta["segments"].as_array().unwrap().len(), "a browse file per segment: {files:?}");
    let browses: &[&[&str]] = &[
        &["--facet", "category", "--facet", "kind", "--facet", "date", "--facet", "lang"],
        &["--facet", "topic", "--facet", "affiliation", "--facet", "mechanism", "--sort", "date"],
    ];
    let from_files: Vec<Value> = browses.iter().map(|args| answer(&search(index, args))).collect();
    let aside = index.join("aside");
    std::fs::create_dir(&aside).unwrap();
    for f in &files {
        std::fs::rename(f, aside.join(f.file_name().unwrap())).unwrap();
    }
    let from_terms: Vec<Value> = browses.iter().map(|args| answer(&search(index, args))).collect();
    for f in &files {
        std::fs::rename(aside.join(f.file_name().unwrap()), f).unwrap();
    }
    std::fs::remove_dir(&aside).unwrap();
    assert_eq!(from_files, from_terms);
}

/// A date-ordered search's page of hits is that page of all its hits: with filters that
/// keep most records, few, or records gathered on a few pages (methods), with words, and
/// with periods that end (begin) on every third page's date, so that the newest (oldest)
/// records hold none, some or enough of the hits wanted.
fn assert_date_order_heads_agree(index: &Path) {
    let searches: &[&[&str]] = &[
        &["--since", "1970-01-01"],
        &["--filter", "lang=en"],
        &["--kind", "caption"],
        &["--kind", "method", "--facet", "category"],
        &["--filter", "lang=ko"],
        &["model"],
        &["the", "--facet", "date"],
    ];
    let pages = search(index, &["--kind", "page", "--sort", "date", "--limit", "10000"]);
    let dates: Vec<String> =
        pages["hits"].as_array().unwrap().iter().map(|h| h["date"].as_str().unwrap().to_owned()).collect();
    let periods: Vec<[&str; 4]> = dates
        .iter()
        .step_by(3)
        .flat_map(|d| [["--until", d, "--sort", "-date"], ["--since", d, "--sort", "date"]])
        .collect();
    let sorted = searches
        .iter()
        .flat_map(|args| ["date", "-date"].map(|sort| [args.to_vec(), vec!["--sort", sort]].concat()))
        .chain(periods.iter().map(|p| p.to_vec()));
    let mut compared = 0;
    for args in sorted {
        {
            let mut all_args = args.clone();
            all_args.extend(["--limit", "10000"]);
            let all = search(index, &all_args);
            let ids: Vec<&Value> = all["hits"].as_array().unwrap().iter().map(|h| &h["id"]).collect();
            for (limit, offset) in [(1, 0), (3, 2), (5, 0), (10, 7)] {
                let mut page_args = args.clone();
                let (l, o) = (limit.to_string(), offset.to_string());
                page_args.extend(["--limit", &l, "--offset", &o]);
                let page = search(index, &page_args);
                let want: Vec<&Value> = ids.iter().skip(offset).take(limit).copied().collect();
                let got: Vec<&Value> = page["hits"].as_array().unwrap().iter().map(|h| &h["id"]).collect();
                assert_eq!(got, want, "{page_args:?}");
                assert_eq!(page["total_hits"], all["total_hits"], "{page_args:?}");
                assert_eq!(page["facets"], all["facets"], "{page_args:?}");
                compared += got.len();
            }
        }
    }
    assert!(compared > 100, "the searches returned hits: {compared}");
}

#[test]
fn browsing_everything_counts_as_the_full_pass_does() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    let more = dir.path().join("more");
    let index = dir.path().join("idx");
    for (out, pages_n, seed) in [(&pages, "60", "3"), (&more, "15", "9")] {
        common::paperdex().args(["synth", "--pages", pages_n, "--seed", seed, "--out"]).arg(out).assert().success();
    }
    common::paperdex().arg("index").arg(&pages).arg("--index").arg(&index).arg("--quiet").assert().success();
    assert_browse_files_agree(&index);
    assert_browses_agree(&index);
    assert_date_order_heads_agree(&index);
    let total = search(&index, &["--limit", "0"])["total_hits"].as_u64().unwrap();
    let facets = search(&index, &["--facet", "kind", "--limit", "0"]);
    let kinds: u64 = facets["facets"]["kind"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(kinds, total, "every record has one kind");

    // An updated page leaves its old records deleted in their segment.
    let page = walkdir::WalkDir::new(&pages)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name() == "index.md")
        .expect("a synthetic page")
        .into_path();
    let mut text = std::fs::read_to_string(&page).unwrap();
    text.push_str("\n\nOne more closing paragraph.\n");
    std::fs::write(&page, text).unwrap();
    common::paperdex().arg("index").arg(&pages).arg("--index").arg(&index).arg("--quiet").assert().success();
    assert_browses_agree(&index);
    assert_date_order_heads_agree(&index);

    // A second folder: more segments.
    common::paperdex().arg("index").arg(&more).arg("--index").arg(&index).arg("--quiet").assert().success();
    assert_browse_files_agree(&index);
    assert_browses_agree(&index);
    assert_date_order_heads_agree(&index);
    assert!(search(&index, &["--limit", "0"])["total_hits"].as_u64().unwrap() > total);

    // The second folder's pages go: their segments are emptied and let go, and their
    // browse files with them, without a later run taking them for a killed run's leftovers.
    for entry in std::fs::read_dir(&more).unwrap() {
        std::fs::remove_dir_all(entry.unwrap().path()).unwrap();
    }
    for _ in 0..2 {
        let run = common::paperdex().arg("index").arg("--index").arg(&index).output().unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success() && !stderr.contains("did not finish"), "{stderr}");
    }
    assert_browse_files_agree(&index);
    assert_browses_agree(&index);
    assert_eq!(search(&index, &["--limit", "0"])["total_hits"].as_u64().unwrap(), total);
}
