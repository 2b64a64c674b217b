//! The timeline the page's scrubber moves on. The session's snapshots (cloned sessions) are
//! taken every few simulated seconds of new ground; going back to a moment restores the
//! latest snapshot at or before it, gives it the branch's actions, and replays forward — the
//! simulation is deterministic, so that is the state the moment had. Acting in the past
//! forks: the branch's later actions, marks and snapshots are dropped.

use super::session::Session;
use crate::sim::marks::Mark;
use crate::sim::time::SimTime;

/// Snapshots kept; when full, every other one goes and the interval doubles.
const MAX_SNAPSHOTS: usize = 16;
/// Simulated time between snapshots at first.
const FIRST_INTERVAL_US: u64 = 5_000_000;
/// Wall time between snapshots at least (a fast run would clone too often).
const MIN_WALL_MS: f64 = 500.0;
/// Clusters with more worker nodes than this are not copied (a 7,500-node session weighs
/// hundreds of MB): going back replays from t = 0 instead.
pub const MAX_COPIED_NODES: usize = 100;

pub struct Timeline {
    /// Sessions at increasing moments, none past the horizon.
    snapshots: Vec<Session>,
    interval_us: u64,
    /// Wall-clock ms of the last snapshot.
    last_wall: f64,
    /// The farthest moment this branch of history has reached.
    horizon: SimTime,
    /// This branch's marks up to the horizon, oldest first.
    marks: Vec<Mark>,
    /// How many marks the branch had recorded at the horizon (replays record the same ones).
    seen: u64,
    copies: bool,
}

impl Timeline {
    /// The timeline of a session just opened; `copies` is false for clusters too large to copy.
    pub fn new(session: &Session) -> Timeline {
        let copies = session.scenario.cluster.workers.len() <= MAX_COPIED_NODES;
        Timeline {
            snapshots: Vec::new(),
            interval_us: FIRST_INTERVAL_US,
            last_wall: f64::NEG_INFINITY,
            horizon: session.sim.now(),
            marks: session.sim.trace.marks().cloned().collect(),
            seen: session.sim.trace.marks_total(),
            copies,
        }
    }

    pub fn horizon(&self) -> SimTime {
        self.horizon
    }

    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    /// Moments a snapshot was taken at.
    pub fn snapshot_times(&self) -> impl Iterator<Item = SimTime> + '_ {
        self.snapshots.iter().map(|s| s.sim.now())
    }

    /// After the session advanced (`wall_ms`: the page's clock): past the horizon, the
    /// horizon moves, the new marks join, and a snapshot is taken when one is due.
    pub fn observe(&mut self, session: &mut Session, wall_ms: f64) {
        let now = session.sim.now();
        if now < self.horizon {
            return;
        }
        let trace = &session.sim.trace;
        let new = trace.marks_total().saturating_sub(self.seen) as usize;
        let kept = trace.marks().count();
        self.marks.extend(trace.marks().skip(kept.saturating_sub(new)).cloned());
        self.seen = trace.marks_total();
        if self.marks.len() > crate::sim::trace::MARKS_LIMIT {
            self.marks.drain(..self.marks.len() - crate::sim::trace::MARKS_LIMIT);
        }
        self.horizon = now;
        let last = self.snapshots.last().map_or(0, |s| s.sim.now().0);
        let due = self.snapshots.is_empty() || now.0 >= last + self.interval_us;
        if self.copies && due && wall_ms - self.last_wall >= MIN_WALL_MS {
            self.snapshots.push(session.snapshot());
            self.last_wall = wall_ms;
            if self.snapshots.len() > MAX_SNAPSHOTS {
                let mut i = 0;
                self.snapshots.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.interval_us *= 2;
            }
        }
    }

    /// The session to go on from to reach `t` on this branch: the current one when it is
    /// already at or before `t` and nothing saved is closer, else a copy of the latest
    /// snapshot at or before `t` (or the scenario built afresh) given the branch's actions.
    pub fn rewind(&self, session: &Session, t: SimTime) -> Result<Option<Session>, String> {
        let best = self.snapshots.iter().rev().find(|s| s.sim.now() <= t);
        let now = session.sim.now();
        if now <= t && best.is_none_or(|s| s.sim.now() <= now) {
            return Ok(None);
        }
        let branch = session.shared();
        match best {
            Some(s) => {
                let mut back = s.clone();
                back.set_history(branch.actions);
                Ok(Some(back))
            }
            None => Session::new(branch).map(Some),
        }
    }

    /// The user acts at the session's moment: when that is before the horizon, the branch's
    /// future (actions still to replay, later marks and snapshots) is dropped.
    pub fn fork(&mut self, session: &mut Session) {
        let now = session.sim.now();
        if now >= self.horizon {
            return;
        }
        session.drop_future();
        self.horizon = now;
        self.marks = session.sim.trace.marks().cloned().collect();
        self.seen = session.sim.trace.marks_total();
        self.snapshots.retain(|s| s.sim.now() <= now);
    }
}
