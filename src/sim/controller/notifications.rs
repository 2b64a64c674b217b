//! What kube-controller-manager's informers saw and its event handlers have not yet heard.
//!
//! Upstream, an informer hands each change to its handlers one at a time (the shared
//! processor's listener), apart from the watch that fills its store. A first list of 7,500
//! nodes is 7,500 handler calls, each enqueueing keys and recording events — far too much for
//! one event of the simulation (a page running it would freeze for a tenth of a second). The
//! changes wait here, in order, and are handed over in batches at the same instant; a watch
//! event arriving meanwhile waits behind them, as upstream's listener buffers it.

use crate::sim::api::request::WatchType;
use crate::sim::api::Object;
use std::collections::VecDeque;
use std::sync::Arc;

/// Changes handed to the handlers in one event.
pub const BATCH: usize = 500;

/// One change for the handlers.
#[derive(Clone, Debug)]
pub enum Notification {
    /// An object was added, updated or deleted (before and after; after is the last state
    /// for a deletion).
    Changed(WatchType, Option<Arc<Object>>, Arc<Object>),
    /// A relist of nodes, pods or leases: the node lifecycle controller looks at this node
    /// again (upstream, Replace's updates reach its queues).
    Relisted(String),
    /// An informer's list is in: every controller takes its keys again.
    Resync,
}

#[derive(Clone, Debug, Default)]
pub struct Backlog {
    waiting: VecDeque<Notification>,
    /// A batch is due at this instant (its timer is set).
    due: bool,
}

impl Backlog {
    pub fn push(&mut self, n: Notification) {
        self.waiting.push_back(n);
    }

    /// The next batch when the handlers may take one now: not while an earlier one is due,
    /// which keeps the changes in order behind the batches still waiting.
    pub fn take(&mut self) -> Vec<Notification> {
        if self.due {
            return Vec::new();
        }
        self.next_batch()
    }

    /// The batch whose timer is up.
    pub fn take_due(&mut self) -> Vec<Notification> {
        self.due = false;
        self.next_batch()
    }

    fn next_batch(&mut self) -> Vec<Notification> {
        let n = self.waiting.len().min(BATCH);
        self.waiting.drain(..n).collect()
    }

    /// Marks the changes left after the batch just taken as due; true when there are some
    /// and no batch was due yet, so the caller sets the timer.
    pub fn mark_rest_due(&mut self) -> bool {
        let more = !self.waiting.is_empty() && !self.due;
        self.due |= more;
        more
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relisted(n: usize) -> Vec<Notification> {
        (0..n).map(|i| Notification::Relisted(format!("node-{i}"))).collect()
    }

    fn names(batch: &[Notification]) -> Vec<String> {
        batch
            .iter()
            .map(|n| match n {
                Notification::Relisted(name) => name.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_small_list_is_handed_over_at_once() {
        let mut b = Backlog::default();
        relisted(3).into_iter().for_each(|n| b.push(n));
        assert_eq!(b.take().len(), 3);
        assert!(!b.mark_rest_due());
    }

    #[test]
    fn a_large_list_goes_in_batches_and_later_changes_wait_behind_it() {
        let mut b = Backlog::default();
        relisted(BATCH + 10).into_iter().for_each(|n| b.push(n));
        assert_eq!(b.take().len(), BATCH);
        assert!(b.mark_rest_due(), "the rest waits for the timer");
        // A watch event arriving now queues behind the rest of the list.
        b.push(Notification::Resync);
        assert!(b.take().is_empty(), "nothing jumps the queue while a batch is due");
        assert!(!b.mark_rest_due(), "the timer is already set");
        let rest = b.take_due();
        assert_eq!(rest.len(), 11);
        assert_eq!(names(&rest)[0], format!("node-{BATCH}"));
        assert!(matches!(rest.last(), Some(Notification::Resync)));
        assert!(!b.mark_rest_due());
    }
}
