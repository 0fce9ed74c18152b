//! `dirchain status`: the node's chain, latest block, validators and mempool.

use crate::client::{
    args::NodeArgs,
    output::{Human, Text},
    session::Session,
    time,
};
use dirchain_client::schema::chain::Status;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub node: NodeArgs,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let session = Session::new(&args.node)?;
    let status = session.client.status().await?;
    session.out.show(&status)?;
    Ok(ExitCode::SUCCESS)
}

impl Human for Status {
    fn human(&self, text: &mut Text) {
        text.field("chain id", &self.chain_id)
            .field("genesis", &self.genesis)
            .field("node", format!("{} {}", self.role, self.public_key))
            .field("height", self.height)
            .field("block", &self.block)
            .field("block time", time::show(self.block_timestamp_ms))
            .field("state root", &self.state_root)
            .field(
                "indexed to",
                if self.query_index {
                    self.indexed_height.to_string()
                } else {
                    "no query index on this node".to_string()
                },
            )
            .field("validators", self.validators.len())
            .field("peers", self.peers)
            .field(
                "mempool",
                format!(
                    "{} transactions, {} bytes",
                    self.mempool.txs, self.mempool.bytes
                ),
            );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::output::Output;
    use dirchain_client::schema::chain::Mempool;

    #[test]
    fn status_reads_as_aligned_lines() {
        let status = Status {
            chain_id: "dirchain-devnet".into(),
            genesis: "aa".into(),
            role: "validator".into(),
            public_key: "bb".into(),
            validators: vec!["bb".into(), "cc".into()],
            height: 42,
            block: "dd".into(),
            block_timestamp_ms: 0,
            state_root: "ee".into(),
            mempool: Mempool { txs: 3, bytes: 900 },
            peers: 1,
            query_index: true,
            indexed_height: 41,
        };
        let text = Output::new(false).render(&status).unwrap();
        assert!(text.starts_with("chain id    dirchain-devnet\n"), "{text}");
        assert!(text.contains("\nheight      42\n"), "{text}");
        assert!(text.contains("\nindexed to  41\n"), "{text}");
        let without = Status {
            query_index: false,
            indexed_height: 0,
            ..status.clone()
        };
        let text = Output::new(false).render(&without).unwrap();
        assert!(
            text.contains("\nindexed to  no query index on this node\n"),
            "{text}"
        );
        assert!(
            text.contains("\nblock time  1970-01-01 00:00:00 UTC\n"),
            "{text}"
        );
        assert!(
            text.ends_with("mempool     3 transactions, 900 bytes"),
            "{text}"
        );
    }
}
