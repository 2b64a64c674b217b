//! NodePorts (pkg/scheduler/framework/plugins/nodeports): a pod's hostPorts must be free on the
//! node. 0.0.0.0 conflicts with the same protocol/port on any address, and any address with
//! 0.0.0.0. Filter only; PreFilter skips pods without host ports.

use crate::sim::scheduler::framework::{Code, HostPort, NodeInfo, Status};

pub const NAME: &str = "NodePorts";
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";
const ANY: &str = "0.0.0.0";

/// HostPortInfo.CheckConflict.
pub fn conflicts(want: &HostPort, used: &[HostPort]) -> bool {
    used.iter().any(|u| {
        u.protocol == want.protocol && u.port == want.port && (want.ip == ANY || u.ip == ANY || u.ip == want.ip)
    })
}

pub fn filter(wanted: &[HostPort], node: &NodeInfo) -> Status {
    if wanted.iter().any(|w| conflicts(w, &node.used_ports)) {
        Status::new(Code::Unschedulable, ERR_REASON)
    } else {
        Status::success()
    }
}
