//! SQLite FTS5, the usual "just put it in SQLite" choice, as a peer measured beside
//! paperdex: the records of a paperdex index loaded into an FTS5 table (one row per
//! record, one column per text field, porter stemming) with the facets in plain tables
//! beside it. `paperdex eval --peer fts5` ranks with it, and `paperdex bench --peer fts5`
//! (and `examples/fts5_peer.rs`) times the bench's query classes on it.

use std::path::Path;

use rusqlite::{Connection, params};
use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
use crate::index::document::facet_label;
use crate::index::schema::TEXT_FIELDS;
use crate::search::{SearchRequest, Sort};

fn peer_error(e: rusqlite::Error) -> Error {
    Error::Peer(format!("SQLite FTS5: {e}"))
}

/// An FTS5 database holding the records of one paperdex index.
pub struct Fts5Peer {
    db: Connection,
    /// `bm25(records, w1, w2, ...)` with paperdex's field weights, for the bench.
    weighted_bm25: String,
}

/// An FTS5 column name for a text field (`table` is an SQL keyword).
fn column(name: &str) -> String {
    format!("f_{name}")
}

impl Fts5Peer {
    /// Loads every record of the index (read from its stored fields) into a new FTS5
    /// database at `db_path`, or in memory.
    pub fn from_index(px: &PaperdexIndex, searcher: &Searcher, db_path: Option<&Path>) -> Result<Self> {
        let mut db = match db_path {
            Some(path) => {
                let _ = std::fs::remove_file(path);
                Connection::open(path)
            }
            None => Connection::open_in_memory(),
        }
        .map_err(peer_error)?;
        let columns: Vec<String> = TEXT_FIELDS.iter().map(|f| column(f.name)).collect();
        db.execute_batch(&format!(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
             CREATE VIRTUAL TABLE records USING fts5({}, tokenize = 'porter unicode61');
             CREATE TABLE facts(id INTEGER PRIMARY KEY, record TEXT, kind TEXT, date TEXT, lang TEXT);
             CREATE TABLE categories(id INTEGER, category TEXT);
             CREATE INDEX categories_id ON categories(id);",
            columns.join(", ")
        ))
        .map_err(peer_error)?;
        let placeholders: Vec<String> = (0..=columns.len()).map(|i| format!("?{}", i + 1)).collect();
        let insert_sql =
            format!("INSERT INTO records(rowid, {}) VALUES ({})", columns.join(", "), placeholders.join(", "));
        let f = &px.fields;
        let text_fields: Vec<_> = TEXT_FIELDS.iter().filter_map(|t| f.text(t.name)).collect();
        let tx = db.transaction().map_err(peer_error)?;
        {
            let mut insert = tx.prepare(&insert_sql).map_err(peer_error)?;
            let mut fact = tx
                .prepare("INSERT INTO facts(id, record, kind, date, lang) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(peer_error)?;
            let mut category =
                tx.prepare("INSERT INTO categories(id, category) VALUES (?1, ?2)").map_err(peer_error)?;
            let mut rowid = 0i64;
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                for doc in 0..segment.max_doc() {
                    if segment.is_deleted(doc) {
                        continue;
                    }
                    let stored: TantivyDocument =
                        searcher.doc(DocAddress::new(ord as u32, doc)).map_err(|e| Error::tantivy(&px.path, e))?;
                    let text = |field| stored.get_all(field).filter_map(|v| v.as_str()).collect::<Vec<_>>();
                    let first = |field| stored.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                    rowid += 1;
                    let mut values: Vec<String> = vec![rowid.to_string()];
                    values.extend(text_fields.iter().map(|&tf| text(tf).join("\n")));
                    insert.execute(rusqlite::params_from_iter(values.iter())).map_err(peer_error)?;
                    let date = stored
                        .get_first(f.date)
                        .and_then(|v| v.as_datetime())
                        .map(|d| crate::index::document::civil_date(d.into_timestamp_secs().div_euclid(86_400)))
                        .unwrap_or_default();
                    fact.execute(params![rowid, first(f.id), first(f.kind), date, first(f.lang)])
                        .map_err(peer_error)?;
                    for c in text(f.category) {
                        category.execute(params![rowid, facet_label(c)]).map_err(peer_error)?;
                    }
                }
            }
        }
        tx.commit().map_err(peer_error)?;
        let weights: Vec<String> = TEXT_FIELDS.iter().map(|t| format!("{:.1}", t.weight)).collect();
        Ok(Fts5Peer { db, weighted_bm25: format!("bm25(records, {})", weights.join(", ")) })
    }

    /// The records FTS5 ranks first for `query` (FTS5 syntax) with its default `bm25()`
    /// (every column weighted 1), best first, as (record id, score); only `kinds` (paperdex
    /// kinds: `page`, `caption`, `figure`, ...) when any are given.
    pub fn rank(&self, query: &str, kinds: &[crate::search::RecordKind], depth: usize) -> Result<Vec<(String, f64)>> {
        let mut kind_clauses = Vec::new();
        for kind in kinds {
            let path = kind.facet_path();
            kind_clauses.push(format!("f.kind LIKE '{}%'", &path[1..]));
        }
        let kind_filter =
            if kind_clauses.is_empty() { String::new() } else { format!(" AND ({})", kind_clauses.join(" OR ")) };
        let sql = format!(
            "SELECT f.record, bm25(records) AS s FROM records r JOIN facts f ON f.id = r.rowid
             WHERE records MATCH ?1{kind_filter} ORDER BY s LIMIT ?2"
        );
        let mut stmt = self.db.prepare_cached(&sql).map_err(peer_error)?;
        let rows = stmt
            .query_map(params![query, depth as i64], |row| Ok((row.get::<_, String>(0)?, -row.get::<_, f64>(1)?)))
            .map_err(peer_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(peer_error)
    }

    /// Whether the peer has an equivalent of a bench query: all but typo-tolerant ones
    /// (`--fuzzy`, the `fuzzy` class: FTS5 has no typo tolerance).
    pub fn runs(class: &str, request: &SearchRequest) -> bool {
        class != "fuzzy" && !request.fuzzy
    }

    /// Does for FTS5 what `paperdex search` does for a bench query: the top `limit` (10
    /// unless the query says otherwise), a snippet for each of them, the total count (up to
    /// the same cap as paperdex's for a ranked search), and the requested facet counts. Snippets are
    /// made for the ten winners only (in the ORDER BY query itself SQLite would make one
    /// for every match).
    pub fn run_bench_query(&mut self, class: &str, request: &SearchRequest) -> Result<()> {
        // No words (or `*`) is a browse, as in paperdex.
        let matched = request.text().map(bench_query);
        let bm25 = self.weighted_bm25.clone();
        let limit = request.limit;
        match (class, matched) {
            ("browse_facets", _) | (_, None) => {
                // Facet counts over everything, the count, and the newest ten records.
                self.rows("SELECT category, count(*) FROM categories GROUP BY category", params![])?;
                self.rows("SELECT kind, count(*) FROM facts GROUP BY kind", params![])?;
                self.rows("SELECT count(*) FROM facts", params![])?;
                self.rows(
                    &format!("SELECT r.rowid, r.f_title, r.f_description FROM records r WHERE r.rowid IN (SELECT id FROM facts ORDER BY date DESC LIMIT {limit})"),
                    params![],
                )?;
            }
            ("filter_facets", Some(q)) => {
                let hits = "SELECT f.id FROM records r JOIN facts f ON f.id = r.rowid WHERE records MATCH ?1 AND f.kind LIKE 'caption%'";
                let top = self.ids(&format!("{hits} ORDER BY {bm25} LIMIT {limit}"), &q)?;
                self.snippets(&q, &top)?;
                self.rows(&format!("SELECT count(*) FROM ({hits})"), params![q])?;
                self.rows(
                    &format!(
                        "SELECT c.category, count(*) FROM categories c WHERE c.id IN ({hits}) GROUP BY c.category"
                    ),
                    params![q],
                )?;
                self.rows(
                    &format!("SELECT substr(f.date, 1, 4), count(*) FROM facts f WHERE f.id IN ({hits}) GROUP BY substr(f.date, 1, 4)"),
                    params![q],
                )?;
            }
            (_, Some(q)) if request.sort == Some(Sort::DateDesc) => {
                let top = self.ids(
                    &format!("SELECT r.rowid FROM records r JOIN facts f ON f.id = r.rowid WHERE records MATCH ?1 ORDER BY f.date DESC LIMIT {limit}"),
                    &q,
                )?;
                self.snippets(&q, &top)?;
                self.rows("SELECT count(*) FROM records WHERE records MATCH ?1", params![q])?;
            }
            (_, Some(q)) => {
                let top = self.ids(
                    &format!("SELECT rowid FROM records WHERE records MATCH ?1 ORDER BY {bm25} LIMIT {limit}"),
                    &q,
                )?;
                self.snippets(&q, &top)?;
                // Counted as paperdex counts a ranked search: up to the cap, unless asked
                // for every match.
                let count = if request.exact_total {
                    "SELECT count(*) FROM records WHERE records MATCH ?1".to_owned()
                } else {
                    format!(
                        "SELECT count(*) FROM (SELECT 1 FROM records WHERE records MATCH ?1 LIMIT {})",
                        crate::search::COUNTED_HITS
                    )
                };
                self.rows(&count, params![q])?;
            }
        }
        Ok(())
    }

    /// The row ids a top-10 query returns.
    fn ids(&self, sql: &str, q: &str) -> Result<Vec<i64>> {
        let mut stmt = self.db.prepare_cached(sql).map_err(peer_error)?;
        let rows = stmt.query_map(params![q], |row| row.get::<_, i64>(0)).map_err(peer_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(peer_error)
    }

    /// A snippet for each of the given rows.
    fn snippets(&self, q: &str, ids: &[i64]) -> Result<()> {
        for id in ids {
            self.rows(
                "SELECT snippet(records, -1, '[', ']', '…', 20) FROM records WHERE records MATCH ?1 AND rowid = ?2",
                params![q, id],
            )?;
        }
        Ok(())
    }

    fn rows(&self, sql: &str, args: impl rusqlite::Params) -> Result<()> {
        let mut stmt = self.db.prepare_cached(sql).map_err(peer_error)?;
        let mut rows = stmt.query(args).map_err(peer_error)?;
        while let Some(row) = rows.next().map_err(peer_error)? {
            std::hint::black_box(row.get_ref(0).ok());
        }
        Ok(())
    }
}

/// paperdex's query syntax for the bench classes, in FTS5's: `a b` and `a OR b` are the
/// same; phrases are quoted the same; a prefix is `pre*` in both.
fn bench_query(q: &str) -> String {
    if q.contains('"') || q.contains(" OR ") || q.ends_with('*') {
        q.to_owned()
    } else {
        q.split_whitespace().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" AND ")
    }
}

/// The FTS5 query for protocol words: each quoted (so no word is read as an operator),
/// joined by OR or AND.
pub fn words_query(words: &[String], any: bool) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect();
    quoted.join(if any { " OR " } else { " AND " })
}
