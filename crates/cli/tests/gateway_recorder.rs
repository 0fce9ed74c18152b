//! End to end, with a real node: the gateway's recorder moves an outbox of
//! more access records than one `POST /v1/txs` batch carries onto the
//! ledger, each exactly once.
//!
//! A one-validator devnet; a gateway key of the land registry (`tax`)
//! enrolled through the CLI; the gateway's outbox and recorder run in this
//! process. The records name no permission, so the ledger keeps them as
//! refused (`unknown-permission`): what matters here is that each is final
//! once, through batches of consecutive nonces.

mod support;

use commonware_cryptography::Signer as _;
use dirchain_client::{Client, Signer, Verifier, keys, schema::chain::TxState};
use dirchain_gateway::{
    config::Limits,
    ledger::Ledger,
    outbox::Outbox,
    recorder::{Recorder, RecorderState, SUBMIT_WINDOW},
};
use dirchain_types::{
    bounded::{Ident, List},
    ids::sha256,
    tx::RecordAccess,
};
use std::{
    path::Path,
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};
use support::{Devnet, POLL_INTERVAL, cli::Cli};
use tokio::sync::Notify;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
const NO_RESTART: Duration = Duration::from_secs(3600);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);
/// A full window (1,024: two batches, 1,000 and 24) and then some.
const RECORDS: usize = SUBMIT_WINDOW + 100;

fn access(n: usize) -> RecordAccess {
    RecordAccess {
        permission: sha256(&[b"no such permission", &n.to_le_bytes()]),
        subject_refs: List::default(),
        fields: List::new(vec![Ident::new("district").unwrap()]).unwrap(),
        query_digest: sha256(&[b"query", &n.to_le_bytes()]),
        response_digest: sha256(&[b"response"]),
        record_count: 0,
        requester: None,
        refusal: None,
    }
}

#[test]
fn an_outbox_larger_than_a_batch_reaches_the_ledger_exactly_once() {
    let devnet = Devnet::start(1, NO_RESTART);
    let cli = Cli::new(&devnet);
    devnet.wait_for_first_blocks(STARTUP_TIMEOUT);
    cli.enroll(0, "tax-gateway", "tax", "gateway");
    let key = keys::read_key(Path::new(&cli.key("tax-gateway"))).unwrap();
    let public_key = key.public_key();
    let genesis = keys::read_genesis(&devnet.devnet_dir().join("genesis.bin")).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let node = Client::new(&devnet.apis[0]).unwrap();
        let height = node.status().await.unwrap().height;
        let signer = Signer::for_genesis(key, &genesis);
        let outbox = Outbox::start(&cli.work.join("outbox"), signer, 0).unwrap();
        let appends: Vec<_> = (0..RECORDS)
            .map(|n| {
                let outbox = outbox.clone();
                tokio::spawn(async move { outbox.append(access(n), 1).await.unwrap() })
            })
            .collect();
        let mut hashes = Vec::new();
        for append in appends {
            hashes.push(append.await.unwrap());
        }

        let state = Arc::new(RecorderState::default());
        let ledger = Ledger::new(
            vec![node.clone()],
            Verifier::new(&genesis),
            &Limits::default(),
        );
        tokio::spawn(
            Recorder {
                outbox: outbox.clone(),
                ledger: Arc::new(ledger),
                state: state.clone(),
                wake: Arc::new(Notify::new()),
            }
            .run(height),
        );

        let deadline = Instant::now() + DRAIN_TIMEOUT;
        loop {
            assert_eq!(state.fault(), None);
            let pending = outbox.stats.pending.load(Ordering::Relaxed);
            if pending == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{pending} access records still in the outbox after {DRAIN_TIMEOUT:?}"
            );
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        assert_eq!(outbox.stats.failed.load(Ordering::Relaxed), 0);
        assert_eq!(state.recorded.load(Ordering::Relaxed), RECORDS as u64);

        // Every one of them is final, and the key used as many nonces as
        // there are records: none is on the ledger twice.
        for hash in &hashes {
            let status = node.tx_status(hash).await.unwrap();
            assert_eq!(status.status, TxState::Finalized, "{hash}");
        }
        let account = node.account(&public_key).await.unwrap();
        assert_eq!(account.next_nonce, RECORDS as u64);
        assert_eq!(account.next_free_nonce, RECORDS as u64);
    });
}
