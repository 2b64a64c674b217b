//! One scheduling cycle (pkg/scheduler/schedule_one.go): PreFilter, Filter over nodes from a
//! rotating start until numFeasibleNodesToFind fit, PostFilter (preemption) when none do,
//! then PreScore, Score, NormalizeScore, weights and selectHost. Every plugin call can be
//! recorded in the shape of kube-scheduler-simulator's result annotations.

use super::framework::{
    host_ports, pod_non_zero_requests, pod_requests, Code, HostPort, NodeInfo, Resource, Snapshot, Status,
};
use super::plugins::{
    default_preemption, image_locality, inter_pod_affinity as ipa, node_affinity, node_name, node_ports,
    node_resources_balanced_allocation as balanced, node_resources_fit as fit, node_unschedulable,
    pod_topology_spread as pts, taint_toleration, Plugin,
};
use super::profile::{num_feasible_nodes_to_find, Profile};
use crate::sim::api::{LabelSelector, Pod, PreferredSchedulingTerm};
use crate::sim::rng::{Draw, SimRng};
use crate::sim::vecmap::VecMap;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What PreFilter and PreScore computed for this pod (framework.CycleState).
#[derive(Clone, Debug, Default)]
pub struct CycleState {
    pub pod_requests: Resource,
    pub pod_non_zero: Resource,
    /// Plugins whose PreFilter (resp. PreScore) returned Skip.
    skip_filter: u32,
    skip_score: u32,
    node_names: Option<BTreeSet<String>>,
    ports: Vec<HostPort>,
    spread_filter: pts::FilterState,
    spread_score: pts::ScoreState,
    affinity_filter: ipa::FilterState,
    affinity_score: ipa::ScoreState,
    preferred: Vec<PreferredSchedulingTerm>,
    images: Vec<String>,
}

/// kube-scheduler-simulator's result annotations for one attempt: node → plugin → result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explain {
    /// Keep the verdicts of at most this many rejected nodes (None: all). In a large cluster
    /// a full cluster's attempt rejects thousands; every feasible node is kept.
    pub keep_rejected: Option<usize>,
    /// Rejected nodes kept, and those left out past `keep_rejected`.
    pub rejected_kept: usize,
    pub rejected_omitted: usize,
    pub filter: BTreeMap<String, Verdicts>,
    pub score: BTreeMap<String, Verdicts>,
    pub final_score: BTreeMap<String, Verdicts>,
    pub post_filter: BTreeMap<String, Verdicts>,
    pub selected: Option<String>,
}

/// Why no node fit (framework.Diagnosis).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnosis {
    /// Failed nodes and their status, in evaluation order.
    pub node_status: Vec<(Arc<str>, Status)>,
    pub pre_filter_msg: String,
    pub post_filter_msg: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// `failed` lists the nodes Filter rejected on the way.
    Scheduled { node: String, evaluated: usize, feasible: usize, failed: Vec<(Arc<str>, Status)> },
    /// No node fits; preemption may have nominated a node and chosen victims.
    Unschedulable { diagnosis: Diagnosis, nominated: Option<default_preemption::Candidate>, total_nodes: usize },
}

/// One node's verdicts in an explained cycle, by plugin name.
pub type Verdicts = crate::sim::vecmap::VecMap<String, String>;

/// Per-scheduler state carried between cycles.
#[derive(Clone, Debug)]
pub struct Cycle {
    pub next_start_node_index: usize,
}

pub const PASSED: &str = "passed";

fn record(map: &mut BTreeMap<String, Verdicts>, node: &str, plugin: Plugin, value: String) {
    map.entry(node.to_string()).or_default().insert(plugin.name().to_string(), value);
}

impl Cycle {
    /// Runs one attempt for `pod`. `owner` is the default spreading selector (Services and
    /// ReplicaSets selecting the pod); `explain` records every plugin's result when given.
    #[allow(clippy::too_many_arguments)]
    pub fn schedule(
        &mut self,
        profile: &Profile,
        pod: &Pod,
        owner: Option<&LabelSelector>,
        snap: &Snapshot,
        rng: &mut SimRng,
        mut explain: Option<&mut Explain>,
    ) -> Outcome {
        let total = snap.nodes.len();
        let mut state = CycleState {
            pod_requests: pod_requests(pod),
            pod_non_zero: pod_non_zero_requests(pod),
            ..Default::default()
        };
        let mut diagnosis = Diagnosis::default();
        if let Err(status) = pre_filter(profile, pod, snap, &mut state) {
            diagnosis.pre_filter_msg = status.message();
            for n in &snap.nodes {
                diagnosis.node_status.push((n.shared_name(), status.clone()));
            }
            return Outcome::Unschedulable { diagnosis, nominated: None, total_nodes: total };
        }
        let feasible = self.find_feasible(profile, pod, &state, snap, &mut diagnosis, explain.as_deref_mut());
        let evaluated = diagnosis.node_status.len() + feasible.len();
        if feasible.is_empty() {
            let mut nominated = None;
            if profile.post_filter.contains(&Plugin::DefaultPreemption) {
                let (candidate, msg, per_node) =
                    default_preemption::post_filter(profile, pod, &state, snap, &diagnosis, rng);
                if let Some(e) = explain.as_deref_mut() {
                    for (node, result) in per_node {
                        record(&mut e.post_filter, &node, Plugin::DefaultPreemption, result);
                    }
                }
                diagnosis.post_filter_msg = msg;
                nominated = candidate;
            }
            return Outcome::Unschedulable { diagnosis, nominated, total_nodes: total };
        }
        let node = if feasible.len() == 1 {
            feasible[0].name().to_string()
        } else {
            let totals = score(profile, pod, owner, &mut state, snap, &feasible, explain.as_deref_mut());
            feasible[select_host(&totals, rng).unwrap_or(0)].name().to_string()
        };
        if let Some(e) = explain {
            e.selected = Some(node.clone());
        }
        Outcome::Scheduled { node, evaluated, feasible: feasible.len(), failed: diagnosis.node_status }
    }

    /// Filter from the rotating start index until enough nodes fit; the nominated node first.
    fn find_feasible<'a>(
        &mut self,
        profile: &Profile,
        pod: &Pod,
        state: &CycleState,
        snap: &'a Snapshot,
        diagnosis: &mut Diagnosis,
        mut explain: Option<&mut Explain>,
    ) -> Vec<&'a NodeInfo> {
        // Pods nominated to a node by preemption hold their room there.
        let filter = |n: &NodeInfo, explain: Option<&mut Explain>| match snap.with_nominated(n, pod) {
            Some(with) => run_filters(profile, pod, state, &with, explain),
            None => run_filters(profile, pod, state, n, explain),
        };
        if !pod.status.nominated_node_name.is_empty() {
            if let Some(n) = snap.node(&pod.status.nominated_node_name) {
                if filter(n, explain.as_deref_mut()).is_success() {
                    return vec![n];
                }
            }
        }
        // Only a NodeAffinity PreFilter result narrows the list; otherwise index the snapshot
        // directly rather than collecting thousands of references per cycle.
        let pinned: Option<Vec<&NodeInfo>> =
            state.node_names.as_ref().map(|names| names.iter().filter_map(|n| snap.node(n)).collect());
        let count = pinned.as_ref().map_or(snap.nodes.len(), Vec::len);
        let at = |i: usize| match &pinned {
            Some(list) => list[i],
            None => &snap.nodes[i],
        };
        let want = num_feasible_nodes_to_find(profile.percentage_of_nodes_to_score, count);
        let mut feasible = Vec::with_capacity(want.min(count));
        let mut processed = 0;
        if count > 0 {
            let start = self.next_start_node_index % count;
            for i in 0..count {
                let n = at((start + i) % count);
                processed += 1;
                let status = filter(n, explain.as_deref_mut());
                if status.is_success() {
                    feasible.push(n);
                    if feasible.len() >= want {
                        break;
                    }
                } else {
                    diagnosis.node_status.push((n.shared_name(), status));
                }
            }
            self.next_start_node_index = (start + processed) % count;
        }
        feasible
    }
}

/// PreFilter: Skip marks the plugin's Filter as not run; any other failure ends the cycle.
fn pre_filter(profile: &Profile, pod: &Pod, snap: &Snapshot, state: &mut CycleState) -> Result<(), Status> {
    for &p in &profile.pre_filter {
        let status = match p {
            Plugin::NodeAffinity => {
                let (status, names) = node_affinity::pre_filter(pod, &profile.node_affinity);
                state.node_names = names;
                status
            }
            Plugin::NodePorts => {
                state.ports = host_ports(pod);
                if state.ports.is_empty() {
                    Status::new(Code::Skip, "")
                } else {
                    Status::success()
                }
            }
            Plugin::VolumeBinding => super::plugins::volume_binding::pre_filter(pod, snap),
            Plugin::PodTopologySpread => {
                let (status, s) = pts::pre_filter(pod, snap);
                state.spread_filter = s;
                status
            }
            Plugin::InterPodAffinity => {
                let (status, s) = ipa::pre_filter(pod, snap);
                state.affinity_filter = s;
                status
            }
            _ => Status::success(),
        };
        match status.code {
            Code::Success => {}
            Code::Skip => state.skip_filter |= p.bit(),
            _ => return Err(status),
        }
    }
    Ok(())
}

/// RunFilterPlugins: the profile's filters in order; the first failure decides.
pub fn run_filters(
    profile: &Profile,
    pod: &Pod,
    state: &CycleState,
    node: &NodeInfo,
    mut explain: Option<&mut Explain>,
) -> Status {
    // Past the rejections kept, a node's passes wait until it is known to fit.
    let full = explain.as_deref().is_some_and(|e| e.keep_rejected.is_some_and(|k| e.rejected_kept >= k));
    let mut passed = Vec::new();
    for &p in &profile.filter {
        if state.skip_filter & p.bit() != 0 {
            continue;
        }
        let status = filter_one(p, profile, pod, state, node);
        if let Some(e) = explain.as_deref_mut() {
            match (full, status.is_success()) {
                (true, true) => passed.push(p),
                (true, false) => e.rejected_omitted += 1,
                (false, true) => record(&mut e.filter, node.name(), p, PASSED.to_string()),
                (false, false) => {
                    record(&mut e.filter, node.name(), p, status.message());
                    e.rejected_kept += 1;
                }
            }
        }
        if !status.is_success() {
            return status;
        }
    }
    if let Some(e) = explain {
        for p in passed {
            record(&mut e.filter, node.name(), p, PASSED.to_string());
        }
    }
    Status::success()
}

fn filter_one(p: Plugin, profile: &Profile, pod: &Pod, state: &CycleState, node: &NodeInfo) -> Status {
    match p {
        Plugin::NodeUnschedulable => node_unschedulable::filter(pod, node),
        Plugin::NodeName => node_name::filter(pod, node),
        Plugin::TaintToleration => taint_toleration::filter(pod, node),
        Plugin::NodeAffinity => node_affinity::filter(pod, &profile.node_affinity, node),
        Plugin::NodePorts => node_ports::filter(&state.ports, node),
        Plugin::NodeResourcesFit => fit::filter(&state.pod_requests, &profile.fit, node),
        Plugin::PodTopologySpread => pts::filter(&state.spread_filter, node),
        Plugin::InterPodAffinity => ipa::filter(&state.affinity_filter, node),
        _ => Status::success(),
    }
}

/// PreScore, Score, NormalizeScore and weights: the total per feasible node.
fn score(
    profile: &Profile,
    pod: &Pod,
    owner: Option<&LabelSelector>,
    state: &mut CycleState,
    snap: &Snapshot,
    feasible: &[&NodeInfo],
    mut explain: Option<&mut Explain>,
) -> Vec<i64> {
    for &p in &profile.pre_score {
        let status = match p {
            Plugin::NodeAffinity => {
                state.preferred = node_affinity::preferred(pod, &profile.node_affinity).into_iter().cloned().collect();
                if state.preferred.is_empty() {
                    Status::new(Code::Skip, "")
                } else {
                    Status::success()
                }
            }
            Plugin::PodTopologySpread => {
                let (status, s) = pts::pre_score(pod, &profile.spread, owner, feasible, snap);
                state.spread_score = s;
                status
            }
            Plugin::InterPodAffinity => {
                let (status, s) = ipa::pre_score(pod, &profile.affinity, snap);
                state.affinity_score = s;
                status
            }
            Plugin::NodeResourcesBalancedAllocation
                if balanced::skip(&state.pod_requests, &profile.balanced_resources) =>
            {
                Status::new(Code::Skip, "")
            }
            _ => Status::success(),
        };
        if status.code == Code::Skip {
            state.skip_score |= p.bit();
        }
    }
    if profile.runs(Plugin::ImageLocality, super::plugins::Point::Score) {
        state.images = image_locality::pod_images(pod);
    }
    let names: Vec<&str> = feasible.iter().map(|n| n.name()).collect();
    let mut totals: Vec<i64> = vec![0; feasible.len()];
    let active: Vec<(Plugin, i64)> =
        profile.score.iter().copied().filter(|(p, _)| state.skip_score & p.bit() == 0).collect();
    // Node by node, every plugin: each node's data is read once while it is in cache.
    let preferred: Vec<&PreferredSchedulingTerm> = state.preferred.iter().collect();
    let mut raw: Vec<Vec<i64>> = vec![Vec::with_capacity(feasible.len()); active.len()];
    for n in feasible {
        for ((p, _), column) in active.iter().zip(raw.iter_mut()) {
            column.push(score_one(*p, profile, pod, state, &preferred, snap, n));
        }
    }
    for ((p, weight), mut scores) in active.into_iter().zip(raw) {
        if let Some(e) = explain.as_deref_mut() {
            for (name, s) in names.iter().zip(&scores) {
                record(&mut e.score, name, p, s.to_string());
            }
        }
        normalize(p, state, &names, &mut scores);
        for ((t, s), name) in totals.iter_mut().zip(&scores).zip(&names) {
            *t += s * weight;
            if let Some(e) = explain.as_deref_mut() {
                record(&mut e.final_score, name, p, (s * weight).to_string());
            }
        }
    }
    if profile.score.is_empty() {
        totals.fill(1);
    }
    totals
}

fn score_one(
    p: Plugin,
    profile: &Profile,
    pod: &Pod,
    state: &CycleState,
    preferred: &[&PreferredSchedulingTerm],
    snap: &Snapshot,
    node: &NodeInfo,
) -> i64 {
    match p {
        Plugin::TaintToleration => taint_toleration::score(pod, node),
        Plugin::NodeAffinity => node_affinity::score(preferred, node),
        Plugin::NodeResourcesFit => fit::score(&state.pod_non_zero, &profile.fit, node),
        Plugin::PodTopologySpread => pts::score(&state.spread_score, node),
        Plugin::InterPodAffinity => ipa::score(&state.affinity_score, node),
        Plugin::NodeResourcesBalancedAllocation => {
            balanced::score(&state.pod_requests, node, &profile.balanced_resources)
        }
        Plugin::ImageLocality => image_locality::score(&state.images, node, &snap.image_nodes, snap.nodes.len()),
        _ => 0,
    }
}

fn normalize(p: Plugin, state: &CycleState, names: &[&str], scores: &mut [i64]) {
    match p {
        Plugin::TaintToleration => default_normalize_score(scores, true),
        Plugin::NodeAffinity => default_normalize_score(scores, false),
        Plugin::PodTopologySpread => pts::normalize(&state.spread_score, names, scores),
        Plugin::InterPodAffinity => ipa::normalize(&state.affinity_score, scores),
        _ => {}
    }
}

/// helper.DefaultNormalizeScore with MaxNodeScore: scale so the highest is 100 (reversed:
/// the lowest); all zero → 0, or 100 when reversed.
pub fn default_normalize_score(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    for s in scores.iter_mut() {
        let v = if max == 0 { 0 } else { super::framework::MAX_NODE_SCORE * *s / max };
        *s = if reverse { super::framework::MAX_NODE_SCORE - v } else { v };
    }
}

/// selectHost: the index of the highest total; ties broken uniformly by reservoir sampling.
pub fn select_host(scores: &[i64], rng: &mut SimRng) -> Option<usize> {
    let mut best: Option<(usize, i64)> = None;
    let mut ties = 0u64;
    for (i, &score) in scores.iter().enumerate() {
        match best {
            Some((_, b)) if score < b => {}
            Some((_, b)) if score == b => {
                ties += 1;
                if rng.below(ties + 1) == 0 {
                    best = Some((i, score));
                }
            }
            _ => {
                best = Some((i, score));
                ties = 0;
            }
        }
    }
    best.map(|(i, _)| i)
}

/// FitError.Error(): `0/N nodes are available: <count> <reason>, …` with the reasons sorted,
/// then the PostFilter (preemption) message.
pub fn fit_error(total: usize, d: &Diagnosis) -> String {
    let mut out = format!("0/{total} nodes are available:");
    if !d.pre_filter_msg.is_empty() {
        out += &format!(" {}.", d.pre_filter_msg);
    } else {
        let mut histogram: VecMap<&str, usize> = VecMap::new();
        for (_, s) in &d.node_status {
            for r in &s.reasons {
                *histogram.entry(r.as_ref()).or_insert(0) += 1;
            }
        }
        let mut parts: Vec<String> = histogram.into_iter().map(|(r, n)| format!("{n} {r}")).collect();
        crate::sim::sort::sort(&mut parts);
        out += &format!(" {}.", parts.join(", "));
    }
    if !d.post_filter_msg.is_empty() {
        out += &format!(" {}.", d.post_filter_msg);
    }
    out
}
