//! A map that remembers the most recent entries and forgets old ones a generation at a time,
//! so its memory is fixed by its bound and by nothing else.
//!
//! A hash map with a first-in-first-out order of its keys is the obvious alternative, but
//! under constant churn its table fills with tombstones and the table doubles: after millions
//! of finalized transactions, a map bounded to 1,000,000 receipts held a table sized for four
//! million (BENCHMARKS.md, "Memory"), beside a queue of every key. Here, entries go into the
//! current generation, sized once for the bound; when it is full it becomes the previous one
//! and the one before is dropped whole.

use std::{collections::HashMap, hash::Hash};

/// Remembers at least the last `generation` entries inserted and at most twice as many.
pub struct RecentMap<K, V> {
    generation: usize,
    current: HashMap<K, V>,
    previous: HashMap<K, V>,
}

impl<K: Hash + Eq, V> RecentMap<K, V> {
    /// A map that forgets a generation of `generation` entries (at least one) at a time.
    pub fn new(generation: usize) -> Self {
        let generation = generation.max(1);
        Self {
            generation,
            current: HashMap::new(),
            previous: HashMap::new(),
        }
    }

    /// Remembers `value` for `key`, in place of what the key had.
    pub fn insert(&mut self, key: K, value: V) {
        self.previous.remove(&key);
        if self.current.len() >= self.generation && !self.current.contains_key(&key) {
            let full =
                std::mem::replace(&mut self.current, HashMap::with_capacity(self.generation));
            self.previous = full;
        }
        self.current.insert(key, value);
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.current.get(key).or_else(|| self.previous.get(key))
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.current
            .remove(key)
            .or_else(|| self.previous.remove(key))
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_at_least_one_generation_and_at_most_two() {
        let generation = 100;
        let mut map = RecentMap::new(generation);
        for n in 0..1_000u32 {
            map.insert(n, n * 2);
            assert!(map.len() <= 2 * generation);
            let remembered = (n + 1).min(generation as u32);
            for recent in (n + 1 - remembered)..=n {
                assert_eq!(map.get(&recent), Some(&(recent * 2)), "{recent} after {n}");
            }
        }
        assert!(map.len() >= generation);
        assert!(!map.contains_key(&0));
    }

    #[test]
    fn a_key_inserted_again_is_remembered_once_with_its_new_value() {
        let mut map = RecentMap::new(2);
        map.insert("a", 1);
        map.insert("b", 2);
        // "a" moves from the previous generation to the current one.
        map.insert("c", 3);
        map.insert("a", 4);
        assert_eq!(map.len(), 3);
        assert_eq!(map.get(&"a"), Some(&4));
        // Refreshing a key of the current generation does not start a new one.
        map.insert("a", 5);
        assert_eq!(map.len(), 3);
        assert_eq!(map.get(&"a"), Some(&5));
    }

    #[test]
    fn removed_keys_are_forgotten_in_either_generation() {
        let mut map = RecentMap::new(2);
        for (k, v) in [("a", 1), ("b", 2), ("c", 3)] {
            map.insert(k, v);
        }
        assert_eq!(map.remove(&"a"), Some(1));
        assert_eq!(map.remove(&"c"), Some(3));
        assert_eq!(map.remove(&"c"), None);
        assert!(!map.contains_key(&"a") && !map.contains_key(&"c"));
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn a_zero_bound_still_remembers_the_last_entry() {
        let mut map = RecentMap::new(0);
        map.insert(1, ());
        map.insert(2, ());
        assert!(map.contains_key(&2));
        assert!(map.len() <= 2);
    }
}
