//! `paperdex serve` end to end: the real binary on an ephemeral port, every endpoint, the
//! errors as JSON with their status, the limits, refused paths, reload on commit,
//! `--watch`, CORS and a graceful stop on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use common::paperdex;
use serde_json::Value;
use tempfile::TempDir;

/// 200 synthetic pages (with captions, and method entries on the survey pages) and their
/// index, shared by the read-only tests.
static SYNTH: LazyLock<TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    synth(&dir.path().join("pages"), 200, 7);
    index(&dir.path().join("pages"), &dir.path().join("index"));
    dir
});

fn synth(out: &Path, pages: usize, seed: u64) {
    paperdex()
        .args(["synth", "--pages", &pages.to_string(), "--seed", &seed.to_string(), "--out"])
        .arg(out)
        .assert()
        .success();
}

fn index(pages: &Path, index: &Path) {
    paperdex().arg("index").arg(pages).arg("--index").arg(index).arg("--quiet").assert().success();
}

fn synth_index() -> PathBuf {
    SYNTH.path().join("index")
}

/// A running `paperdex serve`, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(index: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_paperdex"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg("serve")
            .arg("--index")
            .arg(index)
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("paperdex serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let log = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                log.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first stdout line: {line:?}; stderr: {}", stderr.lock().unwrap()))
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Server { child, base, stderr }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`: the status and the body as JSON.
    fn get(&self, path: &str) -> (u16, Value) {
        let (status, _, body) = self.get_raw(path, &[]);
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {status} {e}: {body}"));
        (status, json)
    }

    /// GET `path` with `headers`: the status, the response headers and the body.
    fn get_raw(&self, path: &str, headers: &[(&str, &str)]) -> (u16, ureq::http::HeaderMap, String) {
        let mut request = agent().get(&self.url(path));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let mut response = request.call().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        (status, headers, body)
    }

    /// The status and body of a request written by hand (for paths a client would clean up).
    fn raw(&self, request_line: &str) -> (u16, String) {
        let addr = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream.write_all(format!("{request_line}\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
        let rc = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(rc, 0);
    }

    /// Waits for the process to exit (at most 30 s) and gives its exit code.
    fn wait(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("paperdex serve did not exit; stderr: {}", self.stderr.lock().unwrap());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 response with a Content-Length: the status and the body.
fn read_response(reader: &mut impl BufRead) -> (u16, String) {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, String::from_utf8(body).unwrap())
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Polls `check` every 100 ms for up to 20 s.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within 20 s");
}

fn error_kind(body: &Value) -> &str {
    body["error"]["kind"].as_str().unwrap_or_else(|| panic!("not an error object: {body}"))
}

/// `paperdex search ARGS --json` on `index`, parsed.
fn cli_search(index: &Path, args: &[&str]) -> Value {
    let out = paperdex().arg("search").args(args).arg("--json").arg("--index").arg(index).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn without_timing(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("took_us");
    doc
}

#[test]
fn search_answers_the_same_json_as_the_cli() {
    let server = Server::start(&synth_index(), &[]);
    let (status, api) =
        server.get("/api/search?q=model&kind=caption&facet=kind&facet=date&limit=5&offset=2&sort=relevance");
    assert_eq!(status, 200, "{api}");
    let cli = cli_search(
        &synth_index(),
        &[
            "model",
            "--kind",
            "caption",
            "--facet",
            "kind",
            "--facet",
            "date",
            "-n",
            "5",
            "--offset",
            "2",
            "--sort",
            "relevance",
        ],
    );
    assert_eq!(without_timing(api.clone()), without_timing(cli));
    assert_eq!(api["hits"].as_array().unwrap().len(), 5);
    assert!(api["total_hits"].as_u64().unwrap() > 5);
    // Per-kind fields sit beside the common ones.
    assert!(api["hits"][0]["caption"].is_string() && api["hits"][0]["summary"].is_null(), "{}", api["hits"][0]);

    // Grouped, fuzzy and browsing searches too.
    for (query, args) in [
        ("q=model&group=page&limit=3", vec!["model", "--group", "page", "-n", "3"]),
        ("q=modle&fuzzy=true", vec!["modle", "--fuzzy"]),
        ("kind=method&facet=category&sort=-date", vec!["--kind", "method", "--facet", "category", "--sort", "-date"]),
    ] {
        let (status, api) = server.get(&format!("/api/search?{query}"));
        assert_eq!(status, 200, "{query}: {api}");
        assert_eq!(without_timing(api), without_timing(cli_search(&synth_index(), &args)), "{query}");
    }
}

#[test]
fn repeated_parameters_repeat_and_filters_take_both_forms() {
    let server = Server::start(&synth_index(), &[]);
    let (_, colon) = server.get("/api/search?kind=method&facet=category&limit=0");
    let category = colon["facets"]["category"][0]["path"].as_str().unwrap().trim_start_matches('/').to_owned();
    let encoded: String = form_encode(&category);
    let (_, a) = server.get(&format!("/api/search?kind=method&filter=category:{encoded}&limit=0"));
    let (_, b) = server.get(&format!("/api/search?kind=method&filter=category={encoded}&limit=0"));
    assert_eq!(a["total_hits"], b["total_hits"]);
    assert_eq!(a["total_hits"], colon["facets"]["category"][0]["count"]);
    // Two kinds are ORed; an exclusion drops what a filter let in.
    let (_, pages) = server.get("/api/search?kind=page&limit=0");
    let (_, methods) = server.get("/api/search?kind=method&limit=0");
    let (_, both) = server.get("/api/search?kind=page&kind=method&limit=0");
    assert_eq!(
        both["total_hits"].as_u64().unwrap(),
        pages["total_hits"].as_u64().unwrap() + methods["total_hits"].as_u64().unwrap()
    );
    let (_, none) =
        server.get(&format!("/api/search?kind=method&filter=category:{encoded}&exclude=category:{encoded}"));
    assert_eq!(none["total_hits"], 0);
    // A date facet below a parent, keyed as the CLI keys it.
    let (_, dates) = server.get("/api/search?facet=date&limit=0");
    let year = dates["facets"]["date"][0]["path"].as_str().unwrap().to_owned();
    let (_, months) = server.get(&format!("/api/search?facet=date&facet=date:{year}&limit=0&since={}", &year[1..]));
    assert!(months["facets"][format!("date={year}")].as_array().is_some_and(|m| !m.is_empty()), "{months}");
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn bad_requests_are_400_with_a_stable_kind() {
    let server = Server::start(&synth_index(), &[]);
    for (query, kind, says) in [
        ("limit=ten", "bad_argument", "parameter `limit`"),
        ("limit=20000", "bad_argument", "limit 20000 is more than the 10000"),
        ("offset=1000000", "bad_argument", "offset"),
        ("kind=paper", "bad_argument", "unknown kind `paper`"),
        ("filter=colour:red", "bad_argument", "unknown facet field `colour`"),
        ("facet=colour", "bad_argument", "unknown facet field"),
        ("since=2025-02-30", "bad_argument", "parameter `since`"),
        ("sort=best", "bad_argument", "parameter `sort`"),
        ("colour=red", "bad_argument", "unknown parameter `colour`"),
        ("q=a&q=b", "bad_argument", "more than once"),
        ("q=%22unclosed&strict=true", "query_syntax", "query syntax error"),
        ("q=nosuchfield:x&strict=true", "unknown_field", "unknown field"),
        ("kind=", "bad_argument", "parameter `kind`"),
        ("kind=page,", "bad_argument", "parameter `kind`"),
        ("fuzzy=on", "bad_argument", "parameter `fuzzy`: `on` is not true or false"),
        ("limit=10001", "bad_argument", "parameter `limit`: limit 10001 is more than the 10000"),
        ("offset=100001", "bad_argument", "parameter `offset`: offset 100001 is more than"),
        ("q=%ff%fe", "bad_argument", "parameter `q`: the value is not valid UTF-8"),
    ] {
        let (status, body) = server.get(&format!("/api/search?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(error_kind(&body), kind, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{query}: {message}");
        assert!(!message.contains("--"), "{query}: a library message names a flag: {message}");
    }
    let (_, body) = server.get("/api/search?q=%22unclosed&strict=true");
    assert!(body["error"]["column"].is_u64(), "{body}");
    // The endpoints without parameters say so, rather than list none.
    let id = server.get("/api/search?limit=1").1["hits"][0]["id"].as_str().unwrap().to_owned();
    for path in ["/api/stats", &format!("/api/records/{id}"), "/healthz", "/readyz"] {
        assert_eq!(server.get(path).0, 200, "{path}");
        let (status, body) = server.get(&format!("{path}?x=1"));
        assert_eq!((status, error_kind(&body)), (400, "bad_argument"), "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("unknown parameter `x`; this endpoint takes no parameters"), "{path}: {message}");
    }
}

#[test]
fn limits_bound_what_one_request_may_ask() {
    let server = Server::start(&synth_index(), &[]);
    // The query text, the query string and the parameter count.
    let (status, body) = server.get(&format!("/api/search?q={}", "a%20".repeat(5000)));
    assert_eq!((status, error_kind(&body)), (400, "query_too_large"), "{body}");
    let (status, body) = server.get(&format!("/api/search?q={}", "x".repeat(40_000)));
    assert_eq!((status, error_kind(&body)), (400, "query_too_large"), "{body}");
    let (status, body) = server.get(&format!("/api/search?{}", "kind=page&".repeat(300)));
    assert_eq!((status, error_kind(&body)), (400, "query_too_large"), "{body}");
    // Up to 64 KB of request target paperdex answers itself; past that the HTTP layer
    // answers 414 with no body.
    let (status, body) = server.get(&format!("/api/search?q={}", "x".repeat(65_000)));
    assert_eq!((status, error_kind(&body)), (400, "query_too_large"), "{body}");
    let (status, _) = server.raw(&format!("GET /api/search?q={} HTTP/1.1", "x".repeat(100_000)));
    assert_eq!(status, 414);
    // A body past the limit is refused before anything reads it.
    let (status, body) = server.raw("POST /api/search HTTP/1.1\r\nContent-Length: 1048576");
    assert_eq!(status, 413, "{body}");
    assert_eq!(error_kind(&serde_json::from_str(&body).unwrap()), "payload_too_large");
    let (status, _) = server.get("/healthz");
    assert_eq!(status, 200);
}

#[test]
fn a_search_past_the_time_limit_is_503_and_the_server_goes_on() {
    let server = Server::start(&synth_index(), &["--time-limit-ms", "1"]);
    // Every record with a snippet each: far more than a millisecond.
    let (status, body) = server.get("/api/search?q=model&limit=10000");
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_kind(&body), "timeout");
    assert!(body["error"]["message"].as_str().unwrap().contains("time limit of 1 ms"), "{body}");
    let started = Instant::now();
    let (status, _) = server.get("/healthz");
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn overload_is_refused_with_503_not_queued() {
    let server = Arc::new(Server::start(&synth_index(), &["--max-in-flight", "1"]));
    // Bursts of 8 slow searches at once against 1 slot: some are answered, the others
    // refused at once. (A burst is tried again should the threads happen to run one
    // after another.)
    let (mut ok, mut busy) = (0, 0);
    for _ in 0..5 {
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (server, barrier) = (Arc::clone(&server), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    server.get("/api/search?q=model&limit=10000")
                })
            })
            .collect();
        for (status, body) in handles.into_iter().map(|h| h.join().unwrap()) {
            match status {
                200 => ok += 1,
                503 if error_kind(&body) == "busy" => busy += 1,
                other => panic!("{other}: {body}"),
            }
        }
        if ok > 0 && busy > 0 {
            break;
        }
    }
    assert!(ok > 0 && busy > 0, "{ok} answered, {busy} refused");
}

#[test]
fn records_are_found_by_ids_with_slashes() {
    let server = Server::start(&synth_index(), &[]);
    let (_, doc) = server.get("/api/search?kind=caption&limit=1");
    let hit = &doc["hits"][0];
    let id = hit["id"].as_str().unwrap();
    assert!(id.contains('/'), "{id}");
    let (status, record) = server.get(&format!("/api/records/{id}"));
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["id"], hit["id"]);
    assert_eq!(record["kind"], hit["kind"]);
    assert_eq!(record["caption"], hit["caption"]);
    assert_eq!(record["date"], hit["date"]);
    // A page, whole.
    let page_id = hit["page_id"].as_str().unwrap();
    let (status, page) = server.get(&format!("/api/records/{page_id}"));
    assert_eq!(status, 200);
    assert_eq!(page["kind"], "page");
    // Every stored field: one value as itself, several as an array.
    assert!(page["title"].is_string() && page["summary"].is_string(), "{page}");
    assert!(page["body"].is_array() || page["body"].is_string(), "{page}");

    let (status, missing) = server.get("/api/records/0000.00000/caption/999");
    assert_eq!((status, error_kind(&missing)), (404, "not_found"));
}

#[test]
fn pages_named_with_escaped_characters_are_found_by_their_ids() {
    // A page without an arXiv id is named after its file: a tab or a byte that is not
    // UTF-8 is escaped (`\x09`, `\xE9`), keeping a backslash the API must accept, and a
    // name of dots (`..md`) is escaped too, as `.` could not be asked for in a URL.
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    let names: [(&[u8], &str, &str); 3] = [
        (b"tab\there.md", "tabword", "tab\\x09here"),
        (b"caf\xe9.md", "cafeword", "caf\\xE9"),
        (b"..md", "dotsword", "\\x2E"),
    ];
    for (name, word, _) in names {
        let text = format!(
            "---\ntitle: \"Named {word}\"\ndate: 2024-01-02\n---\n{{{{< lead >}}}}\nA page about {word}.\n{{{{< /lead >}}}}\n"
        );
        std::fs::write(pages.join(std::ffi::OsStr::from_bytes(name)), text).unwrap();
    }
    let idx = dir.path().join("index");
    index(&pages, &idx);
    let server = Server::start(&idx, &[]);
    for (_, word, expected) in names {
        let (_, doc) = server.get(&format!("/api/search?q={word}"));
        let id = doc["hits"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(id, expected, "{doc}");
        // As the web page asks for it: each part of the id URI-encoded.
        let (status, record) = server.get(&format!("/api/records/{}", id.replace('\\', "%5C")));
        assert_eq!(status, 200, "{id}: {record}");
        assert_eq!(record["id"], id.as_str());
        assert_eq!(record["title"], format!("Named {word}"));
    }
}

#[test]
fn path_traversal_is_refused() {
    let server = Server::start(&synth_index(), &[]);
    for path in [
        "/api/records/..%2F..%2Fetc%2Fpasswd",
        "/api/records/%2Fetc%2Fpasswd",
        "/api/records/a/../../etc/passwd",
        "/api/records/a%00b",
        "/api/records/a%5C..%5Cb",
        "/api/records/a//b",
    ] {
        let (status, body) = server.raw(&format!("GET {path} HTTP/1.1"));
        assert!(status == 400 || status == 404, "{path}: {status} {body}");
        let json: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        assert!(matches!(error_kind(&json), "bad_argument" | "not_found"), "{path}: {json}");
    }
    for path in ["/../Cargo.toml", "/..%2FCargo.toml", "/%2e%2e/%2e%2e/etc/passwd", "/web/app.js", "/src/main.rs"] {
        let (status, body) = server.raw(&format!("GET {path} HTTP/1.1"));
        assert!(status == 400 || status == 404, "{path}: {status} {body}");
        assert!(!body.contains("[package]") && !body.contains("root:") && !body.contains("fn main"), "{path}: {body}");
    }
}

#[test]
fn facets_endpoint_counts_one_field() {
    let server = Server::start(&synth_index(), &[]);
    let (status, facet) = server.get("/api/facets/category?kind=method");
    assert_eq!(status, 200, "{facet}");
    let (_, search) = server.get("/api/search?kind=method&facet=category&limit=0");
    assert_eq!(facet["counts"], search["facets"]["category"]);
    assert_eq!(facet["total_hits"], search["total_hits"]);
    assert_eq!((facet["field"].as_str(), facet["parent"].as_str()), (Some("category"), Some("/")));
    // Below a parent, with a query.
    let (_, years) = server.get("/api/facets/date");
    let year = years["counts"][0]["path"].as_str().unwrap().to_owned();
    let (status, months) = server.get(&format!("/api/facets/date?parent={year}&q=model"));
    assert_eq!(status, 200, "{months}");
    assert_eq!(months["parent"], year.as_str());
    assert!(months["counts"].as_array().unwrap().iter().all(|c| c["path"].as_str().unwrap().starts_with(&year)));
    for bad in ["/api/facets/colour", "/api/facets/date?parent=2025-13", "/api/facets/kind?limit=3"] {
        let (status, body) = server.get(bad);
        assert_eq!((status, error_kind(&body)), (400, "bad_argument"), "{bad}: {body}");
    }
}

#[test]
fn stats_health_and_readiness() {
    let server = Server::start(&synth_index(), &[]);
    let (status, stats) = server.get("/api/stats");
    assert_eq!(status, 200);
    let out = paperdex().args(["stats", "--json", "--index"]).arg(synth_index()).output().unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats, cli);
    assert_eq!(server.get("/healthz"), (200, serde_json::json!({"status": "ok"})));
    let (status, ready) = server.get("/readyz");
    assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));
}

#[test]
fn without_an_index_the_server_is_alive_but_not_ready_until_one_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("index");
    let server = Server::start(&index_dir, &[]);
    assert_eq!(server.get("/healthz").0, 200);
    let (status, body) = server.get("/readyz");
    assert_eq!((status, error_kind(&body)), (503, "not_ready"), "{body}");
    let (status, headers, body) = server.get_raw("/api/search?q=model", &[]);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, error_kind(&body)), (503, "not_ready"), "{body}");
    assert_eq!(headers["retry-after"], "1");
    assert!(body["error"]["message"].as_str().unwrap().contains("no index at"), "{body}");
    synth(&dir.path().join("pages"), 5, 3);
    index(&dir.path().join("pages"), &index_dir);
    eventually("readyz after the index is built", || server.get("/readyz").0 == 200);
    let (status, body) = server.get("/api/search?kind=page&limit=0");
    assert_eq!((status, body["total_hits"].as_u64()), (200, Some(5)));
}

#[test]
fn unknown_routes_and_methods_are_json_errors() {
    let server = Server::start(&synth_index(), &[]);
    let (status, body) = server.get("/api/nothing");
    assert_eq!((status, error_kind(&body)), (404, "not_found"));
    assert!(body["error"]["message"].as_str().unwrap().contains("/api/search"), "{body}");
    let (status, body) = server.get("/api/records/");
    assert!(status == 400 || status == 404, "{status} {body}");
    let (status, _, body) = server.get_raw("/nothing.html", &[]);
    assert_eq!(status, 404, "{body}");
    let response = agent().delete(&server.url("/api/search")).call().unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    let (status, body) = server.raw("PUT / HTTP/1.1\r\nContent-Length: 0");
    assert_eq!(status, 405, "{body}");
    assert_eq!(error_kind(&serde_json::from_str(&body).unwrap()), "method_not_allowed");
}

#[test]
fn the_page_is_served_from_the_binary_with_etags() {
    let server = Server::start(&synth_index(), &[]);
    let (status, headers, body) = server.get_raw("/", &[]);
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(
        body.as_bytes() == std::fs::read(common::root().join("web/index.html")).unwrap(),
        "/ is not web/index.html"
    );
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, body) = server.get_raw("/", &[("If-None-Match", &etag)]);
    assert_eq!((status, body.as_str()), (304, ""));
    // If-None-Match compares weakly: a weak tag of the same value, or one in a list, matches.
    let weak = format!("W/{etag}");
    let listed = format!("\"other\", {weak}");
    for tags in [weak.as_str(), listed.as_str(), "*"] {
        let (status, _, _) = server.get_raw("/", &[("If-None-Match", tags)]);
        assert_eq!(status, 304, "{tags}");
    }
    let (status, _, _) = server.get_raw("/", &[("If-None-Match", "W/\"other\"")]);
    assert_eq!(status, 200);
    for (path, file, content_type) in
        [("/app.js", "web/app.js", "text/javascript"), ("/app.css", "web/app.css", "text/css")]
    {
        let (status, headers, body) = server.get_raw(path, &[]);
        assert_eq!(status, 200, "{path}");
        assert!(headers["content-type"].to_str().unwrap().starts_with(content_type), "{path}");
        assert!(body.as_bytes() == std::fs::read(common::root().join(file)).unwrap(), "{path} is not {file}");
    }
    // Compressed for a client that asks.
    let (_, headers, _) = server.get_raw("/app.js", &[("Accept-Encoding", "gzip")]);
    assert_eq!(headers.get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
}

#[test]
fn cors_is_off_unless_asked() {
    let origin = [("Origin", "http://example.test")];
    let server = Server::start(&synth_index(), &[]);
    let (_, headers, _) = server.get_raw("/api/search?q=model", &origin);
    assert!(headers.get("access-control-allow-origin").is_none());
    drop(server);
    let server = Server::start(&synth_index(), &["--cors", "http://example.test"]);
    let (_, headers, _) = server.get_raw("/api/search?q=model", &origin);
    assert_eq!(headers["access-control-allow-origin"], "http://example.test");
    let (_, headers, _) = server.get_raw("/api/search?q=model", &[("Origin", "http://other.test")]);
    assert!(headers.get("access-control-allow-origin").is_none());

    let out = paperdex()
        .args(["serve", "--addr", "127.0.0.1:0", "--cors", "example.test", "--index"])
        .arg(synth_index())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cors: CORS origin `example.test` is not an origin"));
    // Each value is one origin, checked before the index is opened or anything listens.
    for (origin, why) in [
        ("http://a.test,http://b.test", "a comma"),
        ("http://localhost:99999", "the port `99999`"),
        ("http://localhost:0", "the port `0`"),
        ("http://a.test/page", "`/` after the host"),
        ("ftp://a.test", "the scheme is `ftp`"),
        ("http://", "no host"),
        ("http://:80", "no host"),
        ("http://a..test", "is not a host name"),
        ("http://[::g]:80", "is not an IPv6 address"),
    ] {
        let out = exits_within_20s(
            Command::new(env!("CARGO_BIN_EXE_paperdex"))
                .args(["serve", "--addr", "127.0.0.1:0", "--cors", origin, "--index"])
                .arg(synth_index()),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{origin}: {stderr}");
        assert!(stderr.contains(&format!("CORS origin `{origin}` is not an origin (")), "{origin}: {stderr}");
        assert!(stderr.contains(why), "{origin}: {stderr}");
        assert!(!stderr.contains("serving the index"), "{origin}: {stderr}");
        assert!(out.stdout.is_empty(), "{origin}: it listened anyway");
    }
    // Spellings of real origins are taken (the scheme and host as browsers send them).
    let server = Server::start(&synth_index(), &["--cors", "HTTP://Example.TEST:8080/", "--cors", "http://[::1]:3000"]);
    let (_, headers, _) = server.get_raw("/healthz", &[("Origin", "http://example.test:8080")]);
    assert_eq!(headers["access-control-allow-origin"], "http://example.test:8080");
    let (_, headers, _) = server.get_raw("/healthz", &[("Origin", "http://[::1]:3000")]);
    assert_eq!(headers["access-control-allow-origin"], "http://[::1]:3000");
}

/// Runs `command` to its end, failing (not hanging) should it still run after 20 s: a
/// server that took a bad option would serve forever.
fn exits_within_20s(command: &mut Command) -> std::process::Output {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("still running after 20 s; stderr: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Reads from `stream` until the server closes it (or 40 s pass): how long that took.
fn time_to_close(mut stream: TcpStream) -> Duration {
    let started = Instant::now();
    stream.set_read_timeout(Some(Duration::from_secs(40))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

#[test]
fn idle_and_half_sent_connections_are_closed() {
    let server = Server::start(&synth_index(), &[]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    // Nothing sent; a request line and a header but no blank line; a kept-alive
    // connection after its answer.
    let silent = TcpStream::connect(&addr).unwrap();
    let mut half = TcpStream::connect(&addr).unwrap();
    half.write_all(format!("GET /api/search?q=model HTTP/1.1\r\nHost: {addr}\r\n").as_bytes()).unwrap();
    let mut kept = TcpStream::connect(&addr).unwrap();
    kept.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).unwrap();
    let mut reader = BufReader::new(kept.try_clone().unwrap());
    assert_eq!(read_response(&mut reader).0, 200);
    let waits: Vec<_> = [silent, half, kept]
        .map(|stream| std::thread::spawn(move || time_to_close(stream)))
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    for (what, waited) in ["silent", "half-sent", "idle kept-alive"].iter().zip(&waits) {
        assert!(*waited < Duration::from_secs(25), "the {what} connection stayed open {waited:?}");
    }
    // The server goes on for everyone else.
    assert_eq!(server.get("/healthz").0, 200);
}

#[test]
fn new_commits_show_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (pages, index_dir) = (dir.path().join("pages"), dir.path().join("index"));
    synth(&pages, 10, 11);
    index(&pages, &index_dir);
    let server = Server::start(&index_dir, &[]);
    let total = |server: &Server| server.get("/api/search?limit=0").1["total_hits"].as_u64().unwrap();
    let on_disk = || cli_search(&index_dir, &["-n", "0"])["total_hits"].as_u64().unwrap();
    let before = total(&server);
    assert_eq!(before, on_disk());
    // An update's commit.
    let more = dir.path().join("more");
    synth(&more, 4, 12);
    paperdex().arg("index").arg(&more).arg("--index").arg(&index_dir).arg("--quiet").assert().success();
    let updated = on_disk();
    assert!(updated > before);
    eventually("the update shows", || total(&server) == updated);
    // A rebuild's swap-in of a whole new index, without the added pages (their folder
    // stays, empty).
    std::fs::remove_dir_all(&more).unwrap();
    std::fs::create_dir(&more).unwrap();
    paperdex().args(["index", "--rebuild", "--quiet", "--index"]).arg(&index_dir).assert().success();
    let rebuilt = on_disk();
    assert_eq!(rebuilt, before);
    eventually("the rebuild shows", || total(&server) == rebuilt);
    assert_eq!(server.get("/api/stats").1["records"]["total"], rebuilt);
}

/// Cuts every file of the index with `extension` to 100 bytes, as another program might
/// while the server has them mapped.
fn cut_short(index_dir: &Path, extension: &str) {
    for entry in std::fs::read_dir(index_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == extension) {
            std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(100).unwrap();
        }
    }
}

#[test]
fn a_file_cut_short_under_the_server_is_a_damaged_answer_not_a_crash() {
    for extension in ["store", "term"] {
        let dir = tempfile::tempdir().unwrap();
        let (pages, index_dir) = (dir.path().join("pages"), dir.path().join("index"));
        synth(&pages, 30, 31);
        index(&pages, &index_dir);
        let mut server = Server::start(&index_dir, &[]);
        assert_eq!(server.get("/api/search?q=model").0, 200);
        cut_short(&index_dir, extension);
        // The first search reads past a file's new end: zeros, not a Bus error, and an
        // answer that says the index is damaged; then the index is opened again, and
        // opening finds the damage.
        for query in ["video", "learning", "model"] {
            let (status, body) = server.get(&format!("/api/search?q={query}"));
            assert_eq!((status, error_kind(&body)), (500, "damaged"), "{extension}, {query}: {body}");
        }
        assert!(server.child.try_wait().unwrap().is_none(), "{extension}: {}", server.stderr.lock().unwrap());
        // Built again, it is served again.
        paperdex().args(["index", "--rebuild", "--quiet", "--index"]).arg(&index_dir).assert().success();
        eventually("the rebuilt index is served", || server.get("/api/search?q=model").0 == 200);
        server.signal(libc::SIGTERM);
        assert_eq!(server.wait(), Some(0));
    }
}

#[test]
fn a_file_cut_short_under_a_watching_server_stops_it_before_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (pages, index_dir) = (dir.path().join("pages"), dir.path().join("index"));
    synth(&pages, 30, 32);
    index(&pages, &index_dir);
    let watch = pages.to_str().unwrap().to_owned();
    let mut server = Server::start(&index_dir, &["--watch", &watch]);
    assert_eq!(server.get("/api/search?q=model").0, 200);
    cut_short(&index_dir, "store");
    let _ = agent().get(&server.url("/api/search?q=video")).call();
    assert_eq!(server.wait(), Some(2));
    let stderr = server.stderr.lock().unwrap().clone();
    assert!(stderr.contains("was cut short while this process read it") && !stderr.contains("Bus error"), "{stderr}");
}

#[test]
fn watched_folders_are_indexed_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (pages, index_dir) = (dir.path().join("pages"), dir.path().join("index"));
    synth(&pages, 3, 21);
    let watch = pages.to_str().unwrap().to_owned();
    let server = Server::start(&index_dir, &["--watch", &watch]);
    let total = |server: &Server| {
        let (status, body) = server.get("/api/search?kind=page&limit=0");
        if status == 200 { body["total_hits"].as_u64() } else { None }
    };
    eventually("the first build from the watched folder", || total(&server) == Some(3));
    // A new page appears (written beside the others, as a site build would). Synthetic
    // ids follow the page number: the fourth page of another corpus is new here.
    let more = dir.path().join("more");
    synth(&more, 4, 22);
    let ids = |dir: &Path| -> Vec<(String, PathBuf)> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .map(|p| (p.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned(), p))
            .collect()
    };
    let known: Vec<String> = ids(&pages).into_iter().map(|(id, _)| id).collect();
    let (_, new_page) = ids(&more).into_iter().find(|(id, _)| !known.contains(id)).unwrap();
    // A file that gives no records is said once, not at every update after.
    let empty = pages.join("empty/index.md");
    std::fs::create_dir_all(empty.parent().unwrap()).unwrap();
    std::fs::write(&empty, "").unwrap();
    eventually("the empty file's problem", || server.stderr.lock().unwrap().contains("empty file"));
    let added = pages.join("added/index.md");
    std::fs::create_dir_all(added.parent().unwrap()).unwrap();
    std::fs::copy(&new_page, &added).unwrap();
    eventually("the added page", || total(&server) == Some(4));
    // A removed page goes.
    std::fs::remove_file(&added).unwrap();
    eventually("the removed page", || total(&server) == Some(3));
    let log = server.stderr.lock().unwrap().clone();
    assert!(log.contains("watching"), "{log}");
    assert_eq!(log.matches("empty file").count(), 1, "{log}");
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let mut server = Server::start(&synth_index(), &[]);
    // One keep-alive connection, served once (so it is accepted), then a slow search on it.
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // Each request in one write, sent at once: the server must have it whole when the
    // signal comes.
    stream.set_nodelay(true).unwrap();
    stream.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let (status, body) = read_response(&mut reader);
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    stream
        .write_all(format!("GET /api/search?q=model&limit=10000 HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(30));
    server.signal(libc::SIGTERM);
    let (status, body) = read_response(&mut reader);
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert!(doc["hits"].as_array().unwrap().len() > 100);
    assert_eq!(server.wait(), Some(0), "{}", server.stderr.lock().unwrap());
    assert!(server.stderr.lock().unwrap().contains("shutting down"));

    let mut idle = Server::start(&synth_index(), &[]);
    assert_eq!(idle.get("/healthz").0, 200);
    idle.signal(libc::SIGINT);
    assert_eq!(idle.wait(), Some(0));

    // A client that has sent half a request's head does not hold the stop for the rest
    // of its head's time (10 s): it is closed within the shutdown grace (1 s).
    let mut half = Server::start(&synth_index(), &[]);
    let addr = half.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.write_all(b"GET /api/search?q=vid").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let signalled = Instant::now();
    half.signal(libc::SIGTERM);
    assert_eq!(half.wait(), Some(0));
    assert!(signalled.elapsed() < Duration::from_secs(4), "stopped after {:?}", signalled.elapsed());
}

#[test]
fn serve_listens_on_loopback_by_default() {
    let out = paperdex().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[default: 127.0.0.1:7700]"), "{help}");
}

#[test]
fn bad_serve_options_are_refused_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let out = paperdex()
        .args(["serve", "--addr", "127.0.0.1:0", "--index"])
        .arg(dir.path().join("index"))
        .arg("--watch")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot index") && stderr.contains("missing"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(out.stdout.is_empty(), "it listened anyway");
    for args in [["--time-limit-ms", "0"], ["--max-in-flight", "0"]] {
        let out = paperdex().args(["serve", "--addr", "127.0.0.1:0"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(args[0]), "{args:?}");
    }
    for (addr, says) in [("localhost", "has no port"), ("no-such-host.invalid:80", "is not an address to listen on")] {
        let out = paperdex().args(["serve", "--addr", addr]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{addr}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{addr}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_host_name_is_an_address_to_listen_on() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_paperdex"))
        .args(["serve", "--addr", "localhost:0", "--index"])
        .arg(synth_index())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("listening on http://127.0.0.1:") || line.starts_with("listening on http://[::1]:"),
        "{line}"
    );
}
