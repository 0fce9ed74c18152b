//! What an import asks of a node, as a trait: the real node through the SDK,
//! or a scripted chain in tests. Also the reading of what the chain holds
//! for the signer before anything is decided ([chain_view]).

use super::check::{ChainView, OnChain};
use crate::client::current_record;
use dirchain_client::{
    Client,
    schema::{
        chain::Account,
        records::{CatalogQuery, ItemView, MAX_LIMIT, Page},
    },
};
use dirchain_types::{
    bounded::Ident,
    ids::{ChannelId, PublicKey},
    keys::{duty_key, item_key, member_key},
    records::{Duty, Item, Member},
    tx::SignedTx,
};
use std::time::Duration;

/// The node calls of an import.
pub trait Node {
    async fn account(&self, key: &PublicKey) -> anyhow::Result<Account>;
    /// Admits the transaction to the mempool (answers at once).
    async fn submit(&self, tx: &SignedTx) -> anyhow::Result<()>;
    /// The item as the chain holds it now.
    async fn item(&self, channel: &ChannelId, id: &Ident) -> anyhow::Result<Option<Item>>;
    /// The organisation `key` is enrolled in.
    async fn org_of(&self, key: &PublicKey) -> anyhow::Result<Option<String>>;
    /// The organisation that declared a duty, if it is declared.
    async fn duty_org(&self, channel: &ChannelId, id: &Ident) -> anyhow::Result<Option<String>>;
    async fn catalog(&self, query: &CatalogQuery) -> anyhow::Result<Page<ItemView>>;
}

impl Node for Client {
    async fn account(&self, key: &PublicKey) -> anyhow::Result<Account> {
        Ok(Client::account(self, key).await?)
    }

    async fn submit(&self, tx: &SignedTx) -> anyhow::Result<()> {
        Client::submit(self, tx).await?;
        Ok(())
    }

    async fn item(&self, channel: &ChannelId, id: &Ident) -> anyhow::Result<Option<Item>> {
        current_record(self, &item_key(channel, id)).await
    }

    async fn org_of(&self, key: &PublicKey) -> anyhow::Result<Option<String>> {
        let member: Option<Member> = current_record(self, &member_key(key)).await?;
        Ok(member.map(|m| m.org.to_string()))
    }

    async fn duty_org(&self, channel: &ChannelId, id: &Ident) -> anyhow::Result<Option<String>> {
        let duty: Option<Duty> = current_record(self, &duty_key(channel, id)).await?;
        Ok(duty.map(|d| d.org.to_string()))
    }

    async fn catalog(&self, query: &CatalogQuery) -> anyhow::Result<Page<ItemView>> {
        Ok(Client::catalog(self, query).await?)
    }
}

/// Waits until no transaction of `key` is pending (an earlier, interrupted
/// import's), so the catalog read next shows everything it published.
/// Gives up quietly after `timeout`: a stuck transaction of another program
/// must not block the import; the nonces it holds are stepped over.
pub async fn settle_pending(
    node: &impl Node,
    key: &PublicKey,
    poll: Duration,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let account = node.account(key).await?;
        if account.next_free_nonce <= account.next_nonce || tokio::time::Instant::now() >= deadline
        {
            return Ok(());
        }
        tokio::time::sleep(poll).await;
    }
}

/// What the chain holds for an import by `key` into `channel`: the signer's
/// organisation, which of the duties the file names it declared there (read
/// from the state, one by one: a file names few), and every item it owns
/// there (retired ones too), read page by page from the catalog index: a
/// few hundred requests for a national catalog, whatever the file's size.
pub async fn chain_view(
    node: &impl Node,
    key: &PublicKey,
    channel: &ChannelId,
    duties: impl IntoIterator<Item = &Ident>,
) -> anyhow::Result<ChainView> {
    let Some(org) = node.org_of(key).await? else {
        anyhow::bail!("the key {key} is not enrolled in any organisation");
    };
    let mut declared = std::collections::HashSet::new();
    for duty in duties
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
    {
        if node.duty_org(channel, duty).await?.as_deref() == Some(org.as_str()) {
            declared.insert(duty.to_string());
        }
    }
    let mut query = CatalogQuery {
        org: Some(org.clone()),
        channel: Some(channel.to_string()),
        include_retired: Some(true),
        limit: Some(MAX_LIMIT),
        ..CatalogQuery::default()
    };
    let mut items = std::collections::HashMap::new();
    loop {
        let page = node.catalog(&query).await?;
        for item in page.items {
            items.insert(
                item.id,
                OnChain {
                    version: item.current.version,
                    retired: item.retired,
                },
            );
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    Ok(ChainView {
        org,
        channel: channel.to_string(),
        duties: declared,
        items,
    })
}
