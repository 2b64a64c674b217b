//! Kubernetes' protobuf encoding: field numbers from upstream's generated.proto, the `k8s\0`
//! envelope, the JSON shapes of Time, IntOrString, Quantity and bytes, and no panic on bad bytes.

use kube_playground::sim::protobuf::{decode, encode};
use serde_json::json;

#[test]
fn a_namespace_is_the_envelope_around_its_fields() {
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}});
    let bytes = encode(&ns).unwrap();
    // ObjectMeta.name is field 1; Namespace.metadata is field 1 (both length-delimited).
    let raw = [&[0x0a, 9, 0x0a, 7][..], b"default"].concat();
    // runtime.Unknown: typeMeta 1 {apiVersion 1, kind 2}, raw 2, contentEncoding 3, contentType 4.
    let type_meta = [&[0x0a, 2][..], b"v1", &[0x12, 9], b"Namespace"].concat();
    let want = [
        &b"k8s\0"[..],
        &[0x0a, type_meta.len() as u8],
        &type_meta,
        &[0x12, raw.len() as u8],
        &raw,
        &[0x1a, 0, 0x22, 0],
    ]
    .concat();
    assert_eq!(bytes, want);
    assert_eq!(decode(&bytes).unwrap(), ns);
}

fn pod() -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "web-0", "namespace": "default", "uid": "5f0c4a5e-0b5a-4f43-9d3b-2f7d1a6f0c11",
            "creationTimestamp": "2027-01-01T00:00:05Z", "labels": {"app": "web", "tier": "front"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u1", "controller": true}]
        },
        "spec": {
            "containers": [{
                "name": "nginx", "image": "nginx:1.27",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 10},
                "livenessProbe": {"tcpSocket": {"port": 80}, "failureThreshold": 3}
            }],
            "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}],
            "nodeName": "worker-1",
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        },
        "status": {
            "phase": "Running", "hostIP": "10.0.0.11", "podIP": "10.244.1.7",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2027-01-01T00:00:09Z"}]
        }
    })
}

#[test]
fn a_pod_comes_back_whole_and_is_smaller_than_its_json() {
    let pod = pod();
    let bytes = encode(&pod).unwrap();
    assert_eq!(decode(&bytes).unwrap(), pod);
    let json = serde_json::to_vec(&pod).unwrap();
    assert!(bytes.len() * 10 < json.len() * 7, "protobuf {} bytes, JSON {} bytes", bytes.len(), json.len());
}

#[test]
fn special_shapes_round_trip() {
    let objects = [
        // IntOrString as a number and as a name; Secret data is bytes (base64 in JSON).
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
               "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": "https"}]}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "type": "Opaque",
               "data": {"password": "aHVudGVyMg=="}}),
        // MicroTime keeps microseconds.
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "kube-scheduler"},
               "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15, "renewTime": "2027-01-01T00:00:05.250000Z"}}),
        // A CRD's schema: `$ref`-style JSON names, x-kubernetes-* flags, bool-or-schema.
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"},
               "spec": {"group": "example.com", "scope": "Namespaced",
                        "names": {"plural": "widgets", "kind": "Widget"},
                        "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                            "type": "object", "x-kubernetes-preserve-unknown-fields": true,
                            "properties": {"spec": {"type": "object", "additionalProperties": false,
                                "properties": {"size": {"type": "integer", "minimum": 1, "maximum": 10.5},
                                               "tags": {"type": "array", "items": {"type": "string"}},
                                               "labels": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}}]}}),
    ];
    for o in objects {
        let back = decode(&encode(&o).unwrap()).unwrap();
        assert_eq!(back, o);
    }
}

#[test]
fn a_field_upstream_does_not_have_is_refused() {
    let bad =
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "spec": {"podCidr": "10.244.0.0/24"}});
    assert_eq!(encode(&bad).unwrap_err(), "NodeSpec: no protobuf field for \"podCidr\"");
    let good =
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "spec": {"podCIDR": "10.244.0.0/24"}});
    assert!(encode(&good).is_ok());
}

#[test]
fn damaged_bytes_are_an_error_never_a_panic() {
    let bytes = encode(&pod()).unwrap();
    for cut in 0..bytes.len() {
        let _ = decode(&bytes[..cut]);
    }
    for i in 0..bytes.len() {
        for bit in [0x01, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= bit;
            let _ = decode(&b);
        }
    }
    assert!(decode(b"not protobuf").is_err());
    assert!(decode(b"k8s\0\x0a\xff\xff\xff\xff\x0f").is_err());
}

#[test]
fn a_repeated_field_must_come_as_one_run() {
    // ObjectMeta: finalizers (14) "a", name (1) "x", finalizers "b" — valid protobuf, but no
    // Kubernetes encoder splits a list, and the decoder writes JSON as it reads.
    let meta = [0x72, 1, b'a', 0x0a, 1, b'x', 0x72, 1, b'b'];
    let raw = [&[0x0a, meta.len() as u8][..], &meta].concat();
    let type_meta = [&[0x0a, 2][..], b"v1", &[0x12, 9], b"Namespace"].concat();
    let bytes = [&b"k8s\0"[..], &[0x0a, type_meta.len() as u8], &type_meta, &[0x12, raw.len() as u8], &raw].concat();
    assert_eq!(decode(&bytes).unwrap_err(), "proto: field \"finalizers\" is not one run of entries");
}
