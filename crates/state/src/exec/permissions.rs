//! Purpose-bound permissions: request, decision, revocation.

use super::{Executor, RuleResult, StateRead, TxEnv};
use crate::error::{TxError, invalid};
use dirchain_types::{
    domain::{Role, ShareClass},
    ids::key_bytes,
    keys,
    records::{Duty, Item, Permission, Request, RequestStatus, Revocation},
    tx::{DecideAccess, RequestAccess, RevokePermission, Title},
};
use std::collections::BTreeSet;

pub(super) async fn request<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    r: &RequestAccess,
) -> RuleResult {
    if r.purpose.trim().is_empty() {
        return Err(invalid("a request must state its purpose").into());
    }
    if r.fields.is_empty() {
        return Err(invalid("a request must name the fields it needs").into());
    }
    let consortium = ex.consortium().await?;
    if r.valid_for_ms == 0 || r.valid_for_ms > consortium.params.max_permission_validity_ms {
        return Err(invalid(format!(
            "validity must be between 1 and {} ms",
            consortium.params.max_permission_validity_ms
        ))
        .into());
    }
    let item: Item = ex
        .require(
            &keys::item_key(&env.channel, &r.item),
            "catalog item",
            &r.item,
        )
        .await?;
    if item.retired.is_some() {
        return Err(TxError::ItemRetired(r.item.to_string()).into());
    }
    let current = &item.current;
    if &current.org == env.signer.org() {
        return Err(invalid("an organisation needs no permission for its own data").into());
    }
    if current.share_class == ShareClass::None {
        return Err(TxError::NotShareable(r.item.to_string()).into());
    }
    let mut seen = BTreeSet::new();
    for field in r.fields.iter() {
        if !seen.insert(field) {
            return Err(invalid(format!("field {field:?} is requested twice")).into());
        }
        if !current.has_field(field) {
            return Err(TxError::NotFound {
                what: "field",
                id: format!("{}.{}", r.item, field),
            }
            .into());
        }
    }
    let duty: Duty = ex
        .require(
            &keys::duty_key(&env.channel, &r.requester_duty),
            "duty",
            &r.requester_duty,
        )
        .await?;
    if &duty.org != env.signer.org() {
        return Err(TxError::not_owner("duty", &r.requester_duty, &duty.org).into());
    }
    let now = ex.now();
    let unconditional = current.share_class == ShareClass::Unconditional;
    let request = Request {
        id: env.hash,
        item: r.item.clone(),
        item_version: current.version,
        owner_org: current.org.clone(),
        consumer_org: env.signer.org().clone(),
        requester: key_bytes(&env.signer.key),
        fields: r.fields.clone(),
        purpose: r.purpose.clone(),
        requester_duty: r.requester_duty.clone(),
        valid_for_ms: r.valid_for_ms,
        requested_at: now,
        status: if unconditional {
            RequestStatus::Approved
        } else {
            RequestStatus::Pending
        },
        decided_by: None,
        reason: if unconditional {
            Title::new("granted on request: the item is shared unconditionally")
                .expect("constant fits")
        } else {
            Title::default()
        },
    };
    if unconditional {
        grant(ex, env, &request, now.saturating_add(r.valid_for_ms)).await?;
    }
    ex.store_in_channel(keys::request_key(&env.channel, &env.hash), &request)
        .await?;
    Ok(())
}

async fn grant<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    request: &Request,
    expires_at: u64,
) -> Result<(), TxError> {
    let permission = Permission {
        id: request.id,
        item: request.item.clone(),
        owner_org: request.owner_org.clone(),
        consumer_org: request.consumer_org.clone(),
        fields: request.fields.clone(),
        purpose: request.purpose.clone(),
        requester_duty: request.requester_duty.clone(),
        granted_at: ex.now(),
        expires_at,
        revoked: None,
    };
    ex.store_in_channel(keys::permission_key(&env.channel, &request.id), &permission)
        .await
}

pub(super) async fn decide<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    d: &DecideAccess,
) -> RuleResult {
    let key = keys::request_key(&env.channel, &d.request);
    let mut request: Request = ex.require(&key, "request", &d.request).await?;
    if &request.owner_org != env.signer.org() {
        return Err(
            TxError::not_owner("request for item", &request.item, &request.owner_org).into(),
        );
    }
    if request.status != RequestStatus::Pending {
        return Err(TxError::AlreadyDecided(d.request).into());
    }
    let now = ex.now();
    if d.approve {
        let consortium = ex.consortium().await?;
        let latest = now.saturating_add(consortium.params.max_permission_validity_ms);
        if d.expires_at <= now || d.expires_at > latest {
            return Err(invalid(format!(
                "a permission must expire after now ({now}) and no later than {latest}"
            ))
            .into());
        }
        grant(ex, env, &request, d.expires_at).await?;
        request.status = RequestStatus::Approved;
    } else {
        if d.reason.trim().is_empty() {
            return Err(invalid("a denial must give its reason").into());
        }
        request.status = RequestStatus::Denied;
    }
    request.decided_by = Some(key_bytes(&env.signer.key));
    request.reason = d.reason.clone();
    ex.store_in_channel(key, &request).await?;
    Ok(())
}

pub(super) async fn revoke<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    r: &RevokePermission,
) -> RuleResult {
    if r.reason.trim().is_empty() {
        return Err(invalid("a revocation needs a reason").into());
    }
    let key = keys::permission_key(&env.channel, &r.permission);
    let mut permission: Permission = ex.require(&key, "permission", &r.permission).await?;
    // The owner's steward withdraws a grant; the consumer may give one up.
    let party = match env.signer.role() {
        Role::Steward => &permission.owner_org,
        _ => &permission.consumer_org,
    };
    if party != env.signer.org() {
        return Err(TxError::not_owner("permission", &r.permission, &permission.owner_org).into());
    }
    if permission.revoked.is_some() {
        return Err(TxError::AlreadyRevoked {
            what: "permission",
            id: r.permission.to_string(),
        }
        .into());
    }
    permission.revoked = Some(Revocation {
        at: ex.now(),
        by: key_bytes(&env.signer.key),
        reason: r.reason.clone(),
    });
    ex.store_in_channel(key, &permission).await?;
    Ok(())
}
