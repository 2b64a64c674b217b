//! The disruption controller (pkg/controller/disruption): keeps each PodDisruptionBudget's
//! status — how many selected pods are expected, how many must stay healthy, how many are, and
//! so how many voluntary disruptions are allowed now. The eviction API reads that number and
//! spends it (recording the pod in status.disruptedPods); this controller forgets the record
//! once the pod is gone, or after two minutes if it never went.
//! Expected pods: the selected pods for an integer minAvailable; the replicas of their
//! controllers (ReplicaSets) for a percentage or maxUnavailable, as upstream's scale lookup.

use super::replicaset::is_active;
use crate::sim::api::meta::Time;
use crate::sim::api::request::ApiRequest;
use crate::sim::api::{Condition, IntOrString, Object, Pod, PodDisruptionBudget};
use crate::sim::client::Informer;
use crate::sim::time::{SimTime, SECONDS};

/// DeletionTimeout: a disrupted pod still not deleted after this is counted again.
const DELETION_TIMEOUT_US: u64 = 120 * SECONDS;

/// The pods a budget selects (an empty or missing selector selects none, as in policy/v1).
pub fn selected<'a>(pdb: &PodDisruptionBudget, pods: &'a Informer) -> Vec<&'a Pod> {
    let Some(sel) =
        pdb.spec.selector.as_ref().filter(|s| !s.match_labels.is_empty() || !s.match_expressions.is_empty())
    else {
        return vec![];
    };
    pods.objects()
        .filter_map(|o| o.as_pod())
        .filter(|p| p.metadata.namespace == pdb.metadata.namespace && sel.matches(&p.metadata.labels) && is_active(p))
        .collect()
}

/// (expected, desired healthy) as getExpectedPodCount computes them.
fn expected_and_desired(pdb: &PodDisruptionBudget, pods: &[&Pod], replicasets: &Informer) -> (i32, i32) {
    let count = pods.len() as i32;
    // The controllers' declared replicas, counted once per controller.
    let scale = || {
        let mut owners: Vec<&str> =
            pods.iter().filter_map(|p| p.metadata.controller_ref().map(|r| r.uid.as_str())).collect();
        owners.sort_unstable();
        owners.dedup();
        let replicas: i32 = replicasets
            .objects()
            .filter_map(|o| match o {
                Object::ReplicaSet(rs) if owners.binary_search(&rs.metadata.uid.as_str()).is_ok() => rs.spec.replicas,
                _ => None,
            })
            .sum();
        replicas.max(count)
    };
    match (&pdb.spec.min_available, &pdb.spec.max_unavailable) {
        (Some(IntOrString::Int(n)), _) => (count, *n as i32),
        (Some(pct), _) => {
            let expected = scale();
            (expected, pct.scaled(i64::from(expected), true).unwrap_or(0) as i32)
        }
        (None, Some(max)) => {
            let expected = scale();
            let max = max.scaled(i64::from(expected), true).unwrap_or(0) as i32;
            (expected, (expected - max).max(0))
        }
        (None, None) => (count, 0),
    }
}

pub fn sync(key: &str, pdbs: &Informer, pods: &Informer, replicasets: &Informer, now: SimTime) -> Vec<ApiRequest> {
    let Some(Object::PodDisruptionBudget(pdb)) = pdbs.get(key) else { return vec![] };
    let pods = selected(pdb, pods);
    let (expected, desired) = expected_and_desired(pdb, &pods, replicasets);
    // Disrupted pods stay counted as gone until they are, or until the record times out.
    let mut disrupted = pdb.status.disrupted_pods.clone();
    disrupted.retain(|name, at| {
        let present = pods.iter().any(|p| p.metadata.name == *name);
        present && now.since(at.0) < DELETION_TIMEOUT_US
    });
    let healthy = pods.iter().filter(|p| p.is_ready() && !disrupted.contains_key(&p.metadata.name)).count() as i32;
    let allowed = (healthy - desired).max(0);
    let mut status = pdb.status.clone();
    status.observed_generation = pdb.metadata.generation;
    status.disrupted_pods = disrupted;
    status.disruptions_allowed = allowed;
    status.current_healthy = healthy;
    status.desired_healthy = desired;
    status.expected_pods = expected;
    let (state, reason) = if allowed > 0 { ("True", "SufficientPods") } else { ("False", "InsufficientPods") };
    let changed = status.conditions.first().is_none_or(|c| c.status != state);
    if changed {
        status.conditions = vec![Condition {
            type_: "DisruptionAllowed".into(),
            status: state.into(),
            reason: reason.into(),
            message: String::new(),
            last_transition_time: Some(Time::at(now)),
        }];
    }
    if status == pdb.status {
        return vec![];
    }
    let mut next = pdb.clone();
    next.status = status;
    ApiRequest::update_status(Object::PodDisruptionBudget(next)).into_iter().collect()
}
