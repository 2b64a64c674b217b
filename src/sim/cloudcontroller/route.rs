//! The route controller (k8s.io/cloud-provider/controllers/route): every node's pod CIDR gets
//! a route in the cloud's network to that node's machine, so pod traffic between nodes needs
//! no overlay. (Upstream also sets the node's NetworkUnavailable condition; not modelled.)

use super::Step;
use crate::sim::client::Informer;
use crate::sim::cloud::CloudOp;
use crate::sim::vecmap::VecSet;

/// A node with a pod CIDR and no route yet: create it.
pub fn sync(key: &str, nodes: &Informer, routed: &VecSet<String>) -> Step {
    let Some(node) = nodes.get(key).and_then(|o| o.as_node()) else { return Step::default() };
    if node.spec.pod_cidr.is_empty() || routed.contains(key) {
        return Step::default();
    }
    let op = CloudOp::CreateRoute { node: key.to_string(), cidr: node.spec.pod_cidr.clone() };
    Step { call: Some(op), ..Default::default() }
}
