//! Turning a genesis document into the first state.

use crate::store::WriteSet;
use commonware_codec::Encode;
use dirchain_types::{
    bounded::List,
    genesis::Genesis,
    ids::key_bytes,
    keys,
    records::{Consortium, Member, Org},
};
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GenesisError {
    #[error("genesis lists no organisation")]
    NoOrgs,
    #[error("genesis lists no validator")]
    NoValidators,
    #[error("organisation {0:?} is listed twice")]
    DuplicateOrg(String),
    #[error("an admin key is listed for two organisations")]
    DuplicateAdminKey,
    #[error("validator {0} is listed twice")]
    DuplicateValidator(String),
    #[error("threshold {threshold} must be between 1 and the {orgs} organisations")]
    BadThreshold { threshold: u32, orgs: usize },
    #[error("parameters must be positive")]
    BadParams,
}

/// The layout of the state this code reads and writes, recorded at genesis
/// under [keys::layout_key]. A chain founded by code of another layout has
/// roots this code cannot reproduce: 1 kept access records under state keys,
/// 2 keeps them in the access log.
pub const STATE_LAYOUT: u32 = 2;

/// The writes that found the state described by `genesis`.
pub fn genesis_writes(genesis: &Genesis) -> Result<WriteSet, GenesisError> {
    if genesis.orgs.is_empty() {
        return Err(GenesisError::NoOrgs);
    }
    if genesis.validators.is_empty() {
        return Err(GenesisError::NoValidators);
    }
    if genesis.threshold == 0 || genesis.threshold as usize > genesis.orgs.len() {
        return Err(GenesisError::BadThreshold {
            threshold: genesis.threshold,
            orgs: genesis.orgs.len(),
        });
    }
    if genesis.params.proposal_ttl_ms == 0 || genesis.params.max_permission_validity_ms == 0 {
        return Err(GenesisError::BadParams);
    }
    let mut validators = BTreeSet::new();
    for v in genesis.validators.iter() {
        if !validators.insert(key_bytes(v)) {
            return Err(GenesisError::DuplicateValidator(v.to_string()));
        }
    }
    let mut writes = WriteSet::new();
    let mut admin_keys = BTreeSet::new();
    for org in genesis.orgs.iter() {
        let key = keys::org_key(&org.id);
        if writes.contains_key(&key) {
            return Err(GenesisError::DuplicateOrg(org.id.to_string()));
        }
        if !admin_keys.insert(org.admin_key.clone()) {
            return Err(GenesisError::DuplicateAdminKey);
        }
        let record = Org {
            id: org.id.clone(),
            name: org.name.clone(),
            active: true,
            joined_at: genesis.timestamp_ms,
        };
        writes.insert(key, Some(record.encode().to_vec()));
        let admin = Member::founding_admin(&org.id, &org.admin_key, genesis.timestamp_ms);
        writes.insert(
            keys::member_key(&org.admin_key),
            Some(admin.encode().to_vec()),
        );
    }
    let consortium = Consortium {
        validators: List::new(validators.into_iter().collect()).expect("bounded by genesis"),
        threshold: genesis.threshold,
        org_count: genesis.orgs.len() as u32,
        params: genesis.params.clone(),
    };
    writes.insert(keys::consortium_key(), Some(consortium.encode().to_vec()));
    writes.insert(
        keys::genesis_key(),
        Some(genesis.digest().encode().to_vec()),
    );
    writes.insert(keys::layout_key(), Some(STATE_LAYOUT.encode().to_vec()));
    Ok(writes)
}
