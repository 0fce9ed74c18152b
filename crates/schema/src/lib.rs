//! The JSON documents of the node's HTTP API: what the node answers and what
//! clients send. The node (`dirchain-api`), its query index
//! (`dirchain-index`) and the SDK (`dirchain-client`) share these types, so
//! the three cannot drift apart.
//!
//! Conventions: fields are snake_case; digests, keys and binary values are
//! lowercase hex; heights, counts and times (milliseconds since the Unix
//! epoch) are JSON numbers.

pub mod chain;
pub mod gateway;
pub mod hex;
pub mod records;
