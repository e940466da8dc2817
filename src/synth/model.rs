//! What the synthetic corpus learns from real pages: a ranked vocabulary per language,
//! the labels pages carry, and the distributions of page size, captions per page and
//! words per caption; and the built-in model, the same learned once from the real pages
//! and compiled in, for when there are none to learn from.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::ingest::{self, PageRecords};

/// Everything `synth` needs to know about real pages.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, Default, PartialEq)]
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

/// The built-in model's text: statistics of the real review pages (`corpus/` and
/// `../shared/corpus/reviews`), written by `CorpusModel::to_text`. It holds single words
/// ranked by frequency, labels (topics, affiliations, first authors, mechanisms) and
/// numbers; no sentence of any page. `PAPERDEX_UPDATE_MODEL=1 cargo test --test
/// synth_model` regenerates it from the pages, and that test fails when it is stale.
pub const BUILTIN_MODEL: &str = include_str!("builtin.model");

/// The lines before the first section of a model file.
const MODEL_HEADER: &str = "\
# paperdex built-in synth model: statistics of the real review pages (corpus/ and
# ../shared/corpus/reviews), not their text: single words ranked by frequency, the labels
# pages carry, and one number per page or caption for each measured distribution.
# Regenerate: PAPERDEX_UPDATE_MODEL=1 cargo test --test synth_model
";

/// A model file that does not read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ModelTextError {
    pub line: usize,
    pub reason: String,
}

impl CorpusModel {
    /// The model compiled into paperdex, learned from the real review pages.
    pub fn builtin() -> Self {
        // tests/synth_model.rs and the unit tests below read the same text back.
        Self::from_text(BUILTIN_MODEL).expect("the built-in model file reads back")
    }

    /// The model as a line-based text file: a header of `KEY VALUE...` lines, then one
    /// `[section]` per list with one entry a line, so a regenerated file diffs by line.
    pub fn to_text(&self) -> String {
        let numbers = |values: &[usize]| values.iter().map(usize::to_string).collect::<Vec<_>>().join(" ");
        let s = &self.stats;
        let mut out = String::from(MODEL_HEADER);
        out.push_str(&format!("pages {}\n", self.pages));
        out.push_str(&format!("korean_share {}\n", self.korean_share));
        out.push_str(&format!("kind_shares {} {} {}\n", s.kind_shares[0], s.kind_shares[1], s.kind_shares[2]));
        for (key, values) in self.distributions() {
            out.push_str(&format!("{key} {}\n", numbers(values)));
        }
        for (section, list) in self.lists() {
            out.push_str(&format!("[{section}]\n"));
            for entry in list {
                out.push_str(entry);
                out.push('\n');
            }
        }
        out
    }

    /// Reads a model written by `to_text`.
    pub fn from_text(text: &str) -> Result<Self, ModelTextError> {
        let mut model = CorpusModel {
            vocab_en: Vec::new(),
            vocab_ko: Vec::new(),
            korean_share: 0.0,
            topics: Vec::new(),
            affiliations: Vec::new(),
            authors: Vec::new(),
            mechanisms: Vec::new(),
            stats: CorpusStats::default(),
            pages: 0,
        };
        let mut section: Option<&str> = None;
        for (n, line) in text.lines().enumerate() {
            let fail = |reason: String| ModelTextError { line: n + 1, reason };
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']'))
                && let Some((known, _)) = model.lists().into_iter().find(|(s, _)| *s == name)
            {
                section = Some(known);
                continue;
            }
            match section {
                Some(name) => {
                    let list = model.list_mut(name);
                    list.push(line.to_owned());
                }
                None if line.starts_with('#') || line.is_empty() => {}
                None => {
                    let (key, values) = line.split_once(' ').unwrap_or((line, ""));
                    let floats = || -> Result<Vec<f64>, ModelTextError> {
                        values
                            .split(' ')
                            .map(|v| v.parse().map_err(|_| fail(format!("{key}: {v:?} is not a number"))))
                            .collect()
                    };
                    match key {
                        "pages" => model.pages = values.parse().map_err(|_| fail(format!("pages: {values:?}")))?,
                        "korean_share" => model.korean_share = floats()?.first().copied().unwrap_or(0.0),
                        "kind_shares" => {
                            model.stats.kind_shares =
                                floats()?.try_into().map_err(|_| fail("kind_shares needs 3 numbers".into()))?
                        }
                        _ => {
                            let values: Vec<usize> = values
                                .split_whitespace()
                                .map(|v| v.parse().map_err(|_| fail(format!("{key}: {v:?} is not a count"))))
                                .collect::<Result<_, _>>()?;
                            *model.distribution_mut(key).ok_or_else(|| fail(format!("unknown key {key:?}")))? = values;
                        }
                    }
                }
            }
        }
        if model.vocab_en.is_empty() || model.stats.page_bytes.len() != model.stats.captions_per_page.len() {
            return Err(ModelTextError {
                line: text.lines().count(),
                reason: "no English words, or page sizes and caption counts of different lengths".into(),
            });
        }
        Ok(model)
    }

    /// The measured distributions by their key in a model file.
    fn distributions(&self) -> [(&'static str, &[usize]); 7] {
        let s = &self.stats;
        [
            ("page_bytes", &s.page_bytes),
            ("captions_per_page", &s.captions_per_page),
            ("words_per_caption", &s.words_per_caption),
            ("description_words", &s.description_words),
            ("paper_caption_words", &s.paper_caption_words),
            ("tldr_words", &s.tldr_words),
            ("why_words", &s.why_words),
        ]
    }

    fn distribution_mut(&mut self, key: &str) -> Option<&mut Vec<usize>> {
        let s = &mut self.stats;
        Some(match key {
            "page_bytes" => &mut s.page_bytes,
            "captions_per_page" => &mut s.captions_per_page,
            "words_per_caption" => &mut s.words_per_caption,
            "description_words" => &mut s.description_words,
            "paper_caption_words" => &mut s.paper_caption_words,
            "tldr_words" => &mut s.tldr_words,
            "why_words" => &mut s.why_words,
            _ => return None,
        })
    }

    /// The word and label lists by their section name in a model file.
    fn lists(&self) -> [(&'static str, &[String]); 6] {
        [
            ("topics", &self.topics),
            ("affiliations", &self.affiliations),
            ("authors", &self.authors),
            ("mechanisms", &self.mechanisms),
            ("vocab_en", &self.vocab_en),
            ("vocab_ko", &self.vocab_ko),
        ]
    }

    fn list_mut(&mut self, section: &str) -> &mut Vec<String> {
        match section {
            "topics" => &mut self.topics,
            "affiliations" => &mut self.affiliations,
            "authors" => &mut self.authors,
            "mechanisms" => &mut self.mechanisms,
            "vocab_en" => &mut self.vocab_en,
            _ => &mut self.vocab_ko,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_model_reads_back_and_can_write_every_caption_kind() {
        let model = CorpusModel::builtin();
        assert!(model.pages >= 10, "{} pages", model.pages);
        assert!(model.vocab_en.len() > 1000 && !model.vocab_ko.is_empty());
        assert!(model.stats.kind_shares.iter().all(|&share| share > 0.0), "{:?}", model.stats.kind_shares);
        assert!(model.mechanisms.len() >= 4 && !model.authors.is_empty());
        assert_eq!(CorpusModel::from_text(&model.to_text()), Ok(model));
    }

    #[test]
    fn a_damaged_model_text_names_its_line() {
        let text = BUILTIN_MODEL.replacen("\npages ", "\npages x", 1);
        let line = text.lines().position(|l| l.starts_with("pages ")).unwrap() + 1;
        assert_eq!(CorpusModel::from_text(&text).unwrap_err().line, line);
        assert!(CorpusModel::from_text("# nothing\n").is_err());
    }
}
