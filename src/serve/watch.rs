//! `--watch DIR`: files that change under the watched folders are indexed into the served
//! index while serving. A `notify` watcher feeds a background thread, which waits for a
//! quiet moment (edits come in bursts) and runs the library's incremental update, the same
//! as `paperdex index DIR...`; the served reader then follows the commit. Each run is
//! logged on stderr.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher as _};

use super::{AppState, log};
use crate::error::{Error, Result};
use crate::index::{self, IndexOptions, Progress, UpdateRequest};
use crate::ingest::Problem;

/// How long the folders must be quiet before an update runs.
const QUIET: Duration = Duration::from_millis(300);
/// The longest an update waits for a quiet moment while files keep changing.
const MOST_WAIT: Duration = Duration::from_secs(5);
/// How soon an update that found the index busy (another writer) is tried again.
const RETRY: Duration = Duration::from_secs(2);

/// The running watcher; [`Watcher::stop`] lets a running update finish.
pub(crate) struct Watcher {
    stopping: Arc<AtomicBool>,
    thread: JoinHandle<()>,
    // Dropped last: it feeds the thread.
    _watcher: notify::RecommendedWatcher,
}

impl Watcher {
    /// Watches `roots` (folders or files that can be read), then brings the index up to
    /// date with them once, in the background.
    pub(crate) fn start(dir: PathBuf, roots: Vec<PathBuf>, state: Arc<AppState>) -> Result<Watcher> {
        let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        })
        .map_err(|e| watch_error(&roots[0], &e))?;
        for root in &roots {
            watcher.watch(root, RecursiveMode::Recursive).map_err(|e| watch_error(root, &e))?;
        }
        let names: Vec<String> = roots.iter().map(|r| crate::ingest::path::escape(r)).collect();
        log(&format!("watching {}", names.join(", ")));
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        let thread = std::thread::Builder::new()
            .name("paperdex-watch".into())
            .spawn(move || watch_loop(&dir, &roots, &rx, &stop, &state))
            .map_err(|e| Error::Internal(format!("cannot start the watcher thread: {e}")))?;
        Ok(Watcher { stopping, thread, _watcher: watcher })
    }

    /// Stops watching; an update in progress finishes (and commits) first.
    pub(crate) fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
    }
}

fn watch_error(root: &Path, e: &notify::Error) -> Error {
    Error::Root { path: root.to_path_buf(), reason: format!("it cannot be watched ({e})") }
}

fn watch_loop(
    dir: &Path,
    roots: &[PathBuf],
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    stopping: &AtomicBool,
    state: &AppState,
) {
    // Changes made while the server was down are picked up first.
    let mut pending_since = Some(Instant::now() - QUIET);
    let mut last_event = Instant::now() - QUIET;
    let mut retry_at: Option<Instant> = None;
    while !stopping.load(Ordering::SeqCst) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(event)) if relevant(&event, dir) => {
                last_event = Instant::now();
                pending_since.get_or_insert(last_event);
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => log(&format!("watch error: {e}; the next change is indexed as usual")),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let Some(since) = pending_since else { continue };
        let now = Instant::now();
        let quiet = now.duration_since(last_event) >= QUIET || now.duration_since(since) >= MOST_WAIT;
        if !quiet || retry_at.is_some_and(|at| now < at) {
            continue;
        }
        pending_since = None;
        retry_at = None;
        match update(dir, roots) {
            Ok(()) => {
                // A first build: the server starts serving it now.
                if let Err(e) = state.try_open() {
                    log(&format!("cannot open the index after the update: {e}"));
                }
            }
            Err(Error::IndexBusy { pid, .. }) => {
                let by = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
                log(&format!("the index is being written by another paperdex process{by}; trying again shortly"));
                pending_since = Some(now);
                retry_at = Some(now + RETRY);
            }
            Err(e) => log(&format!("update failed: {e}")),
        }
    }
}

/// A change to a file that could be a review page, outside the index folder.
fn relevant(event: &notify::Event, dir: &Path) -> bool {
    if matches!(event.kind, EventKind::Access(_)) {
        return false;
    }
    let index_dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    event.paths.iter().any(|p| {
        let inside_index = p.starts_with(&index_dir) || p.starts_with(dir);
        // A folder's rename or removal can stand for many pages.
        let page_like = p.extension().is_none_or(|e| e == "md" || e == "txt");
        !inside_index && page_like
    })
}

/// One incremental update of the watched folders, logged.
fn update(dir: &Path, roots: &[PathBuf]) -> Result<()> {
    let request = UpdateRequest { roots: roots.to_vec(), ..UpdateRequest::default() };
    // One thread: searches keep the other cores.
    let options = IndexOptions { threads: 1, memory_budget: 100_000_000, ..IndexOptions::default() };
    let summary = crate::commands::engine_guard(dir, || index::update(dir, &request, &options, &LogProgress))?;
    if summary.added + summary.updated + summary.removed > 0 {
        log(&crate::commands::index::summary_line(dir, &summary));
    }
    Ok(())
}

/// An update's problems and notes, as log lines.
struct LogProgress;

/// Problems logged already: a file that gives no records is read again by every update,
/// and its problem is said once, not at each.
static LOGGED_PROBLEMS: std::sync::Mutex<Option<std::collections::HashSet<String>>> = std::sync::Mutex::new(None);

impl Progress for LogProgress {
    fn problem(&self, problem: &Problem) {
        let line = format!("{problem}");
        let mut logged = LOGGED_PROBLEMS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if logged.get_or_insert_with(Default::default).insert(line.clone()) {
            log(&line);
        }
    }

    fn note(&self, message: &str) {
        log(message);
    }
}
