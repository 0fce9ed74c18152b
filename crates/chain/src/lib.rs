//! The running consortium: mempool, block proposal and verification,
//! finalization, block storage and catch-up, on the Commonware Library's
//! simplex consensus, marshal and authenticated p2p.

pub mod config;
pub mod handle;
pub mod mempool;
pub mod node;

pub use config::{NodeConfig, NodeRole, Peer};
pub use handle::{Handle, Status, SubmitError, TxStatus};
pub use node::{Node, NodeError, start};
