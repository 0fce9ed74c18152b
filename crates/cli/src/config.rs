//! A node's TOML config file: its format, and loading it into the
//! [NodeConfig] the chain runs on, checking everything a person could get
//! wrong with a message that names the file and the field.

use commonware_cryptography::Signer;
use dirchain_chain::{
    NodeConfig, NodeRole, Peer,
    limits::{DEFAULT_EMPTY_BLOCK_INTERVAL, MAX_EMPTY_BLOCK_INTERVAL},
};
use dirchain_client::{
    FieldError, input,
    keys::{self, GenesisFileError, KeyFileError},
};
use dirchain_types::ids::SubjectKey;
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeSet,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

/// Runtime threads when the config names none: the engine's own default, enough for a
/// small validator.
pub const DEFAULT_WORKER_THREADS: usize = 2;
/// More threads than any machine this runs on has cores is a typo.
pub const MAX_WORKER_THREADS: usize = 1024;
/// A config file is a few kilobytes even with hundreds of peers.
const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Validator,
    Full,
}

impl From<Role> for NodeRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Validator => NodeRole::Validator,
            Role::Full => NodeRole::Full,
        }
    }
}

/// The config file as written. Paths are relative to the file's directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFile {
    pub role: Role,
    pub key_file: PathBuf,
    pub genesis_file: PathBuf,
    /// The consortium's secret pseudonymisation key, with which the node
    /// answers "who used my data" queries; without it that route is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_key_file: Option<PathBuf>,
    pub storage_dir: PathBuf,
    pub p2p_listen: SocketAddr,
    pub api_listen: SocketAddr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_threads: Option<usize>,
    /// Milliseconds a leader waits for transactions before proposing an empty block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_block_interval_ms: Option<u64>,
    /// Whether the node keeps the query index that answers the list and
    /// record routes (default true). A validator that serves no queries can
    /// go without: that saves about a third of its CPU under load, and the
    /// index file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_index: Option<bool>,
    #[serde(default)]
    pub peers: Vec<PeerEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerEntry {
    /// Hex of the peer's ed25519 public key.
    pub public_key: String,
    pub address: SocketAddr,
}

/// A config file loaded and checked: what `dirchain node` runs.
#[derive(Debug)]
pub struct Loaded {
    pub node: NodeConfig,
    pub api_listen: SocketAddr,
    pub worker_threads: usize,
    /// From `subject_key_file`, when the config names one.
    pub subject_key: Option<SubjectKey>,
    /// From `query_index`.
    pub query_index: bool,
}

/// Keys appear in hex: that is how the config file names them.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {} is larger than {MAX_CONFIG_FILE_BYTES} bytes", path.display())]
    TooLarge { path: PathBuf },
    #[error("the config file {} is not valid: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error(
        "{}: empty_block_interval_ms must be at most {} (below the leader timeout), not {value}",
        path.display(),
        MAX_EMPTY_BLOCK_INTERVAL.as_millis()
    )]
    EmptyBlockInterval { path: PathBuf, value: u64 },
    #[error("{}: worker_threads must be between 1 and {MAX_WORKER_THREADS}, not {value}", path.display())]
    WorkerThreads { path: PathBuf, value: usize },
    #[error("{}: key_file {}: {source}", path.display(), file.display())]
    Key {
        path: PathBuf,
        file: PathBuf,
        source: KeyFileError,
    },
    #[error("{}: subject_key_file {}: {source}", path.display(), file.display())]
    SubjectKey {
        path: PathBuf,
        file: PathBuf,
        source: KeyFileError,
    },
    #[error("{}: genesis_file {}: {source}", path.display(), file.display())]
    Genesis {
        path: PathBuf,
        file: PathBuf,
        source: GenesisFileError,
    },
    #[error(
        "{}: role is \"validator\" but the key in key_file ({key}) is not a validator of the genesis in genesis_file",
        path.display()
    )]
    NotAValidator { path: PathBuf, key: String },
    #[error("{}: {source}", path.display())]
    BadPeerKey {
        path: PathBuf,
        index: usize,
        source: FieldError,
    },
    #[error("{}: peers[{index}] is this node itself ({key}); list only the other nodes", path.display())]
    SelfPeer {
        path: PathBuf,
        index: usize,
        key: String,
    },
    #[error("{}: peers[{index}] repeats the key {key}", path.display())]
    DuplicatePeer {
        path: PathBuf,
        index: usize,
        key: String,
    },
    #[error(
        "{}: peers has no entry for the genesis validator {key}; every validator must be listed with its address",
        path.display()
    )]
    MissingValidatorPeer { path: PathBuf, key: String },
}

/// Reads and checks the config file at `path`.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let file = parse(path)?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let empty_block_interval = file
        .empty_block_interval_ms
        .map_or(DEFAULT_EMPTY_BLOCK_INTERVAL, Duration::from_millis);
    if empty_block_interval > MAX_EMPTY_BLOCK_INTERVAL {
        return Err(ConfigError::EmptyBlockInterval {
            path: path.into(),
            value: empty_block_interval.as_millis() as u64,
        });
    }
    let worker_threads = file.worker_threads.unwrap_or(DEFAULT_WORKER_THREADS);
    if !(1..=MAX_WORKER_THREADS).contains(&worker_threads) {
        return Err(ConfigError::WorkerThreads {
            path: path.into(),
            value: worker_threads,
        });
    }

    let key_file = base.join(&file.key_file);
    let key = keys::read_key(&key_file).map_err(|source| ConfigError::Key {
        path: path.into(),
        file: key_file,
        source,
    })?;
    let genesis_file = base.join(&file.genesis_file);
    let genesis = keys::read_genesis(&genesis_file).map_err(|source| ConfigError::Genesis {
        path: path.into(),
        file: genesis_file,
        source,
    })?;
    let subject_key = file
        .subject_key_file
        .as_ref()
        .map(|name| {
            let file = base.join(name);
            keys::read_subject_key(&file).map_err(|source| ConfigError::SubjectKey {
                path: path.into(),
                file,
                source,
            })
        })
        .transpose()?;

    let own = key.public_key();
    if file.role == Role::Validator && !genesis.validators.contains(&own) {
        return Err(ConfigError::NotAValidator {
            path: path.into(),
            key: own.to_string(),
        });
    }

    let mut peers = Vec::with_capacity(file.peers.len());
    let mut seen = BTreeSet::new();
    for (index, entry) in file.peers.iter().enumerate() {
        let field = format!("peers[{index}].public_key");
        let public_key = input::public_key(&field, &entry.public_key).map_err(|source| {
            ConfigError::BadPeerKey {
                path: path.into(),
                index,
                source,
            }
        })?;
        if public_key == own {
            return Err(ConfigError::SelfPeer {
                path: path.into(),
                index,
                key: public_key.to_string(),
            });
        }
        if !seen.insert(public_key.clone()) {
            return Err(ConfigError::DuplicatePeer {
                path: path.into(),
                index,
                key: public_key.to_string(),
            });
        }
        peers.push(Peer {
            public_key,
            address: entry.address,
        });
    }
    if let Some(missing) = genesis
        .validators
        .iter()
        .find(|v| **v != own && !seen.contains(*v))
    {
        return Err(ConfigError::MissingValidatorPeer {
            path: path.into(),
            key: missing.to_string(),
        });
    }

    Ok(Loaded {
        node: NodeConfig {
            key,
            role: file.role.into(),
            genesis,
            peers,
            p2p_listen: file.p2p_listen,
            storage_dir: base.join(&file.storage_dir),
            empty_block_interval,
        },
        api_listen: file.api_listen,
        worker_threads,
        subject_key,
        query_index: file.query_index.unwrap_or(true),
    })
}

/// Parses the file without looking at the files it names.
pub fn parse(path: &Path) -> Result<NodeFile, ConfigError> {
    use std::io::Read;
    let read_error = |source| ConfigError::Read {
        path: path.into(),
        source,
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(read_error)?
        .take(MAX_CONFIG_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    if text.len() as u64 > MAX_CONFIG_FILE_BYTES {
        return Err(ConfigError::TooLarge { path: path.into() });
    }
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.into(),
        message: e.to_string(),
    })
}

/// The text of a config file, with a header saying how to read it.
pub fn render(file: &NodeFile) -> String {
    let body = toml::to_string(file).expect("a config always serializes");
    format!(
        "# dirchain node config. Paths are relative to this file's directory.\n\
         # Optional: worker_threads = {DEFAULT_WORKER_THREADS} (runtime threads),\n\
         # empty_block_interval_ms = {} (how long a leader waits for transactions\n\
         # before proposing an empty block; 0 = never waits), subject_key_file (the\n\
         # consortium's secret key for subject pseudonyms; without it the node does\n\
         # not answer \"who used my data\" queries), query_index = true (false: keep\n\
         # no query index and answer no list or record route, for a validator that\n\
         # serves no queries).\n\n{body}",
        DEFAULT_EMPTY_BLOCK_INTERVAL.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;
    use dirchain_types::{
        bounded::{Ident, List, Text},
        genesis::{Genesis, GenesisOrg},
        ids::{PrivateKey, subject_ref},
        records::Params,
    };
    use std::fs;

    /// Three validators (seeds 0..3), one full node (seed 9), in a temporary directory:
    /// the config of `seed` with every other node as a peer.
    struct Fixture {
        dir: tempfile::TempDir,
        genesis: Genesis,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let genesis = Genesis {
                chain_id: Ident::new("test-chain").unwrap(),
                timestamp_ms: 1_700_000_000_000,
                orgs: List::new(vec![GenesisOrg {
                    id: Ident::new("health").unwrap(),
                    name: Text::new("Health").unwrap(),
                    admin_key: PrivateKey::from_seed(100).public_key(),
                }])
                .unwrap(),
                validators: List::new(
                    (0..3)
                        .map(|s| PrivateKey::from_seed(s).public_key())
                        .collect(),
                )
                .unwrap(),
                threshold: 1,
                params: Params::default(),
            };
            fs::write(dir.path().join("genesis.bin"), genesis.encode()).unwrap();
            Self { dir, genesis }
        }

        fn file(&self, seed: u64, role: Role) -> NodeFile {
            let key_file = format!("node-{seed}.key");
            let key_path = self.dir.path().join(&key_file);
            if !key_path.exists() {
                keys::write_key(&key_path, &PrivateKey::from_seed(seed)).unwrap();
            }
            NodeFile {
                role,
                key_file: key_file.into(),
                genesis_file: "genesis.bin".into(),
                subject_key_file: None,
                storage_dir: "data".into(),
                p2p_listen: "127.0.0.1:7100".parse().unwrap(),
                api_listen: "127.0.0.1:8100".parse().unwrap(),
                worker_threads: None,
                empty_block_interval_ms: None,
                query_index: None,
                peers: [0, 1, 2, 9]
                    .into_iter()
                    .filter(|s| *s != seed)
                    .map(|s| PeerEntry {
                        public_key: PrivateKey::from_seed(s).public_key().to_string(),
                        address: format!("127.0.0.1:{}", 7100 + s).parse().unwrap(),
                    })
                    .collect(),
            }
        }

        fn write(&self, text: &str) -> PathBuf {
            let path = self.dir.path().join("config.toml");
            fs::write(&path, text).unwrap();
            path
        }

        fn load(&self, file: &NodeFile) -> Result<Loaded, ConfigError> {
            load(&self.write(&render(file)))
        }
    }

    #[test]
    fn a_rendered_config_loads() {
        let fx = Fixture::new();
        let loaded = fx.load(&fx.file(1, Role::Validator)).unwrap();
        assert_eq!(loaded.node.role, NodeRole::Validator);
        assert_eq!(loaded.node.genesis, fx.genesis);
        assert_eq!(
            loaded.node.key.public_key(),
            PrivateKey::from_seed(1).public_key()
        );
        assert_eq!(loaded.node.peers.len(), 3);
        assert_eq!(loaded.node.storage_dir, fx.dir.path().join("data"));
        assert_eq!(loaded.worker_threads, DEFAULT_WORKER_THREADS);
        assert_eq!(loaded.api_listen.port(), 8100);
    }

    #[test]
    fn a_full_node_need_not_be_a_validator() {
        let fx = Fixture::new();
        let loaded = fx.load(&fx.file(9, Role::Full)).unwrap();
        assert_eq!(loaded.node.role, NodeRole::Full);
    }

    #[test]
    fn render_then_parse_is_identity() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        file.worker_threads = Some(4);
        let path = fx.write(&render(&file));
        assert_eq!(parse(&path).unwrap(), file);
    }

    #[test]
    fn the_subject_key_is_optional_and_loaded_relative_to_the_config() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        assert!(fx.load(&file).unwrap().subject_key.is_none());
        assert!(!render(&file).contains("\nsubject_key_file"));

        fs::create_dir(fx.dir.path().join("secrets")).unwrap();
        let written =
            keys::write_subject_key(&fx.dir.path().join("secrets/subject.key"), [3; 32]).unwrap();
        file.subject_key_file = Some("secrets/subject.key".into());
        let path = fx.write(&render(&file));
        assert_eq!(parse(&path).unwrap(), file);
        let loaded = load(&path).unwrap().subject_key.expect("a subject key");
        assert_eq!(
            subject_ref(&loaded, "110101199003072345"),
            subject_ref(&written, "110101199003072345")
        );
    }

    #[test]
    fn a_bad_subject_key_file_names_the_file_and_the_field() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        file.subject_key_file = Some("subject.key".into());
        let err = fx.load(&file).unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::SubjectKey {
                    source: KeyFileError::Read(_),
                    ..
                }
            ),
            "{err}"
        );
        let shown = err.to_string();
        assert!(shown.contains("subject_key_file"), "{shown}");
        assert!(shown.contains("subject.key"), "{shown}");

        // Hex, but not 32 bytes of it.
        fs::write(fx.dir.path().join("subject.key"), "abcd\n").unwrap();
        let err = fx.load(&file).unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::SubjectKey {
                    source: KeyFileError::WrongLength { got: 2, .. },
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let fx = Fixture::new();
        let text = format!(
            "{}\nlisten_everywhere = true\n",
            render(&fx.file(0, Role::Validator))
        );
        // A top-level key after [[peers]] belongs to the last peer: test both places.
        let top = text.replacen("role =", "colour = \"blue\"\nrole =", 1);
        for text in [text, top] {
            let err = load(&fx.write(&text)).unwrap_err();
            assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
            assert!(err.to_string().contains("unknown field"), "{err}");
        }
    }

    #[test]
    fn bad_addresses_and_roles_are_refused() {
        let fx = Fixture::new();
        let text = render(&fx.file(0, Role::Validator));
        for bad in [
            text.replace("127.0.0.1:7100", "localhost"),
            text.replace("\"validator\"", "\"observer\""),
        ] {
            let err = load(&fx.write(&bad)).unwrap_err();
            assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
        }
    }

    #[test]
    fn bad_key_hex_is_refused() {
        let fx = Fixture::new();
        let file = fx.file(0, Role::Validator);
        fs::write(fx.dir.path().join(&file.key_file), "not a key\n").unwrap();
        let err = fx.load(&file).unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::Key {
                    source: KeyFileError::NotHex,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("key_file"), "{err}");
    }

    #[test]
    fn bad_peer_key_is_refused() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        file.peers[1].public_key = "0x1234".into();
        let err = fx.load(&file).unwrap_err();
        assert!(
            matches!(err, ConfigError::BadPeerKey { index: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("peers[1].public_key"), "{err}");
    }

    #[test]
    fn a_missing_validator_peer_is_refused() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        let missing = file.peers.remove(1);
        let err = fx.load(&file).unwrap_err();
        match err {
            ConfigError::MissingValidatorPeer { key, .. } => {
                assert_eq!(key.to_string(), missing.public_key)
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn self_and_repeated_peers_are_refused() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        file.peers.push(PeerEntry {
            public_key: PrivateKey::from_seed(0).public_key().to_string(),
            address: "127.0.0.1:7100".parse().unwrap(),
        });
        assert!(matches!(
            fx.load(&file),
            Err(ConfigError::SelfPeer { index: 3, .. })
        ));
        file.peers[3] = file.peers[0].clone();
        assert!(matches!(
            fx.load(&file),
            Err(ConfigError::DuplicatePeer { index: 3, .. })
        ));
    }

    #[test]
    fn a_validator_outside_genesis_is_refused() {
        let fx = Fixture::new();
        let err = fx.load(&fx.file(9, Role::Validator)).unwrap_err();
        assert!(matches!(err, ConfigError::NotAValidator { .. }), "{err}");
    }

    #[test]
    fn a_wrong_genesis_file_is_refused() {
        let fx = Fixture::new();
        let file = fx.file(0, Role::Validator);
        // A key file where the genesis should be.
        let mut wrong = file.clone();
        wrong.genesis_file = file.key_file.clone();
        let err = fx.load(&wrong).unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::Genesis {
                    source: GenesisFileError::Invalid(_),
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("genesis_file"), "{err}");
        // A genesis that decodes but could found no state.
        let mut invalid = fx.genesis.clone();
        invalid.threshold = 5;
        fs::write(fx.dir.path().join("genesis.bin"), invalid.encode()).unwrap();
        let err = fx.load(&file).unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::Genesis {
                    source: GenesisFileError::Rejected(_),
                    ..
                }
            ),
            "{err}"
        );
        // No file at all.
        fs::remove_file(fx.dir.path().join("genesis.bin")).unwrap();
        let err = fx.load(&file).unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::Genesis {
                    source: GenesisFileError::Read(_),
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn worker_threads_are_bounded() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        file.worker_threads = Some(0);
        assert!(matches!(
            fx.load(&file),
            Err(ConfigError::WorkerThreads { value: 0, .. })
        ));
    }

    #[test]
    fn empty_block_interval_defaults_and_is_bounded() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        assert_eq!(
            fx.load(&file).unwrap().node.empty_block_interval,
            DEFAULT_EMPTY_BLOCK_INTERVAL
        );
        file.empty_block_interval_ms = Some(0);
        assert!(fx.load(&file).unwrap().node.empty_block_interval.is_zero());
        file.empty_block_interval_ms = Some(MAX_EMPTY_BLOCK_INTERVAL.as_millis() as u64 + 1);
        assert!(matches!(
            fx.load(&file),
            Err(ConfigError::EmptyBlockInterval { .. })
        ));
    }

    /// Kept unless the operator says otherwise; a value that is not a
    /// boolean is a mistake to name, not to read as "off".
    #[test]
    fn the_query_index_is_kept_by_default_and_can_be_turned_off() {
        let fx = Fixture::new();
        let mut file = fx.file(0, Role::Validator);
        assert!(fx.load(&file).unwrap().query_index);
        file.query_index = Some(false);
        let text = render(&file);
        assert!(text.contains("query_index = false"), "{text}");
        assert!(!fx.load(&file).unwrap().query_index);
        let bad = text.replace("query_index = false", "query_index = \"no\"");
        let err = load(&fx.write(&bad)).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
        assert!(err.to_string().contains("query_index"), "{err}");
    }

    #[test]
    fn a_missing_config_file_names_itself() {
        let err = load(Path::new("/nonexistent/dirchain/config.toml")).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
        assert!(
            err.to_string()
                .contains("/nonexistent/dirchain/config.toml")
        );
    }
}
