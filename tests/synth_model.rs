//! The built-in synth model: learned from the real pages (this test regenerates it with
//! `PAPERDEX_UPDATE_MODEL=1` and fails when it is stale), and used, still writing every
//! caption kind and surveys, when `synth` has too few real pages to learn from.

mod common;

use std::path::Path;

use common::paperdex;
use paperdex::synth::{CorpusModel, learn, model::BUILTIN_MODEL};
use predicates::prelude::*;
use serde_json::Value;

const MODEL_FILE: &str = "src/synth/builtin.model";

#[test]
#[cfg_attr(paperdex_no_shared, ignore = "needs ../shared/corpus/reviews")]
fn the_builtin_model_is_learned_from_the_real_pages() {
    let reviews = common::shared_reviews();
    // The pages `synth` learns from by default, in the same order.
    let learned = learn(&[common::root().join("corpus"), reviews]);
    let text = learned.to_text();
    let path = common::root().join(MODEL_FILE);
    if std::env::var_os("PAPERDEX_UPDATE_MODEL").is_some() {
        std::fs::write(&path, &text).unwrap();
        common::note(&format!("wrote {MODEL_FILE}: rebuild to compile it in"));
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == text,
        "{MODEL_FILE} is not what the real pages give now: `PAPERDEX_UPDATE_MODEL=1 cargo test --test synth_model`"
    );
    assert!(BUILTIN_MODEL == committed, "{MODEL_FILE} changed since this build: test again");
    assert_eq!(learned.pages, 43);
    // Statistics, not text: the word lists hold single words.
    for word in learned.vocab_en.iter().chain(&learned.vocab_ko) {
        assert!(!word.is_empty() && !word.contains(char::is_whitespace), "{word:?}");
    }
    assert_eq!(CorpusModel::builtin(), learned);
}

/// Runs `paperdex search ARGS --json --limit 0 --index INDEX` and parses stdout.
fn counts(index: &Path, args: &[&str]) -> Value {
    let out =
        paperdex().arg("search").args(args).args(["--json", "--limit", "0", "--index"]).arg(index).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn synth_without_real_pages_uses_the_builtin_model() {
    let dir = tempfile::tempdir().unwrap();
    // A fresh clone with no ../shared beside it: corpus/ holds the seed page only; and a
    // folder with neither.
    let clone = dir.path().join("clone");
    let seed = clone.join("corpus/2412.02142/index.md");
    std::fs::create_dir_all(seed.parent().unwrap()).unwrap();
    std::fs::copy(common::seed_page(), &seed).unwrap();
    let bare = dir.path().join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    let builtin = CorpusModel::builtin();
    let said = format!(
        "built-in model (learned from {} real pages: {} English and {} Korean words), as ",
        builtin.pages,
        builtin.vocab_en.len(),
        builtin.vocab_ko.len()
    );
    for (cwd, why) in [
        (&clone, "corpus holds 1 page, fewer than 10 to learn from"),
        (&bare, "neither corpus/ nor ../shared/corpus/reviews is here"),
    ] {
        let pages = dir.path().join(format!("pages-{}", cwd.file_name().unwrap().to_str().unwrap()));
        paperdex()
            .current_dir(cwd)
            .args(["synth", "--pages", "200", "--seed", "5", "--out"])
            .arg(&pages)
            .assert()
            .success()
            .stderr(predicate::str::contains(format!("{said}{why}\n")))
            .stderr(predicate::str::contains("learned from 1 real page in").not())
            .stderr(predicate::str::contains("wrote 200 pages"));
        let index = dir.path().join("index");
        let _ = std::fs::remove_dir_all(&index);
        paperdex().arg("index").arg(&pages).arg("--index").arg(&index).arg("--quiet").assert().success();
        let doc = counts(&index, &["--facet", "kind=/caption"]);
        let kinds: Vec<&str> =
            doc["facets"]["kind"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
        for kind in ["/caption/figure", "/caption/chart", "/caption/table"] {
            assert!(kinds.contains(&kind), "{kinds:?}");
        }
        // Surveys carry taxonomy tables, whose rows are method entries.
        let methods = counts(&index, &["--kind", "method", "--facet", "mechanism"]);
        assert!(methods["total_hits"].as_u64().unwrap() >= 32, "{methods}");
        let pages_ko = counts(&index, &["--kind", "page", "--filter", "lang=ko"]);
        assert!(pages_ko["total_hits"].as_u64().unwrap() > 0, "Korean pages: {pages_ko}");
    }
}

#[test]
fn folders_named_to_learn_from_are_used_however_few() {
    let dir = tempfile::tempdir().unwrap();
    paperdex()
        .args(["synth", "--pages", "5", "--learn-from"])
        .arg(common::root().join("corpus"))
        .arg("--out")
        .arg(dir.path().join("pages"))
        .assert()
        .success()
        .stderr(predicate::str::contains("learned from 1 real page in "))
        .stderr(predicate::str::contains("built-in model").not());
}
