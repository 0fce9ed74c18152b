//! Evidence anchoring: a digest is notarized once, and its height and time
//! are provable ever after.

use super::{Executor, RuleResult, StateRead, TxEnv};
use crate::error::TxError;
use dirchain_types::{ids::key_bytes, keys, records::NotaryRecord, tx::Notarize};

pub(super) async fn notarize<R: StateRead>(
    ex: &mut Executor<'_, R>,
    env: &TxEnv,
    n: &Notarize,
) -> RuleResult {
    let key = keys::notary_key(&env.channel, &n.digest);
    if let Some(existing) = ex.load::<NotaryRecord>(&key).await? {
        return Err(TxError::AlreadyNotarized {
            digest: n.digest,
            height: existing.height,
        }
        .into());
    }
    let record = NotaryRecord {
        digest: n.digest,
        kind: n.kind.clone(),
        meta: n.meta.clone(),
        org: env.signer.org().clone(),
        signer: key_bytes(&env.signer.key),
        tx: env.hash,
        height: ex.height(),
        at: ex.now(),
    };
    ex.store_in_channel(key, &record).await?;
    Ok(())
}
