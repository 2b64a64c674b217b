//! InterPodAffinity (pkg/scheduler/framework/plugins/interpodaffinity): required pod affinity
//! and anti-affinity — the pod's own terms and, symmetrically, existing pods' anti-affinity
//! against it — filter nodes by topology domain; preferred terms (both ways) and existing
//! pods' required affinity (× hardPodAffinityWeight) score domains. Weight 2.

use crate::sim::api::{optional_matches, Labels, Pod, PodAffinityTerm};
use crate::sim::scheduler::framework::{Code, NodeInfo, Snapshot, Status, MAX_NODE_SCORE};
use std::collections::BTreeMap;

pub const NAME: &str = "InterPodAffinity";
pub const ERR_REASON_EXISTING_ANTI_AFFINITY: &str = "node(s) didn't satisfy existing pods anti-affinity rules";
pub const ERR_REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const ERR_REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";

/// InterPodAffinityArgs.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    pub hard_pod_affinity_weight: i64,
    pub ignore_preferred_terms_of_existing_pods: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args { hard_pod_affinity_weight: 1, ignore_preferred_terms_of_existing_pods: false }
    }
}

type Topology = BTreeMap<(String, String), i64>;

/// Whether `target` is selected by a term that `owner` carries: the term's namespaces (or
/// namespaceSelector; both empty means the owner's namespace) and its label selector.
fn term_matches(
    term: &PodAffinityTerm,
    owner: &Pod,
    target: &Pod,
    namespaces: &crate::sim::vecmap::VecMap<String, Labels>,
) -> bool {
    let ns = &target.metadata.namespace;
    let in_ns = if term.namespaces.is_empty() && term.namespace_selector.is_none() {
        *ns == owner.metadata.namespace
    } else {
        term.namespaces.contains(ns)
            || term
                .namespace_selector
                .as_ref()
                .is_some_and(|sel| sel.matches(namespaces.get(ns).unwrap_or(&Labels::new())))
    };
    in_ns && optional_matches(&term.label_selector, &target.metadata.labels)
}

fn required_affinity(pod: &Pod) -> &[PodAffinityTerm] {
    pod.spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_affinity.as_ref())
        .map_or(&[], |a| &a.required_during_scheduling_ignored_during_execution)
}

fn required_anti(pod: &Pod) -> &[PodAffinityTerm] {
    pod.spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .map_or(&[], |a| &a.required_during_scheduling_ignored_during_execution)
}

fn add(topo: &mut Topology, node: &NodeInfo, key: &str, delta: i64) {
    if let Some(v) = node.labels().get(key) {
        *topo.entry((key.to_string(), v.clone())).or_insert(0) += delta;
    }
}

/// PreFilter's counts.
#[derive(Clone, Debug, Default)]
pub struct FilterState {
    existing_anti: Topology,
    affinity: Topology,
    anti: Topology,
    affinity_terms: Vec<PodAffinityTerm>,
    anti_terms: Vec<PodAffinityTerm>,
    matches_own_affinity: bool,
}

pub fn pre_filter(pod: &Pod, snap: &Snapshot) -> (Status, FilterState) {
    let mut s = FilterState {
        affinity_terms: required_affinity(pod).to_vec(),
        anti_terms: required_anti(pod).to_vec(),
        ..Default::default()
    };
    let existing_anti = if snap.pods_with_required_anti_affinity > 0 { &snap.nodes[..] } else { &[] };
    for node in existing_anti.iter().filter(|n| n.pods_with_required_anti_affinity > 0) {
        for e in &node.pods {
            for t in required_anti(e) {
                if term_matches(t, e, pod, &snap.namespaces) {
                    add(&mut s.existing_anti, node, &t.topology_key, 1);
                }
            }
        }
    }
    if s.affinity_terms.is_empty() && s.anti_terms.is_empty() {
        if s.existing_anti.is_empty() {
            return (Status::new(Code::Skip, ""), s);
        }
        return (Status::success(), s);
    }
    for node in &snap.nodes {
        for e in &node.pods {
            if !s.affinity_terms.is_empty()
                && s.affinity_terms.iter().all(|t| term_matches(t, pod, e, &snap.namespaces))
            {
                for t in &s.affinity_terms {
                    add(&mut s.affinity, node, &t.topology_key, 1);
                }
            }
            for t in &s.anti_terms {
                if term_matches(t, pod, e, &snap.namespaces) {
                    add(&mut s.anti, node, &t.topology_key, 1);
                }
            }
        }
    }
    s.matches_own_affinity = s.affinity_terms.iter().all(|t| term_matches(t, pod, pod, &snap.namespaces));
    (Status::success(), s)
}

fn count_at(topo: &Topology, key: &str, node: &NodeInfo) -> Option<i64> {
    let v = node.labels().get(key)?;
    Some(topo.get(&(key.to_string(), v.clone())).copied().unwrap_or(0))
}

pub fn filter(s: &FilterState, node: &NodeInfo) -> Status {
    let mut pods_exist = true;
    for t in &s.affinity_terms {
        match count_at(&s.affinity, &t.topology_key, node) {
            None => return Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_AFFINITY),
            Some(n) if n <= 0 => pods_exist = false,
            Some(_) => {}
        }
    }
    // The first pod of a group with affinity to itself may go anywhere with the keys.
    if !(pods_exist || s.affinity.is_empty() && s.matches_own_affinity) {
        return Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_AFFINITY);
    }
    if s.anti_terms.iter().any(|t| count_at(&s.anti, &t.topology_key, node).is_some_and(|n| n > 0)) {
        return Status::new(Code::Unschedulable, ERR_REASON_ANTI_AFFINITY);
    }
    let labels = node.labels();
    if labels.iter().any(|(k, v)| s.existing_anti.get(&(k.clone(), v.clone())).is_some_and(|n| *n > 0)) {
        return Status::new(Code::Unschedulable, ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
    Status::success()
}

/// PreScore's per-domain score.
#[derive(Clone, Debug, Default)]
pub struct ScoreState {
    topology: Topology,
}

pub fn pre_score(pod: &Pod, args: &Args, snap: &Snapshot) -> (Status, ScoreState) {
    let aff = pod.spec.affinity.as_ref();
    let pref_aff = aff
        .and_then(|a| a.pod_affinity.as_ref())
        .map_or(&[][..], |a| &a.preferred_during_scheduling_ignored_during_execution);
    let pref_anti = aff
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .map_or(&[][..], |a| &a.preferred_during_scheduling_ignored_during_execution);
    let has_constraints = !pref_aff.is_empty() || !pref_anti.is_empty();
    if !has_constraints && snap.pods_with_affinity == 0 {
        return (Status::new(Code::Skip, ""), ScoreState::default());
    }
    let mut topo = Topology::new();
    for node in &snap.nodes {
        if !has_constraints && node.pods_with_affinity == 0 {
            continue;
        }
        for e in &node.pods {
            for w in pref_aff {
                if term_matches(&w.pod_affinity_term, pod, e, &snap.namespaces) {
                    add(&mut topo, node, &w.pod_affinity_term.topology_key, w.weight as i64);
                }
            }
            for w in pref_anti {
                if term_matches(&w.pod_affinity_term, pod, e, &snap.namespaces) {
                    add(&mut topo, node, &w.pod_affinity_term.topology_key, -(w.weight as i64));
                }
            }
            let Some(ea) = e.spec.affinity.as_ref() else { continue };
            if args.hard_pod_affinity_weight > 0 {
                for t in required_affinity(e) {
                    if term_matches(t, e, pod, &snap.namespaces) {
                        add(&mut topo, node, &t.topology_key, args.hard_pod_affinity_weight);
                    }
                }
            }
            if args.ignore_preferred_terms_of_existing_pods {
                continue;
            }
            let signed = [(ea.pod_affinity.as_ref(), 1), (ea.pod_anti_affinity.as_ref(), -1)];
            for (terms, sign) in signed {
                for w in terms.map_or(&[][..], |a| &a.preferred_during_scheduling_ignored_during_execution) {
                    if term_matches(&w.pod_affinity_term, e, pod, &snap.namespaces) {
                        add(&mut topo, node, &w.pod_affinity_term.topology_key, sign * w.weight as i64);
                    }
                }
            }
        }
    }
    (Status::success(), ScoreState { topology: topo })
}

pub fn score(s: &ScoreState, node: &NodeInfo) -> i64 {
    node.labels().iter().map(|(k, v)| s.topology.get(&(k.clone(), v.clone())).copied().unwrap_or(0)).sum()
}

/// NormalizeScore: min–max scaling to 0..100; left alone when no domain scored.
pub fn normalize(s: &ScoreState, scores: &mut [i64]) {
    if s.topology.is_empty() {
        return;
    }
    let min = scores.iter().copied().min().unwrap_or(0);
    let max = scores.iter().copied().max().unwrap_or(0);
    for v in scores.iter_mut() {
        *v = if max > min { (MAX_NODE_SCORE as f64 * ((*v - min) as f64 / (max - min) as f64)) as i64 } else { 0 };
    }
}
