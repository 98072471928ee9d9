//! Verified tokens, remembered so a caller's next call with the same token skips the signature check
//! (tens of microseconds for Ed25519, more for RSA) and the claim checks. Bounded in size, keyed by the
//! token's SHA-256 (the token itself is never kept), an entry never outlives the token's `exp`, and the
//! whole cache is dropped when the key set changes (a rotation or a JWKS refresh that changed the keys).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::auth::Caller;

/// A token's SHA-256.
pub(crate) type TokenDigest = [u8; 32];

/// The digest a token is cached under.
pub(crate) fn digest(token: &str) -> TokenDigest {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
    out
}

/// The cache.
pub(crate) struct VerifiedTokens {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The key-set generation the entries were verified under.
    generation: u64,
    entries: HashMap<TokenDigest, Entry>,
}

struct Entry {
    caller: Caller,
    /// The token's `exp`: the entry is not used at or after it.
    expires_at: i64,
}

impl State {
    /// Drops everything verified under an older key set; false if `generation` is the older one.
    fn follow(&mut self, generation: u64) -> bool {
        if generation > self.generation {
            self.entries.clear();
            self.generation = generation;
        }
        generation == self.generation
    }
}

impl VerifiedTokens {
    /// A cache of at most `capacity` tokens; 0 remembers nothing.
    pub(crate) fn new(capacity: usize) -> VerifiedTokens {
        VerifiedTokens { capacity, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The caller a token verified as, if it was verified under key-set `generation` and has not expired at
    /// `now` (seconds since the epoch).
    pub(crate) fn get(&self, token: &TokenDigest, now: i64, generation: u64) -> Option<Caller> {
        if self.capacity == 0 {
            return None;
        }
        let mut state = self.state();
        if !state.follow(generation) {
            return None;
        }
        match state.entries.get(token) {
            Some(entry) if now < entry.expires_at => Some(entry.caller.clone()),
            Some(_) => {
                state.entries.remove(token);
                None
            }
            None => None,
        }
    }

    /// Remembers a token verified under key-set `generation` until `expires_at`. When full, expired entries
    /// go first, then arbitrary ones, down to nine tenths of the capacity (so a full cache is not swept on
    /// every insert).
    pub(crate) fn insert(&self, token: TokenDigest, caller: Caller, expires_at: i64, now: i64, generation: u64) {
        if self.capacity == 0 || now >= expires_at {
            return;
        }
        let mut state = self.state();
        if !state.follow(generation) {
            return;
        }
        if state.entries.len() >= self.capacity && !state.entries.contains_key(&token) {
            state.entries.retain(|_, entry| now < entry.expires_at);
            let keep = self.capacity - self.capacity.div_ceil(10);
            let surplus = state.entries.len().saturating_sub(keep);
            let evicted: Vec<TokenDigest> = state.entries.keys().take(surplus).copied().collect();
            for key in evicted {
                state.entries.remove(&key);
            }
        }
        state.entries.insert(token, Entry { caller, expires_at });
    }

    /// How many tokens are remembered.
    pub(crate) fn len(&self) -> usize {
        self.state().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Kommun, Role};

    fn caller(n: usize) -> Caller {
        Caller {
            subject: format!("user-{n}"),
            role: Role::Socialsekreterare,
            kommun: Kommun::parse("0767").expect("valid"),
            unit: String::new(),
        }
    }

    #[test]
    fn an_entry_is_never_used_at_or_after_the_tokens_expiry() {
        let cache = VerifiedTokens::new(10);
        let token = digest("a.b.c");
        cache.insert(token, caller(1), 1_000, 900, 0);
        assert_eq!(cache.get(&token, 999, 0), Some(caller(1)));
        assert_eq!(cache.get(&token, 1_000, 0), None);
        assert_eq!(cache.len(), 0, "the expired entry is dropped");
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = VerifiedTokens::new(100);
        for n in 0..1_000 {
            cache.insert(digest(&format!("token-{n}")), caller(n), 10_000, 0, 0);
            assert!(cache.len() <= 100, "{} entries after {n} inserts", cache.len());
        }
        // The newest token is always kept.
        assert_eq!(cache.get(&digest("token-999"), 1, 0), Some(caller(999)));
    }

    #[test]
    fn a_new_key_set_drops_every_entry_and_a_late_insert_from_the_old_one_is_ignored() {
        let cache = VerifiedTokens::new(10);
        cache.insert(digest("old"), caller(1), 10_000, 0, 0);
        assert_eq!(cache.get(&digest("old"), 1, 1), None);
        assert_eq!(cache.len(), 0);
        cache.insert(digest("late"), caller(2), 10_000, 0, 0);
        assert_eq!(cache.len(), 0, "verified under the replaced keys: not remembered");
    }

    #[test]
    fn a_zero_capacity_remembers_nothing() {
        let cache = VerifiedTokens::new(0);
        cache.insert(digest("t"), caller(1), 10_000, 0, 0);
        assert_eq!(cache.get(&digest("t"), 1, 0), None);
    }
}
