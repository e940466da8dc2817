//! An HTTP query string → the typed [`SearchRequest`], in one place. The values go
//! through the same parsers as the CLI's flags (`FacetFilter`, `FacetSpec`, `DatePath`,
//! `RecordKind`); a filter is `FIELD:VALUE` here and `FIELD=VALUE` on the command line,
//! and both forms are read. Errors name the parameter, never a flag.

use std::str::FromStr;

use clap::ValueEnum;

use crate::error::{Error, Result};
use crate::search::{FacetSpec, FacetUnit, Group, SearchRequest, Sort, limits};

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
    "exact_total",
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
        let pairs = raw
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let name = decode(name)
                    .map_err(|_| Error::BadArgument("a parameter name is not valid UTF-8 once decoded".into()))?;
                let value =
                    decode(value).map_err(|_| bad(&shown(&name), "the value is not valid UTF-8 once decoded"))?;
                Ok((name, value))
            })
            .collect::<Result<Vec<_>>>()?;
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
            Some((name, _)) if known.is_empty() => Err(Error::BadArgument(format!(
                "unknown parameter `{}`; this endpoint takes no parameters",
                shown(name)
            ))),
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

    /// `true`, `false`, `1`, `0`, `yes`, `no`; present with no value is true.
    fn flag(&self, name: &str) -> Result<bool> {
        match self.one(name)?.map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) => match v.as_str() {
                "" | "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(bad(name, &format!("`{}` is not true or false (nor 1, 0, yes, no)", shown(&v)))),
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
                    let message = match valid.as_slice() {
                        [only] => format!("`{}` is not `{only}`, the one value it takes", shown(v)),
                        _ => format!("`{}` is not one of {}", shown(v), valid.join(", ")),
                    };
                    bad(name, &message)
                })
            })
            .transpose()
    }
}

/// One `application/x-www-form-urlencoded` name or value decoded: `+` is a space, `%XX`
/// a byte (a `%` not followed by two hex digits stays itself); the bytes must be UTF-8.
fn decode(text: &str) -> std::result::Result<String, std::string::FromUtf8Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'+', ..) => out.push(b' '),
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            (b, ..) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
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
    // The search core checks these again; here its errors name the parameter.
    let limit = params.number("limit")?.unwrap_or(defaults.limit);
    limits::check_paging(limit, 0).map_err(|e| bad("limit", &e.to_string()))?;
    let offset = params.number("offset")?.unwrap_or(defaults.offset);
    limits::check_paging(0, offset).map_err(|e| bad("offset", &e.to_string()))?;
    Ok(SearchRequest {
        query: params.one("q")?.map(str::to_owned).filter(|q| !q.trim().is_empty()),
        kinds: params
            .all("kind")
            // `kind=page,method` as well as `kind=page&kind=method`; an empty one is an
            // error like any other value that is not a kind.
            .flat_map(|v| v.split(','))
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
        limit,
        offset,
        fuzzy: params.flag("fuzzy")?,
        strict: params.flag("strict")?,
        exact_total: params.flag("exact_total")?,
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
        assert!(message("group=pages").contains("`pages` is not `page`, the one value it takes"));
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
    fn an_empty_query_browses_but_an_empty_kind_is_refused() {
        let r = request("q=&limit=3").unwrap();
        assert!(r.query.is_none() && r.kinds.is_empty());
        assert_eq!(r.limit, 3);
        for bad in ["kind=", "kind=page,", "fuzzy=on", "strict=off"] {
            assert!(request(bad).unwrap_err().to_string().starts_with("parameter `"), "{bad}");
        }
    }

    #[test]
    fn values_are_decoded_strictly() {
        assert_eq!(request("q=a+b%20c%2").unwrap().query.as_deref(), Some("a b c%2"));
        assert_eq!(request("q=%C3%A9").unwrap().query.as_deref(), Some("é"));
        let e = request("q=%ff%fe").unwrap_err();
        assert_eq!(e.kind(), "bad_argument");
        assert!(e.to_string().contains("parameter `q`: the value is not valid UTF-8"), "{e}");
        let e = request("limit=10001").unwrap_err().to_string();
        assert!(e.starts_with("parameter `limit`: limit 10001 is more than the 10000"), "{e}");
        assert!(Params::parse(Some("")).unwrap().only(&[]).is_ok());
        let e = Params::parse(Some("x=1")).unwrap().only(&[]).unwrap_err().to_string();
        assert!(e.contains("takes no parameters"), "{e}");
    }
}
