//! The founding document of a network: who the members are, who validates,
//! how many organisations must agree.

use crate::{
    bounded::{Ident, List},
    ids::{PublicKey, Timestamp},
    limits::*,
    records::Params,
    tx::Title,
    wire_struct,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisOrg {
    pub id: Ident,
    pub name: Title,
    pub admin_key: PublicKey,
}
wire_struct!(GenesisOrg {
    id,
    name,
    admin_key
});

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Genesis {
    pub chain_id: Ident,
    pub timestamp_ms: Timestamp,
    pub orgs: List<GenesisOrg, MAX_ORGS>,
    pub validators: List<PublicKey, MAX_VALIDATORS>,
    pub threshold: u32,
    pub params: Params,
}
wire_struct!(Genesis {
    chain_id,
    timestamp_ms,
    orgs,
    validators,
    threshold,
    params
});

impl Genesis {
    /// The identity of a network: two nodes share a chain only if their
    /// genesis documents hash alike.
    pub fn digest(&self) -> crate::ids::Digest {
        crate::ids::sha256(&[&commonware_codec::Encode::encode(self)])
    }

    /// The namespace consensus signs under: votes and certificates of one
    /// network are worthless on any other.
    pub fn consensus_namespace(&self) -> Vec<u8> {
        let mut namespace = CONSENSUS_NAMESPACE.to_vec();
        namespace.extend_from_slice(self.digest().as_ref());
        namespace
    }
}

/// Prefix of every network's consensus namespace.
pub const CONSENSUS_NAMESPACE: &[u8] = b"dirchain/consensus/v1";
