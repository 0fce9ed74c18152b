//! Proposals and votes: the only way the consortium itself changes.

use super::{Executor, RuleResult, StateRead, TxEnv};
use crate::error::{TxError, invalid};
use dirchain_types::{
    bounded::List,
    ids::SYSTEM_CHANNEL,
    ids::key_bytes,
    keys,
    records::{Channel, Consortium, Member, Org, Proposal, ProposalStatus},
    tx::{Action, Param, Propose, Title, Vote},
};

pub(super) async fn propose<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    p: &Propose,
) -> RuleResult {
    let consortium = ex.consortium().await?;
    // Refuse at once what could not apply now; it is checked again at apply
    // time, since the consortium may change while the vote runs.
    check_action(ex, &consortium, &p.action).await?;
    let now = ex.now();
    let mut proposal = Proposal {
        id: env.hash,
        action: p.action.clone(),
        proposer: key_bytes(&env.signer.key),
        proposer_org: env.signer.org().clone(),
        created_at: now,
        expires_at: now.saturating_add(consortium.params.proposal_ttl_ms),
        yes: List::new(vec![env.signer.org().clone()]).expect("one entry"),
        no: List::default(),
        status: ProposalStatus::Open,
        note: Title::default(),
    };
    settle(ex, consortium, &mut proposal).await?;
    ex.store(keys::proposal_key(&env.hash), &proposal);
    Ok(())
}

pub(super) async fn vote<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    v: &Vote,
) -> RuleResult {
    let key = keys::proposal_key(&v.proposal);
    let mut proposal: Proposal = ex.require(&key, "proposal", &v.proposal).await?;
    if proposal.status != ProposalStatus::Open {
        return Err(TxError::ProposalClosed(v.proposal).into());
    }
    if ex.now() >= proposal.expires_at {
        return Err(TxError::ProposalExpired {
            id: v.proposal,
            expires_at: proposal.expires_at,
        }
        .into());
    }
    let org = env.signer.org();
    if proposal.yes.contains(org) || proposal.no.contains(org) {
        return Err(TxError::AlreadyVoted(org.to_string()).into());
    }
    let side = if v.approve {
        &mut proposal.yes
    } else {
        &mut proposal.no
    };
    let mut votes = std::mem::take(side).into_vec();
    votes.push(org.clone());
    *side = List::new(votes).map_err(|e| invalid(e.to_string()))?;
    let consortium = ex.consortium().await?;
    settle(ex, consortium, &mut proposal).await?;
    ex.store(key, &proposal);
    Ok(())
}

/// Applies or rejects the proposal once its votes decide it.
async fn settle<R: StateRead>(
    ex: &mut Executor<'_, R>,
    consortium: Consortium,
    proposal: &mut Proposal,
) -> Result<(), TxError> {
    if proposal.yes.len() as u32 >= consortium.threshold {
        match apply_action(ex, consortium, &proposal.action).await {
            Ok(()) => proposal.status = ProposalStatus::Applied,
            Err(TxError::InvalidAction(why)) => {
                proposal.status = ProposalStatus::Failed;
                proposal.note = truncated_title(&why);
            }
            Err(other) => return Err(other),
        }
    } else if proposal.no.len() as u32 > consortium.org_count.saturating_sub(consortium.threshold) {
        // Too many organisations said no for the threshold ever to be met.
        proposal.status = ProposalStatus::Rejected;
    }
    Ok(())
}

fn truncated_title(text: &str) -> Title {
    let mut end = text.len().min(dirchain_types::limits::MAX_TITLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Title::new(&text[..end]).unwrap_or_default()
}

fn refuse(why: impl Into<String>) -> TxError {
    TxError::InvalidAction(why.into())
}

/// Whether `action` could be applied to the consortium as it is now.
async fn check_action<R: StateRead>(
    ex: &mut Executor<'_, R>,
    consortium: &Consortium,
    action: &Action,
) -> Result<(), TxError> {
    match action {
        Action::AddOrg { org, admin_key, .. } => {
            if ex.load::<Org>(&keys::org_key(org)).await?.is_some() {
                return Err(refuse(format!("organisation {org:?} already exists")));
            }
            if ex
                .load::<Member>(&keys::member_key(admin_key))
                .await?
                .is_some()
            {
                return Err(refuse("the admin key is already enrolled"));
            }
        }
        Action::RemoveOrg { org } => {
            let record: Option<Org> = ex.load(&keys::org_key(org)).await?;
            if !record.is_some_and(|o| o.active) {
                return Err(refuse(format!(
                    "organisation {org:?} is not an active member"
                )));
            }
            if consortium.threshold > consortium.org_count - 1 {
                return Err(refuse(
                    "removing the organisation would leave fewer members than the threshold; lower the threshold first",
                ));
            }
        }
        Action::AddValidator { key } => {
            if consortium.validators.contains(&key_bytes(key)) {
                return Err(refuse("the key is already a validator"));
            }
            if consortium.validators.len() >= dirchain_types::limits::MAX_VALIDATORS {
                return Err(refuse("the validator set is full"));
            }
        }
        Action::RemoveValidator { key } => {
            if !consortium.validators.contains(&key_bytes(key)) {
                return Err(refuse("the key is not a validator"));
            }
            if consortium.validators.len() == 1 {
                return Err(refuse("the last validator cannot be removed"));
            }
        }
        Action::SetThreshold { threshold } => {
            if *threshold == 0 || *threshold > consortium.org_count {
                return Err(refuse(format!(
                    "threshold must be between 1 and the {} member organisations",
                    consortium.org_count
                )));
            }
        }
        Action::SetParam { value, .. } => {
            if *value == 0 {
                return Err(refuse("a parameter must be positive"));
            }
        }
        Action::CreateChannel {
            channel, members, ..
        } => {
            if channel.as_str() == SYSTEM_CHANNEL
                || ex
                    .load::<Channel>(&keys::channel_key(channel))
                    .await?
                    .is_some()
            {
                return Err(refuse(format!("channel {channel:?} already exists")));
            }
            if members.is_empty() {
                return Err(refuse("a channel needs at least one member"));
            }
            for org in members.iter() {
                let record: Option<Org> = ex.load(&keys::org_key(org)).await?;
                if !record.is_some_and(|o| o.active) {
                    return Err(refuse(format!(
                        "organisation {org:?} is not an active member"
                    )));
                }
            }
        }
    }
    Ok(())
}

async fn apply_action<R: StateRead>(
    ex: &mut Executor<'_, R>,
    mut consortium: Consortium,
    action: &Action,
) -> Result<(), TxError> {
    check_action(ex, &consortium, action).await?;
    let now = ex.now();
    match action {
        Action::AddOrg {
            org,
            name,
            admin_key,
        } => {
            ex.store(
                keys::org_key(org),
                &Org {
                    id: org.clone(),
                    name: name.clone(),
                    active: true,
                    joined_at: now,
                },
            );
            ex.store(
                keys::member_key(admin_key),
                &Member::founding_admin(org, admin_key, now),
            );
            consortium.org_count += 1;
        }
        Action::RemoveOrg { org } => {
            let mut record: Org = ex.require(&keys::org_key(org), "organisation", org).await?;
            record.active = false;
            ex.store(keys::org_key(org), &record);
            consortium.org_count -= 1;
        }
        Action::AddValidator { key } => {
            let mut validators = consortium.validators.into_vec();
            validators.push(key_bytes(key));
            validators.sort();
            consortium.validators = List::new(validators).map_err(|e| refuse(e.to_string()))?;
        }
        Action::RemoveValidator { key } => {
            let mut validators = consortium.validators.into_vec();
            validators.retain(|v| *v != key_bytes(key));
            consortium.validators = List::new(validators).map_err(|e| refuse(e.to_string()))?;
        }
        Action::SetThreshold { threshold } => consortium.threshold = *threshold,
        Action::SetParam { param, value } => match param {
            Param::ProposalTtl => consortium.params.proposal_ttl_ms = *value,
            Param::MaxPermissionValidity => consortium.params.max_permission_validity_ms = *value,
        },
        Action::CreateChannel {
            channel,
            members,
            max_txs_per_block,
            max_bytes,
        } => {
            ex.store(
                keys::channel_key(channel),
                &Channel {
                    id: channel.clone(),
                    members: members.clone(),
                    max_txs_per_block: *max_txs_per_block,
                    max_bytes: *max_bytes,
                    bytes_used: 0,
                    created_at: now,
                },
            );
        }
    }
    ex.store(keys::consortium_key(), &consortium);
    Ok(())
}
