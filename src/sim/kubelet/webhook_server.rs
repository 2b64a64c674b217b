//! Admission webhook servers running in pods. A webhook's code is the user's own; the
//! playground ships a few images whose program is known, so a webhook can be tried end to end:
//! - `kube-playground/webhook-allow`: allows everything;
//! - `kube-playground/webhook-deny-latest`: denies pods with an untagged or `:latest` image;
//! - `kube-playground/webhook-label`: a mutating webhook adding the label
//!   `admission.kube-playground.dev/mutated: "true"` with a JSONPatch;
//! - `kube-playground/webhook-annotate`: a mutating webhook adding the annotation
//!   `admission.kube-playground.dev/annotated: "true"` (with the label one, it shows
//!   `reinvocationPolicy: IfNeeded`: a later webhook's change calls an earlier one again);
//! - `kube-playground/webhook-slow`: answers after 30 s, past any webhook timeout.
//!
//! Any other container does not serve HTTPS on the webhook port: the call is refused.

use crate::sim::api::webhook::{AdmissionRequest, AdmissionResponse};
use crate::sim::api::{Object, Pod};
use crate::sim::time::{MILLIS, SECONDS};
use serde_json::json;

/// How long the webhook takes to answer, and its answer (Err: the connection's failure).
pub fn serve(pod: &Pod, request: &AdmissionRequest) -> (u64, Result<AdmissionResponse, String>) {
    let image = pod.spec.containers.first().map_or("", |c| c.image.as_str());
    let program = super::images::base_name(image);
    let allow = AdmissionResponse { allowed: true, code: 200, message: String::new(), patch: None };
    match program {
        "webhook-allow" => (MILLIS, Ok(allow)),
        "webhook-slow" => (30 * SECONDS, Ok(allow)),
        "webhook-deny-latest" => {
            let latest = match &request.object {
                Some(Object::Pod(p)) => p.spec.containers.iter().map(|c| c.image.as_str()).find(|i| floating(i)),
                _ => None,
            };
            match latest {
                Some(i) => (
                    MILLIS,
                    Ok(AdmissionResponse {
                        allowed: false,
                        code: 403,
                        message: format!("image \"{i}\" uses the latest tag; pin a version"),
                        patch: None,
                    }),
                ),
                None => (MILLIS, Ok(allow)),
            }
        }
        "webhook-label" => {
            let has = request.object.as_ref().is_some_and(|o| !o.meta().labels.is_empty());
            let patch = add_to_map(has, "labels", "admission.kube-playground.dev/mutated");
            (MILLIS, Ok(AdmissionResponse { patch: Some(patch), ..allow }))
        }
        "webhook-annotate" => {
            let has = request.object.as_ref().is_some_and(|o| !o.meta().annotations.is_empty());
            let patch = add_to_map(has, "annotations", "admission.kube-playground.dev/annotated");
            (MILLIS, Ok(AdmissionResponse { patch: Some(patch), ..allow }))
        }
        _ => (0, Err("connect: connection refused".into())),
    }
}

/// The JSONPatch setting `key: "true"` in metadata's `map` (labels or annotations): into the
/// map when the object has one, else the whole map.
fn add_to_map(has_map: bool, map: &str, key: &str) -> serde_json::Value {
    match has_map {
        true => {
            json!([{ "op": "add", "path": format!("/metadata/{map}/{}", key.replace('/', "~1")), "value": "true" }])
        }
        false => json!([{ "op": "add", "path": format!("/metadata/{map}"), "value": { key: "true" } }]),
    }
}

/// An image without a tag, or tagged `latest`.
fn floating(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    !last.contains('@') && last.split_once(':').is_none_or(|(_, tag)| tag == "latest")
}
