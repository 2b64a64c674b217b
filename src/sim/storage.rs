//! How kube-apiserver encodes objects for etcd. Built-in types are stored as protobuf behind
//! the `k8s\0` magic; this build stores the JSON encoding (as kube-apiserver does for custom
//! resources) and counts its bytes — the protobuf encoder is still to come.

use super::api::Object;

/// Bytes an object takes in etcd.
pub fn encoded_len(o: &Object) -> usize {
    serde_json::to_vec(o).map_or(0, |v| v.len())
}
