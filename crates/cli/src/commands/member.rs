//! `dirchain member`: enrol, revoke and rotate member keys.

use crate::client::{
    args::{SignArgs, labels},
    org_of,
    session::Signing,
    time,
};
use anyhow::Context as _;
use commonware_cryptography::Signer as _;
use dirchain_client::{
    Draft,
    draft::{EnrollDraft, RevokeMemberDraft, RotateKeyDraft},
    keys,
};
use dirchain_types::{domain::Role, ids::SYSTEM_CHANNEL};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

/// How long an enrolment lasts when `--expires-in-days` is not given.
pub const DEFAULT_MEMBER_DAYS: u64 = 365;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Enrol a key in an organisation with a role (signed by its admin).
    Enroll {
        #[command(flatten)]
        member: MemberKey,
        /// What the key may do.
        #[arg(long, value_parser = labels(Role::ALL, Role::label))]
        role: String,
        /// Days until the enrolment expires.
        #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_MEMBER_DAYS)]
        expires_in_days: u64,
        /// The organisation [default: the signer's].
        #[arg(long, value_name = "ID")]
        org: Option<String>,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Withdraw a key of the signer's organisation.
    Revoke {
        /// The member's public key (hex).
        #[arg(value_name = "PUBLIC_KEY")]
        member: String,
        /// Why, for the record.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Replace the signer's own key by a new one; role, organisation and
    /// records carry over, and the old key stops working.
    Rotate {
        /// The new key's file (from `dirchain keygen`).
        #[arg(long, value_name = "FILE")]
        new_key: PathBuf,
        #[command(flatten)]
        sign: SignArgs,
    },
}

/// The key to enrol: its public key, or a key file to take it from.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
pub struct MemberKey {
    /// The new member's public key (hex), as `dirchain keygen` printed it.
    #[arg(long, value_name = "HEX")]
    pub public_key: Option<String>,
    /// The new member's key file; only its public key is used.
    #[arg(long, value_name = "FILE")]
    pub member_key_file: Option<PathBuf>,
}

impl MemberKey {
    fn hex(&self) -> anyhow::Result<String> {
        match (&self.public_key, &self.member_key_file) {
            (Some(hex), _) => Ok(hex.clone()),
            (None, Some(file)) => public_key_of(file),
            (None, None) => anyhow::bail!("give --public-key or --member-key-file"),
        }
    }
}

fn public_key_of(file: &Path) -> anyhow::Result<String> {
    let key = keys::read_key(file).with_context(|| format!("key file {}", file.display()))?;
    Ok(key.public_key().to_string())
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Enroll {
            member,
            role,
            expires_in_days,
            org,
            sign,
        } => {
            let member_key = member.hex()?;
            let expires_at = time::days_from_now(expires_in_days).map_err(anyhow::Error::msg)?;
            let signing = Signing::connect(&sign, SYSTEM_CHANNEL).await?;
            let org = match org {
                Some(org) => org,
                None => org_of(signing.client(), signing.signer.public_key())
                    .await?
                    .to_string(),
            };
            let payload = EnrollDraft {
                org: org.clone(),
                member_key: member_key.clone(),
                role: role.clone(),
                expires_at,
            }
            .build()?;
            let report = signing
                .send(payload)
                .await?
                .with("member", member_key)
                .with("org", org)
                .with("role", role)
                .with_time("expires_at", expires_at);
            signing.finish(&report)
        }
        Command::Revoke {
            member,
            reason,
            sign,
        } => {
            let payload = RevokeMemberDraft {
                member_key: member.clone(),
                reason,
            }
            .build()?;
            let signing = Signing::connect(&sign, SYSTEM_CHANNEL).await?;
            let report = signing.send(payload).await?.with("member", member);
            signing.finish(&report)
        }
        Command::Rotate { new_key, sign } => {
            let new_key_hex = public_key_of(&new_key)?;
            let payload = RotateKeyDraft {
                new_key: new_key_hex.clone(),
            }
            .build()?;
            let signing = Signing::connect(&sign, SYSTEM_CHANNEL).await?;
            let report = signing
                .send(payload)
                .await?
                .with("old_key", signing.signer.public_key())
                .with("new_key", new_key_hex);
            signing.finish(&report)
        }
    }
}
