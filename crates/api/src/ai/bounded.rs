//! A map that keeps at most a fixed number of entries, dropping the least recently used past it.
//! The engine's caches are per workspace or per description text, and a server outlives many of
//! both: unbounded, they grew with every workspace that ever had a ticket categorised.

use std::collections::HashMap;
use std::hash::Hash;

pub struct Bounded<K, V> {
    capacity: usize,
    /// Each value with the tick it was last used at.
    entries: HashMap<K, (V, u64)>,
    tick: u64,
}

impl<K: Hash + Eq, V> Bounded<K, V> {
    pub fn new(capacity: usize) -> Bounded<K, V> {
        Bounded {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            tick: 0,
        }
    }

    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|(value, used)| {
            *used = tick;
            &*value
        })
    }

    #[cfg(test)]
    fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Inserts, first dropping the least recently used quarter when full (so a full cache pays the
    /// scan once per quarter of its capacity, not on every insert).
    pub fn insert(&mut self, key: K, value: V) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            let mut ticks: Vec<u64> = self.entries.values().map(|(_, used)| *used).collect();
            let dropped = (self.capacity / 4).max(1);
            let (_, cutoff, _) = ticks.select_nth_unstable(dropped - 1);
            let cutoff = *cutoff;
            self.entries.retain(|_, (_, used)| *used > cutoff);
        }
        self.tick += 1;
        self.entries.insert(key, (value, self.tick));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_its_capacity_it_drops_the_least_recently_used() {
        let mut cache = Bounded::new(4);
        for key in 0..4 {
            cache.insert(key, key * 10);
        }
        // 0 and 2 are used again: 1 is now the least recently used.
        assert_eq!(cache.get(&0), Some(&0));
        assert_eq!(cache.get(&2), Some(&20));
        cache.insert(4, 40);
        assert_eq!(cache.len(), 4);
        assert!(!cache.contains(&1));
        for kept in [0, 2, 3, 4] {
            assert!(cache.contains(&kept), "{kept} was dropped");
        }
        // Replacing a kept key drops nothing.
        cache.insert(4, 41);
        assert_eq!(cache.get(&4), Some(&41));
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn a_long_run_of_new_keys_never_holds_more_than_the_capacity() {
        let mut cache = Bounded::new(100);
        for key in 0..10_000 {
            cache.insert(key, ());
            assert!(cache.len() <= 100);
        }
        // The newest are the ones kept.
        assert!(cache.contains(&9_999));
        assert!(!cache.contains(&0));
    }
}
