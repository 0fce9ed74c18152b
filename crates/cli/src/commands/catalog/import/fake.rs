//! A scripted chain for the import's tests: a mempool that orders each
//! signer's nonces as the node's does, and blocks that apply the catalog
//! rule, dropping a transaction the rule refuses (its nonce stays free).
//! Each look at the account makes one block.

use super::node::Node;
use crate::commands::catalog::rules;
use dirchain_client::{
    ClientError,
    draft::{FieldDraft, PublishItemDraft},
    schema::{
        chain::Account,
        records::{CatalogQuery, ItemView, Page, page_limit},
    },
};
use dirchain_types::{
    bounded::Ident,
    ids::{ChannelId, KeyBytes, PublicKey},
    records::{Item, ItemVersion, Revocation},
    tx::{Payload, PublishCatalogItem, SignedTx},
};
use std::{
    cell::RefCell,
    collections::{BTreeMap, HashSet},
};

/// How far past the next nonce the node takes transactions.
const MAX_AHEAD: u64 = 1024;

pub struct FakeChain {
    state: RefCell<State>,
}

#[derive(Default)]
pub struct State {
    /// The signer's organisation.
    pub org: String,
    /// Declared duties and their organisations.
    pub duties: Vec<(String, String)>,
    /// Item id -> owner and current version.
    pub items: BTreeMap<String, (String, PublishCatalogItem, bool)>,
    pub next_nonce: u64,
    pub mempool: BTreeMap<u64, SignedTx>,
    /// Submissions answered `busy` before one is taken.
    pub busy: usize,
    /// Every submission answered with this code.
    pub refuse_all: Option<&'static str>,
    /// No block is made.
    pub frozen: bool,
    pub accepted: usize,
    /// Items published, in order.
    pub published: Vec<(String, u32)>,
}

impl FakeChain {
    pub fn new(org: &str, duties: &[&str]) -> Self {
        Self {
            state: RefCell::new(State {
                org: org.into(),
                duties: duties.iter().map(|d| (d.to_string(), org.into())).collect(),
                ..State::default()
            }),
        }
    }

    pub fn state(&self) -> std::cell::RefMut<'_, State> {
        self.state.borrow_mut()
    }

    /// An item already on chain, owned by `org`.
    pub fn holds(&self, org: &str, item: PublishCatalogItem, retired: bool) {
        let id = item.id.to_string();
        self.state().items.insert(id, (org.into(), item, retired));
    }

    /// One block: the pending transactions from the next nonce on, in order,
    /// until a gap; one the rule refuses is dropped and ends the block.
    fn block(&self) {
        let state = &mut *self.state();
        if state.frozen {
            return;
        }
        while let Some(tx) = state.mempool.remove(&state.next_nonce) {
            let Payload::PublishCatalogItem(item) = tx.tx.payload else {
                panic!("an import sends only catalog items");
            };
            let id = item.id.to_string();
            let refused = match state.items.get(&id) {
                Some((owner, current, retired)) => {
                    owner != &state.org || *retired || current.version >= item.version
                }
                None => false,
            };
            if refused {
                return;
            }
            state.published.push((id.clone(), item.version));
            let org = state.org.clone();
            state.items.insert(id, (org, item, false));
            state.next_nonce += 1;
        }
    }

    fn account_now(&self, key: &PublicKey) -> Account {
        let state = self.state();
        let mut free = state.next_nonce;
        while state.mempool.contains_key(&free) {
            free += 1;
        }
        Account {
            public_key: key.to_string(),
            next_nonce: state.next_nonce,
            next_free_nonce: free,
        }
    }
}

fn refusal(code: &str) -> anyhow::Error {
    ClientError::Api {
        status: 409,
        code: code.into(),
        message: format!("refused: {code}"),
    }
    .into()
}

fn item_version(org: &str, item: &PublishCatalogItem) -> ItemVersion {
    ItemVersion {
        id: item.id.clone(),
        version: item.version,
        org: Ident::new(org).unwrap(),
        publisher: KeyBytes::new([1; 32]),
        published_at: 0,
        title: item.title.clone(),
        description: item.description.clone(),
        duties: item.duties.clone(),
        fields: item.fields.clone(),
        share_class: item.share_class,
        open_class: item.open_class,
        update_frequency: item.update_frequency,
        format: item.format.clone(),
    }
}

impl Node for FakeChain {
    async fn account(&self, key: &PublicKey) -> anyhow::Result<Account> {
        self.block();
        Ok(self.account_now(key))
    }

    async fn submit(&self, tx: &SignedTx) -> anyhow::Result<()> {
        let state = &mut *self.state();
        if let Some(code) = state.refuse_all {
            return Err(refusal(code));
        }
        if state.busy > 0 {
            state.busy -= 1;
            return Err(refusal("busy"));
        }
        let nonce = tx.tx.nonce;
        if nonce < state.next_nonce {
            return Err(refusal("stale_nonce"));
        }
        if nonce > state.next_nonce + MAX_AHEAD {
            return Err(refusal("future_nonce"));
        }
        match state.mempool.get(&nonce) {
            Some(pending) if pending.hash() == tx.hash() => Ok(()),
            Some(_) => Err(refusal("nonce_taken")),
            None => {
                state.mempool.insert(nonce, tx.clone());
                state.accepted += 1;
                Ok(())
            }
        }
    }

    async fn item(&self, _: &ChannelId, id: &Ident) -> anyhow::Result<Option<Item>> {
        let state = self.state();
        Ok(state
            .items
            .get(id.as_str())
            .map(|(org, item, retired)| Item {
                retired: retired.then(|| Revocation {
                    at: 0,
                    by: KeyBytes::new([1; 32]),
                    reason: Default::default(),
                }),
                current: item_version(org, item),
            }))
    }

    async fn org_of(&self, _: &PublicKey) -> anyhow::Result<Option<String>> {
        Ok(Some(self.state().org.clone()))
    }

    async fn duty_org(&self, _: &ChannelId, id: &Ident) -> anyhow::Result<Option<String>> {
        let state = self.state();
        Ok(state
            .duties
            .iter()
            .find(|(duty, _)| duty == id.as_str())
            .map(|(_, org)| org.clone()))
    }

    /// Pages of the items of `query.org`; the cursor is an offset.
    async fn catalog(&self, query: &CatalogQuery) -> anyhow::Result<Page<ItemView>> {
        let state = self.state();
        let channel = Ident::new("main").unwrap();
        let matching: Vec<ItemView> = state
            .items
            .values()
            .filter(|(org, _, _)| query.org.as_ref().is_none_or(|q| q == org))
            .filter(|(_, _, retired)| query.include_retired == Some(true) || !retired)
            .map(|(org, item, retired)| {
                let record = Item {
                    retired: retired.then(|| Revocation {
                        at: 0,
                        by: KeyBytes::new([1; 32]),
                        reason: Default::default(),
                    }),
                    current: item_version(org, item),
                };
                ItemView::from_record(&channel, &record)
            })
            .collect();
        let start: usize = query.cursor.as_deref().map_or(0, |c| c.parse().unwrap());
        let end = (start + page_limit(query.limit) as usize).min(matching.len());
        Ok(Page {
            items: matching[start..end].to_vec(),
            next_cursor: (end < matching.len()).then(|| end.to_string()),
            indexed_height: 0,
        })
    }
}

/// Every distinct item id the chain holds.
pub fn ids(chain: &FakeChain) -> HashSet<String> {
    chain.state().items.keys().cloned().collect()
}

/// A good draft of item `id` at `version`, serving duty `health/statistics`.
pub fn draft(id: &str, version: u32) -> PublishItemDraft {
    PublishItemDraft {
        id: id.into(),
        title: format!("Item {id}"),
        description: String::new(),
        duties: vec!["health/statistics".into()],
        fields: vec![FieldDraft {
            name: "district".into(),
            field_type: "text".into(),
            sensitivity: "public".into(),
        }],
        share_class: "conditional".into(),
        open_class: "closed".into(),
        update_frequency: "monthly".into(),
        format: "csv".into(),
        version,
    }
}

/// The payload of [draft].
pub fn item(id: &str, version: u32) -> PublishCatalogItem {
    rules::build(&draft(id, version)).unwrap()
}
