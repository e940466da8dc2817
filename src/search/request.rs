//! One search as typed values: record kinds, facet filters and exclusions, facet count
//! requests, date periods. Each front end (the CLI's flags, the bench's query files, an
//! HTTP query string) parses its text into these once; the search core never sees
//! `"FIELD=VALUE"`. Parse errors say what is wrong with the value, never which flag or
//! parameter carried it.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::index::schema::{FACET_FIELDS, facet_names};

/// The kinds of record a search can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    Page,
    /// Any caption: figure, chart or table.
    Caption,
    Figure,
    Chart,
    Table,
    Method,
}

impl RecordKind {
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Page,
        RecordKind::Caption,
        RecordKind::Figure,
        RecordKind::Chart,
        RecordKind::Table,
        RecordKind::Method,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Page => "page",
            RecordKind::Caption => "caption",
            RecordKind::Figure => "figure",
            RecordKind::Chart => "chart",
            RecordKind::Table => "table",
            RecordKind::Method => "method",
        }
    }

    /// Whether it is a kind of its own (page, caption, method), not a kind of caption.
    pub fn is_top_level(self) -> bool {
        matches!(self, RecordKind::Page | RecordKind::Caption | RecordKind::Method)
    }

    /// The `kind` facet path of the records of this kind.
    pub fn facet_path(self) -> &'static str {
        match self {
            RecordKind::Page => "/page",
            RecordKind::Caption => "/caption",
            RecordKind::Figure => "/caption/figure",
            RecordKind::Chart => "/caption/chart",
            RecordKind::Table => "/caption/table",
            RecordKind::Method => "/method",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = String;

    /// `table`, `caption/table` or `/caption/table`; any case.
    fn from_str(text: &str) -> Result<Self, String> {
        let wanted = text.trim().trim_start_matches('/').to_lowercase();
        RecordKind::ALL.into_iter().find(|k| k.as_str() == wanted || k.facet_path()[1..] == wanted).ok_or_else(|| {
            let valid: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown kind `{}`; valid kinds: {}", text.trim(), valid.join(", "))
        })
    }
}

/// A facet field's user-facing name, checked against the schema.
fn facet_field_name(text: &str) -> Result<&'static str, String> {
    let wanted = text.trim().to_lowercase();
    FACET_FIELDS
        .iter()
        .find(|f| f.name == wanted)
        .map(|f| f.name)
        .ok_or_else(|| format!("unknown facet field `{}`; valid fields: {}", text.trim(), facet_names()))
}

/// `FIELD=VALUE` (or `FIELD:VALUE`): keep (or, as an exclusion, drop) records whose
/// facet `field` has `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetFilter {
    pub field: &'static str,
    pub value: String,
}

impl FromStr for FacetFilter {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (field, value) = text
            .split_once(['=', ':'])
            .ok_or_else(|| format!("`{text}` is not FIELD=VALUE (e.g. category=Personalized MLLM Retrieval)"))?;
        let field = facet_field_name(field)?;
        let value = value.trim();
        if value.is_empty() || value == "/" {
            return Err(format!("`{text}` has no value after the field"));
        }
        if field == "kind" {
            RecordKind::from_str(value)?;
        }
        if field == "date" {
            DatePath::from_str(value)?;
        }
        Ok(FacetFilter { field, value: value.to_owned() })
    }
}

/// `FIELD` or `FIELD=PATH`: count hits per value of a facet field, or per child of
/// `PATH` (`date=/2025` counts months).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetSpec {
    pub field: &'static str,
    /// The parent path; `None` counts from the top.
    pub parent: Option<String>,
}

impl FromStr for FacetSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.split_once(['=', ':']) {
            None => Ok(FacetSpec { field: facet_field_name(text)?, parent: None }),
            Some((field, parent)) => {
                let field = facet_field_name(field)?;
                let parent = parent.trim();
                if parent.is_empty() || parent == "/" {
                    return Ok(FacetSpec { field, parent: None });
                }
                if field == "date" {
                    DatePath::from_str(parent)?;
                }
                Ok(FacetSpec { field, parent: Some(parent.to_owned()) })
            }
        }
    }
}

/// A year, a month or a day: `2025`, `2025-01`, `2025-01-17` (or `/2025/01/17`), each
/// checked against the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DatePath {
    pub year: u16,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

impl DatePath {
    /// The first day of the period, `YYYY-MM-DD`.
    pub fn first_day(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// The last day of the period, `YYYY-MM-DD`.
    pub fn last_day(self) -> String {
        let month = self.month.unwrap_or(12);
        let day = self.day.unwrap_or_else(|| days_in_month(self.year, month));
        format!("{:04}-{month:02}-{day:02}", self.year)
    }

    /// The facet path: `/2025/01`.
    pub fn facet_path(self) -> String {
        let mut path = format!("/{:04}", self.year);
        if let Some(m) = self.month {
            path.push_str(&format!("/{m:02}"));
        }
        if let Some(d) = self.day {
            path.push_str(&format!("/{d:02}"));
        }
        path
    }
}

impl fmt::Display for DatePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl FromStr for DatePath {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{}` is not a date; write YYYY, YYYY-MM or YYYY-MM-DD (or /YYYY/MM/DD)", text.trim());
        let parts: Vec<&str> = text.trim().trim_start_matches('/').split(['-', '/']).collect();
        if parts.is_empty()
            || parts.len() > 3
            || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let number = |p: &str| p.parse::<u16>().map_err(|_| bad());
        let year = number(parts[0])?;
        if !(1..=9999).contains(&year) || parts[0].len() != 4 {
            return Err(bad());
        }
        let month = parts.get(1).map(|m| number(m)).transpose()?.map(|m| m as u8);
        if month.is_some_and(|m| !(1..=12).contains(&m)) {
            return Err(format!("`{}` has no month {}", text.trim(), month.unwrap_or_default()));
        }
        let day = parts.get(2).map(|d| number(d)).transpose()?.map(|d| d as u8);
        if let (Some(m), Some(d)) = (month, day)
            && (d == 0 || d > days_in_month(year, m))
        {
            return Err(format!("`{}` is not a day of the calendar", text.trim()));
        }
        Ok(DatePath { year, month, day })
    }
}

/// How hits are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// One hit per page: its best record.
    Page,
}

/// What facet counts count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FacetUnit {
    /// Matching records.
    #[default]
    Records,
    /// Pages with a matching record.
    Pages,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_once_with_clear_errors() {
        assert_eq!("Caption/Table".parse::<RecordKind>(), Ok(RecordKind::Table));
        assert!("paper".parse::<RecordKind>().unwrap_err().contains("valid kinds: page, caption"));
        let f: FacetFilter = "Category=Personalized MLLM Retrieval".parse().unwrap();
        assert_eq!((f.field, f.value.as_str()), ("category", "Personalized MLLM Retrieval"));
        assert_eq!("affiliation:adobe research".parse::<FacetFilter>().unwrap().field, "affiliation");
        assert!("colour=red".parse::<FacetFilter>().unwrap_err().contains("unknown facet field `colour`"));
        assert!("category=".parse::<FacetFilter>().is_err());
        assert!("date=/2025/02/30".parse::<FacetFilter>().is_err());
        assert_eq!("date=/2025".parse::<FacetSpec>().unwrap().parent.as_deref(), Some("/2025"));
        assert_eq!("mechanism".parse::<FacetSpec>().unwrap(), FacetSpec { field: "mechanism", parent: None });
    }

    #[test]
    fn dates_follow_the_calendar() {
        assert!("2025-02-30".parse::<DatePath>().is_err());
        assert!("2023-02-29".parse::<DatePath>().is_err());
        assert_eq!("2024-02-29".parse::<DatePath>().unwrap().last_day(), "2024-02-29");
        assert_eq!("2024-02".parse::<DatePath>().unwrap().last_day(), "2024-02-29");
        assert_eq!("2025".parse::<DatePath>().unwrap().first_day(), "2025-01-01");
        assert_eq!("/2025/1/7".parse::<DatePath>().unwrap().facet_path(), "/2025/01/07");
        assert!("2025-13".parse::<DatePath>().is_err());
        assert!("25".parse::<DatePath>().is_err());
        assert!("January".parse::<DatePath>().is_err());
    }
}
