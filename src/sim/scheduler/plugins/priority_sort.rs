//! PrioritySort (pkg/scheduler/framework/plugins/queuesort): activeQ pops the pod with the
//! highest priority first, then the one queued earliest.

use crate::sim::time::SimTime;

/// A key whose ascending order is Less(a, b): higher priority, then earlier timestamp.
pub fn key(priority: i32, timestamp: SimTime) -> (i64, SimTime) {
    (-(priority as i64), timestamp)
}
