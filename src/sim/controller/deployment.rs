//! The Deployment controller (pkg/controller/deployment): owns one ReplicaSet per pod template,
//! named `<deployment>-<pod-template-hash>`, keeps its replica count and rolls the status up.
//! Simplified: on a template change the old ReplicaSets go straight to 0 (no maxSurge /
//! maxUnavailable pacing yet), and there is no revision history.

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{
    Deployment, LabelSelector, Object, ObjectMeta, OwnerReference, PodTemplateSpec, ReplicaSet, ReplicaSetSpec,
};
use crate::sim::client::Informer;

/// `pod-template-hash`: FNV-32a of the template, printed in decimal, then each digit mapped
/// through the `SafeEncodeString` alphabet — which is why real hashes only use 4-9, b, c, d, f.
pub fn pod_template_hash(template: &PodTemplateSpec) -> String {
    let text = serde_json::to_string(template).unwrap_or_default();
    let h = fnv1a32(text.as_bytes());
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    h.to_string().bytes().map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char).collect()
}

fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

pub fn sync(key: &str, deployments: &Informer, replicasets: &Informer) -> Vec<ApiRequest> {
    let Some(Object::Deployment(d)) = deployments.store.get(key) else {
        return vec![];
    };
    if d.metadata.deletion_timestamp.is_some() {
        return vec![];
    }
    let hash = pod_template_hash(&d.spec.template);
    let owned: Vec<&ReplicaSet> = replicasets
        .objects()
        .filter_map(|o| match o {
            Object::ReplicaSet(rs) if rs.metadata.controller_ref().is_some_and(|r| r.uid == d.metadata.uid) => Some(rs),
            _ => None,
        })
        .collect();
    let want = d.spec.replicas.unwrap_or(1);
    let rs_res = ResourceInfo::by_kind("ReplicaSet").expect("ReplicaSet is in the resource table");
    let mut out = Vec::new();
    let new_rs = owned.iter().find(|rs| rs.metadata.labels.get("pod-template-hash") == Some(&hash));
    match new_rs {
        None => out
            .push(ApiRequest::new(Verb::Create, rs_res, &d.metadata.namespace, "").with_body(new_replicaset(d, &hash))),
        Some(rs) if rs.spec.replicas != Some(want) => out.push(scale(rs_res, rs, want)),
        Some(_) => {}
    }
    for old in owned.iter().filter(|rs| rs.metadata.labels.get("pod-template-hash") != Some(&hash)) {
        if old.spec.replicas != Some(0) {
            out.push(scale(rs_res, old, 0));
        }
    }
    let status = crate::sim::api::DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: owned.iter().map(|rs| rs.status.replicas).sum(),
        updated_replicas: new_rs.map_or(0, |rs| rs.status.replicas),
        ready_replicas: owned.iter().map(|rs| rs.status.ready_replicas).sum(),
        available_replicas: owned.iter().map(|rs| rs.status.available_replicas).sum(),
    };
    if status != d.status {
        let mut next = d.clone();
        next.status = status;
        let res = ResourceInfo::by_kind("Deployment").expect("Deployment is in the resource table");
        out.push(
            ApiRequest::new(Verb::Update, res, &d.metadata.namespace, &d.metadata.name)
                .with_subresource("status")
                .with_body(Object::Deployment(next)),
        );
    }
    out
}

fn scale(res: &'static ResourceInfo, rs: &ReplicaSet, replicas: i32) -> ApiRequest {
    let mut req = ApiRequest::new(Verb::Patch, res, &rs.metadata.namespace, &rs.metadata.name);
    req.patch = Some(serde_json::json!({ "spec": { "replicas": replicas } }));
    req
}

fn new_replicaset(d: &Deployment, hash: &str) -> Object {
    let mut template = d.spec.template.clone();
    template.metadata.labels.insert("pod-template-hash".into(), hash.into());
    let mut selector: LabelSelector = d.spec.selector.clone();
    selector.match_labels.insert("pod-template-hash".into(), hash.into());
    let mut metadata = ObjectMeta::named(&d.metadata.namespace, &format!("{}-{hash}", d.metadata.name));
    metadata.labels = template.metadata.labels.clone();
    metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: d.metadata.name.clone(),
        uid: d.metadata.uid.clone(),
        controller: true,
    }];
    Object::ReplicaSet(ReplicaSet {
        metadata,
        spec: ReplicaSetSpec { replicas: d.spec.replicas, selector, template },
        status: Default::default(),
    })
}
