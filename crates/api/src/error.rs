//! The one error type of the API and its JSON shape. The status and code of
//! every failure are decided here (see the tables in the crate documentation).

use axum::{
    Json,
    extract::rejection::{PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use dirchain_chain::SubmitError;
use dirchain_index::QueryError;
use dirchain_schema::chain::ErrorBody;
use dirchain_state::TxError;

/// What `Retry-After` tells a client when the mempool, or its signer's share
/// of it, is full: blocks drain it about once a second, so waiting longer only
/// adds latency.
pub const RETRY_AFTER_SECS: u64 = 1;

/// A failed request: an HTTP status, a stable code and a message for people.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after_secs: Option<u64>,
}

/// Most characters of a client's input an error message repeats: enough to
/// recognise it, not enough to turn a huge path into a huge answer.
const MAX_ECHO_CHARS: usize = 80;

/// Most characters of a message built by another component (the query
/// index) that may repeat client input of its own accord.
const MAX_RELAYED_CHARS: usize = 300;

/// `text` as an error message quotes it, cut to [MAX_ECHO_CHARS].
pub fn echo(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO_CHARS) {
        Some((end, _)) => format!("{:?}...", &text[..end]),
        None => format!("{text:?}"),
    }
}

/// `message` cut to [MAX_RELAYED_CHARS].
fn relayed(message: String) -> String {
    match message.char_indices().nth(MAX_RELAYED_CHARS) {
        Some((end, _)) => format!("{}...", &message[..end]),
        None => message,
    }
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    fn retry_later(self) -> Self {
        Self {
            retry_after_secs: Some(RETRY_AFTER_SECS),
            ..self
        }
    }

    #[cfg(test)]
    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn empty_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "empty_body", message)
    }

    pub fn bad_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_json", message)
    }

    pub fn bad_hex(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_hex", message)
    }

    pub fn bad_hash(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_hash", message)
    }

    pub fn bad_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_body", message)
    }

    pub fn bad_key(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_key", message)
    }

    pub fn bad_height(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_height", message)
    }

    /// A location of the access log that is not a decimal `u64`.
    pub fn bad_location(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_location", message)
    }

    pub fn bad_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_query", message)
    }

    pub fn bad_id(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_id", message)
    }

    /// The subject of a "who used my data" query is unusable. The message
    /// must not repeat it.
    pub fn bad_subject(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_subject", message)
    }

    /// More records match than one export holds.
    pub fn export_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "export_too_large", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// Nothing is recorded at this location of the access log: it is past
    /// the log's end, or holds the commit that closes a block.
    pub fn no_access_record(location: u64) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "no_access_record",
            format!(
                "no access record is at location {location} of the access log: it is past \
                 the log's end or holds the commit that closes a block"
            ),
        )
    }

    /// This node holds no subject key, so it cannot name persons.
    pub fn subject_view_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "subject_view_unavailable",
            "this node holds no subject key, so it cannot look up a person's accesses; \
             ask a node whose operator configured `subject_key_file`",
        )
    }

    /// The operator runs this node without the query index (a validator
    /// that serves no queries): asking again here will not help.
    pub fn query_index_off() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "query_index_off",
            "this node keeps no query index (`query_index = false` in its config), so it \
             answers no list or record route; ask a node that serves queries",
        )
    }

    /// The query index failed: the node's fault, not the query's.
    pub fn index(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "index", message)
    }

    /// A transaction the node admitted and then refused when a block was
    /// built: its own code, with the status an admission refusal with that
    /// code gets.
    pub fn rejected(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(tx_code_status(code), code, message)
    }

    /// A proof needs a finalized block to be checked against; the genesis
    /// block has no certificate.
    pub fn no_certificate_yet() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "no_certificate_yet",
            "the chain has no finalized block yet: a proof needs one to be checked against",
        )
    }

    /// The latest block was finalized through its successor's certificate,
    /// which the node applies next: a moment later a proof can carry one.
    pub fn certificate_pending(height: u64) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_certificate_yet",
            format!(
                "block {height}, the latest applied, was finalized through its successor's \
                 certificate, which has not been applied yet; ask again"
            ),
        )
        .retry_later()
    }

    pub fn wait_timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT, "wait_timeout", message)
    }

    /// The node's own data does not hold together: its fault, not the client's.
    pub fn corrupt_state(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "corrupt_state", message)
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// A batch of more transactions than one submission may carry.
    pub fn too_many_txs(count: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_txs",
            format!(
                "{count} transactions in one batch; at most {} may be submitted at once",
                dirchain_types::limits::MAX_SUBMIT_BATCH
            ),
        )
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    pub fn unknown_route(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "unknown_route", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            message,
        )
    }
}

impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> Self {
        let message = error.to_string();
        match error {
            SubmitError::Busy { .. } | SubmitError::Backlogged { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message).retry_later()
            }
            SubmitError::SignerBusy { .. } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "signer_busy", message).retry_later()
            }
            SubmitError::NonceTaken { .. } => {
                Self::new(StatusCode::CONFLICT, "nonce_taken", message)
            }
            SubmitError::TooMany { txs, .. } => Self::too_many_txs(txs),
            SubmitError::Unavailable => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            SubmitError::Rejected(error) => {
                Self::new(tx_error_status(&error), error.code(), message)
            }
            SubmitError::Storage(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", message)
            }
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        let message = relayed(error.to_string());
        match error {
            QueryError::BadCursor => Self::new(StatusCode::BAD_REQUEST, "bad_cursor", message),
            QueryError::BadFilter { .. } => {
                Self::new(StatusCode::BAD_REQUEST, "bad_filter", message)
            }
            QueryError::Sqlite(_) | QueryError::Corrupt(_) => Self::index(message),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::new(rejection.status(), "bad_path", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_query(rejection.body_text())
    }
}

/// The status of a refused transaction, by what its sender has to change. No
/// wildcard: a new `TxError` variant must be placed here deliberately.
fn tx_error_status(error: &TxError) -> StatusCode {
    use TxError::*;
    match error {
        Malformed(_)
        | BadSignature
        | WrongChain { .. }
        | WrongChannel { .. }
        | InvalidField(_)
        | PersonalDataUnconditional(_) => StatusCode::BAD_REQUEST,
        UnknownSigner
        | KeyRevoked
        | KeyExpired { .. }
        | OrgInactive(_)
        | WrongRole { .. }
        | NotChannelMember { .. }
        | NotOwner { .. } => StatusCode::FORBIDDEN,
        StaleNonce { .. }
        | FutureNonce { .. }
        | UnknownChannel(_)
        | NotFound { .. }
        | AlreadyExists { .. }
        | ProposalClosed(_)
        | ProposalExpired { .. }
        | AlreadyVoted(_)
        | InvalidAction(_)
        | ItemRetired(_)
        | StaleVersion { .. }
        | NotShareable(_)
        | AlreadyDecided(_)
        | AlreadyRevoked { .. }
        | AlreadyNotarized { .. } => StatusCode::CONFLICT,
        QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
        Storage(_) | CorruptState(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// [tx_error_status] by the error's code, for refusals that arrive as a
/// code (a transaction rejected when a block was built). A test checks that
/// the two agree on every variant. An unknown code is taken for a conflict
/// with the state, which is what a refusal after admission is.
fn tx_code_status(code: &str) -> StatusCode {
    match code {
        "malformed"
        | "bad_signature"
        | "wrong_chain"
        | "wrong_channel"
        | "invalid_field"
        | "personal_data_unconditional" => StatusCode::BAD_REQUEST,
        "unknown_signer" | "key_revoked" | "key_expired" | "org_inactive" | "wrong_role"
        | "not_channel_member" | "not_owner" => StatusCode::FORBIDDEN,
        "quota_exceeded" => StatusCode::TOO_MANY_REQUESTS,
        "storage" | "corrupt_state" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::CONFLICT,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, code = self.code, message = %self.message, "API request failed");
        } else {
            tracing::debug!(status = %self.status, code = self.code, message = %self.message, "API request refused");
        }
        let body = Json(ErrorBody {
            code: self.code.to_string(),
            message: self.message,
        });
        let mut response = (self.status, body).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirchain_state::store::StoreError;
    use dirchain_types::{domain::Role, ids::sha256, tx::TxKind};

    /// One of every variant, with the status the crate documentation promises.
    fn every_tx_error() -> Vec<(TxError, StatusCode)> {
        let digest = sha256(&[b"d"]);
        let s = || "x".to_string();
        vec![
            (TxError::Malformed(s()), StatusCode::BAD_REQUEST),
            (TxError::BadSignature, StatusCode::BAD_REQUEST),
            (
                TxError::WrongChain {
                    expected: s(),
                    got: s(),
                },
                StatusCode::BAD_REQUEST,
            ),
            (
                TxError::WrongChannel {
                    kind: TxKind::ALL[0],
                },
                StatusCode::BAD_REQUEST,
            ),
            (TxError::InvalidField(s()), StatusCode::BAD_REQUEST),
            (
                TxError::PersonalDataUnconditional(s()),
                StatusCode::BAD_REQUEST,
            ),
            (TxError::UnknownSigner, StatusCode::FORBIDDEN),
            (TxError::KeyRevoked, StatusCode::FORBIDDEN),
            (TxError::KeyExpired { expires_at: 1 }, StatusCode::FORBIDDEN),
            (TxError::OrgInactive(s()), StatusCode::FORBIDDEN),
            (
                TxError::WrongRole {
                    kind: TxKind::ALL[0],
                    role: Role::Steward,
                },
                StatusCode::FORBIDDEN,
            ),
            (
                TxError::NotChannelMember {
                    org: s(),
                    channel: s(),
                },
                StatusCode::FORBIDDEN,
            ),
            (
                TxError::not_owner("item", &"i", &"o"),
                StatusCode::FORBIDDEN,
            ),
            (
                TxError::StaleNonce {
                    expected: 2,
                    got: 1,
                },
                StatusCode::CONFLICT,
            ),
            (
                TxError::FutureNonce {
                    expected: 2,
                    got: 3,
                },
                StatusCode::CONFLICT,
            ),
            (TxError::UnknownChannel(s()), StatusCode::CONFLICT),
            (
                TxError::NotFound {
                    what: "item",
                    id: s(),
                },
                StatusCode::CONFLICT,
            ),
            (
                TxError::AlreadyExists {
                    what: "item",
                    id: s(),
                },
                StatusCode::CONFLICT,
            ),
            (TxError::ProposalClosed(digest), StatusCode::CONFLICT),
            (
                TxError::ProposalExpired {
                    id: digest,
                    expires_at: 1,
                },
                StatusCode::CONFLICT,
            ),
            (TxError::AlreadyVoted(s()), StatusCode::CONFLICT),
            (TxError::InvalidAction(s()), StatusCode::CONFLICT),
            (TxError::ItemRetired(s()), StatusCode::CONFLICT),
            (
                TxError::StaleVersion {
                    id: s(),
                    current: 2,
                    got: 1,
                },
                StatusCode::CONFLICT,
            ),
            (TxError::NotShareable(s()), StatusCode::CONFLICT),
            (TxError::AlreadyDecided(digest), StatusCode::CONFLICT),
            (
                TxError::AlreadyRevoked {
                    what: "permission",
                    id: s(),
                },
                StatusCode::CONFLICT,
            ),
            (
                TxError::AlreadyNotarized { digest, height: 1 },
                StatusCode::CONFLICT,
            ),
            (
                TxError::QuotaExceeded {
                    channel: s(),
                    what: "transactions per block",
                },
                StatusCode::TOO_MANY_REQUESTS,
            ),
            (
                TxError::Storage(StoreError::InvalidPartitionPrefix(s())),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                TxError::CorruptState(s()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ]
    }

    #[test]
    fn tx_errors_keep_their_code_and_get_the_documented_status() {
        for (error, status) in every_tx_error() {
            let code = error.code();
            let message = error.to_string();
            let api = ApiError::from(SubmitError::Rejected(error));
            assert_eq!((api.status, api.code), (status, code));
            assert_eq!(api.message, message);
            assert_eq!(api.retry_after_secs, None);
        }
    }

    #[test]
    fn rejections_by_code_get_the_status_of_their_variant() {
        for (error, status) in every_tx_error() {
            let api = ApiError::rejected(error.code(), error.to_string());
            assert_eq!((api.status, api.code), (status, error.code()), "{error:?}");
        }
        assert_eq!(
            ApiError::rejected("some_new_code", "x").status,
            StatusCode::CONFLICT
        );
    }

    #[test]
    fn query_errors_are_the_clients_or_the_index() {
        let cases = [
            (QueryError::BadCursor, StatusCode::BAD_REQUEST, "bad_cursor"),
            (
                QueryError::BadFilter {
                    field: "share_class",
                    reason: "x".repeat(10_000),
                },
                StatusCode::BAD_REQUEST,
                "bad_filter",
            ),
            (
                QueryError::Corrupt("bad record".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "index",
            ),
            (sqlite_error(), StatusCode::INTERNAL_SERVER_ERROR, "index"),
        ];
        for (error, status, code) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status, api.code), (status, code));
            assert!(api.message.chars().count() <= MAX_RELAYED_CHARS + 3);
        }
    }

    /// An SQLite error, without naming the SQLite crate: an index over a
    /// file that is not a database.
    fn sqlite_error() -> QueryError {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-db");
        std::fs::write(&path, vec![0xAB; 4096]).unwrap();
        match dirchain_index::Index::open(&path, &dirchain_state::testkit::genesis()) {
            Err(dirchain_index::IndexError::Sqlite(e)) => QueryError::Sqlite(e),
            other => panic!("expected an SQLite error, got {other:?}"),
        }
    }

    #[test]
    fn node_refusals_get_their_own_codes() {
        let cases = [
            (
                SubmitError::Busy { txs: 1, bytes: 2 },
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                Some(RETRY_AFTER_SECS),
            ),
            (
                SubmitError::SignerBusy { pending: 3 },
                StatusCode::TOO_MANY_REQUESTS,
                "signer_busy",
                Some(RETRY_AFTER_SECS),
            ),
            (
                SubmitError::NonceTaken { nonce: 4 },
                StatusCode::CONFLICT,
                "nonce_taken",
                None,
            ),
            (
                SubmitError::Unavailable,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                None,
            ),
            (
                SubmitError::Storage("disk gone".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage",
                None,
            ),
        ];
        for (error, status, code, retry_after_secs) in cases {
            assert_eq!(error.code(), code, "the node's own code is kept");
            let message = error.to_string();
            let api = ApiError::from(error);
            assert_eq!((api.status, api.code), (status, code));
            assert_eq!(api.message, message);
            assert_eq!(api.retry_after_secs, retry_after_secs);
        }
    }

    #[test]
    fn echoes_are_cut_to_a_readable_length() {
        assert_eq!(echo("abc"), "\"abc\"");
        let long = "é".repeat(MAX_ECHO_CHARS + 5);
        let echoed = echo(&long);
        assert!(echoed.ends_with("..."), "{echoed}");
        assert_eq!(echoed.chars().filter(|c| *c == 'é').count(), MAX_ECHO_CHARS);
    }

    #[test]
    fn only_node_faults_are_server_errors() {
        for (error, status) in every_tx_error() {
            assert_eq!(status.is_server_error(), error.is_internal(), "{error:?}");
        }
    }
}
