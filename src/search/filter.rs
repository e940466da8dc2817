//! Filters and facet requests: `--kind`, `--filter FIELD=VALUE`, `--facet FIELD[=PATH]`,
//! `--since` and `--until`, turned into tantivy queries and facet paths.

use std::collections::BTreeMap;
use std::ops::Bound;

use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{DateTime, Term};

use crate::error::{Error, Result};
use crate::index::Fields;
use crate::index::document::{date_value, label_facet};
use crate::index::schema::facet_names;

/// The record kinds `--kind` takes, and the facet path of each.
pub const KINDS: &[(&str, &str)] = &[
    ("page", "/page"),
    ("caption", "/caption"),
    ("figure", "/caption/figure"),
    ("chart", "/caption/chart"),
    ("table", "/caption/table"),
    ("method", "/method"),
];

/// The facet path of a `--kind` value.
pub fn kind_path(kind: &str) -> Result<&'static str> {
    let kind = kind.trim().trim_start_matches('/');
    KINDS.iter().find(|(k, p)| *k == kind || &p[1..] == kind).map(|(_, p)| *p).ok_or_else(|| {
        Error::BadArgument(format!(
            "unknown kind `{kind}`; valid kinds: {}",
            KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// The facet one `--filter FIELD=VALUE` value stands for.
pub fn filter_facet(field: &str, value: &str) -> Result<Facet> {
    match field {
        "kind" => Ok(Facet::from(kind_path(value)?)),
        "date" => date_path(value).ok_or_else(|| {
            Error::BadArgument(format!(
                "`{value}` is not a date filter; write /2025, /2025/01, /2025/01/17 or 2025-01-17"
            ))
        }),
        _ => label_facet(value.trim_start_matches('/'))
            .ok_or_else(|| Error::BadArgument(format!("`--filter {field}=` needs a value"))),
    }
}

/// `/2025/01`, `2025-01-17` or `2025` → the date facet path.
fn date_path(value: &str) -> Option<Facet> {
    let parts: Vec<&str> = value.trim().trim_start_matches('/').split(['/', '-']).filter(|p| !p.is_empty()).collect();
    let valid = !parts.is_empty() && parts.len() <= 3 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    valid.then(|| {
        let padded: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| if i > 0 && p.len() == 1 { format!("0{p}") } else { p.to_string() })
            .collect();
        Facet::from_path(padded)
    })
}

/// Splits `FIELD=VALUE` (quotes around the value are the shell's business).
pub fn split_assignment(text: &str) -> (String, Option<String>) {
    match text.split_once('=') {
        Some((f, v)) => (f.trim().to_lowercase(), Some(v.trim().to_owned())),
        None => (text.trim().to_lowercase(), None),
    }
}

fn facet_field(fields: &Fields, what: &'static str, name: &str) -> Result<tantivy::schema::Field> {
    fields.facet(name).ok_or_else(|| Error::UnknownFacetField { what, field: name.to_owned(), valid: facet_names() })
}

/// Builds the filter clauses: values of one field ORed, fields ANDed.
pub fn filter_clauses(fields: &Fields, kinds: &[String], filters: &[String]) -> Result<Vec<Box<dyn Query>>> {
    let mut by_field: BTreeMap<String, Vec<Facet>> = BTreeMap::new();
    for kind in kinds {
        by_field.entry("kind".into()).or_default().push(Facet::from(kind_path(kind)?));
    }
    for filter in filters {
        let (field, value) = split_assignment(filter);
        facet_field(fields, "filter", &field)?;
        let value = value.ok_or_else(|| Error::BadArgument(format!("`--filter {filter}` needs FIELD=VALUE")))?;
        by_field.entry(field.clone()).or_default().push(filter_facet(&field, &value)?);
    }
    let mut clauses: Vec<Box<dyn Query>> = Vec::new();
    for (name, facets) in by_field {
        let field = facet_field(fields, "filter", &name)?;
        let mut should: Vec<(Occur, Box<dyn Query>)> = facets
            .iter()
            .map(|f| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(Term::from_facet(field, f), IndexRecordOption::Basic));
                (Occur::Should, q)
            })
            .collect();
        if should.len() == 1 {
            clauses.push(should.pop().map(|(_, q)| q).expect("one clause"));
        } else {
            clauses.push(Box::new(BooleanQuery::new(should)));
        }
    }
    Ok(clauses)
}

/// A facet count request: `category` (from the top) or `date=/2025` (its children).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetRequest {
    pub name: String,
    pub field: tantivy::schema::Field,
    pub path: Facet,
}

pub fn facet_requests(fields: &Fields, specs: &[String]) -> Result<Vec<FacetRequest>> {
    specs
        .iter()
        .map(|spec| {
            let (name, value) = split_assignment(spec);
            let field = facet_field(fields, "facet", &name)?;
            let path = match value.as_deref() {
                None | Some("") | Some("/") => Facet::root(),
                Some(v) => filter_facet(&name, v)?,
            };
            Ok(FacetRequest { name, field, path })
        })
        .collect()
}

/// `--since`/`--until` as a range on the date field: since is the first day of the given
/// year, month or day; until is the last.
pub fn date_range(fields: &Fields, since: Option<&str>, until: Option<&str>) -> Result<Option<Box<dyn Query>>> {
    if since.is_none() && until.is_none() {
        return Ok(None);
    }
    let lower = match since {
        Some(s) => Bound::Included(Term::from_field_date_for_search(fields.date, period(s, false)?)),
        None => Bound::Unbounded,
    };
    let upper = match until {
        Some(s) => Bound::Excluded(Term::from_field_date_for_search(fields.date, period(s, true)?)),
        None => Bound::Unbounded,
    };
    Ok(Some(Box::new(RangeQuery::new(lower, upper))))
}

/// The start of a `YYYY`, `YYYY-MM` or `YYYY-MM-DD` period, or the start of the next one.
fn period(text: &str, next: bool) -> Result<DateTime> {
    let bad = || Error::BadArgument(format!("`{text}` is not a date; write YYYY, YYYY-MM or YYYY-MM-DD"));
    let parts: Vec<u32> = text.trim().split('-').map(|p| p.parse::<u32>().map_err(|_| bad())).collect::<Result<_>>()?;
    let (mut y, mut m, mut d) = match parts[..] {
        [y] => (y, 1, 1),
        [y, m] => (y, m, 1),
        [y, m, d] => (y, m, d),
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1..=9999).contains(&y) {
        return Err(bad());
    }
    let start = date_value(&format!("{y:04}-{m:02}-{d:02}")).ok_or_else(bad)?;
    if !next {
        return Ok(start);
    }
    match parts.len() {
        1 => y += 1,
        2 if m == 12 => (y, m) = (y + 1, 1),
        2 => m += 1,
        _ => return Ok(DateTime::from_timestamp_secs(start.into_timestamp_secs() + 86_400)),
    }
    d = 1;
    date_value(&format!("{y:04}-{m:02}-{d:02}")).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_paths() {
        assert_eq!(date_path("/2025/01").unwrap().to_path_string(), "/2025/01");
        assert_eq!(date_path("2025-1-17").unwrap().to_path_string(), "/2025/01/17");
        assert!(date_path("January").is_none());
    }

    #[test]
    fn periods() {
        let secs = |t: &str, next| period(t, next).unwrap().into_timestamp_secs();
        assert_eq!(secs("2025", true), secs("2026-01-01", false));
        assert_eq!(secs("2024-12", true), secs("2025-01-01", false));
        assert_eq!(secs("2025-01-31", true), secs("2025-02-01", false));
        assert!(period("2025-13", false).is_err());
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_path("table").unwrap(), "/caption/table");
        assert_eq!(kind_path("/method").unwrap(), "/method");
        assert!(kind_path("paper").unwrap_err().to_string().contains("valid kinds: page, caption"));
    }
}
