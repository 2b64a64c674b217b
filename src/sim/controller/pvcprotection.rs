//! The pvc-protection and pv-protection controllers: a claim being deleted keeps its
//! `kubernetes.io/pvc-protection` finalizer (and so stays Terminating) while a pod that is not
//! finished still uses it; a PersistentVolume being deleted keeps `kubernetes.io/pv-protection`
//! while it is Bound. Keys are claims (`namespace/name`) and volumes (`name`).

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::apiserver::admission::storage::{PVC_PROTECTION, PV_PROTECTION};
use crate::sim::client::Informer;

/// Whether a pod that is not finished mounts the claim.
pub fn in_use(namespace: &str, claim: &str, pods: &Informer) -> bool {
    pods.objects().filter_map(|o| o.as_pod()).any(|p| {
        p.metadata.namespace == namespace
            && !p.is_terminal()
            && p.spec.volumes.iter().any(|v| matches!(v.kind(), VolumeKind::Claim(c) if c == claim))
    })
}

pub fn sync(key: &str, claims: &Informer, volumes: &Informer, pods: &Informer) -> Vec<ApiRequest> {
    let (object, finalizer, plural) = if key.contains('/') {
        (claims.get(key), PVC_PROTECTION, "persistentvolumeclaims")
    } else {
        (volumes.get(key), PV_PROTECTION, "persistentvolumes")
    };
    let Some(object) = object else { return vec![] };
    let m = object.meta();
    if m.deletion_timestamp.is_none() || !m.finalizers.iter().any(|f| f == finalizer) {
        return vec![];
    }
    let busy = match object {
        Object::PersistentVolumeClaim(c) => in_use(&c.metadata.namespace, &c.metadata.name, pods),
        Object::PersistentVolume(v) => v.status.phase == "Bound",
        _ => false,
    };
    if busy {
        return vec![];
    }
    let rest: Vec<&String> = m.finalizers.iter().filter(|f| *f != finalizer).collect();
    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of(plural), &m.namespace, &m.name);
    req.patch = Some(serde_json::json!({ "metadata": { "finalizers": rest } }));
    vec![req]
}
