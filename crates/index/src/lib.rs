//! The node's query index: the finalized ledger's records in SQLite (WAL
//! mode, FTS5 over the catalog), kept in step with the chain block by block.
//!
//! The index is never the source of truth. It is derived from finalized
//! blocks and the committed state, and rebuildable from them: delete the file
//! and the next start indexes again from genesis.
//!
//! - [Index]: the database and its one writer. It is made for one genesis
//!   and refuses a file made for another.
//! - [follow] / [catch_up]: read blocks from a [ChainSource], read the access
//!   records they appended from the chain's access log (one read for a batch
//!   of blocks, from the index's cursor, each record checked against its
//!   transaction), work out which state records each transaction touched,
//!   fetch them in one or two batches per block and apply the blocks in one
//!   SQLite transaction, together with the indexed height and the access log
//!   cursor (a restart resumes at the next block and location).
//! - [Queries]: read-only answers for the API, as the views of
//!   [dirchain_schema::records].
//!
//! Mutable records (organisations, members, proposals, items, requests,
//! permissions, assets, duties) are indexed from their current value, so
//! after catching up the index equals the current state; records at
//! immutable keys (item versions, asset events, notary records) and the
//! access log's records give the exact history.

mod access_log;
mod changes;
mod db;
mod ddl;
mod derive;
mod error;
mod follow;
mod query;
mod sql;
mod write;

pub use access_log::{ACCESS_LOG_READ, AccessLogRead};
pub use changes::{BlockChanges, Change, TxEntry, position};
pub use db::{Index, sqlite_memory_used};
pub use error::{FollowError, IndexError, QueryError};
pub use follow::{
    CATCH_UP_BLOCKS, CATCH_UP_TXS, ChainSource, POLL_INTERVAL, catch_up, follow, index_next,
};
pub use query::{MAX_EMBEDDED, POOL_SIZE, Queries};
