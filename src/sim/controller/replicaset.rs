//! The ReplicaSet controller (pkg/controller/replicaset): counts the active pods it controls,
//! creates pods from the template (generateName `<rs>-`) or deletes the least valuable ones,
//! and reports replicas / readyReplicas / availableReplicas. Expectations keep it from acting
//! twice before the watch shows the effect of its own writes.

use super::expectations::Expectations;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Object, ObjectMeta, OwnerReference, Pod, ReplicaSetStatus};
use crate::sim::client::Informer;
use crate::sim::time::SimTime;

/// Upstream burstReplicas: at most this many creations or deletions per sync.
pub const BURST_REPLICAS: i32 = 500;

pub fn is_active(p: &Pod) -> bool {
    !p.is_terminal() && p.metadata.deletion_timestamp.is_none()
}

pub fn sync(
    key: &str,
    replicasets: &Informer,
    pods: &Informer,
    expectations: &mut Expectations,
    now: SimTime,
) -> Vec<ApiRequest> {
    let Some(Object::ReplicaSet(rs)) = replicasets.get(key) else {
        expectations.forget(key);
        return vec![];
    };
    let mut active: Vec<&Pod> =
        pods.owned_by(&rs.metadata.uid).filter_map(|o| o.as_pod()).filter(|p| is_active(p)).collect();
    let pod_res = ResourceInfo::by_kind("Pod").expect("Pod is in the resource table");
    let mut out = Vec::new();
    let satisfied = expectations.satisfied(key, now);
    let diff = rs.spec.replicas.unwrap_or(1) - active.len() as i32;
    if satisfied && rs.metadata.deletion_timestamp.is_none() && diff != 0 {
        let n = diff.abs().min(BURST_REPLICAS);
        expectations.expect(key, n, now);
        if diff > 0 {
            for _ in 0..n {
                let pod = Object::Pod(Box::new(pod_from_template(rs)));
                out.push(ApiRequest::new(Verb::Create, pod_res, &rs.metadata.namespace, "").with_body(pod));
            }
        } else {
            // getPodsToDelete: unscheduled before scheduled, not-running before running,
            // not-ready before ready, newer before older.
            crate::sim::sort::sort_by_key(&mut active, |p| {
                (
                    !p.spec.node_name.is_empty(),
                    p.status.phase == "Running",
                    p.is_ready(),
                    std::cmp::Reverse(p.metadata.creation_timestamp),
                    p.metadata.name.clone(),
                )
            });
            for p in active.iter().take(n as usize) {
                out.push(ApiRequest::new(Verb::Delete, pod_res, &p.metadata.namespace, &p.metadata.name));
            }
        }
    }
    let ready = active.iter().filter(|p| p.is_ready()).count() as i32;
    let status = ReplicaSetStatus {
        observed_generation: rs.metadata.generation,
        replicas: active.len() as i32,
        ready_replicas: ready,
        available_replicas: ready,
    };
    if status != rs.status {
        let mut next = rs.clone();
        next.status = status;
        out.extend(ApiRequest::update_status(Object::ReplicaSet(next)));
    }
    out
}

fn pod_from_template(rs: &crate::sim::api::ReplicaSet) -> Pod {
    let mut metadata = ObjectMeta {
        generate_name: format!("{}-", rs.metadata.name),
        namespace: rs.metadata.namespace.clone(),
        labels: rs.spec.template.metadata.labels.clone(),
        ..Default::default()
    };
    metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: rs.metadata.name.clone(),
        uid: rs.metadata.uid.clone(),
        controller: true,
    }];
    Pod { metadata, spec: rs.spec.template.spec.clone(), status: Default::default() }
}
