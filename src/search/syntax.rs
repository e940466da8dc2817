//! Reading a query as people type and paste it. Well-formed syntax keeps its meaning
//! (`title:diffusion`, `"a phrase"`, `(a OR b)`, `-word`, `word*`); anything else is read
//! as words: `Agents:` or `3:1` (no such field), a URL, a lone or trailing `OR`, an
//! apostrophe at a word's edge, an unbalanced quote or parenthesis (said in a warning).
//! It works on the syntax tree of tantivy's grammar, parsed leniently, and on the errors
//! the grammar reports with their positions; `--strict` parses strictly instead.

use tantivy::query_grammar::{Delimiter, Occur, UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral};

use crate::index::schema::TEXT_FIELDS;
use crate::index::tokenizer::terms;

/// Fields a query may name besides the text fields.
const KEY_FIELDS: &[&str] = &["id", "page_id"];

/// How a query was read.
pub struct Reading {
    pub ast: UserInputAst,
    /// What the user should know: an unbalanced quote or parenthesis read as words.
    pub warnings: Vec<String>,
}

/// Marks `word*` (unquoted: the grammar only reads a prefix after a quoted phrase) as a
/// prefix word, in both readings of a query.
pub fn prefixes(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(clauses) => {
            UserInputAst::Clause(clauses.into_iter().map(|(occur, sub)| (occur, prefixes(sub))).collect())
        }
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(prefixes(*inner)), boost),
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(mut l)
                if l.delimiter == Delimiter::None
                    && l.phrase.len() > 1
                    && l.phrase.find('*') == Some(l.phrase.len() - 1) =>
            {
                l.phrase.pop();
                l.prefix = true;
                UserInputAst::from(UserInputLeaf::Literal(l))
            }
            // One Hangul or CJK character: the index holds such text as overlapping
            // pairs (`모델` is `모델`, not `모`), so alone it would match only where it
            // stands alone; it is read as the start of the pairs (`모*`).
            UserInputLeaf::Literal(mut l)
                if l.delimiter == Delimiter::None
                    && l.phrase.chars().count() == 1
                    && l.phrase.chars().all(crate::index::tokenizer::is_cjk) =>
            {
                l.prefix = true;
                UserInputAst::from(UserInputLeaf::Literal(l))
            }
            other => UserInputAst::from(other),
        },
    }
}

/// The query tantivy's grammar reads from lower-case letters, digits and spaces alone
/// (each word a literal, ANDed by the parser's default), built without running the
/// grammar: most queries are such words, and the grammar costs more than the rest of
/// reading them. `None` for anything else.
fn lower_case_words(text: &str) -> Option<UserInputAst> {
    if !text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' ') {
        return None;
    }
    literals(text.split(' ').filter(|w| !w.is_empty()).collect())
}

/// Gives every group made only of exclusions, at any depth, an "everything" to exclude
/// from: alone, such a group matches nothing, so `NOT (NOT video)` would match every
/// record and `model (-video)` none. The "everything" scores nothing, so `model (-video)`
/// scores as `model -video`. An exclusion of such a group (`NOT (NOT video)`, `-(-a -b)`)
/// is what it excludes, required and scored (`video`, `(a OR b)`), where that keeps the
/// same records: beside a required clause, or with no optional one.
pub fn complete_exclusions(ast: &mut UserInputAst) {
    match ast {
        UserInputAst::Clause(clauses) => {
            complete_clauses(clauses);
            if !clauses.is_empty() && clauses.iter().all(|(occur, _)| *occur == Some(Occur::MustNot)) {
                let everything = UserInputAst::Boost(Box::new(UserInputAst::from(UserInputLeaf::All)), 0.0.into());
                clauses.insert(0, (Some(Occur::Must), everything));
            }
        }
        UserInputAst::Boost(inner, _) => complete_exclusions(inner),
        UserInputAst::Leaf(_) => {}
    }
}

/// [`complete_exclusions`] for the clauses of one group (the whole query's among them).
pub fn complete_clauses(clauses: &mut [(Option<Occur>, UserInputAst)]) {
    let required = clauses.iter().any(|(occur, _)| matches!(occur, None | Some(Occur::Must)));
    let optional = clauses.iter().any(|(occur, _)| *occur == Some(Occur::Should));
    for (occur, sub) in clauses.iter_mut() {
        if *occur == Some(Occur::MustNot)
            && (required || !optional)
            && let UserInputAst::Clause(inner) = sub
            && !inner.is_empty()
            && inner.iter().all(|(o, _)| *o == Some(Occur::MustNot))
        {
            let mut excluded: Vec<(Option<Occur>, UserInputAst)> =
                std::mem::take(inner).into_iter().map(|(_, ast)| (Some(Occur::Should), ast)).collect();
            *occur = Some(Occur::Must);
            *sub = match excluded.len() {
                1 => excluded.pop().map(|(_, ast)| ast).expect("one clause"),
                _ => UserInputAst::Clause(excluded),
            };
        }
        complete_exclusions(sub);
    }
}

/// The byte of the `(` that a `)` right after `before` closes, if any.
fn opening_paren(before: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => return Some(i),
            '(' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Parses `text` leniently and turns whatever is not well-formed syntax into words.
pub fn forgiving(text: &str) -> Reading {
    let (numbered, marks) = slops_and_boosts(text);
    let mut warnings: Vec<String> = marks.into_iter().map(|m| m.warning).collect();
    let unmarked = stray_marks_as_spaces(&numbered);
    let text = unmarked.as_ref();
    if let Some(ast) = lower_case_words(text) {
        return Reading { ast: words_where_not_syntax(ast).unwrap_or_else(UserInputAst::empty_query), warnings };
    }
    let (ast, errors) = tantivy::query_grammar::parse_query_lenient(text);
    // A quote that is never closed would make the rest one phrase: the words are read
    // as words, the quote as a space.
    let open_quote = text.rfind(['"', '\'']).filter(|_| errors.iter().any(|e| e.message.contains("delimiter")));
    let ast = match open_quote {
        Some(at) => {
            let mut unquoted = text.to_owned();
            unquoted.replace_range(at..at + 1, " ");
            tantivy::query_grammar::parse_query_lenient(&unquoted).0
        }
        None => ast,
    };
    let column_of = |byte: usize| text.get(..byte.min(text.len())).map_or(1, |s| s.chars().count() + 1);
    for e in &errors {
        // Where the user can see the cause: the quote or parenthesis left open.
        let found = if e.message.contains("delimiter") {
            open_quote.map(|at| (at, "a quote that is never closed"))
        } else if e.message.contains("expected ')'") {
            unclosed_paren(text).map(|at| (at, "a `(` that is never closed"))
        } else if e.message.contains("unparsed end of query") && text[e.pos.min(text.len())..].starts_with(')') {
            // `x=(video)`: the `(` inside a word is part of the word, so its `)` closes
            // no group; say where the `(` is.
            Some(match opening_paren(&text[..e.pos.min(text.len())]) {
                Some(at) => (at, "a `(` inside a word, which does not open a group"),
                None => (e.pos, "a `)` that closes nothing"),
            })
        } else {
            None
        };
        if let Some((at, what)) = found {
            let warning = format!("read the query as words around column {}: {what}", column_of(at));
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
        }
    }
    // `kind:page`, `lang:ko`: a field records are filtered on, not searched in, is read as
    // words (as `Agents:` in a pasted title), and the user is told where the filter is.
    let mut named = Vec::new();
    named_fields(&ast, &mut named);
    for field in named.into_iter().filter(|f| !known_field(f)) {
        let lower = field.to_lowercase();
        let warning = if crate::index::schema::facet_field(&lower).is_some() {
            format!(
                "`{field}:` was read as words: `{lower}` is a facet, not a field words are searched in; filter on it with `--filter {lower}=VALUE`"
            )
        } else if known_field(&lower) {
            // `Title:video`: field names are lower-case; `Summary: ...` may be pasted text.
            format!("`{field}:` was read as words: field names are lower-case (`{lower}:`)")
        } else {
            continue;
        };
        if !warnings.contains(&warning) {
            warnings.push(warning);
        }
    }
    Reading { ast: words_where_not_syntax(prefixes(ast)).unwrap_or_else(UserInputAst::empty_query), warnings }
}

/// The fields `ast` names, in order.
fn named_fields(ast: &UserInputAst, out: &mut Vec<String>) {
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().for_each(|(_, sub)| named_fields(sub, out)),
        UserInputAst::Boost(inner, _) => named_fields(inner, out),
        UserInputAst::Leaf(leaf) => {
            let field = match leaf.as_ref() {
                UserInputLeaf::Literal(l) => l.field_name.as_deref(),
                UserInputLeaf::Range { field, .. }
                | UserInputLeaf::Set { field, .. }
                | UserInputLeaf::Regex { field, .. } => field.as_deref(),
                UserInputLeaf::Exists { field } => Some(field.as_str()),
                UserInputLeaf::All => None,
            };
            out.extend(field.map(str::to_owned));
        }
    }
}

/// The largest slop of a phrase in `ast`.
pub fn largest_slop(ast: &UserInputAst) -> u32 {
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().map(|(_, sub)| largest_slop(sub)).max().unwrap_or(0),
        UserInputAst::Boost(inner, _) => largest_slop(inner),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(l) => l.slop,
            _ => 0,
        },
    }
}

/// The first field `ast` names that queries may not name (`kind:`, `seq:`): a strict
/// reading refuses it, where the forgiving one reads it as a word.
pub fn unknown_field(ast: &UserInputAst) -> Option<String> {
    let mut named = Vec::new();
    named_fields(ast, &mut named);
    named.into_iter().find(|f| !known_field(f))
}

/// The largest slop of a phrase: tantivy counts the slop spent in a byte.
pub const MAX_SLOP: u32 = 255;

/// `text` with each phrase's slop and each boost that is not one read as spaces, and a
/// slop past [`MAX_SLOP`] read as it, each said in a warning: `"a b"~abc` and `"a b"~-1`
/// matched nothing or excluded the number, `video^-2` excluded `2`, and `"a b"~5000000000`
/// matched nothing. The marks become spaces (a number its own digits), so columns stay
/// where they were.
fn slops_and_boosts(text: &str) -> (std::borrow::Cow<'_, str>, Vec<Mark>) {
    let mut warnings = Vec::new();
    if !text.contains(['~', '^']) {
        return (text.into(), warnings);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = chars.clone();
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            quoted = !quoted;
            i += 1;
            continue;
        }
        let after_phrase = c == '~' && !quoted && i > 0 && chars[i - 1] == '"';
        let end = (i + 1..chars.len()).find(|&j| chars[j].is_whitespace() || matches!(chars[j], ')' | '^' | '"'));
        let end = end.unwrap_or(chars.len());
        let bad_boost = c == '^' && !quoted && i > 0 && !chars[i - 1].is_whitespace() && !is_boost(&chars[i + 1..end]);
        if !after_phrase && !bad_boost {
            i += 1;
            continue;
        }
        let mark: String = chars[i..end].iter().collect();
        let digits = &chars[i + 1..end];
        if after_phrase && !digits.is_empty() && digits.iter().all(char::is_ascii_digit) {
            let slop: String = digits.iter().collect();
            if slop.parse::<u32>().is_ok_and(|n| n <= MAX_SLOP) {
                i = end;
                continue;
            }
            let max = MAX_SLOP.to_string();
            for (j, slot) in out[i + 1..end].iter_mut().enumerate() {
                *slot = max.chars().nth(j).unwrap_or(' ');
            }
            warnings.push(Mark {
                warning: format!("a phrase's slop is at most {MAX_SLOP} words: `{mark}` was read as `~{MAX_SLOP}`"),
                refusal: format!("a phrase's slop is at most {MAX_SLOP} words"),
                column: i + 1,
            });
        } else {
            out[i..end].iter_mut().for_each(|slot| *slot = ' ');
            let (what, why) = if after_phrase {
                ("after a phrase ", "a phrase's slop is a whole number of words (`\"a b\"~2`)")
            } else {
                ("", "a boost is a positive number (`video^2`, `video^0.5`)")
            };
            warnings.push(Mark {
                warning: format!("`{mark}` {what}was left out: {why}"),
                refusal: format!("`{mark}` {what}is not read: {why}"),
                column: i + 1,
            });
        }
        i = end;
    }
    (out.into_iter().collect::<String>().into(), warnings)
}

/// A phrase's slop or a boost the grammar would misread.
pub struct Mark {
    /// What a forgiving reading says it did with it.
    pub warning: String,
    /// Why a strict reading refuses it.
    pub refusal: String,
    /// Its 1-based column.
    pub column: usize,
}

/// The first slop or boost of `text` the grammar would misread (`video^1e3`, `"a b"~x`),
/// for a strict reading to refuse.
pub fn misread_mark(text: &str) -> Option<Mark> {
    slops_and_boosts(text).1.into_iter().next()
}

/// Whether what follows a `^` is a boost the grammar reads whole (`2`, `1.5`), or
/// no number at all (`C^abc`, read as words by [`stray_marks_as_spaces`]): `^-2`, `^1e3`,
/// `^2x`, `^.5` and `^nan` are numbers the grammar would cut short or refuse.
fn is_boost(after: &[char]) -> bool {
    let text: String = after.iter().collect();
    let numeric = text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    let special = matches!(text.to_ascii_lowercase().as_str(), "nan" | "inf" | "infinity");
    if !numeric && !special {
        return true;
    }
    let plain = text.starts_with(|c: char| c.is_ascii_digit())
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1;
    plain && text.parse::<f32>().is_ok_and(f32::is_finite)
}

/// `text` with each `^` that boosts nothing and each `\` that escapes no syntax read as
/// a space (outside quotes and regular expressions): the grammar drops the word after a
/// stray mark (`^video`, `video ^generation` and `video^ generation` found nothing or
/// one word fewer; `\theta` found nothing, it is `theta`). A boost is `^` and a number right after a word, a
/// phrase or a group (`video^2`, `"video generation"^1.5`). Each mark becomes one space,
/// so columns stay where they were.
fn stray_marks_as_spaces(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['^', '\\']) {
        return text.into();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let (mut quoted, mut regex) = (false, false);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let stray = match c {
            '"' if !regex => {
                quoted = !quoted;
                false
            }
            '/' if !quoted && (regex || before == Some(':')) => {
                regex = !regex;
                false
            }
            _ if quoted || regex => false,
            '^' => {
                let number = match after {
                    Some(d) if d.is_ascii_digit() => true,
                    Some('.') => chars.get(i + 2).is_some_and(char::is_ascii_digit),
                    _ => false,
                };
                !(number && before.is_some_and(|b| !b.is_whitespace() && !matches!(b, '^' | '(' | ':')))
            }
            '\\' => after.is_none_or(char::is_alphanumeric),
            _ => false,
        };
        out.push(if stray { ' ' } else { c });
    }
    out.into()
}

/// The byte position of the last `(` that no `)` closes (outside quotes).
fn unclosed_paren(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => open.push(i),
            ')' if !quoted => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// The text as nothing but words: every character that is not a letter or a digit is a
/// space.
pub fn plain_words(text: &str) -> UserInputAst {
    word(&text.replace(|c: char| !c.is_alphanumeric(), " ")).unwrap_or_else(UserInputAst::empty_query)
}

/// True when `name` is a field queries may name.
pub fn known_field(name: &str) -> bool {
    TEXT_FIELDS.iter().any(|f| f.name == name) || KEY_FIELDS.contains(&name)
}

fn is_scheme(field: &str) -> bool {
    matches!(field.to_ascii_lowercase().as_str(), "http" | "https" | "ftp" | "file")
}

fn is_operator(word: &str) -> bool {
    matches!(word, "AND" | "OR" | "NOT" | "&&" | "||")
}

/// Plain words for the query, as if typed with no syntax: one literal per
/// whitespace-separated word (a word the analyzer splits, `fine-tuning`, stays a phrase).
fn word(text: &str) -> Option<UserInputAst> {
    literals(text.split_whitespace().filter(|w| !terms(w).is_empty()).collect())
}

/// The words as the grammar reads words with no syntax: one literal alone, several
/// literals in a clause (ANDed by the parser's default); `None` for no word.
fn literals(words: Vec<&str>) -> Option<UserInputAst> {
    let literal = |w: &str| {
        UserInputAst::from(UserInputLeaf::Literal(UserInputLiteral {
            field_name: None,
            phrase: w.to_owned(),
            delimiter: Delimiter::None,
            slop: 0,
            prefix: false,
        }))
    };
    match words[..] {
        [] => None,
        [one] => Some(literal(one)),
        _ => Some(UserInputAst::Clause(words.into_iter().map(|w| (None, literal(w))).collect())),
    }
}

/// Rewrites the tree: leaves that name no known field become words, leaves with no word
/// in them go, and operators left standing alone are dropped. `None` when nothing is left.
fn words_where_not_syntax(ast: UserInputAst) -> Option<UserInputAst> {
    match ast {
        UserInputAst::Clause(clauses) => {
            let many = clauses.len() > 1;
            let mut out: Vec<(Option<Occur>, UserInputAst)> = Vec::with_capacity(clauses.len());
            let mut after_scheme = false;
            for (occur, sub) in clauses {
                // A link (`https://host/a/b` reads as `https:` then `host/a/b`): its
                // scheme and host are not what it is about; its path is.
                if let UserInputAst::Leaf(leaf) = &sub {
                    let scheme = match leaf.as_ref() {
                        UserInputLeaf::Literal(l) => l.field_name.as_deref(),
                        UserInputLeaf::Regex { field, .. } => field.as_deref(),
                        _ => None,
                    };
                    if scheme.is_some_and(is_scheme) {
                        after_scheme = true;
                        continue;
                    }
                }
                if std::mem::take(&mut after_scheme)
                    && let UserInputAst::Leaf(leaf) = &sub
                    && let UserInputLeaf::Literal(l) = leaf.as_ref()
                    && l.field_name.is_none()
                {
                    let path = l.phrase.split_once('/').map_or("", |(_, path)| path);
                    let path = path.replace(|c: char| !c.is_alphanumeric(), " ");
                    if let Some(words) = word(&path) {
                        out.push((occur, words));
                    }
                    continue;
                }
                // `physics OR` and a lone `AND` between words: an operator with nothing
                // on one side is not a word anyone searches for.
                if many
                    && let UserInputAst::Leaf(leaf) = &sub
                    && let UserInputLeaf::Literal(l) = leaf.as_ref()
                    && l.field_name.is_none()
                    && l.delimiter == Delimiter::None
                    && is_operator(&l.phrase)
                {
                    continue;
                }
                if let Some(sub) = words_where_not_syntax(sub) {
                    out.push((occur, sub));
                }
            }
            match out.len() {
                0 => None,
                _ => Some(UserInputAst::Clause(out)),
            }
        }
        UserInputAst::Boost(inner, boost) => {
            words_where_not_syntax(*inner).map(|i| UserInputAst::Boost(Box::new(i), boost))
        }
        UserInputAst::Leaf(leaf) => leaf_words(*leaf),
    }
}

fn leaf_words(leaf: UserInputLeaf) -> Option<UserInputAst> {
    match leaf {
        UserInputLeaf::Literal(mut literal) => {
            if let Some(field) = literal.field_name.take_if(|f| !known_field(f)) {
                // `Agents: A Survey`, `ratio 3:1`, `https://…`: the field is a word too.
                let rest = literal_words(literal);
                return match (word(&field), rest) {
                    (Some(f), Some(r)) => Some(UserInputAst::Clause(vec![(None, f), (None, r)])),
                    (f, r) => f.or(r),
                };
            }
            literal_words(literal)
        }
        UserInputLeaf::Range { field, lower, upper } => {
            // `[x]`, `{a TO b}` or `<(` in pasted text: brackets, not a range (the text
            // fields hold words, which have no order to range over).
            let bound = |b: &UserInputBound| match b {
                UserInputBound::Inclusive(t) | UserInputBound::Exclusive(t) => t.clone(),
                UserInputBound::Unbounded => String::new(),
            };
            let text = [field.unwrap_or_default(), bound(&lower), bound(&upper)].join(" ");
            word(&text.replace(|c: char| !c.is_alphanumeric(), " "))
        }
        UserInputLeaf::Set { field, elements } => {
            let text = [field.unwrap_or_default(), elements.join(" ")].join(" ");
            word(text.trim())
        }
        UserInputLeaf::Regex { field: Some(field), pattern } if !known_field(&field) => {
            word(&format!("{field} {pattern}"))
        }
        // `/paper-reviews/2501.09038/`: a pasted path, not an expression over no field.
        UserInputLeaf::Regex { field: None, pattern } => word(&pattern.replace(|c: char| !c.is_alphanumeric(), " ")),
        // `title:*` ("has a title") is not something the fields can answer: words.
        UserInputLeaf::Exists { field } => word(&field),
        other => Some(UserInputAst::from(other)),
    }
}

/// A literal, unless it holds no word (`//`, `-`, `?`).
fn literal_words(literal: UserInputLiteral) -> Option<UserInputAst> {
    if terms(&literal.phrase).is_empty() {
        return None;
    }
    Some(UserInputAst::from(UserInputLeaf::Literal(literal)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every part of an AST, spelled out (the grammar's own `Debug` leaves some out).
    fn spelled(ast: &UserInputAst) -> String {
        match ast {
            UserInputAst::Clause(clauses) => {
                let parts: Vec<String> = clauses.iter().map(|(o, sub)| format!("{o:?}:{}", spelled(sub))).collect();
                format!("Clause[{}]", parts.join(", "))
            }
            UserInputAst::Boost(inner, boost) => format!("Boost({}, {boost:?})", spelled(inner)),
            UserInputAst::Leaf(leaf) => match leaf.as_ref() {
                UserInputLeaf::Literal(l) => format!(
                    "Literal(field={:?}, phrase={:?}, delimiter={:?}, slop={}, prefix={})",
                    l.field_name, l.phrase, l.delimiter, l.slop, l.prefix
                ),
                other => format!("Other({other:?})"),
            },
        }
    }

    #[test]
    fn lower_case_words_read_as_the_grammar_reads_them() {
        for text in [
            "video",
            "video generation",
            "  video   generation models ",
            "3dv ton 2025",
            "a b c d e f",
            "and or not to",
        ] {
            let fast = lower_case_words(text).unwrap();
            let (slow, errors) = tantivy::query_grammar::parse_query_lenient(text);
            assert!(errors.is_empty(), "{text:?}");
            assert_eq!(spelled(&fast), spelled(&slow), "{text:?}");
        }
        for text in ["", "   ", "Video", "a-b", "x:y", "\"q\"", "a*", "AND", "é"] {
            assert!(lower_case_words(text).is_none(), "{text:?}");
        }
    }

    fn read(text: &str) -> String {
        format!("{:?}", forgiving(text).ast)
    }

    #[test]
    fn syntax_keeps_its_meaning() {
        assert_eq!(read("title:diffusion"), "\"title\":diffusion");
        assert_eq!(read("\"video generative models\""), "\"video generative models\"");
        assert_eq!(read("(a OR b) -c"), "(*(?a ?b) -c)");
        assert_eq!(read("phys*"), "phys*");
        assert_eq!(read("id:2501.09038"), "\"id\":2501.09038");
    }

    #[test]
    fn everything_else_is_words() {
        assert_eq!(read("GUI Agents: A Survey"), "(*GUI *(*Agents *A) *Survey)");
        assert_eq!(read("ratio 3:1"), "(*ratio *(*3 *1))");
        assert_eq!(read("physics OR"), "(*physics)");
        assert_eq!(read("OR"), "OR");
        assert_eq!(read("models' limited"), "(*models' *limited)");
        assert_eq!(read("10% of [x]"), "(*10% *of *x)");
        assert_eq!(read("/paper-reviews/2501.09038/"), "(*(*paper *reviews) *2501.09038/)");
        assert_eq!(read("title:*"), "title");
        assert_eq!(read("title:<("), "title");
        assert_eq!(read("see https://example.org/vision/transformers"), "(*see *(*vision *transformers))");
        assert_eq!(read("-"), "<emptyclause>");
    }

    #[test]
    fn unbalanced_quotes_and_parentheses_are_said() {
        let r = forgiving("\"unbalanced quote");
        assert_eq!(format!("{:?}", r.ast), "(*unbalanced *quote)");
        assert_eq!(r.warnings, ["read the query as words around column 1: a quote that is never closed"]);
        assert!(forgiving("x (a OR b").warnings[0].contains("column 3: a `(` that is never closed"));
        assert!(forgiving("(a OR b").warnings[0].contains("a `(` that is never closed"));
        assert!(forgiving("a)").warnings[0].contains("a `)` that closes nothing"));
        let inside = forgiving("x=(video)");
        assert_eq!(
            inside.warnings,
            ["read the query as words around column 3: a `(` inside a word, which does not open a group"]
        );
        assert!(forgiving("GUI Agents: A Survey").warnings.is_empty());
    }
}
