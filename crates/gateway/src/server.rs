//! The gateway's HTTP face. A consumer's request goes through, in order:
//! the outbox gate (no serving while recording lags), the signature, the
//! permission as final on the ledger, the upstream call, the field filter,
//! and the outbox; only then is it answered. A refusal by permission is
//! recorded on the ledger like an exchange.

use crate::{
    auth::{AuthError, Authenticator, Signed},
    config::{Config, ItemMap},
    ledger::{Ledger, LedgerError},
    mapping::{MapError, map_records},
    metrics::Metrics,
    outbox::Outbox,
    recorder::RecorderState,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use dirchain_client::gateway::{now_ms, records_digest};
use dirchain_schema::gateway::{
    GatewayError, GatewayStatus, HEADER_ACCESS, ITEMS_PREFIX, OutboxStatus, Served,
};
use dirchain_types::{
    bounded::{Ident, List},
    domain::Role,
    ids::{OrgId, PublicKey, SubjectKey, Timestamp, key_bytes, sha256, subject_ref},
    keys,
    records::{Item, Member, Permission, Refusal},
    tx::RecordAccess,
};
use percent_encoding::percent_decode_str;
use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// Largest request body passed to the upstream service.
pub const MAX_REQUEST_BODY_BYTES: usize = 1024 * 1024;
/// Largest upstream answer read.
pub const MAX_UPSTREAM_BYTES: usize = 16 * 1024 * 1024;
/// Seconds a client is told to wait when the gateway cannot serve for now.
const RETRY_AFTER_SECONDS: &str = "2";

/// Everything a request handler needs.
pub struct Gateway {
    pub config: Config,
    pub org: OrgId,
    pub key: PublicKey,
    pub subject_key: SubjectKey,
    pub auth: Authenticator,
    pub ledger: Arc<Ledger>,
    pub outbox: Outbox,
    pub recorder: Arc<RecorderState>,
    pub wake: Arc<Notify>,
    pub upstream: reqwest::Client,
    pub metrics: Metrics,
}

pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/gateway/status", get(status))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .fallback(serve)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .with_state(gateway)
}

/// An answer that is not a served exchange.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
    access: Option<String>,
    retry: bool,
}

impl Failure {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            access: None,
            retry: false,
        }
    }

    fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            retry: true,
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
        }
    }

    fn outcome(&self) -> &'static str {
        match self.status {
            StatusCode::UNAUTHORIZED => "unauthenticated",
            StatusCode::FORBIDDEN => "refused",
            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            StatusCode::BAD_GATEWAY => "upstream_error",
            _ => "bad_request",
        }
    }

    fn body(&self) -> GatewayError {
        GatewayError {
            code: self.code.to_string(),
            message: self.message.clone(),
            access: self.access.clone(),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.retry {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        if let Some(access) = self
            .access
            .as_deref()
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            response.headers_mut().insert(HEADER_ACCESS, access);
        }
        response
    }
}

impl From<AuthError> for Failure {
    fn from(e: AuthError) -> Self {
        let status = match e {
            AuthError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<LedgerError> for Failure {
    fn from(e: LedgerError) -> Self {
        Self::unavailable("ledger_unreachable", e.to_string())
    }
}

/// The error code of a refusal: its label in snake case.
fn refusal_code(r: Refusal) -> &'static str {
    match r {
        Refusal::UnknownPermission => "unknown_permission",
        Refusal::Expired => "expired",
        Refusal::Revoked => "revoked",
        Refusal::FieldsNotPermitted => "fields_not_permitted",
        Refusal::NotParty => "not_party",
        Refusal::ItemRetired => "item_retired",
        Refusal::NotConsumer => "not_consumer",
        Refusal::WrongItem => "wrong_item",
    }
}

async fn status(State(g): State<Arc<Gateway>>) -> Json<GatewayStatus> {
    let blocked = g.blocked(now_ms());
    let stats = &g.outbox.stats;
    let oldest = stats.oldest_ms.load(Ordering::Relaxed);
    Json(GatewayStatus {
        org: g.org.to_string(),
        key: g.key.to_string(),
        items: g.config.items.iter().map(|i| i.id.to_string()).collect(),
        serving: blocked.is_none(),
        reason: blocked.map(|f| f.message),
        outbox: OutboxStatus {
            pending: stats.pending.load(Ordering::Relaxed),
            oldest_age_ms: if oldest == 0 {
                0
            } else {
                now_ms().saturating_sub(oldest)
            },
            failed: stats.failed.load(Ordering::Relaxed),
            max_entries: g.config.outbox.max_entries,
            max_age_ms: g.config.outbox.max_age_ms,
        },
        recorded: g.recorder.recorded.load(Ordering::Relaxed),
    })
}

async fn metrics(State(g): State<Arc<Gateway>>) -> impl IntoResponse {
    let stats = &g.outbox.stats;
    g.metrics
        .outbox_pending
        .set(stats.pending.load(Ordering::Relaxed) as i64);
    g.metrics
        .outbox_failed
        .set(stats.failed.load(Ordering::Relaxed) as i64);
    let oldest = stats.oldest_ms.load(Ordering::Relaxed);
    let age = if oldest == 0 {
        0
    } else {
        now_ms().saturating_sub(oldest)
    };
    g.metrics.outbox_oldest_age_seconds.set(age as f64 / 1000.0);
    g.metrics
        .recorded
        .set(g.recorder.recorded.load(Ordering::Relaxed) as i64);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        g.metrics.encode(),
    )
}

async fn serve(
    State(g): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let answer = g.exchange(method, &uri, &headers, &body).await;
    g.metrics
        .request_seconds
        .observe(started.elapsed().as_secs_f64());
    match answer {
        Ok(served) => {
            g.metrics.count("served", "served");
            let mut response = Json(&served).into_response();
            if let Ok(access) = HeaderValue::from_str(&served.access) {
                response.headers_mut().insert(HEADER_ACCESS, access);
            }
            response
        }
        Err(failure) => {
            g.metrics.count(failure.outcome(), failure.code);
            failure.into_response()
        }
    }
}

/// The item id and the rest of the path of `/v1/items/{item}/{rest}`.
fn item_path(uri: &Uri) -> Result<(String, &str), Failure> {
    let not_found = || {
        Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such route; items are served under {ITEMS_PREFIX}{{item}}/..."),
        )
    };
    let rest = uri
        .path()
        .strip_prefix(ITEMS_PREFIX)
        .ok_or_else(not_found)?;
    let (item, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let item = percent_decode_str(item)
        .decode_utf8()
        .map_err(|_| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "bad_path",
                "the item id is not UTF-8",
            )
        })?
        .into_owned();
    // The rest is appended to the item's upstream path: it must not climb out of it.
    let climbs = rest.split('/').any(|segment| {
        let decoded = percent_decode_str(segment).decode_utf8_lossy();
        decoded == "." || decoded == ".." || decoded.contains(['\\', '/'])
    });
    if item.is_empty() || climbs {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "bad_path",
            "the path names no item, or has '.', '..' or escaped slashes after it",
        ));
    }
    Ok((item, rest))
}

impl Gateway {
    /// Why new requests are refused right now, if they are.
    fn blocked(&self, now: Timestamp) -> Option<Failure> {
        if let Some(fault) = self.recorder.fault() {
            return Some(Failure::unavailable(
                "recording_refused",
                format!(
                    "the ledger refuses this gateway's access records, so nothing is served: {fault}"
                ),
            ));
        }
        let stats = &self.outbox.stats;
        let pending = stats.pending.load(Ordering::Relaxed);
        let oldest = stats.oldest_ms.load(Ordering::Relaxed);
        let limits = &self.config.outbox;
        if pending >= limits.max_entries
            || (oldest != 0 && now.saturating_sub(oldest) > limits.max_age_ms)
        {
            return Some(Failure::unavailable(
                "recording_backlog",
                format!(
                    "{pending} accesses are not yet on the ledger (the oldest {} s old); \
                     nothing more is served until they are",
                    now.saturating_sub(oldest) / 1000
                ),
            ));
        }
        None
    }

    async fn exchange(
        &self,
        method: Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Served, Failure> {
        let (item_id, rest) = item_path(uri)?;
        let item = self.config.item(&item_id).ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "item_not_served",
                format!("this gateway does not serve item {item_id:?}"),
            )
        })?;
        let now = now_ms();
        if let Some(blocked) = self.blocked(now) {
            return Err(blocked);
        }
        let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
        let signed = self
            .auth
            .check(headers, method.as_str(), path_and_query, body, now)?;
        let requester: Option<Member> = self.ledger.read(&keys::member_key(&signed.key)).await?;
        let Some(requester) = requester else {
            return Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                "unknown_key",
                "the signing key is not enrolled in any organisation",
            ));
        };
        let permission: Option<Permission> = self
            .ledger
            .read(&keys::permission_key(
                &self.config.channel,
                &signed.permission,
            ))
            .await?;
        let judged = match &permission {
            None => Err(Refusal::UnknownPermission),
            Some(p) => self.judge(p, &requester, item, now).await?,
        };
        match judged {
            Err(refusal) => Err(self
                .refuse(refusal, item, &signed, permission.as_ref(), now)
                .await),
            Ok(permitted) => {
                self.serve_under(item, rest, uri, method, body, &signed, permitted, now)
                    .await
            }
        }
    }

    /// The permitted mapped fields, or why the permission does not let this
    /// requester have this item now.
    async fn judge<'a>(
        &self,
        p: &Permission,
        requester: &Member,
        item: &'a ItemMap,
        now: Timestamp,
    ) -> Result<Result<Vec<&'a Ident>, Refusal>, Failure> {
        if p.owner_org != self.org {
            return Ok(Err(Refusal::NotParty));
        }
        let member_live = requester.revoked.is_none() && now < requester.expires_at;
        if requester.org != p.consumer_org || requester.role != Role::Consumer || !member_live {
            return Ok(Err(Refusal::NotConsumer));
        }
        if p.revoked.is_some() {
            return Ok(Err(Refusal::Revoked));
        }
        if now >= p.expires_at {
            return Ok(Err(Refusal::Expired));
        }
        if p.item != item.id {
            return Ok(Err(Refusal::WrongItem));
        }
        let on_ledger: Option<Item> = self
            .ledger
            .read(&keys::item_key(&self.config.channel, &item.id))
            .await?;
        if on_ledger.is_none_or(|i| i.retired.is_some()) {
            return Ok(Err(Refusal::ItemRetired));
        }
        let permitted: Vec<&Ident> = item
            .field_names()
            .filter(|f| p.fields.contains(f))
            .collect();
        if permitted.is_empty() {
            return Ok(Err(Refusal::FieldsNotPermitted));
        }
        Ok(Ok(permitted))
    }

    /// Records the refusal (durably, before answering) and answers it.
    async fn refuse(
        &self,
        refusal: Refusal,
        item: &ItemMap,
        signed: &Signed,
        permission: Option<&Permission>,
        now: Timestamp,
    ) -> Failure {
        let message = match (refusal, permission) {
            (Refusal::UnknownPermission, _) => {
                "no permission with this id exists on the ledger".to_string()
            }
            (Refusal::NotParty, Some(p)) => format!(
                "the permission is granted by {}, not by this gateway's organisation",
                p.owner_org
            ),
            (Refusal::NotConsumer, Some(p)) => format!(
                "the signing key is not a live consumer key of {}, the permission's holder",
                p.consumer_org
            ),
            (Refusal::Revoked, _) => "the permission was revoked".to_string(),
            (Refusal::Expired, Some(p)) => format!("the permission expired at {} ms", p.expires_at),
            (Refusal::WrongItem, Some(p)) => {
                format!("the permission covers item {}, not {}", p.item, item.id)
            }
            (Refusal::ItemRetired, _) => format!("item {} is retired", item.id),
            (Refusal::FieldsNotPermitted, _) => format!(
                "the permission covers none of the fields this gateway serves for {}",
                item.id
            ),
            (r, _) => format!("refused: {}", r.label()),
        };
        let mut failure = Failure::new(StatusCode::FORBIDDEN, refusal_code(refusal), message);
        // The fields the requester would have had: the permitted ones where
        // there are any, so the ledger judges the attempt, not the fields.
        let covered: Vec<Ident> = item
            .field_names()
            .filter(|f| permission.is_some_and(|p| p.fields.contains(f)))
            .cloned()
            .collect();
        let fields = if covered.is_empty() {
            item.field_names().cloned().collect()
        } else {
            covered
        };
        let access = RecordAccess {
            permission: signed.permission,
            subject_refs: List::default(),
            fields: List::new(fields).expect("the configuration bounds the fields"),
            query_digest: signed.query_digest,
            response_digest: sha256(&[&serde_json::to_vec(&failure.body()).expect("JSON")]),
            record_count: 0,
            requester: Some(key_bytes(&signed.key)),
            refusal: Some(refusal),
        };
        match self.outbox.append(access, now).await {
            Ok(hash) => {
                self.wake.notify_one();
                failure.access = Some(hash.to_string());
                failure
            }
            Err(e) => Failure::unavailable(
                "outbox_unavailable",
                format!("cannot record the request: {e}"),
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn serve_under(
        &self,
        item: &ItemMap,
        rest: &str,
        uri: &Uri,
        method: Method,
        body: &Bytes,
        signed: &Signed,
        permitted: Vec<&Ident>,
        now: Timestamp,
    ) -> Result<Served, Failure> {
        let mut url = format!("{}{}", self.config.upstream, item.path);
        if !rest.is_empty() {
            url.push('/');
            url.push_str(rest);
        }
        if let Some(query) = uri.query() {
            url.push('?');
            url.push_str(query);
        }
        let answer = self.call_upstream(method, &url, body).await?;
        let mapped = map_records(item, &answer, &permitted).map_err(|e| match e {
            MapError::TooManyRecords { .. } | MapError::TooManySubjects { .. } => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "answer_too_large",
                e.to_string(),
            ),
            _ => Failure::new(StatusCode::BAD_GATEWAY, "upstream_malformed", e.to_string()),
        })?;
        let subject_refs: Vec<_> = mapped
            .subjects
            .iter()
            .map(|raw| subject_ref(&self.subject_key, raw))
            .collect();
        let record_count = mapped.records.len() as u32;
        let access = RecordAccess {
            permission: signed.permission,
            subject_refs: List::new(subject_refs).expect("bounded by the mapping"),
            fields: List::new(permitted.iter().map(|f| (*f).clone()).collect())
                .expect("bounded by the configuration"),
            query_digest: signed.query_digest,
            response_digest: records_digest(&mapped.records),
            record_count,
            requester: Some(key_bytes(&signed.key)),
            refusal: None,
        };
        let hash = self.outbox.append(access, now).await.map_err(|e| {
            Failure::unavailable(
                "outbox_unavailable",
                format!("cannot record the exchange: {e}"),
            )
        })?;
        self.wake.notify_one();
        Ok(Served {
            item: item.id.to_string(),
            permission: signed.permission.to_string(),
            fields: permitted.iter().map(|f| f.to_string()).collect(),
            withheld: item
                .field_names()
                .filter(|f| !permitted.contains(f))
                .map(ToString::to_string)
                .collect(),
            record_count,
            records: mapped.records,
            access: hash.to_string(),
        })
    }

    /// The upstream's JSON answer; a 404 is an answer with no records.
    async fn call_upstream(
        &self,
        method: Method,
        url: &str,
        body: &Bytes,
    ) -> Result<serde_json::Value, Failure> {
        let unavailable =
            |m: String| Failure::new(StatusCode::BAD_GATEWAY, "upstream_unavailable", m);
        let started = Instant::now();
        let mut request = self
            .upstream
            .request(method, url)
            .timeout(Duration::from_millis(
                self.config.limits.upstream_timeout_ms,
            ));
        if !body.is_empty() {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| unavailable(format!("the data service did not answer: {e}")))?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| unavailable(format!("the data service's answer broke off: {e}")))?
        {
            if bytes.len() + chunk.len() > MAX_UPSTREAM_BYTES {
                return Err(Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "answer_too_large",
                    format!(
                        "the data service answered more than {MAX_UPSTREAM_BYTES} bytes; ask a narrower question"
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        self.metrics
            .upstream_seconds
            .observe(started.elapsed().as_secs_f64());
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(serde_json::Value::Null);
        }
        if !status.is_success() {
            return Err(unavailable(format!("the data service answered {status}")));
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            Failure::new(
                StatusCode::BAD_GATEWAY,
                "upstream_malformed",
                format!("the data service's answer is not JSON: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn item_paths_are_decoded_and_cannot_climb() {
        let with_rest = uri("/v1/items/tax%2Fparcels/records?x=1");
        let (item, rest) = item_path(&with_rest).unwrap();
        assert_eq!((item.as_str(), rest), ("tax/parcels", "records"));
        let bare = uri("/v1/items/tax%2Fparcels");
        let (item, rest) = item_path(&bare).unwrap();
        assert_eq!((item.as_str(), rest), ("tax/parcels", ""));
        for bad in [
            "/v1/items/x/../admin",
            "/v1/items/x/%2e%2e/admin",
            "/v1/items/x/a/./b",
            "/v1/items/x/a%2Fb",
            "/v1/items//records",
        ] {
            assert_eq!(
                item_path(&uri(bad)).err().unwrap().code,
                "bad_path",
                "{bad}"
            );
        }
        assert_eq!(
            item_path(&uri("/v2/other")).err().unwrap().code,
            "not_found"
        );
    }
}
