//! Routes, request parsing and error responses of the gateway.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::cells::{Cell, CellOptions};
use crate::config::duration_from_ms;
use crate::engine::Engine;
use crate::error::Error;

/// The largest request body accepted; larger ones are answered 413.
const MAX_BODY: usize = 1 << 20;

#[derive(Clone)]
struct AppState {
    engine: Arc<Engine>,
    api_key: Option<Arc<str>>,
}

/// Every route of the gateway over `engine`, behind the API key when one is given.
pub fn router(engine: Arc<Engine>, api_key: Option<String>) -> Router {
    let state = AppState { engine, api_key: api_key.map(Into::into) };
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], super::OPENAPI) }))
        .route("/v1/webhooks", post(create_webhook).get(list_webhooks))
        .route("/v1/webhooks/{id}", get(get_webhook).delete(delete_webhook))
        .route("/v1/webhooks/{id}/deliveries", get(webhook_deliveries))
        .route("/v1/webhooks/{id}/redeliver", post(redeliver))
        .route("/v1/webhooks/{id}/replay", post(replay))
        .route("/v1/webhooks/{id}/rotate-secret", post(rotate_secret))
        .route("/v1/webhooks/{id}/enable", post(enable_webhook))
        .route("/v1/webhooks/{id}/disable", post(disable_webhook))
        .route("/v1/events", get(global_events).post(record_event))
        .route("/v1/stats", get(stats))
        .route("/v1/cells", post(create_cell).get(list_cells))
        .route("/v1/cells/{id}", get(get_cell).delete(kill_cell))
        .route("/v1/cells/{id}/run", post(run))
        .route("/v1/cells/{id}/pause", post(pause))
        .route("/v1/cells/{id}/resume", post(resume))
        .route("/v1/cells/{id}/events", get(cell_events))
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// What a request can fail with, as `{"error": {"code", "message"}}`.
enum ApiError {
    Engine(Error),
    TooLarge,
    Unauthorized,
    RouteNotFound,
    MethodNotAllowed,
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Engine(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::Engine(e) => {
                let status = match &e {
                    Error::InvalidArgument { .. } => StatusCode::BAD_REQUEST,
                    Error::NotFound { .. } => StatusCode::NOT_FOUND,
                    Error::InvalidState(_) => StatusCode::CONFLICT,
                    Error::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
                };
                let field = match &e {
                    Error::InvalidArgument { field, .. } => Some(field.clone()),
                    _ => None,
                };
                let mut body = json!({"error": {"code": e.code(), "message": e.to_string()}});
                if let Some(field) = field {
                    body["error"]["field"] = Value::String(field);
                }
                return (status, Json(body)).into_response();
            }
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body is over {MAX_BODY} bytes"),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing or wrong API key: send 'Authorization: Bearer <key>'".to_string(),
            ),
            ApiError::RouteNotFound => {
                (StatusCode::NOT_FOUND, "route_not_found", "no such route; see /openapi.json".to_string())
            }
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method; see /openapi.json".to_string(),
            ),
        };
        (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
    }
}

type ApiResult<T = Response> = Result<T, ApiError>;

async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(key) = &state.api_key {
        if request.uri().path() != "/healthz" {
            let given = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            // Constant time, so the key cannot be guessed byte by byte from response times.
            if !bool::from(given.as_bytes().ct_eq(key.as_bytes())) {
                return ApiError::Unauthorized.into_response();
            }
        }
    }
    next.run(request).await
}

/// A JSON body: over the limit is 413; malformed JSON, wrong types and unknown fields are 400
/// naming the field.
struct Body<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                Error::invalid("body", e.body_text()).into()
            }
        })?;
        let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { Bytes::from_static(b"{}") } else { bytes };
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de).map(Body).map_err(|e| {
            let path = e.path().to_string();
            // "." is the document itself and "?" a syntax error before any field: name the body.
            let field = if path == "." || path == "?" { "body".to_string() } else { path };
            Error::invalid(field, e.into_inner().to_string()).into()
        })
    }
}

/// Runs engine work that may block (cells, DNS) off the runtime's workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> crate::Result<T> + Send + 'static) -> ApiResult<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(Into::into),
        Err(e) => Err(Error::io("running a request", std::io::Error::other(e.to_string())).into()),
    }
}

/// Reads `limit` (default 100) from the query, refusing anything else.
fn limit(query: &HashMap<String, String>) -> ApiResult<i64> {
    if let Some(other) = query.keys().find(|k| k.as_str() != "limit") {
        return Err(Error::invalid(other.clone(), "is not a query parameter here; only limit is").into());
    }
    match query.get("limit") {
        None => Ok(100),
        Some(v) => v.parse().map_err(|_| Error::invalid("limit", format!("must be a whole number, got {v:?}")).into()),
    }
}

fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

fn list<T: serde::Serialize>(items: impl IntoIterator<Item = T>) -> Response {
    Json(items.into_iter().map(|i| serde_json::to_value(i).expect("records serialise")).collect::<Vec<_>>())
        .into_response()
}

fn cell_value(cell: &Cell) -> Value {
    json!({
        "cell_id": cell.id(),
        "template": cell.template().as_str(),
        "state": cell.state().as_str(),
        "metadata": cell.metadata(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWebhook {
    url: String,
    events: Option<Vec<String>>,
    secret: Option<String>,
}

async fn create_webhook(State(s): State<AppState>, Body(req): Body<CreateWebhook>) -> ApiResult {
    let hook = blocking(move || {
        let events = req.events.unwrap_or_else(|| vec![crate::WILDCARD.to_string()]);
        s.engine.register_webhook(&req.url, &events, req.secret.as_deref())
    })
    .await?;
    Ok(created(hook.to_value_with_secret()))
}

async fn list_webhooks(State(s): State<AppState>) -> Response {
    list(s.engine.list_webhooks().iter().map(|h| h.to_value()))
}

async fn get_webhook(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(Json(s.engine.get_webhook(&id)?.to_value()).into_response())
}

async fn delete_webhook(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    s.engine.delete_webhook(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn webhook_deliveries(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    Ok(list(s.engine.webhook_deliveries(&id, limit(&query)?)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Redeliver {
    event_id: String,
}

async fn redeliver(State(s): State<AppState>, Path(id): Path<String>, Body(req): Body<Redeliver>) -> ApiResult {
    s.engine.redeliver(&id, &req.event_id)?;
    Ok((StatusCode::ACCEPTED, Json(json!({"queued": 1}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    since_ms: Option<i64>,
}

async fn replay(State(s): State<AppState>, Path(id): Path<String>, Body(req): Body<Replay>) -> ApiResult {
    let queued = s.engine.replay_failed(&id, req.since_ms.unwrap_or(0))?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    secret: Option<String>,
}

async fn rotate_secret(State(s): State<AppState>, Path(id): Path<String>, Body(req): Body<Rotate>) -> ApiResult {
    let hook = s.engine.rotate_webhook_secret(&id, req.secret.as_deref())?;
    Ok(Json(hook.to_value_with_secret()).into_response())
}

async fn enable_webhook(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(Json(s.engine.enable_webhook(&id)?.to_value()).into_response())
}

async fn disable_webhook(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(Json(s.engine.disable_webhook(&id)?.to_value()).into_response())
}

async fn global_events(State(s): State<AppState>, Query(query): Query<HashMap<String, String>>) -> ApiResult {
    Ok(list(s.engine.global_events(limit(&query)?)?.iter().map(|e| e.to_value())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordEvent {
    event: String,
    cell_id: String,
    detail: Option<Value>,
}

async fn record_event(State(s): State<AppState>, Body(req): Body<RecordEvent>) -> ApiResult {
    let event_id = s.engine.record_event(&req.event, &req.cell_id, req.detail)?;
    Ok(created(json!({ "event_id": event_id })))
}

async fn stats(State(s): State<AppState>) -> Response {
    Json(s.engine.stats()).into_response()
}

async fn metrics(State(s): State<AppState>) -> Response {
    let text = super::metrics::render(&s.engine.metrics());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCell {
    template: Option<String>,
    timeout_ms: Option<f64>,
    metadata: Option<Value>,
    envs: Option<HashMap<String, String>>,
}

async fn create_cell(State(s): State<AppState>, Body(req): Body<CreateCell>) -> ApiResult {
    let options = CellOptions {
        template: req.template,
        timeout_ms: req.timeout_ms,
        metadata: req.metadata,
        envs: req.envs.unwrap_or_default(),
    };
    let cell = blocking(move || s.engine.create_cell(options)).await?;
    Ok(created(cell_value(&cell)))
}

async fn list_cells(State(s): State<AppState>) -> Response {
    list(s.engine.list_cells().iter().map(cell_value))
}

async fn get_cell(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(Json(cell_value(&s.engine.get_cell(&id)?)).into_response())
}

async fn kill_cell(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let cell = s.engine.get_cell(&id)?;
    blocking(move || cell.kill()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunCode {
    code: String,
    timeout_ms: Option<f64>,
}

async fn run(State(s): State<AppState>, Path(id): Path<String>, Body(req): Body<RunCode>) -> ApiResult {
    let cell = s.engine.get_cell(&id)?;
    let timeout = req.timeout_ms.map(|ms| duration_from_ms("timeout_ms", ms)).transpose()?;
    let execution = blocking(move || cell.run(&req.code, timeout)).await?;
    Ok(Json(execution).into_response())
}

async fn pause(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let cell = s.engine.get_cell(&id)?;
    Ok(Json(blocking(move || cell.pause()).await?).into_response())
}

async fn resume(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let cell = s.engine.get_cell(&id)?;
    Ok(Json(blocking(move || cell.resume()).await?).into_response())
}

async fn cell_events(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let events = s.engine.cell_events(&id);
    if events.is_empty() && s.engine.get_cell(&id).is_err() {
        return Err(Error::NotFound { kind: "cell", id }.into());
    }
    Ok(list(events.iter().map(|e| e.to_value())))
}
