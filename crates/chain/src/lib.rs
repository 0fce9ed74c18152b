//! The running consortium: mempool, block proposal and verification,
//! finalization, block storage and catch-up, on the Commonware Library's
//! simplex consensus, marshal and authenticated p2p.
//!
//! - [engine]: wires a node's actors over any runtime and network.
//! - [node]: a production node: tokio runtime, authenticated p2p.
//! - admission checks the signatures of submitted and gossiped transactions
//!   in batches, on the node's verification pool;
//! - the executor actor owns the ledger, the mempool and the state of
//!   verified blocks that are not final yet; the application and the
//!   finalizer are consensus' and marshal's way into it.

mod admission;
mod application;
pub mod block;
pub mod config;
pub mod engine;
mod executor;
mod gossip;
pub mod handle;
pub mod limits;
pub mod mempool;
mod metrics;
pub mod node;
mod recent;

pub use config::{NodeConfig, NodeRole, Peer};
pub use executor::{ExecutorError, FinalizedBlock};
pub use handle::{Handle, Status, SubmitError, TxStatus};
pub use node::{Node, NodeError, start};
