//! SchedulingGates (pkg/scheduler/framework/plugins/schedulinggates): PreEnqueue keeps a pod
//! with spec.schedulingGates out of activeQ until every gate is removed.

use crate::sim::api::Pod;
use crate::sim::scheduler::framework::{Code, Status};

pub const NAME: &str = "SchedulingGates";

pub fn pre_enqueue(pod: &Pod) -> Status {
    if pod.spec.scheduling_gates.is_empty() {
        return Status::success();
    }
    let names: Vec<&str> = pod.spec.scheduling_gates.iter().map(|g| g.name.as_str()).collect();
    Status::new(Code::UnschedulableAndUnresolvable, format!("waiting for scheduling gates: [{}]", names.join(" ")))
}
