//! etcd's MVCC key-value store (server/storage/mvcc), reduced to what the apiserver needs: a
//! global revision, create/mod revision and version per key, range by prefix, and a
//! single-key transaction with a compare (how kube-apiserver does optimistic concurrency).
//! Old revisions are not kept yet (no history, no compaction).

use crate::sim::api::Object;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    pub key: String,
    pub value: Object,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
}

/// The compare of a transaction's `If` clause.
#[derive(Clone, Debug, PartialEq)]
pub enum Compare {
    /// `create_revision(key) == 0`: the key does not exist.
    Absent,
    /// `mod_revision(key) == rev`.
    ModRevision(i64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum TxnAction {
    Put(Object),
    Delete,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Txn {
    pub key: String,
    pub compare: Compare,
    pub action: TxnAction,
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

#[derive(Clone, Debug, Default)]
pub struct Mvcc {
    revision: i64,
    kvs: BTreeMap<String, KeyValue>,
}

impl Mvcc {
    pub fn revision(&self) -> i64 {
        self.revision
    }

    pub fn len(&self) -> usize {
        self.kvs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kvs.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&KeyValue> {
        self.kvs.get(key)
    }

    pub fn range(&self, prefix: &str) -> Vec<KeyValue> {
        self.kvs
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Bytes of keys and values as stored (values in their JSON form for now; protobuf sizes
    /// come with the storage encoder).
    pub fn size_bytes(&self) -> usize {
        self.kvs.values().map(|kv| kv.key.len() + serde_json::to_vec(&kv.value).map_or(0, |v| v.len())).sum()
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.kvs.keys()
    }

    /// Applies a transaction; returns its result and the watch event it produced, if any.
    pub fn txn(&mut self, txn: &Txn) -> (TxnResult, Option<MvccEvent>) {
        let current = self.kvs.get(&txn.key);
        let ok = match txn.compare {
            Compare::Absent => current.is_none(),
            Compare::ModRevision(rev) => current.is_some_and(|kv| kv.mod_revision == rev),
        };
        if !ok {
            return (TxnResult { succeeded: false, revision: self.revision, kv: current.cloned() }, None);
        }
        self.revision += 1;
        let rev = self.revision;
        match &txn.action {
            TxnAction::Put(value) => {
                let (create_revision, version) = current.map_or((rev, 1), |kv| (kv.create_revision, kv.version + 1));
                let kv = KeyValue {
                    key: txn.key.clone(),
                    value: value.clone(),
                    create_revision,
                    mod_revision: rev,
                    version,
                };
                self.kvs.insert(txn.key.clone(), kv.clone());
                let event = MvccEvent { type_: EventType::Put, kv: kv.clone() };
                (TxnResult { succeeded: true, revision: rev, kv: Some(kv) }, Some(event))
            }
            TxnAction::Delete => match self.kvs.remove(&txn.key) {
                Some(mut old) => {
                    old.mod_revision = rev;
                    (
                        TxnResult { succeeded: true, revision: rev, kv: None },
                        Some(MvccEvent { type_: EventType::Delete, kv: old }),
                    )
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
    use crate::sim::api::{Namespace, ObjectMeta};

    fn ns(name: &str) -> Object {
        Object::Namespace(Namespace { metadata: ObjectMeta::named("", name), ..Default::default() })
    }

    #[test]
    fn compare_and_swap_on_mod_revision() {
        let mut m = Mvcc::default();
        let put = |c| Txn { key: "/registry/namespaces/a".into(), compare: c, action: TxnAction::Put(ns("a")) };
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
    fn range_is_by_prefix_in_key_order() {
        let mut m = Mvcc::default();
        for k in ["/registry/pods/default/b", "/registry/pods/default/a", "/registry/pods/kube-system/c"] {
            m.txn(&Txn { key: k.into(), compare: Compare::Absent, action: TxnAction::Put(ns("x")) });
        }
        let keys: Vec<String> = m.range("/registry/pods/default/").into_iter().map(|kv| kv.key).collect();
        assert_eq!(keys, vec!["/registry/pods/default/a", "/registry/pods/default/b"]);
    }
}
