//! The service controller (k8s.io/cloud-provider/controllers/service): a Service of type
//! LoadBalancer first gets the `service.kubernetes.io/load-balancer-cleanup` finalizer, then a
//! load balancer in the cloud forwarding to its NodePorts on every node, and its address in
//! status.loadBalancer.ingress. When the node set changes the load balancer is updated; when
//! the Service is deleted (or stops being a LoadBalancer) the load balancer is deleted first,
//! and only then the finalizer is lifted.

use super::Step;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::Service;
use crate::sim::client::Informer;
use crate::sim::cloud::{load_balancer_name, CloudOp, CloudResult};
use crate::sim::vecmap::VecMap;

pub const LB_FINALIZER: &str = "service.kubernetes.io/load-balancer-cleanup";
/// kubeadm labels control-plane nodes with it: they receive no load-balancer traffic.
pub const EXCLUDE_LABEL: &str = "node.kubernetes.io/exclude-from-external-load-balancers";

/// What a load balancer forwards: the Service's NodePorts, on these nodes.
pub type Target = (Vec<i32>, Vec<String>);

fn service<'a>(services: &'a Informer, key: &str) -> Option<&'a Service> {
    match services.get(key)? {
        crate::sim::api::Object::Service(s) => Some(s),
        _ => None,
    }
}

/// The nodes a load balancer sends traffic to: all but the excluded and those going away.
fn targets(svc: &Service, nodes: &Informer) -> Target {
    let ports = svc.spec.ports.iter().map(|p| p.node_port).collect();
    let hosts = nodes
        .store
        .values()
        .filter_map(|o| o.as_node())
        .filter(|n| !n.metadata.labels.contains_key(EXCLUDE_LABEL) && n.metadata.deletion_timestamp.is_none())
        .map(|n| n.metadata.name.clone())
        .collect();
    (ports, hosts)
}

fn patch(svc: &Service, status: bool, body: serde_json::Value) -> ApiRequest {
    let mut req =
        ApiRequest::new(Verb::Patch, ResourceInfo::of("services"), &svc.metadata.namespace, &svc.metadata.name);
    if status {
        req = req.with_subresource("status");
    }
    req.patch = Some(body);
    req
}

fn finalizers(svc: &Service, keep: bool) -> ApiRequest {
    let mut list: Vec<&str> =
        svc.metadata.finalizers.iter().map(String::as_str).filter(|f| *f != LB_FINALIZER).collect();
    if keep {
        list.push(LB_FINALIZER);
    }
    patch(svc, false, serde_json::json!({ "metadata": { "finalizers": list } }))
}

pub fn sync(key: &str, services: &Informer, nodes: &Informer, ensured: &VecMap<String, Target>) -> Step {
    let Some(svc) = service(services, key) else { return Step::default() };
    let wants = svc.spec.type_ == "LoadBalancer" && svc.metadata.deletion_timestamp.is_none();
    let has = svc.metadata.finalizers.iter().any(|f| f == LB_FINALIZER);
    let name = load_balancer_name(&svc.metadata.uid);
    match (wants, has) {
        (true, false) => Step { writes: vec![finalizers(svc, true)], ..Default::default() },
        (true, true) => {
            let target = targets(svc, nodes);
            let before = ensured.get(key);
            // Ensured with this target already (its address may still be on its way).
            if before == Some(&target) {
                return Step::default();
            }
            let provisioned = !svc.status.load_balancer.ingress.is_empty();
            // A node change alone is an update (nodeSyncLoop), without the Ensuring event.
            let hosts_only = provisioned && before.is_some_and(|b| b.0 == target.0);
            let events =
                if hosts_only { vec![] } else { vec![("EnsuringLoadBalancer", "Ensuring load balancer".into())] };
            let call = CloudOp::EnsureLoadBalancer { name, node_ports: target.0, nodes: target.1 };
            Step { events, call: Some(call), ..Default::default() }
        }
        (false, true) => Step {
            events: vec![("DeletingLoadBalancer", "Deleting load balancer".into())],
            call: Some(CloudOp::DeleteLoadBalancer { name }),
            ..Default::default()
        },
        (false, false) => Step::default(),
    }
}

/// The cloud finished `op`: record the address, or lift the finalizer.
pub fn done(
    key: &str,
    services: &Informer,
    op: &CloudOp,
    result: &CloudResult,
    ensured: &mut VecMap<String, Target>,
) -> Step {
    let Some(svc) = service(services, key) else {
        ensured.remove(key);
        return Step::default();
    };
    match (op, result) {
        (CloudOp::EnsureLoadBalancer { node_ports, nodes, .. }, CloudResult::LoadBalancer { ip }) => {
            let before = ensured.insert(key.to_string(), (node_ports.clone(), nodes.clone()));
            let provisioned = svc.status.load_balancer.ingress.iter().any(|i| i.ip == *ip);
            let event = match before {
                Some((ports, _)) if provisioned && ports == *node_ports => {
                    ("UpdatedLoadBalancer", "Updated load balancer with new hosts".into())
                }
                _ => ("EnsuredLoadBalancer", "Ensured load balancer".into()),
            };
            let mut writes = vec![];
            if !provisioned {
                let ingress = serde_json::json!([{ "ip": ip, "ipMode": "VIP" }]);
                writes.push(patch(
                    svc,
                    true,
                    serde_json::json!({ "status": { "loadBalancer": { "ingress": ingress } } }),
                ));
            }
            Step { writes, events: vec![event], call: None }
        }
        (CloudOp::DeleteLoadBalancer { .. }, CloudResult::Done) => {
            ensured.remove(key);
            let mut writes = vec![finalizers(svc, false)];
            if !svc.status.load_balancer.ingress.is_empty() && svc.metadata.deletion_timestamp.is_none() {
                writes.push(patch(svc, true, serde_json::json!({ "status": { "loadBalancer": { "ingress": null } } })));
            }
            Step { writes, events: vec![("DeletedLoadBalancer", "Deleted load balancer".into())], call: None }
        }
        _ => Step::default(),
    }
}
