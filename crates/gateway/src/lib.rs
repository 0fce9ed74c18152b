//! The data-exchange gateway a providing agency runs in front of its own
//! data service (the X-Road security-server pattern): the ledger is not
//! only the register of permissions but the gate.
//!
//! - [auth]: consumers sign each request with their member key.
//! - [ledger]: permissions, members and items are read from finalized
//!   state with proofs checked against the genesis validators.
//! - [mapping]: only the permitted catalog fields of the upstream's records
//!   leave; persons are pseudonymised for the access record.
//! - [outbox]: every exchange and every refusal is signed as a
//!   `record-access` transaction and stored durably before the answer.
//! - [recorder]: submits the outbox to the nodes and clears what is final.
//! - [server]: the HTTP routes. [demo]: a sample upstream data service.

pub mod auth;
pub mod config;
pub mod demo;
pub mod ledger;
pub mod mapping;
pub mod metrics;
pub mod outbox;
pub mod recorder;
pub mod server;

use crate::{
    auth::Authenticator,
    config::Config,
    ledger::{Ledger, NODE_TIMEOUT},
    outbox::{Outbox, OutboxError},
    recorder::{Recorder, RecorderState},
    server::Gateway,
};
use commonware_cryptography::Signer as _;
use dirchain_client::{Client, Signer, Verifier, gateway::now_ms, keys};
use dirchain_types::{
    domain::Role,
    keys as state_keys,
    records::{Item, Member},
};
use std::{future::Future, sync::Arc, time::Duration};
use tokio::sync::Notify;

/// How often start-up asks the nodes again while none answers.
pub const STARTUP_RETRY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

fn setup(message: impl Into<String>) -> GatewayError {
    GatewayError::Setup(message.into())
}

/// Runs the gateway of `config` until `shutdown` completes. Start-up checks
/// the configuration against the ledger (the key is an enrolled gateway
/// key; every item is the organisation's and has the mapped fields) and
/// waits for a node to answer.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    let key = keys::read_key(&config.key_file)
        .map_err(|e| setup(format!("{}: {e}", config.key_file.display())))?;
    let subject_key = keys::read_subject_key(&config.subject_key_file)
        .map_err(|e| setup(format!("{}: {e}", config.subject_key_file.display())))?;
    let genesis = keys::read_genesis(&config.genesis_file)
        .map_err(|e| setup(format!("{}: {e}", config.genesis_file.display())))?;
    let nodes = config
        .nodes
        .iter()
        .map(|url| Client::with_timeout(url, NODE_TIMEOUT))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| setup(e.to_string()))?;
    let ledger = Arc::new(Ledger::new(nodes, Verifier::new(&genesis), &config.limits));
    let public_key = key.public_key();

    let me: Member = loop {
        match ledger.read(&state_keys::member_key(&public_key)).await {
            Ok(Some(member)) => break member,
            Ok(None) => {
                return Err(setup(format!(
                    "the gateway key {public_key} is not enrolled: enrol it with role gateway \
                     (`dirchain member enroll --role gateway`)"
                )));
            }
            Err(e) => {
                tracing::warn!(error = %e, "waiting for a node to answer");
                tokio::time::sleep(STARTUP_RETRY).await;
            }
        }
    };
    if me.role != Role::Gateway || me.revoked.is_some() || me.expires_at <= now_ms() {
        return Err(setup(format!(
            "the gateway key {public_key} is a {} key of {} (revoked: {}); it must be a live gateway key",
            me.role.label(),
            me.org,
            me.revoked.is_some()
        )));
    }
    for item in &config.items {
        let on_ledger: Option<Item> = ledger
            .read(&state_keys::item_key(&config.channel, &item.id))
            .await
            .map_err(|e| setup(e.to_string()))?;
        let Some(on_ledger) = on_ledger else {
            return Err(setup(format!("item {} is not in the catalog", item.id)));
        };
        if on_ledger.current.org != me.org {
            return Err(setup(format!(
                "item {} belongs to {}, not to {}",
                item.id, on_ledger.current.org, me.org
            )));
        }
        let unknown: Vec<_> = item
            .field_names()
            .filter(|f| !on_ledger.current.has_field(f))
            .map(ToString::to_string)
            .collect();
        if !unknown.is_empty() {
            return Err(setup(format!(
                "item {} has no field(s) {} in the catalog",
                item.id,
                unknown.join(", ")
            )));
        }
    }

    // The next nonce: what the outbox signed last, or what the ledger knows.
    let resume = Outbox::resume(&config.data_dir)?;
    let mut on_ledger = None;
    let mut height = None;
    for node in ledger.nodes() {
        if let (Ok(account), Ok(status)) = (node.account(&public_key).await, node.status().await) {
            on_ledger = Some(account.next_free_nonce);
            height = Some(status.height);
            break;
        }
    }
    let next_nonce = match (resume.next_nonce, on_ledger) {
        (Some(a), Some(b)) => a.max(b),
        (a, b) => a
            .or(b)
            .ok_or_else(|| setup("no node answered the gateway key's nonce"))?,
    };
    let signer = Signer::for_genesis(key, &genesis)
        .in_channel(config.channel.as_str())
        .map_err(|e| setup(e.to_string()))?;
    let outbox = Outbox::start(&config.data_dir, signer, next_nonce)?;
    let confirmed = match resume.confirmed_height {
        Some(h) => h,
        None => {
            // First run: nothing of ours can be final before this height.
            let h = height.ok_or_else(|| setup("no node answered its height"))?;
            outbox.confirm(Vec::new(), h).await?;
            h
        }
    };

    let wake = Arc::new(Notify::new());
    let recorder_state = Arc::new(RecorderState::default());
    tokio::spawn(
        Recorder {
            outbox: outbox.clone(),
            ledger: ledger.clone(),
            state: recorder_state.clone(),
            wake: wake.clone(),
        }
        .run(confirmed),
    );
    let upstream = reqwest::Client::builder()
        .build()
        .map_err(|e| setup(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| GatewayError::Listen {
            addr: config.listen,
            source,
        })?;
    tracing::info!(
        listen = %config.listen,
        org = %me.org,
        items = config.items.len(),
        pending = outbox.stats.pending.load(std::sync::atomic::Ordering::Relaxed),
        "gateway serving"
    );
    let gateway = Arc::new(Gateway {
        auth: Authenticator::new(
            genesis.chain_id.clone(),
            me.org.clone(),
            config.limits.max_clock_skew_ms,
            now_ms(),
        ),
        org: me.org,
        key: public_key,
        subject_key,
        ledger,
        outbox,
        recorder: recorder_state,
        wake,
        upstream,
        metrics: Default::default(),
        config,
    });
    axum::serve(listener, server::router(gateway))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| setup(format!("server: {e}")))
}
