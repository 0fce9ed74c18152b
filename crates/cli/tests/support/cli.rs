//! `dirchain` commands against a devnet, run from a working directory of
//! key files, as a person at a terminal would.

use super::{CHAIN_ID, Devnet};
use dirchain_client::{
    Client, Signer, Wait, input, keys,
    schema::chain::TxState,
    types::tx::{DecideAccess, Title},
};
use serde_json::Value;
use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
    time::Duration,
};

/// How long a grant sent through the SDK may take to be final.
const GRANT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Cli<'a> {
    pub devnet: &'a Devnet,
    /// Key files and inputs; commands run here.
    pub work: PathBuf,
}

impl<'a> Cli<'a> {
    /// A command line on `devnet`, working in a new `work` folder of its directory.
    pub fn new(devnet: &'a Devnet) -> Self {
        let work = devnet.dir.path().join("work");
        fs::create_dir(&work).unwrap();
        Self { devnet, work }
    }

    /// Runs `dirchain args` against node `node`, counted modulo the
    /// devnet's size (so a scenario written for four nodes runs on one).
    pub fn run(&self, node: usize, args: &[&str]) -> Output {
        let apis = &self.devnet.apis;
        Command::new(env!("CARGO_BIN_EXE_dirchain"))
            .args(args)
            .current_dir(&self.work)
            .env("DIRCHAIN_NODE", &apis[node % apis.len()])
            .env(
                "DIRCHAIN_GENESIS",
                self.devnet.devnet_dir().join("genesis.bin"),
            )
            .env_remove("DIRCHAIN_KEY")
            .env_remove("DIRCHAIN_SUBJECT_KEY")
            .output()
            .unwrap()
    }

    /// Runs a command with `--json`, which must succeed; its JSON answer.
    pub fn json(&self, node: usize, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let output = self.run(node, &args);
        assert!(
            output.status.success(),
            "dirchain {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "dirchain {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    /// A transaction command: it must be final and applied.
    pub fn applied(&self, node: usize, args: &[&str]) -> Value {
        let report = self.json(node, args);
        assert_eq!(report["status"], "finalized", "{args:?}: {report}");
        assert_eq!(report["outcome"]["result"], "applied", "{args:?}: {report}");
        report
    }

    /// Makes the key file `name.key` and has `org`'s admin enrol it with
    /// `role`, through node `node`.
    pub fn enroll(&self, node: usize, name: &str, org: &str, role: &str) {
        let out = self.run(node, &["keygen", "--out", &self.key(name)]);
        assert!(out.status.success(), "keygen {name}");
        self.applied(
            node,
            &[
                "member",
                "enroll",
                "--member-key-file",
                &self.key(name),
                "--role",
                role,
                "--key",
                &self.admin_key(org),
            ],
        );
    }

    /// The key file `name.key` in the working folder.
    pub fn key(&self, name: &str) -> String {
        self.work.join(format!("{name}.key")).display().to_string()
    }

    /// The devnet's admin key of `org`.
    pub fn admin_key(&self, org: &str) -> String {
        let path = self
            .devnet
            .devnet_dir()
            .join("keys")
            .join(format!("{org}.admin.key"));
        path.display().to_string()
    }

    /// Approves `request` until `expires_at` (ms), signed by the key file
    /// `steward`, through node `node`: the command line grants whole days, a
    /// steward's system may grant seconds.
    pub fn grant_until(&self, node: usize, steward: &str, request: &str, expires_at: u64) {
        let steward = keys::read_key(Path::new(&self.key(steward))).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sent = runtime
            .block_on(
                Client::new(&self.devnet.apis[node % self.devnet.apis.len()])
                    .unwrap()
                    .send(
                        &Signer::new(steward, CHAIN_ID).unwrap(),
                        DecideAccess {
                            request: input::digest("request", request).unwrap(),
                            approve: true,
                            reason: Title::new("for a short time").unwrap(),
                            expires_at,
                        },
                        Wait::Final(GRANT_TIMEOUT),
                    ),
            )
            .unwrap();
        assert_eq!(sent.status.status, TxState::Finalized);
    }
}
