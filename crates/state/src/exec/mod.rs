//! Applying transactions to the state. An [Executor] works on an overlay over
//! a read-only base state: each transaction's writes are staged and only
//! merged when the transaction succeeds, so a refused transaction never
//! half-applies. The result of a block is one [WriteSet] and the access
//! records it appends to the access log ([BlockWrites]).

mod access;
mod assets;
mod directory;
mod governance;
mod identity;
mod notary;
mod permissions;

use crate::{
    error::TxError,
    store::{Store, StoreError, WriteSet},
};
use commonware_codec::{Copying, Decode, Encode, Read};
use commonware_runtime::{Clock, Metrics, Storage};
use dirchain_types::{
    block::BlockContext,
    bounded::Ident,
    domain::Role,
    ids::{ChannelId, Digest, OrgId, PublicKey, SYSTEM_CHANNEL},
    keys::{self, StateKey},
    records::{Account, Channel, ChannelUsage, Consortium, Member, Org, Refusal},
    tx::{Payload, SignedTx, TxKind, check_signatures},
};
use std::{
    collections::{BTreeMap, HashMap},
    hash::{BuildHasherDefault, Hasher},
};

/// Read access to a committed state.
pub trait StateRead {
    fn read(
        &self,
        key: &StateKey,
    ) -> impl std::future::Future<Output = Result<Option<Vec<u8>>, StoreError>>;
}

impl<E: Storage + Clock + Metrics> StateRead for Store<E> {
    async fn read(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(key).await
    }
}

/// A plain map as state: for tests and tools that need no authentication.
impl StateRead for BTreeMap<StateKey, Vec<u8>> {
    async fn read(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(key).cloned())
    }
}

/// A transaction whose signature has been checked, with its hash computed
/// once. Only [verify_txs] makes one, so execution cannot skip the check.
#[derive(Clone, Debug)]
pub struct VerifiedTx {
    tx: SignedTx,
    hash: Digest,
}

impl VerifiedTx {
    pub fn hash(&self) -> Digest {
        self.hash
    }
    pub fn tx(&self) -> &SignedTx {
        &self.tx
    }
    pub fn into_inner(self) -> SignedTx {
        self.tx
    }
}

/// Checks the signatures of `txs` in one batch over `strategy`; a bad one
/// is reported as [TxError::BadSignature] in its position.
pub fn verify_txs_with(
    txs: Vec<SignedTx>,
    rng: &mut impl rand_core::CryptoRng,
    strategy: &impl commonware_parallel::Strategy,
) -> Vec<Result<VerifiedTx, TxError>> {
    let verdicts = check_signatures(&txs, rng, strategy);
    txs.into_iter()
        .zip(verdicts)
        .map(|(tx, hash)| match hash {
            Some(hash) => Ok(VerifiedTx { tx, hash }),
            None => Err(TxError::BadSignature),
        })
        .collect()
}

/// [verify_txs_with] on the calling thread.
pub fn verify_txs(
    txs: Vec<SignedTx>,
    rng: &mut impl rand_core::CryptoRng,
) -> Vec<Result<VerifiedTx, TxError>> {
    verify_txs_with(txs, rng, &commonware_parallel::Sequential)
}

/// Decodes a transaction received from outside (API, gossip), refusing
/// oversized or malformed input with the same typed error execution uses.
pub fn decode_tx(bytes: &[u8]) -> Result<SignedTx, TxError> {
    SignedTx::decode_untrusted(bytes).map_err(|e| TxError::Malformed(e.to_string()))
}

/// What a transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// The access attempt was refused, and the refusal recorded.
    AccessRefused(Refusal),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub tx: Digest,
    pub index: u32,
    pub kind: TxKind,
    pub outcome: Outcome,
}

/// The roles that may submit each kind. Finer checks (which organisation)
/// are made by the rule itself.
fn allowed_roles(kind: TxKind) -> &'static [Role] {
    use Role::*;
    match kind {
        TxKind::Propose | TxKind::Vote | TxKind::Enroll | TxKind::RevokeMember => &[Admin],
        TxKind::RotateKey => Role::ALL,
        TxKind::DeclareDuty | TxKind::PublishCatalogItem | TxKind::RetireCatalogItem => {
            &[Publisher]
        }
        TxKind::RequestAccess => &[Consumer],
        TxKind::DecideAccess => &[Steward],
        TxKind::RevokePermission => &[Steward, Consumer],
        TxKind::RecordAccess => &[Gateway, Consumer],
        TxKind::Notarize => &[Notary],
        TxKind::RegisterAsset | TxKind::TransferAsset | TxKind::LicenseAsset => &[Publisher],
        TxKind::AppraiseAsset => &[Publisher, Steward, Auditor],
    }
}

/// The authenticated sender of the transaction being applied.
pub(crate) struct Signer {
    pub key: PublicKey,
    pub member: Member,
}

impl Signer {
    pub fn org(&self) -> &OrgId {
        &self.member.org
    }
    pub fn role(&self) -> Role {
        self.member.role
    }
}

/// Everything a rule needs to know about the transaction it applies.
pub(crate) struct TxEnv {
    pub hash: Digest,
    pub channel: ChannelId,
    pub signer: Signer,
}

pub struct Executor<'a, R> {
    base: &'a R,
    chain_id: Ident,
    ctx: BlockContext,
    /// Writes of the transactions applied so far in this block; sorted into
    /// a [WriteSet] once, when the block is done.
    committed: DigestMap<Option<Vec<u8>>>,
    /// Writes of the transaction being applied (rules only set, never delete).
    staged: Vec<(StateKey, Vec<u8>)>,
    /// Access records of the transactions applied so far, in order.
    appends: Vec<Vec<u8>>,
    /// The access record of the transaction being applied, if it records one.
    staged_append: Option<Vec<u8>>,
    /// Base reads, so a block reads each record from storage at most once.
    /// Never iterated, so its order cannot leak into execution.
    cache: DigestMap<Option<Vec<u8>>>,
    /// Channel bytes added by the transaction being applied, counted only
    /// when its channel has a storage quota (counting costs a read).
    staged_bytes: Option<i64>,
    next_index: u32,
}

impl<'a, R: StateRead> Executor<'a, R> {
    pub fn new(base: &'a R, chain_id: Ident, ctx: BlockContext) -> Self {
        Self {
            base,
            chain_id,
            ctx,
            committed: DigestMap::default(),
            staged: Vec::new(),
            appends: Vec::new(),
            staged_append: None,
            cache: DigestMap::default(),
            staged_bytes: None,
            next_index: 0,
        }
    }

    /// The writes and access records of every transaction applied so far.
    pub fn finish(self) -> BlockWrites {
        BlockWrites {
            writes: self.committed.into_iter().collect(),
            appends: self.appends,
        }
    }

    /// Applies one transaction: on success its writes join the block, on
    /// error nothing of it remains.
    pub async fn apply(&mut self, vtx: &VerifiedTx) -> Result<Receipt, TxError> {
        self.staged.clear();
        self.staged_append = None;
        self.staged_bytes = None;
        match self.apply_staged(vtx).await {
            Ok(outcome) => {
                self.committed
                    .extend(self.staged.drain(..).map(|(k, v)| (k, Some(v))));
                self.appends.extend(self.staged_append.take());
                let receipt = Receipt {
                    tx: vtx.hash,
                    index: self.next_index,
                    kind: vtx.tx.tx.payload.kind(),
                    outcome,
                };
                self.next_index += 1;
                Ok(receipt)
            }
            Err(err) => {
                self.staged.clear();
                self.staged_append = None;
                Err(err)
            }
        }
    }

    /// The checks a transaction must pass before it can be put in a block
    /// ([Ledger::precheck](crate::Ledger::precheck)): the same as execution's
    /// up to the rule itself, except that a nonce ahead of the signer's next
    /// one is allowed (earlier ones may still be pending). Returns the
    /// signer's next nonce.
    pub async fn precheck(mut self, vtx: &VerifiedTx) -> Result<u64, TxError> {
        let tx = &vtx.tx.tx;
        let (account, member) = self.authorize(vtx, false).await?;
        self.check_channel(tx.payload.kind(), &tx.channel, &member.org)
            .await?;
        Ok(account.next_nonce)
    }

    /// Chain, nonce, signer, organisation and role checks.
    async fn authorize(
        &mut self,
        vtx: &VerifiedTx,
        exact_nonce: bool,
    ) -> Result<(Account, Member), TxError> {
        let tx = &vtx.tx.tx;
        let kind = tx.payload.kind();
        if tx.chain_id != self.chain_id {
            return Err(TxError::WrongChain {
                expected: self.chain_id.to_string(),
                got: tx.chain_id.to_string(),
            });
        }

        let account: Account = self
            .load(&keys::account_key(&tx.signer))
            .await?
            .unwrap_or_default();
        if tx.nonce < account.next_nonce {
            return Err(TxError::StaleNonce {
                expected: account.next_nonce,
                got: tx.nonce,
            });
        }
        if exact_nonce && tx.nonce > account.next_nonce {
            return Err(TxError::FutureNonce {
                expected: account.next_nonce,
                got: tx.nonce,
            });
        }

        let member: Member = self
            .load(&keys::member_key(&tx.signer))
            .await?
            .ok_or(TxError::UnknownSigner)?;
        if member.revoked.is_some() {
            return Err(TxError::KeyRevoked);
        }
        if member.expires_at <= self.ctx.timestamp_ms {
            return Err(TxError::KeyExpired {
                expires_at: member.expires_at,
            });
        }
        let active = match self.lookup(&keys::org_key(&member.org)).await? {
            Some(bytes) => {
                Org::read_active(bytes).map_err(|e| TxError::CorruptState(e.to_string()))?
            }
            None => false,
        };
        if !active {
            return Err(TxError::OrgInactive(member.org.to_string()));
        }
        if !allowed_roles(kind).contains(&member.role) {
            return Err(TxError::WrongRole {
                kind,
                role: member.role,
            });
        }
        Ok((account, member))
    }

    async fn apply_staged(&mut self, vtx: &VerifiedTx) -> Result<Outcome, TxError> {
        let tx = &vtx.tx.tx;
        let kind = tx.payload.kind();
        let (account, member) = self.authorize(vtx, true).await?;
        let account_key = keys::account_key(&tx.signer);

        let channel = self.check_channel(kind, &tx.channel, &member.org).await?;
        if channel.is_some() {
            self.staged_bytes = Some(0);
        }

        self.store(
            account_key,
            &Account {
                next_nonce: account.next_nonce + 1,
            },
        );

        let env = TxEnv {
            hash: vtx.hash,
            channel: tx.channel.clone(),
            signer: Signer {
                key: tx.signer.clone(),
                member,
            },
        };
        let outcome = self.dispatch(&env, &tx.payload).await?;

        if let (Some(mut channel), Some(added)) = (channel, self.staged_bytes)
            && added != 0
        {
            let used = (channel.bytes_used as i64 + added).max(0) as u64;
            if added > 0 && used > channel.max_bytes {
                return Err(TxError::QuotaExceeded {
                    channel: channel.id.to_string(),
                    what: "bytes stored",
                });
            }
            channel.bytes_used = used;
            self.store(keys::channel_key(&channel.id), &channel);
        }
        Ok(outcome)
    }

    /// Checks the channel rules and counts the transaction against the
    /// channel's per-block quota. Returns the channel when it has quotas.
    async fn check_channel(
        &mut self,
        kind: TxKind,
        channel_id: &ChannelId,
        org: &OrgId,
    ) -> Result<Option<Channel>, TxError> {
        let is_system = channel_id.as_str() == SYSTEM_CHANNEL;
        if kind.is_consortium() {
            if !is_system {
                return Err(TxError::WrongChannel { kind });
            }
            return Ok(None);
        }
        // Every active organisation is a member of the system channel.
        if is_system {
            return Ok(None);
        }
        let channel: Channel = self
            .load(&keys::channel_key(channel_id))
            .await?
            .ok_or_else(|| TxError::UnknownChannel(channel_id.to_string()))?;
        if !channel.members.contains(org) {
            return Err(TxError::NotChannelMember {
                org: org.to_string(),
                channel: channel_id.to_string(),
            });
        }
        if channel.max_txs_per_block != 0 {
            let usage_key = keys::channel_usage_key(channel_id);
            let usage: Option<ChannelUsage> = self.load(&usage_key).await?;
            let used = match usage {
                Some(u) if u.height == self.ctx.height => u.txs,
                _ => 0,
            };
            if used >= channel.max_txs_per_block {
                return Err(TxError::QuotaExceeded {
                    channel: channel_id.to_string(),
                    what: "transactions per block",
                });
            }
            self.store(
                usage_key,
                &ChannelUsage {
                    height: self.ctx.height,
                    txs: used + 1,
                },
            );
        }
        if channel.max_bytes == 0 {
            return Ok(None);
        }
        Ok(Some(channel))
    }

    async fn dispatch(&mut self, env: &TxEnv, payload: &Payload) -> Result<Outcome, TxError> {
        match payload {
            Payload::Propose(p) => governance::propose(self, env, p).await,
            Payload::Vote(p) => governance::vote(self, env, p).await,
            Payload::Enroll(p) => identity::enroll(self, env, p).await,
            Payload::RevokeMember(p) => identity::revoke(self, env, p).await,
            Payload::RotateKey(p) => identity::rotate(self, env, p).await,
            Payload::DeclareDuty(p) => directory::declare_duty(self, env, p).await,
            Payload::PublishCatalogItem(p) => directory::publish(self, env, p).await,
            Payload::RetireCatalogItem(p) => directory::retire(self, env, p).await,
            Payload::RequestAccess(p) => permissions::request(self, env, p).await,
            Payload::DecideAccess(p) => permissions::decide(self, env, p).await,
            Payload::RevokePermission(p) => permissions::revoke(self, env, p).await,
            Payload::RecordAccess(p) => access::record(self, env, p).await,
            Payload::Notarize(p) => notary::notarize(self, env, p).await,
            Payload::RegisterAsset(p) => assets::register(self, env, p).await,
            Payload::AppraiseAsset(p) => assets::appraise(self, env, p).await,
            Payload::TransferAsset(p) => assets::transfer(self, env, p).await,
            Payload::LicenseAsset(p) => assets::license(self, env, p).await,
        }
        .map(|()| Outcome::Applied)
        .or_else(|err| match err {
            RuleOutcome::Refused(refusal) => Ok(Outcome::AccessRefused(refusal)),
            RuleOutcome::Error(err) => Err(err),
        })
    }

    /// The current bytes of `key`, read from storage at most once per block.
    pub(crate) async fn lookup(&mut self, key: &StateKey) -> Result<Option<&[u8]>, TxError> {
        if let Some(i) = self.staged.iter().position(|(k, _)| k == key) {
            return Ok(Some(&self.staged[i].1));
        }
        if !self.committed.contains_key(key) && !self.cache.contains_key(key) {
            let value = self.base.read(key).await?;
            self.cache.insert(*key, value);
        }
        let value = self
            .committed
            .get(key)
            .or_else(|| self.cache.get(key))
            .expect("filled above");
        Ok(value.as_deref())
    }

    /// Stages a write of the transaction being applied. A transaction
    /// writes a handful of records, so a vector beats a map here.
    fn stage(&mut self, key: StateKey, value: Vec<u8>) {
        match self.staged.iter_mut().find(|(k, _)| *k == key) {
            Some((_, old)) => *old = value,
            None => self.staged.push((key, value)),
        }
    }

    /// Reads and decodes a record.
    pub(crate) async fn load<T: Read<Cfg = ()>>(
        &mut self,
        key: &StateKey,
    ) -> Result<Option<T>, TxError> {
        match self.lookup(key).await? {
            None => Ok(None),
            Some(bytes) => T::decode_cfg(Copying(bytes), &())
                .map(Some)
                .map_err(|e| TxError::CorruptState(e.to_string())),
        }
    }

    /// Reads a record that must exist.
    pub(crate) async fn require<T: Read<Cfg = ()>>(
        &mut self,
        key: &StateKey,
        what: &'static str,
        id: &impl std::fmt::Display,
    ) -> Result<T, TxError> {
        self.load(key).await?.ok_or_else(|| TxError::NotFound {
            what,
            id: id.to_string(),
        })
    }

    /// Stages a consortium-wide record.
    pub(crate) fn store(&mut self, key: StateKey, value: &impl Encode) {
        self.stage(key, encode_vec(value));
    }

    /// Stages a channel record, counting its growth against the channel's
    /// storage quota if it has one.
    pub(crate) async fn store_in_channel(
        &mut self,
        key: StateKey,
        value: &impl Encode,
    ) -> Result<(), TxError> {
        let bytes = encode_vec(value);
        if let Some(added) = self.staged_bytes {
            let old = self.lookup(&key).await?.map_or(0, <[u8]>::len) as i64;
            self.staged_bytes = Some(added + bytes.len() as i64 - old);
        }
        self.stage(key, bytes);
        Ok(())
    }

    /// Stages the transaction's access record for the access log, counting it against the
    /// channel's storage quota if it has one (a record is never replaced, so all of it counts).
    pub(crate) fn append_in_channel(&mut self, value: &impl Encode) {
        let bytes = encode_vec(value);
        if let Some(added) = self.staged_bytes {
            self.staged_bytes = Some(added + bytes.len() as i64);
        }
        self.staged_append = Some(bytes);
    }

    pub(crate) async fn consortium(&mut self) -> Result<Consortium, TxError> {
        self.load(&keys::consortium_key())
            .await?
            .ok_or_else(|| TxError::CorruptState("no consortium record: genesis missing".into()))
    }

    pub(crate) fn now(&self) -> u64 {
        self.ctx.timestamp_ms
    }

    pub(crate) fn height(&self) -> u64 {
        self.ctx.height
    }
}

/// Encodes straight into the vector the state stores.
fn encode_vec(value: &impl Encode) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(value.encode_size());
    value.write(&mut bytes);
    bytes
}

/// A map keyed by state keys that is only looked up, never iterated in an
/// order that could reach the state.
type DigestMap<V> = HashMap<StateKey, V, BuildHasherDefault<DigestHasher>>;

/// State keys are SHA-256 outputs, already uniform: their first eight bytes
/// are a good hash, with none of SipHash's cost.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let len = bytes.len().min(8);
        word[..len].copy_from_slice(&bytes[..len]);
        self.0 ^= u64::from_le_bytes(word);
    }
}

/// A rule either applies, refuses an access (which is recorded, not an
/// error), or rejects the transaction.
pub(crate) enum RuleOutcome {
    Refused(Refusal),
    Error(TxError),
}

impl From<TxError> for RuleOutcome {
    fn from(err: TxError) -> Self {
        RuleOutcome::Error(err)
    }
}

impl From<StoreError> for RuleOutcome {
    fn from(err: StoreError) -> Self {
        RuleOutcome::Error(err.into())
    }
}

pub(crate) type RuleResult = Result<(), RuleOutcome>;

/// What a block changes: its writes to the state and the access records it
/// appends to the access log (encoded [LoggedAccess](dirchain_types::records::LoggedAccess)es, in
/// transaction order).
#[derive(Debug, Default)]
pub struct BlockWrites {
    pub writes: WriteSet,
    pub appends: Vec<Vec<u8>>,
}

/// The result of executing a block.
#[derive(Debug)]
pub struct BlockExecution {
    pub writes: BlockWrites,
    pub receipts: Vec<Receipt>,
}

/// Executes a block whose transactions must all be valid: the first one that
/// is not makes the whole block invalid (a validator votes against it).
pub async fn execute_block<R: StateRead>(
    base: &R,
    chain_id: Ident,
    ctx: BlockContext,
    txs: &[VerifiedTx],
) -> Result<BlockExecution, (usize, TxError)> {
    let mut executor = Executor::new(base, chain_id, ctx);
    let mut receipts = Vec::with_capacity(txs.len());
    for (i, tx) in txs.iter().enumerate() {
        receipts.push(executor.apply(tx).await.map_err(|e| (i, e))?);
    }
    Ok(BlockExecution {
        writes: executor.finish(),
        receipts,
    })
}

#[cfg(test)]
mod tests;
