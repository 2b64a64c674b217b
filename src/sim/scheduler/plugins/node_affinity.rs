//! NodeAffinity (pkg/scheduler/framework/plugins/nodeaffinity): Filter requires the pod's
//! nodeSelector and requiredDuringScheduling terms (and the scheduler-enforced addedAffinity);
//! Score sums the weights of matching preferred terms, normalized (weight 2). PreFilter pins
//! the pod to the node names its matchFields list, when every term lists some.

use crate::sim::api::{NodeAffinity, NodeSelector, Pod, PreferredSchedulingTerm};
use crate::sim::scheduler::framework::{Code, NodeInfo, Status};
use std::collections::BTreeSet;

pub const NAME: &str = "NodeAffinity";
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// NodeAffinityArgs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Args {
    pub added_affinity: Option<NodeAffinity>,
}

fn required(pod: &Pod) -> Option<&NodeSelector> {
    let na = pod.spec.affinity.as_ref()?.node_affinity.as_ref()?;
    na.required_during_scheduling_ignored_during_execution.as_ref()
}

/// GetRequiredNodeAffinity(pod).Match(node): nodeSelector AND required terms. PodTopologySpread
/// uses it for nodeAffinityPolicy Honor.
pub fn required_matches(pod: &Pod, node: &NodeInfo) -> bool {
    let labels = node.labels();
    pod.spec.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        && required(pod).is_none_or(|sel| sel.matches(node.name(), labels))
}

fn added_required(args: &Args) -> Option<&NodeSelector> {
    args.added_affinity.as_ref()?.required_during_scheduling_ignored_during_execution.as_ref()
}

/// Skip when nothing constrains the pod; otherwise the node names the terms pin it to, if any.
pub fn pre_filter(pod: &Pod, args: &Args) -> (Status, Option<BTreeSet<String>>) {
    if pod.spec.node_selector.is_empty() && required(pod).is_none() && added_required(args).is_none() {
        return (Status::new(Code::Skip, ""), None);
    }
    let Some(sel) = required(pod) else { return (Status::success(), None) };
    let mut union = BTreeSet::new();
    for term in &sel.node_selector_terms {
        let mut names: Option<BTreeSet<String>> = None;
        for f in term.match_fields.iter().filter(|f| f.key == "metadata.name" && f.operator == "In") {
            let these: BTreeSet<String> = f.values.iter().cloned().collect();
            names = Some(match names {
                None => these,
                Some(n) => n.intersection(&these).cloned().collect(),
            });
        }
        match names {
            None => return (Status::success(), None),
            Some(n) => union.extend(n),
        }
    }
    if union.is_empty() {
        return (Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_CONFLICT), None);
    }
    (Status::success(), Some(union))
}

pub fn filter(pod: &Pod, args: &Args, node: &NodeInfo) -> Status {
    if added_required(args).is_some_and(|sel| !sel.matches(node.name(), node.labels())) {
        return Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_ENFORCED);
    }
    if !required_matches(pod, node) {
        return Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_POD);
    }
    Status::success()
}

/// The preferred terms: the pod's and addedAffinity's. Empty means PreScore returns Skip.
pub fn preferred<'a>(pod: &'a Pod, args: &'a Args) -> Vec<&'a PreferredSchedulingTerm> {
    let own = pod.spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref());
    let added = args.added_affinity.as_ref();
    own.into_iter().chain(added).flat_map(|na| &na.preferred_during_scheduling_ignored_during_execution).collect()
}

pub fn score(terms: &[&PreferredSchedulingTerm], node: &NodeInfo) -> i64 {
    terms.iter().filter(|t| t.preference.matches(node.name(), node.labels())).map(|t| t.weight as i64).sum()
}
