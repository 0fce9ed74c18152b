//! `dirchain init`: keys, a genesis and one config per node, for a real
//! deployment (and, with loopback addresses, for the devnet).

use crate::{
    client::time,
    config::{self, NodeFile, PeerEntry, Role},
    files,
};
use anyhow::Context as _;
use commonware_cryptography::Signer;
use dirchain_client::keys;
use dirchain_types::{
    bounded::{Ident, List},
    genesis::{Genesis, GenesisOrg},
    ids::{Digest, PrivateKey, PublicKey},
    limits::{MAX_ORGS, MAX_VALIDATORS},
    records::Params,
    tx::Title,
};
use serde::Deserialize;
use std::{
    collections::BTreeSet,
    fs,
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// Each node's API listens on its p2p port plus this, on the same host.
pub const DEFAULT_API_PORT_OFFSET: u16 = 1000;
pub const GENESIS_FILE: &str = "genesis.bin";
/// The consortium's secret subject key, one for every node of the network.
pub const SUBJECT_KEY_FILE: &str = "subject.key";
pub const KEYS_DIR: &str = "keys";
pub const NODE_KEY_FILE: &str = "node.key";
pub const CONFIG_FILE: &str = "config.toml";
/// Where a node keeps its chain, inside its directory.
const STORAGE_DIR: &str = "data";
/// A nodes file lists addresses and roles: a few kilobytes at most.
const MAX_NODES_FILE_BYTES: u64 = 1024 * 1024;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory to write into; it must not exist yet or be empty.
    #[arg(long)]
    pub dir: PathBuf,
    /// Name of the network; transactions signed for another chain id are refused.
    #[arg(long)]
    pub chain_id: String,
    /// A founding organisation (repeatable); its admin key is written to keys/ID.admin.key.
    #[arg(long = "org", value_name = "ID=NAME", required = true, value_parser = parse_org)]
    pub orgs: Vec<OrgSpec>,
    /// A validator's p2p address (repeatable).
    #[arg(long = "validator", value_name = "IP:PORT", value_parser = parse_address)]
    pub validators: Vec<SocketAddr>,
    /// A non-voting full node's p2p address (repeatable).
    #[arg(long = "full-node", value_name = "IP:PORT", value_parser = parse_address)]
    pub full_nodes: Vec<SocketAddr>,
    /// TOML file with more nodes: `[[nodes]]` tables of `address` and `role` ("validator" or
    /// "full"), after those given by flags.
    #[arg(long, value_name = "FILE")]
    pub nodes_file: Option<PathBuf>,
    /// Yes votes of distinct organisations a governance proposal needs (default: a majority).
    #[arg(long)]
    pub threshold: Option<u32>,
    /// Each node's API port is its p2p port plus this.
    #[arg(long, default_value_t = DEFAULT_API_PORT_OFFSET)]
    pub api_port_offset: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgSpec {
    pub id: Ident,
    pub name: Title,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    pub address: SocketAddr,
    pub role: Role,
}

/// Everything `init` will write, checked before anything is written.
#[derive(Clone, Debug)]
pub struct Plan {
    pub chain_id: Ident,
    pub orgs: Vec<OrgSpec>,
    pub nodes: Vec<NodeSpec>,
    pub threshold: u32,
    pub api_port_offset: u16,
    /// Written into every node's config when set; otherwise nodes use the default.
    pub empty_block_interval_ms: Option<u64>,
    /// When set, only the first this many nodes keep the query index; the
    /// others' configs say `query_index = false`.
    pub query_nodes: Option<usize>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("chain id: {0}")]
    ChainId(String),
    #[error("at least one organisation (--org ID=NAME) is needed")]
    NoOrgs,
    #[error("{count} organisations; a genesis holds at most {MAX_ORGS}")]
    TooManyOrgs { count: usize },
    #[error("organisation {0:?} is given twice")]
    DuplicateOrg(String),
    #[error("organisation id {0:?} may not contain '/': it names the admin key file")]
    OrgIdPath(String),
    #[error("at least one validator (--validator IP:PORT) is needed")]
    NoValidators,
    #[error("{count} validators; a genesis holds at most {MAX_VALIDATORS}")]
    TooManyValidators { count: usize },
    #[error(
        "threshold {threshold} is out of range: it must be between 1 and the {orgs} organisations"
    )]
    Threshold { threshold: u32, orgs: usize },
    #[error("--api-port-offset must not be 0: the API and p2p ports would collide")]
    ZeroApiOffset,
    #[error("node {address}: its API port would be {port} + {offset}, past 65535")]
    ApiPortOverflow {
        address: SocketAddr,
        port: u16,
        offset: u16,
    },
    #[error("address {0} is used twice (as a p2p or an API address)")]
    DuplicateAddress(SocketAddr),
}

/// Parses `ID=NAME`.
pub fn parse_org(text: &str) -> Result<OrgSpec, String> {
    let (id, name) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not ID=NAME, e.g. health=\"City Health Agency\""))?;
    let id = Ident::new(id.trim()).map_err(|e| format!("organisation id: {e}"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("{text:?}: the organisation name must not be empty"));
    }
    let name = Title::new(name).map_err(|e| format!("organisation name: {e}"))?;
    Ok(OrgSpec { id, name })
}

/// Parses `IP:PORT`. Names are not resolved: the address is written into every peer's
/// config, and a name resolved once here would go stale silently.
pub fn parse_address(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not IP:PORT, e.g. 10.0.0.5:7100 or [::1]:7100"))?;
    if addr.port() == 0 {
        return Err(format!("{text:?}: port 0 cannot be dialled by peers"));
    }
    Ok(addr)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodesFile {
    nodes: Vec<NodesFileEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodesFileEntry {
    address: String,
    role: Role,
}

/// Reads the `--nodes-file`.
pub fn read_nodes_file(path: &Path) -> anyhow::Result<Vec<NodeSpec>> {
    let size = fs::metadata(path)
        .with_context(|| format!("cannot read the nodes file {}", path.display()))?
        .len();
    anyhow::ensure!(
        size <= MAX_NODES_FILE_BYTES,
        "the nodes file {} is larger than {MAX_NODES_FILE_BYTES} bytes",
        path.display()
    );
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read the nodes file {}", path.display()))?;
    let file: NodesFile = toml::from_str(&text)
        .with_context(|| format!("the nodes file {} is not valid", path.display()))?;
    file.nodes
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let address = parse_address(&entry.address)
                .map_err(|e| anyhow::anyhow!("{}: nodes[{i}].address: {e}", path.display()))?;
            Ok(NodeSpec {
                address,
                role: entry.role,
            })
        })
        .collect()
}

impl Plan {
    pub fn new(
        chain_id: &str,
        orgs: Vec<OrgSpec>,
        nodes: Vec<NodeSpec>,
        threshold: Option<u32>,
        api_port_offset: u16,
    ) -> Result<Self, PlanError> {
        let chain_id = Ident::new(chain_id).map_err(|e| PlanError::ChainId(e.to_string()))?;
        if orgs.is_empty() {
            return Err(PlanError::NoOrgs);
        }
        if orgs.len() > MAX_ORGS {
            return Err(PlanError::TooManyOrgs { count: orgs.len() });
        }
        let mut ids = BTreeSet::new();
        for org in &orgs {
            if org.id.contains('/') {
                return Err(PlanError::OrgIdPath(org.id.to_string()));
            }
            if !ids.insert(&org.id) {
                return Err(PlanError::DuplicateOrg(org.id.to_string()));
            }
        }
        let validators = nodes.iter().filter(|n| n.role == Role::Validator).count();
        if validators == 0 {
            return Err(PlanError::NoValidators);
        }
        if validators > MAX_VALIDATORS {
            return Err(PlanError::TooManyValidators { count: validators });
        }
        let threshold = threshold.unwrap_or(majority(orgs.len()));
        if threshold == 0 || threshold as usize > orgs.len() {
            return Err(PlanError::Threshold {
                threshold,
                orgs: orgs.len(),
            });
        }
        if api_port_offset == 0 {
            return Err(PlanError::ZeroApiOffset);
        }
        let mut addresses = BTreeSet::new();
        for node in &nodes {
            let api = api_address(node.address, api_port_offset)?;
            for addr in [node.address, api] {
                if !addresses.insert(addr) {
                    return Err(PlanError::DuplicateAddress(addr));
                }
            }
        }
        Ok(Self {
            chain_id,
            orgs,
            nodes,
            threshold,
            api_port_offset,
            empty_block_interval_ms: None,
            query_nodes: None,
        })
    }
}

impl Plan {
    /// Where `node`'s API listens.
    pub fn api_address(&self, node: &NodeSpec) -> SocketAddr {
        api_address(node.address, self.api_port_offset).expect("checked by Plan::new")
    }
}

/// More than half of the organisations.
fn majority(orgs: usize) -> u32 {
    (orgs / 2 + 1) as u32
}

fn api_address(p2p: SocketAddr, offset: u16) -> Result<SocketAddr, PlanError> {
    let port = p2p
        .port()
        .checked_add(offset)
        .ok_or(PlanError::ApiPortOverflow {
            address: p2p,
            port: p2p.port(),
            offset,
        })?;
    Ok(SocketAddr::new(p2p.ip(), port))
}

/// What `init` wrote.
#[derive(Debug)]
pub struct Created {
    pub genesis: Genesis,
    pub genesis_digest: Digest,
    pub nodes: Vec<CreatedNode>,
}

#[derive(Debug)]
pub struct CreatedNode {
    /// `node-<i>`, the node's directory under the output directory.
    pub name: String,
    pub role: Role,
    pub public_key: PublicKey,
    pub p2p: SocketAddr,
    pub api: SocketAddr,
}

pub fn node_dir_name(index: usize) -> String {
    format!("node-{index}")
}

pub fn admin_key_path(dir: &Path, org: &str) -> PathBuf {
    dir.join(KEYS_DIR).join(format!("{org}.admin.key"))
}

/// Writes keys, genesis and node directories for `plan` into `dir`, which must be
/// missing or empty.
pub fn create(dir: &Path, plan: &Plan, timestamp_ms: u64) -> anyhow::Result<Created> {
    anyhow::ensure!(
        files::is_missing_or_empty(dir)
            .with_context(|| format!("cannot read the directory {}", dir.display()))?,
        "{} already holds files; choose a new or empty directory",
        dir.display()
    );
    let admin_keys: Vec<PrivateKey> = plan.orgs.iter().map(|_| keys::generate_key()).collect();
    let node_keys: Vec<PrivateKey> = plan.nodes.iter().map(|_| keys::generate_key()).collect();

    let genesis = Genesis {
        chain_id: plan.chain_id.clone(),
        timestamp_ms,
        orgs: List::new(
            plan.orgs
                .iter()
                .zip(&admin_keys)
                .map(|(org, key)| GenesisOrg {
                    id: org.id.clone(),
                    name: org.name.clone(),
                    admin_key: key.public_key(),
                })
                .collect(),
        )?,
        validators: List::new(
            plan.nodes
                .iter()
                .zip(&node_keys)
                .filter(|(node, _)| node.role == Role::Validator)
                .map(|(_, key)| key.public_key())
                .collect(),
        )?,
        threshold: plan.threshold,
        params: Params::default(),
    };
    // The node runs the same check before its first block; failing here leaves no files.
    dirchain_state::genesis::genesis_writes(&genesis).context("the genesis would be invalid")?;

    let keys_dir = dir.join(KEYS_DIR);
    fs::create_dir_all(&keys_dir)
        .with_context(|| format!("cannot create {}", keys_dir.display()))?;
    for (org, key) in plan.orgs.iter().zip(&admin_keys) {
        let path = admin_key_path(dir, &org.id);
        keys::write_key(&path, key).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let genesis_path = dir.join(GENESIS_FILE);
    keys::write_genesis(&genesis_path, &genesis)
        .with_context(|| format!("cannot write {}", genesis_path.display()))?;
    let subject_key_path = dir.join(SUBJECT_KEY_FILE);
    keys::generate_subject_key(&subject_key_path)
        .with_context(|| format!("cannot write {}", subject_key_path.display()))?;

    let mut nodes = Vec::with_capacity(plan.nodes.len());
    for (index, (node, key)) in plan.nodes.iter().zip(&node_keys).enumerate() {
        let name = node_dir_name(index);
        let node_dir = dir.join(&name);
        fs::create_dir(&node_dir)
            .with_context(|| format!("cannot create {}", node_dir.display()))?;
        let key_path = node_dir.join(NODE_KEY_FILE);
        keys::write_key(&key_path, key)
            .with_context(|| format!("cannot write {}", key_path.display()))?;
        let api = plan.api_address(node);
        let file = NodeFile {
            role: node.role,
            key_file: NODE_KEY_FILE.into(),
            genesis_file: Path::new("..").join(GENESIS_FILE),
            subject_key_file: Some(Path::new("..").join(SUBJECT_KEY_FILE)),
            storage_dir: STORAGE_DIR.into(),
            p2p_listen: node.address,
            api_listen: api,
            worker_threads: None,
            empty_block_interval_ms: plan.empty_block_interval_ms,
            query_index: plan
                .query_nodes
                .is_some_and(|n| index >= n)
                .then_some(false),
            peers: plan
                .nodes
                .iter()
                .zip(&node_keys)
                .enumerate()
                .filter(|(other, _)| *other != index)
                .map(|(_, (peer, peer_key))| PeerEntry {
                    public_key: peer_key.public_key().to_string(),
                    address: peer.address,
                })
                .collect(),
        };
        let config_path = node_dir.join(CONFIG_FILE);
        files::write_new(&config_path, config::render(&file).as_bytes())
            .with_context(|| format!("cannot write {}", config_path.display()))?;
        nodes.push(CreatedNode {
            name,
            role: node.role,
            public_key: key.public_key(),
            p2p: node.address,
            api,
        });
    }
    Ok(Created {
        genesis_digest: genesis.digest(),
        genesis,
        nodes,
    })
}

/// `dirchain init`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut nodes: Vec<NodeSpec> = args
        .validators
        .iter()
        .map(|&address| NodeSpec {
            address,
            role: Role::Validator,
        })
        .chain(args.full_nodes.iter().map(|&address| NodeSpec {
            address,
            role: Role::Full,
        }))
        .collect();
    if let Some(path) = &args.nodes_file {
        nodes.extend(read_nodes_file(path)?);
    }
    let plan = Plan::new(
        &args.chain_id,
        args.orgs,
        nodes,
        args.threshold,
        args.api_port_offset,
    )?;
    let created = create(&args.dir, &plan, time::now_ms())?;
    print_summary(&args.dir, &created);
    Ok(())
}

pub fn print_summary(dir: &Path, created: &Created) {
    let genesis = &created.genesis;
    println!("chain id:       {}", genesis.chain_id);
    println!("genesis:        {}", dir.join(GENESIS_FILE).display());
    println!("genesis digest: {}", created.genesis_digest);
    println!(
        "subject key:    {} (secret: give it only to the nodes)",
        dir.join(SUBJECT_KEY_FILE).display()
    );
    println!(
        "organisations:  {} (threshold {}), admin keys in {}",
        genesis
            .orgs
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        genesis.threshold,
        dir.join(KEYS_DIR).display()
    );
    println!("nodes:");
    for node in &created.nodes {
        println!(
            "  {:<8} {:<9} p2p {:<21} api http://{:<21} {}",
            node.name,
            dirchain_chain::NodeRole::from(node.role).to_string(),
            node.p2p,
            node.api,
            node.public_key
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirchain_types::ids::subject_ref;
    use std::os::unix::fs::PermissionsExt;

    fn orgs(ids: &[&str]) -> Vec<OrgSpec> {
        ids.iter()
            .map(|id| parse_org(&format!("{id}=Agency {id}")).unwrap())
            .collect()
    }

    fn nodes(validators: u16, full: u16) -> Vec<NodeSpec> {
        (0..validators + full)
            .map(|i| NodeSpec {
                address: format!("127.0.0.1:{}", 7100 + i).parse().unwrap(),
                role: if i < validators {
                    Role::Validator
                } else {
                    Role::Full
                },
            })
            .collect()
    }

    fn plan(org_ids: &[&str], threshold: Option<u32>) -> Result<Plan, PlanError> {
        Plan::new(
            "test-chain",
            orgs(org_ids),
            nodes(3, 1),
            threshold,
            DEFAULT_API_PORT_OFFSET,
        )
    }

    #[test]
    fn threshold_defaults_to_a_majority() {
        assert_eq!(plan(&["a"], None).unwrap().threshold, 1);
        assert_eq!(plan(&["a", "b"], None).unwrap().threshold, 2);
        assert_eq!(plan(&["a", "b", "c"], None).unwrap().threshold, 2);
        assert_eq!(plan(&["a", "b", "c", "d"], None).unwrap().threshold, 3);
        assert_eq!(plan(&["a", "b", "c"], Some(3)).unwrap().threshold, 3);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let three = ["a", "b", "c"];
        assert_eq!(
            plan(&three, Some(4)).unwrap_err(),
            PlanError::Threshold {
                threshold: 4,
                orgs: 3
            }
        );
        assert!(matches!(
            plan(&three, Some(0)),
            Err(PlanError::Threshold { .. })
        ));
        assert_eq!(
            plan(&["a", "b", "a"], None).unwrap_err(),
            PlanError::DuplicateOrg("a".into())
        );
        assert_eq!(
            plan(&["a/b"], None).unwrap_err(),
            PlanError::OrgIdPath("a/b".into())
        );
        assert_eq!(plan(&[], None).unwrap_err(), PlanError::NoOrgs);
        assert!(matches!(
            Plan::new("bad chain", orgs(&three), nodes(1, 0), None, 1000),
            Err(PlanError::ChainId(_))
        ));
        assert_eq!(
            Plan::new("c", orgs(&three), nodes(0, 2), None, 1000).unwrap_err(),
            PlanError::NoValidators
        );
        assert_eq!(
            Plan::new("c", orgs(&three), nodes(1, 0), None, 0).unwrap_err(),
            PlanError::ZeroApiOffset
        );
        assert!(matches!(
            Plan::new("c", orgs(&three), nodes(1, 0), None, 65_000),
            Err(PlanError::ApiPortOverflow { .. })
        ));
        // The second node's p2p port is the first one's API port.
        assert_eq!(
            Plan::new("c", orgs(&three), nodes(2, 0), None, 1).unwrap_err(),
            PlanError::DuplicateAddress("127.0.0.1:7101".parse().unwrap())
        );
        let mut twice = nodes(2, 0);
        twice[1].address = twice[0].address;
        assert!(matches!(
            Plan::new("c", orgs(&three), twice, None, 1000),
            Err(PlanError::DuplicateAddress(_))
        ));
    }

    #[test]
    fn orgs_and_addresses_parse_with_clear_errors() {
        let org = parse_org("city-health=City Health Agency").unwrap();
        assert_eq!(org.id.as_str(), "city-health");
        assert_eq!(org.name.as_str(), "City Health Agency");
        assert!(parse_org("no-name").unwrap_err().contains("ID=NAME"));
        assert!(
            parse_org("bad id=Name")
                .unwrap_err()
                .contains("organisation id")
        );
        assert!(parse_org("ok=").unwrap_err().contains("organisation name"));
        assert!(
            parse_org("ok=a\u{7}b")
                .unwrap_err()
                .contains("organisation name")
        );
        assert_eq!(
            parse_address("10.0.0.5:7100").unwrap(),
            "10.0.0.5:7100".parse::<SocketAddr>().unwrap()
        );
        assert!(
            parse_address("validator.example:7100")
                .unwrap_err()
                .contains("IP:PORT")
        );
        assert!(parse_address("10.0.0.5").unwrap_err().contains("IP:PORT"));
        assert!(parse_address("10.0.0.5:0").unwrap_err().contains("port 0"));
    }

    #[test]
    fn init_writes_keys_genesis_and_configs_that_load() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("net");
        let plan = plan(&["health", "police", "tax"], None).unwrap();
        let created = create(&out, &plan, 1_700_000_000_000).unwrap();

        let genesis = keys::read_genesis(&out.join(GENESIS_FILE)).unwrap();
        assert_eq!(genesis, created.genesis);
        assert_eq!(genesis.chain_id.as_str(), "test-chain");
        assert_eq!(genesis.threshold, 2);
        assert_eq!(genesis.timestamp_ms, 1_700_000_000_000);
        let org_ids: Vec<_> = genesis.orgs.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(org_ids, ["health", "police", "tax"]);
        for org in genesis.orgs.iter() {
            let key = keys::read_key(&admin_key_path(&out, &org.id)).unwrap();
            assert_eq!(key.public_key(), org.admin_key);
        }
        let validators: Vec<_> = created
            .nodes
            .iter()
            .filter(|n| n.role == Role::Validator)
            .map(|n| n.public_key.clone())
            .collect();
        assert_eq!(genesis.validators.to_vec(), validators);
        assert_eq!(created.nodes.len(), 4);
        assert_eq!(created.nodes[3].role, Role::Full);

        // One subject key for the whole network, secret, named by every config.
        let subject_key_path = out.join(SUBJECT_KEY_FILE);
        let subject_key = keys::read_subject_key(&subject_key_path).unwrap();
        let mode = fs::metadata(&subject_key_path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, keys::KEY_FILE_MODE);
        let pseudonym = subject_ref(&subject_key, "110101199003072345");

        for (i, node) in created.nodes.iter().enumerate() {
            let loaded = config::load(&out.join(node_dir_name(i)).join(CONFIG_FILE)).unwrap();
            let node_subject_key = loaded.subject_key.as_ref().expect("a subject key");
            assert_eq!(
                subject_ref(node_subject_key, "110101199003072345"),
                pseudonym
            );
            assert_eq!(loaded.node.key.public_key(), node.public_key);
            assert_eq!(loaded.node.genesis, genesis);
            assert_eq!(loaded.node.p2p_listen, node.p2p);
            assert_eq!(loaded.api_listen, node.api);
            assert_eq!(
                loaded.api_listen.port(),
                node.p2p.port() + DEFAULT_API_PORT_OFFSET
            );
            assert_eq!(loaded.node.peers.len(), 3);
            assert!(
                loaded
                    .node
                    .peers
                    .iter()
                    .all(|p| p.public_key != node.public_key)
            );
        }
    }

    #[test]
    fn init_refuses_a_non_empty_directory() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("something"), "x").unwrap();
        let plan = plan(&["a"], None).unwrap();
        let err = create(dir.path(), &plan, 0).unwrap_err();
        assert!(err.to_string().contains("already holds files"), "{err}");
        // An existing empty directory is fine.
        let empty = tempfile::tempdir().unwrap();
        create(empty.path(), &plan, 0).unwrap();
    }

    #[test]
    fn nodes_file_is_read_with_roles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nodes.toml");
        fs::write(
            &path,
            "[[nodes]]\naddress = \"10.0.0.1:7100\"\nrole = \"validator\"\n\n\
             [[nodes]]\naddress = \"10.0.0.2:7100\"\nrole = \"full\"\n",
        )
        .unwrap();
        let nodes = read_nodes_file(&path).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1].role, Role::Full);
        fs::write(&path, "[[nodes]]\naddress = \"host:1\"\nrole = \"full\"\n").unwrap();
        let err = read_nodes_file(&path).unwrap_err();
        assert!(format!("{err:#}").contains("nodes[0].address"), "{err:#}");
    }
}
