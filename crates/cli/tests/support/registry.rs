//! The land registry's gateway on a devnet, for the gateway's end-to-end
//! test and benchmark: members enrolled, the demo dataset published as a
//! catalog item, permissions for the police (live, revoked, expiring), the
//! demo data service and `dirchain gateway` running in front of it.

use super::{Devnet, cli::Cli, now_ms};
use dirchain_gateway::demo;
use serde_json::Value;
use std::{
    fs,
    net::TcpListener,
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

pub const WAIT_TIMEOUT: Duration = Duration::from_secs(60);
pub const ITEM: &str = "tax/property-registrations";
/// What the police asked for; the registry also maps address and price.
pub const PERMITTED: &str = "parcel_id,district,owner_name,owner_id";
/// How long the expiring permission lives.
pub const SHORT_PERMISSION_MS: u64 = 3_000;

/// A consumer's side of the gateway, through `dirchain gateway fetch`.
impl Cli<'_> {
    pub fn fetch(&self, gateway: &str, key: &str, permission: &str, path: &str) -> Output {
        self.run(
            1,
            &[
                "gateway",
                "fetch",
                "--gateway",
                gateway,
                "--item",
                ITEM,
                "--permission",
                permission,
                "--key",
                &self.key(key),
                "--json",
                path,
            ],
        )
    }

    /// A fetch that must be served: its answer.
    pub fn served(&self, gateway: &str, key: &str, permission: &str, path: &str) -> Value {
        let out = self.fetch(gateway, key, permission, path);
        assert!(
            out.status.success(),
            "fetch {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A fetch that must be refused with `code`: the recording access id.
    pub fn refused(&self, gateway: &str, key: &str, permission: &str, code: &str) -> String {
        let out = self.fetch(gateway, key, permission, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "expected a refusal ({code})");
        assert!(
            stderr.contains(&format!("({code})")),
            "expected {code}: {stderr}"
        );
        let id = stderr
            .split("recorded as access ")
            .nth(1)
            .unwrap_or_else(|| panic!("the refusal names its record: {stderr}"));
        id.trim().to_string()
    }
}

/// A child process killed when the test ends.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn spawn(args: &[&str], log: &Path) -> Process {
    let log = fs::File::create(log).unwrap();
    Process(
        Command::new(env!("CARGO_BIN_EXE_dirchain"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

pub fn gateway_status(devnet: &Devnet, gateway: &str) -> Option<Value> {
    let reply = devnet
        .http
        .get(format!("{gateway}/v1/gateway/status"))
        .send()
        .ok()?;
    super::json(reply)
}

/// The registry's gateway and the police's permissions.
pub struct Registry {
    pub gateway: String,
    pub upstream: String,
    pub live: String,
    pub revoked: String,
    pub expiring: String,
    pub expires_at: u64,
    _processes: (Process, Process),
}

/// The registry on the ledger: members, duties, the item, and the police's
/// three permissions (ids in hex).
pub struct Permissions {
    pub live: String,
    pub revoked: String,
    pub expiring: String,
    pub expires_at: u64,
}

impl Permissions {
    /// Enrols the registry's and the police's members, publishes the item
    /// and grants the police a live, a revoked and a short permission,
    /// through node `cli` commands.
    pub fn grant(cli: &Cli) -> Self {
        for (name, org, role) in [
            ("tax-publisher", "tax", "publisher"),
            ("tax-steward", "tax", "steward"),
            ("tax-gateway", "tax", "gateway"),
            ("police-publisher", "police", "publisher"),
            ("police-consumer", "police", "consumer"),
            ("health-consumer", "health", "consumer"),
        ] {
            cli.enroll(0, name, org, role);
        }
        cli.applied(
            1,
            &[
                "duty",
                "declare",
                "tax/land-registry",
                "--title",
                "Land registry",
                "--legal-basis",
                "Land Code ch. 7",
                "--key",
                &cli.key("tax-publisher"),
            ],
        );
        cli.applied(
            1,
            &[
                "duty",
                "declare",
                "police/investigation",
                "--title",
                "Investigation",
                "--legal-basis",
                "Police Act s.2",
                "--key",
                &cli.key("police-publisher"),
            ],
        );
        let mut publish = vec![
            "catalog",
            "publish",
            "--id",
            ITEM,
            "--title",
            "Property registrations",
            "--description",
            "Registered property transfers with their owners",
            "--duty",
            "tax/land-registry",
            "--format",
            "json",
        ];
        for field in demo::CATALOG_FIELDS {
            publish.extend(["--field", field]);
        }
        let publisher_key = cli.key("tax-publisher");
        publish.extend(["--key", publisher_key.as_str()]);
        cli.applied(1, &publish);

        // Three permissions for the police: one to use, one to expire, one to revoke.
        let request = || {
            let report = cli.applied(
                2,
                &[
                    "permission",
                    "request",
                    ITEM,
                    "--fields",
                    PERMITTED,
                    "--purpose",
                    "Fraud case 2026/88",
                    "--duty",
                    "police/investigation",
                    "--key",
                    &cli.key("police-consumer"),
                ],
            );
            report["request"].as_str().unwrap().to_string()
        };
        let decide = |id: &str| {
            cli.applied(
                3,
                &[
                    "permission",
                    "decide",
                    id,
                    "--approve",
                    "--reason",
                    "lawful",
                    "--expires-in-days",
                    "30",
                    "--key",
                    &cli.key("tax-steward"),
                ],
            );
        };
        let live = request();
        decide(&live);
        let revoked = request();
        decide(&revoked);
        cli.applied(
            3,
            &[
                "permission",
                "revoke",
                &revoked,
                "--reason",
                "case closed",
                "--key",
                &cli.key("tax-steward"),
            ],
        );
        let expiring = request();
        let expires_at = now_ms() + SHORT_PERMISSION_MS;
        cli.grant_until(2, "tax-steward", &expiring, expires_at);
        Self {
            live,
            revoked,
            expiring,
            expires_at,
        }
    }
}

impl Registry {
    /// Sets up the registry on `devnet` (through node `cli` commands) with an
    /// outbox of at most `outbox_max_entries`, and waits until it serves.
    pub fn start(cli: &Cli, outbox_max_entries: u64) -> Self {
        let devnet = cli.devnet;
        let Permissions {
            live,
            revoked,
            expiring,
            expires_at,
        } = Permissions::grant(cli);

        // The demo data service and the registry's gateway, consulting node 0 only.
        let upstream_port = free_port();
        let gateway_port = free_port();
        let upstream_addr = format!("127.0.0.1:{upstream_port}");
        let upstream = spawn(
            &["gateway", "demo-upstream", "--listen", &upstream_addr],
            &cli.work.join("upstream.log"),
        );
        let fields: Vec<String> = demo::FIELD_MAP
            .iter()
            .map(|(name, at)| format!("{name} = \"{at}\""))
            .collect();
        let config = format!(
            r#"listen = "127.0.0.1:{gateway_port}"
upstream = "http://{upstream_addr}"
nodes = ["{node}"]
key_file = "tax-gateway.key"
subject_key_file = "{devnet}/subject.key"
genesis_file = "{devnet}/genesis.bin"
data_dir = "gateway-data"

[outbox]
max_entries = {outbox_max_entries}

[[items]]
id = "{ITEM}"
path = "/registrations"
records = "/records"
subject = "owner_id"
[items.fields]
{fields}
"#,
            node = devnet.apis[0],
            devnet = devnet.devnet_dir().display(),
            fields = fields.join("\n"),
        );
        let config_path = cli.work.join("gateway.toml");
        fs::write(&config_path, config).unwrap();
        let gateway_process = spawn(
            &["gateway", "--config", &config_path.display().to_string()],
            &cli.work.join("gateway.log"),
        );
        let gateway = format!("http://127.0.0.1:{gateway_port}");
        devnet.wait_until(WAIT_TIMEOUT, "the gateway to serve", |d| {
            gateway_status(d, &gateway).is_some_and(|s| s["serving"] == true)
        });

        Self {
            gateway,
            upstream: format!("http://{upstream_addr}"),
            live,
            revoked,
            expiring,
            expires_at,
            _processes: (upstream, gateway_process),
        }
    }
}
