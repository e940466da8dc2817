//! What one search may ask for. Every limit is checked before the query is parsed or
//! anything is allocated for it, so no query text or paging value can recurse deeply,
//! allocate without bound or run for long. The README lists them.

use crate::error::{Error, Result};

/// Longest query text, in bytes (a pasted abstract fits).
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Most words (terms, as the analyzer splits them) in one query.
pub const MAX_QUERY_TERMS: usize = 1024;
/// Most words with a prefix (`word*`) or with typo tolerance in one query: each is
/// matched against the whole term dictionary.
pub const MAX_EXPANDED_TERMS: usize = 64;
/// Deepest nesting of parentheses.
pub const MAX_NESTING: usize = 32;
/// Most hits one search returns.
pub const MAX_LIMIT: usize = 10_000;
/// Most hits one search may skip.
pub const MAX_OFFSET: usize = 100_000;

/// Checks the paging values of a search.
pub fn check_paging(limit: usize, offset: usize) -> Result<()> {
    if limit > MAX_LIMIT {
        return Err(Error::BadArgument(format!("limit {limit} is more than the {MAX_LIMIT} hits one search returns")));
    }
    if offset > MAX_OFFSET {
        return Err(Error::BadArgument(format!(
            "offset {offset} is more than the {MAX_OFFSET} hits a search may skip; narrow the search with filters instead"
        )));
    }
    Ok(())
}

/// Checks the query text before it is parsed.
pub fn check_query(text: &str, fuzzy: bool) -> Result<()> {
    let too_big = |message: String| Error::QueryTooLarge { message };
    if text.len() > MAX_QUERY_BYTES {
        return Err(too_big(format!("the query is {} bytes long; at most {MAX_QUERY_BYTES} are searched", text.len())));
    }
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_NESTING {
        return Err(too_big(format!("the query nests parentheses {deepest} deep; at most {MAX_NESTING} are allowed")));
    }
    // Operators and signs count as words too: each is a node the parser builds.
    let words = text.split_whitespace().count();
    let terms = crate::index::tokenizer::terms(text).len();
    if words.max(terms) > MAX_QUERY_TERMS {
        return Err(too_big(format!(
            "the query has {} words; a query may have at most {MAX_QUERY_TERMS}",
            words.max(terms)
        )));
    }
    let expanded = if fuzzy { terms } else { text.split_whitespace().filter(|w| w.ends_with('*')).count() };
    if expanded > MAX_EXPANDED_TERMS {
        let what = if fuzzy { "words with typo tolerance" } else { "prefix words (`word*`)" };
        return Err(too_big(format!("the query has {expanded} {what}; a query may have at most {MAX_EXPANDED_TERMS}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_at_their_edges() {
        assert!(check_query(&"a ".repeat(MAX_QUERY_TERMS), false).is_ok());
        assert!(check_query(&"a ".repeat(MAX_QUERY_TERMS + 1), false).is_err());
        assert!(check_query(&format!("{}a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING)), false).is_ok());
        assert!(check_query(&format!("{}a", "(".repeat(MAX_NESTING + 1)), false).is_err());
        assert!(check_query(&"x".repeat(MAX_QUERY_BYTES + 1), false).is_err());
        assert!(check_query(&"ab* ".repeat(MAX_EXPANDED_TERMS + 1), false).is_err());
        assert!(check_query(&"word ".repeat(MAX_EXPANDED_TERMS + 1), true).is_err());
        assert!(check_paging(MAX_LIMIT, MAX_OFFSET).is_ok());
        assert!(check_paging(MAX_LIMIT + 1, 0).is_err());
        assert!(check_paging(10, usize::MAX).is_err());
    }
}
