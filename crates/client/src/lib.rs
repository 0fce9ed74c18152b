//! Rust SDK for dirchain: key files, signed transactions of every kind, the
//! node's HTTP API, and verification of blocks and state values that trusts
//! no node.
//!
//! - [keys]: key, subject-key and genesis files.
//! - [input] and [draft]: user strings into the wire format's bounded
//!   types, with errors naming the field and its limit.
//! - [Signer]: signs payloads for one chain and channel.
//! - [Client]: the node's `/v1` routes; [Client::send] signs with the next
//!   free nonce and submits.
//! - [Verifier]: checks a finalization certificate against the validator set
//!   of a genesis, and a state proof (or an access record's proof in the
//!   access log) against the certified block's state root.
//! - [notary]: a file's digest and the key of its notary record.
//!
//! # Example: stamp a document, then check the stamp without trusting the node
//!
//! ```no_run
//! use dirchain_client::{Client, Signer, Verifier, Wait, keys, notary, input};
//! use dirchain_client::types::{ids::system_channel, records::NotaryRecord, tx::Notarize};
//! use std::{path::Path, time::Duration};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let genesis = keys::read_genesis(Path::new("genesis.bin"))?;
//! let signer = Signer::for_genesis(keys::read_key(Path::new("notary.key"))?, &genesis);
//! let client = Client::new("http://127.0.0.1:8080")?;
//!
//! // Only the digest leaves the machine.
//! let digest = notary::hash_file(Path::new("contract.pdf"))?;
//! let payload = Notarize {
//!     digest,
//!     kind: input::ident("kind", "contract")?,
//!     meta: input::text("meta", "signed 2024-05-01")?,
//! };
//! let sent = client.send(&signer, payload, Wait::Final(Duration::from_secs(10))).await?;
//! println!("transaction {} is {:?}", sent.hash, sent.status.status);
//!
//! // The proof and the block's certificate are checked against the
//! // validators named in genesis: a lying node is caught, not believed.
//! let key = notary::record_key(&system_channel(), &digest);
//! let verified = Verifier::new(&genesis).verify_proof(&client.proof(&key).await?, &key)?;
//! match verified.record::<NotaryRecord>()? {
//!     Some(record) => println!("notarized at height {} ({} ms)", record.height, record.at),
//!     None => println!("not notarized as of height {}", verified.height),
//! }
//! # Ok(())
//! # }
//! ```

mod client;
pub mod draft;
mod error;
pub mod gateway;
pub mod input;
pub mod keys;
pub mod notary;
mod signer;
pub mod verify;

pub use client::{Client, DEFAULT_TIMEOUT, MAX_RESPONSE_BYTES, Sent, Wait};
pub use dirchain_schema as schema;
pub use dirchain_types as types;
pub use draft::Draft;
pub use error::{ClientError, codes};
pub use gateway::GatewayClient;
pub use input::FieldError;
pub use signer::Signer;
pub use verify::{Verified, VerifiedAccess, VerifiedBlock, Verifier, VerifyError};
