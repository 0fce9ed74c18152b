//! `dirchain governance`: propose changes of the consortium, vote on them,
//! and follow them. A proposal applies once the threshold of member
//! organisations votes yes before it expires.

use crate::client::{
    args::{NodeArgs, PageArgs, SignArgs, labels},
    output::{Human, Row, Text, list},
    session::{Session, Signing},
    time,
};
use anyhow::Context as _;
use clap::builder::PossibleValuesParser;
use commonware_cryptography::Signer as _;
use dirchain_client::{
    Draft,
    draft::{ActionDraft, ProposeDraft, VoteDraft},
    input, keys,
    schema::records::{ActionView, PageQuery, ProposalQuery, ProposalView},
};
use dirchain_types::{ids::SYSTEM_CHANNEL, tx::Param};
use std::{path::PathBuf, process::ExitCode};

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Put a change of the consortium to a vote; the proposer's organisation
    /// votes yes.
    #[command(subcommand)]
    Propose(Proposal),
    /// Vote on an open proposal for the signer's organisation.
    Vote {
        /// The proposal's id (hex).
        id: String,
        #[arg(long, conflicts_with = "no", required_unless_present = "no")]
        yes: bool,
        #[arg(long)]
        no: bool,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Proposals, newest first.
    List {
        #[arg(long, value_parser = PossibleValuesParser::new(["open", "applied", "rejected", "failed"]))]
        status: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// One proposal and its votes.
    Show {
        /// The proposal's id (hex).
        id: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// The changes a proposal can make.
#[derive(clap::Subcommand, Debug)]
pub enum Proposal {
    /// Admit an organisation with its admin key.
    AddOrg {
        #[arg(long, value_name = "ID")]
        org: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        admin: AdminKey,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Remove an organisation: its keys stop working, its records stay.
    RemoveOrg {
        #[arg(long, value_name = "ID")]
        org: String,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Add a validator (its node's public key, hex).
    AddValidator {
        #[arg(long, value_name = "HEX")]
        validator: String,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Remove a validator (its node's public key, hex).
    RemoveValidator {
        #[arg(long, value_name = "HEX")]
        validator: String,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Change how many organisations' yes votes a proposal needs.
    SetThreshold {
        threshold: u32,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Change a consortium parameter.
    SetParam {
        #[arg(long, value_parser = labels(Param::ALL, Param::label))]
        param: String,
        #[arg(long)]
        value: u64,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Create a channel (tenant) of some organisations, with its quotas.
    CreateChannel {
        #[arg(long, value_name = "ID")]
        channel: String,
        /// Member organisations, comma-separated or repeated.
        #[arg(
            long = "member",
            value_name = "ORG",
            value_delimiter = ',',
            required = true
        )]
        members: Vec<String>,
        /// Transactions of the channel one block may hold.
        #[arg(long)]
        max_txs_per_block: u32,
        /// Bytes the channel may store.
        #[arg(long)]
        max_bytes: u64,
        #[command(flatten)]
        sign: SignArgs,
    },
}

/// The admin key of a new organisation.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
pub struct AdminKey {
    /// Its public key (hex).
    #[arg(long, value_name = "HEX")]
    pub admin_key: Option<String>,
    /// Its key file; only the public key is used.
    #[arg(long, value_name = "FILE")]
    pub admin_key_file: Option<PathBuf>,
}

impl Proposal {
    fn draft(self) -> anyhow::Result<(ActionDraft, SignArgs)> {
        Ok(match self {
            Proposal::AddOrg {
                org,
                name,
                admin,
                sign,
            } => {
                let admin_key = match (admin.admin_key, admin.admin_key_file) {
                    (Some(hex), _) => hex,
                    (None, Some(file)) => keys::read_key(&file)
                        .with_context(|| format!("key file {}", file.display()))?
                        .public_key()
                        .to_string(),
                    (None, None) => anyhow::bail!("give --admin-key or --admin-key-file"),
                };
                (
                    ActionDraft::AddOrg {
                        org,
                        name,
                        admin_key,
                    },
                    sign,
                )
            }
            Proposal::RemoveOrg { org, sign } => (ActionDraft::RemoveOrg { org }, sign),
            Proposal::AddValidator { validator, sign } => {
                (ActionDraft::AddValidator { key: validator }, sign)
            }
            Proposal::RemoveValidator { validator, sign } => {
                (ActionDraft::RemoveValidator { key: validator }, sign)
            }
            Proposal::SetThreshold { threshold, sign } => {
                (ActionDraft::SetThreshold { threshold }, sign)
            }
            Proposal::SetParam { param, value, sign } => {
                (ActionDraft::SetParam { param, value }, sign)
            }
            Proposal::CreateChannel {
                channel,
                members,
                max_txs_per_block,
                max_bytes,
                sign,
            } => (
                ActionDraft::CreateChannel {
                    channel,
                    members,
                    max_txs_per_block,
                    max_bytes,
                },
                sign,
            ),
        })
    }
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Propose(proposal) => {
            let (action, sign) = proposal.draft()?;
            let payload = ProposeDraft {
                action: Some(action),
            }
            .build()?;
            let shown = describe(&ActionView::from_record(&payload.action));
            let signing = Signing::connect(&sign, SYSTEM_CHANNEL).await?;
            let report = signing.send(payload).await?;
            let id = report.status.hash.clone();
            let report = report.with("proposal", id).with("action", shown);
            signing.finish(&report)
        }
        Command::Vote {
            id,
            yes,
            no: _,
            sign,
        } => {
            let payload = VoteDraft {
                proposal: id.clone(),
                approve: yes,
            }
            .build()?;
            let signing = Signing::connect(&sign, SYSTEM_CHANNEL).await?;
            let report = signing
                .send(payload)
                .await?
                .with("proposal", id)
                .with("vote", if yes { "yes" } else { "no" });
            signing.finish(&report)
        }
        Command::List { status, page, node } => {
            let session = Session::new(&node)?;
            let PageQuery { limit, cursor } = page.query();
            let query = ProposalQuery {
                status,
                limit,
                cursor,
            };
            session.out.show(&session.client.proposals(&query).await?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, node } => {
            let id = input::digest("id", &id)?;
            let session = Session::new(&node)?;
            session.out.show(&session.client.proposal(&id).await?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line for an action: `add-org tax "City Tax Office" admin <key>`.
fn describe(action: &ActionView) -> String {
    match action {
        ActionView::AddOrg {
            org,
            name,
            admin_key,
        } => format!("add-org {org} {name:?} admin {admin_key}"),
        ActionView::RemoveOrg { org } => format!("remove-org {org}"),
        ActionView::AddValidator { key } => format!("add-validator {key}"),
        ActionView::RemoveValidator { key } => format!("remove-validator {key}"),
        ActionView::SetThreshold { threshold } => format!("set-threshold {threshold}"),
        ActionView::SetParam { param, value } => format!("set-param {param} = {value}"),
        ActionView::CreateChannel {
            channel,
            members,
            max_txs_per_block,
            max_bytes,
        } => format!(
            "create-channel {channel} for {} ({max_txs_per_block} txs a block, {max_bytes} bytes)",
            list(members)
        ),
    }
}

impl Row for ProposalView {
    const HEADERS: &'static [&'static str] = &["id", "status", "yes", "no", "expires", "action"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.status.clone(),
            self.yes.len().to_string(),
            self.no.len().to_string(),
            time::show(self.expires_at),
            describe(&self.action),
        ]
    }
}

impl Human for ProposalView {
    fn human(&self, text: &mut Text) {
        text.field("proposal", &self.id)
            .field("action", describe(&self.action))
            .field("status", &self.status)
            .field(
                "proposer",
                format!("{} ({})", self.proposer, self.proposer_org),
            )
            .field("created", time::show(self.created_at))
            .field("expires", time::show(self.expires_at))
            .field("yes", list(&self.yes))
            .field("no", list(&self.no));
        if !self.note.is_empty() {
            text.field("note", &self.note);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_as_one_line() {
        assert_eq!(
            describe(&ActionView::SetThreshold { threshold: 3 }),
            "set-threshold 3"
        );
        assert_eq!(
            describe(&ActionView::CreateChannel {
                channel: "research".into(),
                members: vec!["health".into(), "tax".into()],
                max_txs_per_block: 100,
                max_bytes: 1_000,
            }),
            "create-channel research for health, tax (100 txs a block, 1000 bytes)"
        );
    }
}
