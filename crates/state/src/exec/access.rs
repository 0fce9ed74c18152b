//! The exchange audit: every access attempt is recorded, granted or refused.

use super::{Executor, RuleOutcome, RuleResult, StateRead, TxEnv};
use crate::error::{TxError, invalid};
use dirchain_types::{
    domain::Role,
    ids::key_bytes,
    keys,
    records::{AccessRecord, Item, LoggedAccess, Permission, Refusal},
    tx::RecordAccess,
};

pub(super) async fn record<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    a: &RecordAccess,
) -> RuleResult {
    if a.fields.is_empty() {
        return Err(invalid("an access record must name the fields exchanged").into());
    }
    let signer_key = key_bytes(&env.signer.key);
    let requester = match env.signer.role() {
        Role::Gateway => a.requester.clone(),
        // A consumer records its own accesses: it can name no one else.
        _ => match &a.requester {
            Some(named) if *named != signer_key => {
                return Err(invalid("a consumer records only its own accesses (requester)").into());
            }
            _ => Some(signer_key.clone()),
        },
    };
    let permission: Option<Permission> = ex
        .load(&keys::permission_key(&env.channel, &a.permission))
        .await?;
    let refusal = match &permission {
        None => Some(Refusal::UnknownPermission),
        // The ledger's own judgment first; else what the recorder declared.
        Some(p) => judge(ex, env, a, p).await?.or(a.refusal),
    };
    let record = AccessRecord {
        id: env.hash,
        permission: a.permission,
        recorder: signer_key,
        recorder_org: env.signer.org().clone(),
        requester,
        owner_org: permission.as_ref().map(|p| p.owner_org.clone()),
        consumer_org: permission.as_ref().map(|p| p.consumer_org.clone()),
        item: permission.as_ref().map(|p| p.item.clone()),
        subject_refs: a.subject_refs.clone(),
        fields: a.fields.clone(),
        query_digest: a.query_digest,
        response_digest: a.response_digest,
        record_count: a.record_count,
        height: ex.height(),
        at: ex.now(),
        refusal,
    };
    ex.append_in_channel(&LoggedAccess {
        channel: env.channel.clone(),
        record,
    });
    match refusal {
        Some(refusal) => Err(RuleOutcome::Refused(refusal)),
        None => Ok(()),
    }
}

/// Why the access falls outside the permission, if it does.
async fn judge<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    a: &RecordAccess,
    p: &Permission,
) -> Result<Option<Refusal>, RuleOutcome> {
    // The providing agency's gateway or the consuming agency records.
    let party = match env.signer.role() {
        Role::Gateway => &p.owner_org,
        _ => &p.consumer_org,
    };
    if party != env.signer.org() {
        return Ok(Some(Refusal::NotParty));
    }
    if p.revoked.is_some() {
        return Ok(Some(Refusal::Revoked));
    }
    if ex.now() >= p.expires_at {
        return Ok(Some(Refusal::Expired));
    }
    let retired = match ex.lookup(&keys::item_key(&env.channel, &p.item)).await? {
        Some(bytes) => {
            Item::read_retired(bytes).map_err(|e| TxError::CorruptState(e.to_string()))?
        }
        None => true,
    };
    if retired {
        return Ok(Some(Refusal::ItemRetired));
    }
    if !a.fields.iter().all(|f| p.fields.contains(f)) {
        return Ok(Some(Refusal::FieldsNotPermitted));
    }
    Ok(None)
}
