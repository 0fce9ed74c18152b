//! `dirchain tx status HASH`: where a transaction is.

use crate::client::{
    args::NodeArgs,
    output::{Human, Text},
    session::{Session, show_status},
};
use dirchain_client::{input, schema::chain::TxStatus};
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Pending, finalized (height, index, outcome) or unknown to the node.
    Status {
        /// The transaction hash (hex).
        hash: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Status { hash, node } => {
            let hash = input::digest("hash", &hash)?;
            let session = Session::new(&node)?;
            let status = session.client.tx_status(&hash).await?;
            session.out.show(&status)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

impl Human for TxStatus {
    fn human(&self, text: &mut Text) {
        text.field("transaction", &self.hash);
        show_status(self, text);
    }
}
