//! Coscheduling (kubernetes-sigs/scheduler-plugins, the label-based "lightweight" version):
//! gang scheduling through the Permit extension point. Pods labelled with the same
//! `pod-group.scheduling.sigs.k8s.io/name` wait at Permit, holding their reserved node,
//! until `pod-group.scheduling.sigs.k8s.io/min-available` of the group are placed; then all
//! are allowed to bind together. A pod still waiting after `permitWaitingTimeSeconds`
//! (default 10) is rejected, and with it the rest of its group that is waiting.
//! Not an in-tree plugin: enable it in a KubeSchedulerConfiguration profile.

use crate::sim::api::Pod;

pub const POD_GROUP_NAME: &str = "pod-group.scheduling.sigs.k8s.io/name";
pub const POD_GROUP_MIN_AVAILABLE: &str = "pod-group.scheduling.sigs.k8s.io/min-available";

/// CoschedulingArgs.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    pub permit_waiting_time_seconds: i64,
}

impl Default for Args {
    fn default() -> Self {
        Args { permit_waiting_time_seconds: 10 }
    }
}

/// The pod's group (`namespace/name`) and its minimum size; None for pods outside a gang.
pub fn group(pod: &Pod) -> Option<(String, usize)> {
    let labels = &pod.metadata.labels;
    let name = labels.get(POD_GROUP_NAME).filter(|n| !n.is_empty())?;
    let min = labels.get(POD_GROUP_MIN_AVAILABLE).and_then(|m| m.parse().ok()).unwrap_or(1);
    Some((format!("{}/{name}", pod.metadata.namespace), min))
}

/// Permit's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permit {
    /// The pod may bind, and so may the waiting members of its group.
    Allow,
    /// Wait up to `timeout_s` for `missing` more members.
    Wait { timeout_s: i64, missing: usize },
}

/// Permit for a pod whose group has `placed` members (this pod included) assumed or bound.
pub fn permit(args: &Args, min_available: usize, placed: usize) -> Permit {
    if placed >= min_available {
        Permit::Allow
    } else {
        Permit::Wait { timeout_s: args.permit_waiting_time_seconds, missing: min_available - placed }
    }
}

/// The status message of a pod rejected when its wait ran out (framework WaitOnPermit).
pub fn timeout_message(args: &Args) -> String {
    format!("rejected due to timeout after waiting {}s at plugin Coscheduling", args.permit_waiting_time_seconds)
}
