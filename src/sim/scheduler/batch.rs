//! `kubesim schedule`: schedule the pending pods of a cluster file one at a time, in file order,
//! through the same cycle the simulated kube-scheduler runs, and report each attempt in
//! kube-scheduler-simulator's result shape.

use super::cycle::{fit_error, Cycle, Explain, Outcome};
use super::framework::{SharedPod, Snapshot};
use super::profile::Profile;
use crate::sim::api::meta::cache_key;
use crate::sim::api::{LabelSelector, Object, Pod};
use serde_json::{json, Map, Value};

/// One pending pod's attempt.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub pod: String,
    pub explain: Explain,
    /// The FailedScheduling message when no node fit.
    pub message: Option<String>,
    /// Every node that failed Filter, with its status code (not part of the JSON output).
    pub failed: Vec<(std::sync::Arc<str>, super::framework::Status)>,
}

/// Builds the snapshot from the objects (Nodes, Namespaces, Services, ReplicaSets and bound
/// Pods) and returns the pending pods in order.
pub fn snapshot(objects: &[Object]) -> (Snapshot, Vec<Pod>) {
    let mut snap = Snapshot::default();
    let mut pending = Vec::new();
    for o in objects {
        match o {
            Object::Node(n) => snap.set_node(n.clone()),
            Object::Namespace(ns) => {
                snap.namespaces.insert(ns.metadata.name.clone(), ns.metadata.labels.clone());
            }
            Object::Service(s) if !s.spec.selector.is_empty() => {
                let sel = LabelSelector { match_labels: s.spec.selector.clone(), ..Default::default() };
                snap.owner_selectors.entry(s.metadata.namespace.clone()).or_default().push(sel);
            }
            Object::ReplicaSet(rs) => {
                snap.owner_selectors.entry(rs.metadata.namespace.clone()).or_default().push(rs.spec.selector.clone());
            }
            _ => {}
        }
    }
    for o in objects {
        if let Object::Pod(p) = o {
            if p.spec.node_name.is_empty() {
                pending.push((**p).clone());
            } else {
                snap.add_pod(SharedPod::new((**p).clone()), &p.spec.node_name.clone());
            }
        }
    }
    (snap, pending)
}

/// Schedules every pending pod; a pod that lands is assumed on its node for the next ones.
pub fn schedule(objects: &[Object], profiles: &[Profile], seed: u64) -> Vec<Attempt> {
    let (mut snap, pending) = snapshot(objects);
    let mut rng = crate::sim::rng::fork(seed, "kube-scheduler");
    let mut cycle = Cycle { next_start_node_index: 0 };
    let mut out = Vec::new();
    for mut pod in pending {
        if pod.metadata.namespace.is_empty() {
            pod.metadata.namespace = "default".into();
        }
        if pod.spec.scheduler_name.is_empty() {
            pod.spec.scheduler_name = "default-scheduler".into();
        }
        let key = cache_key(&pod.metadata.namespace, &pod.metadata.name);
        let Some(profile) = profiles.iter().find(|p| p.scheduler_name == pod.spec.scheduler_name) else {
            let message = format!("no profile for scheduler name \"{}\"", pod.spec.scheduler_name);
            out.push(Attempt { pod: key, explain: Explain::default(), message: Some(message), failed: vec![] });
            continue;
        };
        let mut explain = Explain::default();
        let owner = snap.default_selector(&pod);
        let outcome = cycle.schedule(profile, &pod, owner.as_ref(), &snap, &mut rng, Some(&mut explain));
        let (message, failed) = match outcome {
            Outcome::Scheduled { node, failed, .. } => {
                pod.spec.node_name = node.clone();
                snap.add_pod(SharedPod::new(pod), &node);
                (None, failed)
            }
            Outcome::Unschedulable { diagnosis, total_nodes, .. } => {
                (Some(fit_error(total_nodes, &diagnosis)), diagnosis.node_status)
            }
        };
        out.push(Attempt { pod: key, explain, message, failed });
    }
    out
}

/// The JSON array `kubesim schedule -o json` prints.
pub fn to_json(attempts: &[Attempt]) -> Value {
    let nested = |m: &std::collections::BTreeMap<String, super::cycle::Verdicts>| {
        let mut out = Map::new();
        for (node, plugins) in m {
            out.insert(node.clone(), json!(plugins));
        }
        Value::Object(out)
    };
    Value::Array(
        attempts
            .iter()
            .map(|a| {
                let mut o = json!({
                    "pod": a.pod,
                    "filter-result": nested(&a.explain.filter),
                    "score-result": nested(&a.explain.score),
                    "finalscore-result": nested(&a.explain.final_score),
                    "postfilter-result": nested(&a.explain.post_filter),
                    "selected-node": a.explain.selected,
                });
                if let Some(m) = &a.message {
                    o["message"] = json!(m);
                }
                o
            })
            .collect(),
    )
}
