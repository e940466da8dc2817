//! `paperdex serve`: the search API and the web page over HTTP (axum on tokio). Every
//! search goes through the one search core ([`crate::search::search`]) on tokio's
//! blocking pool, bounded in number and in time; the index's reader follows new commits,
//! and `--watch` folders are indexed incrementally while serving.

pub mod assets;
pub mod params;
mod routes;
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::index::{self, PaperdexIndex};

/// The longest request body read (the API takes none; a body past this is refused).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The default time limit of one request's search.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(5);
/// The default number of searches admitted at once (running or waiting for a thread);
/// one more is refused at once with 503 rather than queued without bound.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;

/// A resolved `paperdex serve` configuration.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The index folder served.
    pub index: PathBuf,
    /// How to build that index, for the message while there is none.
    pub build_hint: String,
    pub addr: SocketAddr,
    /// Folders indexed into the served index as their files change.
    pub watch: Vec<PathBuf>,
    /// Origins allowed to call the API from a browser (`*`: any); none turns CORS off.
    pub cors: Vec<String>,
    pub time_limit: Duration,
    pub max_in_flight: usize,
}

/// What every request handler shares.
pub(crate) struct AppState {
    dir: PathBuf,
    build_hint: String,
    /// The served index, once it could be opened.
    index: RwLock<Option<Arc<PaperdexIndex>>>,
    admission: Arc<Semaphore>,
    time_limit: Duration,
    max_in_flight: usize,
}

impl AppState {
    /// The served index, or why there is none yet.
    fn index(&self) -> std::result::Result<Arc<PaperdexIndex>, Error> {
        if let Some(px) = self.index.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return Ok(Arc::clone(px));
        }
        // Not open yet (no index when the server started): try now, so the first
        // request after a build sees it.
        self.try_open()?;
        self.index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(Arc::clone)
            .ok_or_else(|| Error::NoIndex { path: self.dir.clone(), hint: self.build_hint.clone() })
    }

    /// Opens the index when it is not open yet.
    fn try_open(&self) -> Result<()> {
        let mut slot = self.index.write().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let px = index::open_live(&self.dir, &self.build_hint)?;
            log(&format!("serving the index at {}", self.dir.display()));
            *slot = Some(Arc::new(px));
        }
        Ok(())
    }
}

/// A line on stderr: what the server is doing (requests are not logged one by one).
pub(crate) fn log(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "paperdex serve: {line}");
}

/// Serves until SIGINT or SIGTERM; requests in flight are answered first.
pub fn run(config: ServeConfig) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(cores)
        // Searches run here; the admission limit keeps their queue bounded.
        .max_blocking_threads(cores)
        .thread_name("paperdex-serve")
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(serve(config))
}

async fn serve(config: ServeConfig) -> Result<()> {
    let state = Arc::new(AppState {
        dir: config.index.clone(),
        build_hint: config.build_hint.clone(),
        index: RwLock::new(None),
        admission: Arc::new(Semaphore::new(config.max_in_flight)),
        time_limit: config.time_limit,
        max_in_flight: config.max_in_flight,
    });
    // A watched folder that cannot be read is an error before anything else is said.
    for root in &config.watch {
        index::Root::resolve(root)?;
    }
    match state.try_open() {
        Ok(()) => {}
        Err(e @ Error::NoIndex { .. }) if !config.watch.is_empty() => {
            log(&format!("{e}; building it from the watched folders"))
        }
        Err(e @ Error::NoIndex { .. }) => log(&format!("{e}; /readyz says 503 until it exists")),
        Err(e) => return Err(e),
    }
    let watcher = if config.watch.is_empty() {
        None
    } else {
        Some(watch::Watcher::start(config.index.clone(), config.watch.clone(), Arc::clone(&state))?)
    };
    let app = routes::router(Arc::clone(&state), &config.cors)?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| Error::BadArgument(format!("cannot listen on {}: {e}", config.addr)))?;
    let bound = listener.local_addr().map_err(Error::Output)?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{bound}")?;
        out.flush()?;
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| Error::Internal(format!("the server stopped: {e}")))?;
    if let Some(watcher) = watcher {
        watcher.stop();
    }
    log("stopped");
    Ok(())
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    log("shutting down: answering the requests in flight");
}
