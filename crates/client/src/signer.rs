//! Signing transactions: a member key bound to one chain and a channel.

use crate::input::{self, FieldError};
use commonware_cryptography::Signer as _;
use dirchain_types::{
    bounded::Ident,
    genesis::Genesis,
    ids::{ChannelId, PrivateKey, PublicKey, system_channel},
    tx::{Payload, SignedTx, Transaction},
};

/// Signs transactions with one key for one chain, in one channel (the
/// system channel `main` unless told otherwise).
#[derive(Clone)]
pub struct Signer {
    key: PrivateKey,
    public_key: PublicKey,
    chain_id: Ident,
    channel: ChannelId,
}

impl Signer {
    /// A signer for the chain named `chain_id`, in the system channel.
    pub fn new(key: PrivateKey, chain_id: &str) -> Result<Self, FieldError> {
        let chain_id = input::ident("chain_id", chain_id)?;
        Ok(Self::with_chain_id(key, chain_id))
    }

    /// A signer for the chain `genesis` founds, in the system channel.
    pub fn for_genesis(key: PrivateKey, genesis: &Genesis) -> Self {
        Self::with_chain_id(key, genesis.chain_id.clone())
    }

    fn with_chain_id(key: PrivateKey, chain_id: Ident) -> Self {
        Self {
            public_key: key.public_key(),
            key,
            chain_id,
            channel: system_channel(),
        }
    }

    /// The same key in another channel (tenant).
    pub fn in_channel(&self, channel: &str) -> Result<Self, FieldError> {
        Ok(Self {
            channel: input::ident("channel", channel)?,
            ..self.clone()
        })
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    pub fn chain_id(&self) -> &Ident {
        &self.chain_id
    }

    pub fn channel(&self) -> &ChannelId {
        &self.channel
    }

    /// The unsigned transaction. Governance and identity kinds change the
    /// consortium and are only valid in the system channel, so they go there
    /// whatever this signer's channel.
    pub fn transaction(&self, payload: impl Into<Payload>, nonce: u64) -> Transaction {
        let payload = payload.into();
        let channel = if payload.kind().is_consortium() {
            system_channel()
        } else {
            self.channel.clone()
        };
        Transaction {
            chain_id: self.chain_id.clone(),
            channel,
            signer: self.public_key.clone(),
            nonce,
            payload,
        }
    }

    /// The signed transaction carrying `payload` with `nonce`.
    pub fn sign(&self, payload: impl Into<Payload>, nonce: u64) -> SignedTx {
        self.transaction(payload, nonce).sign(&self.key)
    }
}

/// Never prints the private key.
impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("public_key", &self.public_key)
            .field("chain_id", &self.chain_id)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;
    use dirchain_types::{ids::SYSTEM_CHANNEL, samples};

    #[test]
    fn signed_transactions_verify_and_carry_chain_channel_and_nonce() {
        let key = PrivateKey::from_seed(5);
        let signer = Signer::new(key.clone(), "dirchain-test").unwrap();
        for payload in samples::payloads() {
            let tx = signer.sign(payload.clone(), 7);
            assert!(tx.verify_signature());
            assert_eq!(tx.tx.signer, key.public_key());
            assert_eq!(tx.tx.chain_id.as_str(), "dirchain-test");
            assert_eq!(tx.tx.channel.as_str(), SYSTEM_CHANNEL);
            assert_eq!(tx.tx.nonce, 7);
            assert_eq!(tx.tx.payload, payload);
        }
    }

    #[test]
    fn domain_kinds_go_to_the_signer_channel_consortium_kinds_to_main() {
        let signer = Signer::new(PrivateKey::from_seed(5), "c")
            .unwrap()
            .in_channel("research")
            .unwrap();
        for payload in samples::payloads() {
            let kind = payload.kind();
            let tx = signer.sign(payload, 0);
            let expected = if kind.is_consortium() {
                SYSTEM_CHANNEL
            } else {
                "research"
            };
            assert_eq!(tx.tx.channel.as_str(), expected, "{kind}");
        }
    }

    #[test]
    fn bad_chain_or_channel_names_are_field_errors() {
        let key = PrivateKey::from_seed(5);
        assert_eq!(
            Signer::new(key.clone(), "").unwrap_err().field(),
            "chain_id"
        );
        let signer = Signer::new(key, "c").unwrap();
        assert_eq!(signer.in_channel("a b").unwrap_err().field(), "channel");
    }

    #[test]
    fn genesis_names_the_chain_and_debug_hides_the_key() {
        let genesis = dirchain_state::testkit::genesis();
        let signer = Signer::for_genesis(PrivateKey::from_seed(1), &genesis);
        assert_eq!(signer.chain_id(), &genesis.chain_id);
        let shown = format!("{signer:?}");
        assert!(shown.contains("public_key"));
        let secret = commonware_formatting::hex(&PrivateKey::from_seed(1).encode());
        assert!(!shown.contains(&secret));
    }
}
