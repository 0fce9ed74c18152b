//! Wiring a node: p2p, storage, marshal, consensus, the state machine.

use crate::{config::NodeConfig, handle::Handle};

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("node not wired yet")]
    NotWired,
}

/// A running node.
pub struct Node {
    handle: Handle,
}

impl Node {
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Resolves when the node has stopped (after the runtime is told to stop, or on a fatal
    /// error, which it returns).
    pub async fn stopped(self) -> Result<(), NodeError> {
        Ok(())
    }
}

/// Starts every actor of a node on `context` (the tokio runtime's context).
pub async fn start(
    _context: commonware_runtime::tokio::Context,
    _config: NodeConfig,
) -> Result<Node, NodeError> {
    Err(NodeError::NotWired)
}
