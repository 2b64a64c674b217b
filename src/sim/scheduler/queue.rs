//! The scheduling queue (pkg/scheduler/backend/queue): activeQ ordered by PrioritySort, backoffQ
//! (1 s doubling to 10 s per failed attempt), the unschedulable pool — pods wait there until a
//! cluster event may help them or 5 minutes pass — and pods held back by PreEnqueue
//! (scheduling gates).

use super::plugins::priority_sort;
use crate::sim::time::{SimTime, SECONDS};
use std::collections::{BTreeMap, BTreeSet};

pub const INITIAL_BACKOFF: u64 = SECONDS;
pub const MAX_BACKOFF: u64 = 10 * SECONDS;
/// podMaxInUnschedulablePodsDuration.
pub const MAX_IN_UNSCHEDULABLE: u64 = 300 * SECONDS;

/// QueuedPodInfo: what the queue knows of a pending pod.
#[derive(Clone, Debug)]
pub struct QueuedPod {
    pub priority: i32,
    /// When the pod last entered activeQ (PrioritySort's tie-break).
    pub timestamp: SimTime,
    pub attempts: u32,
    /// When it was first queued (for the pod scheduling SLI).
    pub initial: SimTime,
}

/// Where a pending pod is waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Active,
    Backoff(SimTime),
    Unschedulable(SimTime),
    Gated,
    /// Popped and being scheduled or bound.
    InFlight,
}

#[derive(Clone, Debug, Default)]
pub struct SchedulingQueue {
    pods: BTreeMap<String, (QueuedPod, Place)>,
    /// activeQ in PrioritySort order, then arrival: (sort key, seq, key).
    active: BTreeSet<(i64, SimTime, u64, String)>,
    seq: u64,
}

impl SchedulingQueue {
    /// A new or updated pending pod. `gated` when PreEnqueue said no.
    pub fn add(&mut self, key: &str, priority: i32, gated: bool, now: SimTime) {
        match self.pods.get(key).map(|(_, p)| *p) {
            Some(Place::Active | Place::Backoff(_) | Place::InFlight) => return,
            Some(Place::Gated) if gated => return,
            _ => {}
        }
        let initial = self.pods.get(key).map_or(now, |(q, _)| q.initial);
        let attempts = self.pods.get(key).map_or(0, |(q, _)| q.attempts);
        let info = QueuedPod { priority, timestamp: now, attempts, initial };
        if gated {
            self.pods.insert(key.to_string(), (info, Place::Gated));
        } else {
            self.push_active(key, info);
        }
    }

    fn push_active(&mut self, key: &str, info: QueuedPod) {
        self.remove_from_active(key);
        self.seq += 1;
        let (priority, timestamp) = priority_sort::key(info.priority, info.timestamp);
        self.active.insert((priority, timestamp, self.seq, key.to_string()));
        self.pods.insert(key.to_string(), (info, Place::Active));
    }

    fn remove_from_active(&mut self, key: &str) {
        if let Some((_, Place::Active)) = self.pods.get(key) {
            self.active.retain(|(_, _, _, k)| k != key);
        }
    }

    /// The pod is gone or bound: forget it.
    pub fn delete(&mut self, key: &str) {
        self.remove_from_active(key);
        self.pods.remove(key);
    }

    /// Pops the head of activeQ (PrioritySort order), after moving finished backoffs in.
    pub fn pop(&mut self, now: SimTime) -> Option<(String, QueuedPod)> {
        self.flush_backoff(now);
        let first = self.active.iter().next().cloned()?;
        self.active.remove(&first);
        let key = first.3;
        let entry = self.pods.get_mut(&key)?;
        entry.0.attempts += 1;
        entry.1 = Place::InFlight;
        Some((key, entry.0.clone()))
    }

    /// backoff = 1 s · 2^(attempts − 1), at most 10 s.
    pub fn backoff_duration(attempts: u32) -> u64 {
        let mut d = INITIAL_BACKOFF;
        for _ in 1..attempts {
            d = (d * 2).min(MAX_BACKOFF);
        }
        d
    }

    /// A failed attempt: unschedulable pods wait for an event; errors retry after backoff.
    pub fn requeue(&mut self, key: &str, unschedulable: bool, now: SimTime) {
        let Some(entry) = self.pods.get_mut(key) else { return };
        entry.0.timestamp = now;
        entry.1 = if unschedulable {
            Place::Unschedulable(now)
        } else {
            Place::Backoff(now.plus(Self::backoff_duration(entry.0.attempts)))
        };
    }

    /// MoveAllToActiveOrBackoffQueue: a cluster event may make unschedulable pods fit. Returns
    /// how many moved.
    pub fn move_all(&mut self, now: SimTime) -> usize {
        let keys: Vec<String> = self
            .pods
            .iter()
            .filter(|(_, (_, p))| matches!(p, Place::Unschedulable(_)))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            self.move_one(k, now);
        }
        keys.len()
    }

    fn move_one(&mut self, key: &str, now: SimTime) {
        let Some((info, _)) = self.pods.get(key).cloned() else { return };
        // A pod whose backoff (from its last failure) has not expired goes to backoffQ instead.
        let ready = info.timestamp.plus(Self::backoff_duration(info.attempts.max(1)));
        if ready > now {
            self.pods.insert(key.to_string(), (info, Place::Backoff(ready)));
        } else {
            self.push_active(key, QueuedPod { timestamp: now, ..info });
        }
    }

    /// flushUnschedulablePodsLeftover: pods unschedulable for more than 5 minutes move.
    pub fn flush_unschedulable(&mut self, now: SimTime) -> usize {
        let keys: Vec<String> = self
            .pods
            .iter()
            .filter(|(_, (_, p))| matches!(p, Place::Unschedulable(since) if now.since(*since) >= MAX_IN_UNSCHEDULABLE))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            self.move_one(k, now);
        }
        keys.len()
    }

    pub fn flush_backoff(&mut self, now: SimTime) {
        let ready: Vec<String> = self
            .pods
            .iter()
            .filter(|(_, (_, p))| matches!(p, Place::Backoff(at) if *at <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for k in ready {
            if let Some((info, _)) = self.pods.get(&k).cloned() {
                self.push_active(&k, QueuedPod { timestamp: now, ..info });
            }
        }
    }

    /// The earliest time a backing-off pod becomes ready.
    pub fn next_backoff(&self) -> Option<SimTime> {
        self.pods.values().filter_map(|(_, p)| if let Place::Backoff(at) = p { Some(*at) } else { None }).min()
    }

    pub fn place(&self, key: &str) -> Option<Place> {
        self.pods.get(key).map(|(_, p)| *p)
    }

    pub fn is_empty_active(&self) -> bool {
        self.active.is_empty()
    }

    /// Pending pods per queue, as scheduler_pending_pods{queue}: active, backoff, unschedulable, gated.
    pub fn pending(&self) -> [(&'static str, usize); 4] {
        let count = |f: fn(&Place) -> bool| self.pods.values().filter(|(_, p)| f(p)).count();
        [
            ("active", self.active.len()),
            ("backoff", count(|p| matches!(p, Place::Backoff(_)))),
            ("unschedulable", count(|p| matches!(p, Place::Unschedulable(_)))),
            ("gated", count(|p| matches!(p, Place::Gated))),
        ]
    }

    /// How many pods wait, wherever.
    pub fn waiting(&self) -> usize {
        self.pods.len()
    }

    /// Every pending pod key with where it waits.
    pub fn entries(&self) -> impl Iterator<Item = (&String, Place)> {
        self.pods.iter().map(|(k, (_, p))| (k, *p))
    }
}
