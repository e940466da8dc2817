//! Side-by-side run against SQLite FTS5, the usual "just put it in SQLite" choice.
//!
//! The same synthetic pages are indexed by paperdex and loaded into an FTS5 table (one
//! row per page, caption and method entry; porter stemming), then the bench's query
//! classes run on both in this one process: top 10 by BM25, and facet counts by
//! GROUP BY for FTS5. Prints medians per class and the FTS5/paperdex ratio.
//!
//!     cargo run --release --example fts5_peer -- --pages 5000
//!
//! Options: `--pages N` (default 5000), `--iterations N` (default 20), `--seed S`,
//! `--dir DIR` (keep the corpus, index and database there instead of a temp folder).

use std::path::{Path, PathBuf};
use std::time::Instant;

use paperdex::bench::{BenchQuery, CLASSES, default_queries, percentile};
use paperdex::index::{IndexOptions, NoProgress, UpdateRequest, open, update};
use paperdex::ingest::{self, PageRecords};
use paperdex::search::{Sort, search};
use rusqlite::{Connection, params};

struct Args {
    pages: usize,
    iterations: usize,
    seed: u64,
    dir: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args { pages: 5000, iterations: 20, seed: 42, dir: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--pages" => args.pages = value.parse().expect("--pages takes a number"),
            "--iterations" => args.iterations = value.parse().expect("--iterations takes a number"),
            "--seed" => args.seed = value.parse().expect("--seed takes a number"),
            "--dir" => args.dir = Some(PathBuf::from(value)),
            other => panic!("unknown option {other}; see the comment at the top of examples/fts5_peer.rs"),
        }
    }
    args
}

fn main() {
    let args = parse_args();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let pages_dir = dir.join("pages");
    if !pages_dir.is_dir() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let roots: Vec<PathBuf> =
            [root.join("corpus"), root.join("../shared/corpus/reviews")].into_iter().filter(|p| p.is_dir()).collect();
        let model = paperdex::synth::learn(&roots);
        let s = paperdex::synth::write_corpus(&model, &pages_dir, args.pages, args.seed).expect("synthetic pages");
        eprintln!("wrote {} synthetic pages ({:.1} MB)", s.pages, s.bytes as f64 / 1e6);
    }

    let idx = dir.join("paperdex-index");
    let t = Instant::now();
    let request = UpdateRequest { roots: vec![pages_dir.clone()], rebuild: true, ..UpdateRequest::default() };
    let options = IndexOptions { threads: 2, ..IndexOptions::default() };
    let summary = update(&idx, &request, &options, &NoProgress).expect("paperdex index");
    eprintln!(
        "paperdex: indexed {} records in {:.1} s",
        summary.pages + summary.captions + summary.methods,
        t.elapsed().as_secs_f64()
    );

    let corpus = ingest::read_corpus(&[pages_dir]);
    let db_path = dir.join("fts5.sqlite");
    let _ = std::fs::remove_file(&db_path);
    let mut db = Connection::open(&db_path).expect("sqlite database");
    let t = Instant::now();
    load_fts5(&mut db, &corpus.pages);
    eprintln!("fts5: loaded {} pages in {:.1} s", corpus.pages.len(), t.elapsed().as_secs_f64());

    let px = open(&idx, "").expect("paperdex index opens");
    let reader = px.index.reader().expect("reader");
    let searcher = reader.searcher();
    let queries = default_queries(&px, &searcher).expect("queries");

    println!(
        "{} pages, {} records; {} timed runs per query; medians in µs; one process, one thread",
        corpus.pages.len(),
        searcher.num_docs(),
        args.iterations
    );
    println!("{:<14} {:>12} {:>12} {:>10}", "class", "paperdex", "fts5", "fts5/paperdex");
    for class in CLASSES {
        let members: Vec<&BenchQuery> = queries.iter().filter(|q| q.class == *class).collect();
        let ours = median_us(args.iterations, &members, |q| {
            search(&px, &searcher, &q.request).expect("paperdex search");
        });
        let theirs = if *class == "fuzzy" {
            None // FTS5 has no typo tolerance.
        } else {
            let mut stmts = Fts5Statements::new(&db);
            Some(median_us(args.iterations, &members, |q| stmts.run(class, &q.request)))
        };
        match theirs {
            Some(t) => println!("{class:<14} {ours:>12.1} {t:>12.1} {:>9.1}x", t / ours.max(0.001)),
            None => println!("{class:<14} {ours:>12.1} {:>12} {:>10}", "n/a", "n/a"),
        }
    }
}

/// The median over all runs of all queries, in microseconds (one untimed run first).
fn median_us(iterations: usize, queries: &[&BenchQuery], mut run: impl FnMut(&BenchQuery)) -> f64 {
    for q in queries {
        run(q);
    }
    let mut times = Vec::new();
    for _ in 0..iterations {
        for q in queries {
            let t = Instant::now();
            run(q);
            times.push(t.elapsed().as_nanos() as f64 / 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    percentile(&times, 50.0)
}

/// One FTS5 row per record, with the record's facets in plain tables beside it.
fn load_fts5(db: &mut Connection, pages: &[PageRecords]) {
    db.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE VIRTUAL TABLE records USING fts5(title, name, label, citation, category, mechanism, summary,
             meta, caption, description, tbl, body, tokenize = 'porter unicode61');
         CREATE TABLE facts(id INTEGER PRIMARY KEY, kind TEXT, date TEXT, lang TEXT);
         CREATE TABLE categories(id INTEGER, category TEXT);
         CREATE INDEX categories_id ON categories(id);",
    )
    .expect("schema");
    let tx = db.transaction().expect("transaction");
    {
        let mut insert = tx
            .prepare("INSERT INTO records(rowid, title, name, label, citation, category, mechanism, summary, meta, caption, description, tbl, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
            .expect("insert");
        let mut fact = tx.prepare("INSERT INTO facts(id, kind, date, lang) VALUES (?1, ?2, ?3, ?4)").expect("facts");
        let mut category = tx.prepare("INSERT INTO categories(id, category) VALUES (?1, ?2)").expect("categories");
        let mut id = 0i64;
        for r in pages {
            let p = &r.page;
            let date = p.date.clone().unwrap_or_default();
            let body = paperdex::index::document::page_body(p).join("\n");
            let meta =
                [p.topics.join(", "), p.affiliations.join(", "), p.authors.clone().unwrap_or_default()].join("\n");
            id += 1;
            insert
                .execute(params![
                    id,
                    p.title,
                    "",
                    "",
                    "",
                    p.categories.join(", "),
                    "",
                    p.summary,
                    meta,
                    "",
                    "",
                    "",
                    body
                ])
                .expect("page row");
            fact.execute(params![id, "page", date, p.lang]).expect("page facts");
            for c in &p.categories {
                category.execute(params![id, paperdex::index::document::facet_label(c)]).expect("category");
            }
            for c in &r.captions {
                id += 1;
                let label = c.label.clone().unwrap_or_default();
                insert
                    .execute(params![id, "", "", label, "", "", "", "", "", c.caption, c.description, c.table_text, ""])
                    .expect("caption row");
                fact.execute(params![id, format!("caption/{}", c.kind), date, p.lang]).expect("caption facts");
                for cat in &p.categories {
                    category.execute(params![id, paperdex::index::document::facet_label(cat)]).expect("category");
                }
            }
            for m in &r.methods {
                id += 1;
                insert
                    .execute(params![id, "", m.name, "", m.citation, m.category, m.mechanism, "", "", "", "", "", ""])
                    .expect("method row");
                fact.execute(params![id, "method", date, p.lang]).expect("method facts");
                category.execute(params![id, m.category]).expect("category");
            }
        }
    }
    tx.commit().expect("commit");
}

/// The bench's requests in FTS5 terms. Column weights follow paperdex's field boosts.
struct Fts5Statements<'c> {
    db: &'c Connection,
}

const BM25: &str = "bm25(records, 3.0, 3.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.2, 1.0, 0.8, 1.0)";

impl<'c> Fts5Statements<'c> {
    fn new(db: &'c Connection) -> Self {
        Fts5Statements { db }
    }

    /// Does for FTS5 what `paperdex search` does: the top 10, a snippet for each of them,
    /// the total count, and the requested facet counts. Snippets are made for the ten
    /// winners only (in the ORDER BY query itself SQLite would make one for every match).
    fn run(&mut self, class: &str, request: &paperdex::search::SearchRequest) {
        let matched = request.query.as_deref().map(fts5_query);
        match (class, matched) {
            ("browse_facets", _) | (_, None) => {
                // Facet counts over everything, the count, and the newest ten records.
                self.rows("SELECT category, count(*) FROM categories GROUP BY category", params![]);
                self.rows("SELECT kind, count(*) FROM facts GROUP BY kind", params![]);
                self.rows("SELECT count(*) FROM facts", params![]);
                self.rows(
                    "SELECT r.rowid, r.title, r.description FROM records r WHERE r.rowid IN (SELECT id FROM facts ORDER BY date DESC LIMIT 10)",
                    params![],
                );
            }
            ("filter_facets", Some(q)) => {
                let hits = "SELECT f.id FROM records r JOIN facts f ON f.id = r.rowid WHERE records MATCH ?1 AND f.kind LIKE 'caption%'";
                let top = self.ids(&format!("{hits} ORDER BY {BM25} LIMIT 10"), &q);
                self.snippets(&q, &top);
                self.rows(&format!("SELECT count(*) FROM ({hits})"), params![q]);
                self.rows(
                    &format!(
                        "SELECT c.category, count(*) FROM categories c WHERE c.id IN ({hits}) GROUP BY c.category"
                    ),
                    params![q],
                );
                self.rows(
                    &format!("SELECT substr(f.date, 1, 4), count(*) FROM facts f WHERE f.id IN ({hits}) GROUP BY substr(f.date, 1, 4)"),
                    params![q],
                );
            }
            (_, Some(q)) if request.sort == Some(Sort::DateDesc) => {
                let top = self.ids(
                    "SELECT r.rowid FROM records r JOIN facts f ON f.id = r.rowid WHERE records MATCH ?1 ORDER BY f.date DESC LIMIT 10",
                    &q,
                );
                self.snippets(&q, &top);
                self.rows("SELECT count(*) FROM records WHERE records MATCH ?1", params![q]);
            }
            (_, Some(q)) => {
                let top =
                    self.ids(&format!("SELECT rowid FROM records WHERE records MATCH ?1 ORDER BY {BM25} LIMIT 10"), &q);
                self.snippets(&q, &top);
                self.rows("SELECT count(*) FROM records WHERE records MATCH ?1", params![q]);
            }
        }
    }

    /// The row ids a top-10 query returns.
    fn ids(&self, sql: &str, q: &str) -> Vec<i64> {
        let mut stmt = self.db.prepare_cached(sql).expect("statement");
        stmt.query_map(params![q], |row| row.get::<_, i64>(0)).expect("query").map(|r| r.expect("row id")).collect()
    }

    /// A snippet for each of the given rows.
    fn snippets(&self, q: &str, ids: &[i64]) {
        for id in ids {
            self.rows(
                "SELECT snippet(records, -1, '[', ']', '…', 20) FROM records WHERE records MATCH ?1 AND rowid = ?2",
                params![q, id],
            );
        }
    }

    fn rows(&self, sql: &str, args: impl rusqlite::Params) {
        let mut stmt = self.db.prepare_cached(sql).expect("statement");
        let mut rows = stmt.query(args).expect("query");
        while let Some(row) = rows.next().expect("row") {
            std::hint::black_box(row.get_ref(0).ok());
        }
    }
}

/// paperdex's query syntax for the bench classes, in FTS5's: `a b` and `a OR b` are the
/// same; phrases are quoted the same; a prefix is `pre*` in both.
fn fts5_query(q: &str) -> String {
    if q.contains('"') || q.contains(" OR ") || q.ends_with('*') {
        q.to_owned()
    } else {
        q.split_whitespace().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" AND ")
    }
}
