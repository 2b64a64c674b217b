//! The Deployment controller (pkg/controller/deployment): owns one ReplicaSet per pod template,
//! named `<deployment>-<pod-template-hash>` and numbered by the `deployment.kubernetes.io/
//! revision` annotation, and moves pods from the old ReplicaSets to the new one — RollingUpdate
//! (never more than replicas + maxSurge pods, never fewer than replicas − maxUnavailable
//! available; 25 % each by default) or Recreate (old pods gone first) — then rolls the status
//! up. Not modelled: minReadySeconds, progress deadlines, pausing, revision history limits.

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
    let Some(Object::Deployment(d)) = deployments.get(key) else {
        return vec![];
    };
    if d.metadata.deletion_timestamp.is_some() {
        return vec![];
    }
    let hash = pod_template_hash(&d.spec.template);
    let owned: Vec<&ReplicaSet> = replicasets
        .owned_by(&d.metadata.uid)
        .filter_map(|o| match o {
            Object::ReplicaSet(rs) => Some(&**rs),
            _ => None,
        })
        .collect();
    let want = d.spec.replicas.unwrap_or(1);
    let rs_res = ResourceInfo::by_kind("ReplicaSet").expect("ReplicaSet is in the resource table");
    let mut out = Vec::new();
    let new_rs = owned.iter().copied().find(|rs| rs.metadata.labels.get("pod-template-hash") == Some(&hash));
    let mut old: Vec<&ReplicaSet> =
        owned.iter().copied().filter(|rs| rs.metadata.labels.get("pod-template-hash") != Some(&hash)).collect();
    crate::sim::sort::sort_by_key(&mut old, |rs| (rs.metadata.creation_timestamp, rs.metadata.name.clone()));
    let replicas = |rs: &ReplicaSet| i64::from(rs.spec.replicas.unwrap_or(1));
    // An older template coming back (rollout undo) becomes the newest revision again.
    let revision = |rs: &ReplicaSet| rs.metadata.annotations.get(REVISION).and_then(|r| r.parse::<i64>().ok());
    let newest_old = old.iter().filter_map(|rs| revision(rs)).max();
    if let (Some(rs), Some(max)) = (new_rs, newest_old) {
        if revision(rs).is_none_or(|r| r <= max) {
            let mut req = ApiRequest::new(Verb::Patch, rs_res, &rs.metadata.namespace, &rs.metadata.name);
            req.patch = Some(serde_json::json!({ "metadata": { "annotations": { REVISION: (max + 1).to_string() } } }));
            out.push(req);
        }
    }
    let old_pods: i64 = old.iter().map(|rs| replicas(rs)).sum();
    if d.spec.strategy.type_ == "Recreate" {
        // Scale every old ReplicaSet to 0, wait until their pods are gone, then start the new.
        for rs in old.iter().filter(|rs| replicas(rs) > 0) {
            out.push(scale(rs_res, rs, 0));
        }
        let old_running: i32 = old.iter().map(|rs| rs.status.replicas).sum();
        if old_pods == 0 && old_running == 0 {
            match new_rs {
                None => out.push(create(rs_res, d, &hash, want, &owned)),
                Some(rs) if rs.spec.replicas != Some(want) => out.push(scale(rs_res, rs, want)),
                Some(_) => {}
            }
        }
    } else {
        let (surge, unavailable) = rolling_bounds(d, want);
        let all_pods = old_pods + new_rs.map_or(0, replicas);
        // reconcileNewReplicaSet: grow the new ReplicaSet within replicas + maxSurge.
        let target = match new_rs {
            _ if old_pods == 0 => i64::from(want),
            Some(rs) if replicas(rs) >= i64::from(want) => i64::from(want),
            current => {
                let now = current.map_or(0, replicas);
                let room = (i64::from(want) + surge - all_pods).max(0);
                now + room.min(i64::from(want) - now)
            }
        };
        let scaled_up = match new_rs {
            None => {
                out.push(create(rs_res, d, &hash, target as i32, &owned));
                true
            }
            Some(rs) if replicas(rs) != target => {
                out.push(scale(rs_res, rs, target as i32));
                target > replicas(rs)
            }
            Some(_) => false,
        };
        // reconcileOldReplicaSets: first remove old pods that are not available anyway (within
        // maxScaledDown: cleanupUnhealthyReplicas, else unhealthy pods would block the
        // rollout), then shrink the old ones while replicas − maxUnavailable stay available.
        if !scaled_up && old_pods > 0 {
            let min_available = i64::from(want) - unavailable;
            let new_unavailable = new_rs.map_or(0, |rs| replicas(rs) - i64::from(rs.status.available_replicas));
            let max_scaled_down = all_pods - min_available - new_unavailable;
            let available: i64 = owned.iter().map(|rs| i64::from(rs.status.available_replicas)).sum();
            let mut cleanup = max_scaled_down;
            let mut budget = available - min_available;
            for rs in old.iter().filter(|rs| replicas(rs) > 0) {
                if max_scaled_down <= 0 {
                    break;
                }
                let unhealthy = (replicas(rs) - i64::from(rs.status.available_replicas)).max(0);
                let cleaned = unhealthy.min(cleanup.max(0));
                cleanup -= cleaned;
                let down = (replicas(rs) - cleaned).min(budget.max(0));
                budget -= down;
                if cleaned + down > 0 {
                    out.push(scale(rs_res, rs, (replicas(rs) - cleaned - down) as i32));
                }
            }
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
        out.extend(ApiRequest::update_status(Object::Deployment(next)));
    }
    out
}

/// maxSurge (rounded up) and maxUnavailable (rounded down) for `want` replicas; both 0 would
/// block the rollout, so maxUnavailable becomes 1 (ResolveFenceposts).
pub fn rolling_bounds(d: &Deployment, want: i32) -> (i64, i64) {
    let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
    let quarter = crate::sim::api::IntOrString::String("25%".into());
    let total = i64::from(want);
    let surge = ru.max_surge.as_ref().unwrap_or(&quarter).scaled(total, true).unwrap_or(0);
    let unavailable = ru.max_unavailable.as_ref().unwrap_or(&quarter).scaled(total, false).unwrap_or(0);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// A new ReplicaSet for the current template, with the next revision number.
fn create(res: &'static ResourceInfo, d: &Deployment, hash: &str, replicas: i32, owned: &[&ReplicaSet]) -> ApiRequest {
    let revision = owned.iter().filter_map(|rs| rs.metadata.annotations.get(REVISION)?.parse::<i64>().ok()).max();
    let mut rs = new_replicaset(d, hash);
    if let Object::ReplicaSet(r) = &mut rs {
        r.spec.replicas = Some(replicas);
        r.metadata.annotations.insert(REVISION.into(), (revision.unwrap_or(0) + 1).to_string());
    }
    ApiRequest::new(Verb::Create, res, &d.metadata.namespace, "").with_body(rs)
}

pub const REVISION: &str = "deployment.kubernetes.io/revision";

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
    Object::ReplicaSet(Box::new(ReplicaSet {
        metadata,
        spec: ReplicaSetSpec { replicas: d.spec.replicas, selector, template },
        status: Default::default(),
    }))
}
