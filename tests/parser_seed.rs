//! The seed survey page through `paperdex inspect`: the records the default corpus holds.

mod common;

use common::{paperdex, seed_page};
use serde_json::Value;

fn inspect_seed() -> Value {
    let out = paperdex().arg("inspect").arg(seed_page()).arg("--json").output().unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("inspect --json prints one JSON object")
}

fn method<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["methods"].as_array().unwrap().iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("no method {name}"))
}

#[test]
fn seed_page_fields() {
    let doc = inspect_seed();
    let page = &doc["page"];
    assert_eq!(page["id"], "2412.02142");
    assert_eq!(page["lang"], "en");
    assert_eq!(page["title"], "Personalized Multimodal Large Language Models: A Survey");
    assert!(page["categories"].as_array().unwrap().iter().any(|c| c == "🤗 Daily Papers"));
    assert_eq!(page["affiliations"], serde_json::json!(["University of California, San Diego"]));
    assert_eq!(page["topics"], serde_json::json!(["Multimodal Learning", "Vision-Language Models"]));
    assert_eq!(page["date"], "2024-12-03");
    assert_eq!(page["review_date"], "2024-12-06");
    assert_eq!(page["authors"], "Junda Wu et el.");
    assert_eq!(page["takeaways"].as_array().unwrap().len(), 3);
    assert!(page["tldr"].as_str().unwrap().starts_with("The increasing importance of multimodal"));
    assert!(page["why_it_matters"].as_str().unwrap().starts_with("This paper is crucial"));
    assert_eq!(page["links"][0]["url"], "https://arxiv.org/abs/2412.02142");
    assert_eq!(page["links"][1]["label"], "Hugging Face");
    assert_eq!(doc["problems"], serde_json::json!([]));
}

#[test]
fn seed_caption_is_table_one() {
    let doc = inspect_seed();
    let captions = doc["captions"].as_array().unwrap();
    assert_eq!(captions.len(), 1);
    let c = &captions[0];
    assert_eq!(c["kind"], "table");
    assert_eq!(c["label"], "Table 1");
    assert!(c["caption"].as_str().unwrap().starts_with("Table 1: Overview of Techniques"));
    assert!(c["description"].as_str().unwrap().starts_with("This table provides a categorized overview"));
    assert!(c["table_text"].as_str().unwrap().contains("λ-ECLIPSE Patel et al. (2024)"));
}

#[test]
fn seed_methods_are_four_by_four_by_two() {
    let doc = inspect_seed();
    let methods = doc["methods"].as_array().unwrap();
    assert_eq!(methods.len(), 32);
    let mut cells = std::collections::BTreeMap::new();
    for m in methods {
        *cells.entry((m["category"].as_str().unwrap(), m["mechanism"].as_str().unwrap())).or_insert(0) += 1;
    }
    assert_eq!(cells.len(), 16, "{cells:?}");
    assert!(cells.values().all(|&n| n == 2), "{cells:?}");

    let eclipse = method(&doc, "λ-ECLIPSE");
    assert_eq!(eclipse["citation"], "Patel et al. (2024)");
    assert_eq!(eclipse["year"], 2024);
    assert_eq!(eclipse["category"], "Personalized MLLM Image Generation");
    assert_eq!(eclipse["mechanism"], "Alignment");
    assert_eq!(eclipse["section"], "4.2");
    assert_eq!(eclipse["table_label"], "Table 1");

    let yollava = method(&doc, "Yo’LLaVA");
    assert_eq!(yollava["citation"], "Nguyen et al. (2024)");
    assert_eq!(yollava["category"], "Personalized MLLM Retrieval");
    assert_eq!(yollava["mechanism"], "Generation");

    assert_eq!(method(&doc, "InteraRec")["citation"], "Karra and Tulabandhula (2024)");
    assert_eq!(method(&doc, "Athena 3.0")["citation"], "Fan et al. (2023)");
    let wu = method(&doc, "Wu et al.");
    assert_eq!(wu["citation"], "Wu et al. (2024b)");
    assert_eq!(wu["year"], 2024);
    let cgsmp = method(&doc, "CGSMP");
    assert_eq!((cgsmp["citation"].as_str(), cgsmp["year"].as_u64()), (Some("Yong et al. (2023)"), Some(2023)));
}

#[test]
fn seed_human_output_snapshot() {
    let out = paperdex().current_dir(common::root()).args(["inspect", "corpus/2412.02142/index.md"]).output().unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn seed_records_snapshot() {
    let bytes = std::fs::read(seed_page()).unwrap();
    let parsed = paperdex::ingest::parse_bytes(std::path::Path::new("corpus/2412.02142/index.md"), &bytes);
    insta::assert_json_snapshot!(parsed.records);
}
