//! Wire types of dirchain and their codec: identifiers, transactions, blocks,
//! genesis and the records of the state. No I/O.
//!
//! Every type decodes with `Cfg = ()`: its size limits are part of its type
//! (see [limits]), so a decoder cannot be called without its bounds.

pub mod block;
pub mod bounded;
pub mod domain;
pub mod genesis;
pub mod ids;
pub mod keys;
pub mod limits;
pub mod records;
pub mod request;
#[cfg(any(test, feature = "samples"))]
pub mod samples;
pub mod signers;
pub mod tx;

pub use commonware_codec::{Decode, DecodeExt, Encode};
