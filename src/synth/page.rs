//! One synthetic page: a pure function of (seed, page number) that writes the real
//! format: front matter, keyword shortcodes, TL;DR, takeaways, captions with Markdown
//! and HTML tables, insights, and (one page in 20) a survey taxonomy table.

use std::fmt::Write;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::model::CorpusModel;
use crate::index::document::{civil_date, date_value};

/// A Zipf law over ranks `0..n`: P(rank r) ∝ 1 / (r + 1)^s.
#[derive(Debug, Clone)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let mut cdf = Vec::with_capacity(n.max(1));
        let mut total = 0.0;
        for r in 0..n.max(1) {
            total += 1.0 / ((r + 1) as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Zipf { cdf }
    }

    /// The rank a uniform `u` in [0, 1) falls on.
    pub fn sample(&self, u: f64) -> usize {
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

/// The Zipf exponent of word frequencies in English text.
const ZIPF_EXPONENT: f64 = 1.05;
/// Days the page dates spread over at the least, from 2024-06-01.
const MIN_DAYS: usize = 330;

/// Writes synthetic pages from a learned model.
pub struct PageWriter<'m> {
    model: &'m CorpusModel,
    seed: u64,
    pages: usize,
    days: usize,
    first_day: i64,
    zipf_en: Zipf,
    zipf_ko: Zipf,
}

/// One language's word source.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Ko,
}

impl<'m> PageWriter<'m> {
    pub fn new(model: &'m CorpusModel, pages: usize, seed: u64) -> Self {
        // Rarer words beyond the real vocabulary keep the term dictionary growing with
        // the corpus, as a real site's does.
        let en = (model.vocab_en.len() * 4).max(20_000);
        let ko = (model.vocab_ko.len() * 4).max(5_000);
        let first_day = date_value("2024-06-01").map_or(0, |d| d.into_timestamp_secs() / 86_400);
        PageWriter {
            model,
            seed,
            pages: pages.max(1),
            days: MIN_DAYS.max(pages / 250),
            first_day,
            zipf_en: Zipf::new(en, ZIPF_EXPONENT),
            zipf_ko: Zipf::new(ko, ZIPF_EXPONENT),
        }
    }

    /// The relative path and text of page `i`.
    pub fn page(&self, i: usize) -> (String, String) {
        let mut rng = Pcg64Mcg::seed_from_u64(self.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let pages = self.model.stats.page_bytes.len().max(1);
        // Pages spread evenly over the days, in page order.
        let day = self.first_day + ((i * self.days) / self.pages) as i64;
        let date = civil_date(day);
        // An arXiv-shaped id no paper has: its month is 13 to 24 (the date's plus 12), so
        // synthetic pages indexed beside real ones never stand in for them.
        let month: u32 = date[5..7].parse().unwrap_or(1);
        let id = format!("{}{}.{:05}", &date[2..4], month + 12, i % 100_000);
        let lang = if rng.random_bool(self.model.korean_share.clamp(0.0, 1.0)) { Lang::Ko } else { Lang::En };
        // Size and caption count come from one real page, so they stay consistent.
        let shape = rng.random_range(0..pages);
        let target_bytes = (self.model.stats.page_bytes.get(shape).copied().unwrap_or(15_000) as f64
            * rng.random_range(0.9..1.1)) as usize;
        let captions = self.model.stats.captions_per_page.get(shape).copied().unwrap_or(5);
        let survey = rng.random_ratio(1, 20);

        let mut p = String::with_capacity(target_bytes + 4096);
        self.front_matter(&mut p, &mut rng, &id, &date, survey);
        self.preamble(&mut p, &mut rng, &id, &date, lang);
        p.push_str("------\n#### Visual Insights\n\n");
        let mut figure = 1;
        let mut table = 1;
        if survey {
            self.taxonomy(&mut p, &mut rng, &mut table, lang);
        }
        for n in 0..captions {
            if n == captions / 2 {
                p.push_str("\n### More visual insights\n\n<details>\n<summary>More on figures\n</summary>\n\n");
            }
            self.caption(&mut p, &mut rng, &id, &mut figure, &mut table, lang);
        }
        if captions > 1 {
            p.push_str("</details>\n\n");
        }
        // In-depth insights fill the page up to its size.
        if p.len() + 600 < target_bytes {
            p.push_str("### In-depth insights\n\n");
            let sections = 5;
            let per_section = (target_bytes.saturating_sub(p.len() + 600)) / sections;
            for _ in 0..sections {
                let heading_len = rng.random_range(2..4);
                let heading = self.words(&mut rng, Lang::En, heading_len, true);
                let _ = writeln!(p, "#### {heading}");
                let words = (per_section / 7).max(10);
                p.push_str(&self.paragraphs(&mut rng, lang, words));
                p.push_str("\n\n");
            }
        }
        let _ = write!(p, "### Full paper\n\n{{{{< gallery >}}}}\n");
        for k in 1..=rng.random_range(8..16) {
            let _ = writeln!(
                p,
                "<img src=\"https://ai-paper-reviewer.com/{id}/{k}.png\" class=\"grid-w50 md:grid-w33 xl:grid-w25\" />"
            );
        }
        p.push_str("{{< /gallery >}}");
        (format!("{date}/{id}/index.md"), p)
    }

    fn front_matter(&self, p: &mut String, rng: &mut Pcg64Mcg, id: &str, date: &str, survey: bool) {
        let title_len = rng.random_range(6..12);
        let mut title = self.words(rng, Lang::En, title_len, true);
        if survey {
            title.push_str(": A Survey");
        }
        let summary_len = rng.random_range(18..30);
        let summary = self.words(rng, Lang::En, summary_len, false);
        let pick = |rng: &mut Pcg64Mcg, list: &[String]| list[rng.random_range(0..list.len())].clone();
        let topic1 = pick(rng, &self.model.topics);
        let topic2 = pick(rng, &self.model.topics);
        let org = pick(rng, &self.model.affiliations);
        let daily = if rng.random_bool(0.5) { "🤗 Daily Papers" } else { "Hugging Face Daily Papers" };
        let _ = write!(
            p,
            "---\ntitle: \"{}\"\nsummary: \"{}...\"\ncategories: [\"AI Generated\", \"{daily}\"]\ntags: [\"{}\", \"{}\", \"🏢 {}\",]\nshowSummary: true\ndate: {date}\ndraft: false\n---\n\n<br>\n\n",
            yaml_escape(&title),
            yaml_escape(&summary),
            yaml_escape(&topic1),
            yaml_escape(&topic2),
            yaml_escape(&org),
        );
        let author = pick(rng, &self.model.authors);
        let _ = write!(
            p,
            "{{{{< keywordList >}}}}\n{{{{< keyword icon=\"fingerprint\" >}}}} {id} {{{{< /keyword >}}}}\n{{{{< keyword icon=\"writer\" >}}}} {author} et el. {{{{< /keyword >}}}}\n \n{{{{< keyword >}}}} 🤗 {date} {{{{< /keyword >}}}}\n \n{{{{< /keywordList >}}}}\n\n"
        );
        let _ = write!(
            p,
            "{{{{< button href=\"https://arxiv.org/abs/{id}\" target=\"_self\" >}}}}\n↗ arXiv\n{{{{< /button >}}}}\n{{{{< button href=\"https://huggingface.co/papers/{id}\" target=\"_self\" >}}}}\n↗ Hugging Face\n{{{{< /button >}}}}\n\n\n\n<audio controls>\n    <source src=\"https://ai-paper-reviewer.com/{id}/podcast.wav\" type=\"audio/wav\">\n    Your browser does not support the audio element.\n</audio>\n\n\n"
        );
    }

    fn preamble(&self, p: &mut String, rng: &mut Pcg64Mcg, _id: &str, _date: &str, lang: Lang) {
        let stats = &self.model.stats;
        let tldr = bootstrap(rng, &stats.tldr_words, 150);
        let _ = write!(
            p,
            "### TL;DR\n\n\n{{{{< lead >}}}}\n\n{}\n\n{{{{< /lead >}}}}\n\n\n#### Key Takeaways\n\n",
            self.paragraphs(rng, lang, tldr)
        );
        for k in 0..3 {
            let delay = if k == 0 { String::new() } else { format!("startDelay={}000 ", k) };
            let text_len = rng.random_range(12..24);
            let text = self.words(rng, lang, text_len, false);
            let _ = write!(
                p,
                "{{{{< alert \"star\" >}}}}\n{{{{< typeit speed=10 {delay}lifeLike=true >}}}} {text}. {{{{< /typeit >}}}}\n{{{{< /alert >}}}}\n\n"
            );
        }
        let why = bootstrap(rng, &stats.why_words, 70);
        let _ = write!(p, "#### Why does it matter?\n{}\n\n", self.paragraphs(rng, lang, why));
    }

    fn caption(&self, p: &mut String, rng: &mut Pcg64Mcg, id: &str, figure: &mut usize, table: &mut usize, lang: Lang) {
        let stats = &self.model.stats;
        let [figure_share, chart_share, _] = stats.kind_shares;
        let u: f64 = rng.random();
        let label = if u < figure_share + chart_share {
            let n = *figure;
            *figure += 1;
            let url = if u < figure_share {
                format!("https://arxiv.org/html/{id}/x{n}.png")
            } else {
                format!("https://ai-paper-reviewer.com/{id}/charts_{n}_0.png")
            };
            let _ = write!(p, "![]({url})\n\n");
            format!("Figure {n}")
        } else {
            let n = *table;
            *table += 1;
            p.push_str("{{< table-caption >}}\n");
            self.table(p, rng);
            p.push_str("{{< /table-caption >}}\n\n");
            format!("Table {n}")
        };
        let description_len = bootstrap(rng, &stats.description_words, 60);
        let description = self.sentences(rng, lang, description_len);
        let caption_len = bootstrap(rng, &stats.paper_caption_words, 30).saturating_sub(2).max(3);
        let caption = self.sentences(rng, Lang::En, caption_len);
        let _ = write!(
            p,
            "> 🔼 {description}\n> <details>\n> <summary>read the caption</summary>\n> {label}: {caption}\n> </details>\n\n\n\n"
        );
    }

    /// A results table: Markdown, plain HTML or LaTeXML-style HTML.
    fn table(&self, p: &mut String, rng: &mut Pcg64Mcg) {
        let rows = rng.random_range(4..12);
        let cols = rng.random_range(3..7);
        let header: Vec<String> = (0..cols)
            .map(|_| {
                let n = rng.random_range(1..3);
                self.words(rng, Lang::En, n, true)
            })
            .collect();
        let cell = |rng: &mut Pcg64Mcg, this: &Self, c: usize| {
            if c == 0 {
                let n = rng.random_range(1..3);
                this.words(rng, Lang::En, n, true)
            } else {
                format!("{:.1}", rng.random_range(0.0..100.0))
            }
        };
        match rng.random_range(0..3) {
            0 => {
                let _ = writeln!(p, "| {} |", header.join(" | "));
                let _ = writeln!(p, "|{}", "---|".repeat(cols));
                for _ in 0..rows {
                    let cells: Vec<String> = (0..cols).map(|c| cell(rng, self, c)).collect();
                    let _ = writeln!(p, "| {} |", cells.join(" | "));
                }
            }
            1 => {
                let _ = write!(p, "<table id='{}' style='font-size:14px'><tr>", rng.random_range(0..20));
                for h in &header {
                    let _ = write!(p, "<td>{h}</td>");
                }
                p.push_str("</tr>");
                for _ in 0..rows {
                    p.push_str("<tr>");
                    for c in 0..cols {
                        let _ = write!(p, "<td>{}</td>", cell(rng, self, c));
                    }
                    p.push_str("</tr>");
                }
                p.push_str("</table>\n");
            }
            _ => {
                let t = rng.random_range(1..9);
                let _ = writeln!(p, "<table class=\"ltx_tabular ltx_align_middle\" id=\"S4.T{t}.1\">");
                for r in 0..=rows {
                    let _ = writeln!(p, "<tr class=\"ltx_tr\" id=\"S4.T{t}.1.{r}\">");
                    for (c, head) in header.iter().enumerate() {
                        let text = if r == 0 { head.clone() } else { cell(rng, self, c) };
                        let _ = writeln!(
                            p,
                            "<td class=\"ltx_td ltx_align_center ltx_border_t\" id=\"S4.T{t}.1.{r}.{c}\"><span class=\"ltx_text\" id=\"S4.T{t}.1.{r}.{c}.1\">{text}</span></td>"
                        );
                    }
                    p.push_str("</tr>\n");
                }
                p.push_str("</table>");
            }
        }
    }

    /// A survey's category × mechanism taxonomy table, two methods a cell.
    fn taxonomy(&self, p: &mut String, rng: &mut Pcg64Mcg, table: &mut usize, lang: Lang) {
        p.push_str(
            "{{< table-caption >}}\n| Category | General Mechanism | Example Models and Methods |\n|---|---|---|\n",
        );
        let mechanisms: Vec<&String> = self.model.mechanisms.iter().take(4).collect();
        for section in 3..7 {
            let category = format!("{} {}", self.words(rng, Lang::En, 2, true), self.words(rng, Lang::En, 1, true));
            for (k, mechanism) in mechanisms.iter().enumerate() {
                let first = match k {
                    0 => format!("**{category}**"),
                    1 => format!("(**Section {section}**)"),
                    _ => String::new(),
                };
                let methods: Vec<String> = (0..2)
                    .map(|_| {
                        let name = self.words(rng, Lang::En, 1, true).replace(' ', "");
                        let author = self.model.authors[rng.random_range(0..self.model.authors.len())]
                            .split_whitespace()
                            .last()
                            .unwrap_or("Wu")
                            .to_owned();
                        let year = rng.random_range(2019..2026);
                        let suffix = ["", "a", "b", "c"][rng.random_range(0..4)];
                        format!("{name}-{} {author} et al. ({year}{suffix})", rng.random_range(1..9))
                    })
                    .collect();
                let _ = writeln!(p, "| {first} | {mechanism} (Sec. {section}.{}) | {} |", k + 1, methods.join(", "));
            }
        }
        let n = *table;
        *table += 1;
        let description = self.sentences(rng, lang, 60);
        let _ = write!(
            p,
            "{{{{< /table-caption >}}}}\n\n> 🔼 {description}\n> <details>\n> <summary>read the caption</summary>\n> Table {n}: Overview of techniques by category and mechanism.\n> </details>\n\n\n\n"
        );
    }

    fn word(&self, rng: &mut Pcg64Mcg, lang: Lang) -> String {
        let (zipf, vocab) = match lang {
            Lang::Ko if !self.model.vocab_ko.is_empty() => (&self.zipf_ko, &self.model.vocab_ko),
            _ => (&self.zipf_en, &self.model.vocab_en),
        };
        let rank = zipf.sample(rng.random());
        match vocab.get(rank) {
            Some(w) => w.clone(),
            None => invented_word(rank, lang == Lang::Ko && !self.model.vocab_ko.is_empty()),
        }
    }

    fn words(&self, rng: &mut Pcg64Mcg, lang: Lang, n: usize, title_case: bool) -> String {
        let mut out = String::new();
        for k in 0..n {
            if k > 0 {
                out.push(' ');
            }
            let w = self.word(rng, lang);
            if title_case || k == 0 {
                let mut chars = w.chars();
                if let Some(c) = chars.next() {
                    out.extend(c.to_uppercase());
                    out.push_str(chars.as_str());
                }
            } else {
                out.push_str(&w);
            }
        }
        out
    }

    /// About `total` words of sentences of 8 to 24 words.
    fn sentences(&self, rng: &mut Pcg64Mcg, lang: Lang, total: usize) -> String {
        let mut out = String::new();
        let mut left = total.max(1);
        while left > 0 {
            let n = rng.random_range(8..25).min(left);
            left -= n;
            if !out.is_empty() {
                out.push(' ');
            }
            let mut sentence = self.words(rng, lang, n, false);
            if n > 6 && rng.random_ratio(1, 5) {
                // Reviews bold a key phrase now and then.
                let cut = sentence.find(' ').unwrap_or(sentence.len());
                sentence.insert_str(cut, "**");
                sentence.insert_str(0, "**");
            }
            out.push_str(&sentence);
            out.push('.');
        }
        out
    }

    /// About `total` words in paragraphs of 60 to 120 words.
    fn paragraphs(&self, rng: &mut Pcg64Mcg, lang: Lang, total: usize) -> String {
        let mut out = String::new();
        let mut left = total.max(1);
        while left > 0 {
            let n = rng.random_range(60..121).min(left);
            left -= n;
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&self.sentences(rng, lang, n));
        }
        out
    }
}

/// Text made safe inside a double-quoted YAML string.
fn yaml_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One value drawn from a real distribution, or `fallback` when there is none.
fn bootstrap(rng: &mut Pcg64Mcg, values: &[usize], fallback: usize) -> usize {
    if values.is_empty() { fallback } else { values[rng.random_range(0..values.len())] }
}

/// A pronounceable word for a rank past the real vocabulary; the same rank always gives
/// the same word.
fn invented_word(rank: usize, korean: bool) -> String {
    const LATIN: [&str; 32] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "pa", "do", "gu", "re", "ti", "bo", "fa", "xe", "qui",
        "na", "mo", "li", "se", "tu", "ve", "zo", "ha", "je", "ko", "pu", "ri", "so", "ta",
    ];
    const HANGUL: [&str; 16] =
        ["가", "나", "다", "라", "마", "바", "사", "아", "자", "차", "카", "타", "파", "하", "모", "델"];
    let mut out = String::new();
    let mut n = rank;
    loop {
        if korean {
            out.push_str(HANGUL[n % HANGUL.len()]);
            n /= HANGUL.len();
        } else {
            out.push_str(LATIN[n % LATIN.len()]);
            n /= LATIN.len();
        }
        if n == 0 {
            break;
        }
    }
    if !korean && out.len() < 5 {
        out.push_str("tron");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_favours_low_ranks() {
        let z = Zipf::new(1000, 1.0);
        assert_eq!(z.sample(0.0), 0);
        assert!(z.sample(0.5) < 100);
        assert_eq!(z.sample(0.999_999_9), 999);
    }

    #[test]
    fn yaml_strings_are_escaped() {
        assert_eq!(yaml_escape(r#"a\frac "b""#), r#"a\\frac \"b\""#);
    }

    #[test]
    fn days_to_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_875), "2024-06-01");
    }

    #[test]
    fn invented_words_are_stable_and_distinct() {
        assert_eq!(invented_word(12345, false), invented_word(12345, false));
        assert_ne!(invented_word(12345, false), invented_word(12346, false));
    }
}
