//! `dirchain notary`: stamp a file's digest on the ledger, and later check
//! the stamp without trusting the node. Only the digest leaves the machine.

use crate::client::{
    EXIT_ABSENT,
    args::{ChannelArg, GenesisArg, NodeArgs, SignArgs},
    output::{Human, Text},
    session::{Session, Signing},
    time,
};
use anyhow::Context as _;
use dirchain_client::{
    Draft, Verifier, draft::NotarizeDraft, input, notary, schema::records::NotaryView,
};
use dirchain_types::records::NotaryRecord;
use serde::Serialize;
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

/// The kind recorded when `--kind` is not given.
pub const DEFAULT_KIND: &str = "document";

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Hash a file here and notarize its digest; prints the digest, the
    /// height and the block time once final.
    Stamp {
        file: PathBuf,
        /// What the document is, e.g. `contract`, `evidence`.
        #[arg(long, default_value = DEFAULT_KIND)]
        kind: String,
        /// A note stored with the digest (at most 2 KiB).
        #[arg(long, default_value = "")]
        meta: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Hash a file here and check it was notarized: the proof and the
    /// block's finalization certificate are verified against the genesis
    /// validators. Exit status 0: notarized; 2: proven not notarized; 1: error.
    Check {
        file: PathBuf,
        #[command(flatten)]
        genesis: GenesisArg,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        node: NodeArgs,
    },
}

fn hash(file: &Path) -> anyhow::Result<dirchain_types::ids::Digest> {
    notary::hash_file(file).with_context(|| format!("cannot read {}", file.display()))
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Stamp {
            file,
            kind,
            meta,
            channel,
            sign,
        } => {
            let digest = hash(&file)?;
            let payload = NotarizeDraft {
                digest: digest.to_string(),
                kind,
                meta,
            }
            .build()?;
            let signing = Signing::connect(&sign, &channel.channel).await?;
            let mut report = signing
                .send(payload)
                .await?
                .with("file", file.display())
                .with("digest", digest);
            if let Some(height) = report.status.height {
                let block = signing.client().block(height).await?;
                report = report.with_time("block_time", block.header.timestamp_ms);
            }
            signing.finish(&report)
        }
        Command::Check {
            file,
            genesis,
            channel,
            node,
        } => {
            let digest = hash(&file)?;
            let genesis = genesis.load()?;
            let channel_id = input::ident("channel", &channel.channel)?;
            let session = Session::new(&node)?;
            let key = notary::record_key(&channel_id, &digest);
            let proof = session.client.proof(&key).await?;
            let verified = Verifier::new(&genesis).verify_proof(&proof, &key)?;
            let record = verified.record::<NotaryRecord>()?;
            if let Some(record) = &record {
                anyhow::ensure!(
                    record.digest == digest,
                    "the proven notary record is for digest {}, not {digest}",
                    record.digest
                );
            }
            let check = NotaryCheck {
                file: file.display().to_string(),
                digest: digest.to_string(),
                notarized: record.is_some(),
                notary: record.map(|r| NotaryView::from_record(&channel_id, &r)),
                proven_at_height: verified.height,
                proven_at_block: verified.block.to_string(),
                validators: genesis.validators.len(),
            };
            session.out.show(&check)?;
            Ok(if check.notarized {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_ABSENT)
            })
        }
    }
}

/// What `notary check` found, every part of it verified.
#[derive(Serialize)]
struct NotaryCheck {
    file: String,
    digest: String,
    notarized: bool,
    /// The notary record: when and by whom the digest was stamped.
    notary: Option<NotaryView>,
    /// The block the proof was checked against, certified by a quorum of
    /// `validators`.
    proven_at_height: u64,
    proven_at_block: String,
    validators: usize,
}

impl Human for NotaryCheck {
    fn human(&self, text: &mut Text) {
        match &self.notary {
            Some(n) => {
                text.line(format!(
                    "notarized at height {}, block time {}, verified against {} validators",
                    n.height,
                    time::show(n.at),
                    self.validators
                ));
                text.field("file", &self.file)
                    .field("digest", &self.digest)
                    .field("kind", &n.kind)
                    .field_opt("meta", Some(&n.meta).filter(|m| !m.is_empty()))
                    .field("org", &n.org)
                    .field("signer", &n.signer)
                    .field("transaction", &n.tx)
                    .field("channel", &n.channel);
            }
            None => {
                text.line(format!(
                    "not notarized (verified absence at height {}, against {} validators)",
                    self.proven_at_height, self.validators
                ));
                text.field("file", &self.file).field("digest", &self.digest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::output::Output;

    fn check(notary: Option<NotaryView>) -> NotaryCheck {
        NotaryCheck {
            file: "contract.pdf".into(),
            digest: "ab".repeat(32),
            notarized: notary.is_some(),
            notary,
            proven_at_height: 40,
            proven_at_block: "cd".repeat(32),
            validators: 4,
        }
    }

    #[test]
    fn a_present_stamp_reads_as_height_time_and_validators() {
        let view = NotaryView {
            channel: "main".into(),
            digest: "ab".repeat(32),
            kind: "contract".into(),
            meta: String::new(),
            org: "health".into(),
            signer: "ee".repeat(32),
            tx: "ff".repeat(32),
            height: 12,
            at: 1_714_566_896_000,
        };
        let text = Output::new(false).render(&check(Some(view))).unwrap();
        assert!(
            text.starts_with(
                "notarized at height 12, block time 2024-05-01 12:34:56 UTC, verified against 4 validators\n\n"
            ),
            "{text}"
        );
        assert!(text.contains("\nkind         contract\n"), "{text}");
    }

    #[test]
    fn an_absent_stamp_says_the_absence_is_verified() {
        let text = Output::new(false).render(&check(None)).unwrap();
        assert!(
            text.starts_with("not notarized (verified absence at height 40, against 4 validators)"),
            "{text}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&Output::new(true).render(&check(None)).unwrap()).unwrap();
        assert_eq!(json["notarized"], false);
        assert_eq!(json["notary"], serde_json::Value::Null);
    }
}
