//! A simulated cloud provider's API — what the cloud-controller-manager talks to through its
//! cloud-provider plugin (k8s.io/cloud-provider's Instances, Routes and LoadBalancer
//! interfaces). It knows the cluster's machines, programs routes to the nodes' pod CIDRs and
//! provisions load balancers, each after a delay a real cloud would take. It is a made-up
//! provider ("kube-playground"), not any real cloud's API.

use super::event::{Message, MsgKind, Payload};
use super::rng::{Draw, SimRng};
use super::time::{MILLIS, SECONDS};
use super::vecmap::VecMap;
use super::Ctx;

/// The provider's name: the scheme of every node's spec.providerID.
pub const PROVIDER: &str = "kube-playground";
/// The region every machine is in; zones are REGION + a, b, c.
pub const REGION: &str = "playground-1";
const ZONES: [&str; 3] = ["a", "b", "c"];

/// A call through the cloud-provider interface.
#[derive(Clone, Debug, PartialEq)]
pub enum CloudOp {
    /// InstancesV2.InstanceMetadata for a node.
    InstanceMetadata { node: String },
    /// Routes.CreateRoute: the node's pod CIDR routed to its machine.
    CreateRoute { node: String, cidr: String },
    /// LoadBalancer.EnsureLoadBalancer (also the update when the nodes change): forward the
    /// Service's ports to its NodePorts on these nodes.
    EnsureLoadBalancer { name: String, node_ports: Vec<i32>, nodes: Vec<String> },
    /// LoadBalancer.EnsureLoadBalancerDeleted.
    DeleteLoadBalancer { name: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum CloudResult {
    Instance { provider_id: String, region: String, zone: String, instance_type: String },
    LoadBalancer { ip: String },
    Done,
    Error(String),
}

/// A load balancer as the cloud holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancer {
    pub ip: String,
    pub node_ports: Vec<i32>,
    pub nodes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct CloudProvider {
    /// The machines the cluster was built on: name → (index, CPUs, memory).
    machines: VecMap<String, (usize, String, String)>,
    pub routes: VecMap<String, String>,
    pub load_balancers: VecMap<String, LoadBalancer>,
    /// The last octet of the next load balancer address (203.0.113.0/24, TEST-NET-3).
    next_ip: u8,
    rng: SimRng,
}

impl CloudProvider {
    /// `machines`: each node's name, CPUs and memory, in node order.
    pub fn new(machines: Vec<(String, String, String)>, rng: SimRng) -> Self {
        let machines = machines.into_iter().enumerate().map(|(i, (n, cpu, mem))| (n, (i, cpu, mem))).collect();
        CloudProvider { machines, routes: VecMap::new(), load_balancers: VecMap::new(), next_ip: 10, rng }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        let Payload::Cloud { call_id, op } = msg.payload else { return };
        let (after_us, result) = self.call(&op);
        let label = match &result {
            CloudResult::Instance { provider_id, .. } => provider_id.clone(),
            CloudResult::LoadBalancer { ip } => format!("load balancer {ip}"),
            CloudResult::Done => "done".into(),
            CloudResult::Error(e) => e.clone(),
        };
        let payload = Payload::CloudResp { call_id, result: Box::new(result) };
        ctx.send_after(after_us, msg.from, MsgKind::Cloud, label, payload);
    }

    /// What the call does, and how long the cloud takes to answer.
    fn call(&mut self, op: &CloudOp) -> (u64, CloudResult) {
        match op {
            CloudOp::InstanceMetadata { node } => {
                let Some((i, cpu, memory)) = self.machines.get(node).cloned() else {
                    return (50 * MILLIS, CloudResult::Error(format!("instance not found: {node}")));
                };
                let zone = format!("{REGION}{}", ZONES[i % ZONES.len()]);
                let result = CloudResult::Instance {
                    provider_id: format!("{PROVIDER}://{zone}/{node}"),
                    region: REGION.into(),
                    zone,
                    instance_type: format!("pg-{cpu}cpu-{}", memory.to_lowercase()),
                };
                (self.rng.between(50, 150) * MILLIS, result)
            }
            CloudOp::CreateRoute { node, cidr } => {
                self.routes.insert(node.clone(), cidr.clone());
                (self.rng.between(1000, 3000) * MILLIS, CloudResult::Done)
            }
            CloudOp::EnsureLoadBalancer { name, node_ports, nodes } => {
                // A new load balancer takes its time; updating an existing one is quicker.
                let (ip, after) = match self.load_balancers.get(name) {
                    Some(lb) => (lb.ip.clone(), self.rng.between(1, 3) * SECONDS),
                    None => {
                        let ip = format!("203.0.113.{}", self.next_ip);
                        self.next_ip = self.next_ip.wrapping_add(1).max(10);
                        (ip, self.rng.between(8, 20) * SECONDS)
                    }
                };
                let lb = LoadBalancer { ip: ip.clone(), node_ports: node_ports.clone(), nodes: nodes.clone() };
                self.load_balancers.insert(name.clone(), lb);
                (after, CloudResult::LoadBalancer { ip })
            }
            CloudOp::DeleteLoadBalancer { name } => {
                self.load_balancers.remove(name);
                (self.rng.between(3, 8) * SECONDS, CloudResult::Done)
            }
        }
    }
}

/// cloudprovider.DefaultLoadBalancerName: "a" and the Service's uid without dashes, cut to 32
/// characters.
pub fn load_balancer_name(service_uid: &str) -> String {
    let name: String = std::iter::once('a').chain(service_uid.chars().filter(|c| *c != '-')).collect();
    name.chars().take(32).collect()
}
