//! The scale presets: clusters the size the largest operators run, built from a few numbers
//! rather than stored as files — "large" (1,000 nodes), "envelope" (Kubernetes' tested 5,000
//! nodes and 150,000 pods) and "openai-7500" (7,500 nodes, one whole-node pod each plus
//! system DaemonSets, five kube-apiservers in front of five etcd members, and the Events in a
//! separate etcd cluster).

use super::Scenario;
use serde_json::Value;

/// One scale preset's shape.
pub struct Shape {
    pub name: &'static str,
    /// One line for the picker.
    pub summary: &'static str,
    pub nodes: usize,
    /// Node size: CPU cores and memory.
    pub cpu: &'static str,
    pub memory: &'static str,
    pub etcd_members: usize,
    /// kube-apiserver replicas behind the load balancer.
    pub apiservers: usize,
    /// Members of a separate events etcd (0: Events share the main etcd).
    pub events_etcd_members: usize,
    pub pod_subnet: &'static str,
    /// The workload Deployment's replicas and each pod's requests.
    pub replicas: usize,
    pub pod_cpu: &'static str,
    pub pod_memory: &'static str,
    /// System DaemonSets (one pod on every worker each).
    pub daemonsets: &'static [(&'static str, &'static str)],
}

pub const SHAPES: &[Shape] = &[
    Shape {
        name: "large",
        summary: "1,000 nodes, 11,000 pods: a Deployment of 10,000 and a node-exporter on every node.",
        nodes: 1_000,
        cpu: "16",
        memory: "64Gi",
        etcd_members: 3,
        apiservers: 1,
        events_etcd_members: 0,
        pod_subnet: "10.128.0.0/14",
        replicas: 10_000,
        pod_cpu: "500m",
        pod_memory: "1Gi",
        daemonsets: &[("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2")],
    },
    Shape {
        name: "envelope",
        summary: "5,000 nodes, 150,000 pods: the limits Kubernetes is tested at.",
        nodes: 5_000,
        cpu: "32",
        memory: "128Gi",
        etcd_members: 5,
        apiservers: 1,
        events_etcd_members: 0,
        pod_subnet: "10.128.0.0/11",
        replicas: 145_000,
        pod_cpu: "500m",
        pod_memory: "1Gi",
        daemonsets: &[("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2")],
    },
    Shape {
        name: "openai-7500",
        summary: "7,500 nodes as OpenAI ran them: one whole-node pod each, two DaemonSets, five apiservers, five etcd members, Events in their own etcd.",
        nodes: 7_500,
        cpu: "96",
        memory: "1800Gi",
        etcd_members: 5,
        apiservers: 5,
        // OpenAI's report does not give the events cluster's size; three is the usual.
        events_etcd_members: 3,
        pod_subnet: "10.128.0.0/9",
        replicas: 7_500,
        pod_cpu: "90",
        pod_memory: "1600Gi",
        daemonsets: &[
            ("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2"),
            ("fluent-bit", "fluent/fluent-bit:3.1"),
        ],
    },
];

impl Shape {
    /// Every pod the workload ends with: the Deployment's and one per worker per DaemonSet.
    pub fn pods(&self) -> usize {
        self.replicas + self.nodes * self.daemonsets.len()
    }

    /// The scenario, optionally cut down to `nodes` (tests run the same shape smaller; the pod
    /// count shrinks with it).
    pub fn scenario(&self, nodes: Option<usize>) -> Scenario {
        let nodes = nodes.unwrap_or(self.nodes);
        let replicas = self.replicas * nodes / self.nodes;
        let mut s = Scenario::default();
        let c = &mut s.cluster;
        c.etcd_members = self.etcd_members;
        c.apiservers = self.apiservers;
        c.events_etcd_members = self.events_etcd_members;
        c.raft_timing = "etcd".into();
        c.pod_subnet = self.pod_subnet.into();
        // Large clusters raise the apiserver's concurrency well above the 400 + 200 default;
        // with the defaults, the controllers' pod creates queue and bounce with 429s.
        c.apiserver.max_requests_inflight = 3000;
        c.apiserver.max_mutating_requests_inflight = 1000;
        if let Some(w) = c.workers.first_mut() {
            (w.cpu, w.memory) = (self.cpu.into(), self.memory.into());
        }
        c.set_workers(nodes);
        // The presets measure their workload: the add-ons' pods (CoreDNS, the CSI driver's
        // controller) stay out.
        c.csi_driver = false;
        c.cluster_dns = false;
        s.objects = self.daemonsets.iter().map(|(name, image)| daemonset(name, image)).collect();
        s.objects.push(deployment(replicas, self.pod_cpu, self.pod_memory));
        s
    }
}

pub fn get(name: &str) -> Option<Scenario> {
    SHAPES.iter().find(|s| s.name == name).map(|s| s.scenario(None))
}

/// A manifest from JSON text; the same decoder as every scenario file (one serde
/// instantiation in the page).
fn manifest(json: String) -> Value {
    serde_json::from_slice(json.as_bytes()).unwrap_or_default()
}

fn deployment(replicas: usize, cpu: &str, memory: &str) -> Value {
    manifest(format!(
        r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"work","namespace":"default"}},
        "spec":{{"replicas":{replicas},"selector":{{"matchLabels":{{"app":"work"}}}},
        "template":{{"metadata":{{"labels":{{"app":"work"}}}},"spec":{{"containers":[{{"name":"work",
        "image":"registry.k8s.io/pause:3.10","resources":{{"requests":{{"cpu":"{cpu}","memory":"{memory}"}}}}}}]}}}}}}}}"#
    ))
}

fn daemonset(name: &str, image: &str) -> Value {
    manifest(format!(
        r#"{{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{{"name":"{name}","namespace":"kube-system"}},
        "spec":{{"selector":{{"matchLabels":{{"app":"{name}"}}}},
        "template":{{"metadata":{{"labels":{{"app":"{name}"}}}},"spec":{{"containers":[{{"name":"{name}",
        "image":"{image}","resources":{{"requests":{{"cpu":"100m","memory":"128Mi"}}}}}}]}}}}}}}}"#
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_valid_json_of_their_kinds() {
        let d = deployment(3, "90", "1600Gi");
        assert_eq!((d["kind"].as_str(), d["spec"]["replicas"].as_u64()), (Some("Deployment"), Some(3)));
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"], "90");
        let ds = daemonset("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2");
        assert_eq!(ds["spec"]["selector"]["matchLabels"]["app"], "node-exporter");
    }
}
