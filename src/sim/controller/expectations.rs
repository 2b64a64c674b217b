//! ControllerExpectations (pkg/controller/controller_utils.go): how many creations and
//! deletions a controller still waits to see through its informer before it acts on a key
//! again, so that it never acts twice on a stale cache. Expectations older than five minutes
//! (ExpectationsTimeout) count as met: a lost event cannot stall a controller for good.

use crate::sim::time::{SimTime, SECONDS};
use crate::sim::vecmap::VecMap;

/// Upstream ExpectationsTimeout.
pub const TIMEOUT_US: u64 = 5 * 60 * SECONDS;

/// Outstanding creations/deletions per controller key, and when they were set.
#[derive(Clone, Debug, Default)]
pub struct Expectations(VecMap<String, (i32, SimTime)>);

impl Expectations {
    /// ExpectCreations / ExpectDeletions: `n` writes are on their way.
    pub fn expect(&mut self, key: &str, n: i32, now: SimTime) {
        self.0.insert(key.to_string(), (n, now));
    }

    /// CreationObserved / DeletionObserved: one of them showed up (or failed).
    pub fn observed(&mut self, key: &str) {
        if let Some((n, _)) = self.0.get_mut(key) {
            *n -= 1;
        }
    }

    /// SatisfiedExpectations: nothing outstanding, or set so long ago that it expired.
    pub fn satisfied(&self, key: &str, now: SimTime) -> bool {
        self.0.get(key).is_none_or(|(n, at)| *n <= 0 || now.since(*at) > TIMEOUT_US)
    }

    /// DeleteExpectations: the controller's object is gone.
    pub fn forget(&mut self, key: &str) {
        self.0.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn met_when_every_write_is_seen_or_after_the_timeout() {
        let mut e = Expectations::default();
        let t0 = SimTime::from_secs(10);
        assert!(e.satisfied("rs", t0));
        e.expect("rs", 2, t0);
        e.observed("rs");
        assert!(!e.satisfied("rs", t0));
        e.observed("rs");
        assert!(e.satisfied("rs", t0));
        e.expect("rs", 1, t0);
        assert!(!e.satisfied("rs", SimTime::from_secs(10 + 300)));
        assert!(e.satisfied("rs", SimTime::from_secs(10 + 301)), "a lost event stalls for five minutes at most");
        e.forget("rs");
        assert!(e.satisfied("rs", t0));
    }
}
