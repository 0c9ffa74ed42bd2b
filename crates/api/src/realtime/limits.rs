//! Caps on open sockets, per client address (checked before the upgrade: `429 rate_limited`) and
//! per user (after authentication: closed with `too_many_connections`), so that one client cannot
//! hold the server's memory. The counts are per instance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use uuid::Uuid;

use crate::config::RealtimeSettings;

#[derive(Clone)]
pub struct SocketLimits {
    counts: Arc<Mutex<Counts>>,
    per_user: usize,
    per_address: usize,
}

#[derive(Default)]
struct Counts {
    addresses: HashMap<IpAddr, usize>,
    users: HashMap<Uuid, usize>,
}

#[derive(Clone, Copy)]
enum Key {
    Address(IpAddr),
    User(Uuid),
}

/// A place under a cap, given back when the socket ends (dropped).
pub struct Slot {
    counts: Arc<Mutex<Counts>>,
    key: Key,
}

impl SocketLimits {
    pub fn new(settings: &RealtimeSettings) -> SocketLimits {
        SocketLimits {
            counts: Arc::default(),
            per_user: settings.max_sockets_per_user,
            per_address: settings.max_sockets_per_address,
        }
    }

    /// A place for one more socket from `address`, unless it has its share already.
    pub fn admit_address(&self, address: IpAddr) -> Option<Slot> {
        self.admit(Key::Address(client_key(address)), self.per_address)
    }

    /// A place for one more socket of `user`, unless they have their share already.
    pub fn admit_user(&self, user: Uuid) -> Option<Slot> {
        self.admit(Key::User(user), self.per_user)
    }

    fn admit(&self, key: Key, cap: usize) -> Option<Slot> {
        let mut counts = lock(&self.counts);
        let count = counts.entry(key);
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(Slot {
            counts: self.counts.clone(),
            key,
        })
    }
}

impl Counts {
    fn entry(&mut self, key: Key) -> &mut usize {
        match key {
            Key::Address(address) => self.addresses.entry(address).or_default(),
            Key::User(user) => self.users.entry(user).or_default(),
        }
    }

    fn release(&mut self, key: Key) {
        // Forget a key at zero, so the maps hold only clients with sockets open.
        match key {
            Key::Address(address) => release(&mut self.addresses, address),
            Key::User(user) => release(&mut self.users, user),
        }
    }
}

fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: K) {
    if let Some(count) = map.get_mut(&key) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            map.remove(&key);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.counts).release(self.key);
    }
}

/// The counts stay consistent even if a holder panicked: each change is one statement.
fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An IPv6 client is counted by its /56, as the sign-in rate limit does: one host has many addresses.
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(ipv6) => {
            let mut octets = ipv6.octets();
            octets[7..].fill(0);
            IpAddr::V6(octets.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_and_places_come_back() {
        let limits = SocketLimits::new(&RealtimeSettings {
            max_sockets_per_user: 2,
            max_sockets_per_address: 1,
        });
        let user = Uuid::now_v7();
        let first = limits.admit_user(user).expect("a place");
        let _second = limits.admit_user(user).expect("a place");
        assert!(limits.admit_user(user).is_none(), "the third is over the cap");
        assert!(limits.admit_user(Uuid::now_v7()).is_some(), "others have their own");
        drop(first);
        assert!(
            limits.admit_user(user).is_some(),
            "a closed socket gives its place back"
        );

        let host: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        let same_host: IpAddr = "2001:db8:0:1::2".parse().unwrap();
        let _slot = limits.admit_address(host).expect("a place");
        assert!(limits.admit_address(same_host).is_none(), "one /56 is one client");
        assert!(limits.admit_address("192.0.2.1".parse().unwrap()).is_some());
    }
}
