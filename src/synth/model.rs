//! What the synthetic corpus learns from real pages: a ranked vocabulary per language,
//! the labels pages carry, and the distributions of page size, captions per page and
//! words per caption.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::ingest::{self, PageRecords};

/// Everything `synth` needs to know about real pages.
#[derive(Debug, Clone)]
pub struct CorpusModel {
    /// English words, most frequent first.
    pub vocab_en: Vec<String>,
    /// Korean words, most frequent first (empty when no Korean page was seen).
    pub vocab_ko: Vec<String>,
    /// Fraction of pages whose text is Korean.
    pub korean_share: f64,
    pub topics: Vec<String>,
    pub affiliations: Vec<String>,
    pub authors: Vec<String>,
    pub mechanisms: Vec<String>,
    pub stats: CorpusStats,
    /// How many real pages the model was learned from.
    pub pages: usize,
}

/// Per-page and per-caption measurements, one value per page or caption.
#[derive(Debug, Clone, Default)]
pub struct CorpusStats {
    pub page_bytes: Vec<usize>,
    pub captions_per_page: Vec<usize>,
    /// Words of a caption: the AI description plus the paper's caption.
    pub words_per_caption: Vec<usize>,
    pub description_words: Vec<usize>,
    pub paper_caption_words: Vec<usize>,
    pub tldr_words: Vec<usize>,
    pub why_words: Vec<usize>,
    /// Share of captions of each kind: figure, chart, table.
    pub kind_shares: [f64; 3],
}

impl CorpusStats {
    /// Measures parsed pages; `bytes` gives each page's file size.
    pub fn measure<'a>(pages: impl IntoIterator<Item = (&'a PageRecords, usize)>) -> Self {
        let mut s = CorpusStats::default();
        let mut kinds = [0usize; 3];
        for (records, bytes) in pages {
            s.page_bytes.push(bytes);
            s.captions_per_page.push(records.captions.len());
            s.tldr_words.push(word_count(&records.page.tldr));
            s.why_words.push(word_count(&records.page.why_it_matters));
            for c in &records.captions {
                let (d, p) = (word_count(&c.description), word_count(&c.caption));
                s.description_words.push(d);
                s.paper_caption_words.push(p);
                s.words_per_caption.push(d + p);
                kinds[c.kind as usize] += 1;
            }
        }
        let total = kinds.iter().sum::<usize>().max(1) as f64;
        s.kind_shares = kinds.map(|k| k as f64 / total);
        s
    }
}

pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The median of a list (0 when empty).
pub fn median(values: &[usize]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 }
}

/// Learns the model from the review pages under `roots`.
pub fn learn(roots: &[PathBuf]) -> CorpusModel {
    let files = ingest::find_files(roots);
    let sizes: HashMap<String, usize> = files
        .files
        .iter()
        .map(|p| (p.display().to_string(), std::fs::metadata(p).map_or(0, |m| m.len() as usize)))
        .collect();
    let corpus = ingest::parse_files(&files.files);
    let mut en: HashMap<String, usize> = HashMap::new();
    let mut ko: HashMap<String, usize> = HashMap::new();
    let mut topics = Vec::new();
    let mut affiliations = Vec::new();
    let mut authors = Vec::new();
    let mut mechanisms = Vec::new();
    let mut korean = 0;
    for records in &corpus.pages {
        let page = &records.page;
        let counts = if page.lang == "ko" {
            korean += 1;
            &mut ko
        } else {
            &mut en
        };
        let mut texts: Vec<&str> = vec![&page.tldr, &page.why_it_matters, &page.summary];
        texts.extend(page.takeaways.iter().map(String::as_str));
        texts.extend(page.insights.iter().map(|i| i.text.as_str()));
        texts.extend(records.captions.iter().map(|c| c.description.as_str()));
        for text in texts {
            for word in text.split_whitespace() {
                let word = word.trim_matches(|c: char| !c.is_alphanumeric());
                if !word.is_empty() && word.len() <= 40 {
                    *counts.entry(word.to_owned()).or_default() += 1;
                }
            }
        }
        // Paper captions are English on every page.
        for c in &records.captions {
            for word in c.caption.split_whitespace() {
                let word = word.trim_matches(|c: char| !c.is_alphanumeric());
                if !word.is_empty() && word.len() <= 40 {
                    *en.entry(word.to_owned()).or_default() += 1;
                }
            }
        }
        topics.extend(page.topics.iter().cloned());
        affiliations.extend(page.affiliations.iter().cloned());
        if let Some(a) = &page.authors {
            authors.push(a.trim_end_matches(" et el.").trim_end_matches(" et al.").to_owned());
        }
        mechanisms.extend(records.methods.iter().map(|m| m.mechanism.clone()));
    }
    for list in [&mut topics, &mut affiliations, &mut authors, &mut mechanisms] {
        list.sort();
        list.dedup();
    }
    let stats = CorpusStats::measure(corpus.pages.iter().map(|r| (r, sizes.get(&r.page.source).copied().unwrap_or(0))));
    CorpusModel {
        vocab_en: ranked(en),
        vocab_ko: ranked(ko),
        korean_share: korean as f64 / corpus.pages.len().max(1) as f64,
        topics: or_default(topics, &["Machine Learning", "Computer Vision", "Natural Language Processing"]),
        affiliations: or_default(affiliations, &["University of California, San Diego"]),
        authors: or_default(authors, &["Junda Wu"]),
        mechanisms: or_default(mechanisms, &["Instruction", "Alignment", "Generation", "Fine-tuning"]),
        stats,
        pages: corpus.pages.len(),
    }
}

fn ranked(counts: HashMap<String, usize>) -> Vec<String> {
    let mut words: Vec<(usize, String)> = counts.into_iter().map(|(w, n)| (n, w)).collect();
    words.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    words.into_iter().map(|(_, w)| w).collect()
}

fn or_default(list: Vec<String>, fallback: &[&str]) -> Vec<String> {
    if list.is_empty() { fallback.iter().map(|s| s.to_string()).collect() } else { list }
}
