//! A watch is a stream: one Pod's MODIFIED event as each watcher receives it, with real
//! encoders.
//!
//! - kubectl's REST watch: a JSON line `{"type":"MODIFIED","object":{…}}`; over HTTP/1.1
//!   Go's server writes each event as one chunk, over HTTP/2 as one DATA frame.
//! - The components' watches (`application/vnd.kubernetes.protobuf;stream=watch`): a
//!   metav1.WatchEvent in the `k8s\0` envelope, its object's own envelope inside, behind a
//!   4-byte big-endian length, in a DATA frame.
//! - kube-apiserver's watch on etcd, gRPC server streaming: an etcdserverpb.WatchResponse
//!   (response header, watch id, one mvccpb.Event with the new and, as kube-apiserver asks
//!   with WithPrevKV, the previous key-value) behind gRPC's 5-byte prefix, in a DATA frame.

use crate::sim::api::Object;
use crate::sim::etcd::grpc;
use crate::sim::protobuf::{encode, put_bytes, MAGIC};

/// HTTP/2's frame header.
const FRAME: usize = 9;

/// The bytes one event of `object` takes on each stream, with the stream's name.
pub fn watch_event_bytes(object: &Object) -> Vec<(&'static str, usize)> {
    let json = serde_json::to_vec(object).unwrap_or_default();
    // `{"type":"MODIFIED","object":` … `}` and the encoder's newline.
    let line = json.len() + r#"{"type":"MODIFIED","object":}"#.len() + 1;
    let chunk = format!("{line:x}").len() + 2 + line + 2;
    let proto = encode(&object.to_json_value()).unwrap_or_default();
    let key = format!("/registry/pods/{}/{}", object.meta().namespace, object.meta().name);
    vec![
        ("REST/JSON, HTTP/1.1 chunk", chunk),
        ("REST/JSON, HTTP/2", FRAME + line),
        ("protobuf stream, HTTP/2", FRAME + 4 + watch_event(&proto).len()),
        ("etcd gRPC Watch", FRAME + grpc::PREFIX + grpc::watch_response(&key, &proto).len()),
    ]
}

/// metav1.WatchEvent {type, object: RawExtension {raw}} in the envelope.
fn watch_event(object: &[u8]) -> Vec<u8> {
    let mut raw_extension = Vec::new();
    put_bytes(1, object, &mut raw_extension);
    let mut event = Vec::new();
    put_bytes(1, b"MODIFIED", &mut event);
    put_bytes(2, &raw_extension, &mut event);
    let mut type_meta = Vec::new();
    put_bytes(1, b"v1", &mut type_meta);
    put_bytes(2, b"WatchEvent", &mut type_meta);
    let mut out = MAGIC.to_vec();
    put_bytes(1, &type_meta, &mut out);
    put_bytes(2, &event, &mut out);
    put_bytes(3, b"", &mut out);
    put_bytes(4, b"", &mut out);
    out
}
