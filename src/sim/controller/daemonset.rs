//! The DaemonSet controller (pkg/controller/daemon): one pod on every node that should run
//! it — the node matches the template's nodeSelector and required node affinity, and the pod
//! tolerates the node's NoSchedule and NoExecute taints (with the tolerations every daemon pod
//! gets). Pods are created with a required node affinity on `metadata.name`, so the default
//! scheduler binds them (ScheduleDaemonSetPods); pods on nodes that should not run them, extra
//! pods and failed pods are deleted. RollingUpdate replaces pods of an older template at most
//! maxUnavailable at a time (1 by default); OnDelete waits for the user. Status counts
//! desired, current, misscheduled, ready, up-to-date and available pods.
//! Not modelled: ControllerRevisions (the `controller-revision-hash` label is the template's
//! hash), maxSurge, minReadySeconds, the failed-pod back-off.

use super::expectations::Expectations;
use super::replicaset::{is_active, BURST_REPLICAS};
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::scheduling::{Affinity, NodeAffinity, NodeSelector, NodeSelectorTerm, Requirement};
use crate::sim::api::{DaemonSet, DaemonSetStatus, Node, Object, ObjectMeta, OwnerReference, Pod, Toleration};
use crate::sim::client::Informer;
use crate::sim::time::SimTime;

/// The label that tells a pod's template version.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// AddOrUpdateDaemonPodTolerations: daemon pods stay through not-ready and unreachable nodes
/// (no tolerationSeconds), node pressure and cordons.
fn daemon_tolerations(pod: &mut Pod) {
    let wanted = [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    for (key, effect) in wanted {
        let present = pod.spec.tolerations.iter().any(|t| t.key == key && t.effect == effect);
        if !present {
            pod.spec.tolerations.push(Toleration {
                key: key.into(),
                operator: "Exists".into(),
                effect: effect.into(),
                ..Default::default()
            });
        }
    }
}

/// The DaemonSet's pod before it is pinned to a node: the template, its revision labels, the
/// owner reference and the daemon tolerations.
fn daemon_pod(ds: &DaemonSet, hash: &str) -> Pod {
    let mut metadata = ObjectMeta {
        generate_name: format!("{}-", ds.metadata.name),
        namespace: ds.metadata.namespace.clone(),
        labels: ds.spec.template.metadata.labels.clone(),
        ..Default::default()
    };
    metadata.labels.insert(REVISION_LABEL.into(), hash.into());
    metadata.labels.insert("pod-template-generation".into(), ds.metadata.generation.to_string());
    metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "DaemonSet".into(),
        name: ds.metadata.name.clone(),
        uid: ds.metadata.uid.clone(),
        controller: true,
    }];
    let mut pod = Pod { metadata, spec: ds.spec.template.spec.clone(), status: Default::default() };
    daemon_tolerations(&mut pod);
    pod
}

/// The pod for `node`: a required node affinity names it (ReplaceDaemonSetPodNodeNameNodeAffinity),
/// and the default scheduler binds it there.
fn pin(mut pod: Pod, node: &str) -> Pod {
    let name_field = Requirement { key: "metadata.name".into(), operator: "In".into(), values: vec![node.into()] };
    let affinity = pod.spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    let required = node_affinity
        .required_during_scheduling_ignored_during_execution
        .get_or_insert_with(|| NodeSelector { node_selector_terms: vec![NodeSelectorTerm::default()] });
    for term in &mut required.node_selector_terms {
        term.match_fields = vec![name_field.clone()];
    }
    pod
}

/// NodeShouldRunDaemonPod: the node passes the pod's node selector and affinity, and the pod
/// tolerates every NoSchedule and NoExecute taint on it.
pub fn should_run(pod: &Pod, node: &Node) -> bool {
    let labels = &node.metadata.labels;
    let selected = pod.spec.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v));
    let affinity = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| na.required_during_scheduling_ignored_during_execution.as_ref())
        .is_none_or(|sel| sel.matches(&node.metadata.name, labels));
    let tolerated = node
        .spec
        .taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .all(|t| pod.spec.tolerations.iter().any(|tol| tol.tolerates(t)));
    selected && affinity && tolerated
}

pub fn sync(
    key: &str,
    daemonsets: &Informer,
    pods: &Informer,
    nodes: &Informer,
    expectations: &mut Expectations,
    now: SimTime,
) -> Vec<ApiRequest> {
    let Some(Object::DaemonSet(ds)) = daemonsets.get(key) else {
        expectations.forget(key);
        return vec![];
    };
    let hash = super::deployment::pod_template_hash(&ds.spec.template);
    let pod_res = ResourceInfo::by_kind("Pod").expect("Pod is in the resource table");
    let delete = |p: &Pod| ApiRequest::new(Verb::Delete, pod_res, &p.metadata.namespace, &p.metadata.name);
    let template = daemon_pod(ds, &hash);
    let mut creates = Vec::new();
    let mut deletes = Vec::new();
    let mut status = DaemonSetStatus { observed_generation: ds.metadata.generation, ..Default::default() };
    // Old-template pods that could be replaced, and how many daemon pods are unavailable.
    let mut old_ready: Vec<&Pod> = Vec::new();
    let mut unavailable = 0;
    // The DaemonSet's pods by the node they are for (the index keeps them in that order, by
    // key within a node). Nodes come in name order too: one merged walk, no lookup per node.
    let by_node: Vec<(&str, &Pod)> = pods
        .owned_by_node(&ds.metadata.uid)
        .filter(|(node, _)| !node.is_empty())
        .filter_map(|(node, o)| Some((node, o.as_pod()?)))
        .collect();
    let mut rest = &by_node[..];
    let mut on_node: Vec<&Pod> = Vec::new();
    for node in nodes.objects().filter_map(|o| o.as_node()) {
        let name = node.metadata.name.as_str();
        // A comparison or two per node, not a search: most nodes have one pod.
        let mut here = 0;
        loop {
            match rest.get(here).map(|(n, _)| (*n).cmp(name)) {
                Some(std::cmp::Ordering::Less) if here == 0 => rest = &rest[1..],
                Some(std::cmp::Ordering::Equal) => here += 1,
                _ => break,
            }
        }
        on_node.clear();
        on_node.extend(rest[..here].iter().map(|(_, p)| *p));
        rest = &rest[here..];
        // Failed pods go (and are replaced on the next sync).
        for p in on_node.iter().filter(|p| p.status.phase == "Failed" && p.metadata.deletion_timestamp.is_none()) {
            deletes.push(delete(p));
        }
        on_node.retain(|p| is_active(p));
        if !should_run(&template, node) {
            if !on_node.is_empty() {
                status.number_misscheduled += 1;
            }
            deletes.extend(on_node.iter().map(|p| delete(p)));
            continue;
        }
        status.desired_number_scheduled += 1;
        // Oldest first: the extras are the newer ones.
        if on_node.len() > 1 {
            crate::sim::sort::sort_by_key(&mut on_node, |p| (p.metadata.creation_timestamp, p.metadata.name.clone()));
        }
        match on_node.split_first() {
            None => {
                creates.push(name);
                unavailable += 1;
            }
            Some((keep, extra)) => {
                deletes.extend(extra.iter().map(|p| delete(p)));
                status.current_number_scheduled += 1;
                let updated = keep.metadata.labels.get(REVISION_LABEL) == Some(&hash);
                status.updated_number_scheduled += updated as i32;
                if keep.is_ready() {
                    status.number_ready += 1;
                    status.number_available += 1;
                    if !updated {
                        old_ready.push(keep);
                    }
                } else {
                    unavailable += 1;
                    if !updated {
                        // An old pod that is not available anyway goes at once.
                        deletes.push(delete(keep));
                    }
                }
            }
        }
    }
    status.number_unavailable = status.desired_number_scheduled - status.number_available;
    let strategy = &ds.spec.update_strategy;
    if strategy.type_ == "RollingUpdate" {
        let max = strategy
            .rolling_update
            .as_ref()
            .and_then(|r| r.max_unavailable.as_ref())
            .and_then(|m| m.scaled(i64::from(status.desired_number_scheduled), true).ok())
            .unwrap_or(1)
            .max(1);
        let budget = (max - unavailable).max(0) as usize;
        deletes.extend(old_ready.iter().take(budget).map(|p| delete(p)));
    }
    let mut out = Vec::new();
    let satisfied = expectations.satisfied(key, now);
    if satisfied && ds.metadata.deletion_timestamp.is_none() {
        let n = (creates.len() + deletes.len()).min(BURST_REPLICAS as usize);
        if n > 0 {
            expectations.expect(key, n as i32, now);
        }
        // Only the pods of this burst are built.
        let creates = creates.into_iter().map(|node| {
            let pod = pin(template.clone(), node);
            ApiRequest::new(Verb::Create, pod_res, &ds.metadata.namespace, "").with_body(Object::Pod(Box::new(pod)))
        });
        out.extend(creates.chain(deletes).take(n));
    }
    if status != ds.status {
        let mut next = ds.clone();
        next.status = status;
        out.extend(ApiRequest::update_status(Object::DaemonSet(next)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::Taint;

    fn node(name: &str, taints: Vec<Taint>) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.spec.taints = taints;
        n
    }

    #[test]
    fn daemon_pods_tolerate_node_trouble_but_not_other_taints() {
        let ds = DaemonSet::default();
        let pod = pin(daemon_pod(&ds, "abc"), "worker-1");
        let taint = |key: &str, effect: &str| Taint { key: key.into(), effect: effect.into(), ..Default::default() };
        assert!(should_run(&pod, &node("worker-1", vec![taint("node.kubernetes.io/unreachable", "NoExecute")])));
        assert!(should_run(&pod, &node("worker-1", vec![taint("node.kubernetes.io/unschedulable", "NoSchedule")])));
        assert!(!should_run(
            &pod,
            &node("control-plane", vec![taint("node-role.kubernetes.io/control-plane", "NoSchedule")])
        ));
        assert_eq!(pod.target_node(), Some("worker-1"));
        let unreachable = pod.spec.tolerations.iter().find(|t| t.key == "node.kubernetes.io/unreachable").unwrap();
        assert_eq!(unreachable.toleration_seconds, None, "no eviction after 300 s for daemon pods");
    }
}
