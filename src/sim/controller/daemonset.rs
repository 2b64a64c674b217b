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
use std::collections::{BTreeMap, BTreeSet};

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

/// A pod to delete, by namespace and name.
type PodRef = (String, String);

fn pod_ref(p: &Pod) -> PodRef {
    (p.metadata.namespace.clone(), p.metadata.name.clone())
}

/// What one node adds to its DaemonSet's sync.
#[derive(Clone, Debug, Default, PartialEq)]
struct Verdict {
    /// The node should run the daemon pod (desiredNumberScheduled).
    desired: bool,
    /// It should not, but runs one.
    misscheduled: bool,
    /// It runs one (currentNumberScheduled), of the current template (updated), ready.
    current: bool,
    updated: bool,
    ready: bool,
    /// It has none yet: one is created.
    create: bool,
    unavailable: bool,
    /// Pods to delete: failed ones, those on a node that should not run them, extras, and an
    /// old-template pod that is not available anyway — in that order.
    deletes: Vec<PodRef>,
    /// An old-template pod that is ready: a rolling update may replace it.
    replaceable: Option<PodRef>,
}

/// Judges one node from its daemon pods (in key order).
fn judge<'a>(template: &Pod, hash: &str, node: &Node, pods: impl Iterator<Item = &'a Pod>) -> Verdict {
    let mut v = Verdict::default();
    let mut on_node: Vec<&Pod> = pods.collect();
    // Failed pods go (and are replaced on the next sync).
    for p in on_node.iter().filter(|p| p.status.phase == "Failed" && p.metadata.deletion_timestamp.is_none()) {
        v.deletes.push(pod_ref(p));
    }
    on_node.retain(|p| is_active(p));
    if !should_run(template, node) {
        v.misscheduled = !on_node.is_empty();
        v.deletes.extend(on_node.iter().map(|p| pod_ref(p)));
        return v;
    }
    v.desired = true;
    // Oldest first: the extras are the newer ones.
    if on_node.len() > 1 {
        crate::sim::sort::sort_by_key(&mut on_node, |p| (p.metadata.creation_timestamp, p.metadata.name.clone()));
    }
    let Some((keep, extra)) = on_node.split_first() else {
        v.create = true;
        v.unavailable = true;
        return v;
    };
    v.deletes.extend(extra.iter().map(|p| pod_ref(p)));
    v.current = true;
    v.updated = keep.metadata.labels.get(REVISION_LABEL).is_some_and(|h| h == hash);
    v.ready = keep.is_ready();
    match (v.ready, v.updated) {
        (true, false) => v.replaceable = Some(pod_ref(keep)),
        // An old pod that is not available anyway goes at once.
        (false, false) => v.deletes.push(pod_ref(keep)),
        _ => {}
    }
    v.unavailable = !v.ready;
    v
}

/// The verdicts summed up.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Sums {
    desired: i32,
    misscheduled: i32,
    current: i32,
    updated: i32,
    ready: i32,
    unavailable: i32,
    deletes: usize,
}

impl Sums {
    fn count(&mut self, v: &Verdict, sign: i32) {
        self.desired += sign * i32::from(v.desired);
        self.misscheduled += sign * i32::from(v.misscheduled);
        self.current += sign * i32::from(v.current);
        self.updated += sign * i32::from(v.updated);
        self.ready += sign * i32::from(v.ready);
        self.unavailable += sign * i32::from(v.unavailable);
        match sign > 0 {
            true => self.deletes += v.deletes.len(),
            false => self.deletes -= v.deletes.len(),
        }
    }
}

/// One DaemonSet's last sync, kept: each node's verdict, their sums, and the nodes touched
/// since. Upstream the controller judges every node on every sync (the simulated time still
/// counts that walk, see `DAEMONSET_NODE_US`); here a sync judges again only the nodes whose
/// node object or daemon pods changed, so at 7,500 nodes it costs what changed. In debug
/// builds every sync is checked against a walk of all nodes.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    /// The DaemonSet's uid, template hash and pod spec the verdicts hold for; None (or
    /// another): every node is judged again.
    basis: Option<(String, String, crate::sim::api::PodSpec)>,
    verdicts: BTreeMap<String, Verdict>,
    /// Nodes whose node object or daemon pods changed since the last sync.
    touched: BTreeSet<String>,
    /// Nodes that get a pod, that have pods to delete, that have a replaceable pod.
    creating: BTreeSet<String>,
    deleting: BTreeSet<String>,
    replaceable: BTreeSet<String>,
    sums: Sums,
}

impl Tracker {
    /// The node or one of its daemon pods changed: judge it again on the next sync.
    pub fn touch(&mut self, node: &str) {
        if self.basis.is_some() && !node.is_empty() {
            self.touched.insert(node.to_string());
        }
    }

    /// The informers were listed again (changes may have passed unseen): judge every node.
    pub fn forget(&mut self) {
        self.basis = None;
    }

    fn set(&mut self, node: &str, v: Option<Verdict>) {
        if let Some(old) = self.verdicts.remove(node) {
            self.sums.count(&old, -1);
        }
        let Some(v) = v else {
            for set in [&mut self.creating, &mut self.deleting, &mut self.replaceable] {
                set.remove(node);
            }
            return;
        };
        self.sums.count(&v, 1);
        for (set, member) in [
            (&mut self.creating, v.create),
            (&mut self.deleting, !v.deletes.is_empty()),
            (&mut self.replaceable, v.replaceable.is_some()),
        ] {
            match member {
                true => set.insert(node.to_string()),
                false => set.remove(node),
            };
        }
        self.verdicts.insert(node.to_string(), v);
    }

    /// Brings the verdicts up to date with the informers.
    fn update(&mut self, ds: &DaemonSet, template: &Pod, hash: &str, pods: &Informer, nodes: &Informer) {
        let uid = &ds.metadata.uid;
        let judged = |node: &Node| judge(template, hash, node, pods.owned_on_node(uid, &node.metadata.name));
        let basis = (uid.clone(), hash.to_string(), template.spec.clone());
        if self.basis.as_ref() != Some(&basis) {
            *self = Tracker { basis: Some(basis), ..Default::default() };
            for node in nodes.objects().filter_map(|o| o.as_node()) {
                let v = judged(node);
                self.set(&node.metadata.name, Some(v));
            }
            return;
        }
        for name in std::mem::take(&mut self.touched) {
            let v = nodes.get(&name).and_then(|o| o.as_node()).map(judged);
            self.set(&name, v);
        }
        #[cfg(debug_assertions)]
        {
            let mut walked = Tracker::default();
            walked.update(ds, template, hash, pods, nodes);
            assert!(
                walked.verdicts == self.verdicts && walked.sums == self.sums,
                "DaemonSet {}: the kept verdicts differ from a walk of every node",
                ds.metadata.name
            );
        }
    }
}

pub fn sync(
    key: &str,
    daemonsets: &Informer,
    pods: &Informer,
    nodes: &Informer,
    tracker: &mut Tracker,
    expectations: &mut Expectations,
    now: SimTime,
) -> Vec<ApiRequest> {
    let Some(Object::DaemonSet(ds)) = daemonsets.get(key) else {
        expectations.forget(key);
        return vec![];
    };
    let hash = super::deployment::pod_template_hash(&ds.spec.template);
    let pod_res = ResourceInfo::by_kind("Pod").expect("Pod is in the resource table");
    let template = daemon_pod(ds, &hash);
    tracker.update(ds, &template, &hash, pods, nodes);
    let sums = tracker.sums;
    let status = DaemonSetStatus {
        observed_generation: ds.metadata.generation,
        desired_number_scheduled: sums.desired,
        number_misscheduled: sums.misscheduled,
        current_number_scheduled: sums.current,
        updated_number_scheduled: sums.updated,
        number_ready: sums.ready,
        number_available: sums.ready,
        number_unavailable: sums.desired - sums.ready,
    };
    // A rolling update replaces ready old pods while at most maxUnavailable are unavailable.
    let replacing = match ds.spec.update_strategy.type_ == "RollingUpdate" {
        true => {
            let max = ds
                .spec
                .update_strategy
                .rolling_update
                .as_ref()
                .and_then(|r| r.max_unavailable.as_ref())
                .and_then(|m| m.scaled(i64::from(sums.desired), true).ok())
                .unwrap_or(1)
                .max(1);
            ((max - i64::from(sums.unavailable)).max(0) as usize).min(tracker.replaceable.len())
        }
        false => 0,
    };
    let mut out = Vec::new();
    let satisfied = expectations.satisfied(key, now);
    if satisfied && ds.metadata.deletion_timestamp.is_none() {
        let n = (tracker.creating.len() + sums.deletes + replacing).min(BURST_REPLICAS as usize);
        if n > 0 {
            expectations.expect(key, n as i32, now);
        }
        // Creates first, in node order, then deletes; only the requests of this burst are built.
        let creates = tracker.creating.iter().map(|node| {
            let pod = pin(template.clone(), node);
            ApiRequest::new(Verb::Create, pod_res, &ds.metadata.namespace, "").with_body(Object::Pod(Box::new(pod)))
        });
        let verdict = |node: &String| tracker.verdicts.get(node);
        let deletes = (tracker.deleting.iter().filter_map(verdict).flat_map(|v| v.deletes.iter()))
            .chain(
                tracker.replaceable.iter().filter_map(verdict).filter_map(|v| v.replaceable.as_ref()).take(replacing),
            )
            .map(|(ns, name)| ApiRequest::new(Verb::Delete, pod_res, ns, name));
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
