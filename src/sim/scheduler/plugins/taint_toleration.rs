//! TaintToleration (pkg/scheduler/framework/plugins/tainttoleration): Filter rejects nodes with
//! a NoSchedule/NoExecute taint the pod does not tolerate; Score counts intolerable
//! PreferNoSchedule taints, normalized in reverse (fewer is better), weight 3.

use crate::sim::api::Pod;
use crate::sim::scheduler::framework::{Code, NodeInfo, Status};

pub const NAME: &str = "TaintToleration";
pub const WEIGHT: i64 = 3;
pub const ERR_REASON: &str = "node(s) had untolerated taint(s)";

pub fn filter(pod: &Pod, node: &NodeInfo) -> Status {
    let untolerated = node
        .node
        .spec
        .taints
        .iter()
        .filter(|x| x.effect == "NoSchedule" || x.effect == "NoExecute")
        .find(|x| !pod.spec.tolerations.iter().any(|t| t.tolerates(x)));
    match untolerated {
        Some(_) => Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON),
        None => Status::success(),
    }
}

/// Raw score: the number of PreferNoSchedule taints not tolerated by the pod's tolerations
/// with an empty or PreferNoSchedule effect.
pub fn score(pod: &Pod, node: &NodeInfo) -> i64 {
    let prefer = || pod.spec.tolerations.iter().filter(|t| t.effect.is_empty() || t.effect == "PreferNoSchedule");
    node.node.spec.taints.iter().filter(|x| x.effect == "PreferNoSchedule" && !prefer().any(|t| t.tolerates(x))).count()
        as i64
}
