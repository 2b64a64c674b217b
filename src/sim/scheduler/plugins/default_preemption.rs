//! DefaultPreemption (pkg/scheduler/framework/plugins/defaultpreemption): when no node fits, find
//! nodes where evicting lower-priority pods would make room (selectVictimsOnNode: remove them
//! all, check the pod fits, then reprieve the most important ones that can stay), pick one
//! (pickOneNodeForPreemption) and report it with its victims. The scheduler then sets
//! status.nominatedNodeName and deletes the victims. PodDisruptionBudgets weigh in as upstream:
//! victims whose eviction a budget forbids are reprieved first, and the node with the fewest
//! such violations wins. Not modelled: PreFilter state is not updated for removed pods.

use crate::sim::api::Pod;
use crate::sim::rng::{Draw, SimRng};
use crate::sim::scheduler::cycle::{run_filters, CycleState, Diagnosis};
use crate::sim::scheduler::framework::{priority, Code, NodeInfo, PodInfo, SharedPod, Snapshot, Status};
use crate::sim::scheduler::profile::Profile;
use std::sync::Arc;

pub const NAME: &str = "DefaultPreemption";
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// kube-scheduler-simulator's postfilter-result text for the nominated node.
pub const NOMINATED_MESSAGE: &str = "preemption victim";

/// DefaultPreemptionArgs.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    pub min_candidate_nodes_percentage: i64,
    pub min_candidate_nodes_absolute: i64,
}

impl Default for Args {
    fn default() -> Self {
        Args { min_candidate_nodes_percentage: 10, min_candidate_nodes_absolute: 100 }
    }
}

/// A node where preemption makes room, with the pods to evict.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub node: String,
    pub victims: Vec<SharedPod>,
    /// Victims whose eviction a PodDisruptionBudget does not allow now.
    pub violations: usize,
}

/// filterPodsWithPDBViolation: which of `pods` (most important first) some budget would not
/// let go, spending each budget's allowed disruptions in that order.
fn violating(pods: &[&Pod], pdbs: &[crate::sim::api::PodDisruptionBudget]) -> Vec<bool> {
    let mut allowed: Vec<i32> = pdbs.iter().map(|b| b.status.disruptions_allowed).collect();
    pods.iter()
        .map(|p| {
            let mut violates = false;
            for (b, left) in pdbs.iter().zip(allowed.iter_mut()) {
                let selects = b.metadata.namespace == p.metadata.namespace
                    && b.spec.selector.as_ref().is_some_and(|s| s.matches(&p.metadata.labels))
                    && !b.status.disrupted_pods.contains_key(&p.metadata.name);
                if selects {
                    *left -= 1;
                    violates |= *left < 0;
                }
            }
            violates
        })
        .collect()
}

fn start_time(p: &Pod) -> i64 {
    p.status.start_time.map_or(i64::MAX, |t| t.0 .0 as i64)
}

/// MoreImportantPod: higher priority, then the one that started earlier.
fn more_important(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    priority(b).cmp(&priority(a)).then(start_time(a).cmp(&start_time(b)))
}

/// selectVictimsOnNode.
fn select_victims(
    profile: &Profile,
    pod: &Pod,
    state: &CycleState,
    node: &NodeInfo,
    pdbs: &[crate::sim::api::PodDisruptionBudget],
) -> Result<(Vec<SharedPod>, usize), Status> {
    let mine = priority(pod);
    let mut trial = node.clone();
    let names: Vec<(String, String)> = node
        .pods
        .iter()
        .filter(|p| priority(p) < mine)
        .map(|p| (p.metadata.namespace.clone(), p.metadata.name.clone()))
        .collect();
    if names.is_empty() {
        return Err(Status::new(Code::UnschedulableAndUnresolvable, NO_VICTIMS));
    }
    let mut potential: Vec<PodInfo> = names.iter().filter_map(|(ns, n)| trial.remove_pod(ns, n)).collect();
    let status = run_filters(profile, pod, state, &trial, None);
    if !status.is_success() {
        return Err(status);
    }
    crate::sim::sort::sort_by(&mut potential, |a, b| more_important(a, b));
    // Reprieve the pods a budget protects first, then the others, most important first.
    let flags = violating(&potential.iter().map(|p| &*p.pod).collect::<Vec<_>>(), pdbs);
    let mut order: Vec<(PodInfo, bool)> = potential.into_iter().zip(flags).collect();
    // A stable sort: protected ones first, each group in importance order.
    crate::sim::sort::sort_by_key(&mut order, |(_, violates)| !*violates);
    let mut victims = Vec::new();
    let mut violations = 0;
    for (p, violates) in order {
        let (ns, name) = (p.metadata.namespace.clone(), p.metadata.name.clone());
        trial.add_pod_info(p);
        if !run_filters(profile, pod, state, &trial, None).is_success() {
            if let Some(p) = trial.remove_pod(&ns, &name) {
                victims.push(p.pod);
                violations += violates as usize;
            }
        }
    }
    Ok((victims, violations))
}

/// pickOneNodeForPreemption: fewest budget violations, then lowest highest-victim priority, then
/// smallest priority sum, then fewest victims, then the latest start among the most important
/// victims, then the first.
fn pick(candidates: &[Candidate]) -> Option<&Candidate> {
    let key = |c: &Candidate| {
        let highest = c.victims.iter().map(|p| priority(p)).max().unwrap_or(i32::MIN) as i64;
        let sum: i64 = c.victims.iter().map(|p| priority(p) as i64 + i32::MAX as i64 + 1).sum();
        let earliest_top = c.victims.iter().filter(|p| priority(p) as i64 == highest).map(|p| start_time(p)).min();
        (c.violations, highest, sum, c.victims.len(), std::cmp::Reverse(earliest_top.unwrap_or(i64::MAX)))
    };
    let mut best: Option<&Candidate> = None;
    for c in candidates {
        if best.is_none_or(|b| key(c) < key(b)) {
            best = Some(c);
        }
    }
    best
}

/// PostFilter: the chosen candidate, the `preemption: …` message when there is none, and the
/// per-node results for the explain view.
pub fn post_filter(
    profile: &Profile,
    pod: &Pod,
    state: &CycleState,
    snap: &Snapshot,
    diagnosis: &Diagnosis,
    rng: &mut SimRng,
) -> (Option<Candidate>, String, Vec<(String, String)>) {
    if pod.spec.preemption_policy.as_deref() == Some("Never") {
        return (None, "preemption: not eligible due to preemptionPolicy=Never.".into(), vec![]);
    }
    // PodEligibleToPreemptOthers: a victim of an earlier preemption is still terminating on
    // the nominated node — wait for it rather than evict more.
    let mine = priority(pod);
    let terminating = snap
        .node(&pod.status.nominated_node_name)
        .is_some_and(|n| n.pods.iter().any(|p| p.metadata.deletion_timestamp.is_some() && priority(p) < mine));
    if terminating {
        return (None, "preemption: not eligible due to a terminating pod on the nominated node.".into(), vec![]);
    }
    let mut statuses: Vec<(Arc<str>, Status)> = Vec::new();
    let mut potential = Vec::new();
    for (name, status) in &diagnosis.node_status {
        if status.code == Code::Unschedulable {
            potential.push(name);
        } else {
            statuses.push((name.clone(), Status::new(Code::UnschedulableAndUnresolvable, NOT_HELPFUL)));
        }
    }
    let mut candidates = Vec::new();
    if !potential.is_empty() {
        let n = potential.len() as i64;
        let want = (n * profile.preemption.min_candidate_nodes_percentage / 100)
            .max(profile.preemption.min_candidate_nodes_absolute)
            .min(n) as usize;
        let offset = rng.below(n as u64) as usize;
        for i in 0..potential.len() {
            let name = potential[(offset + i) % potential.len()];
            let Some(node) = snap.node(name) else { continue };
            match select_victims(profile, pod, state, node, &snap.pdbs) {
                Ok((victims, violations)) if !victims.is_empty() => {
                    candidates.push(Candidate { node: name.to_string(), victims, violations })
                }
                Ok(_) => statuses.push((name.clone(), Status::new(Code::Error, "expected at least one victim pod"))),
                Err(status) => statuses.push((name.clone(), status)),
            }
            if candidates.len() >= want {
                break;
            }
        }
    }
    match pick(&candidates) {
        Some(c) => {
            let results = vec![(c.node.clone(), NOMINATED_MESSAGE.to_string())];
            (Some(c.clone()), String::new(), results)
        }
        None => {
            let d = Diagnosis { node_status: statuses, ..Default::default() };
            let msg = format!("preemption: {}", super::super::cycle::fit_error(snap.nodes.len(), &d));
            (None, msg.trim_end_matches('.').to_string() + ".", vec![])
        }
    }
}
