//! `dirchain verify`: fetch any state value with its proof and check it
//! here, against the validators of the genesis: the proof against the state
//! root of a block, and the block against its finalization certificate.
//! Exit status 0: present; 2: proven absent; 1: error.

use crate::client::{
    EXIT_ABSENT,
    args::{ChannelArg, GenesisArg, NodeArgs},
    output::{Human, Text},
    session::Session,
    time,
};
use commonware_codec::{Copying, DecodeExt, Read};
use dirchain_client::{FieldError, Verified, Verifier, input, schema::records::*};
use dirchain_types::{
    ids::ChannelId,
    keys::{self, StateKey},
    records::{
        AccessRecord, Asset, Duty, Item, Member, NotaryRecord, Org, Permission, Proposal, Request,
    },
};
use serde::Serialize;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The state key to prove (hex).
    #[arg(
        long,
        value_name = "HEX",
        required_unless_present = "record",
        conflicts_with = "record"
    )]
    pub state_key: Option<String>,
    /// A record by kind and id: org ID, member KEY, item ID, duty ID,
    /// permission ID, request ID, access ID, notary DIGEST, asset ID,
    /// proposal ID (record ids and digests in hex).
    #[arg(long, num_args = 2, value_names = ["KIND", "ID"])]
    pub record: Option<Vec<String>>,
    #[command(flatten)]
    pub channel: ChannelArg,
    #[command(flatten)]
    pub genesis: GenesisArg,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// The kinds of record `--record` names, and where each lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Org,
    Member,
    Item,
    Duty,
    Permission,
    Request,
    Access,
    Notary,
    Asset,
    Proposal,
}

const KINDS: [(&str, Kind); 10] = [
    ("org", Kind::Org),
    ("member", Kind::Member),
    ("item", Kind::Item),
    ("duty", Kind::Duty),
    ("permission", Kind::Permission),
    ("request", Kind::Request),
    ("access", Kind::Access),
    ("notary", Kind::Notary),
    ("asset", Kind::Asset),
    ("proposal", Kind::Proposal),
];

impl Kind {
    pub fn parse(text: &str) -> Result<Self, String> {
        KINDS
            .iter()
            .find(|(label, _)| *label == text)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                let labels: Vec<&str> = KINDS.iter().map(|(l, _)| *l).collect();
                format!(
                    "{text:?} is not a record kind; one of: {}",
                    labels.join(", ")
                )
            })
    }

    /// The state key of record `id` of this kind (channel-wide kinds in `channel`).
    pub fn key(self, id: &str, channel: &ChannelId) -> Result<StateKey, FieldError> {
        Ok(match self {
            Kind::Org => keys::org_key(&input::ident("org", id)?),
            Kind::Member => keys::member_key(&input::public_key("member", id)?),
            Kind::Item => keys::item_key(channel, &input::ident("item", id)?),
            Kind::Duty => keys::duty_key(channel, &input::ident("duty", id)?),
            Kind::Permission => keys::permission_key(channel, &input::digest("permission", id)?),
            Kind::Request => keys::request_key(channel, &input::digest("request", id)?),
            Kind::Access => keys::access_key(channel, &input::digest("access", id)?),
            Kind::Notary => keys::notary_key(channel, &input::digest("notary", id)?),
            Kind::Asset => keys::asset_key(channel, &input::ident("asset", id)?),
            Kind::Proposal => keys::proposal_key(&input::digest("proposal", id)?),
        })
    }

    /// The record as the API shows it. Permissions are live or expired as of
    /// `at`, the time of the block they were proven at.
    pub fn view(
        self,
        bytes: &[u8],
        channel: &ChannelId,
        at: u64,
    ) -> anyhow::Result<serde_json::Value> {
        fn decode<T: Read<Cfg = ()>>(bytes: &[u8]) -> anyhow::Result<T> {
            T::decode(Copying(bytes)).map_err(|e| {
                anyhow::anyhow!("the proven value does not decode as that record: {e}")
            })
        }
        let json = match self {
            Kind::Org => serde_json::to_value(OrgView::from_record(&decode::<Org>(bytes)?)),
            Kind::Member => {
                serde_json::to_value(MemberView::from_record(&decode::<Member>(bytes)?))
            }
            Kind::Item => {
                serde_json::to_value(ItemView::from_record(channel, &decode::<Item>(bytes)?))
            }
            Kind::Duty => {
                serde_json::to_value(DutyView::from_record(channel, &decode::<Duty>(bytes)?))
            }
            Kind::Permission => serde_json::to_value(PermissionView::from_record(
                channel,
                &decode::<Permission>(bytes)?,
                at,
            )),
            Kind::Request => serde_json::to_value(RequestView::from_record(
                channel,
                &decode::<Request>(bytes)?,
            )),
            Kind::Access => serde_json::to_value(AccessView::from_record(
                channel,
                &decode::<AccessRecord>(bytes)?,
            )),
            Kind::Notary => serde_json::to_value(NotaryView::from_record(
                channel,
                &decode::<NotaryRecord>(bytes)?,
            )),
            Kind::Asset => {
                serde_json::to_value(AssetView::from_record(channel, &decode::<Asset>(bytes)?))
            }
            Kind::Proposal => {
                serde_json::to_value(ProposalView::from_record(&decode::<Proposal>(bytes)?))
            }
        };
        Ok(json?)
    }
}

/// A value checked against the validator set.
#[derive(Serialize)]
struct Checked {
    key: String,
    present: bool,
    /// The record as the API shows it (with `--record`).
    record: Option<serde_json::Value>,
    /// The codec-encoded value.
    value_hex: Option<String>,
    /// The block the proof was checked against, certified by a quorum of `validators`.
    height: u64,
    block: String,
    block_time: u64,
    state_root: String,
    validators: usize,
}

impl Checked {
    fn new(verified: &Verified, record: Option<serde_json::Value>, validators: usize) -> Self {
        Self {
            key: verified.key.to_string(),
            present: verified.value.is_some(),
            record,
            value_hex: verified
                .value
                .as_ref()
                .map(|v| commonware_formatting::hex(v)),
            height: verified.height,
            block: verified.block.to_string(),
            block_time: verified.timestamp_ms,
            state_root: verified.state_root.to_string(),
            validators,
        }
    }
}

impl Human for Checked {
    fn human(&self, text: &mut Text) {
        text.field("key", &self.key)
            .field(
                "present",
                if self.present {
                    "yes"
                } else {
                    "no (verified absence)"
                },
            )
            .field(
                "proven at",
                format!(
                    "height {}, block time {}",
                    self.height,
                    time::show(self.block_time)
                ),
            )
            .field("block", &self.block)
            .field("state root", &self.state_root)
            .field(
                "verified",
                format!("against {} validators", self.validators),
            );
        match (&self.record, &self.value_hex) {
            (Some(record), _) => {
                let pretty = serde_json::to_string_pretty(record).unwrap_or_default();
                text.line(pretty);
            }
            (None, Some(hex)) => {
                text.field("value", hex);
            }
            (None, None) => {}
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let channel = input::ident("channel", &args.channel.channel)?;
    let (key, kind) = match (&args.state_key, &args.record) {
        (Some(hex), _) => (input::digest("state_key", hex)?, None),
        (None, Some(record)) => {
            let [kind, id] = &record[..] else {
                anyhow::bail!("--record takes a kind and an id");
            };
            let kind = Kind::parse(kind).map_err(anyhow::Error::msg)?;
            (kind.key(id, &channel)?, Some(kind))
        }
        (None, None) => anyhow::bail!("give --state-key HEX or --record KIND ID"),
    };
    let genesis = args.genesis.load()?;
    let session = Session::new(&args.node)?;
    let proof = session.client.proof(&key).await?;
    let verified = Verifier::new(&genesis).verify_proof(&proof, &key)?;
    let record = match (kind, &verified.value) {
        (Some(kind), Some(bytes)) => Some(kind.view(bytes, &channel, verified.timestamp_ms)?),
        _ => None,
    };
    let checked = Checked::new(&verified, record, genesis.validators.len());
    session.out.show(&checked)?;
    Ok(if checked.present {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ABSENT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;
    use dirchain_types::{
        bounded::{Ident, Text as BoundedText},
        ids::{Digest, KeyBytes, system_channel},
    };

    #[test]
    fn kinds_name_the_keys_of_dirchain_types() {
        let main = system_channel();
        let digest = Digest([5; 32]).to_string();
        assert_eq!(
            Kind::parse("notary").unwrap().key(&digest, &main).unwrap(),
            keys::notary_key(&main, &Digest([5; 32]))
        );
        assert_eq!(
            Kind::parse("org").unwrap().key("health", &main).unwrap(),
            keys::org_key(&Ident::new("health").unwrap())
        );
        assert_eq!(
            Kind::Item.key("health/births", &main).unwrap(),
            keys::item_key(&main, &Ident::new("health/births").unwrap())
        );
        assert!(
            Kind::parse("block")
                .unwrap_err()
                .contains("one of: org, member")
        );
        assert_eq!(
            Kind::Permission.key("zz", &main).unwrap_err().field(),
            "permission"
        );
    }

    #[test]
    fn proven_records_show_as_the_api_shows_them() {
        let record = NotaryRecord {
            digest: Digest([5; 32]),
            kind: Ident::new("contract").unwrap(),
            meta: BoundedText::new("signed").unwrap(),
            org: Ident::new("health").unwrap(),
            signer: KeyBytes::new([1; 32]),
            tx: Digest([2; 32]),
            height: 9,
            at: 1_000,
        };
        let json = Kind::Notary
            .view(&record.encode(), &system_channel(), 0)
            .unwrap();
        assert_eq!(json["digest"], Digest([5; 32]).to_string());
        assert_eq!(json["height"], 9);
        assert_eq!(json["channel"], "main");
        let err = Kind::Org
            .view(&[1, 2, 3], &system_channel(), 0)
            .unwrap_err();
        assert!(err.to_string().contains("does not decode"), "{err}");
    }
}
