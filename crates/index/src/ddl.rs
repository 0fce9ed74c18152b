//! The tables of the index. Each table keeps the record exactly as the state
//! encodes it (`record`), decoded into a view when read, plus the columns
//! its filters and orderings need, each covered by an index whose column
//! order is the filter's, then the list's order.

/// Bumped whenever the tables change; an index of another version is refused
/// (delete it and it is rebuilt).
pub(crate) const LAYOUT_VERSION: i64 = 3;

pub(crate) const TABLES: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;

CREATE TABLE consortium (id INTEGER PRIMARY KEY CHECK (id = 1), record BLOB NOT NULL);

CREATE TABLE orgs (id TEXT PRIMARY KEY, record BLOB NOT NULL);

CREATE TABLE members (
    key BLOB PRIMARY KEY,
    org TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX members_by_org ON members (org, enrolled_at, key);

CREATE TABLE duties (
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    org TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (channel, id)
);
CREATE INDEX duties_by_org ON duties (org, channel, id);

-- Items are listed in first-publication order: `seq` is assigned when an
-- item is first indexed (chain order) and kept by later versions.
CREATE TABLE items (
    seq INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    org TEXT NOT NULL,
    share_class TEXT NOT NULL,
    retired INTEGER NOT NULL,
    record BLOB NOT NULL,
    UNIQUE (channel, id)
);
-- Each of these ends with the implicit rowid (`seq`): filter, then order.
CREATE INDEX items_by_org ON items (org);
CREATE INDEX items_by_share_class ON items (share_class);
CREATE INDEX items_by_channel ON items (channel);

CREATE TABLE item_duties (duty TEXT NOT NULL, item INTEGER NOT NULL, PRIMARY KEY (duty, item)) WITHOUT ROWID;
CREATE INDEX item_duties_by_item ON item_duties (item);

-- The current version's text, keyed by `items.seq`. Contentless: the text
-- lives in `items.record` already.
CREATE VIRTUAL TABLE items_fts USING fts5 (
    title, description, fields,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TABLE item_versions (
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (channel, id, version)
);

CREATE TABLE requests (
    id BLOB PRIMARY KEY,
    channel TEXT NOT NULL,
    item TEXT NOT NULL,
    owner_org TEXT NOT NULL,
    consumer_org TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX requests_by_time ON requests (requested_at, id);
CREATE INDEX requests_by_consumer ON requests (consumer_org, requested_at, id);
CREATE INDEX requests_by_owner ON requests (owner_org, requested_at, id);
CREATE INDEX requests_by_item ON requests (item, requested_at, id);

CREATE TABLE permissions (
    id BLOB PRIMARY KEY,
    channel TEXT NOT NULL,
    item TEXT NOT NULL,
    owner_org TEXT NOT NULL,
    consumer_org TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX permissions_by_time ON permissions (granted_at, id);
CREATE INDEX permissions_by_consumer ON permissions (consumer_org, granted_at, id);
CREATE INDEX permissions_by_owner ON permissions (owner_org, granted_at, id);
CREATE INDEX permissions_by_item ON permissions (item, granted_at, id);

-- Block times, to turn a time range into a range of chain positions: a
-- block's time is never before its parent's (the executor refuses such a
-- block), so chain order is time order.
CREATE TABLE blocks (height INTEGER PRIMARY KEY, timestamp_ms INTEGER NOT NULL);
CREATE INDEX blocks_by_time ON blocks (timestamp_ms);

-- `seq` is the recording transaction's chain position: rows are appended in
-- order, and every index below ends with it, so each filter reads its rows
-- newest first straight from its index. Digests are looked up by an integer
-- key (their first 8 bytes, `sql::key64`), then compared in full: integer
-- entries are a third the size of 32-byte ones, which keeps the indexes that
-- grow at random places small enough to stay in cache.
--
-- An access record's id is the hash of its transaction, found through
-- `txs` (same `seq`); `location` is where the chain's access log holds it
-- (ascending with `seq`), for its proof.
CREATE TABLE access (
    seq INTEGER PRIMARY KEY,
    location INTEGER NOT NULL,
    channel TEXT NOT NULL,
    permission_key INTEGER NOT NULL,
    permission BLOB NOT NULL,
    owner_org TEXT,
    consumer_org TEXT,
    item TEXT,
    refused INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX access_by_consumer ON access (consumer_org);
CREATE INDEX access_by_owner ON access (owner_org);
CREATE INDEX access_by_item ON access (item);
CREATE INDEX access_by_permission ON access (permission_key);
CREATE INDEX access_refused ON access (refused) WHERE refused = 1;

-- Accesses counted per day (days since the Unix epoch, UTC), parties, item
-- and outcome: a month's chart reads these, not a month of records. Absent
-- parties and items (an unknown permission) are ''.
CREATE TABLE access_days (
    day INTEGER NOT NULL,
    consumer_org TEXT NOT NULL,
    owner_org TEXT NOT NULL,
    item TEXT NOT NULL,
    refused INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, consumer_org, owner_org, item, refused)
) WITHOUT ROWID;

-- The subject's full pseudonym is checked against the record when read.
CREATE TABLE access_subjects (
    subject_key INTEGER NOT NULL,
    access INTEGER NOT NULL,
    PRIMARY KEY (subject_key, access)
) WITHOUT ROWID;

CREATE TABLE notary (
    channel TEXT NOT NULL,
    digest BLOB NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (channel, digest)
);

CREATE TABLE assets (
    channel TEXT NOT NULL,
    id TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (channel, id)
);

CREATE TABLE asset_events (
    channel TEXT NOT NULL,
    asset TEXT NOT NULL,
    seq INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (channel, asset, seq)
);

CREATE TABLE proposals (
    id BLOB PRIMARY KEY,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX proposals_by_time ON proposals (created_at, id);

-- Keyed by chain position (appended in order); found by hash.
CREATE TABLE txs (
    seq INTEGER PRIMARY KEY,
    hash_key INTEGER NOT NULL,
    hash BLOB NOT NULL,
    height INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    signer BLOB NOT NULL,
    channel TEXT NOT NULL,
    refusal TEXT
);
CREATE INDEX txs_by_hash ON txs (hash_key);
CREATE INDEX txs_by_kind ON txs (kind, seq);
"#;
