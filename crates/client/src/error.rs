//! What can go wrong talking to a node.

/// Why a request to a node failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL given for the node is not a plain `http://` URL.
    #[error("{url:?} is not a node URL: {reason}")]
    BadUrl { url: String, reason: String },
    /// The node could not be reached, or the exchange broke off or timed out.
    #[error("cannot reach {url}: {source}")]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The node refused the request: `code` is the node's stable error code
    /// (`not_found`, `stale_nonce`, `wait_timeout`, ...), `message` its
    /// explanation.
    #[error("the node answered {status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// A gateway refused the request: `code` and `message` say why, `access`
    /// names the transaction recording the refusal (when it was recorded).
    #[error("the gateway refused ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
        access: Option<String>,
    },
    /// The node answered something that is not the document the route
    /// promises (another program on that port, or an incompatible version).
    #[error("{url} answered {status} with an unexpected body: {reason}")]
    Unexpected {
        url: String,
        status: u16,
        reason: String,
    },
}

impl ClientError {
    /// The node's error code, for a refusal by the node.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } | ClientError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the node answered that the thing asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(codes::NOT_FOUND)
    }
}

/// Error codes of the node the SDK acts on.
pub mod codes {
    /// The id in the path names nothing.
    pub const NOT_FOUND: &str = "not_found";
    /// Nothing is recorded at that location of the access log.
    pub const NO_ACCESS_RECORD: &str = "no_access_record";
    /// Another pending transaction of the signer already has this nonce.
    pub const NONCE_TAKEN: &str = "nonce_taken";
    /// The nonce was used by a final transaction.
    pub const STALE_NONCE: &str = "stale_nonce";
    /// `?wait=final` ran out of time before the transaction was final.
    pub const WAIT_TIMEOUT: &str = "wait_timeout";
}
