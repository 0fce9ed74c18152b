//! Where each record lives in the authenticated state. Clients derive the
//! same keys to ask for (and check) a proof of any value.

use crate::{
    bounded::Ident,
    ids::{ChannelId, Digest, PublicKey, SYSTEM_CHANNEL, sha256},
    wire_enum,
};
use commonware_codec::Encode;

/// A key of the authenticated state.
pub type StateKey = Digest;

wire_enum! {
    /// The kinds of record in the state. Consortium-wide records live in the
    /// system channel; domain records are namespaced by their channel.
    pub enum Space {
        Consortium = 0 => "consortium",
        Org = 1 => "org",
        Member = 2 => "member",
        Account = 3 => "account",
        Proposal = 4 => "proposal",
        Channel = 5 => "channel",
        ChannelUsage = 6 => "channel-usage",
        Duty = 7 => "duty",
        Item = 8 => "item",
        ItemVersion = 9 => "item-version",
        Request = 10 => "request",
        Permission = 11 => "permission",
        AccessLog = 12 => "access-log",
        Notary = 13 => "notary",
        Asset = 14 => "asset",
        AssetEvent = 15 => "asset-event",
        Genesis = 16 => "genesis",
    }
}

const KEY_DOMAIN: &[u8] = b"dirchain/state/v1";

/// The state key of record `id` of kind `space` in `channel`.
/// Length prefixes keep (channel, id) pairs from colliding.
pub fn state_key(space: Space, channel: &ChannelId, id: &[u8]) -> StateKey {
    key_in(space, channel.as_bytes(), id)
}

fn key_in(space: Space, channel: &[u8], id: &[u8]) -> StateKey {
    sha256(&[
        KEY_DOMAIN,
        &[space as u8],
        &(channel.len() as u32).to_be_bytes(),
        channel,
        &(id.len() as u32).to_be_bytes(),
        id,
    ])
}

/// Consortium-wide records, derived on every transaction: no channel
/// identifier is built for them.
fn system(space: Space, id: &[u8]) -> StateKey {
    key_in(space, SYSTEM_CHANNEL.as_bytes(), id)
}

/// Holds the hash of the genesis the state was founded from.
pub fn genesis_key() -> StateKey {
    system(Space::Genesis, b"")
}
/// Holds the layout of the state (a `u32`, written at genesis): what a node's
/// code must read and write for this chain's roots to come out the same.
pub fn layout_key() -> StateKey {
    system(Space::Genesis, b"layout")
}
pub fn consortium_key() -> StateKey {
    system(Space::Consortium, b"")
}
pub fn org_key(org: &Ident) -> StateKey {
    system(Space::Org, org.as_bytes())
}
pub fn member_key(key: &PublicKey) -> StateKey {
    system(Space::Member, key.as_ref())
}
pub fn account_key(key: &PublicKey) -> StateKey {
    system(Space::Account, key.as_ref())
}
pub fn proposal_key(id: &Digest) -> StateKey {
    system(Space::Proposal, id.as_ref())
}
pub fn channel_key(channel: &ChannelId) -> StateKey {
    system(Space::Channel, channel.as_bytes())
}
pub fn channel_usage_key(channel: &ChannelId) -> StateKey {
    system(Space::ChannelUsage, channel.as_bytes())
}
pub fn duty_key(channel: &ChannelId, duty: &Ident) -> StateKey {
    state_key(Space::Duty, channel, duty.as_bytes())
}
pub fn item_key(channel: &ChannelId, item: &Ident) -> StateKey {
    state_key(Space::Item, channel, item.as_bytes())
}
pub fn item_version_key(channel: &ChannelId, item: &Ident, version: u32) -> StateKey {
    state_key(
        Space::ItemVersion,
        channel,
        &[item.encode().as_ref(), &version.to_be_bytes()].concat(),
    )
}
pub fn request_key(channel: &ChannelId, id: &Digest) -> StateKey {
    state_key(Space::Request, channel, id.as_ref())
}
pub fn permission_key(channel: &ChannelId, id: &Digest) -> StateKey {
    state_key(Space::Permission, channel, id.as_ref())
}
/// Holds the [AccessLogHead](crate::records::AccessLogHead): access records
/// themselves live in the append-only access log, not under keys.
pub fn access_log_key() -> StateKey {
    system(Space::AccessLog, b"")
}
pub fn notary_key(channel: &ChannelId, digest: &Digest) -> StateKey {
    state_key(Space::Notary, channel, digest.as_ref())
}
pub fn asset_key(channel: &ChannelId, asset: &Ident) -> StateKey {
    state_key(Space::Asset, channel, asset.as_bytes())
}
pub fn asset_event_key(channel: &ChannelId, asset: &Ident, seq: u32) -> StateKey {
    state_key(
        Space::AssetEvent,
        channel,
        &[asset.encode().as_ref(), &seq.to_be_bytes()].concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::system_channel;

    #[test]
    fn system_keys_are_keys_of_the_system_channel() {
        let org = Ident::new("health").unwrap();
        assert_eq!(
            org_key(&org),
            state_key(Space::Org, &system_channel(), org.as_bytes())
        );
        // The same id in another channel, or of another kind, is another key.
        let other = Ident::new("research").unwrap();
        assert_ne!(org_key(&org), state_key(Space::Org, &other, org.as_bytes()));
        assert_ne!(
            org_key(&org),
            state_key(Space::Duty, &system_channel(), org.as_bytes())
        );
    }
}
