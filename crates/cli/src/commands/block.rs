//! `dirchain block show HEIGHT|latest`: a finalized block, its certificate
//! checked against the validators of the genesis (the node is not trusted).

use crate::client::{
    args::{GenesisArg, NodeArgs},
    output::{Human, Text},
    session::Session,
    time,
};
use dirchain_client::{Verifier, schema::chain::BlockInfo};
use serde::Serialize;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// A finalized block with its transactions; its finalization certificate
    /// is verified against the genesis validators.
    Show {
        /// A height, or `latest`.
        #[arg(value_parser = parse_block_ref)]
        block: BlockRef,
        #[command(flatten)]
        genesis: GenesisArg,
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockRef {
    Latest,
    Height(u64),
}

fn parse_block_ref(text: &str) -> Result<BlockRef, String> {
    if text == "latest" {
        return Ok(BlockRef::Latest);
    }
    text.parse()
        .map(BlockRef::Height)
        .map_err(|_| format!("{text:?} is neither a height nor `latest`"))
}

/// The block and what verifying it showed.
#[derive(Serialize)]
struct ShownBlock {
    block: BlockInfo,
    /// Whether a quorum of `validators` certified it (false only for the
    /// genesis block, which has no certificate: the genesis file fixes it).
    verified: bool,
    validators: usize,
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let Command::Show {
        block,
        genesis,
        node,
    } = command;
    let genesis = genesis.load()?;
    let session = Session::new(&node)?;
    let info = match block {
        BlockRef::Latest => session.client.latest_block().await?,
        BlockRef::Height(height) => session.client.block(height).await?,
    };
    let verified = if info.certificate_hex.is_none() && info.header.height == 0 {
        false
    } else {
        let checked = Verifier::new(&genesis).verify_block_info(&info)?;
        if let BlockRef::Height(height) = block {
            anyhow::ensure!(
                checked.header.height == height,
                "asked for block {height}, the node answered block {}",
                checked.header.height
            );
        }
        true
    };
    session.out.show(&ShownBlock {
        block: info,
        verified,
        validators: genesis.validators.len(),
    })?;
    Ok(ExitCode::SUCCESS)
}

impl Human for ShownBlock {
    fn human(&self, text: &mut Text) {
        let header = &self.block.header;
        text.field("height", header.height)
            .field("block", &header.digest)
            .field("parent", &header.parent)
            .field("time", time::show(header.timestamp_ms))
            .field("proposer", &header.proposer)
            .field("state root", &header.state_root)
            .field(
                "certificate",
                if self.verified {
                    format!("verified against {} validators", self.validators)
                } else {
                    "none: the genesis block is fixed by the genesis file".into()
                },
            );
        text.table(
            Some(&format!("transactions ({})", self.block.txs.len())),
            &["hash"],
            self.block.txs.iter().map(|h| vec![h.clone()]).collect(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_named_by_height_or_latest() {
        assert_eq!(parse_block_ref("latest").unwrap(), BlockRef::Latest);
        assert_eq!(parse_block_ref("17").unwrap(), BlockRef::Height(17));
        assert!(parse_block_ref("-1").unwrap_err().contains("neither"));
        assert!(parse_block_ref("tip").is_err());
    }
}
