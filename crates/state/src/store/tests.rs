use super::{
    MAX_PROOF_DIGESTS, MAX_VALUE_BYTES, ProofError, StateKey, StateProof, Store, StoreError,
    WriteSet,
    proof::{Inclusion, Kind},
};
use commonware_codec::{
    DecodeExt as _, Encode as _, EncodeSize as _, Error as CodecError, Write, varint::UInt,
};
use commonware_cryptography::{Hasher as _, Sha256};
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use commonware_storage::mmr::Location;
use std::collections::BTreeMap;

type TestStore = Store<deterministic::Context>;

fn key(i: u64) -> StateKey {
    Sha256::hash(&[&i.to_be_bytes()])
}

fn value(i: u64) -> Vec<u8> {
    format!("value-{i}").into_bytes()
}

/// A write set setting keys `range` to their `value`.
fn sets(range: std::ops::Range<u64>) -> WriteSet {
    range.map(|i| (key(i), Some(value(i)))).collect()
}

fn run<Fut: Future<Output = ()>>(test: impl FnOnce(deterministic::Context) -> Fut) {
    deterministic::Runner::default().start(test);
}

#[test]
fn set_update_delete_then_get() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        store.commit(1, sets(0..3)).await.unwrap();
        for i in 0..3 {
            assert_eq!(store.get(&key(i)).await.unwrap(), Some(value(i)));
        }

        let writes = WriteSet::from([
            (key(0), Some(b"updated".to_vec())),
            (key(1), None),
            (key(7), Some(Vec::new())),
            // Deleting a key that was never set is a no-op.
            (key(99), None),
        ]);
        store.commit(1, writes).await.unwrap();
        assert_eq!(store.get(&key(0)).await.unwrap(), Some(b"updated".to_vec()));
        assert_eq!(store.get(&key(1)).await.unwrap(), None);
        assert_eq!(store.get(&key(2)).await.unwrap(), Some(value(2)));
        assert_eq!(store.get(&key(7)).await.unwrap(), Some(Vec::new()));
        assert_eq!(store.get(&key(99)).await.unwrap(), None);
    });
}

#[test]
fn inclusion_proof_verifies_and_returns_value() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        let root = store.commit(1, sets(0..50)).await.unwrap();
        for i in 0..50 {
            let proof = store.prove(&key(i)).await.unwrap();
            assert!(matches!(proof.0, Kind::Inclusion { .. }));
            assert_eq!(proof.verify(&root, &key(i)), Ok(Some(value(i))));
        }
    });
}

#[test]
fn exclusion_proofs_verify_for_absent_keys() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();

        // Empty store (no commit yet).
        let root = store.root();
        let proof = store.prove(&key(1)).await.unwrap();
        assert!(matches!(proof.0, Kind::Exclusion(_)));
        assert_eq!(proof.verify(&root, &key(1)), Ok(None));

        // Never-set keys in a populated store, including ones before the first and after the
        // last key (the span that wraps around).
        let root = store.commit(1, sets(0..20)).await.unwrap();
        let mut absent: Vec<StateKey> = (100..120).map(key).collect();
        absent.push(StateKey::from([0x00; 32]));
        absent.push(StateKey::from([0xFF; 32]));
        for k in &absent {
            let proof = store.prove(k).await.unwrap();
            assert_eq!(proof.verify(&root, k), Ok(None));
        }

        // A deleted key.
        let root = store
            .commit(1, WriteSet::from([(key(5), None)]))
            .await
            .unwrap();
        let proof = store.prove(&key(5)).await.unwrap();
        assert_eq!(proof.verify(&root, &key(5)), Ok(None));

        // A store emptied by deletes.
        let root = store
            .commit(1, (0..20).map(|i| (key(i), None)).collect())
            .await
            .unwrap();
        for i in [0, 5, 19, 1000] {
            let proof = store.prove(&key(i)).await.unwrap();
            assert_eq!(proof.verify(&root, &key(i)), Ok(None));
        }
    });
}

#[test]
fn proof_for_one_key_fails_for_another() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        let root = store.commit(1, sets(0..10)).await.unwrap();

        let inclusion = store.prove(&key(1)).await.unwrap();
        assert_eq!(
            inclusion.verify(&root, &key(2)),
            Err(ProofError::InvalidInclusion)
        );
        assert_eq!(
            inclusion.verify(&root, &key(500)),
            Err(ProofError::InvalidInclusion)
        );

        // An absence proof must not cover a present key, nor (generally) another absent key
        // outside the proven gap.
        let exclusion = store.prove(&key(500)).await.unwrap();
        for i in 0..10 {
            assert_eq!(
                exclusion.verify(&root, &key(i)),
                Err(ProofError::InvalidExclusion)
            );
        }
    });
}

#[test]
fn proof_fails_against_a_different_root() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        let old_root = store.commit(1, sets(0..10)).await.unwrap();
        let old_inclusion = store.prove(&key(3)).await.unwrap();
        let old_exclusion = store.prove(&key(42)).await.unwrap();

        let new_root = store.commit(1, sets(10..12)).await.unwrap();
        assert_ne!(old_root, new_root);
        // The values are unchanged, but the proofs are tied to the root they were made for.
        assert_eq!(
            old_inclusion.verify(&new_root, &key(3)),
            Err(ProofError::InvalidInclusion)
        );
        assert_eq!(
            old_exclusion.verify(&new_root, &key(42)),
            Err(ProofError::InvalidExclusion)
        );
        let new_inclusion = store.prove(&key(3)).await.unwrap();
        assert_eq!(
            new_inclusion.verify(&old_root, &key(3)),
            Err(ProofError::InvalidInclusion)
        );
        assert_eq!(new_inclusion.verify(&new_root, &key(3)), Ok(Some(value(3))));
    });
}

#[test]
fn codec_round_trip() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        let empty = store.prove(&key(0)).await.unwrap();
        let root = store.commit(1, sets(0..30)).await.unwrap();
        let inclusion = store.prove(&key(7)).await.unwrap();
        let exclusion = store.prove(&key(77)).await.unwrap();
        for proof in [empty, inclusion, exclusion] {
            let encoded = proof.encode();
            assert_eq!(encoded.len(), proof.encode_size());
            let decoded = StateProof::decode(encoded.clone()).unwrap();
            assert_eq!(decoded, proof);
            assert_eq!(decoded.encode(), encoded);
        }
        let decoded = StateProof::decode(store.prove(&key(7)).await.unwrap().encode()).unwrap();
        assert_eq!(decoded.verify(&root, &key(7)), Ok(Some(value(7))));
    });
}

#[test]
fn tampered_proof_fails_to_decode_or_verify() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        let root = store.commit(1, sets(0..40)).await.unwrap();
        for k in [key(11), key(4000)] {
            let encoded = store.prove(&k).await.unwrap().encode().to_vec();
            for i in 0..encoded.len() {
                for flip in [0x01, 0x80] {
                    let mut tampered = encoded.clone();
                    tampered[i] ^= flip;
                    if let Ok(proof) = StateProof::decode(tampered) {
                        assert!(
                            proof.verify(&root, &k).is_err(),
                            "tampered byte {i} (xor {flip:#x}) still verifies"
                        );
                    }
                }
            }
            // Truncated and extended encodings do not decode.
            assert!(StateProof::decode(encoded[..encoded.len() - 1].to_vec()).is_err());
            let mut extended = encoded.clone();
            extended.push(0);
            assert!(StateProof::decode(extended).is_err());
        }
    });
}

#[test]
fn decode_rejects_oversized_lengths_before_allocating() {
    // A value length of u32::MAX: rejected by its bound, not by running out of input after
    // reserving 4 GiB.
    let mut bytes = vec![0u8];
    (u32::MAX as usize).write(&mut bytes);
    assert!(matches!(
        StateProof::decode(bytes),
        Err(CodecError::InvalidLength(_))
    ));

    // A value length just over the limit.
    let mut bytes = vec![0u8];
    (MAX_VALUE_BYTES + 1).write(&mut bytes);
    bytes.resize(bytes.len() + MAX_VALUE_BYTES + 1, 0);
    assert!(matches!(
        StateProof::decode(bytes),
        Err(CodecError::InvalidLength(_))
    ));

    // A Merkle digest count of u32::MAX in an otherwise well-formed prefix.
    let mut bytes = vec![0u8];
    b"v".to_vec().write(&mut bytes);
    Location::new(3).write(&mut bytes); // operation location
    bytes.extend_from_slice(&[0xFF; 32]); // bitmap chunk
    Location::new(4).write(&mut bytes); // leaves
    UInt(0u64).write(&mut bytes); // inactive peaks
    (u32::MAX as usize).write(&mut bytes);
    assert!(matches!(
        StateProof::decode(bytes),
        Err(CodecError::InvalidLength(_))
    ));

    // An unknown tag.
    assert!(matches!(
        StateProof::decode(vec![7u8]),
        Err(CodecError::InvalidEnum(7))
    ));
}

#[test]
fn decode_rejects_too_many_digests_and_too_large_value() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        store.commit(1, sets(0..10)).await.unwrap();
        let proof = store.prove(&key(1)).await.unwrap();
        let Kind::Inclusion { value, proof } = proof.0 else {
            panic!("expected an inclusion proof");
        };

        let mut padded: Inclusion = proof.clone();
        let digests = &mut padded.proof.range_proof.proof.digests;
        digests.resize(MAX_PROOF_DIGESTS + 1, key(0));
        let encoded = StateProof::inclusion(value, padded).encode();
        assert!(matches!(
            StateProof::decode(encoded),
            Err(CodecError::InvalidLength(_))
        ));

        let encoded = StateProof::inclusion(vec![0; MAX_VALUE_BYTES + 1], proof).encode();
        assert!(matches!(
            StateProof::decode(encoded),
            Err(CodecError::InvalidLength(_))
        ));
    });
}

#[test]
fn speculative_root_matches_commit_and_changes_nothing() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        let before = store.commit(1, sets(0..20)).await.unwrap();

        let mut writes = sets(15..40);
        writes.insert(key(3), None);
        let speculative = store.speculative_root(1, &writes).await.unwrap();
        assert_ne!(speculative, before);

        // Nothing changed: root, values, and proofs still against the old root.
        assert_eq!(store.root(), before);
        assert_eq!(store.get(&key(3)).await.unwrap(), Some(value(3)));
        assert_eq!(store.get(&key(30)).await.unwrap(), None);
        let proof = store.prove(&key(3)).await.unwrap();
        assert_eq!(proof.verify(&before, &key(3)), Ok(Some(value(3))));

        // Asking twice gives the same answer; committing gives that root.
        assert_eq!(
            store.speculative_root(1, &writes).await.unwrap(),
            speculative
        );
        assert_eq!(
            store.speculative_root(1, &WriteSet::new()).await.unwrap(),
            {
                let mut other = TestStore::open(ctx.child("other"), "other").await.unwrap();
                other.commit(1, sets(0..20)).await.unwrap();
                other.commit(1, WriteSet::new()).await.unwrap()
            }
        );
        assert_eq!(store.commit(1, writes).await.unwrap(), speculative);
        assert_eq!(store.root(), speculative);
    });
}

#[test]
fn same_write_sets_give_same_roots() {
    run(|ctx| async move {
        let mut a = TestStore::open(ctx.child("a"), "a").await.unwrap();
        let mut b = TestStore::open(ctx.child("b"), "b").await.unwrap();
        assert_eq!(a.root(), b.root());
        let blocks: Vec<WriteSet> = vec![
            sets(0..100),
            (50..150)
                .map(|i| (key(i), (i % 3 != 0).then(|| value(i * 7))))
                .collect(),
            WriteSet::new(),
            (0..200).map(|i| (key(i), None)).collect(),
            sets(1000..1010),
        ];
        for block in blocks {
            let ra = a.commit(1, block.clone()).await.unwrap();
            let rb = b.commit(1, block).await.unwrap();
            assert_eq!(ra, rb);
        }
    });
}

#[test]
fn reopen_restores_root_and_values() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("first"), "state").await.unwrap();
        store.commit(1, sets(0..30)).await.unwrap();
        let root = store
            .commit(1, WriteSet::from([(key(4), None)]))
            .await
            .unwrap();
        // Speculative work is never persisted.
        store.speculative_root(1, &sets(100..110)).await.unwrap();
        drop(store);

        let mut store = TestStore::open(ctx.child("second"), "state").await.unwrap();
        assert_eq!(store.root(), root);
        assert_eq!(store.get(&key(4)).await.unwrap(), None);
        assert_eq!(store.get(&key(5)).await.unwrap(), Some(value(5)));
        assert_eq!(store.get(&key(100)).await.unwrap(), None);
        let proof = store.prove(&key(5)).await.unwrap();
        assert_eq!(proof.verify(&root, &key(5)), Ok(Some(value(5))));

        // A reopened store continues exactly like one that never restarted.
        let after_reopen = store.commit(1, sets(30..40)).await.unwrap();
        let mut fresh = TestStore::open(ctx.child("fresh"), "fresh").await.unwrap();
        fresh.commit(1, sets(0..30)).await.unwrap();
        fresh
            .commit(1, WriteSet::from([(key(4), None)]))
            .await
            .unwrap();
        assert_eq!(fresh.commit(1, sets(30..40)).await.unwrap(), after_reopen);
    });
}

#[test]
fn empty_commit_works() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        let genesis = store.root();
        let first = store.commit(1, WriteSet::new()).await.unwrap();
        assert_eq!(store.root(), first);
        // Each commit is recorded, so the root moves even without writes.
        assert_ne!(first, genesis);
        let proof = store.prove(&key(1)).await.unwrap();
        assert_eq!(proof.verify(&first, &key(1)), Ok(None));

        store.commit(1, sets(0..5)).await.unwrap();
        let root = store.commit(1, WriteSet::new()).await.unwrap();
        assert_eq!(store.get(&key(2)).await.unwrap(), Some(value(2)));
        let proof = store.prove(&key(2)).await.unwrap();
        assert_eq!(proof.verify(&root, &key(2)), Ok(Some(value(2))));
    });
}

#[test]
fn oversized_value_is_rejected_and_changes_nothing() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        let root = store.commit(1, sets(0..5)).await.unwrap();
        let mut writes = sets(5..10);
        writes.insert(key(7), Some(vec![0; MAX_VALUE_BYTES + 1]));
        assert!(matches!(
            store.speculative_root(1, &writes).await,
            Err(StoreError::ValueTooLarge { len, .. }) if len == MAX_VALUE_BYTES + 1
        ));
        assert!(matches!(
            store.commit(1, writes).await,
            Err(StoreError::ValueTooLarge { .. })
        ));
        assert_eq!(store.root(), root);
        assert_eq!(store.get(&key(6)).await.unwrap(), None);

        // The largest allowed value round-trips through a reopen.
        let big = vec![0xAB; MAX_VALUE_BYTES];
        let root = store
            .commit(1, WriteSet::from([(key(6), Some(big.clone()))]))
            .await
            .unwrap();
        drop(store);
        let store = TestStore::open(ctx.child("reopened"), "state")
            .await
            .unwrap();
        assert_eq!(store.root(), root);
        assert_eq!(store.get(&key(6)).await.unwrap(), Some(big.clone()));
        let proof = StateProof::decode(store.prove(&key(6)).await.unwrap().encode()).unwrap();
        assert_eq!(proof.verify(&root, &key(6)), Ok(Some(big)));
    });
}

#[test]
fn invalid_partition_prefix_is_rejected() {
    run(|ctx| async move {
        for prefix in ["", "a/b", "state store", "ü"] {
            assert!(matches!(
                TestStore::open(ctx.child("store"), prefix).await,
                Err(StoreError::InvalidPartitionPrefix(_))
            ));
        }
    });
}

#[test]
fn prune_keeps_roots_values_and_proofs() {
    run(|ctx| async move {
        let mut pruned = TestStore::open(ctx.child("pruned"), "pruned")
            .await
            .unwrap();
        let mut unpruned = TestStore::open(ctx.child("unpruned"), "unpruned")
            .await
            .unwrap();
        let mut expected = BTreeMap::new();
        for round in 0..30u64 {
            // Rewrite a sliding window, so old operations become inactive and prunable.
            let writes: WriteSet = (round * 20..round * 20 + 400)
                .map(|i| (key(i % 500), Some(value(i + round))))
                .chain([(key(round), None)])
                .collect();
            for (k, v) in &writes {
                expected.insert(*k, v.clone());
            }
            let root = pruned.commit(1, writes.clone()).await.unwrap();
            assert_eq!(unpruned.commit(1, writes).await.unwrap(), root);
            pruned.prune().await.unwrap();
            assert_eq!(pruned.root(), root);
        }
        // History was actually discarded.
        assert!(*pruned.db().unwrap().bounds().start > 0);
        assert_eq!(*unpruned.db().unwrap().bounds().start, 0);
        let root = pruned.root();
        drop(pruned);

        let pruned = TestStore::open(ctx.child("reopened"), "pruned")
            .await
            .unwrap();
        assert_eq!(pruned.root(), root);
        for (k, v) in &expected {
            assert_eq!(&pruned.get(k).await.unwrap(), v);
            let proof = pruned.prove(k).await.unwrap();
            assert_eq!(&proof.verify(&root, k).unwrap(), v);
        }
    });
}

/// The chain runs the store inside spawned tasks, which must be `Send`.
/// The compaction policy keeps the log past the floor within `3n + 1` operations for `n` live
/// keys under the ledger's write pattern: every block updates the same accounts again and adds
/// new records, and nothing is deleted.
#[test]
fn compaction_keeps_the_log_within_three_operations_per_live_key() {
    run(|ctx| async move {
        let mut store = TestStore::open(ctx.child("store"), "state").await.unwrap();
        const UPDATED: u64 = 500;
        const ADDED: u64 = 200;
        let mut highest_ratio = 0.0f64;
        for block in 0..80u64 {
            let mut writes: WriteSet = (0..UPDATED)
                .map(|i| (key(i), Some(value(block * 10_000 + i))))
                .collect();
            writes.extend((0..ADDED).map(|i| (key(1_000_000 + block * ADDED + i), Some(value(i)))));
            store.commit(1, writes).await.unwrap();
            let live = UPDATED + (block + 1) * ADDED;
            let db = store.db().unwrap();
            let past_floor = *db.bounds().end - *super::floor(db);
            assert!(
                past_floor <= 3 * live + 1,
                "block {block}: {past_floor} operations past the floor for {live} live keys"
            );
            highest_ratio = highest_ratio.max(past_floor as f64 / live as f64);
        }
        // The floor really advances: the log does not just grow.
        assert!(
            highest_ratio > 1.0 && highest_ratio <= 3.0,
            "{highest_ratio}"
        );
    });
}

#[test]
fn store_and_its_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    run(|ctx| async move {
        let open = TestStore::open(ctx.child("store"), "state");
        assert_send(&open);
        let mut store = open.await.unwrap();
        assert_send(&store);
        let (k, writes) = (key(0), WriteSet::new());
        assert_send(&store.get(&k));
        assert_send(&store.prove(&k));
        assert_send(&store.speculative_root(1, &writes));
        assert_send(&store.commit(1, WriteSet::new()));
        assert_send(&store.prune());
    });
}
