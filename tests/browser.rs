//! The web page in a real browser: headless Chromium driven through chromedriver
//! (WebDriver, with the DevTools protocol for colour scheme and phone width) against
//! `paperdex serve` on an index of synthetic pages. It types a query and sees hits,
//! ticks a facet value and sees the counts and the URL change, goes back and sees the
//! earlier state, clicks a matrix cell, and saves screenshots (light, dark, phone width)
//! under `target/screenshots/`.
//!
//! Needs `chromium` and `chromedriver` on PATH (Debian: `apt-get install chromium
//! chromium-driver`). A build without them marks the test `ignored, needs chromium and
//! chromedriver` (build.rs); under `CI=true` it always runs, and fails when they are
//! missing.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long the page may take to reach a state it is waited for.
const PATIENCE: Duration = Duration::from_secs(15);

/// A child process that is killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The executable `name` on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}

fn required(name: &str) -> PathBuf {
    on_path(name).unwrap_or_else(|| {
        panic!(
            "`{name}` is not on PATH: the browser test needs chromium and chromedriver \
             (Debian: `apt-get install chromium chromium-driver`; .ci/run installs them)"
        )
    })
}

/// Where the screenshots go: `target/screenshots/` (or under `CARGO_TARGET_DIR`).
fn screenshot_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| common::root().join("target"));
    target.join("screenshots")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free local port").port()
}

/// 120 synthetic pages (some of them surveys with method tables) and the default corpus
/// (a survey whose Table 1 sorts 32 methods into 4 categories × 4 mechanisms), indexed.
fn build_index(dir: &Path) -> PathBuf {
    let pages = dir.join("pages");
    let index = dir.join("index");
    common::paperdex().args(["synth", "--pages", "120", "--seed", "7", "--out"]).arg(&pages).assert().success();
    common::paperdex()
        .arg("index")
        .arg(&pages)
        .arg(common::root().join("corpus"))
        .arg("--index")
        .arg(&index)
        .arg("--quiet")
        .assert()
        .success();
    index
}

/// `paperdex serve` on an ephemeral port, and the address it says it listens on.
fn start_server(index: &Path) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_paperdex"))
        .arg("serve")
        .arg("--index")
        .arg(index)
        .args(["--addr", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("paperdex serve starts");
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let out_tx = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = out_tx.send(line);
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("serve: {line}");
        }
    });
    let server = Running(child);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(url) = line.strip_prefix("listening on ") {
                    return (server, url.trim().trim_end_matches('/').to_owned());
                }
            }
            Err(_) => panic!("paperdex serve did not say `listening on http://...` within {PATIENCE:?}"),
        }
    }
}

/// chromedriver on a free port, once it answers `/status`.
fn start_chromedriver() -> (Running, String) {
    let driver = required("chromedriver");
    let port = free_port();
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver.display()));
    let running = Running(child);
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (running, format!("http://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromedriver did not listen on port {port} within {PATIENCE:?}");
}

/// A DevTools protocol command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

/// The browser console's entries since the last call (chromedriver's `se/log`).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

/// Fails on any error the page logged (a script error, a failed request).
async fn assert_no_console_errors(client: &Client, when: &str) {
    let log = client.issue_cmd(BrowserLog).await.expect("the browser log");
    let errors: Vec<&Value> = log.as_array().into_iter().flatten().filter(|e| e["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "the page logged errors {when}: {errors:#?}");
}

async fn cdp(client: &Client, cmd: &'static str, params: Value) {
    client.issue_cmd(Cdp { cmd, params }).await.unwrap_or_else(|e| panic!("DevTools {cmd} failed: {e}"));
}

/// The JSON of one API call.
fn get_json(url: &str) -> Value {
    let body = ureq::get(url).call().unwrap_or_else(|e| panic!("GET {url}: {e}")).body_mut().read_to_string();
    serde_json::from_str(&body.unwrap_or_else(|e| panic!("GET {url}: {e}")))
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// What the test reads off the page, in one script run.
const PAGE_STATE: &str = r#"
const text = (sel) => { const n = document.querySelector(sel); return n ? n.textContent.trim() : null; };
const counts = {};
for (const box of document.querySelectorAll('#facets input[type=checkbox]')) {
  const row = box.closest('.value-row');
  counts[box.dataset.field + ':' + box.dataset.value] = {
    checked: box.checked,
    count: Number((row.querySelector('.count').textContent || '').replace(/,/g, '')),
  };
}
return {
  url: location.href,
  query: document.getElementById('q').value,
  summary: text('#summary'),
  hits: [...document.querySelectorAll('#hits .hit')].map((h) => ({
    id: h.dataset.id,
    badge: h.querySelector('.badge').textContent,
    title: text('#' + CSS.escape(h.querySelector('.hit-title').id) + ' .hit-link'),
    meta: h.querySelector('.hit-meta').textContent,
    date: (h.querySelector('time') || { getAttribute: () => null }).getAttribute('datetime'),
    marks: [...h.querySelectorAll('.snippet mark')].map((m) => m.textContent),
  })),
  chips: [...document.querySelectorAll('#chips .chip')].map((c) => c.textContent),
  facets: counts,
  cells: [...document.querySelectorAll('#matrix button.cell')].map((b) => ({
    category: b.dataset.category, mechanism: b.dataset.mechanism,
    count: Number(b.textContent.replace(/,/g, '')), pressed: b.getAttribute('aria-pressed'),
  })),
  busy: document.body.classList.contains('loading'),
  filters_open: document.getElementById('filters-panel').open,
  messages: text('#messages'),
  empty: text('#hits .empty'),
  // Matrix row labels whose text is cut (wider than the cell shows).
  clipped_labels: [...document.querySelectorAll('#matrix tbody th')]
    .filter((th) => th.scrollWidth > th.clientWidth).map((th) => th.textContent),
  active: document.activeElement ? (document.activeElement.id || document.activeElement.className) : null,
  // Against the screen too: at phone width the layout viewport may widen to fit the page.
  overflow: document.documentElement.scrollWidth - Math.min(window.innerWidth, screen.width),
  dark: matchMedia('(prefers-color-scheme: dark)').matches,
  background: getComputedStyle(document.body).backgroundColor,
};
"#;

/// One key pressed and released, to whatever has the focus.
async fn press(client: &Client, key: char) {
    let keys =
        KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.expect("a key press");
}

async fn page_state(client: &Client) -> Value {
    client.execute(PAGE_STATE, vec![]).await.expect("the page state script runs")
}

/// Waits until `ready` holds for the page state (and no search is in flight), or fails
/// with what was awaited and the last state seen.
async fn wait_until(client: &Client, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let state = page_state(client).await;
        if state["busy"] == false && ready(&state) {
            return state;
        }
        if Instant::now() > deadline {
            panic!("waited {PATIENCE:?} for {what}; the page is now:\n{state:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `N` from the summary `N results in X ms` (or `N papers in X ms`).
fn summary_total(state: &Value) -> Option<u64> {
    let summary = state["summary"].as_str()?;
    let (n, rest) = summary.split_once(' ')?;
    let (_, took) = rest.split_once(" in ")?;
    took.ends_with(" ms").then(|| n.replace(',', "").parse().ok())?
}

fn facet(state: &Value, key: &str) -> (bool, u64) {
    let f = &state["facets"][key];
    (f["checked"].as_bool().unwrap_or(false), f["count"].as_u64().unwrap_or(0))
}

fn url_params(state: &Value) -> Vec<(String, String)> {
    let url = url::Url::parse(state["url"].as_str().expect("a URL")).expect("the page's URL parses");
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

async fn save_screenshot(client: &Client, name: &str) -> PathBuf {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("the screenshot folder can be made");
    let png = client.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot {name} is not a PNG");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).expect("the screenshot is written");
    common::note(&format!("screenshot: {}", path.display()));
    path
}

async fn desktop(client: &Client, dark: bool) {
    cdp(
        client,
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    let scheme = if dark { "dark" } else { "light" };
    cdp(
        client,
        "Emulation.setEmulatedMedia",
        json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
    )
    .await;
}

#[cfg_attr(paperdex_no_browser, ignore = "needs chromium and chromedriver")]
#[tokio::test(flavor = "current_thread")]
async fn the_page_searches_filters_goes_back_and_filters_by_a_matrix_cell() {
    let chromium = required("chromium");
    let dir = tempfile::tempdir().expect("a temp dir");
    let index = build_index(dir.path());
    let (_server, base) = start_server(&index);
    let (_driver, driver_url) = start_chromedriver();

    let mut caps = Capabilities::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver_url)
        .await
        .expect("a chromedriver session");
    let outcome = drive(&client, &base).await;
    let _ = client.close().await;
    outcome
}

async fn drive(client: &Client, base: &str) {
    desktop(client, false).await;
    client.goto(&format!("{base}/")).await.expect("the page loads");
    let browsing =
        wait_until(client, "the first results (browsing)", |s| summary_total(s).is_some_and(|n| n > 0)).await;
    let all = summary_total(&browsing).expect("a total");

    // A long value list (affiliations) shows its first values, "show more" the rest of
    // those the search fetched, and its filter box finds any value, fetched or not.
    let affiliations = |s: &Value| -> Vec<String> {
        s["facets"]
            .as_object()
            .map(|f| f.keys().filter_map(|k| k.strip_prefix("affiliation:")).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let every: Vec<String> = get_json(&format!("{base}/api/facets/affiliation"))["counts"]
        .as_array()
        .expect("affiliation counts")
        .iter()
        .map(|c| c["path"].as_str().expect("a path").to_owned())
        .collect();
    let short = affiliations(&browsing);
    assert!(short.len() < every.len(), "the sidebar starts with some of the {} affiliations: {short:?}", every.len());
    client
        .find(Locator::Css("#facets section[aria-labelledby=facet-affiliation] button.more"))
        .await
        .expect("show more")
        .click()
        .await
        .expect("a click");
    let long = wait_until(client, "more affiliations after `show more`", |s| affiliations(s).len() > short.len()).await;
    let unseen = every.iter().rev().find(|v| !affiliations(&long).contains(v));
    let wanted = unseen.expect("more affiliations than one search fetches, so that the box must fetch them").clone();
    let label = wanted.rsplit('/').next().expect("a label").to_lowercase();
    client
        .find(Locator::Id("facet-filter-affiliation"))
        .await
        .expect("the affiliation filter box")
        .send_keys(&label)
        .await
        .expect("typing");
    let narrowed = wait_until(client, "the filter box to find an affiliation", |s| {
        let found = affiliations(s);
        found.contains(&wanted) && found.iter().all(|a| a.to_lowercase().contains(&label))
    })
    .await;
    assert!(affiliations(&narrowed).len() < every.len());

    // `/` focuses the search box; typing searches (debounced) and puts the query in the URL.
    client
        .find(Locator::Id("facet-affiliation"))
        .await
        .expect("the affiliation heading")
        .click()
        .await
        .expect("a click away from the box");
    press(client, '/').await;
    wait_until(client, "`/` to focus the search box", |s| s["active"] == "q").await;
    client.find(Locator::Id("q")).await.expect("the search box").send_keys("video").await.expect("typing");
    let typed = wait_until(client, "hits for `video`", |s| {
        url_params(s).contains(&("q".into(), "video".into())) && !s["hits"].as_array().is_none_or(|h| h.is_empty())
    })
    .await;
    let total = summary_total(&typed).expect("`N results in X ms`");
    assert!(total < all, "`video` should find fewer records ({total}) than browsing ({all})");
    let marked = typed["hits"].as_array().expect("hits").iter().any(|h| {
        h["marks"]
            .as_array()
            .is_some_and(|m| m.iter().any(|w| w.as_str().is_some_and(|w| w.eq_ignore_ascii_case("video"))))
    });
    assert!(marked, "some snippet should mark `video`: {:#}", typed["hits"]);

    // Ticking a value filters the hits, changes the other fields' counts and the URL.
    let (checked, pages) = facet(&typed, "kind:/page");
    assert!(!checked && pages > 0 && pages < total, "kind /page should count some of the {total} hits: {pages}");
    let dates_before: Vec<u64> = ["date:/2024", "date:/2025"].iter().map(|k| facet(&typed, k).1).collect();
    client
        .find(Locator::Css(r#"#facets input[data-field="kind"][data-value="/page"]"#))
        .await
        .expect("the kind /page box")
        .click()
        .await
        .expect("a click");
    // The filtered total is the count its box showed (read from the same state: a count
    // read before the click may be one render behind on a loaded machine).
    let ticked = wait_until(client, "the kind /page filter to apply", |s| {
        let (checked, count) = facet(s, "kind:/page");
        checked && summary_total(s) == Some(count) && summary_total(s) < Some(total)
    })
    .await;
    let pages = summary_total(&ticked).expect("`N results in X ms`");
    assert!(
        url_params(&ticked).contains(&("filter".into(), "kind:/page".into())),
        "the URL should hold the filter: {}",
        ticked["url"]
    );
    assert!(facet(&ticked, "kind:/page").0, "the box should stay ticked");
    assert!(
        ticked["hits"].as_array().expect("hits").iter().all(|h| h["badge"] == "page"),
        "only pages: {:#}",
        ticked["hits"]
    );
    assert_eq!(ticked["chips"], json!(["Kind: page×"]), "one chip for the filter");
    let dates_after: Vec<u64> = ["date:/2024", "date:/2025"].iter().map(|k| facet(&ticked, k).1).collect();
    assert!(
        dates_after.iter().sum::<u64>() <= pages && dates_after != dates_before,
        "the date counts should count the {pages} pages only: before {dates_before:?}, after {dates_after:?}"
    );
    // OR within a field: the other kinds keep their counts.
    assert!(facet(&ticked, "kind:/caption").1 > 0, "kind counts leave out the kind filter: {:#}", ticked["facets"]);

    // Back: the state before the tick, from the URL.
    client.back().await.expect("history back");
    let back =
        wait_until(client, "Back to undo the filter", |s| summary_total(s) == Some(total) && !facet(s, "kind:/page").0)
            .await;
    assert!(!url_params(&back).iter().any(|(k, _)| k == "filter"), "no filter in the URL after Back: {}", back["url"]);
    assert_eq!(back["query"], "video");
    assert_eq!(back["chips"], json!([]));
    client.forward().await.expect("history forward");
    let forward = wait_until(client, "Forward to redo the filter", |s| {
        summary_total(s) == Some(pages) && facet(s, "kind:/page").0
    })
    .await;

    // Paging, sorting and one hit per paper are in the URL too.
    let ids = |s: &Value| -> Vec<String> {
        s["hits"].as_array().into_iter().flatten().filter_map(|h| h["id"].as_str().map(str::to_owned)).collect()
    };
    client
        .find(Locator::Css(r#"#pager button[aria-label="Next page"]"#))
        .await
        .expect("Next")
        .click()
        .await
        .expect("a click");
    let second = wait_until(client, "the second page", |s| url_params(s).contains(&("page".into(), "2".into()))).await;
    assert!(
        !ids(&second).is_empty() && ids(&second).iter().all(|id| !ids(&forward).contains(id)),
        "new hits on page 2"
    );
    client.find(Locator::Id("sort")).await.expect("the sort box").select_by_value("date").await.expect("Oldest");
    let oldest = wait_until(client, "oldest first", |s| url_params(s).contains(&("sort".into(), "date".into()))).await;
    assert!(!url_params(&oldest).iter().any(|(k, _)| k == "page"), "a new sort starts at page 1: {}", oldest["url"]);
    let dates: Vec<&str> = oldest["hits"].as_array().expect("hits").iter().filter_map(|h| h["date"].as_str()).collect();
    assert!(!dates.is_empty() && dates.is_sorted(), "oldest first: {dates:?}");
    client.find(Locator::Id("group")).await.expect("the group box").click().await.expect("a click");
    let grouped =
        wait_until(client, "one hit per paper", |s| s["summary"].as_str().is_some_and(|t| t.contains(" papers in ")))
            .await;
    assert!(
        url_params(&grouped).contains(&("group".into(), "page".into())),
        "the URL says group=page: {}",
        grouped["url"]
    );
    // Beside one hit per paper, the filters count papers too: a paper has one language.
    client.goto(&format!("{base}/?q=video&group=page")).await.expect("the page loads again");
    let grouped = wait_until(client, "papers that match video", |s| {
        s["summary"].as_str().is_some_and(|t| t.contains(" papers in "))
            && s["facets"].as_object().is_some_and(|f| f.keys().any(|k| k.starts_with("lang:")))
    })
    .await;
    let papers: u64 = grouped["summary"]
        .as_str()
        .and_then(|t| t.split(' ').next())
        .map_or(0, |n| n.replace(',', "").parse().unwrap_or_else(|_| panic!("a paper count: {}", grouped["summary"])));
    let languages: u64 = grouped["facets"]
        .as_object()
        .expect("facet counts")
        .iter()
        .filter(|(key, _)| key.starts_with("lang:"))
        .map(|(_, v)| v["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(languages, papers, "language counts of papers: {:#}", grouped["facets"]);

    // A link that spells a value otherwise than the index (as the API allows) ticks the
    // index's own value, and the URL takes its spelling; no row of count 0 for it.
    client.goto(&format!("{base}/?q=video&filter=lang:EN")).await.expect("the page loads again");
    let spelled = wait_until(client, "lang:EN read as the index's /en", |s| facet(s, "lang:/en").0).await;
    assert!(spelled["facets"].get("lang:EN").is_none(), "no row for the link's spelling: {:#}", spelled["facets"]);
    assert!(facet(&spelled, "lang:/en").1 > 0, "{:#}", spelled["facets"]);
    assert!(url_params(&spelled).contains(&("filter".into(), "lang:/en".into())), "{}", spelled["url"]);
    // A link's unknown field is said as the link wrote it: the `filter` parameter.
    client.goto(&format!("{base}/?q=video&filter=nofield:abc")).await.expect("the page loads again");
    let unknown = wait_until(client, "the unknown field said", |s| {
        s["messages"].as_str().is_some_and(|t| t.contains("unknown facet field"))
    })
    .await;
    assert!(unknown["messages"].as_str().is_some_and(|t| t.contains("parameter `filter`")), "{}", unknown["messages"]);
    // The requests of that state fail for the filter; none asks for the field's counts.
    let log = client.issue_cmd(BrowserLog).await.expect("the browser log");
    let failed: Vec<&str> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"] == "SEVERE")
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        !failed.is_empty()
            && failed.iter().all(|m| m.contains("filter=nofield") && m.contains("400") && !m.contains("facet=nofield")),
        "{failed:#?}"
    );
    client.goto(&format!("{base}/?q=video&group=page")).await.expect("the page loads again");
    wait_until(client, "the papers again", |s| s["hits"].as_array().is_some_and(|h| !h.is_empty())).await;

    // Arrow keys move through the hits.
    client.find(Locator::Id("q")).await.expect("the search box").click().await.expect("a click");
    press(client, Key::Down.into()).await;
    wait_until(client, "ArrowDown to focus the first hit", |s| s["active"] == "hit").await;

    // The matrix of the methods that match `personalized` (the survey's 4 × 4): click the
    // fullest cell, get exactly its methods.
    client.goto(&format!("{base}/?q=personalized")).await.expect("the page loads again");
    let matrix =
        wait_until(client, "the category × mechanism matrix", |s| !s["cells"].as_array().is_none_or(|c| c.is_empty()))
            .await;
    // Each method hit is headed by its method's name, the survey's title beneath it; the
    // matrix's row labels read whole.
    let methods: Vec<&Value> =
        matrix["hits"].as_array().expect("hits").iter().filter(|h| h["badge"] == "method").collect();
    assert!(methods.len() > 1, "method hits for `personalized`: {:#}", matrix["hits"]);
    let mut titles: Vec<&str> = methods.iter().filter_map(|h| h["title"].as_str()).collect();
    assert!(
        methods
            .iter()
            .all(|h| h["meta"].as_str().is_some_and(|m| m.contains("Personalized Multimodal Large Language Models"))),
        "the survey's title in each method hit's meta line: {methods:#?}"
    );
    assert!(
        !titles.iter().any(|t| t.contains("Personalized Multimodal Large Language Models")),
        "method hits are headed by their names, not the survey's title: {titles:?}"
    );
    titles.sort_unstable();
    titles.dedup();
    assert_eq!(titles.len(), methods.len(), "each method hit has its own headline: {titles:?}");
    assert_eq!(matrix["clipped_labels"], json!([]), "matrix row labels are cut off at 1280 px");
    let cell =
        matrix["cells"].as_array().expect("cells").iter().max_by_key(|c| c["count"].as_u64()).cloned().expect("a cell");
    let (category, mechanism, n) = (
        cell["category"].as_str().expect("a category"),
        cell["mechanism"].as_str().expect("a mechanism"),
        cell["count"].as_u64().expect("a count"),
    );
    let selector = format!(r#"#matrix button.cell[data-category="{category}"][data-mechanism="{mechanism}"]"#);
    client.find(Locator::Css(&selector)).await.expect("the cell").click().await.expect("a click");
    let filtered = wait_until(client, "the matrix cell's filter to apply", |s| summary_total(s) == Some(n)).await;
    let params = url_params(&filtered);
    for (field, value) in [("category", category), ("mechanism", mechanism)] {
        assert!(
            params.contains(&("filter".into(), format!("{field}:{value}"))),
            "the URL should filter {field}: {}",
            filtered["url"]
        );
    }
    assert!(
        filtered["hits"].as_array().expect("hits").iter().all(|h| h["badge"] == "method"),
        "only methods: {:#}",
        filtered["hits"]
    );
    let pressed: Vec<&Value> =
        filtered["cells"].as_array().expect("cells").iter().filter(|c| c["pressed"] == "true").collect();
    assert_eq!(pressed.len(), 1, "one cell is marked as the filter: {:#}", filtered["cells"]);
    assert_eq!((pressed[0]["category"].as_str(), pressed[0]["mechanism"].as_str()), (Some(category), Some(mechanism)));
    assert_eq!(filtered["chips"].as_array().map(Vec::len), Some(2), "a chip per filter: {}", filtered["chips"]);

    // A chip's × removes its filter and nothing else.
    let chip = format!(r#"#chips button[aria-label="Remove filter Mechanism: {}"]"#, mechanism.trim_start_matches('/'));
    client.find(Locator::Css(&chip)).await.expect("the mechanism chip").click().await.expect("a click");
    let unchipped =
        wait_until(client, "the mechanism chip to go", |s| s["chips"].as_array().is_some_and(|c| c.len() == 1)).await;
    let params = url_params(&unchipped);
    assert!(
        params.contains(&("filter".into(), format!("category:{category}"))),
        "the category filter stays: {}",
        unchipped["url"]
    );
    assert!(
        !params.iter().any(|(k, v)| k == "filter" && v.starts_with("mechanism:")),
        "no mechanism filter: {}",
        unchipped["url"]
    );
    assert!(
        summary_total(&unchipped).is_some_and(|t| t > n),
        "the whole category has more than the cell's {n}: {}",
        unchipped["summary"]
    );
    save_screenshot(client, "light").await;
    assert_no_console_errors(client, "on the desktop").await;

    // A page number past the end says so and offers the last page (not "nothing
    // matches"); Back returns to the link as it was.
    let grouped_pages = get_json(&format!("{base}/api/search?q=video&filter=kind:/page&group=page&limit=0"));
    // The README's example link, paged past the end of this index's papers.
    let grouped_link = "?q=video&filter=kind:/page&sort=-date&page=9&group=page&open=date:/2025";
    let model = get_json(&format!("{base}/api/search?q=model&limit=0"));
    for (link, total, page) in [
        ("?q=model&page=999", model["total_hits"].as_u64().expect("a total"), "999"),
        (grouped_link, grouped_pages["total_pages"].as_u64().expect("a paper count"), "9"),
    ] {
        let last = total.div_ceil(20).max(1);
        assert!(last < page.parse().expect("a page number"), "{link} should be past the last page ({last})");
        client.goto(&format!("{base}/{link}")).await.expect("the page loads");
        let past = wait_until(client, &format!("{link} to say it is past the end"), |s| {
            s["empty"].as_str().is_some_and(|t| t.contains("past the end"))
        })
        .await;
        let empty = past["empty"].as_str().unwrap_or_default();
        assert!(!empty.contains("Nothing matches") && !empty.contains("Clear the filters"), "{link}: {empty}");
        assert!(empty.contains(&format!("Page {page} ")), "{link} names the page: {empty}");
        if page == "999" {
            save_screenshot(client, "past-end").await;
        }
        client
            .find(Locator::Css("#hits .past-end button"))
            .await
            .expect("the last-page button")
            .click()
            .await
            .expect("a click");
        let at_last = wait_until(client, &format!("{link}: the last page"), |s| {
            !s["hits"].as_array().is_none_or(|h| h.is_empty())
        })
        .await;
        let params = url_params(&at_last);
        let want = (last > 1).then(|| last.to_string());
        assert_eq!(
            params.iter().find(|(k, _)| k == "page").map(|(_, v)| v.clone()),
            want,
            "the URL names the last page: {}",
            at_last["url"]
        );
        let kept: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "page").collect();
        let before: Vec<(String, String)> = url_params(&past).into_iter().filter(|(k, _)| k != "page").collect();
        assert_eq!(kept, before.iter().collect::<Vec<_>>(), "only the page changes");
        client.back().await.expect("history back");
        wait_until(client, &format!("Back to {link}"), |s| {
            url_params(s).contains(&("page".into(), page.into()))
                && s["empty"].as_str().is_some_and(|t| t.contains("past the end"))
        })
        .await;
    }

    // Dark, and phone width, on the `video` results.
    client.goto(&format!("{base}/?q=video")).await.expect("the page loads again");
    desktop(client, true).await;
    let dark = wait_until(client, "the dark scheme", |s| s["dark"] == true && summary_total(s) == Some(total)).await;
    assert_ne!(dark["background"], back["background"], "dark mode should change the background");
    save_screenshot(client, "dark").await;
    cdp(
        client,
        "Emulation.setEmulatedMedia",
        json!({ "features": [{ "name": "prefers-color-scheme", "value": "light" }] }),
    )
    .await;
    cdp(
        client,
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
    )
    .await;
    client.goto(&format!("{base}/?q=video")).await.expect("the page loads at phone width");
    let phone = wait_until(client, "the results at phone width", |s| summary_total(s) == Some(total)).await;
    assert!(
        phone["overflow"].as_i64().is_some_and(|o| o <= 0),
        "nothing wider than a 390-px screen: {} px over",
        phone["overflow"]
    );
    save_screenshot(client, "phone").await;
    // With the category × mechanism matrix shown, only the matrix scrolls sideways.
    client.goto(&format!("{base}/?q=personalized")).await.expect("the matrix page loads at phone width");
    let phone_matrix = wait_until(client, "the matrix at phone width", |s| {
        !s["cells"].as_array().is_none_or(|c| c.is_empty()) && !s["hits"].as_array().is_none_or(|h| h.is_empty())
    })
    .await;
    assert!(
        phone_matrix["overflow"].as_i64().is_some_and(|o| o <= 0),
        "with the matrix shown, nothing wider than a 390-px screen: {} px over",
        phone_matrix["overflow"]
    );
    save_screenshot(client, "phone-matrix").await;
    client.goto(&format!("{base}/?q=video")).await.expect("the page loads at phone width");
    wait_until(client, "the results at phone width again", |s| summary_total(s) == Some(total)).await;
    // The filters start folded at phone width and open from their summary.
    assert_eq!(phone["filters_open"], false, "the filters start folded on a phone");
    client
        .find(Locator::Css("#filters-panel > summary"))
        .await
        .expect("the filters summary")
        .click()
        .await
        .expect("a click");
    wait_until(client, "the filters to open", |s| s["filters_open"] == true).await;
    assert!(
        client
            .find(Locator::Css("#facets input[type=checkbox]"))
            .await
            .expect("a facet box")
            .is_displayed()
            .await
            .expect("displayed"),
        "the facet boxes show once the filters open"
    );
    assert_no_console_errors(client, "at phone width").await;
}

/// A build that marked the browser test ignored, on a machine that now has chromium and
/// chromedriver, says to rebuild (build.rs decides once, when it runs).
#[test]
fn the_build_saw_the_browser_as_it_is() {
    let present = on_path("chromium").is_some() && on_path("chromedriver").is_some();
    if cfg!(paperdex_no_browser) && present {
        panic!(
            "chromium and chromedriver are on PATH now, but this build marked the browser test ignored: `touch build.rs` and test again"
        );
    }
}
