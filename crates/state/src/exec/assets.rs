//! Data assets: registration, appraisal, transfer and licensing, with the
//! full history of each asset kept as numbered events.

use super::{Executor, RuleResult, StateRead, TxEnv};
use crate::error::{TxError, invalid};
use dirchain_types::{
    ids::AssetId,
    keys,
    records::{Appraisal, Asset, AssetEvent, Item, Licence, Org},
    tx::{AppraiseAsset, LicenseAsset, RegisterAsset, TransferAsset},
};

async fn append_event<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    asset: &mut Asset,
    event: AssetEvent,
) -> Result<(), TxError> {
    let seq = asset.events;
    asset.events += 1;
    ex.store_in_channel(keys::asset_event_key(&env.channel, &asset.id, seq), &event)
        .await?;
    ex.store_in_channel(keys::asset_key(&env.channel, &asset.id), &*asset)
        .await
}

async fn owned_asset<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    id: &AssetId,
) -> Result<Asset, TxError> {
    let asset: Asset = ex
        .require(&keys::asset_key(&env.channel, id), "asset", id)
        .await?;
    if &asset.owner_org != env.signer.org() {
        return Err(TxError::not_owner("asset", &id, &asset.owner_org));
    }
    Ok(asset)
}

async fn active_org<R: StateRead>(
    ex: &mut Executor<'_, R>,
    org: &dirchain_types::ids::OrgId,
) -> Result<(), TxError> {
    let record: Org = ex.require(&keys::org_key(org), "organisation", org).await?;
    if !record.active {
        return Err(TxError::OrgInactive(org.to_string()));
    }
    Ok(())
}

pub(super) async fn register<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    r: &RegisterAsset,
) -> RuleResult {
    if r.name.trim().is_empty() {
        return Err(invalid("an asset needs a name").into());
    }
    if ex
        .load::<Asset>(&keys::asset_key(&env.channel, &r.id))
        .await?
        .is_some()
    {
        return Err(TxError::AlreadyExists {
            what: "asset",
            id: r.id.to_string(),
        }
        .into());
    }
    if let Some(item_id) = &r.item {
        let item: Item = ex
            .require(
                &keys::item_key(&env.channel, item_id),
                "catalog item",
                item_id,
            )
            .await?;
        if &item.current.org != env.signer.org() {
            return Err(TxError::not_owner("catalog item", &item_id, &item.current.org).into());
        }
    }
    let now = ex.now();
    let mut asset = Asset {
        id: r.id.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        item: r.item.clone(),
        owner_org: env.signer.org().clone(),
        registered_at: now,
        appraisal: None,
        events: 0,
    };
    let event = AssetEvent::Registered {
        owner_org: asset.owner_org.clone(),
        at: now,
    };
    append_event(ex, env, &mut asset, event).await?;
    Ok(())
}

pub(super) async fn appraise<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    a: &AppraiseAsset,
) -> RuleResult {
    if a.method.trim().is_empty() {
        return Err(invalid("an appraisal must name its method").into());
    }
    let mut asset: Asset = ex
        .require(&keys::asset_key(&env.channel, &a.asset), "asset", &a.asset)
        .await?;
    let appraisal = Appraisal {
        value: a.value,
        currency: a.currency.clone(),
        method: a.method.clone(),
        appraiser_org: env.signer.org().clone(),
        at: ex.now(),
    };
    asset.appraisal = Some(appraisal.clone());
    append_event(ex, env, &mut asset, AssetEvent::Appraised(appraisal)).await?;
    Ok(())
}

pub(super) async fn transfer<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    t: &TransferAsset,
) -> RuleResult {
    let mut asset = owned_asset(ex, env, &t.asset).await?;
    if t.to == asset.owner_org {
        return Err(invalid("the asset already belongs to that organisation").into());
    }
    active_org(ex, &t.to).await?;
    let event = AssetEvent::Transferred {
        from: asset.owner_org.clone(),
        to: t.to.clone(),
        at: ex.now(),
    };
    asset.owner_org = t.to.clone();
    append_event(ex, env, &mut asset, event).await?;
    Ok(())
}

pub(super) async fn license<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    l: &LicenseAsset,
) -> RuleResult {
    let mut asset = owned_asset(ex, env, &l.asset).await?;
    if l.terms.trim().is_empty() {
        return Err(invalid("a licence needs its terms").into());
    }
    if l.expires_at <= ex.now() {
        return Err(invalid("the licence would already be expired").into());
    }
    if l.licensee == asset.owner_org {
        return Err(invalid("an organisation cannot license its own asset to itself").into());
    }
    active_org(ex, &l.licensee).await?;
    let licence = Licence {
        licensee: l.licensee.clone(),
        terms: l.terms.clone(),
        granted_at: ex.now(),
        expires_at: l.expires_at,
    };
    append_event(ex, env, &mut asset, AssetEvent::Licensed(licence)).await?;
    Ok(())
}
