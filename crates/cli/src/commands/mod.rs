//! One module per `dirchain` subcommand: the node side (`keygen`, `init`,
//! `node`, `devnet`) and the client commands, one per kind of record, built
//! on the SDK (`dirchain-client`) and sharing `crate::client`.

pub mod access;
pub mod asset;
pub mod block;
pub mod catalog;
pub mod devnet;
pub mod duty;
pub mod gateway;
pub mod governance;
pub mod init;
pub mod keygen;
pub mod member;
pub mod node;
pub mod notary;
pub mod org;
pub mod permission;
pub mod status;
pub mod tx;
pub mod verify;

use crate::client::block_on;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Write a new ed25519 key to a file and print its public key.
    Keygen(keygen::Args),
    /// Write keys, a genesis and node configs for a new network.
    Init(init::Args),
    /// Run one validator or full node from its config file.
    Node(node::Args),
    /// Run a local network of validators (made on first use, resumed after).
    Devnet(devnet::Args),
    /// The node's chain, latest block, validators and mempool.
    Status(status::Args),
    /// Member organisations.
    #[command(subcommand)]
    Org(org::Command),
    /// Member keys: enrol, revoke, rotate.
    #[command(subcommand)]
    Member(member::Command),
    /// Duties of an organisation.
    #[command(subcommand)]
    Duty(duty::Command),
    /// The data catalog: publish, retire, search, show, import.
    #[command(subcommand)]
    Catalog(catalog::Command),
    /// Purpose-bound access: request, decide, revoke, list.
    #[command(subcommand)]
    Permission(permission::Command),
    /// Data accesses: record, list, and who used a person's data.
    #[command(subcommand)]
    Access(access::Command),
    /// Notarize files and check them.
    #[command(subcommand)]
    Notary(notary::Command),
    /// Data assets: register, appraise, transfer, license, show.
    #[command(subcommand)]
    Asset(asset::Command),
    /// Consortium changes: propose, vote, list, show.
    #[command(subcommand)]
    Governance(governance::Command),
    /// Fetch any state value with its proof and verify it here.
    Verify(verify::Args),
    /// Data-exchange gateway: serve data under live permissions (`--config`),
    /// the demo data service, and a consumer's signed fetch.
    Gateway(gateway::Args),
    /// Transactions.
    #[command(subcommand)]
    Tx(tx::Command),
    /// Finalized blocks, their certificates verified here.
    #[command(subcommand)]
    Block(block::Command),
}

impl Command {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let done = |result: anyhow::Result<()>| result.map(|()| ExitCode::SUCCESS);
        match self {
            Self::Keygen(args) => done(keygen::run(args)),
            Self::Init(args) => done(init::run(args)),
            Self::Node(args) => done(node::run(args)),
            Self::Devnet(args) => done(devnet::run(args)),
            Self::Status(args) => block_on(status::run(args)),
            Self::Org(command) => block_on(org::run(command)),
            Self::Member(command) => block_on(member::run(command)),
            Self::Duty(command) => block_on(duty::run(command)),
            Self::Catalog(command) => block_on(catalog::run(command)),
            Self::Permission(command) => block_on(permission::run(command)),
            Self::Access(command) => block_on(access::run(command)),
            Self::Notary(command) => block_on(notary::run(command)),
            Self::Asset(command) => block_on(asset::run(command)),
            Self::Governance(command) => block_on(governance::run(command)),
            Self::Verify(args) => block_on(verify::run(args)),
            Self::Gateway(args) => gateway::run(args),
            Self::Tx(command) => block_on(tx::run(command)),
            Self::Block(command) => block_on(block::run(command)),
        }
    }
}

#[cfg(test)]
mod tests;
