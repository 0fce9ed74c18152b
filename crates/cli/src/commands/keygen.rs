//! `dirchain keygen`: a new ed25519 key in a key file.

use anyhow::Context as _;
use commonware_cryptography::Signer;
use dirchain_client::keys;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the key (hex, mode 0600); an existing file is never overwritten.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Writes the key and prints its public key (hex).
pub fn run(args: Args) -> anyhow::Result<()> {
    let key = keys::generate_key();
    match keys::write_key(&args.out, &key) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => anyhow::bail!(
            "{} already exists; a key file is never overwritten",
            args.out.display()
        ),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot write {}", args.out.display()));
        }
    }
    println!("{}", key.public_key());
    Ok(())
}
