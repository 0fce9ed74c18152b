//! Ctrl-C and SIGTERM, the two ways a person or a supervisor asks a process
//! to stop.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Both handlers, installed up front so a signal that arrives while the process is
/// still starting is kept for later instead of killing it uncleanly.
pub struct Shutdown {
    interrupt: Signal,
    terminate: Signal,
}

impl Shutdown {
    /// Must be called inside a tokio runtime.
    pub fn install() -> std::io::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves at the next signal, naming it.
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "Ctrl-C",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}
