//! etcd's MVCC key-value store (server/storage/mvcc): a global revision, create/mod revision
//! and version per key, range by prefix, a single-key transaction with a compare (how
//! kube-apiserver does optimistic concurrency), the change history since the last compaction
//! (watch from a revision), compaction, the backend quota with the NOSPACE alarm, and leases
//! (keys attached to a lease go when it is revoked: how Events expire after --event-ttl).
//! Simplified: ranges read the newest revision only; sizes count keys and stored bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

/// A stored value's bytes, shared: the proposal, every member's log entry, store and history,
/// and the watch events all point at the one buffer the apiserver encoded.
pub type Value = Arc<[u8]>;

#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// Shared by every member's store, its history and its lease: written once by the
    /// apiserver (one key per write instead of about four per member).
    pub key: Arc<str>,
    /// The bytes kube-apiserver stored (see `sim::storage`).
    pub value: Value,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    /// The lease the key is attached to (0: none).
    pub lease: i64,
}

/// The compare of a transaction's `If` clause.
#[derive(Clone, Debug, PartialEq)]
pub enum Compare {
    /// `create_revision(key) == 0`: the key does not exist.
    Absent,
    /// `mod_revision(key) == rev`.
    ModRevision(i64),
    /// `version(key) == v` (0: absent), as kube-apiserver's compactors agree on whose turn it is.
    Version(i64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum TxnAction {
    Put(Value),
    Delete,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Txn {
    pub key: Arc<str>,
    pub compare: Compare,
    pub action: TxnAction,
    /// The lease a put attaches the key to (0: none).
    pub lease: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TxnResult {
    pub succeeded: bool,
    pub revision: i64,
    /// On success the written pair (None after a delete); on failure the current pair.
    pub kv: Option<KeyValue>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Put,
    Delete,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MvccEvent {
    pub type_: EventType,
    /// For a delete: the last value, with mod_revision set to the deleting revision.
    pub kv: KeyValue,
}

/// A replicated operation on the store.
#[derive(Clone, Debug, PartialEq)]
pub enum KvOp {
    Txn(Txn),
    /// Compact: forget history up to and including this revision.
    Compact(i64),
    /// `etcdctl alarm disarm`.
    Disarm,
    /// Lease.LeaseGrant: a lease with this TTL; its ID is the store's next.
    LeaseGrant {
        ttl_s: i64,
    },
    /// Lease.LeaseRevoke (the leader's lessor, once the TTL has run out): the lease and every
    /// key attached to it go, at one revision.
    LeaseRevoke(i64),
}

/// An etcd lease: its TTL and the keys attached to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Lease {
    pub ttl_s: i64,
    /// Shared pieces, like the live keys': a snapshot's clone copies no key (an events
    /// lease holds up to 1,000).
    pub keys: std::collections::BTreeSet<Arc<str>>,
}

/// What applying an operation did: its answer, the watch events it caused (a revoke deletes
/// several keys at once), and the ID of a lease it granted.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub result: TxnResult,
    pub events: Vec<MvccEvent>,
    pub granted: Option<i64>,
}

impl KvOp {
    /// The key a transaction writes (for labels and checks).
    pub fn key(&self) -> Option<&str> {
        match self {
            KvOp::Txn(t) => Some(&t.key),
            _ => None,
        }
    }
}

/// etcd's default --quota-backend-bytes: 2 GiB.
pub const DEFAULT_QUOTA_BYTES: usize = 2 * 1024 * 1024 * 1024;
pub const ERR_COMPACTED: &str = "mvcc: required revision has been compacted";
pub const ERR_FUTURE_REV: &str = "mvcc: required revision is a future revision";
pub const ERR_NO_SPACE: &str = "etcdserver: mvcc: database space exceeded";
pub const ERR_LEASE_NOT_FOUND: &str = "etcdserver: requested lease not found";

#[derive(Clone, Debug)]
pub struct Mvcc {
    revision: i64,
    compacted: i64,
    /// Live keys; shared pieces, so that a snapshot's clone of the store copies no key or value.
    kvs: BTreeMap<Arc<str>, Arc<KeyValue>>,
    /// Every change after `compacted`, oldest first.
    history: super::history::History,
    /// Bytes in use (live keys and values plus history).
    in_use: usize,
    /// The backend file only grows until a defrag, as bbolt's does.
    db_size: usize,
    pub quota_bytes: usize,
    /// The NOSPACE alarm: set when a write would exceed the quota; only deletes, compaction
    /// and a disarm are accepted until it is cleared.
    pub nospace: bool,
    /// Live leases by ID, and the ID the next grant gets. Shared like the keys: a snapshot
    /// copies no lease's key set; a lease written afterwards copies its own.
    leases: BTreeMap<i64, Arc<Lease>>,
    next_lease: i64,
}

impl Default for Mvcc {
    fn default() -> Self {
        Mvcc {
            revision: 0,
            compacted: 0,
            kvs: BTreeMap::new(),
            history: Default::default(),
            in_use: 0,
            db_size: 0,
            quota_bytes: DEFAULT_QUOTA_BYTES,
            nospace: false,
            leases: BTreeMap::new(),
            // etcd's IDs are 64-bit numbers from the member ID and the clock; these only need
            // to be the same on every member.
            next_lease: 0x694d_0000_0000_0001,
        }
    }
}

/// Stored bytes of one pair: the key and the value.
fn pair_size(key: &str, value: &[u8]) -> usize {
    key.len() + value.len()
}

impl Mvcc {
    pub fn revision(&self) -> i64 {
        self.revision
    }

    pub fn compacted(&self) -> i64 {
        self.compacted
    }

    /// etcd_mvcc_db_total_size_in_bytes: the backend's allocated size.
    pub fn db_size(&self) -> usize {
        self.db_size
    }

    /// etcd_mvcc_db_total_size_in_use_in_bytes.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// `etcdctl defrag`: give the space freed by compaction back.
    pub fn defrag(&mut self) {
        self.db_size = self.in_use;
    }

    /// Applies a replicated operation; errors are etcd's gRPC error messages.
    pub fn apply(&mut self, op: &KvOp) -> Result<Applied, String> {
        let done = |m: &Mvcc| TxnResult { succeeded: true, revision: m.revision, kv: None };
        match op {
            KvOp::Txn(t) => {
                if let TxnAction::Put(v) = &t.action {
                    let grows = pair_size(&t.key, v);
                    if self.nospace || self.in_use + grows > self.quota_bytes {
                        self.nospace = true;
                        return Err(ERR_NO_SPACE.into());
                    }
                    if t.lease != 0 && !self.leases.contains_key(&t.lease) {
                        return Err(ERR_LEASE_NOT_FOUND.into());
                    }
                }
                let (result, event) = self.txn(t);
                Ok(Applied { result, events: event.into_iter().collect(), granted: None })
            }
            KvOp::Compact(rev) => {
                self.compact(*rev)?;
                Ok(Applied { result: done(self), events: vec![], granted: None })
            }
            KvOp::Disarm => {
                self.nospace = false;
                Ok(Applied { result: done(self), events: vec![], granted: None })
            }
            KvOp::LeaseGrant { ttl_s } => {
                let id = self.next_lease;
                self.next_lease += 1;
                self.leases.insert(id, Arc::new(Lease { ttl_s: *ttl_s, keys: Default::default() }));
                Ok(Applied { result: done(self), events: vec![], granted: Some(id) })
            }
            KvOp::LeaseRevoke(id) => {
                let lease = self.leases.remove(id).map(Arc::unwrap_or_clone).ok_or(ERR_LEASE_NOT_FOUND)?;
                let events = self.delete_all(lease.keys);
                Ok(Applied { result: done(self), events, granted: None })
            }
        }
    }

    /// Live leases by ID.
    pub fn leases(&self) -> &BTreeMap<i64, Arc<Lease>> {
        &self.leases
    }

    /// Deletes keys at one new revision (a lease's, when it is revoked).
    fn delete_all(&mut self, keys: std::collections::BTreeSet<Arc<str>>) -> Vec<MvccEvent> {
        let gone: Vec<KeyValue> = keys.iter().filter_map(|k| self.kvs.remove(&**k)).map(Arc::unwrap_or_clone).collect();
        if gone.is_empty() {
            return vec![];
        }
        self.revision += 1;
        let mut events = Vec::with_capacity(gone.len());
        for mut old in gone {
            self.in_use = self.in_use.saturating_sub(pair_size(&old.key, &old.value));
            old.mod_revision = self.revision;
            let event = MvccEvent { type_: EventType::Delete, kv: old };
            self.record(&event);
            events.push(event);
        }
        events
    }

    /// Moves `key` from the lease it was attached to onto `lease` (0: none).
    fn attach(&mut self, key: &Arc<str>, from: i64, lease: i64) {
        if from == lease {
            return;
        }
        if let Some(l) = self.leases.get_mut(&from) {
            Arc::make_mut(l).keys.remove(&**key);
        }
        if let Some(l) = self.leases.get_mut(&lease) {
            Arc::make_mut(l).keys.insert(key.clone());
        }
    }

    /// Forgets history up to `rev`.
    pub fn compact(&mut self, rev: i64) -> Result<(), String> {
        if rev <= self.compacted {
            return Err(ERR_COMPACTED.into());
        }
        if rev > self.revision {
            return Err(ERR_FUTURE_REV.into());
        }
        let mut freed = 0;
        self.history.drop_through(rev, |e| freed += pair_size(&e.kv.key, &e.kv.value));
        self.in_use = self.in_use.saturating_sub(freed);
        self.compacted = rev;
        Ok(())
    }

    /// The changes under `prefix` from revision `from` on, for a watch that starts in the
    /// past; fails when that history has been compacted away.
    pub fn changes_since(&self, prefix: &str, from: i64) -> Result<Vec<MvccEvent>, String> {
        if from <= self.compacted {
            return Err(ERR_COMPACTED.into());
        }
        Ok(self.history.iter().filter(|e| e.kv.mod_revision >= from && e.kv.key.starts_with(prefix)).cloned().collect())
    }

    fn record(&mut self, ev: &MvccEvent) {
        self.in_use += pair_size(&ev.kv.key, &ev.kv.value);
        self.db_size = self.db_size.max(self.in_use);
        self.history.push(ev.clone());
    }

    /// How many keys are live.
    pub fn keys(&self) -> usize {
        self.kvs.len()
    }

    /// The `n` keys written last, newest first (the inspector's view of the key space).
    pub fn latest(&self, n: usize) -> Vec<&KeyValue> {
        let mut top: Vec<&KeyValue> = Vec::with_capacity(n + 1);
        for kv in self.kvs.values().map(|kv| &**kv) {
            if top.len() == n && top.last().is_some_and(|l| l.mod_revision >= kv.mod_revision) {
                continue;
            }
            let at = top.partition_point(|t| t.mod_revision > kv.mod_revision);
            top.insert(at, kv);
            top.truncate(n);
        }
        top
    }

    pub fn get(&self, key: &str) -> Option<&KeyValue> {
        self.kvs.get(key).map(|kv| &**kv)
    }

    pub fn range(&self, prefix: &str) -> Vec<KeyValue> {
        use std::ops::Bound;
        self.kvs
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| (**v).clone())
            .collect()
    }

    /// Applies a transaction; returns its result and the watch event it produced, if any.
    pub fn txn(&mut self, txn: &Txn) -> (TxnResult, Option<MvccEvent>) {
        let current = self.kvs.get(&*txn.key).map(|kv| &**kv);
        let ok = match txn.compare {
            Compare::Absent => current.is_none(),
            Compare::ModRevision(rev) => current.is_some_and(|kv| kv.mod_revision == rev),
            Compare::Version(v) => current.map_or(0, |kv| kv.version) == v,
        };
        if !ok {
            return (TxnResult { succeeded: false, revision: self.revision, kv: current.cloned() }, None);
        }
        self.revision += 1;
        let rev = self.revision;
        match &txn.action {
            TxnAction::Put(value) => {
                let (create_revision, version) = current.map_or((rev, 1), |kv| (kv.create_revision, kv.version + 1));
                let from = current.map_or(0, |kv| kv.lease);
                self.attach(&txn.key, from, txn.lease);
                let kv = KeyValue {
                    key: txn.key.clone(),
                    value: value.clone(),
                    create_revision,
                    mod_revision: rev,
                    version,
                    lease: txn.lease,
                };
                if let Some(old) = self.kvs.insert(txn.key.clone(), Arc::new(kv.clone())) {
                    self.in_use = self.in_use.saturating_sub(pair_size(&old.key, &old.value));
                }
                self.in_use += pair_size(&kv.key, &kv.value);
                let event = MvccEvent { type_: EventType::Put, kv: kv.clone() };
                self.record(&event);
                (TxnResult { succeeded: true, revision: rev, kv: Some(kv) }, Some(event))
            }
            TxnAction::Delete => match self.kvs.remove(&*txn.key).map(Arc::unwrap_or_clone) {
                Some(mut old) => {
                    self.attach(&old.key, old.lease, 0);
                    self.in_use = self.in_use.saturating_sub(pair_size(&old.key, &old.value));
                    old.mod_revision = rev;
                    let event = MvccEvent { type_: EventType::Delete, kv: old };
                    self.record(&event);
                    (TxnResult { succeeded: true, revision: rev, kv: None }, Some(event))
                }
                None => {
                    self.revision -= 1;
                    (TxnResult { succeeded: false, revision: self.revision, kv: None }, None)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::{Namespace, Object, ObjectMeta};

    fn ns(name: &str) -> Value {
        crate::sim::storage::encode(&Object::Namespace(Namespace {
            metadata: ObjectMeta::named("", name),
            ..Default::default()
        }))
    }

    #[test]
    fn compare_and_swap_on_mod_revision() {
        let mut m = Mvcc::default();
        let put =
            |c| Txn { key: "/registry/namespaces/a".into(), compare: c, action: TxnAction::Put(ns("a")), lease: 0 };
        let (r, ev) = m.txn(&put(Compare::Absent));
        assert!(r.succeeded && ev.is_some());
        assert_eq!(r.revision, 1);
        let (r2, _) = m.txn(&put(Compare::Absent));
        assert!(!r2.succeeded, "create of an existing key fails");
        assert_eq!(r2.kv.map(|kv| kv.mod_revision), Some(1));
        let (r3, _) = m.txn(&put(Compare::ModRevision(1)));
        assert!(r3.succeeded);
        let kv = m.get("/registry/namespaces/a").unwrap();
        assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (1, 2, 2));
        let (stale, _) = m.txn(&put(Compare::ModRevision(1)));
        assert!(!stale.succeeded, "a stale resourceVersion conflicts");
    }

    #[test]
    fn history_compaction_and_quota() {
        let mut m = Mvcc::default();
        let put = |k: &str| {
            KvOp::Txn(Txn { key: k.into(), compare: Compare::Absent, action: TxnAction::Put(ns("x")), lease: 0 })
        };
        for k in ["/a", "/b", "/c"] {
            m.apply(&put(k)).unwrap();
        }
        assert_eq!(m.changes_since("/", 2).unwrap().len(), 2);
        m.apply(&KvOp::Compact(2)).unwrap();
        assert_eq!(m.changes_since("/", 2).unwrap_err(), ERR_COMPACTED);
        assert_eq!(m.changes_since("/", 3).unwrap().len(), 1);
        assert_eq!(m.apply(&KvOp::Compact(9)).unwrap_err(), ERR_FUTURE_REV);
        let before = m.db_size();
        assert!(m.in_use() < before, "compaction frees space in use, not the file");
        m.defrag();
        assert_eq!(m.db_size(), m.in_use());
        m.quota_bytes = m.in_use() + 10;
        assert_eq!(m.apply(&put("/d")).unwrap_err(), ERR_NO_SPACE);
        assert!(m.nospace);
        m.quota_bytes = DEFAULT_QUOTA_BYTES;
        assert_eq!(m.apply(&put("/d")).unwrap_err(), ERR_NO_SPACE, "the alarm stays until disarmed");
        m.apply(&KvOp::Disarm).unwrap();
        assert!(m.apply(&put("/d")).is_ok());
    }

    #[test]
    fn a_revoked_lease_deletes_its_keys_at_one_revision() {
        let mut m = Mvcc::default();
        let put = |k: &str, lease| {
            KvOp::Txn(Txn { key: k.into(), compare: Compare::Absent, action: TxnAction::Put(ns("x")), lease })
        };
        let id = m.apply(&KvOp::LeaseGrant { ttl_s: 3660 }).unwrap().granted.unwrap();
        assert_eq!(m.apply(&put("/e/1", id + 7)).unwrap_err(), ERR_LEASE_NOT_FOUND);
        for k in ["/e/1", "/e/2"] {
            m.apply(&put(k, id)).unwrap();
        }
        m.apply(&put("/kept", 0)).unwrap();
        let before = m.revision();
        let revoked = m.apply(&KvOp::LeaseRevoke(id)).unwrap();
        assert_eq!(revoked.events.len(), 2);
        assert!(revoked.events.iter().all(|e| e.type_ == EventType::Delete && e.kv.mod_revision == before + 1));
        assert_eq!((m.revision(), m.keys(), m.leases().len()), (before + 1, 1, 0));
        assert_eq!(m.apply(&KvOp::LeaseRevoke(id)).unwrap_err(), ERR_LEASE_NOT_FOUND);
    }

    #[test]
    fn range_is_by_prefix_in_key_order() {
        let mut m = Mvcc::default();
        for k in ["/registry/pods/default/b", "/registry/pods/default/a", "/registry/pods/kube-system/c"] {
            m.txn(&Txn { key: k.into(), compare: Compare::Absent, action: TxnAction::Put(ns("x")), lease: 0 });
        }
        let keys: Vec<String> = m.range("/registry/pods/default/").into_iter().map(|kv| kv.key.to_string()).collect();
        assert_eq!(keys, vec!["/registry/pods/default/a", "/registry/pods/default/b"]);
    }
}
