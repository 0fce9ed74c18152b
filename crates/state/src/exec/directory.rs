//! Duties and the catalog: what each organisation does and what data it holds.

use super::{Executor, RuleResult, StateRead, TxEnv};
use crate::error::{TxError, invalid};
use dirchain_types::{
    domain::ShareClass,
    ids::key_bytes,
    keys,
    records::{Duty, Item, ItemVersion, Revocation},
    tx::{DeclareDuty, PublishCatalogItem, RetireCatalogItem},
};
use std::collections::BTreeSet;

pub(super) async fn declare_duty<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    d: &DeclareDuty,
) -> RuleResult {
    if d.title.trim().is_empty() {
        return Err(invalid("a duty needs a title").into());
    }
    if d.legal_basis.trim().is_empty() {
        return Err(invalid("a duty needs its legal basis").into());
    }
    let key = keys::duty_key(&env.channel, &d.id);
    if let Some(existing) = ex.load::<Duty>(&key).await?
        && &existing.org != env.signer.org()
    {
        return Err(TxError::not_owner("duty", &d.id, &existing.org).into());
    }
    let duty = Duty {
        id: d.id.clone(),
        org: env.signer.org().clone(),
        title: d.title.clone(),
        legal_basis: d.legal_basis.clone(),
        declared_at: ex.now(),
    };
    ex.store_in_channel(key, &duty).await?;
    Ok(())
}

pub(super) async fn publish<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    p: &PublishCatalogItem,
) -> RuleResult {
    if p.title.trim().is_empty() {
        return Err(invalid("a catalog item needs a title").into());
    }
    if p.fields.is_empty() {
        return Err(invalid("a catalog item needs at least one field").into());
    }
    let mut names = BTreeSet::new();
    for field in p.fields.iter() {
        if !names.insert(&field.name) {
            return Err(invalid(format!("field {:?} is listed twice", field.name)).into());
        }
        if p.share_class == ShareClass::Unconditional && field.sensitivity.is_personal() {
            return Err(TxError::PersonalDataUnconditional(field.name.to_string()).into());
        }
    }
    if p.duties.is_empty() {
        return Err(invalid("a catalog item must name the duty it serves").into());
    }
    for duty_id in p.duties.iter() {
        let duty: Duty = ex
            .require(&keys::duty_key(&env.channel, duty_id), "duty", duty_id)
            .await?;
        if &duty.org != env.signer.org() {
            return Err(TxError::not_owner("duty", duty_id, &duty.org).into());
        }
    }
    let key = keys::item_key(&env.channel, &p.id);
    match ex.load::<Item>(&key).await? {
        Some(existing) => {
            if &existing.current.org != env.signer.org() {
                return Err(
                    TxError::not_owner("catalog item", &p.id, &existing.current.org).into(),
                );
            }
            if existing.retired.is_some() {
                return Err(TxError::ItemRetired(p.id.to_string()).into());
            }
            if p.version <= existing.current.version {
                return Err(TxError::StaleVersion {
                    id: p.id.to_string(),
                    current: existing.current.version,
                    got: p.version,
                }
                .into());
            }
        }
        None if p.version == 0 => return Err(invalid("versions start at 1").into()),
        None => {}
    }
    let version = ItemVersion {
        id: p.id.clone(),
        version: p.version,
        org: env.signer.org().clone(),
        publisher: key_bytes(&env.signer.key),
        published_at: ex.now(),
        title: p.title.clone(),
        description: p.description.clone(),
        duties: p.duties.clone(),
        fields: p.fields.clone(),
        share_class: p.share_class,
        open_class: p.open_class,
        update_frequency: p.update_frequency,
        format: p.format.clone(),
    };
    ex.store_in_channel(
        keys::item_version_key(&env.channel, &p.id, p.version),
        &version,
    )
    .await?;
    ex.store_in_channel(
        key,
        &Item {
            current: version,
            retired: None,
        },
    )
    .await?;
    Ok(())
}

pub(super) async fn retire<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    r: &RetireCatalogItem,
) -> RuleResult {
    if r.reason.trim().is_empty() {
        return Err(invalid("retiring an item needs a reason").into());
    }
    let key = keys::item_key(&env.channel, &r.id);
    let mut item: Item = ex.require(&key, "catalog item", &r.id).await?;
    if &item.current.org != env.signer.org() {
        return Err(TxError::not_owner("catalog item", &r.id, &item.current.org).into());
    }
    if item.retired.is_some() {
        return Err(TxError::ItemRetired(r.id.to_string()).into());
    }
    item.retired = Some(Revocation {
        at: ex.now(),
        by: key_bytes(&env.signer.key),
        reason: r.reason.clone(),
    });
    ex.store_in_channel(key, &item).await?;
    Ok(())
}
