//! NodeUnschedulable (pkg/scheduler/framework/plugins/nodeunschedulable): cordoned nodes
//! (spec.unschedulable) take only pods tolerating node.kubernetes.io/unschedulable:NoSchedule.

use crate::sim::api::{Pod, Taint};
use crate::sim::scheduler::framework::{Code, NodeInfo, Status};

pub const NAME: &str = "NodeUnschedulable";
pub const ERR_REASON: &str = "node(s) were unschedulable";

pub fn filter(pod: &Pod, node: &NodeInfo) -> Status {
    if !node.node.spec.unschedulable {
        return Status::success();
    }
    let taint = Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        value: String::new(),
        effect: "NoSchedule".into(),
        time_added: None,
    };
    if pod.spec.tolerations.iter().any(|t| t.tolerates(&taint)) {
        Status::success()
    } else {
        Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON)
    }
}
