//! `dirchain keygen`: a new ed25519 key in a key file.

use crate::files;
use anyhow::Context as _;
use commonware_cryptography::Signer;
use commonware_math::algebra::Random;
use dirchain_types::ids::PrivateKey;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the key (hex, mode 0600); an existing file is never overwritten.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Writes the key and prints its public key (hex).
pub fn run(args: Args) -> anyhow::Result<()> {
    let key = PrivateKey::random(commonware_utils::sys_rng());
    match files::write_key(&args.out, &key) {
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
