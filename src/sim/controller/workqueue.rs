//! A rate-limited work queue (client-go util/workqueue): keys are deduplicated while waiting,
//! and a key that failed comes back after DefaultControllerRateLimiter's delay — the larger
//! of its own exponential backoff (5 ms doubling up to 1000 s) and the overall token bucket
//! (10 qps, burst 100) shared by every retry of this queue. Counts what the workqueue metrics
//! report.

use crate::sim::metrics::Histogram;
use crate::sim::time::{SimTime, SECONDS};
use crate::sim::vecmap::VecMap;
use std::collections::{BTreeSet, VecDeque};

pub const BASE_DELAY_US: u64 = 5_000;
pub const MAX_DELAY_US: u64 = 1_000_000_000;
/// The overall bucket: 10 tokens a second, 100 at most.
pub const BUCKET_QPS: u64 = 10;
pub const BUCKET_BURST: u64 = 100;

#[derive(Clone, Debug)]
pub struct WorkQueue {
    queue: VecDeque<(String, SimTime)>,
    dirty: BTreeSet<String>,
    failures: VecMap<String, u32>,
    /// The token bucket as of `bucket_at`: tokens in millitokens, so refills stay exact.
    bucket_milli: u64,
    bucket_at: SimTime,
    pub adds_total: u64,
    pub retries_total: u64,
    /// Time keys waited in the queue, and time spent working on them (modelled).
    pub queue_duration: Histogram,
    pub work_duration: Histogram,
}

impl Default for WorkQueue {
    fn default() -> Self {
        WorkQueue {
            queue: VecDeque::new(),
            dirty: BTreeSet::new(),
            failures: VecMap::new(),
            bucket_milli: BUCKET_BURST * 1000,
            bucket_at: SimTime::ZERO,
            adds_total: 0,
            retries_total: 0,
            queue_duration: duration_histogram(),
            work_duration: duration_histogram(),
        }
    }
}

/// The workqueue duration buckets: ExponentialBuckets(10e-9, 10, 10).
fn duration_histogram() -> Histogram {
    Histogram::exponential(10e-9, 10.0, 10)
}

impl WorkQueue {
    pub fn add(&mut self, key: String, now: SimTime) {
        if self.dirty.insert(key.clone()) {
            self.adds_total += 1;
            self.queue.push_back((key, now));
        }
    }

    pub fn get(&mut self, now: SimTime) -> Option<String> {
        let (key, since) = self.queue.pop_front()?;
        self.dirty.remove(&key);
        self.queue_duration.observe(now.since(since) as f64 / SECONDS as f64);
        Some(key)
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// AddRateLimited: records a failure of `key` and returns how long to wait before adding
    /// it again — the larger of its backoff and the shared bucket's wait for a token.
    pub fn backoff(&mut self, key: &str, now: SimTime) -> u64 {
        self.retries_total += 1;
        let n = self.failures.entry(key.to_string()).or_insert(0);
        let item = BASE_DELAY_US.saturating_mul(1u64 << (*n).min(40)).min(MAX_DELAY_US);
        *n += 1;
        item.max(self.take_token(now))
    }

    /// The bucket (rate.Limiter.Reserve): refills at 10 tokens/s up to the burst; a
    /// reservation may drive it negative, and the wait is until its token has refilled.
    fn take_token(&mut self, now: SimTime) -> u64 {
        // While in debt, `bucket_at` is in the future: tokens count from there.
        let refill = now.since(self.bucket_at) * BUCKET_QPS * 1000 / SECONDS;
        let have = (self.bucket_milli + refill).min(BUCKET_BURST * 1000);
        if have >= 1000 {
            self.bucket_milli = have - 1000;
            self.bucket_at = now;
            return 0;
        }
        let base = self.bucket_at.max(now);
        let ready = base.plus((1000 - have) * SECONDS / (BUCKET_QPS * 1000));
        self.bucket_milli = 0;
        self.bucket_at = ready;
        ready.since(now)
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
        let t = SimTime::ZERO;
        let mut q = WorkQueue::default();
        q.add("a".into(), t);
        q.add("a".into(), t);
        q.add("b".into(), t);
        assert_eq!(q.len(), 2);
        assert_eq!(q.get(t).as_deref(), Some("a"));
        assert_eq!(q.backoff("a", t), 5_000);
        assert_eq!(q.backoff("a", t), 10_000);
        assert_eq!(q.backoff("a", t), 20_000);
        q.forget("a");
        assert_eq!(q.backoff("a", t), 5_000);
        for _ in 0..60 {
            q.backoff("b", t);
        }
        assert_eq!(q.backoff("b", t), MAX_DELAY_US);
    }

    #[test]
    fn the_shared_bucket_allows_a_burst_of_100_then_10_per_second() {
        let t = SimTime::from_secs(1);
        let mut q = WorkQueue::default();
        // 100 different keys fail at once: the burst covers them at their own 5 ms.
        for i in 0..100 {
            assert_eq!(q.backoff(&format!("k{i}"), t), BASE_DELAY_US);
        }
        // The 101st waits for a token: 100 ms at 10 qps; the next one 100 ms more.
        assert_eq!(q.backoff("k100", t), 100_000);
        assert_eq!(q.backoff("k101", t), 200_000);
        // Tokens refill with time.
        assert_eq!(q.backoff("k102", SimTime::from_secs(20)), BASE_DELAY_US);
    }
}
