//! An HTTP query string → the typed [`SearchRequest`], in one place. The values go
//! through the same parsers as the CLI's flags (`FacetFilter`, `FacetSpec`, `DatePath`,
//! `RecordKind`); a filter is `FIELD:VALUE` here and `FIELD=VALUE` on the command line,
//! and both forms are read. Errors name the parameter, never a flag.

use std::str::FromStr;

use clap::ValueEnum;

use crate::error::{Error, Result};
use crate::search::{FacetSpec, FacetUnit, Group, SearchRequest, Sort};

/// The longest query string read, in bytes (a pasted abstract and its filters fit).
pub const MAX_QUERY_STRING_BYTES: usize = 32 * 1024;
/// The most parameters one request may have.
pub const MAX_PARAMETERS: usize = 256;

/// The parameters of `/api/search` (and of `/api/facets/{field}`, which reads the same
/// narrowing ones).
pub const SEARCH_PARAMETERS: &[&str] = &[
    "q",
    "kind",
    "filter",
    "exclude",
    "facet",
    "facet_limit",
    "facet_count",
    "since",
    "until",
    "sort",
    "limit",
    "offset",
    "fuzzy",
    "strict",
    "group",
];

/// A query string split into its decoded `name=value` pairs, in order.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes a raw query string (without the `?`), checking its size first.
    pub fn parse(raw: Option<&str>) -> Result<Params> {
        let raw = raw.unwrap_or_default();
        if raw.len() > MAX_QUERY_STRING_BYTES {
            return Err(Error::QueryTooLarge {
                message: format!(
                    "the query string is {} bytes long; at most {MAX_QUERY_STRING_BYTES} are read",
                    raw.len()
                ),
            });
        }
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if pairs.len() > MAX_PARAMETERS {
            return Err(Error::QueryTooLarge {
                message: format!("the request has {} parameters; at most {MAX_PARAMETERS} are read", pairs.len()),
            });
        }
        Ok(Params { pairs })
    }

    /// Refuses any parameter not in `known` (a typo would otherwise be ignored silently).
    pub fn only(&self, known: &[&str]) -> Result<()> {
        match self.pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((name, _)) => Err(Error::BadArgument(format!(
                "unknown parameter `{}`; the parameters are: {}",
                shown(name),
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// Every value of a repeatable parameter, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of a parameter given at most once.
    pub fn one<'a>(&'a self, name: &'a str) -> Result<Option<&'a str>> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(Error::BadArgument(format!("parameter `{name}` is given more than once")));
        }
        Ok(first)
    }

    /// The value of a parameter given at most once, parsed.
    fn parsed<T: FromStr<Err = String>>(&self, name: &str) -> Result<Option<T>> {
        self.one(name)?.map(|v| v.parse().map_err(|e: String| bad(name, &e))).transpose()
    }

    /// Every value of a repeatable parameter, parsed.
    fn parsed_all<T: FromStr<Err = String>>(&self, name: &str) -> Result<Vec<T>> {
        self.all(name).map(|v| v.parse().map_err(|e: String| bad(name, &e))).collect()
    }

    fn number(&self, name: &str) -> Result<Option<usize>> {
        self.one(name)?
            .map(|v| v.trim().parse::<usize>().map_err(|_| bad(name, &format!("`{}` is not a whole number", shown(v)))))
            .transpose()
    }

    /// `true`, `false`, `1`, `0`, `yes`, `no`, `on`, `off`; present with no value is true.
    fn flag(&self, name: &str) -> Result<bool> {
        match self.one(name)?.map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) => match v.as_str() {
                "" | "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(bad(name, &format!("`{}` is not true or false", shown(&v)))),
            },
        }
    }

    fn choice<T: ValueEnum>(&self, name: &str) -> Result<Option<T>> {
        self.one(name)?
            .map(|v| {
                T::from_str(v.trim(), true).map_err(|_| {
                    let valid: Vec<String> = T::value_variants()
                        .iter()
                        .filter_map(|c| c.to_possible_value().map(|p| p.get_name().to_owned()))
                        .collect();
                    bad(name, &format!("`{}` is not one of {}", shown(v), valid.join(", ")))
                })
            })
            .transpose()
    }
}

fn bad(name: &str, why: &str) -> Error {
    Error::BadArgument(format!("parameter `{name}`: {why}"))
}

/// A value as it may be shown in a message: at most 80 characters, no control characters.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(80).map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// The search a query string asks for: every value parsed once, here.
pub fn search_request(params: &Params) -> Result<SearchRequest> {
    params.only(SEARCH_PARAMETERS)?;
    let defaults = SearchRequest::default();
    Ok(SearchRequest {
        query: params.one("q")?.map(str::to_owned).filter(|q| !q.trim().is_empty()),
        kinds: params
            .all("kind")
            // `kind=page,method` as well as `kind=page&kind=method`.
            .flat_map(|v| v.split(','))
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.parse().map_err(|e: String| bad("kind", &e)))
            .collect::<Result<_>>()?,
        filters: params.parsed_all("filter")?,
        excludes: params.parsed_all("exclude")?,
        facets: params.parsed_all::<FacetSpec>("facet")?,
        facet_limit: params.number("facet_limit")?,
        facet_unit: params.choice::<FacetUnit>("facet_count")?.unwrap_or_default(),
        group: params.choice::<Group>("group")?,
        since: params.parsed("since")?,
        until: params.parsed("until")?,
        sort: params.choice::<Sort>("sort")?,
        limit: params.number("limit")?.unwrap_or(defaults.limit),
        offset: params.number("offset")?.unwrap_or(defaults.offset),
        fuzzy: params.flag("fuzzy")?,
        strict: params.flag("strict")?,
        ..defaults
    })
}

/// The parameters of `/api/facets/{field}`: the parent path and the search's narrowing
/// ones (the query, kinds, filters, dates, how facets count).
pub const FACET_PARAMETERS: &[&str] =
    &["parent", "q", "kind", "filter", "exclude", "facet_limit", "facet_count", "since", "until", "fuzzy", "strict"];

/// The search behind one facet's counts: no hits, the facet `field` below `parent`.
pub fn facet_request(field: &str, params: &Params) -> Result<SearchRequest> {
    params.only(FACET_PARAMETERS)?;
    let text = match params.one("parent")? {
        Some(parent) if !parent.trim().is_empty() => format!("{field}:{parent}"),
        _ => field.to_owned(),
    };
    let spec: FacetSpec = text.parse().map_err(Error::BadArgument)?;
    let narrowing = Params { pairs: params.pairs.iter().filter(|(k, _)| k != "parent").cloned().collect() };
    Ok(SearchRequest { facets: vec![spec], limit: 0, ..search_request(&narrowing)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{FacetFilter, RecordKind};

    fn request(query: &str) -> Result<SearchRequest> {
        search_request(&Params::parse(Some(query))?)
    }

    #[test]
    fn parameters_become_typed_values() {
        let r = request(
            "q=video+gen&kind=method&kind=page,table&filter=category:Personalized%20MLLM%20Retrieval\
             &filter=mechanism=Alignment&exclude=lang:ko&facet=date:/2025&facet=category&since=2024-12\
             &until=2025&sort=-date&limit=5&offset=10&fuzzy=true&group=page",
        )
        .unwrap();
        assert_eq!(r.query.as_deref(), Some("video gen"));
        assert_eq!(r.kinds, [RecordKind::Method, RecordKind::Page, RecordKind::Table]);
        assert_eq!(
            r.filters,
            [
                FacetFilter { field: "category", value: "Personalized MLLM Retrieval".into() },
                FacetFilter { field: "mechanism", value: "Alignment".into() }
            ]
        );
        assert_eq!(r.excludes[0].value, "ko");
        assert_eq!(r.facets[0], FacetSpec { field: "date", parent: Some("/2025".into()) });
        assert_eq!(r.since.unwrap().first_day(), "2024-12-01");
        assert_eq!(r.until.unwrap().last_day(), "2025-12-31");
        assert_eq!(
            (r.sort, r.limit, r.offset, r.fuzzy, r.group),
            (Some(Sort::DateDesc), 5, 10, true, Some(Group::Page))
        );
    }

    #[test]
    fn bad_parameters_say_which_and_why() {
        let message = |q: &str| request(q).unwrap_err().to_string();
        assert!(message("limit=ten").contains("parameter `limit`: `ten` is not a whole number"));
        assert!(message("kind=paper").contains("parameter `kind`: unknown kind `paper`"));
        assert!(message("filter=colour:red").contains("unknown facet field `colour`"));
        assert!(message("since=2025-02-30").contains("parameter `since`"));
        assert!(message("sort=best").contains("is not one of relevance, date, -date"));
        assert!(message("q=a&q=b").contains("`q` is given more than once"));
        assert!(message("colour=red").contains("unknown parameter `colour`"));
        assert!(message("fuzzy=maybe").contains("not true or false"));
        assert!(!message("limit=ten").contains("--"));
        let long = format!("q={}", "a".repeat(MAX_QUERY_STRING_BYTES));
        assert_eq!(request(&long).unwrap_err().kind(), "query_too_large");
    }

    #[test]
    fn a_facet_request_counts_one_field_below_its_parent() {
        let r = facet_request("date", &Params::parse(Some("parent=/2025&kind=page&q=video")).unwrap()).unwrap();
        assert_eq!(r.facets, [FacetSpec { field: "date", parent: Some("/2025".into()) }]);
        assert_eq!((r.limit, r.query.as_deref(), r.kinds.as_slice()), (0, Some("video"), &[RecordKind::Page][..]));
        let e = facet_request("colour", &Params::default()).unwrap_err().to_string();
        assert!(e.contains("unknown facet field `colour`"), "{e}");
        assert!(facet_request("date", &Params::parse(Some("limit=3")).unwrap()).is_err());
    }

    #[test]
    fn empty_values_mean_unset() {
        let r = request("q=&kind=").unwrap();
        assert!(r.query.is_none() && r.kinds.is_empty());
        assert_eq!(r.limit, 10);
    }
}
