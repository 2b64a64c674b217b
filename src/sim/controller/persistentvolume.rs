//! The persistentvolume controller's binder (pkg/controller/volume/persistentvolume): a claim
//! is bound to a PersistentVolume — one already pre-bound to it (a provisioned volume's
//! claimRef), else the smallest Available volume of its class that is large enough and offers
//! its access modes: the volume gets the claimRef and phase Bound, the claim its volumeName and
//! phase Bound with the volume's capacity. A claim with nothing to bind waits: for the external
//! provisioner its StorageClass names (the `volume.kubernetes.io/storage-provisioner`
//! annotation hands it over, an ExternalProvisioning event says so), or for its first consumer
//! (WaitForFirstConsumer). A volume whose claim is gone is Released.
//! Keys are claims (`namespace/name`) and volumes (`name`).
//! Not modelled: binding WaitForFirstConsumer claims (the scheduler's VolumeBinding plugin),
//! the 15-second resync, volume expansion, label selectors on claims.

use crate::sim::api::meta::cache_key;
use crate::sim::api::quantity::parse_value;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::client::Informer;
use crate::sim::kubelet::csi::STORAGE_PROVISIONER;

pub const COMPONENT: &str = "persistentvolume-controller";
const BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
const BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
const BETA_STORAGE_PROVISIONER: &str = "volume.beta.kubernetes.io/storage-provisioner";

/// An event the sync wants recorded on a claim: reason, message, warning.
pub type Note = (ObjectReference, &'static str, String, bool);

pub fn sync(key: &str, claims: &Informer, volumes: &Informer, classes: &Informer) -> (Vec<ApiRequest>, Vec<Note>) {
    if !key.contains('/') {
        return (sync_volume(key, claims, volumes), vec![]);
    }
    let Some(Object::PersistentVolumeClaim(claim)) = claims.get(key) else { return (vec![], vec![]) };
    if claim.metadata.deletion_timestamp.is_some() {
        return (vec![], vec![]);
    }
    let all = || {
        volumes.objects().filter_map(|o| match o {
            Object::PersistentVolume(v) => Some(v),
            _ => None,
        })
    };
    if !claim.spec.volume_name.is_empty() {
        return match volumes.get(&claim.spec.volume_name) {
            Some(Object::PersistentVolume(pv)) => (bind(pv, claim), vec![]),
            _ => (vec![], vec![]),
        };
    }
    let class = claim.spec.storage_class_name.clone().unwrap_or_default();
    let prebound = all().find(|v| {
        v.spec.claim_ref.as_ref().is_some_and(|r| {
            r.namespace == claim.metadata.namespace
                && r.name == claim.metadata.name
                && (r.uid.is_empty() || r.uid == claim.metadata.uid)
        })
    });
    if let Some(pv) = prebound.or_else(|| best_match(claim, &class, all())) {
        return (bind(pv, claim), vec![]);
    }
    let on = crate::sim::recorder::reference("PersistentVolumeClaim", &claim.metadata);
    if class.is_empty() {
        let message = "no persistent volumes available for this claim and no storage class is set".to_string();
        return (vec![], vec![(on, "FailedBinding", message, false)]);
    }
    let Some(Object::StorageClass(sc)) = classes.get(&class) else {
        let message = format!("storageclass.storage.k8s.io \"{class}\" not found");
        return (vec![], vec![(on, "ProvisioningFailed", message, true)]);
    };
    if sc.volume_binding_mode == "WaitForFirstConsumer" {
        let message = "waiting for first consumer to be created before binding".to_string();
        return (vec![], vec![(on, "WaitForFirstConsumer", message, false)]);
    }
    let message = format!(
        "Waiting for a volume to be created either by the external provisioner '{}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
        sc.provisioner
    );
    let mut out = Vec::new();
    if claim.metadata.annotations.get(STORAGE_PROVISIONER) != Some(&sc.provisioner) {
        let mut req = ApiRequest::new(
            Verb::Patch,
            ResourceInfo::of("persistentvolumeclaims"),
            &claim.metadata.namespace,
            &claim.metadata.name,
        );
        req.patch = Some(serde_json::json!({ "metadata": { "annotations": {
            STORAGE_PROVISIONER: sc.provisioner, BETA_STORAGE_PROVISIONER: sc.provisioner } } }));
        out.push(req);
    }
    (out, vec![(on, "ExternalProvisioning", message, false)])
}

/// The smallest Available volume of the class that holds the request and offers every
/// access mode asked for.
fn best_match<'a>(
    claim: &PersistentVolumeClaim,
    class: &str,
    volumes: impl Iterator<Item = &'a PersistentVolume>,
) -> Option<&'a PersistentVolume> {
    let want = parse_value(claim.requested()).unwrap_or(0);
    let size = |v: &PersistentVolume| v.spec.capacity.get("storage").and_then(|q| parse_value(q).ok()).unwrap_or(0);
    volumes
        .filter(|v| {
            v.spec.claim_ref.is_none()
                && v.metadata.deletion_timestamp.is_none()
                && v.status.phase == "Available"
                && v.spec.storage_class_name == class
                && size(v) >= want
                && claim.spec.access_modes.iter().all(|m| v.spec.access_modes.contains(m))
        })
        .min_by_key(|v| (size(v), v.metadata.name.clone()))
}

/// The writes that make volume and claim point at each other, Bound; only what is missing.
fn bind(pv: &PersistentVolume, claim: &PersistentVolumeClaim) -> Vec<ApiRequest> {
    let (ns, name) = (&claim.metadata.namespace, &claim.metadata.name);
    let pvs = ResourceInfo::of("persistentvolumes");
    let pvcs = ResourceInfo::of("persistentvolumeclaims");
    let mut out = Vec::new();
    if pv.spec.claim_ref.as_ref().is_none_or(|r| r.uid.is_empty()) {
        let mut req = ApiRequest::new(Verb::Patch, pvs, "", &pv.metadata.name);
        let claim_ref = ClaimReference {
            kind: "PersistentVolumeClaim".into(),
            namespace: ns.clone(),
            name: name.clone(),
            uid: claim.metadata.uid.clone(),
        };
        req.patch = Some(serde_json::json!({ "metadata": { "annotations": { BOUND_BY_CONTROLLER: "yes" } },
            "spec": { "claimRef": claim_ref } }));
        out.push(req);
    }
    if pv.status.phase != "Bound" {
        let mut req = ApiRequest::new(Verb::Patch, pvs, "", &pv.metadata.name).with_subresource("status");
        req.patch = Some(serde_json::json!({ "status": { "phase": "Bound" } }));
        out.push(req);
    }
    if claim.spec.volume_name.is_empty() {
        let mut req = ApiRequest::new(Verb::Patch, pvcs, ns, name);
        req.patch = Some(serde_json::json!({ "metadata": { "annotations": {
            BIND_COMPLETED: "yes", BOUND_BY_CONTROLLER: "yes" } }, "spec": { "volumeName": pv.metadata.name } }));
        out.push(req);
    }
    if claim.status.phase != "Bound" {
        let mut req = ApiRequest::new(Verb::Patch, pvcs, ns, name).with_subresource("status");
        req.patch = Some(serde_json::json!({ "status": { "phase": "Bound",
            "capacity": pv.spec.capacity, "accessModes": pv.spec.access_modes } }));
        out.push(req);
    }
    out
}

/// A new volume becomes Available; a bound one whose claim is gone, Released.
fn sync_volume(name: &str, claims: &Informer, volumes: &Informer) -> Vec<ApiRequest> {
    let Some(Object::PersistentVolume(pv)) = volumes.get(name) else { return vec![] };
    let phase = match &pv.spec.claim_ref {
        None if matches!(pv.status.phase.as_str(), "" | "Pending" | "Released") => "Available",
        Some(r) if claims.synced && pv.status.phase == "Bound" => {
            let claim = claims.get(&cache_key(&r.namespace, &r.name));
            if claim.is_some_and(|c| r.uid.is_empty() || c.meta().uid == r.uid) {
                return vec![];
            }
            "Released"
        }
        _ => return vec![],
    };
    let mut req =
        ApiRequest::new(Verb::Patch, ResourceInfo::of("persistentvolumes"), "", name).with_subresource("status");
    req.patch = Some(serde_json::json!({ "status": { "phase": phase } }));
    vec![req]
}
