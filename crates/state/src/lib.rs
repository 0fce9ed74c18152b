//! The deterministic state machine of dirchain: every rule of the domain,
//! applied block by block to an authenticated state.
//!
//! - [store]: the authenticated key-value state (Merkle root, inclusion and
//!   exclusion proofs), on the Commonware Library's qmdb.
//! - [exec]: applies transactions to an overlay of that state; a refused
//!   transaction leaves nothing behind.
//! - [ledger]: store plus rules: propose, check and commit blocks.
//!
//! Execution reads no clock (block time comes from consensus), iterates no
//! hash map and uses no floats, so every node computes the same root.

pub mod access_log;
pub mod error;
pub mod exec;
pub mod genesis;
pub mod ledger;
pub mod store;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use dirchain_types as types;
pub use error::TxError;
pub use exec::{
    BlockWrites, Executor, Outcome, Receipt, StateRead, VerifiedTx, decode_tx, execute_block,
    verify_txs, verify_txs_with,
};
pub use ledger::{Ledger, LedgerError};
