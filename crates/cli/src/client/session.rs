//! A client command's connection to a node: the SDK client, the output, and
//! for commands that sign, the signer and how to wait. Every transaction a
//! command sends goes through [Signing::send] and is printed as a
//! [TxReport].

use super::{
    args::{KeyArgs, NodeArgs, SignArgs},
    output::{Human, Output, Text},
};
use anyhow::Context as _;
use dirchain_client::{
    Client, Signer, Wait, keys,
    schema::chain::{OutcomeResult, TxState, TxStatus},
    types::tx::{Payload, TxKind},
};
use serde::{Serialize, ser::SerializeMap};
use std::{process::ExitCode, time::Duration};
use tokio::time::Instant;

/// How often a command looks whether its transaction is final: blocks come
/// a few times a second.
const FINALITY_POLL: Duration = Duration::from_millis(200);

/// A node to ask and where answers go.
pub struct Session {
    pub client: Client,
    pub out: Output,
}

impl Session {
    pub fn new(args: &NodeArgs) -> anyhow::Result<Self> {
        Ok(Self {
            client: Client::new(&args.node)?,
            out: Output::new(args.json),
        })
    }
}

/// A session that signs: the key from `--key`, bound to the node's chain.
pub struct Signing {
    pub session: Session,
    pub signer: Signer,
    wait: Option<Duration>,
}

impl Signing {
    /// Reads the key and asks the node for its chain id; domain transactions
    /// go to `channel` (consortium ones always to `main`).
    pub async fn connect(args: &SignArgs, channel: &str) -> anyhow::Result<Self> {
        Self::with_wait(&args.key, args.wait(), channel).await
    }

    /// As [Signing::connect], waiting `wait` for finality (`None`: not at all).
    pub async fn with_wait(
        args: &KeyArgs,
        wait: Option<Duration>,
        channel: &str,
    ) -> anyhow::Result<Self> {
        let key = keys::read_key(&args.key)
            .with_context(|| format!("key file {}", args.key.display()))?;
        let session = Session::new(&args.node)?;
        let status = session.client.status().await?;
        let signer = Signer::new(key, &status.chain_id)?.in_channel(channel)?;
        Ok(Self {
            session,
            signer,
            wait,
        })
    }

    pub fn client(&self) -> &Client {
        &self.session.client
    }

    /// Signs `payload` with the next free nonce, submits it, and waits for
    /// finality unless `--no-wait`.
    ///
    /// The wait watches the transaction's status rather than holding one
    /// request open: a transaction the chain refuses when building a block
    /// shows as `rejected`, with the reason, at once.
    pub async fn send(&self, payload: impl Into<Payload>) -> anyhow::Result<TxReport> {
        let payload = payload.into();
        let kind = payload.kind();
        let sent = self
            .client()
            .send(&self.signer, payload, Wait::Accepted)
            .await?;
        let mut status = sent.status;
        if let Some(wait) = self.wait {
            let deadline = Instant::now() + wait;
            while status.status == TxState::Pending && Instant::now() < deadline {
                tokio::time::sleep(FINALITY_POLL).await;
                status = self.client().tx_status(&sent.hash).await?;
            }
        }
        Ok(TxReport {
            kind,
            status,
            details: Vec::new(),
        })
    }

    /// Prints the report. Without finality after a wait, that is an error
    /// (exit 1) after the report.
    pub fn finish(&self, report: &TxReport) -> anyhow::Result<ExitCode> {
        self.session.out.show(report)?;
        let hash = &report.status.hash;
        match (self.wait, report.status.status) {
            (Some(wait), TxState::Pending) => anyhow::bail!(
                "transaction {hash} is not final after {} s; `dirchain tx status {hash}` tells when it is",
                wait.as_secs()
            ),
            (_, TxState::Rejected) => {
                let reason = report
                    .status
                    .error
                    .as_ref()
                    .map_or_else(String::new, |e| format!(": {} ({})", e.message, e.code));
                anyhow::bail!("the chain refused transaction {hash} when building a block{reason}")
            }
            (Some(_), TxState::Unknown) => anyhow::bail!(
                "transaction {hash} is in no block and no longer pending on this node (it was \
                 replaced by another with the same nonce, or refused on another node)"
            ),
            _ => Ok(ExitCode::SUCCESS),
        }
    }
}

/// What happened to a transaction a command sent, with what it names or
/// creates (`item`, `request`, `proposal`, ...). As JSON: `kind`, `hash`,
/// `status`, `height`, `index`, `outcome` (as in `GET /v1/tx/{hash}`), then
/// the details by name.
#[derive(Clone, Debug)]
pub struct TxReport {
    pub kind: TxKind,
    pub status: TxStatus,
    pub details: Vec<(&'static str, Detail)>,
}

/// A detail of a [TxReport] in its two forms: JSON (times as milliseconds)
/// and text.
#[derive(Clone, Debug)]
pub struct Detail {
    json: serde_json::Value,
    text: String,
}

impl TxReport {
    /// Adds a detail shown after the status.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        let text = value.to_string();
        self.details.push((
            name,
            Detail {
                json: text.clone().into(),
                text,
            },
        ));
        self
    }

    /// Adds a number.
    pub fn with_number(mut self, name: &'static str, value: u64) -> Self {
        self.details.push((
            name,
            Detail {
                json: value.into(),
                text: value.to_string(),
            },
        ));
        self
    }

    /// Adds a time: milliseconds in JSON, a UTC date for people.
    pub fn with_time(mut self, name: &'static str, ms: u64) -> Self {
        self.details.push((
            name,
            Detail {
                json: ms.into(),
                text: super::time::show_expiry(ms),
            },
        ));
        self
    }

    pub fn is_final(&self) -> bool {
        self.status.status == TxState::Finalized
    }
}

impl Serialize for TxReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", self.kind.label())?;
        map.serialize_entry("hash", &self.status.hash)?;
        map.serialize_entry("status", &self.status.status)?;
        if let Some(height) = self.status.height {
            map.serialize_entry("height", &height)?;
        }
        if let Some(index) = self.status.index {
            map.serialize_entry("index", &index)?;
        }
        if let Some(outcome) = &self.status.outcome {
            map.serialize_entry("outcome", outcome)?;
        }
        for (name, value) in &self.details {
            map.serialize_entry(name, &value.json)?;
        }
        map.end()
    }
}

impl Human for TxReport {
    fn human(&self, text: &mut Text) {
        text.field("transaction", &self.status.hash)
            .field("kind", self.kind.label());
        show_status(&self.status, text);
        for (name, value) in &self.details {
            text.field(name, &value.text);
        }
    }
}

/// The status lines of a transaction: state, height and index, outcome.
pub fn show_status(status: &TxStatus, text: &mut Text) {
    text.field("status", state_label(status.status))
        .field_opt("height", status.height)
        .field_opt("index", status.index);
    if let Some(outcome) = &status.outcome {
        let shown = match (outcome.result, &outcome.refusal) {
            (OutcomeResult::Applied, _) => "applied".to_string(),
            (OutcomeResult::AccessRefused, Some(refusal)) => {
                format!("access refused ({refusal}); the attempt is on the record")
            }
            (OutcomeResult::AccessRefused, None) => {
                "access refused; the attempt is on the record".to_string()
            }
        };
        text.field("outcome", shown);
    }
}

fn state_label(state: TxState) -> &'static str {
    match state {
        TxState::Pending => "pending",
        TxState::Finalized => "finalized",
        TxState::Rejected => "rejected",
        TxState::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirchain_client::schema::chain::Outcome;

    fn report(state: TxState) -> TxReport {
        let finalized = state == TxState::Finalized;
        TxReport {
            kind: TxKind::RequestAccess,
            status: TxStatus {
                hash: "ab".repeat(32),
                status: state,
                height: finalized.then_some(12),
                index: finalized.then_some(0),
                outcome: finalized.then_some(Outcome {
                    result: OutcomeResult::Applied,
                    refusal: None,
                }),
                error: None,
            },
            details: Vec::new(),
        }
        .with("request", "ab".repeat(32))
        .with_time("expires_at", 0)
    }

    #[test]
    fn a_final_transaction_shows_its_height_outcome_and_details() {
        let text = Output::new(false)
            .render(&report(TxState::Finalized))
            .unwrap();
        let hash = "ab".repeat(32);
        assert_eq!(
            text,
            format!(
                "transaction  {hash}\nkind         request-access\nstatus       finalized\n\
                 height       12\nindex        0\noutcome      applied\nrequest      {hash}\n\
                 expires_at   1970-01-01 00:00:00 UTC"
            )
        );
    }

    #[test]
    fn as_json_the_report_is_the_tx_status_with_kind_and_details() {
        let json: serde_json::Value = serde_json::from_str(
            &Output::new(true)
                .render(&report(TxState::Finalized))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["kind"], "request-access");
        assert_eq!(json["status"], "finalized");
        assert_eq!(json["height"], 12);
        assert_eq!(json["outcome"]["result"], "applied");
        assert_eq!(json["request"], json["hash"]);
        assert_eq!(json["expires_at"], 0);
        let pending: serde_json::Value =
            serde_json::from_str(&Output::new(true).render(&report(TxState::Pending)).unwrap())
                .unwrap();
        assert_eq!(pending["status"], "pending");
        assert!(pending.get("height").is_none());
    }

    #[test]
    fn a_refused_access_says_it_is_recorded() {
        let mut text = Text::default();
        show_status(
            &TxStatus {
                hash: "00".into(),
                status: TxState::Finalized,
                height: Some(3),
                index: Some(1),
                outcome: Some(Outcome {
                    result: OutcomeResult::AccessRefused,
                    refusal: Some("expired".into()),
                }),
                error: None,
            },
            &mut text,
        );
        assert!(
            text.finish()
                .ends_with("outcome  access refused (expired); the attempt is on the record")
        );
    }
}
