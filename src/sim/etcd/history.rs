//! The MVCC store's change history, kept as shared chunks: a Raft snapshot clones the whole
//! store, and a clone of the history then shares every full chunk instead of copying each
//! change since the last compaction (hundreds of thousands in a large cluster).

use super::mvcc::MvccEvent;
use std::collections::VecDeque;
use std::sync::Arc;

/// Changes per chunk: a write after a snapshot copies at most one chunk.
const CHUNK: usize = 1024;

#[derive(Clone, Debug, Default)]
pub struct History {
    chunks: VecDeque<Arc<Vec<MvccEvent>>>,
}

impl History {
    pub fn push(&mut self, ev: MvccEvent) {
        match self.chunks.back_mut() {
            // Copied only if a snapshot shares it.
            Some(last) if last.len() < CHUNK => Arc::make_mut(last).push(ev),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(ev);
                self.chunks.push_back(Arc::new(chunk));
            }
        }
    }

    /// Drops the changes up to and including revision `rev`, handing each to `gone`.
    pub fn drop_through(&mut self, rev: i64, mut gone: impl FnMut(&MvccEvent)) {
        while let Some(first) = self.chunks.front_mut() {
            let n = first.partition_point(|e| e.kv.mod_revision <= rev);
            first[..n].iter().for_each(&mut gone);
            if n == first.len() {
                self.chunks.pop_front();
            } else {
                if n > 0 {
                    Arc::make_mut(first).drain(..n);
                }
                break;
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &MvccEvent> {
        self.chunks.iter().flat_map(|c| c.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::etcd::mvcc::{EventType, KeyValue};

    fn ev(rev: i64) -> MvccEvent {
        let kv = KeyValue {
            key: format!("/k{rev}").into(),
            value: Vec::new().into(),
            create_revision: rev,
            mod_revision: rev,
            version: 1,
            lease: 0,
        };
        MvccEvent { type_: EventType::Put, kv }
    }

    #[test]
    fn a_clone_shares_chunks_and_compaction_drops_in_order() {
        let mut h = History::default();
        (1..=2500).for_each(|r| h.push(ev(r)));
        let snapshot = h.clone();
        h.push(ev(2501));
        assert!(Arc::ptr_eq(&snapshot.chunks[0], &h.chunks[0]), "full chunks are shared");
        assert!(!Arc::ptr_eq(&snapshot.chunks[2], &h.chunks[2]), "the written one was copied");
        let mut dropped = 0;
        h.drop_through(1500, |_| dropped += 1);
        assert_eq!(dropped, 1500);
        assert_eq!(h.iter().next().map(|e| e.kv.mod_revision), Some(1501));
        assert_eq!(h.iter().count(), 1001);
        assert_eq!(snapshot.iter().count(), 2500, "the snapshot keeps what it had");
    }
}
