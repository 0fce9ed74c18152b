//! Enrolment, revocation and rotation of member keys.

use super::{Executor, RuleResult, StateRead, TxEnv};
use crate::error::{TxError, invalid};
use dirchain_types::{
    ids::key_bytes,
    keys,
    records::{Member, Revocation},
    tx::{Enroll, RevokeMember, RotateKey, Title},
};

pub(super) async fn enroll<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    e: &Enroll,
) -> RuleResult {
    if &e.org != env.signer.org() {
        return Err(TxError::not_owner("organisation", &e.org, &env.signer.org()).into());
    }
    if e.expires_at <= ex.now() {
        return Err(invalid("the enrolment would already be expired").into());
    }
    let key = keys::member_key(&e.member_key);
    // A key is enrolled once, ever: its history must stay unambiguous.
    if ex.load::<Member>(&key).await?.is_some() {
        return Err(TxError::AlreadyExists {
            what: "member key",
            id: e.member_key.to_string(),
        }
        .into());
    }
    ex.store(
        key,
        &Member {
            key: key_bytes(&e.member_key),
            org: e.org.clone(),
            role: e.role,
            expires_at: e.expires_at,
            enrolled_at: ex.now(),
            revoked: None,
        },
    );
    Ok(())
}

pub(super) async fn revoke<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    r: &RevokeMember,
) -> RuleResult {
    if r.reason.is_empty() {
        return Err(invalid("a revocation needs a reason").into());
    }
    let key = keys::member_key(&r.member_key);
    let mut member: Member = ex.require(&key, "member key", &r.member_key).await?;
    if &member.org != env.signer.org() {
        return Err(TxError::not_owner("member key", &r.member_key, &member.org).into());
    }
    if member.revoked.is_some() {
        return Err(TxError::AlreadyRevoked {
            what: "member key",
            id: r.member_key.to_string(),
        }
        .into());
    }
    member.revoked = Some(Revocation {
        at: ex.now(),
        by: key_bytes(&env.signer.key),
        reason: r.reason.clone(),
    });
    ex.store(key, &member);
    Ok(())
}

pub(super) async fn rotate<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    r: &RotateKey,
) -> RuleResult {
    let new_key = keys::member_key(&r.new_key);
    if ex.load::<Member>(&new_key).await?.is_some() {
        return Err(TxError::AlreadyExists {
            what: "member key",
            id: r.new_key.to_string(),
        }
        .into());
    }
    let now = ex.now();
    let mut old = env.signer.member.clone();
    let successor = Member {
        key: key_bytes(&r.new_key),
        enrolled_at: now,
        revoked: None,
        ..old.clone()
    };
    old.revoked = Some(Revocation {
        at: now,
        by: key_bytes(&env.signer.key),
        reason: Title::new(format!("rotated to {}", r.new_key))
            .map_err(|e| invalid(e.to_string()))?,
    });
    ex.store(keys::member_key(&env.signer.key), &old);
    ex.store(new_key, &successor);
    Ok(())
}
