//! `dirchain verify`: fetch any state value with its proof and check it
//! here, against the validators of the genesis: the proof against the state
//! root of a block, and the block against its finalization certificate.
//! Access records live in the access log, not under state keys: `--record
//! access ID` asks the node's index where record ID is in the log, then
//! proves the record there (and that it is ID); `--record access-log
//! LOCATION` proves the record at a location without the index.
//! Exit status 0: present; 2: proven absent; 1: error.

use crate::client::{
    EXIT_ABSENT,
    args::{ChannelArg, GenesisArg, NodeArgs},
    output::{Human, Text},
    session::Session,
    time,
};
use commonware_codec::{Copying, DecodeExt, Read};
use dirchain_client::{
    FieldError, Verified, VerifiedAccess, Verifier, input, schema::records::*,
    types::genesis::Genesis,
};
use dirchain_types::{
    ids::{ChannelId, Digest},
    keys::{self, StateKey},
    records::{Asset, Duty, Item, Member, NotaryRecord, Org, Permission, Proposal, Request},
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
    /// permission ID, request ID, access ID, access-log LOCATION, notary
    /// DIGEST, asset ID, proposal ID (record ids and digests in hex; an
    /// access record's location in the access log in decimal).
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
    /// An access record by id (the recording transaction's hash).
    Access,
    /// An access record by its location in the access log.
    AccessLog,
    Notary,
    Asset,
    Proposal,
}

const KINDS: [(&str, Kind); 11] = [
    ("org", Kind::Org),
    ("member", Kind::Member),
    ("item", Kind::Item),
    ("duty", Kind::Duty),
    ("permission", Kind::Permission),
    ("request", Kind::Request),
    ("access", Kind::Access),
    ("access-log", Kind::AccessLog),
    ("notary", Kind::Notary),
    ("asset", Kind::Asset),
    ("proposal", Kind::Proposal),
];

/// What a record's kind and id name, and so how it is proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A record under a state key.
    Key(StateKey),
    /// An access record by id: the node's index says where it is in the
    /// access log, and the record proven there must be this one.
    AccessId(Digest),
    /// The access record at a location of the access log.
    AccessLocation(u64),
}

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

    /// Where record `id` of this kind is: its state key (channel-wide kinds
    /// in `channel`), or for access records, what names it in the access log.
    pub fn target(self, id: &str, channel: &ChannelId) -> Result<Target, FieldError> {
        let key = match self {
            Kind::Org => keys::org_key(&input::ident("org", id)?),
            Kind::Member => keys::member_key(&input::public_key("member", id)?),
            Kind::Item => keys::item_key(channel, &input::ident("item", id)?),
            Kind::Duty => keys::duty_key(channel, &input::ident("duty", id)?),
            Kind::Permission => keys::permission_key(channel, &input::digest("permission", id)?),
            Kind::Request => keys::request_key(channel, &input::digest("request", id)?),
            Kind::Access => return Ok(Target::AccessId(input::digest("access", id)?)),
            Kind::AccessLog => {
                return Ok(Target::AccessLocation(input::number("location", id)?));
            }
            Kind::Notary => keys::notary_key(channel, &input::digest("notary", id)?),
            Kind::Asset => keys::asset_key(channel, &input::ident("asset", id)?),
            Kind::Proposal => keys::proposal_key(&input::digest("proposal", id)?),
        };
        Ok(Target::Key(key))
    }

    /// The record under a state key as the API shows it. Permissions are
    /// live or expired as of `at`, the time of the block they were proven at.
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
            Kind::Access | Kind::AccessLog => anyhow::bail!(
                "access records are proven at their location in the access log, not under a \
                 state key"
            ),
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
    /// The state key it was proven under (state values).
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    /// Its location in the access log (access records).
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<u64>,
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
            key: Some(verified.key.to_string()),
            location: None,
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

    fn access(verified: &VerifiedAccess, validators: usize) -> anyhow::Result<Self> {
        let view = AccessView::from_record(
            &verified.logged.channel,
            &verified.logged.record,
            verified.location,
        );
        Ok(Self {
            key: None,
            location: Some(verified.location),
            present: true,
            record: Some(serde_json::to_value(view)?),
            value_hex: Some(commonware_formatting::hex(&verified.value)),
            height: verified.height,
            block: verified.block.to_string(),
            block_time: verified.timestamp_ms,
            state_root: verified.state_root.to_string(),
            validators,
        })
    }
}

impl Human for Checked {
    fn human(&self, text: &mut Text) {
        text.field_opt("key", self.key.as_ref())
            .field_opt("access log location", self.location)
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
    let (target, kind) = match (&args.state_key, &args.record) {
        (Some(hex), _) => (Target::Key(input::digest("state_key", hex)?), None),
        (None, Some(record)) => {
            let [kind, id] = &record[..] else {
                anyhow::bail!("--record takes a kind and an id");
            };
            let kind = Kind::parse(kind).map_err(anyhow::Error::msg)?;
            (kind.target(id, &channel)?, Some(kind))
        }
        (None, None) => anyhow::bail!("give --state-key HEX or --record KIND ID"),
    };
    let genesis = args.genesis.load()?;
    let session = Session::new(&args.node)?;
    let key = match target {
        Target::Key(key) => key,
        Target::AccessId(id) => {
            return verify_access(&session, &genesis, &channel, Some(id), None).await;
        }
        Target::AccessLocation(location) => {
            return verify_access(&session, &genesis, &channel, None, Some(location)).await;
        }
    };
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

/// Proves an access record: the one with `id` in `channel` (its location
/// read from the node's index, which is trusted for nothing else), or the one
/// at `location`. The access log proves what is at a location, never that an
/// id is nowhere: an index that knows no such id is an error, not an absence.
async fn verify_access(
    session: &Session,
    genesis: &Genesis,
    channel: &ChannelId,
    id: Option<Digest>,
    location: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let location = match (id, location) {
        (_, Some(location)) => location,
        (Some(id), None) => {
            let view = session.client.access(&id, Some(channel.as_str())).await?;
            view.location
        }
        (None, None) => anyhow::bail!("an access record is named by its id or its location"),
    };
    let doc = session.client.access_proof(location).await?;
    let verified = Verifier::new(genesis).verify_access_proof(&doc, location)?;
    if let Some(id) = id {
        is_the_one_asked(&verified, &id, channel)?;
    }
    session
        .out
        .show(&Checked::access(&verified, genesis.validators.len())?)?;
    Ok(ExitCode::SUCCESS)
}

/// The record proven at the location the node's index gave for access
/// record `id` in `channel` is that record: the index is trusted for the
/// location only.
fn is_the_one_asked(
    verified: &VerifiedAccess,
    id: &Digest,
    channel: &ChannelId,
) -> anyhow::Result<()> {
    let proven = &verified.logged;
    anyhow::ensure!(
        proven.record.id == *id && proven.channel == *channel,
        "the node's index puts access record {id} (channel {channel}) at location {} of the \
         access log, but the record proven there is {} (channel {}): the index is wrong; ask \
         another node",
        verified.location,
        proven.record.id,
        proven.channel
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::output::Output;
    use commonware_codec::Encode;
    use dirchain_types::{
        bounded::{Ident, List, Text as BoundedText},
        ids::{Digest, KeyBytes, system_channel},
        records::{AccessLogHead, AccessRecord, LoggedAccess, Refusal},
    };

    #[test]
    fn kinds_name_the_keys_of_dirchain_types() {
        let main = system_channel();
        let digest = Digest([5; 32]).to_string();
        assert_eq!(
            Kind::parse("notary")
                .unwrap()
                .target(&digest, &main)
                .unwrap(),
            Target::Key(keys::notary_key(&main, &Digest([5; 32])))
        );
        assert_eq!(
            Kind::parse("org").unwrap().target("health", &main).unwrap(),
            Target::Key(keys::org_key(&Ident::new("health").unwrap()))
        );
        assert_eq!(
            Kind::Item.target("health/births", &main).unwrap(),
            Target::Key(keys::item_key(&main, &Ident::new("health/births").unwrap()))
        );
        assert!(
            Kind::parse("block")
                .unwrap_err()
                .contains("one of: org, member")
        );
        assert_eq!(
            Kind::Permission.target("zz", &main).unwrap_err().field(),
            "permission"
        );
    }

    #[test]
    fn access_records_are_named_in_the_access_log_not_by_key() {
        let main = system_channel();
        let digest = Digest([5; 32]).to_string();
        assert_eq!(
            Kind::parse("access")
                .unwrap()
                .target(&digest, &main)
                .unwrap(),
            Target::AccessId(Digest([5; 32]))
        );
        assert_eq!(
            Kind::parse("access-log")
                .unwrap()
                .target("17", &main)
                .unwrap(),
            Target::AccessLocation(17)
        );
        assert_eq!(
            Kind::Access.target("zz", &main).unwrap_err().field(),
            "access"
        );
        for bad in ["-1", "x", "1.5", "18446744073709551616"] {
            assert_eq!(
                Kind::AccessLog.target(bad, &main).unwrap_err().field(),
                "location"
            );
        }
        assert!(Kind::Access.view(&[1, 2, 3], &main, 0).is_err());
    }

    /// A verified access record of id `[7; 32]` at location 12 of `main`.
    fn verified_access() -> VerifiedAccess {
        let record = AccessRecord {
            id: Digest([7; 32]),
            permission: Digest([8; 32]),
            recorder: KeyBytes::new([1; 32]),
            recorder_org: Ident::new("police").unwrap(),
            requester: None,
            owner_org: None,
            consumer_org: None,
            item: None,
            subject_refs: List::default(),
            fields: List::new(vec![Ident::new("district").unwrap()]).unwrap(),
            query_digest: Digest([2; 32]),
            response_digest: Digest([3; 32]),
            record_count: 1,
            height: 4,
            at: 1_000,
            refusal: Some(Refusal::UnknownPermission),
        };
        let logged = LoggedAccess {
            channel: system_channel(),
            record,
        };
        VerifiedAccess {
            location: 12,
            value: logged.encode().to_vec(),
            logged,
            log: AccessLogHead {
                size: 14,
                root: Digest([9; 32]),
            },
            height: 5,
            timestamp_ms: 2_000,
            block: Digest([10; 32]),
            state_root: Digest([11; 32]),
        }
    }

    #[test]
    fn a_record_the_index_misplaced_is_refused() {
        let verified = verified_access();
        let main = system_channel();
        is_the_one_asked(&verified, &Digest([7; 32]), &main).unwrap();
        let error = is_the_one_asked(&verified, &Digest([8; 32]), &main).unwrap_err();
        assert!(error.to_string().contains("the index is wrong"), "{error}");
        let other = Ident::new("other").unwrap();
        assert!(is_the_one_asked(&verified, &Digest([7; 32]), &other).is_err());
    }

    #[test]
    fn a_proven_access_record_shows_as_the_api_shows_it() {
        let verified = verified_access();
        let checked = Checked::access(&verified, 4).unwrap();
        let json = serde_json::to_value(&checked).unwrap();
        assert_eq!(json["location"], 12);
        assert_eq!(json["present"], true);
        assert!(json.get("key").is_none(), "{json}");
        assert_eq!(json["record"]["id"], Digest([7; 32]).to_string());
        assert_eq!(json["record"]["location"], 12);
        assert_eq!(json["record"]["refusal"], "unknown-permission");
        assert_eq!(json["height"], 5);
        assert_eq!(json["validators"], 4);
        assert_eq!(
            json["value_hex"],
            commonware_formatting::hex(&verified.value)
        );
        let shown = Output::new(false).render(&checked).unwrap();
        assert!(shown.contains("access log location"), "{shown}");
        assert!(shown.contains("unknown-permission"), "{shown}");
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
