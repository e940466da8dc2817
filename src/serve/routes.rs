//! The HTTP routes: each parses its parameters into the typed request (`params`), runs
//! the search core on the blocking pool within the time limit, and answers JSON. Every
//! error is `{"error": {"kind", "message"}}` with its status: 400 for the caller's
//! mistakes, 404 for what is not there, 503 when the server is busy, out of time or has
//! no index yet, 500 for faults of the index or of paperdex.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, OwnedValue};
use tantivy::{Document, TantivyDocument, Term};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::params::{self, Params};
use super::{AppState, MAX_BODY_BYTES, assets, log};
use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
use crate::output::json::{ErrorBody, ErrorJson, SearchJson};
use crate::search;

/// The API's endpoints, for the message of an unknown one.
const ENDPOINTS: &str = "/api/search, /api/records/{id}, /api/facets/{field}, /api/stats, /healthz, /readyz";

/// The longest record id looked up, in bytes.
const MAX_ID_BYTES: usize = 1024;

pub(crate) fn router(state: Arc<AppState>, cors: &[String]) -> Result<Router> {
    // A request not answered within the time limit gets 503 and its connection back; its
    // search (if one runs) ends on the blocking pool, holding its admission slot until then.
    let time_limit = state.time_limit;
    let mut router = Router::new()
        .route("/api/search", get(search_route))
        .route("/api/records/{*id}", get(record_route))
        .route("/api/facets/{field}", get(facet_route))
        .route("/api/stats", get(stats_route))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, time_limit))
        .layer(axum::middleware::map_response(
            move |response: Response| async move { json_errors(response, time_limit) },
        ))
        .layer(CompressionLayer::new());
    if !cors.is_empty() {
        router = router.layer(cors_layer(cors)?);
    }
    Ok(router)
}

/// CORS for the origins named (`*`: any), GET only; without `--cors` no CORS header is
/// sent and browsers keep other sites' pages from reading the API.
fn cors_layer(origins: &[String]) -> Result<CorsLayer> {
    let layer = CorsLayer::new().allow_methods([Method::GET, Method::HEAD]);
    if origins.iter().any(|o| o == "*") {
        return Ok(layer.allow_origin(AllowOrigin::any()));
    }
    let values = origins
        .iter()
        .map(|o| {
            let origin = parse_origin(o).map_err(|why| {
                Error::BadArgument(format!(
                    "CORS origin `{o}` is not an origin ({why}); write it as scheme://host[:port] (http://localhost:3000) or *"
                ))
            })?;
            HeaderValue::from_str(&origin).map_err(|e| Error::Internal(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(layer.allow_origin(AllowOrigin::list(values)))
}

/// An origin as a browser sends it in `Origin`: `http` or `https`, a host name, an IPv4
/// address or a bracketed IPv6 one, and a port (1 to 65535) if any; one trailing `/` is
/// dropped. The scheme and host are lowercased, as browsers send them.
pub(crate) fn parse_origin(text: &str) -> std::result::Result<String, String> {
    if text.contains(',') {
        return Err("a comma; name each origin on its own".into());
    }
    let lower = text.to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://").ok_or("no scheme")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if scheme != "http" && scheme != "https" {
        return Err(format!("the scheme is `{scheme}`, not http or https"));
    }
    if let Some(c) = rest.chars().find(|c| matches!(c, '/' | '?' | '#' | '@') || c.is_whitespace() || c.is_control()) {
        return Err(format!("`{}` after the host; an origin has no path, query, user or spaces", c.escape_default()));
    }
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']').ok_or("an IPv6 address without its `]`")?;
            address.parse::<std::net::Ipv6Addr>().map_err(|_| format!("`{address}` is not an IPv6 address"))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or("text after the IPv6 address")?),
            };
            (None, port)
        }
        None => match rest.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(rest), None),
        },
    };
    if let Some(host) = host {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if host.is_empty() {
            return Err("no host".into());
        }
        if host.len() > 253 || !host.split('.').all(label_ok) {
            return Err(format!("`{host}` is not a host name"));
        }
    }
    if let Some(port) = port
        && !(port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0))
    {
        return Err(format!("the port `{port}` is not between 1 and 65535"));
    }
    Ok(format!("{scheme}://{rest}"))
}

/// An error as the API answers it.
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, body: ErrorBody { kind, message: message.into(), column: None } }
    }

    fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match &e {
            // No index yet, or one being written for the first time: come back later.
            Error::NoIndex { .. } | Error::IndexBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            e if e.is_user_error() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let ErrorJson { error: mut body } = ErrorJson::new(&e);
        if matches!(e, Error::NoIndex { .. }) {
            body.kind = "not_ready";
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            log(&format!("error: {e}"));
        }
        ApiError { status, body }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let body = serde_json::to_vec(&ErrorJson { error: self.body }).unwrap_or_default();
        let mut response = json_response(status, body);
        let headers = response.headers_mut();
        match status {
            // Busy, out of time or not ready yet: worth trying again soon.
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            _ => {}
        }
        response
    }
}

/// The errors the layers answer themselves (a body past the limit, the time limit) as
/// JSON like every other error.
fn json_errors(response: Response, time_limit: Duration) -> Response {
    let status = response.status();
    let is_json = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes() == b"application/json");
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (kind, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("payload_too_large", format!("the request body is over {MAX_BODY_BYTES} bytes; the API takes none"))
        }
        StatusCode::SERVICE_UNAVAILABLE => (
            "timeout",
            format!(
                "the search took longer than the server's time limit of {} ms; narrow it (fewer hits, filters, no fuzzy words)",
                time_limit.as_millis()
            ),
        ),
        other => ("http", other.canonical_reason().unwrap_or("error").to_owned()),
    };
    ApiError::new(status, kind, message).into_response()
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(value)?)
}

type Answer = std::result::Result<Response, ApiError>;

impl AppState {
    /// Runs `work` on the served index on the blocking pool: at most `max_in_flight` at
    /// once (one more is 503 at once). The time limit is the router's: past it the
    /// request is answered 503 and this future dropped, while the search finishes in the
    /// background and frees its slot then. An engine panic becomes the damaged-index error.
    async fn run<T, F>(&self, work: F) -> std::result::Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&PaperdexIndex) -> Result<T> + Send + 'static,
    {
        let px = self.index()?;
        let answering = Arc::clone(&px);
        let permit = Arc::clone(&self.admission).try_acquire_owned().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!("the server is answering {} searches already; try again shortly", self.max_in_flight),
            )
        })?;
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            crate::commands::engine_guard(&px.path, || work(&px))
        });
        match task.await {
            Err(join) => Err(Error::Internal(format!("a search task failed: {join}")).into()),
            Ok(Err(e @ Error::Damaged { .. })) => {
                self.forget_damaged(&answering);
                Err(e.into())
            }
            Ok(result) => result.map_err(ApiError::from),
        }
    }
}

/// `GET /api/search?q=...`: the same JSON as `paperdex search --json`.
async fn search_route(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Answer {
    let request = params::search_request(&Params::parse(raw.as_deref())?)?;
    let body = state
        .run(move |px| {
            let results = search::search(px, &px.searcher(), &request)?;
            to_json(&SearchJson::new(&results))
        })
        .await?;
    Ok(json_response(StatusCode::OK, body))
}

/// `GET /api/facets/{field}?parent=PATH&q=...`: one facet's values and counts over the
/// records the other parameters (the narrowing ones of `/api/search`) select.
async fn facet_route(State(state): State<Arc<AppState>>, Path(field): Path<String>, RawQuery(raw): RawQuery) -> Answer {
    let params = Params::parse(raw.as_deref())?;
    let request = params::facet_request(&field, &params)?;
    let body = state
        .run(move |px| {
            let results = search::search(px, &px.searcher(), &request)?;
            #[derive(Serialize)]
            struct FacetJson<'a> {
                field: &'a str,
                parent: &'a str,
                /// Records the narrowing parameters select.
                total_hits: usize,
                counts: &'a [search::FacetCount],
                more: usize,
                #[serde(skip_serializing_if = "<[String]>::is_empty")]
                warnings: &'a [String],
            }
            let facet = results.facets.first().ok_or_else(|| Error::Internal("no facet was counted".into()))?;
            to_json(&FacetJson {
                field: &facet.field,
                parent: &facet.parent,
                total_hits: results.total_hits,
                counts: &facet.counts,
                more: facet.more,
                warnings: &results.warnings,
            })
        })
        .await?;
    Ok(json_response(StatusCode::OK, body))
}

/// `GET /api/records/{id}`: one record with every stored field.
async fn record_route(State(state): State<Arc<AppState>>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Answer {
    Params::parse(raw.as_deref())?.only(&[])?;
    check_record_id(&id)?;
    let body = state.run(move |px| record(px, &id)).await?;
    match body {
        Some(body) => Ok(json_response(StatusCode::OK, body)),
        None => Err(ApiError::not_found("no record with this id; ids are as `/api/search` gives them")),
    }
}

/// Record ids are `PAGE`, `PAGE/caption/N` or `PAGE/method/N`: anything that looks like
/// a path out of somewhere (`.` or `..` between slashes, an absolute path, NUL) is
/// refused. A backslash is kept: a page named after its file or folder holds one where
/// the name had a character escaped (`caf\xE9`, `\x2E` for a file named `..md`).
fn check_record_id(id: &str) -> std::result::Result<(), ApiError> {
    let bad = |why: &str| ApiError::new(StatusCode::BAD_REQUEST, "bad_argument", format!("record id: {why}"));
    if id.is_empty() {
        return Err(bad("empty; ask for /api/records/ID with an id from /api/search"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(bad(&format!("{} bytes long; ids are at most {MAX_ID_BYTES}", id.len())));
    }
    if id.chars().any(char::is_control) {
        return Err(bad("it holds control characters"));
    }
    if id.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err(bad("it is not a record id (no empty, `.` or `..` parts between slashes, no leading `/`)"));
    }
    Ok(())
}

/// The record with `id` as `{"id", "kind", FIELD: VALUE | [VALUES], ...}`, or `None`.
fn record(px: &PaperdexIndex, id: &str) -> Result<Option<Vec<u8>>> {
    let searcher = px.searcher();
    let query = TermQuery::new(Term::from_field_text(px.fields.id, id), IndexRecordOption::Basic);
    let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score()).map_err(|e| px.damaged(e))?;
    let Some(&(_, address)) = top.first() else { return Ok(None) };
    let doc: TantivyDocument = searcher.doc(address).map_err(|e| px.damaged(e))?;
    let named = doc.to_named_doc(&px.index.schema());
    let fields: serde_json::Map<String, serde_json::Value> = named
        .0
        .into_iter()
        .map(|(name, mut values)| {
            let value = if values.len() == 1 {
                stored_value(values.remove(0))
            } else {
                serde_json::Value::Array(values.into_iter().map(stored_value).collect())
            };
            (name, value)
        })
        .collect();
    to_json(&fields).map(Some)
}

/// A stored value as JSON: dates as `YYYY-MM-DD`, facets as their paths.
fn stored_value(value: OwnedValue) -> serde_json::Value {
    match value {
        OwnedValue::Date(d) => {
            serde_json::Value::from(crate::index::document::civil_date(d.into_timestamp_secs().div_euclid(86_400)))
        }
        OwnedValue::Facet(f) => serde_json::Value::from(crate::search::filter::path_string(&f)),
        other => serde_json::to_value(&other).unwrap_or(serde_json::Value::Null),
    }
}

/// `GET /api/stats`: the report of `paperdex stats --json`.
async fn stats_route(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Answer {
    Params::parse(raw.as_deref())?.only(&[])?;
    let body = state.run(|px| to_json(&crate::index::stats::report(px, None)?)).await?;
    Ok(json_response(StatusCode::OK, body))
}

/// `GET /healthz`: the server is up.
async fn healthz(RawQuery(raw): RawQuery) -> Answer {
    Params::parse(raw.as_deref())?.only(&[])?;
    Ok(json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec()))
}

/// `GET /readyz`: the index is open (503 until it is).
async fn readyz(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Answer {
    Params::parse(raw.as_deref())?.only(&[])?;
    let px = state.index()?;
    let body = to_json(&serde_json::json!({"status": "ready", "index": px.path.display().to_string()}))?;
    Ok(json_response(StatusCode::OK, body))
}

/// The web page's files; 404 for anything else (JSON under `/api/`).
async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Answer {
    let path = uri.path();
    if path.starts_with("/api/") || path == "/api" {
        return Err(ApiError::not_found(format!("no endpoint `{path}`; the endpoints: {ENDPOINTS}")));
    }
    let Some((asset, etag)) = assets::find(path) else {
        return Err(ApiError::not_found(format!("nothing at `{path}`; the page is at /")));
    };
    if method != Method::GET && method != Method::HEAD {
        return Err(method_error());
    }
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| weak_match(t.trim(), etag)));
    let mut response = if fresh {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(asset.body));
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        r
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(etag).map_err(|e| Error::Internal(e.to_string()))?);
    // Revalidated on every load (cheap with the ETag), so a new build's page shows at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

/// `If-None-Match` compares weakly (RFC 9110 §13.1.2): `W/"x"` matches `"x"`, and `*`
/// matches anything.
fn weak_match(tag: &str, etag: &str) -> bool {
    let opaque = |t: &'_ str| t.strip_prefix("W/").unwrap_or(t).to_owned();
    tag == "*" || opaque(tag) == opaque(etag)
}

fn method_error() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "only GET (and HEAD) are answered")
}

async fn method_not_allowed() -> Response {
    method_error().into_response()
}
