//! A record of the state, as a client decodes a value it fetched with its
//! proof. The first byte selects the record kind by its `keys::Space` tag
//! (0 Consortium, 1 Org, 2 Member, 3 Account, 4 Proposal, 5 Channel,
//! 6 ChannelUsage, 7 Duty, 8 Item, 9 ItemVersion, 10 Request, 11 Permission,
//! 12 the access log's head, and an access record as the log holds it, 13 NotaryRecord, 14 Asset, 15 AssetEvent, 16 the genesis
//! digest); the rest is the encoded record.
#![no_main]

use dirchain_fuzz::check_record;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&tag, record)) = data.split_first() {
        let _ = check_record(tag, record);
    }
});
