//! The gateway's configuration file (TOML): where the data comes from, which
//! catalog items it serves and how their fields map to the upstream answer,
//! which nodes to consult, and the limits of its outbox.
//!
//! ```toml
//! listen = "127.0.0.1:8300"
//! upstream = "http://127.0.0.1:8400"
//! nodes = ["http://127.0.0.1:8100", "http://127.0.0.1:8101"]
//! key_file = "tax-gateway.key"        # a member key of the providing org, role gateway
//! subject_key_file = "subject.key"    # the consortium's pseudonymisation key
//! genesis_file = "genesis.bin"        # the validators proofs are checked against
//! data_dir = "gateway-data"           # the durable outbox
//!
//! [outbox]
//! max_entries = 10000
//! max_age_ms = 300000
//!
//! [[items]]
//! id = "tax/property-registrations"
//! path = "/registrations"             # upstream path the item's requests go under
//! records = "/records"                # JSON pointer to the array of records
//! subject = "owner_id"                # field holding the person's identifier
//! [items.fields]                      # catalog field = JSON pointer in a record
//! parcel_id = "/parcel/id"
//! owner_id = "/owner/national_id"
//! ```
//!
//! Relative file paths are read relative to the configuration file.

use dirchain_types::{bounded::Ident, limits::MAX_FIELDS};
use serde::Deserialize;
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// Catalog items one gateway serves.
pub const MAX_ITEMS: usize = 256;
/// Nodes one gateway consults.
pub const MAX_NODES: usize = 16;
/// Largest configuration file read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Defaults of the tunable limits.
pub const DEFAULT_MAX_CLOCK_SKEW_MS: u64 = 30_000;
pub const DEFAULT_REFRESH_MS: u64 = 2_000;
pub const DEFAULT_MAX_STALENESS_MS: u64 = 60_000;
pub const DEFAULT_UPSTREAM_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_OUTBOX_MAX_ENTRIES: u64 = 10_000;
pub const DEFAULT_OUTBOX_MAX_AGE_MS: u64 = 300_000;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is larger than {MAX_CONFIG_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: SocketAddr,
    upstream: String,
    nodes: Vec<String>,
    key_file: PathBuf,
    subject_key_file: PathBuf,
    genesis_file: PathBuf,
    data_dir: PathBuf,
    #[serde(default = "default_channel")]
    channel: String,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    outbox: OutboxLimits,
    items: Vec<ItemFile>,
}

fn default_channel() -> String {
    dirchain_types::ids::SYSTEM_CHANNEL.to_string()
}

/// How fresh ledger state must be and how long the gateway waits for others.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// How far a request's timestamp may be from the gateway's clock.
    pub max_clock_skew_ms: u64,
    /// Ledger state (permission, requester, item) older than this is read
    /// again before it is relied on: a revocation takes effect within this
    /// time of being final.
    pub refresh_ms: u64,
    /// While no node answers, state read up to this long ago is still relied
    /// on; after that, requests are refused.
    pub max_staleness_ms: u64,
    pub upstream_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_clock_skew_ms: DEFAULT_MAX_CLOCK_SKEW_MS,
            refresh_ms: DEFAULT_REFRESH_MS,
            max_staleness_ms: DEFAULT_MAX_STALENESS_MS,
            upstream_timeout_ms: DEFAULT_UPSTREAM_TIMEOUT_MS,
        }
    }
}

/// When the gateway stops serving because accesses are not yet on the ledger.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxLimits {
    /// Accesses waiting to be final on the ledger.
    pub max_entries: u64,
    /// Age of the oldest waiting access.
    pub max_age_ms: u64,
}

impl Default for OutboxLimits {
    fn default() -> Self {
        Self {
            max_entries: DEFAULT_OUTBOX_MAX_ENTRIES,
            max_age_ms: DEFAULT_OUTBOX_MAX_AGE_MS,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    id: String,
    path: String,
    #[serde(default)]
    records: String,
    subject: Option<String>,
    fields: BTreeMap<String, String>,
}

/// A served catalog item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemMap {
    pub id: Ident,
    /// Upstream path prefix (`/registrations`), no trailing `/`.
    pub path: String,
    /// JSON pointer to the records in the upstream answer; empty for the
    /// answer itself (an array, or one record).
    pub records: String,
    /// The catalog field holding the person's identifier, if records are
    /// about persons.
    pub subject: Option<Ident>,
    /// Catalog field → JSON pointer within one record, in field order.
    pub fields: Vec<(Ident, String)>,
}

impl ItemMap {
    pub fn field_names(&self) -> impl Iterator<Item = &Ident> {
        self.fields.iter().map(|(name, _)| name)
    }
}

/// A validated configuration, with file paths resolved.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub upstream: String,
    pub nodes: Vec<String>,
    pub key_file: PathBuf,
    pub subject_key_file: PathBuf,
    pub genesis_file: PathBuf,
    pub data_dir: PathBuf,
    pub channel: Ident,
    pub limits: Limits,
    pub outbox: OutboxLimits,
    pub items: Vec<ItemMap>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let read = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        if std::fs::metadata(path).map_err(read)?.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|e| match e {
            Invalid::Toml(source) => ConfigError::Parse {
                path: path.to_path_buf(),
                source,
            },
            Invalid::Rule(message) => ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            },
        })
    }

    fn parse(text: &str, base: &Path) -> Result<Self, Invalid> {
        let file: File = toml::from_str(text).map_err(Invalid::Toml)?;
        let rule = |m: String| Invalid::Rule(m);
        let http_url = |what: &str, url: &str| -> Result<String, Invalid> {
            let trimmed = url.trim_end_matches('/');
            match trimmed.strip_prefix("http://") {
                Some(rest) if !rest.is_empty() && !rest.contains(['?', '#']) => {
                    Ok(trimmed.to_string())
                }
                _ => Err(rule(format!(
                    "{what} {url:?} is not an http://HOST:PORT URL"
                ))),
            }
        };
        let upstream = http_url("upstream", &file.upstream)?;
        if file.nodes.is_empty() || file.nodes.len() > MAX_NODES {
            return Err(rule(format!("nodes: give 1 to {MAX_NODES} node URLs")));
        }
        let nodes = file
            .nodes
            .iter()
            .map(|n| http_url("node", n))
            .collect::<Result<Vec<_>, _>>()?;
        let channel = Ident::new(&file.channel)
            .map_err(|e| rule(format!("channel {:?}: {e}", file.channel)))?;
        if file.items.is_empty() || file.items.len() > MAX_ITEMS {
            return Err(rule(format!("items: give 1 to {MAX_ITEMS} items")));
        }
        let mut items: Vec<ItemMap> = Vec::with_capacity(file.items.len());
        for item in &file.items {
            let parsed = item_map(item).map_err(|m| rule(format!("item {:?}: {m}", item.id)))?;
            if items.iter().any(|i| i.id == parsed.id) {
                return Err(rule(format!("item {:?} is configured twice", item.id)));
            }
            items.push(parsed);
        }
        let limits = file.limits;
        if limits.refresh_ms == 0 || limits.refresh_ms > limits.max_staleness_ms {
            return Err(rule(
                "limits: refresh_ms must be above 0 and at most max_staleness_ms".into(),
            ));
        }
        if file.outbox.max_entries == 0 || file.outbox.max_age_ms == 0 {
            return Err(rule(
                "outbox: max_entries and max_age_ms must be above 0".into(),
            ));
        }
        Ok(Self {
            listen: file.listen,
            upstream,
            nodes,
            key_file: base.join(file.key_file),
            subject_key_file: base.join(file.subject_key_file),
            genesis_file: base.join(file.genesis_file),
            data_dir: base.join(file.data_dir),
            channel,
            limits,
            outbox: file.outbox,
            items,
        })
    }

    pub fn item(&self, id: &str) -> Option<&ItemMap> {
        self.items.iter().find(|i| i.id.as_str() == id)
    }
}

enum Invalid {
    Toml(toml::de::Error),
    Rule(String),
}

fn item_map(item: &ItemFile) -> Result<ItemMap, String> {
    let id = Ident::new(&item.id).map_err(|e| e.to_string())?;
    if !item.path.starts_with('/') || item.path.contains(['?', '#']) {
        return Err(format!(
            "path {:?} must start with / and hold no query",
            item.path
        ));
    }
    let pointer = |what: &str, p: &str| {
        if p.is_empty() || p.starts_with('/') {
            Ok(())
        } else {
            Err(format!(
                "{what} {p:?} is not a JSON pointer (\"\" or \"/a/b\")"
            ))
        }
    };
    pointer("records", &item.records)?;
    if item.fields.is_empty() || item.fields.len() > MAX_FIELDS {
        return Err(format!("fields: map 1 to {MAX_FIELDS} catalog fields"));
    }
    let mut fields = Vec::with_capacity(item.fields.len());
    for (name, at) in &item.fields {
        let name = Ident::new(name).map_err(|e| format!("field {name:?}: {e}"))?;
        pointer(&format!("field {name}"), at)?;
        fields.push((name, at.clone()));
    }
    let subject = match &item.subject {
        Some(s) => {
            let s = Ident::new(s).map_err(|e| format!("subject {s:?}: {e}"))?;
            if !fields.iter().any(|(name, _)| *name == s) {
                return Err(format!("subject {s} is not one of the mapped fields"));
            }
            Some(s)
        }
        None => None,
    };
    Ok(ItemMap {
        id,
        path: item.path.trim_end_matches('/').to_string(),
        records: item.records.clone(),
        subject,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
listen = "127.0.0.1:8300"
upstream = "http://127.0.0.1:8400/"
nodes = ["http://127.0.0.1:8100"]
key_file = "gw.key"
subject_key_file = "subject.key"
genesis_file = "genesis.bin"
data_dir = "data"

[outbox]
max_entries = 5

[[items]]
id = "tax/property-registrations"
path = "/registrations/"
records = "/records"
subject = "owner_id"
[items.fields]
parcel_id = "/parcel/id"
owner_id = "/owner/national_id"
"#;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("/etc/dirchain")).map_err(|e| match e {
            Invalid::Toml(e) => e.to_string(),
            Invalid::Rule(m) => m,
        })
    }

    #[test]
    fn a_good_file_resolves_paths_and_keeps_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.upstream, "http://127.0.0.1:8400");
        assert_eq!(c.key_file, Path::new("/etc/dirchain/gw.key"));
        assert_eq!(c.outbox.max_entries, 5);
        assert_eq!(c.outbox.max_age_ms, DEFAULT_OUTBOX_MAX_AGE_MS);
        assert_eq!(c.limits, Limits::default());
        let item = c.item("tax/property-registrations").unwrap();
        assert_eq!(item.path, "/registrations");
        assert_eq!(item.subject.as_ref().unwrap().as_str(), "owner_id");
        assert_eq!(item.fields.len(), 2);
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (GOOD.replace("8400/", "8400/?x"), "upstream"),
            (GOOD.replace("http://127.0.0.1:8100", "https://x"), "node"),
            (
                GOOD.replace("subject = \"owner_id\"", "subject = \"name\""),
                "subject name",
            ),
            (
                GOOD.replace("\"/parcel/id\"", "\"parcel\""),
                "not a JSON pointer",
            ),
            (
                GOOD.replace("path = \"/registrations/\"", "path = \"x\""),
                "path",
            ),
            (GOOD.replace("max_entries = 5", "max_entries = 0"), "outbox"),
            (GOOD.replace("data_dir", "datadir"), "unknown field"),
            (
                GOOD.replace("id = \"tax/property-registrations\"", "id = \"bad id\""),
                "item",
            ),
        ];
        for (text, expected) in cases {
            let error = parse(&text).expect_err(expected);
            assert!(
                error.contains(expected),
                "{error:?} should mention {expected:?}"
            );
        }
    }
}
