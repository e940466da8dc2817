//! The text part of a search: tantivy's query syntax, terms joined by AND, words and
//! phrases with no field ranked by BM25F over every text field (`rank`), a bonus for a
//! title that holds the whole query, pseudo-relevance feedback for long requests, optional
//! typo tolerance, and errors that point at the column where the query broke.

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, QueryParser, QueryParserError, TermQuery,
};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{Index, Searcher, TantivyDocument, Term};

use std::collections::HashMap;

use super::expand;
use super::rank;
use super::syntax;

use crate::error::{Error, Result};
use crate::index::Fields;
use crate::index::schema::{TEXT_FIELDS, text_field_names};
use crate::index::tokenizer::{exact_terms, terms};

/// How the query text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub fuzzy: bool,
    /// Errors for anything that is not well-formed syntax, instead of reading it as words.
    pub strict: bool,
    /// The kinds of records the search keeps.
    pub kinds: rank::Kinds,
}

/// A parsed query, with what the user should know about how it was read.
pub struct Parsed {
    pub query: Box<dyn Query>,
    pub warnings: Vec<String>,
}

/// Parses `text` into a query over all text fields. The searcher's term dictionaries
/// turn prefix words, typo-tolerant words and regular expressions into the terms they
/// stand for.
pub fn parse(index: &Index, searcher: &Searcher, fields: &Fields, text: &str, reading: Reading) -> Result<Parsed> {
    let mut warnings = Vec::new();
    let query = parse_text(index, searcher, fields, text, reading, &mut warnings)?;
    Ok(Parsed { query, warnings })
}

fn parse_text(
    index: &Index,
    searcher: &Searcher,
    fields: &Fields,
    text: &str,
    reading: Reading,
    warnings: &mut Vec<String>,
) -> Result<Box<dyn Query>> {
    let fuzzy = reading.fuzzy;
    let defaults: Vec<_> = TEXT_FIELDS.iter().filter_map(|f| fields.text(f.name)).collect();
    let mut parser = QueryParser::for_index(index, defaults);
    parser.set_conjunction_by_default();
    parser.allow_regexes();
    for f in TEXT_FIELDS {
        let Some(field) = fields.text(f.name) else { continue };
        parser.set_field_boost(field, f.weight);
        if fuzzy {
            // One edit (a transposition counts as one), whole words only.
            parser.set_field_fuzzy(field, false, 1, true);
        }
    }
    let dashless = drop_lone_dashes(text);
    let mut ast = if reading.strict {
        if let Some(mark) = syntax::misread_mark(text) {
            return Err(Error::QuerySyntax {
                query: text.to_owned(),
                column: Some(mark.column),
                message: mark.refusal,
            });
        }
        let ast = tantivy::query_grammar::parse_query(&escape_apostrophes(&dashless))
            .map_err(|_| explain(text, QueryParserError::SyntaxError(text.to_owned())))?;
        if let Some(field) = syntax::unknown_field(&ast) {
            return Err(explain(text, QueryParserError::FieldDoesNotExist(field)));
        }
        if syntax::largest_slop(&ast) > syntax::MAX_SLOP {
            return Err(Error::QuerySyntax {
                query: text.to_owned(),
                column: None,
                message: format!("a phrase's slop is at most {} words", syntax::MAX_SLOP),
            });
        }
        syntax::prefixes(ast)
    } else {
        let reading = syntax::forgiving(&dashless);
        warnings.extend(reading.warnings);
        let too_long = too_long_words(text);
        if matches!(&reading.ast, UserInputAst::Clause(c) if c.is_empty())
            && !text.trim().is_empty()
            && too_long.is_empty()
        {
            // `()`, `""`, `title:`: no hits, and the reason why.
            warnings.push(format!(
                "`{}` holds no words to search for; leave the query out to browse",
                crate::output::human::shorten(text.trim(), 60)
            ));
        }
        reading.ast
    };
    for word in too_long_words(text) {
        warnings.push(format!(
            "`{}` is longer than any word the index holds ({} bytes at most); it was left out",
            crate::output::human::shorten(word, 24),
            crate::index::tokenizer::LONGEST_WORD
        ));
    }
    // A group of nothing but exclusions inside the query (`model (-video -physics)`,
    // `NOT (NOT video)`) is everything but what it excludes, as the whole query is below.
    if let UserInputAst::Clause(clauses) = &mut ast {
        syntax::complete_clauses(clauses);
    }
    if let UserInputAst::Clause(clauses) = &mut ast
        && !clauses.is_empty()
        && clauses.iter().all(|(occur, _)| *occur == Some(Occur::MustNot))
    {
        if reading.strict {
            return Err(explain(text, QueryParserError::AllButQueryForbidden));
        }
        // Only exclusions: everything but what they exclude.
        clauses.insert(0, (Some(Occur::Must), UserInputAst::from(UserInputLeaf::All)));
    }
    let repeats = word_counts(&dashless);
    let context = Context {
        parser: &parser,
        searcher,
        fields,
        fuzzy,
        strict: reading.strict,
        repeats: &repeats,
        kinds: reading.kinds,
        notes: Default::default(),
    };
    let whole = whole_query_words(&ast);
    let long_request = is_long_request(&ast);
    let built = context.build(ast);
    let notes = context.notes.take();
    let query = match built {
        Ok(query) => {
            warnings.extend(notes.warnings);
            query
        }
        Err(_) if let Some(Refusal { message, at }) = notes.refused => {
            let column = text.find(&at).map(|b| text[..b].chars().count() + 1);
            return Err(Error::QuerySyntax { query: text.to_owned(), column, message });
        }
        Err(e) if reading.strict => return Err(explain(text, e)),
        // Whatever the engine could not build from the tree is read as plain words: a
        // pasted text is never a syntax error.
        Err(_) => context.build(syntax::plain_words(&dashless)).map_err(|e| explain(text, e))?,
    };
    let query = if long_request { with_feedback(searcher, fields, query, reading.kinds) } else { query };
    Ok(match whole {
        Some(words) => with_title_bonus(fields, query, &words),
        _ => query,
    })
}

/// Whether the query is a request written as a sentence and searched as `a OR b OR ...`:
/// nothing but plain optional words, enough of them for feedback.
fn is_long_request(ast: &UserInputAst) -> bool {
    let UserInputAst::Clause(clauses) = ast else { return false };
    clauses.len() >= rank::RANKING.feedback_min_words
        && clauses.iter().all(|(occur, sub)| {
            let UserInputAst::Leaf(leaf) = sub else { return false };
            let UserInputLeaf::Literal(l) = leaf.as_ref() else { return false };
            *occur == Some(Occur::Should) && l.field_name.is_none() && !l.prefix && l.delimiter == Delimiter::None
        })
}

/// `query`, its records re-ranked by pseudo-relevance feedback: the words its first
/// records (of the kinds the search keeps) hold far more often than the index at large
/// are searched beside it, each weighed by Amati's Bose-Einstein model (Bo1, as in
/// Terrier's query expansion) relative to the heaviest, which counts as much as a query
/// word said once. A long request names its subject in only a few of its words; the
/// records that hold them use the subject's other words too. The feedback words only
/// re-rank: the records that match are the query's, and snippets mark only its words.
/// (An index that cannot be read for feedback leaves the query as it is; the search
/// itself then reports what is wrong.)
fn with_feedback(searcher: &Searcher, fields: &Fields, query: Box<dyn Query>, kinds: rank::Kinds) -> Box<dyn Query> {
    match feedback_words(searcher, fields, query.as_ref(), kinds) {
        Ok(words) if !words.is_empty() => {
            let feedback: Box<dyn Query> = Box::new(rank::Bm25fQuery::new(fields, words).kept(kinds).unmarked());
            Box::new(BooleanQuery::new(vec![(Occur::Must, query), (Occur::Should, feedback)]))
        }
        _ => query,
    }
}

/// The feedback words for `query`, weighed (see [`with_feedback`]).
fn feedback_words(
    searcher: &Searcher,
    fields: &Fields,
    query: &dyn Query,
    kinds: rank::Kinds,
) -> tantivy::Result<Vec<rank::Word>> {
    use tantivy::schema::Value;
    let first_records = TopDocs::with_limit(rank::RANKING.feedback_records).order_by_score();
    let top = match kinds.kept() {
        None => searcher.search(query, &first_records)?,
        Some(kept) => {
            let of_kind: Vec<(Occur, Box<dyn Query>)> = kept
                .into_iter()
                .map(|k| {
                    let term = Term::from_facet(fields.kind_facet, &Facet::from(k.facet_path()));
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>)
                })
                .collect();
            let filter = ConstScoreQuery::new(Box::new(BooleanQuery::new(of_kind)), 0.0);
            let filtered = BooleanQuery::new(vec![(Occur::Must, query.box_clone()), (Occur::Must, Box::new(filter))]);
            searcher.search(&filtered, &first_records)?
        }
    };
    // How often the feedback records hold each word, as the text fields index it.
    let mut in_feedback: HashMap<String, u32> = HashMap::new();
    for (_, address) in &top {
        let record: TantivyDocument = searcher.doc(*address)?;
        for field in TEXT_FIELDS.iter().filter_map(|f| fields.text(f.name)) {
            for text in record.get_all(field).filter_map(|v| v.as_str()) {
                for word in terms(text) {
                    *in_feedback.entry(word).or_insert(0) += 1;
                }
            }
        }
    }
    let searched = rank::default_fields();
    let field_list: Vec<tantivy::schema::Field> = searched.iter().filter_map(|f| fields.text(f.name)).collect();
    let records = searcher.num_docs().max(1);
    let mut tokens = 0;
    for &field in &field_list {
        tokens += tantivy::query::Bm25StatisticsProvider::total_num_tokens(searcher, field)?;
    }
    // Bo1 falls as a word's mean rises to its count in the feedback records, then rises:
    // over the means a word can have (from `least` up to `densest`, every word the fields
    // hold per record) it is at most its weight at one end. Words are taken most frequent
    // first; one whose most cannot beat the lightest word kept so far is not weighed (its
    // postings are not read), and once even the least mean cannot, neither are the rest.
    // The words kept are those that weighing every candidate would keep.
    let densest = tokens as f32 / records as f32;
    let most = |n: f32, least: f32| rank::bo1(n, least).max(rank::bo1(n, densest));
    let mut candidates: Vec<(u32, String)> = in_feedback
        .into_iter()
        .filter(|(word, _)| !rank::is_stopword(word) && !rank::is_stopword_stem(word))
        .map(|(word, n)| (n, word))
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let limit = rank::RANKING.feedback_words;
    let heavier = |a: &(f32, String), b: &(f32, String)| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1));
    let mut weighed: Vec<(f32, String)> = Vec::with_capacity(limit + 1);
    for (n, word) in candidates {
        let n = n as f32;
        let lightest = if weighed.len() < limit { f32::NEG_INFINITY } else { weighed[limit - 1].0 };
        if most(n, 1.0 / records as f32) < lightest {
            break;
        }
        let terms: Vec<Term> = field_list.iter().map(|&f| Term::from_field_text(f, &word)).collect();
        let mut doc_freq = 0;
        for term in &terms {
            doc_freq = doc_freq.max(searcher.doc_freq(term)?);
        }
        // A word in more than half the records has its idf floored: it would rank nothing.
        if doc_freq * 2 > records || most(n, doc_freq as f32 / records as f32) < lightest {
            continue;
        }
        let mut frequency = 0;
        for term in &terms {
            frequency += rank::collection_frequency(searcher, term)?;
        }
        let entry = (rank::bo1(n, frequency as f32 / records as f32), word);
        let at = weighed.partition_point(|w| heavier(w, &entry).is_lt());
        weighed.insert(at, entry);
        weighed.truncate(limit);
    }
    let heaviest = weighed.first().map_or(1.0, |(w, _)| *w);
    Ok(weighed
        .into_iter()
        .map(|(weight, word)| rank::Word::new(fields, &searched, &word, None).boosted(weight / heaviest))
        .collect())
}

/// The most words a query may have for the title bonus to be looked for.
const TITLE_BONUS_WORDS: usize = 32;

/// The words of a query made only of plain words and phrases (some excluded), stemmed:
/// the words a title must hold for the record to have the whole query as its title.
fn whole_query_words(ast: &UserInputAst) -> Option<Vec<String>> {
    let plain = |leaf: &UserInputLeaf| match leaf {
        UserInputLeaf::Literal(l) if l.field_name.is_none() && !l.prefix => Some(terms(&l.phrase)),
        _ => None,
    };
    let words = match ast {
        UserInputAst::Leaf(leaf) => plain(leaf)?,
        UserInputAst::Clause(clauses) => {
            let mut words = Vec::new();
            for (occur, sub) in clauses {
                // `a OR b` does not name one record.
                if *occur == Some(Occur::Should) {
                    return None;
                }
                let UserInputAst::Leaf(leaf) = sub else { return None };
                let leaf_words = plain(leaf)?;
                if *occur != Some(Occur::MustNot) {
                    words.extend(leaf_words);
                }
            }
            words
        }
        UserInputAst::Boost(..) => return None,
    };
    // One word is weighed in the title by the ranking already.
    (words.len() >= 2 && words.len() <= TITLE_BONUS_WORDS).then_some(words)
}

/// `query`, with a bonus for a record whose title (a page's) or name (a method's) holds
/// every word of the query: the query names the record.
fn with_title_bonus(fields: &Fields, query: Box<dyn Query>, words: &[String]) -> Box<dyn Query> {
    let boost = rank::RANKING.title_bonus;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
    for field in [fields.title, fields.name] {
        let all: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| {
                let term = TermQuery::new(Term::from_field_text(field, w), IndexRecordOption::WithFreqs);
                (Occur::Must, Box::new(term) as Box<dyn Query>)
            })
            .collect();
        clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(BooleanQuery::new(all)), boost))));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// A dash standing alone between spaces (`Models -- o3`) is punctuation, not an
/// exclusion with nothing to exclude.
fn drop_lone_dashes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.split_whitespace().any(|w| w.chars().all(|c| c == '-')) {
        return text.into();
    }
    let words: Vec<&str> = text.split_whitespace().filter(|w| !w.chars().all(|c| c == '-')).collect();
    if words.is_empty() {
        // Nothing but dashes: left for the grammar to reject.
        return text.into();
    }
    words.join(" ").into()
}

/// How many times each plain word occurs in the query text. tantivy's grammar drops
/// repeated clauses (`a OR b OR a` is `a OR b`), but a word the query repeats matters
/// more to it: its weight is multiplied by its count (BM25's query term frequency).
/// The terms of a phrase, each once, at its first place.
fn first_of_each(terms: impl IntoIterator<Item = (usize, Term)>) -> Vec<(usize, Term)> {
    let mut once: Vec<(usize, Term)> = Vec::new();
    for (at, term) in terms {
        if !once.iter().any(|(_, t)| *t == term) {
            once.push((at, term));
        }
    }
    once
}

fn word_counts(text: &str) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for chunk in text.split_whitespace() {
        let word = chunk.trim_matches(|c| c == '(' || c == ')');
        if word.is_empty() || matches!(word, "AND" | "OR" | "NOT" | "IN") || !word.chars().all(char::is_alphanumeric) {
            continue;
        }
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

/// What building a query from its syntax tree needs.
struct Context<'a> {
    parser: &'a QueryParser,
    searcher: &'a Searcher,
    fields: &'a Fields,
    fuzzy: bool,
    strict: bool,
    repeats: &'a HashMap<String, u32>,
    kinds: rank::Kinds,
    notes: std::cell::RefCell<Notes>,
}

/// What building found to tell the user.
#[derive(Default)]
struct Notes {
    /// How a part of the query was read otherwise than written.
    warnings: Vec<String>,
    /// Why a strict reading refused the query, and where.
    refused: Option<Refusal>,
}

/// Why a strict reading refused the query, and the part of it refused.
struct Refusal {
    message: String,
    at: String,
}

impl Context<'_> {
    /// Turns the query's syntax tree into a query. A word or phrase with no field named
    /// is ranked by BM25F over every text field (see `rank`); everything else
    /// (`title:word`, regexes, ranges) is built by tantivy's parser as it is.
    fn build(&self, ast: UserInputAst) -> Result<Box<dyn Query>, QueryParserError> {
        match ast {
            UserInputAst::Clause(clauses) => self.clause(clauses),
            UserInputAst::Boost(inner, boost) => {
                Ok(Box::new(BoostQuery::new(self.build(*inner)?, boost.into_inner() as f32)))
            }
            UserInputAst::Leaf(leaf) => match *leaf {
                UserInputLeaf::Literal(literal) if self.expands(&literal) => Ok(self.expanded(&literal)),
                UserInputLeaf::Literal(literal) if literal.prefix && literal.field_name.is_none() => {
                    self.phrase_prefix(literal)
                }
                UserInputLeaf::Literal(literal) if literal.field_name.is_none() && !literal.prefix => {
                    match self.word(&literal) {
                        Some(word) => Ok(self.bm25f(vec![word])),
                        None => self.phrase(literal),
                    }
                }
                // A regular expression: the terms it matches, each scored by BM25.
                UserInputLeaf::Regex { field: Some(name), pattern } if self.fields.text(&name).is_some() => {
                    let field = self.fields.text(&name).expect("a text field");
                    match expand::regex_query(self.searcher, field, &pattern) {
                        Ok(query) => Ok(query),
                        Err(why) => self.not_a_regex(&name, &pattern, &why),
                    }
                }
                // `page_id:2501*`: the records of the ids that start so (a key is one
                // term, not words for a phrase to start with).
                UserInputLeaf::Literal(literal)
                    if literal.prefix
                        && let Some(field) = literal.field_name.as_deref().and_then(|f| self.key_field(f)) =>
                {
                    Ok(Box::new(KeyPrefix { field, prefix: literal.phrase }))
                }
                UserInputLeaf::Literal(literal) => self.literal_query(literal),
                // `page_id:*`: every record has its keys, and a text field holds words, not
                // a value to have or not.
                UserInputLeaf::Exists { field } => {
                    let message = format!(
                        "`{field}:*` (the records that have a {field}) is not a search paperdex runs; leave the query out to browse every record"
                    );
                    self.notes.borrow_mut().refused = Some(Refusal { message, at: format!("{field}:*") });
                    Err(QueryParserError::SyntaxError(format!("{field}:*")))
                }
                other => self.parser.build_query_from_user_input_ast(UserInputAst::Leaf(Box::new(other))),
            },
        }
    }

    /// The field of a key queries may name (`id:`, `page_id:`).
    fn key_field(&self, name: &str) -> Option<tantivy::schema::Field> {
        match name {
            "id" => Some(self.fields.id),
            "page_id" => Some(self.fields.page_id),
            _ => None,
        }
    }

    /// A word or phrase as tantivy's parser builds it (in every text field, or in the one
    /// named), except a phrase with slop whose words repeat (`"the model the"~5`): that
    /// one keeps each word once, at its first place. Tantivy matches a sloppy phrase by
    /// carrying every position each word could take, and a repeated word doubles those
    /// with each repeat (ten `the` with slop 50 took seconds and gigabytes on a few
    /// hundred pages); a repeat's place only adds slop to spend.
    fn literal_query(&self, literal: UserInputLiteral) -> Result<Box<dyn Query>, QueryParserError> {
        let analysed = crate::index::tokenizer::terms_at(&literal.phrase);
        let repeats = analysed.iter().enumerate().any(|(i, (_, w))| analysed[..i].iter().any(|(_, v)| v == w));
        let fields: Vec<(f32, tantivy::schema::Field)> = match &literal.field_name {
            None => self.fields.texts().map(|(t, field)| (t.weight, field)).collect(),
            Some(name) => TEXT_FIELDS
                .iter()
                .filter(|t| t.name == name)
                .filter_map(|t| Some((t.weight, self.fields.text(name)?)))
                .collect(),
        };
        if literal.slop == 0 || !repeats || fields.is_empty() {
            return self.parser.build_query_from_user_input_ast(UserInputAst::from(UserInputLeaf::Literal(literal)));
        }
        let clauses = fields
            .into_iter()
            .map(|(weight, field)| {
                let terms = first_of_each(analysed.iter().map(|(at, w)| (*at, Term::from_field_text(field, w))));
                let query: Box<dyn Query> = match &terms[..] {
                    [(_, term)] => Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                    _ => Box::new(PhraseQuery::new_with_offset_and_slop(terms, literal.slop)),
                };
                (Occur::Should, Box::new(BoostQuery::new(query, weight)) as Box<dyn Query>)
            })
            .collect();
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// A `field:/pattern/` whose pattern does not compile: refused under `--strict`,
    /// else its words searched in that field, with a warning (it used to match nothing,
    /// silently).
    fn not_a_regex(&self, name: &str, pattern: &str, why: &str) -> Result<Box<dyn Query>, QueryParserError> {
        let written = format!("/{pattern}/");
        let mut notes = self.notes.borrow_mut();
        // A well-formed expression whose automaton would be too large (`[a-z]{1,1000}`):
        // its characters are no words to search for.
        let too_large = why.contains("size limit");
        if self.strict || too_large {
            let what = if too_large { "too large a regular expression to search" } else { "not a regular expression" };
            if !self.strict {
                notes.warnings.push(format!("`{written}` is {what} ({why}); it matched nothing"));
                return Ok(Box::new(tantivy::query::EmptyQuery));
            }
            let message = format!("`{written}` is {what}: {why}");
            notes.refused = Some(Refusal { message, at: written.clone() });
            return Err(QueryParserError::SyntaxError(written));
        }
        let words = exact_terms(pattern).join(" ");
        if words.is_empty() {
            notes.warnings.push(format!("`{written}` is not a regular expression ({why}); it matched nothing"));
            return Ok(Box::new(tantivy::query::EmptyQuery));
        }
        notes.warnings.push(format!("`{written}` is not a regular expression ({why}); searched {name} for `{words}`"));
        self.parser.parse_query(&format!("{name}:({words})"))
    }

    /// Words scored together by BM25F, over the fields of the kinds the search keeps.
    fn bm25f(&self, words: Vec<rank::Word>) -> Box<dyn Query> {
        Box::new(rank::Bm25fQuery::new(self.fields, words).kept(self.kinds))
    }

    /// True for a one-word literal that stands for many terms: a prefix (`phys*`), or any
    /// word under `--fuzzy`, in no field or one text field.
    fn expands(&self, literal: &UserInputLiteral) -> bool {
        let in_text = literal.field_name.as_deref().is_none_or(|f| self.fields.text(f).is_some());
        let one_word = exact_terms(&literal.phrase).len() == 1;
        in_text && one_word && (literal.prefix || (self.fuzzy && literal.delimiter == Delimiter::None))
    }

    /// The terms a prefix or a typo-tolerant word stands for, as the index holds them,
    /// searched and scored like typed words (BM25F); nothing when there are none.
    fn expanded(&self, literal: &UserInputLiteral) -> Box<dyn Query> {
        let searched: Vec<&'static crate::index::schema::TextField> = match literal.field_name.as_deref() {
            Some(name) => TEXT_FIELDS.iter().filter(|f| f.name == name).collect(),
            None => rank::default_fields(),
        };
        let repeats = self.repeats.get(&literal.phrase.to_lowercase()).copied().unwrap_or(1).max(1) as f32;
        let expanded = if literal.prefix {
            expand::prefix_query(self.searcher, self.fields, &searched, &literal.phrase, self.kinds)
        } else {
            expand::typo_query(self.searcher, self.fields, &searched, &literal.phrase, repeats, self.kinds)
        };
        expanded.unwrap_or_else(|| Box::new(tantivy::query::EmptyQuery))
    }

    /// `"video gen"*` or `fine-tun*`: the records where the words are followed by a word
    /// that starts so (tantivy's phrase prefix), ranked by BM25F over the whole words and
    /// the words the last one stands for, which are also what snippets mark.
    fn phrase_prefix(&self, literal: UserInputLiteral) -> Result<Box<dyn Query>, QueryParserError> {
        let exact = exact_terms(&literal.phrase);
        let matches =
            self.parser.build_query_from_user_input_ast(UserInputAst::from(UserInputLeaf::Literal(literal)))?;
        let Some((last, whole)) = exact.split_last() else { return Ok(matches) };
        let searched = rank::default_fields();
        let words: Vec<rank::Word> = whole
            .iter()
            .filter_map(|w| {
                terms(w).into_iter().next().map(|stem| rank::Word::new(self.fields, &searched, &stem, Some(w)))
            })
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(ConstScoreQuery::new(matches, 0.0)))];
        if !words.is_empty() {
            clauses.push((Occur::Should, self.bm25f(words)));
        }
        if let Some(completions) = expand::prefix_query(self.searcher, self.fields, &searched, last, self.kinds) {
            clauses.push((Occur::Should, completions));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// A group of clauses. Its optional single words are scored together as one BM25F
    /// query (one pass over their postings), without the stopwords when there are many of
    /// them; adjacent plain words get the pair bonus.
    fn clause(&self, clauses: Vec<(Option<Occur>, UserInputAst)>) -> Result<Box<dyn Query>, QueryParserError> {
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(clauses.len());
        let mut optional_words = Vec::new();
        let mut required_words = Vec::new();
        let mut plain: Vec<String> = Vec::new();
        let optional_plain = |occur: Option<Occur>, sub: &UserInputAst| -> Option<String> {
            let UserInputAst::Leaf(leaf) = sub else { return None };
            let UserInputLeaf::Literal(literal) = leaf.as_ref() else { return None };
            let plain = occur == Some(Occur::Should)
                && literal.field_name.is_none()
                && !literal.prefix
                && literal.delimiter == Delimiter::None;
            plain.then(|| literal.phrase.clone())
        };
        let long =
            clauses.iter().filter_map(|(o, sub)| optional_plain(*o, sub)).count() >= rank::RANKING.stopword_min_words;
        for (occur, sub) in clauses {
            if long
                && let Some(word) = optional_plain(occur, &sub)
                && rank::is_stopword(&word)
            {
                // Not scored, but still one of the adjacent pairs' words: a pair never
                // joins the words on either side of it.
                plain.push(word.to_lowercase());
                continue;
            }
            let occur = occur.unwrap_or(Occur::Must);
            if let UserInputAst::Leaf(leaf) = &sub
                && let UserInputLeaf::Literal(literal) = leaf.as_ref()
                && literal.field_name.is_none()
                && !literal.prefix
                && occur != Occur::MustNot
            {
                if literal.delimiter == Delimiter::None
                    && let [word] = &exact_terms(&literal.phrase)[..]
                {
                    plain.push(word.clone());
                }
                if occur == Occur::Should
                    && let Some(word) = self.word(literal)
                {
                    optional_words.push(word);
                    continue;
                }
                if occur == Occur::Must
                    && !self.expands(literal)
                    && let Some(word) = self.word(literal)
                {
                    required_words.push(word);
                    continue;
                }
            }
            out.push((occur, self.build(sub)?));
        }
        // Required single words are one BM25F query that requires them all: one pass over
        // their postings, a window at a time, rather than an intersection of one query
        // per word seeking each other record by record.
        match required_words.len() {
            0 => {}
            1 => out.push((Occur::Must, self.bm25f(required_words))),
            _ => {
                let all = rank::Bm25fQuery::new(self.fields, required_words).kept(self.kinds).all_required();
                out.push((Occur::Must, Box::new(all)));
            }
        }
        if !optional_words.is_empty() {
            out.push((Occur::Should, self.bm25f(optional_words)));
        }
        out.extend(self.adjacent_pairs(&plain));
        // One clause (`a OR b` is one BM25F query) runs as itself, with its own loop.
        if out.len() == 1 && out[0].0 != Occur::MustNot {
            return Ok(out.pop().map(|(_, q)| q).expect("one clause"));
        }
        Ok(Box::new(BooleanQuery::new(out)))
    }

    /// A literal that is one word, as BM25F sees it: its stem, and for a quoted word its
    /// exact form too, counted as often as the query repeats it. `None` for phrases, for
    /// text with no word, and under `--fuzzy` (typo-tolerant words stay as tantivy's
    /// parser builds them).
    fn word(&self, literal: &UserInputLiteral) -> Option<rank::Word> {
        if self.fuzzy {
            return None;
        }
        let [stemmed] = &terms(&literal.phrase)[..] else { return None };
        let quoted = literal.delimiter != Delimiter::None;
        let exact = if quoted { exact_terms(&literal.phrase).into_iter().next() } else { None };
        let word = rank::Word::new(self.fields, &rank::default_fields(), stemmed, exact.as_deref());
        let repeats = self.repeats.get(&literal.phrase.to_lowercase()).copied().unwrap_or(1).max(1);
        Some(word.boosted(repeats as f32))
    }

    /// A phrase (or a word the analyzer splits, `fine-tuning`): it must match as a phrase
    /// in some field, as tantivy's parser builds it, and is ranked by its words' BM25F,
    /// each word counting in its exact form too, so `"video generative models"` puts those
    /// words above `video generation models`. (The exact forms are looked up as words,
    /// not as a second phrase: only among the records the phrase matches, and without
    /// reading positions.)
    fn phrase(&self, literal: UserInputLiteral) -> Result<Box<dyn Query>, QueryParserError> {
        let exact = exact_terms(&literal.phrase);
        let stemmed = terms(&literal.phrase);
        let aligned = exact.len() == stemmed.len();
        // The words as written, in order, in the unstemmed field (which holds every text
        // field's words): one phrase to match instead of one per field. Only where no
        // record holds them so are their stemmed look-alikes matched, field by field.
        let as_written = aligned
            .then(|| {
                let terms = exact.iter().enumerate().map(|(i, w)| (i, Term::from_field_text(self.fields.exact, w)));
                let terms = if literal.slop > 0 { first_of_each(terms) } else { terms.collect() };
                (terms.len() >= 2).then(|| PhraseQuery::new_with_offset_and_slop(terms, literal.slop))
            })
            .flatten();
        // Its matches are found once, to tell whether there are any, and searched as a
        // list: the phrase is not matched twice.
        let found = as_written.and_then(|phrase| super::matched::Matched::find(self.searcher, Box::new(phrase)).ok());
        let matches: Box<dyn Query> = match found.flatten() {
            Some(matched) => Box::new(matched),
            None => self.literal_query(literal)?,
        };
        if stemmed.len() < 2 {
            return Ok(matches);
        }
        let searched = rank::default_fields();
        let words = stemmed
            .iter()
            .enumerate()
            .map(|(i, w)| rank::Word::new(self.fields, &searched, w, aligned.then(|| exact[i].as_str())))
            .collect();
        let required: Box<dyn Query> = Box::new(ConstScoreQuery::new(matches, 0.0));
        let ranked = self.bm25f(words);
        Ok(Box::new(BooleanQuery::new(vec![(Occur::Must, required), (Occur::Should, ranked)])))
    }

    /// Adjacent words of the query found side by side in a record score more: each pair
    /// is a phrase in the unstemmed field (the ordered windows of Metzler and Croft's
    /// sequential dependence model). Only for queries of several words, where it helps.
    fn adjacent_pairs(&self, words: &[String]) -> Vec<(Occur, Box<dyn Query>)> {
        if words.len() < rank::RANKING.adjacent_pair_min_words {
            return Vec::new();
        }
        words
            .windows(2)
            .filter(|pair| pair[0] != pair[1])
            .map(|pair| {
                let terms = pair.iter().map(|w| Term::from_field_text(self.fields.exact, w)).collect();
                let phrase = BoostQuery::new(Box::new(PhraseQuery::new(terms)), rank::RANKING.adjacent_pair_boost);
                (Occur::Should, Box::new(phrase) as Box<dyn Query>)
            })
            .collect()
    }
}

/// `page_id:2501*`: the records whose key starts with `prefix`, all scored alike.
#[derive(Debug, Clone)]
struct KeyPrefix {
    field: tantivy::schema::Field,
    prefix: String,
}

impl Query for KeyPrefix {
    fn weight(&self, _scoring: tantivy::query::EnableScoring<'_>) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        let automaton = crate::search::automata::PrefixAutomaton::new(&self.prefix);
        Ok(Box::new(tantivy::query::AutomatonWeight::new(self.field, automaton)))
    }
}

/// An apostrophe inside a word (`Yo'LLaVA`, `don't`) is part of the word, not the start
/// of a single-quoted phrase as tantivy's grammar would read it.
fn escape_apostrophes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\'') {
        return text.into();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let inside_word =
            i > 0 && chars[i - 1].is_alphanumeric() && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c == '\'' && inside_word {
            out.push('\\');
        }
        out.push(c);
    }
    out.into()
}

fn explain(text: &str, error: QueryParserError) -> Error {
    match error {
        QueryParserError::FieldDoesNotExist(field) => {
            let lower = field.to_lowercase();
            let valid = if syntax::known_field(&lower) {
                format!("{} (names are lower-case: `{lower}:`)", text_field_names())
            } else {
                text_field_names()
            };
            Error::UnknownQueryField { field, valid }
        }
        QueryParserError::SyntaxError(_) => {
            let (message, column) = locate(text);
            Error::QuerySyntax { query: text.to_owned(), column, message }
        }
        QueryParserError::AllButQueryForbidden => Error::QuerySyntax {
            query: text.to_owned(),
            column: None,
            message: "the query only excludes terms; add a term to search for (e.g. `diffusion -video`)".into(),
        },
        other => Error::QuerySyntax { query: text.to_owned(), column: None, message: other.to_string() },
    }
}

/// Says what is wrong with a query that does not parse and where (1-based column).
fn locate(text: &str) -> (String, Option<usize>) {
    let mut depth = 0usize;
    let mut open_parens: Vec<usize> = Vec::new();
    let mut quote: Option<usize> = None;
    for (col, c) in text.chars().enumerate() {
        let col = col + 1;
        match c {
            '"' => quote = if quote.is_some() { None } else { Some(col) },
            '(' if quote.is_none() => {
                depth += 1;
                open_parens.push(col);
            }
            ')' if quote.is_none() => {
                if depth == 0 {
                    return ("`)` closes nothing".into(), Some(col));
                }
                depth -= 1;
                open_parens.pop();
            }
            _ => {}
        }
    }
    if let Some(col) = quote {
        return ("the quote opened here is never closed".into(), Some(col));
    }
    if let Some(&col) = open_parens.last() {
        return ("the `(` opened here is never closed".into(), Some(col));
    }
    // The grammar's lenient parse says where it could not read the query.
    let (_, errors) = tantivy::query_grammar::parse_query_lenient(&escape_apostrophes(text));
    if let Some(e) = errors.first() {
        let column = text.get(..e.pos.min(text.len())).map_or(1, |s| s.chars().count() + 1);
        return (e.message.clone(), Some(column));
    }
    ("the query does not follow paperdex's query syntax (see `paperdex search --help`)".into(), None)
}

/// The words of `text` too long to be indexed (the analyzer drops them), so left out of
/// any search.
fn too_long_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > crate::index::tokenizer::LONGEST_WORD).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_dashes_are_punctuation() {
        assert_eq!(drop_lone_dashes("Models -- o3 (mini)"), "Models o3 (mini)");
        assert_eq!(drop_lone_dashes("a - b -c"), "a b -c");
        assert_eq!(drop_lone_dashes("fine-tuning -video"), "fine-tuning -video");
        assert_eq!(drop_lone_dashes("--"), "--");
    }

    #[test]
    fn repeated_words_are_counted() {
        let counts = word_counts("a OR b OR (a OR A) title:x \"a\"");
        assert_eq!(counts.get("a"), Some(&3));
        assert_eq!(counts.get("b"), Some(&1));
        assert!(!counts.contains_key("or") && !counts.contains_key("title:x"));
    }

    /// The words of `text`'s query searched in the body field.
    fn body_terms(text: &str) -> Vec<String> {
        let (schema, fields) = crate::index::schema::build();
        let index = Index::create_in_ram(schema);
        crate::index::tokenizer::register(&index);
        let searcher = index.reader().unwrap().searcher();
        let parsed =
            parse(&index, &searcher, &fields, text, Reading { fuzzy: false, strict: false, kinds: rank::Kinds::ALL })
                .unwrap();
        let mut words = Vec::new();
        parsed.query.query_terms(&mut |term, _| {
            if term.field() == fields.body {
                words.extend(term.value().as_str().map(str::to_owned));
            }
        });
        words.sort();
        words.dedup();
        words
    }

    #[test]
    fn long_requests_leave_out_stopwords() {
        assert_eq!(body_terms("what OR is OR the OR cost OR of OR sorting"), ["cost", "sort"]);
        // A short query keeps them.
        assert_eq!(body_terms("the OR cost"), ["cost", "the"]);
        assert_eq!(body_terms("to be or not to be"), ["be", "not", "or", "to"]);
    }

    /// An index of pages with these bodies.
    fn bodies(texts: &[&str]) -> (Index, Fields) {
        let (schema, fields) = crate::index::schema::build();
        let index = Index::create_in_ram(schema);
        crate::index::tokenizer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        for text in texts {
            let mut doc = TantivyDocument::default();
            doc.add_facet(fields.kind_facet, Facet::from("/page"));
            doc.add_text(fields.body, text);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, fields)
    }

    #[test]
    fn long_requests_are_reranked_by_feedback_without_new_matches_or_marks() {
        let mut texts = vec!["library catalogues subject headings"; 3];
        // Records 3 and 4 hold one word of the request each, in bodies of one length.
        texts.push("library weather report cinema football");
        texts.push("library subject headings thesaurus chemistry");
        // Record 5 holds the feedback words only.
        texts.push("subject headings for a thesaurus");
        // Record 3's other words are common: not what the first records stand out by.
        let common = ["weather", "report", "cinema", "football", "music", "garden", "travel", "river"];
        let others: Vec<String> = (0..32).map(|i| format!("{} {}", common[i % 8], common[(i + 3) % 8])).collect();
        texts.extend(others.iter().map(String::as_str));
        let (index, fields) = bodies(&texts);
        let searcher = index.reader().unwrap().searcher();
        let reading = Reading { fuzzy: false, strict: false, kinds: rank::Kinds::ALL };
        let scores = |text: &str| -> HashMap<u32, f32> {
            let parsed = parse(&index, &searcher, &fields, text, reading).unwrap();
            let hits = searcher.search(&parsed.query, &TopDocs::with_limit(20).order_by_score()).unwrap();
            hits.into_iter().map(|(score, address)| (address.doc_id, score)).collect()
        };
        let request = "how OR are OR library OR catalogues OR indexed";
        let ranked = scores(request);
        // The records holding a word of the request, not the one only feedback reaches.
        let mut matched: Vec<u32> = ranked.keys().copied().collect();
        matched.sort();
        assert_eq!(matched, [0, 1, 2, 3, 4]);
        // Alone, `library` ranks records 3 and 4 alike; the request's feedback
        // (`subject`, `headings`, from the first records) puts record 4 above record 3.
        let alone = scores("library");
        assert_eq!(alone[&3], alone[&4]);
        assert!(ranked[&4] > ranked[&3], "{ranked:?}");
        // Snippets mark only the request's words.
        let parsed = parse(&index, &searcher, &fields, request, reading).unwrap();
        let mut marked = Vec::new();
        parsed.query.query_terms(&mut |term, _| {
            if term.field() == fields.body {
                marked.extend(term.value().as_str().map(str::to_owned));
            }
        });
        marked.sort();
        assert_eq!(marked, ["catalogu", "index", "librari"]);
    }

    #[test]
    fn sloppy_phrases_do_not_join_two_values_or_two_fields() {
        let (schema, fields) = crate::index::schema::build();
        let index = Index::create_in_ram(schema);
        crate::index::tokenizer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        let mut doc = TantivyDocument::default();
        doc.add_facet(fields.kind_facet, Facet::from("/page"));
        doc.add_text(fields.title, "alpha beta");
        doc.add_text(fields.category, "gamma delta");
        doc.add_text(fields.category, "epsilon zeta");
        // The unstemmed field gathers every text value, as a record's does.
        for value in ["alpha beta", "gamma delta", "epsilon zeta"] {
            doc.add_text(fields.exact, value);
        }
        writer.add_document(doc).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let reading = Reading { fuzzy: false, strict: false, kinds: rank::Kinds::ALL };
        let count = |text: &str| {
            let parsed = parse(&index, &searcher, &fields, text, reading).unwrap();
            searcher.search(&parsed.query, &tantivy::collector::Count).unwrap()
        };
        for within in ["\"alpha beta\"", "\"alpha beta\"~3", "\"gamma delta\"~1", "category:\"epsilon zeta\"~2"] {
            assert_eq!(count(within), 1, "{within}");
        }
        // The end of the title and the start of a category; two values of one field.
        for across in ["\"beta gamma\"~1", "\"beta gamma\"~5", "\"delta epsilon\"~3", "category:\"delta epsilon\"~50"] {
            assert_eq!(count(across), 0, "{across}");
        }
    }

    #[test]
    fn long_requests_are_plain_optional_words() {
        let long = |text: &str| is_long_request(&syntax::forgiving(text).ast);
        assert!(long("how OR are OR library OR catalogues OR indexed"));
        assert!(!long("library OR catalogues OR indexed"));
        assert!(!long("a OR b OR c OR d OR title:e"));
        assert!(!long("a OR b OR c OR d OR \"e f\""));
        assert!(!long("how are library catalogues indexed"));
    }

    #[test]
    fn apostrophes_inside_words_are_escaped() {
        assert_eq!(escape_apostrophes("Yo'LLaVA"), "Yo\\'LLaVA");
        assert_eq!(escape_apostrophes("'a phrase' don't"), "'a phrase' don\\'t");
    }
}
