//! Trace records: every message hop and every phase change. The renderer animates only these;
//! the hash of the whole stream is the determinism fingerprint (same seed ⇒ same hash).

use super::event::{ComponentId, MsgKind};
use super::marks::{self, Mark};
use super::rng::{fnv1a64, Fnv1a};
use super::time::SimTime;
use std::borrow::Cow;
use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq)]
pub enum TraceRecord {
    /// Message `id` of `kind` left `from` at `sent`; it arrives at `to` at `arrives`
    /// (None: lost or cut by a partition).
    Message {
        id: u64,
        kind: MsgKind,
        from: ComponentId,
        to: ComponentId,
        sent: SimTime,
        arrives: Option<SimTime>,
        label: String,
    },
    /// A component entered a phase (a handler-chain stage, a scheduling plugin, a CRI call…).
    /// Phase names are mostly literals: borrowed, so a record allocates only its detail.
    Phase { at: SimTime, component: ComponentId, phase: Cow<'static, str>, detail: String },
}

impl TraceRecord {
    pub fn at(&self) -> SimTime {
        match self {
            TraceRecord::Message { sent, .. } => *sent,
            TraceRecord::Phase { at, .. } => *at,
        }
    }
}

/// How many records the trace keeps for the views; older ones only live on in the hash.
pub const RECENT_LIMIT: usize = 20_000;

#[derive(Clone, Debug)]
pub struct Trace {
    /// Off for bulk runs (the safety checker) that need neither the views nor the hash.
    recording: bool,
    hash: u64,
    total: u64,
    recent: VecDeque<TraceRecord>,
    /// The timeline's markers (`marks.rs`), the latest `MARKS_LIMIT`.
    marks: VecDeque<Mark>,
    marks_total: u64,
}

/// How many marks the trace keeps (a large cluster's failures would be too many to draw).
pub const MARKS_LIMIT: usize = 2_000;

impl Default for Trace {
    fn default() -> Self {
        Trace {
            recording: true,
            hash: fnv1a64(b"kube-playground-trace"),
            total: 0,
            recent: VecDeque::new(),
            marks: VecDeque::new(),
            marks_total: 0,
        }
    }
}

impl Trace {
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }

    pub fn record(&mut self, rec: TraceRecord) {
        if !self.recording {
            return;
        }
        self.mix(&rec);
        self.total += 1;
        if let TraceRecord::Phase { at, component, phase, detail } = &rec {
            if let Some(kind) = marks::classify(phase, detail) {
                if self.marks.len() == MARKS_LIMIT {
                    self.marks.pop_front();
                }
                self.marks.push_back(Mark { at: *at, kind, component: *component, detail: detail.clone() });
                self.marks_total += 1;
            }
        }
        if self.recent.len() == RECENT_LIMIT {
            self.recent.pop_front();
        }
        self.recent.push_back(rec);
    }

    /// Folds a record into the running hash field by field, with explicit widths, so that the
    /// value is the same on 64-bit native targets and on wasm32.
    fn mix(&mut self, rec: &TraceRecord) {
        let mut h = Fnv1a::new();
        match rec {
            TraceRecord::Message { id, kind, from, to, sent, arrives, label } => {
                h.write(&[1]);
                h.write(&id.to_le_bytes());
                h.write(&[*kind as u8]);
                h.write(&from.to_le_bytes());
                h.write(&to.to_le_bytes());
                h.write(&sent.0.to_le_bytes());
                h.write(&arrives.map_or(u64::MAX, |t| t.0).to_le_bytes());
                h.write(label.as_bytes());
            }
            TraceRecord::Phase { at, component, phase, detail } => {
                h.write(&[2]);
                h.write(&at.0.to_le_bytes());
                h.write(&component.to_le_bytes());
                h.write(phase.as_bytes());
                h.write(&[0]);
                h.write(detail.as_bytes());
            }
        }
        h.write(&self.hash.to_le_bytes());
        self.hash = h.finish();
    }

    pub fn hash(&self) -> u64 {
        self.hash
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The marks recorded so far, oldest first.
    pub fn marks(&self) -> impl DoubleEndedIterator<Item = &Mark> {
        self.marks.iter()
    }

    /// A copy keeping only the latest `keep` records for the views; the hash, the counts and
    /// the marks are whole. (The timeline's snapshots are a third lighter so.)
    pub fn tail(&self, keep: usize) -> Trace {
        Trace {
            recent: self.recent.iter().skip(self.recent.len().saturating_sub(keep)).cloned().collect(),
            marks: self.marks.clone(),
            ..*self
        }
    }

    /// Marks recorded since the start, including those no longer kept.
    pub fn marks_total(&self) -> u64 {
        self.marks_total
    }

    pub fn recent(&self) -> impl DoubleEndedIterator<Item = &TraceRecord> {
        self.recent.iter()
    }
}
