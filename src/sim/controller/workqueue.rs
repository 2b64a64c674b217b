//! A rate-limited work queue (client-go util/workqueue): keys are deduplicated while waiting,
//! and a key that failed comes back after per-item exponential backoff (5 ms doubling up to
//! 1000 s, as DefaultControllerRateLimiter). The overall 10 qps bucket is not modelled yet.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub const BASE_DELAY_US: u64 = 5_000;
pub const MAX_DELAY_US: u64 = 1_000_000_000;

#[derive(Clone, Debug, Default)]
pub struct WorkQueue {
    queue: VecDeque<String>,
    dirty: BTreeSet<String>,
    failures: BTreeMap<String, u32>,
    pub adds_total: u64,
}

impl WorkQueue {
    pub fn add(&mut self, key: String) {
        if self.dirty.insert(key.clone()) {
            self.adds_total += 1;
            self.queue.push_back(key);
        }
    }

    pub fn get(&mut self) -> Option<String> {
        let key = self.queue.pop_front()?;
        self.dirty.remove(&key);
        Some(key)
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Records a failure of `key` and returns how long to wait before adding it again.
    pub fn backoff(&mut self, key: &str) -> u64 {
        let n = self.failures.entry(key.to_string()).or_insert(0);
        let delay = BASE_DELAY_US.saturating_mul(1u64 << (*n).min(40)).min(MAX_DELAY_US);
        *n += 1;
        delay
    }

    /// Forget: the key synced fine, reset its backoff.
    pub fn forget(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedups_and_backs_off_exponentially() {
        let mut q = WorkQueue::default();
        q.add("a".into());
        q.add("a".into());
        q.add("b".into());
        assert_eq!(q.len(), 2);
        assert_eq!(q.get().as_deref(), Some("a"));
        assert_eq!(q.backoff("a"), 5_000);
        assert_eq!(q.backoff("a"), 10_000);
        assert_eq!(q.backoff("a"), 20_000);
        q.forget("a");
        assert_eq!(q.backoff("a"), 5_000);
        for _ in 0..60 {
            q.backoff("b");
        }
        assert_eq!(q.backoff("b"), MAX_DELAY_US);
    }
}
