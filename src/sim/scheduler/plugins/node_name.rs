//! NodeName (pkg/scheduler/framework/plugins/nodename): a pod that names a node fits only there.

use crate::sim::api::Pod;
use crate::sim::scheduler::framework::{Code, NodeInfo, Status};

pub const NAME: &str = "NodeName";
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

pub fn filter(pod: &Pod, node: &NodeInfo) -> Status {
    if pod.spec.node_name.is_empty() || pod.spec.node_name == node.node.metadata.name {
        Status::success()
    } else {
        Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON)
    }
}
