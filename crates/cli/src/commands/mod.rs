//! One module per `dirchain` subcommand.

pub mod devnet;
pub mod init;
pub mod keygen;
pub mod node;

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
}

impl Command {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Keygen(args) => keygen::run(args),
            Self::Init(args) => init::run(args),
            Self::Node(args) => node::run(args),
            Self::Devnet(args) => devnet::run(args),
        }
    }
}
