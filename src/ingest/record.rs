//! The plain records a review page yields: the page, its captions and its method
//! entries, plus the problems met while reading it. No search-engine types here.

use std::fmt;

use serde::Serialize;

/// One review page: front matter, shortcode metadata and the review's own sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    /// The arXiv id (from the `keyword` shortcode, else the folder name).
    pub id: String,
    /// `en`, `ko`, ...: the `index.<lang>.md` suffix, else detected from the script.
    pub lang: String,
    pub title: String,
    pub summary: String,
    /// Front-matter categories as written (`🤗 Daily Papers`).
    pub categories: Vec<String>,
    /// Plain tags (`Computer Vision`).
    pub topics: Vec<String>,
    /// Tags that start with 🏢, without the emoji.
    pub affiliations: Vec<String>,
    /// Dates carried by 🔖 and 🤗 tags, as `YYYY-MM-DD`.
    pub tag_dates: Vec<String>,
    /// Front-matter `date`, as `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The 🤗 keyword's date, where present.
    pub review_date: Option<String>,
    /// The `writer` keyword (template filler is not an author).
    pub authors: Option<String>,
    pub links: Vec<Link>,
    /// The `lead` block.
    pub tldr: String,
    pub takeaways: Vec<String>,
    pub why_it_matters: String,
    pub insights: Vec<Insight>,
    /// The path the page was read from.
    pub source: String,
    /// BLAKE3 of the file's bytes, hex.
    pub content_hash: String,
}

/// A link button of the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// `arXiv`, `Hugging Face`, `Papers with Code`, or the button's own text.
    pub label: String,
    pub url: String,
}

/// One "In-depth insights" section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Insight {
    pub heading: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptionKind {
    Figure,
    Chart,
    Table,
}

impl CaptionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptionKind::Figure => "figure",
            CaptionKind::Chart => "chart",
            CaptionKind::Table => "table",
        }
    }
}

impl fmt::Display for CaptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A figure, chart or table caption: one per `> 🔼` blockquote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caption {
    pub page_id: String,
    /// 0-based order of the caption in its page.
    pub position: usize,
    pub kind: CaptionKind,
    /// `Figure 3`, `Table 1`, when the caption text starts with one.
    pub label: Option<String>,
    /// The paper's own caption (inside `<details>`).
    pub caption: String,
    /// The AI-written description (the 🔼 text).
    pub description: String,
    /// A table's cells as text, rows on their own lines.
    pub table_text: String,
    pub image: Option<String>,
}

/// One row entry of a survey's taxonomy table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodEntry {
    pub page_id: String,
    pub name: String,
    /// `Yong et al. (2023)`.
    pub citation: String,
    pub year: Option<u16>,
    pub category: String,
    pub mechanism: String,
    /// `3.1` from `Instruction (Sec. 3.1)`.
    pub section: Option<String>,
    /// The label of the table the entry came from (`Table 1`).
    pub table_label: Option<String>,
}

/// Everything one file yields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageRecords {
    pub page: Page,
    pub captions: Vec<Caption>,
    pub methods: Vec<MethodEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file yielded its records anyway.
    Warning,
    /// The file yielded nothing.
    Error,
}

/// Something wrong with one file, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub line: Option<usize>,
    pub severity: Severity,
    pub reason: String,
}

impl Problem {
    pub fn error(path: &str, line: Option<usize>, reason: impl Into<String>) -> Self {
        Problem { path: path.to_owned(), line, severity: Severity::Error, reason: reason.into() }
    }

    pub fn warning(path: &str, line: Option<usize>, reason: impl Into<String>) -> Self {
        Problem { path: path.to_owned(), line, severity: Severity::Warning, reason: reason.into() }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.line {
            Some(line) => write!(f, "{level}: {}:{line}: {}", self.path, self.reason),
            None => write!(f, "{level}: {}: {}", self.path, self.reason),
        }
    }
}
