//! kube-apiserver's calls to etcd as gRPC messages (etcdserverpb, mvccpb), sized byte for byte
//! as protobuf writes them so the views can show their sizes: a message on the wire is gRPC's
//! 5-byte prefix (compressed flag, length) and the protobuf bytes, in HTTP/2 DATA frames.

use super::mvcc::{Compare, Txn, TxnAction};
use crate::sim::protobuf::put_bytes;
use prost::encoding::{encode_key, encode_varint, encoded_len_varint, key_len, WireType};

/// gRPC's length prefix.
pub const PREFIX: usize = 5;

fn put_varint(tag: u32, v: u64, out: &mut Vec<u8>) {
    encode_key(tag, WireType::Varint, out);
    encode_varint(v, out);
}

/// The TxnRequest of one of kube-apiserver's writes (GuaranteedUpdate's compare-and-swap):
/// compare the key's create or mod revision, on success put or delete it, on failure read it.
/// Only its size is needed (a label, Raft's size limits), so it is counted, not written.
pub fn txn_request_len(txn: &Txn) -> usize {
    let key = txn.key.len();
    let (target, field, value) = compare_fields(&txn.compare);
    let compare = if target != 0 { varint_len(2, target) } else { 0 } + bytes_len(3, key) + varint_len(field, value);
    let success = match &txn.action {
        TxnAction::Put(v) => {
            let lease = if txn.lease != 0 { varint_len(3, txn.lease as u64) } else { 0 };
            bytes_len(2, bytes_len(1, key) + bytes_len(2, v.len()) + lease)
        }
        TxnAction::Delete => bytes_len(3, bytes_len(1, key)),
    };
    let failure = bytes_len(1, bytes_len(1, key));
    bytes_len(1, compare) + bytes_len(2, success) + bytes_len(3, failure)
}

/// kube-apiserver compares the mod revision, 0 for "does not exist yet": result EQUAL is 0
/// (left out, as proto3 leaves defaults), target MOD is 2, mod_revision sits in a oneof
/// (written even when 0). Target VERSION is 0 (left out) with the version in field 4.
/// Returns (target, the value's field, the value).
fn compare_fields(compare: &Compare) -> (u64, u32, u64) {
    match compare {
        Compare::Absent => (2, 6, 0),
        Compare::ModRevision(rev) => (2, 6, (*rev).max(0) as u64),
        Compare::Version(v) => (0, 4, (*v).max(0) as u64),
    }
}

/// A varint field's encoded size.
fn varint_len(tag: u32, v: u64) -> usize {
    key_len(tag) + encoded_len_varint(v)
}

/// A length-delimited field's encoded size, for `n` bytes of content.
fn bytes_len(tag: u32, n: usize) -> usize {
    key_len(tag) + encoded_len_varint(n as u64) + n
}

/// A WatchResponse with one PUT event of `key`: the response header (cluster and member ids
/// as etcd draws them, 64-bit; a small cluster's revision), the watch id, and the event with
/// the new and, as kube-apiserver asks with WithPrevKV, the previous key-value.
pub fn watch_response(key: &str, value: &[u8]) -> Vec<u8> {
    let revision = 48_213;
    let kv = |mod_revision: u64, version: u64| {
        let mut kv = Vec::new();
        put_bytes(1, key.as_bytes(), &mut kv);
        put_varint(2, 48_190, &mut kv);
        put_varint(3, mod_revision, &mut kv);
        put_varint(4, version, &mut kv);
        put_bytes(5, value, &mut kv);
        kv
    };
    let mut header = Vec::new();
    put_varint(1, 0xcdf8_1819_4e3a_8c32, &mut header);
    put_varint(2, 0x8e9e_05c5_2164_694d, &mut header);
    put_varint(3, revision, &mut header);
    put_varint(4, 2, &mut header);
    // The event's type PUT is 0, so it is left out.
    let mut event = Vec::new();
    put_bytes(2, &kv(revision, 4), &mut event);
    put_bytes(3, &kv(revision - 7, 3), &mut event);
    let mut out = Vec::new();
    put_bytes(1, &header, &mut out);
    put_varint(2, 1, &mut out);
    put_bytes(11, &event, &mut out);
    out
}

/// "1.2 KB": a size for a label.
pub fn size(bytes: usize) -> String {
    if bytes < 1000 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KB", bytes as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TxnRequest's bytes, written out: what `txn_request_len` counts.
    fn txn_request(txn: &Txn) -> Vec<u8> {
        let key = txn.key.as_bytes();
        let (target, field, value) = compare_fields(&txn.compare);
        let mut compare = Vec::new();
        if target != 0 {
            put_varint(2, target, &mut compare);
        }
        put_bytes(3, key, &mut compare);
        put_varint(field, value, &mut compare);
        let mut success = Vec::new();
        match &txn.action {
            TxnAction::Put(value) => {
                let mut put = Vec::new();
                put_bytes(1, key, &mut put);
                put_bytes(2, value, &mut put);
                if txn.lease != 0 {
                    put_varint(3, txn.lease as u64, &mut put);
                }
                put_bytes(2, &put, &mut success);
            }
            TxnAction::Delete => {
                let mut delete = Vec::new();
                put_bytes(1, key, &mut delete);
                put_bytes(3, &delete, &mut success);
            }
        }
        let mut range = Vec::new();
        put_bytes(1, key, &mut range);
        let mut failure = Vec::new();
        put_bytes(1, &range, &mut failure);
        let mut out = Vec::new();
        put_bytes(1, &compare, &mut out);
        put_bytes(2, &success, &mut out);
        put_bytes(3, &failure, &mut out);
        out
    }

    #[test]
    fn a_create_is_a_compare_of_mod_revision_zero_a_put_and_a_read() {
        let txn =
            Txn { key: "/a".into(), compare: Compare::Absent, action: TxnAction::Put(b"v".to_vec().into()), lease: 0 };
        let compare = [0x10, 2, 0x1a, 2, b'/', b'a', 0x30, 0];
        let success = [0x12, 7, 0x0a, 2, b'/', b'a', 0x12, 1, b'v'];
        let failure = [0x0a, 4, 0x0a, 2, b'/', b'a'];
        let mut want = vec![0x0a, 8];
        want.extend(compare);
        want.extend([0x12, 9]);
        want.extend(success);
        want.extend([0x1a, 6]);
        want.extend(failure);
        assert_eq!(txn_request(&txn), want);
        let update = Txn { compare: Compare::ModRevision(300), ..txn };
        // mod_revision 300 is a two-byte varint: one more byte in the compare and the message.
        assert_eq!(txn_request(&update).len(), want.len() + 1);
    }

    /// The count matches the bytes for every shape of write: creates, updates, version
    /// compares, leases, deletes, and values whose lengths take one, two and three bytes.
    #[test]
    fn the_size_is_counted_as_written() {
        for len in [0, 1, 127, 128, 16_383, 16_384, 200_000] {
            let put = TxnAction::Put(vec![7u8; len].into());
            for compare in [Compare::Absent, Compare::ModRevision(300), Compare::Version(5)] {
                for lease in [0, 0x7a3c_11d2_9e0f_4b21] {
                    let txn = Txn {
                        key: "/registry/pods/default/web-1".into(),
                        compare: compare.clone(),
                        action: put.clone(),
                        lease,
                    };
                    assert_eq!(txn_request_len(&txn), txn_request(&txn).len(), "{len} {compare:?} {lease}");
                }
            }
        }
        let delete = Txn {
            key: "/registry/pods/a".into(),
            compare: Compare::ModRevision(9),
            action: TxnAction::Delete,
            lease: 0,
        };
        assert_eq!(txn_request_len(&delete), txn_request(&delete).len());
    }
}
