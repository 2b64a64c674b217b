//! Moments worth a marker on the page's timeline: a new etcd leader or a leader-elected
//! component taking its lease, an operator's fault, a pod failing, a node going NotReady.
//! They are read off the trace's phase records as they are recorded, so a snapshot carries
//! its marks and a replay produces the same ones.

use super::event::ComponentId;
use super::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// An etcd member won an election, or a kube-scheduler / controller-manager acquired its lease.
    Leader,
    /// Something the operator did to the cluster: crash, partition, heal, slow disk, a link fault.
    Fault,
    /// A container exited with an error, was OOM-killed or evicted, or an init container failed.
    PodFailure,
    /// The node lifecycle controller marked a node's Ready condition Unknown.
    NodeNotReady,
}

impl MarkKind {
    /// The word the timeline's legend and tooltips use.
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Leader => "leader",
            MarkKind::Fault => "fault",
            MarkKind::PodFailure => "pod failure",
            MarkKind::NodeNotReady => "node NotReady",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub at: SimTime,
    pub kind: MarkKind,
    pub component: ComponentId,
    pub detail: String,
}

/// The operator's notes (`Simulation::note`) that are faults.
const FAULTS: [&str; 6] = ["crash", "partition", "heal", "disk", "fault", "restart"];

/// Which mark, if any, a phase record is.
pub fn classify(phase: &str, detail: &str) -> Option<MarkKind> {
    match phase {
        "leader" => Some(MarkKind::Leader),
        "leader election" if detail.starts_with("successfully acquired") => Some(MarkKind::Leader),
        "nodelifecycle" if detail.ends_with("Ready → Unknown") => Some(MarkKind::NodeNotReady),
        "eviction" => Some(MarkKind::PodFailure),
        "SyncPod" if failed_exit(detail) => Some(MarkKind::PodFailure),
        "StopContainer" if detail.contains("(failed ") => Some(MarkKind::PodFailure),
        p if FAULTS.contains(&p) && !detail.starts_with("replayed WAL") => Some(MarkKind::Fault),
        _ => None,
    }
}

/// `…exited with code N…` with N other than 0, or an init container's failure.
fn failed_exit(detail: &str) -> bool {
    let Some((_, rest)) = detail.split_once("with code ") else { return false };
    let code: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    code.parse::<i32>().is_ok_and(|c| c != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_records_that_matter() {
        assert_eq!(classify("leader", "elected leader for term 2"), Some(MarkKind::Leader));
        assert_eq!(
            classify("leader election", "successfully acquired lease kube-system/kube-scheduler"),
            Some(MarkKind::Leader)
        );
        assert_eq!(classify("leader election", "attempting to acquire leader lease x..."), None);
        assert_eq!(
            classify("SyncPod", "default/a: container c exited with code 137, back-off 10s"),
            Some(MarkKind::PodFailure)
        );
        assert_eq!(classify("SyncPod", "default/a: containers exited with code 0, pod done"), None);
        assert_eq!(classify("crash", "process killed"), Some(MarkKind::Fault));
        assert_eq!(classify("restart", "replayed WAL to index 4 (term 2)"), None);
        assert_eq!(
            classify("nodelifecycle", "worker-1: no heartbeat for 50s, Ready → Unknown"),
            Some(MarkKind::NodeNotReady)
        );
        assert_eq!(classify("apply", "applied through index 9"), None);
    }
}
