//! Every size limit of the wire format, in one place. Decoders enforce these
//! before allocating, so no attacker-chosen length can make a node allocate.

/// Largest encoded signed transaction accepted anywhere.
pub const MAX_TX_BYTES: usize = 64 * 1024;
/// Transactions one submission (`POST /v1/txs`) may carry.
pub const MAX_SUBMIT_BATCH: usize = 1_000;
/// Largest total of the transactions' encodings in one submission.
pub const MAX_SUBMIT_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Largest number of transactions in one block.
pub const MAX_BLOCK_TXS: usize = 10_000;
/// Largest encoded block: what the network carries and a proposer fills up to.
pub const MAX_BLOCK_BYTES: usize = 16 * 1024 * 1024;
/// Identifiers (organisations, items, duties, assets, channels): bytes.
pub const MAX_ID_BYTES: usize = 64;
/// Human-readable short texts (titles, names, purposes, reasons): bytes.
pub const MAX_TITLE_BYTES: usize = 256;
/// Long texts (descriptions, legal bases, licence terms): bytes.
pub const MAX_TEXT_BYTES: usize = 4 * 1024;
/// Fields of one catalog item, and fields named by a request or an access.
pub const MAX_FIELDS: usize = 256;
/// Duties one catalog item serves.
pub const MAX_ITEM_DUTIES: usize = 32;
/// Subject pseudonyms named by one access record.
pub const MAX_SUBJECTS_PER_ACCESS: usize = 1_024;
/// Organisations listed in genesis or in a channel.
pub const MAX_ORGS: usize = 512;
/// Validators in the set.
pub const MAX_VALIDATORS: usize = 256;
/// Free-form metadata attached to a notarized digest: bytes.
pub const MAX_META_BYTES: usize = 2 * 1024;
