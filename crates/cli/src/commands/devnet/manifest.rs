//! `devnet.toml`: what `dirchain devnet` made in its directory, so a second
//! run resumes the same network instead of making a new one.

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::Path};

pub const MANIFEST_FILE: &str = "devnet.toml";
/// A manifest lists a few dozen nodes at most.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub chain_id: String,
    /// Hex digest of `genesis.bin`: a replaced genesis is refused on resume.
    pub genesis_digest: String,
    pub validators: u16,
    pub base_port: u16,
    pub nodes: Vec<ManifestNode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestNode {
    /// The node's directory, `node-<i>`.
    pub name: String,
    pub public_key: String,
    pub p2p: SocketAddr,
    pub api: SocketAddr,
}

impl Manifest {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        anyhow::ensure!(
            size <= MAX_MANIFEST_BYTES,
            "{} is larger than {MAX_MANIFEST_BYTES} bytes",
            path.display()
        );
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a devnet manifest", path.display()))
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = format!(
            "# Written by `dirchain devnet`: the network in this directory. Run the same\n\
             # command again to resume it; delete the directory to start over.\n\n{}",
            toml::to_string(self).expect("a manifest always serializes")
        );
        crate::files::write_new(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST_FILE);
        let manifest = Manifest {
            chain_id: "dirchain-devnet".into(),
            genesis_digest: "00".repeat(32),
            validators: 1,
            base_port: 7100,
            nodes: vec![ManifestNode {
                name: "node-0".into(),
                public_key: "11".repeat(32),
                p2p: "127.0.0.1:7100".parse().unwrap(),
                api: "127.0.0.1:8100".parse().unwrap(),
            }],
        };
        manifest.write(&path).unwrap();
        assert_eq!(Manifest::read(&path).unwrap(), manifest);
        assert!(manifest.write(&path).is_err(), "never overwritten");
    }
}
