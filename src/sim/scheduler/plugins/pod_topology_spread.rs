//! PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread): Filter enforces the
//! pod's DoNotSchedule constraints (skew = matching pods in the node's domain + self − the
//! smallest domain ≤ maxSkew); Score prefers nodes whose domains hold fewer matching pods for
//! ScheduleAnyway constraints — the pod's own, or the system defaults (hostname maxSkew 3,
//! zone maxSkew 5) for pods owned by a Service, ReplicaSet, ReplicationController or
//! StatefulSet. Weight 2.

use super::node_affinity::required_matches;
use crate::sim::api::{LabelSelector, Labels, Pod, TopologySpreadConstraint};
use crate::sim::scheduler::framework::{Code, NodeInfo, Snapshot, Status, MAX_NODE_SCORE};
use std::collections::{BTreeMap, BTreeSet};

pub const NAME: &str = "PodTopologySpread";
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints";
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";
const HOSTNAME: &str = "kubernetes.io/hostname";

/// PodTopologySpreadArgs: defaultingType System uses the system default constraints, List the
/// configured defaultConstraints.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    pub default_constraints: Vec<TopologySpreadConstraint>,
    pub system_defaulting: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args { default_constraints: vec![], system_defaulting: true }
    }
}

/// The system default constraints (pkg/scheduler/apis/config/v1 defaults).
pub fn system_default_constraints() -> Vec<TopologySpreadConstraint> {
    let c = |skew, key: &str| TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.into(),
        when_unsatisfiable: "ScheduleAnyway".into(),
        ..Default::default()
    };
    vec![c(3, HOSTNAME), c(5, "topology.kubernetes.io/zone")]
}

/// A constraint as the plugin evaluates it, with its effective selector.
#[derive(Clone, Debug)]
pub struct Constraint {
    pub max_skew: i64,
    pub key: String,
    /// None matches nothing (a nil labelSelector).
    pub selector: Option<LabelSelector>,
    pub min_domains: i64,
    pub honor_affinity: bool,
    pub honor_taints: bool,
}

fn constraints(
    pod: &Pod,
    list: &[TopologySpreadConstraint],
    when: &str,
    owner: Option<&LabelSelector>,
) -> Vec<Constraint> {
    list.iter()
        .filter(|c| c.when_unsatisfiable == when)
        .map(|c| {
            let mut selector = c.label_selector.clone().or_else(|| owner.cloned());
            if let Some(sel) = selector.as_mut() {
                for key in &c.match_label_keys {
                    if let Some(v) = pod.metadata.labels.get(key) {
                        sel.match_labels.insert(key.clone(), v.clone());
                    }
                }
            }
            Constraint {
                max_skew: c.max_skew as i64,
                key: c.topology_key.clone(),
                selector,
                min_domains: c.min_domains.unwrap_or(1) as i64,
                honor_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
                honor_taints: c.node_taints_policy.as_deref() == Some("Honor"),
            }
        })
        .collect()
}

impl Constraint {
    fn selects(&self, labels: &Labels) -> bool {
        self.selector.as_ref().is_some_and(|s| s.matches(labels))
    }

    /// matchNodeInclusionPolicies: whether the node's pods count toward the domains.
    fn includes(&self, pod: &Pod, node: &NodeInfo) -> bool {
        if self.honor_affinity && !required_matches(pod, node) {
            return false;
        }
        if self.honor_taints {
            let hard = node.node.spec.taints.iter().filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute");
            if !hard.into_iter().all(|x| pod.spec.tolerations.iter().any(|t| t.tolerates(x))) {
                return false;
            }
        }
        true
    }

    /// Matching pods on a node: same namespace, not terminating, selected.
    fn count(&self, namespace: &str, node: &NodeInfo) -> i64 {
        node.pods
            .iter()
            .filter(|p| {
                p.metadata.namespace == namespace
                    && p.metadata.deletion_timestamp.is_none()
                    && self.selects(&p.metadata.labels)
            })
            .count() as i64
    }
}

fn has_keys(labels: &Labels, cs: &[Constraint]) -> bool {
    cs.iter().all(|c| labels.contains_key(&c.key))
}

/// PreFilter's state: per DoNotSchedule constraint, matching pods per domain.
#[derive(Clone, Debug, Default)]
pub struct FilterState {
    constraints: Vec<Constraint>,
    counts: Vec<BTreeMap<String, i64>>,
    self_match: Vec<bool>,
}

pub fn pre_filter(pod: &Pod, snap: &Snapshot) -> (Status, FilterState) {
    let cs = constraints(pod, &pod.spec.topology_spread_constraints, "DoNotSchedule", None);
    if cs.is_empty() {
        return (Status::new(Code::Skip, ""), FilterState::default());
    }
    let mut counts = vec![BTreeMap::new(); cs.len()];
    for node in &snap.nodes {
        if !has_keys(node.labels(), &cs) {
            continue;
        }
        for (i, c) in cs.iter().enumerate() {
            if !c.includes(pod, node) {
                continue;
            }
            let n = c.count(&pod.metadata.namespace, node);
            let Some(value) = node.labels().get(&c.key) else { continue };
            match counts[i].get_mut(value) {
                Some(total) => *total += n,
                None => {
                    counts[i].insert(value.clone(), n);
                }
            }
        }
    }
    let self_match = cs.iter().map(|c| c.selects(&pod.metadata.labels)).collect();
    (Status::success(), FilterState { constraints: cs, counts, self_match })
}

pub fn filter(state: &FilterState, node: &NodeInfo) -> Status {
    for (i, c) in state.constraints.iter().enumerate() {
        let Some(value) = node.labels().get(&c.key) else {
            return Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_NODE_LABEL_NOT_MATCH);
        };
        let counts = &state.counts[i];
        let min = if (counts.len() as i64) < c.min_domains { 0 } else { counts.values().copied().min().unwrap_or(0) };
        let skew = counts.get(value).copied().unwrap_or(0) + state.self_match[i] as i64 - min;
        if skew > c.max_skew {
            return Status::new(Code::Unschedulable, ERR_REASON_CONSTRAINTS_NOT_MATCH);
        }
    }
    Status::success()
}

/// PreScore's state: per ScheduleAnyway constraint, matching pods per domain among the
/// candidates' domains, and each constraint's normalizing weight ln(size + 2).
#[derive(Clone, Debug, Default)]
pub struct ScoreState {
    constraints: Vec<Constraint>,
    counts: Vec<BTreeMap<String, i64>>,
    weights: Vec<f64>,
    pub ignored: BTreeSet<String>,
    namespace: String,
}

/// `owner` is the selector of the Services/ReplicaSets/… that own the pod, used with the
/// system default constraints.
pub fn pre_score(
    pod: &Pod,
    args: &Args,
    owner: Option<&LabelSelector>,
    filtered: &[&NodeInfo],
    snap: &Snapshot,
) -> (Status, ScoreState) {
    let own = !pod.spec.topology_spread_constraints.is_empty();
    let cs = if own {
        constraints(pod, &pod.spec.topology_spread_constraints, "ScheduleAnyway", None)
    } else if args.system_defaulting {
        match owner {
            Some(sel) => constraints(pod, &system_default_constraints(), "ScheduleAnyway", Some(sel)),
            None => vec![],
        }
    } else {
        constraints(pod, &args.default_constraints, "ScheduleAnyway", owner)
    };
    if cs.is_empty() {
        return (Status::new(Code::Skip, ""), ScoreState::default());
    }
    // Pods with their own constraints need nodes to carry every key; defaults do not.
    let require_all = own || !args.system_defaulting;
    let mut ignored = BTreeSet::new();
    let mut counts = vec![BTreeMap::new(); cs.len()];
    for node in filtered {
        if require_all && !has_keys(node.labels(), &cs) {
            ignored.insert(node.name().to_string());
            continue;
        }
        for (i, c) in cs.iter().enumerate() {
            if c.key != HOSTNAME {
                if let Some(v) = node.labels().get(&c.key) {
                    counts[i].entry(v.clone()).or_insert(0);
                }
            }
        }
    }
    let weights = cs
        .iter()
        .zip(&counts)
        .map(|(c, m)| {
            let size = if c.key == HOSTNAME { filtered.len() - ignored.len() } else { m.len() };
            ((size + 2) as f64).ln()
        })
        .collect();
    // Every node of the cluster, once per cycle: the cheap tests first (a hostname domain
    // is counted at Score; a domain no feasible node is in is not counted).
    for node in &snap.nodes {
        if require_all && !has_keys(node.labels(), &cs) {
            continue;
        }
        for (c, domains) in cs.iter().zip(counts.iter_mut()) {
            if c.key == HOSTNAME {
                continue;
            }
            let Some(n) = node.labels().get(&c.key).and_then(|v| domains.get_mut(v)) else { continue };
            if c.includes(pod, node) {
                *n += c.count(&pod.metadata.namespace, node);
            }
        }
    }
    let state = ScoreState { constraints: cs, counts, weights, ignored, namespace: pod.metadata.namespace.clone() };
    (Status::success(), state)
}

pub fn score(state: &ScoreState, node: &NodeInfo) -> i64 {
    if state.ignored.contains(node.name()) {
        return 0;
    }
    let mut score = 0.0;
    for (i, c) in state.constraints.iter().enumerate() {
        let Some(v) = node.labels().get(&c.key) else { continue };
        let cnt = if c.key == HOSTNAME {
            c.count(&state.namespace, node)
        } else {
            state.counts[i].get(v).copied().unwrap_or(0)
        };
        score += cnt as f64 * state.weights[i] + (c.max_skew - 1) as f64;
    }
    score.round() as i64
}

/// NormalizeScore: fewer matching pods scores higher; ignored nodes score 0.
pub fn normalize(state: &ScoreState, names: &[&str], scores: &mut [i64]) {
    let counted = || names.iter().zip(scores.iter()).filter(|(n, _)| !state.ignored.contains(**n)).map(|(_, s)| *s);
    let min = counted().min().unwrap_or(0);
    let max = counted().max().unwrap_or(0);
    for (name, s) in names.iter().zip(scores.iter_mut()) {
        *s = if state.ignored.contains(*name) {
            0
        } else if max == 0 {
            MAX_NODE_SCORE
        } else {
            MAX_NODE_SCORE * (max + min - *s) / max
        };
    }
}
