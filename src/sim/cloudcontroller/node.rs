//! The cloud node controller (k8s.io/cloud-provider/controllers/node): a kubelet started with
//! `--cloud-provider=external` registers its Node tainted
//! `node.cloudprovider.kubernetes.io/uninitialized`, so nothing is scheduled there yet. This
//! loop asks the cloud about the machine, then sets spec.providerID and the topology and
//! instance-type labels and removes the taint.

use super::Step;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::client::Informer;
use crate::sim::cloud::{CloudOp, CloudResult};

pub const UNINITIALIZED_TAINT: &str = "node.cloudprovider.kubernetes.io/uninitialized";

fn uninitialised(informer: &Informer, key: &str) -> Option<crate::sim::api::Node> {
    let node = informer.get(key)?.as_node()?;
    node.spec.taints.iter().any(|t| t.key == UNINITIALIZED_TAINT).then(|| node.clone())
}

/// A node still tainted: ask the cloud for its instance.
pub fn sync(key: &str, nodes: &Informer) -> Step {
    match uninitialised(nodes, key) {
        Some(_) => Step { call: Some(CloudOp::InstanceMetadata { node: key.to_string() }), ..Default::default() },
        None => Step::default(),
    }
}

/// The cloud answered: label the node, set its providerID and lift the taint in one patch.
pub fn initialised(key: &str, nodes: &Informer, result: &CloudResult) -> Step {
    let (Some(node), CloudResult::Instance { provider_id, region, zone, instance_type }) =
        (uninitialised(nodes, key), result)
    else {
        return Step::default();
    };
    let taints: Vec<_> = node.spec.taints.iter().filter(|t| t.key != UNINITIALIZED_TAINT).cloned().collect();
    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", key);
    req.patch = Some(serde_json::json!({
        "metadata": { "labels": {
            "topology.kubernetes.io/region": region,
            "topology.kubernetes.io/zone": zone,
            "node.kubernetes.io/instance-type": instance_type,
        } },
        "spec": { "providerID": provider_id, "taints": taints },
    }));
    Step { writes: vec![req], ..Default::default() }
}
