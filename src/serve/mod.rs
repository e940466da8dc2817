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
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// How long a client has to send a request's head (the request line and headers), from
/// when the server is ready to read it: on a new connection, and again after each answer
/// on a kept-alive one. Past it the connection is closed without an answer.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most connections open at once (fewer when the file-descriptor limit is lower).
pub const MAX_CONNECTIONS: usize = 4096;

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

    /// Lets go of the open index after an answer that found it damaged, when it is the
    /// one that answered: the next request opens it again, and opening checks it (a
    /// file cut short while open reads as zeros until the index is opened again).
    fn forget_damaged(&self, answered: &Arc<PaperdexIndex>) {
        let mut slot = self.index.write().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|px| Arc::ptr_eq(px, answered)) {
            *slot = None;
            log(&format!("the index at {} is damaged; it is opened again for the next request", self.dir.display()));
        }
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
    let served = runtime.block_on(serve(config));
    // Every request has its answer by now; a search still running is one past the time
    // limit, answered 503 already. It only reads, so the process does not wait for it.
    runtime.shutdown_background();
    served
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
    // A watched folder that cannot be read, or a CORS origin that is not one, is an error
    // before anything else is said.
    for root in &config.watch {
        index::Root::resolve(root)?;
    }
    let app = routes::router(Arc::clone(&state), &config.cors)?;
    // The address first: a port in use is said before anything is served.
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| Error::BadArgument(format!("cannot listen on {}: {e}", config.addr)))?;
    match state.try_open() {
        Ok(()) => {}
        Err(Error::NoIndex { .. }) if !config.watch.is_empty() => {
            log(&format!("no index at {} yet; building it from the watched folders", config.index.display()))
        }
        Err(e @ Error::NoIndex { .. }) => log(&format!("{e}; /readyz says 503 until it exists")),
        Err(e) => return Err(e),
    }
    let watcher = if config.watch.is_empty() {
        None
    } else {
        Some(watch::Watcher::start(config.index.clone(), config.watch.clone(), Arc::clone(&state))?)
    };
    let bound = listener.local_addr().map_err(Error::Output)?;
    let shutdown = shutdown_signal();
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{bound}")?;
        out.flush()?;
    }
    accept_loop(listener, app, connection_limit(), shutdown).await;
    if let Some(watcher) = watcher {
        watcher.stop();
    }
    log("stopped");
    Ok(())
}

/// Accepts connections until SIGINT or SIGTERM, at most `limit` open at once (past it the
/// next waits in the kernel's backlog until one closes). A client has
/// [`HEADER_READ_TIMEOUT`] for each request's head, counted from when the server is ready
/// to read it: a connection that sends nothing, stops halfway through a head or sits idle
/// between keep-alive requests is closed then. On the signal the listener closes, idle
/// connections close, and requests in flight are answered before this returns; a
/// connection whose request is not being answered (its head half sent) is given
/// [`SHUTDOWN_GRACE`], not the rest of its head's time.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limit: usize,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let connections = Arc::new(Semaphore::new(limit));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // A connection reset before it was accepted is the client's business;
                    // anything else (out of file descriptors) is said, then waited out.
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
                    ) {
                        log(&format!("cannot accept a connection: {e}; trying again in a second"));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        // Whether a request of this connection is being answered.
        let answering = Arc::new(AtomicUsize::new(0));
        let service = {
            let (answering, app) = (Arc::clone(&answering), TowerToHyperService::new(app.clone()));
            hyper::service::service_fn(move |request| {
                let answer = hyper::service::Service::call(&app, request);
                let counted = Answering::start(Arc::clone(&answering));
                async move {
                    let _counted = counted;
                    answer.await
                }
            })
        };
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _permit = permit;
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopped.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let mut idle = Duration::ZERO;
                    while idle < SHUTDOWN_GRACE {
                        let tick = SHUTDOWN_GRACE / 10;
                        tokio::select! {
                            _ = connection.as_mut() => break,
                            () = tokio::time::sleep(tick) => {
                                idle = if answering.load(Ordering::SeqCst) == 0 { idle + tick } else { Duration::ZERO };
                            }
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection's permit back: each has answered its request in flight and closed.
    let _ = connections.acquire_many(u32::try_from(limit).unwrap_or(u32::MAX)).await;
}

/// How long a stopping server keeps a connection none of whose requests is being
/// answered: time for an answer just made to be written out, not for a client that is
/// still sending its request.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Counts a request of a connection as being answered until dropped (answered, or the
/// connection gone).
struct Answering(Arc<AtomicUsize>);

impl Answering {
    fn start(count: Arc<AtomicUsize>) -> Answering {
        count.fetch_add(1, Ordering::SeqCst);
        Answering(count)
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The most connections open at once: [`MAX_CONNECTIONS`], or fewer when the process may
/// not open that many files (a few hundred kept for the index's own).
fn connection_limit() -> usize {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit(2) writes one rlimit into the struct it is given.
    let files = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    } else {
        1024
    };
    files.saturating_sub(256).clamp(16, MAX_CONNECTIONS)
}

/// Resolves on the first SIGINT or SIGTERM. The handlers are installed here, before the
/// first connection is accepted: a signal that comes while the first requests are served
/// must not find the default action (ending the process) still in place.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    let mut terminate = signal(SignalKind::terminate()).ok();
    async move {
        let interrupted = async {
            match interrupt.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let terminated = async {
            match terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupted => {}
            () = terminated => {}
        }
        log("shutting down: answering the requests in flight");
    }
}
