//! What can go wrong: opening and writing the index, following the chain,
//! answering a query.

/// Opening or writing the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(
        "the index {path} was built for genesis {stored}, not for this chain's genesis {expected}; delete it to rebuild"
    )]
    GenesisMismatch {
        path: String,
        stored: String,
        expected: String,
    },
    #[error(
        "the index {path} has layout version {found}, this node writes version {expected}; delete it to rebuild"
    )]
    LayoutVersion {
        path: String,
        found: i64,
        expected: i64,
    },
    #[error("block {got} cannot be indexed next: the index is at {}", match indexed { Some(h) => format!("block {h}"), None => "nothing (genesis not indexed)".into() })]
    OutOfOrder { indexed: Option<u64>, got: u64 },
    #[error(
        "block {height} names parent {parent}, but the indexed block {} is {tip}: the index was built from another chain; delete it to rebuild", height - 1
    )]
    NotOnChain {
        height: u64,
        parent: String,
        tip: String,
    },
    #[error("block {height} cannot be indexed: {reason}")]
    BadBlock { height: u64, reason: String },
    #[error("index database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the index database is corrupt: {0}")]
    Corrupt(String),
}

/// Following the chain. [FollowError::is_retryable] errors are the chain's
/// not being ready; the others stop the follower.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("the chain could not serve block {height}: {message}")]
    Source { height: u64, message: String },
    #[error("the chain has no {what} for block {height} yet")]
    Unavailable { height: u64, what: String },
    #[error("the chain served a malformed {what} for block {height}: {message}")]
    Malformed {
        height: u64,
        what: String,
        message: String,
    },
    /// The access log does not hold the block's access records where the
    /// index expects them (one per `record-access` transaction, in order,
    /// then the block's closing commit): indexing on would attribute records
    /// to the wrong transactions, so the follower stops.
    #[error("the access log disagrees with block {height} at location {location}: {message}")]
    AccessLogMismatch {
        height: u64,
        location: u64,
        message: String,
    },
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl FollowError {
    /// Whether waiting and trying again may help.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            FollowError::Source { .. } | FollowError::Unavailable { .. }
        )
    }
}

/// Answering a query. `BadCursor` and `BadFilter` are the client's mistakes
/// (HTTP 400); the others are the node's.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("the cursor is not one this list returned")]
    BadCursor,
    #[error("bad filter {field}: {reason}")]
    BadFilter { field: &'static str, reason: String },
    #[error("index database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the index database is corrupt: {0}")]
    Corrupt(String),
}

impl QueryError {
    /// Whether the query itself was at fault (answer 400), not the node.
    pub fn is_client_error(&self) -> bool {
        matches!(self, QueryError::BadCursor | QueryError::BadFilter { .. })
    }
}
