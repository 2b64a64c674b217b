//! Objects decoded from etcd's bytes, shared by the kube-apiservers that watch the same change.
//!
//! Each kube-apiserver decodes every change it watches into its own watch cache. The bytes of
//! one write are one `Arc` in every etcd member's log and in every watch event, and decoding
//! is a pure function of those bytes and the revision, so the simulator decodes a change once
//! and every cache holds the same immutable object: with five apiservers, a fifth of the
//! decoding and of the cache memory. Nothing a user sees changes; each apiserver still counts
//! its own watch events and bytes.

use super::api::Object;
use super::etcd::mvcc::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Weak};

/// How many recent changes are remembered: every apiserver receives a change within a few
/// milliseconds of the others, many thousands of changes apart at most.
const RECENT: usize = 8_192;

#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// By the bytes' address and the revision. The address is stable and unique while
    /// `order` holds the bytes. Weak: an object no cache holds any more is not kept alive
    /// here (it is decoded again if asked for).
    objects: BTreeMap<(usize, i64), Weak<Object>>,
    order: VecDeque<(Value, i64)>,
}

impl Decoded {
    /// The object stored as `value` at `revision`, decoded by `decode` the first time.
    pub fn get_or_decode(
        &mut self,
        value: &Value,
        revision: i64,
        decode: impl FnOnce() -> Option<Object>,
    ) -> Option<Arc<Object>> {
        let key = (Arc::as_ptr(value) as *const u8 as usize, revision);
        if let Some(o) = self.objects.get(&key).and_then(Weak::upgrade) {
            return Some(o);
        }
        let o = Arc::new(decode()?);
        if self.objects.insert(key, Arc::downgrade(&o)).is_some() {
            return Some(o);
        }
        if self.order.len() == RECENT {
            if let Some((old, rev)) = self.order.pop_front() {
                self.objects.remove(&(Arc::as_ptr(&old) as *const u8 as usize, rev));
            }
        }
        self.order.push_back((value.clone(), revision));
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_decode_once_and_equal_bytes_elsewhere_decode_again() {
        let mut d = Decoded::default();
        let a: Value = Arc::from(&b"a"[..]);
        let twin: Value = Arc::from(&b"a"[..]);
        let calls = std::cell::Cell::new(0);
        let mut decode = |v: &Value, rev| {
            d.get_or_decode(v, rev, || {
                calls.set(calls.get() + 1);
                Some(Object::Namespace(Default::default()))
            })
        };
        let first = decode(&a, 7).expect("decoded");
        let again = decode(&a, 7).expect("decoded");
        assert!(Arc::ptr_eq(&first, &again), "one object for the same bytes and revision");
        decode(&a, 8);
        decode(&twin, 7);
        assert_eq!(calls.get(), 3, "another revision, or other bytes, decode again");
        drop((first, again));
        decode(&a, 7);
        assert_eq!(calls.get(), 4, "an object nobody holds any more is decoded again");
    }

    #[test]
    fn old_changes_are_forgotten() {
        let mut d = Decoded::default();
        let values: Vec<Value> = (0..RECENT + 1).map(|i| Arc::from(i.to_string().as_bytes())).collect();
        for (i, v) in values.iter().enumerate() {
            d.get_or_decode(v, i as i64, || Some(Object::Namespace(Default::default())));
        }
        assert_eq!((d.objects.len(), d.order.len()), (RECENT, RECENT));
        let mut decoded_again = false;
        d.get_or_decode(&values[0], 0, || {
            decoded_again = true;
            None
        });
        assert!(decoded_again, "the oldest was dropped");
    }
}
