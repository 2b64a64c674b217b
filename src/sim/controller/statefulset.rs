//! The StatefulSet controller (pkg/controller/statefulset): pods with stable identities
//! `<name>-<ordinal>` (hostname = pod name, subdomain = the headless Service). With
//! OrderedReady (the default) it creates ordinal 0 first and each next one only once all
//! before it are Running and Ready, removes surplus pods from the highest ordinal down, one at
//! a time, and replaces a failed pod under the same name. RollingUpdate replaces pods of an
//! older template from the highest ordinal down to `partition`, one at a time, each once the
//! others are Ready; OnDelete waits for the user. Parallel creates and deletes all at once.
//! Each volumeClaimTemplate gives every pod a PersistentVolumeClaim `<template>-<name>-<ordinal>`,
//! created before the pod when missing and kept when the pod or the set goes (the default
//! persistentVolumeClaimRetentionPolicy, Retain): a replacement pod gets the same volume.
//! Not modelled: ControllerRevision objects (the revision is `<name>-<template hash>`),
//! minReadySeconds, start ordinals, other retention policies.

use super::deployment::pod_template_hash;
use super::expectations::Expectations;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{
    Object, ObjectMeta, OwnerReference, PersistentVolumeClaim, Pod, PvcVolumeSource, StatefulSet, StatefulSetStatus,
    Volume,
};
use crate::sim::client::Informer;
use crate::sim::time::SimTime;
use crate::sim::vecmap::VecMap;

use super::daemonset::REVISION_LABEL;
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// `<name>-<template hash>`: the revision a pod's template belongs to.
pub fn revision(set: &StatefulSet) -> String {
    format!("{}-{}", set.metadata.name, pod_template_hash(&set.spec.template))
}

/// The ordinal in a pod's name, if it is one of the set's.
fn ordinal(set: &StatefulSet, pod: &Pod) -> Option<i32> {
    let rest = pod.metadata.name.strip_prefix(&set.metadata.name)?.strip_prefix('-')?;
    rest.parse().ok().filter(|n: &i32| *n >= 0 && n.to_string() == rest)
}

fn new_pod(set: &StatefulSet, ord: i32, rev: &str) -> Pod {
    let name = format!("{}-{ord}", set.metadata.name);
    let mut metadata = ObjectMeta::named(&set.metadata.namespace, &name);
    metadata.labels = set.spec.template.metadata.labels.clone();
    metadata.labels.insert(REVISION_LABEL.into(), rev.into());
    metadata.labels.insert(POD_NAME_LABEL.into(), name.clone());
    metadata.labels.insert(POD_INDEX_LABEL.into(), ord.to_string());
    metadata.annotations = set.spec.template.metadata.annotations.clone();
    metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "StatefulSet".into(),
        name: set.metadata.name.clone(),
        uid: set.metadata.uid.clone(),
        controller: true,
    }];
    let mut spec = set.spec.template.spec.clone();
    // Each claim template's volume, under the template's name, is the pod's own claim.
    for t in &set.spec.volume_claim_templates {
        spec.volumes.retain(|v| v.name != t.metadata.name);
        spec.volumes.push(Volume {
            name: t.metadata.name.clone(),
            persistent_volume_claim: Some(PvcVolumeSource { claim_name: claim_name(set, t, ord), read_only: false }),
            ..Default::default()
        });
    }
    spec.hostname = name;
    spec.subdomain = set.spec.service_name.clone();
    Pod { metadata, spec, status: Default::default() }
}

/// `<template>-<set>-<ordinal>`: the claim a pod of the set keeps across restarts.
fn claim_name(set: &StatefulSet, template: &PersistentVolumeClaim, ord: i32) -> String {
    format!("{}-{}-{ord}", template.metadata.name, set.metadata.name)
}

/// The claims the pod with ordinal `ord` needs that do not exist yet.
fn missing_claims(set: &StatefulSet, ord: i32, claims: &Informer) -> Vec<ApiRequest> {
    let ns = &set.metadata.namespace;
    set.spec
        .volume_claim_templates
        .iter()
        .filter(|t| !claims.store.contains_key(&crate::sim::api::meta::cache_key(ns, &claim_name(set, t, ord))))
        .map(|t| {
            let mut claim = t.clone();
            claim.metadata = ObjectMeta::named(ns, &claim_name(set, t, ord));
            claim.metadata.labels = set.spec.selector.match_labels.clone();
            claim.status = Default::default();
            ApiRequest::new(Verb::Create, ResourceInfo::of("persistentvolumeclaims"), ns, "")
                .with_body(Object::PersistentVolumeClaim(claim))
        })
        .collect()
}

fn healthy(p: &Pod) -> bool {
    p.status.phase == "Running" && p.is_ready() && p.metadata.deletion_timestamp.is_none()
}

pub fn sync(
    key: &str,
    sets: &Informer,
    pods: &Informer,
    claims: &Informer,
    expectations: &mut Expectations,
    now: SimTime,
) -> Vec<ApiRequest> {
    let Some(Object::StatefulSet(set)) = sets.get(key) else {
        expectations.forget(key);
        return vec![];
    };
    let pod_res = ResourceInfo::of("pods");
    let ns = &set.metadata.namespace;
    let rev = revision(set);
    let replicas = set.spec.replicas.unwrap_or(1).max(0);
    let by_ordinal: VecMap<i32, &Pod> = pods
        .owned_by(&set.metadata.uid)
        .filter_map(|o| o.as_pod())
        .filter_map(|p| Some((ordinal(set, p)?, p)))
        .collect();
    let mut out = Vec::new();
    if set.metadata.deletion_timestamp.is_none() && expectations.satisfied(key, now) {
        let ordered = set.spec.pod_management_policy != "Parallel";
        let mut writes = 0;
        // Ordinals 0..replicas: create what is missing, replace what failed.
        for ord in 0..replicas {
            match by_ordinal.get(&ord) {
                None => {
                    out.extend(missing_claims(set, ord, claims));
                    let pod = Object::Pod(Box::new(new_pod(set, ord, &rev)));
                    out.push(ApiRequest::new(Verb::Create, pod_res, ns, "").with_body(pod));
                    writes += 1;
                }
                Some(p) if p.status.phase == "Failed" && p.metadata.deletion_timestamp.is_none() => {
                    // Not expected: a failed pod's deletion is no change the expectations see.
                    out.push(ApiRequest::new(Verb::Delete, pod_res, ns, &p.metadata.name));
                }
                Some(p) if healthy(p) => continue,
                Some(_) => {}
            }
            if ordered {
                break;
            }
        }
        let all_healthy = (0..replicas).all(|o| by_ordinal.get(&o).is_some_and(|p| healthy(p)));
        // Surplus ordinals go from the highest down (all at once when Parallel).
        let surplus: Vec<&&Pod> = by_ordinal
            .iter()
            .rev()
            .filter(|(o, p)| **o >= replicas && p.metadata.deletion_timestamp.is_none())
            .map(|(_, p)| p)
            .collect();
        let terminating = by_ordinal.values().any(|p| p.metadata.deletion_timestamp.is_some());
        if !surplus.is_empty() && (!ordered || (writes == 0 && all_healthy && !terminating)) {
            let n = if ordered { 1 } else { surplus.len() };
            for p in surplus.iter().take(n) {
                out.push(ApiRequest::new(Verb::Delete, pod_res, ns, &p.metadata.name));
                writes += 1;
            }
        }
        // RollingUpdate: one outdated pod at a time, the highest ordinal first, down to the
        // partition; only while everything else is Ready.
        let rolling = set.spec.update_strategy.type_ != "OnDelete";
        let partition = set.spec.update_strategy.rolling_update.as_ref().and_then(|r| r.partition).unwrap_or(0);
        if rolling && writes == 0 && all_healthy && !terminating {
            let outdated = (partition..replicas)
                .rev()
                .filter_map(|o| by_ordinal.get(&o))
                .find(|p| p.metadata.labels.get(REVISION_LABEL) != Some(&rev));
            if let Some(p) = outdated {
                out.push(ApiRequest::new(Verb::Delete, pod_res, ns, &p.metadata.name));
                writes += 1;
            }
        }
        if writes > 0 {
            expectations.expect(key, writes, now);
        }
    }
    let live: Vec<&&Pod> = by_ordinal.values().filter(|p| p.metadata.deletion_timestamp.is_none()).collect();
    let updated = live.iter().filter(|p| p.metadata.labels.get(REVISION_LABEL) == Some(&rev)).count() as i32;
    let ready = live.iter().filter(|p| p.is_ready()).count() as i32;
    // The current revision catches up once every pod runs the update revision.
    let current_revision = if updated == live.len() as i32 || set.status.current_revision.is_empty() {
        rev.clone()
    } else {
        set.status.current_revision.clone()
    };
    let current = live.iter().filter(|p| p.metadata.labels.get(REVISION_LABEL) == Some(&current_revision)).count();
    let status = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        replicas: live.len() as i32,
        ready_replicas: ready,
        available_replicas: ready,
        current_replicas: current as i32,
        updated_replicas: updated,
        current_revision,
        update_revision: rev,
    };
    if status != set.status {
        let mut next = set.clone();
        next.status = status;
        out.extend(ApiRequest::update_status(Object::StatefulSet(next)));
    }
    out
}
