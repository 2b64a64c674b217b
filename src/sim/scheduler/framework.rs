//! The scheduling framework's data (pkg/scheduler/framework): plugin Status codes, the Resource
//! arithmetic of NodeInfo, and pod requests with and without the non-zero defaults.

use crate::sim::api::quantity::{parse_milli, parse_value};
use crate::sim::api::{Node, Pod, ResourceList};
use std::collections::BTreeMap;

pub const MAX_NODE_SCORE: i64 = 100;
/// Non-zero defaults for containers that omit a request (pkg/scheduler/util).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Success,
    Error,
    Unschedulable,
    UnschedulableAndUnresolvable,
    Wait,
    Skip,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
}

impl Status {
    pub fn success() -> Self {
        Status { code: Code::Success, reasons: vec![] }
    }
    pub fn new(code: Code, reason: impl Into<String>) -> Self {
        Status { code, reasons: vec![reason.into()] }
    }
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }
}

/// framework.Resource: cpu in millicores, memory and ephemeral-storage in bytes, the rest
/// (extended resources such as nvidia.com/gpu) as counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resource {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub allowed_pods: i64,
    pub scalar: BTreeMap<String, i64>,
}

impl Resource {
    /// Reads a ResourceList; an unparsable quantity counts as zero (validation rejects them).
    pub fn from_list(list: &ResourceList) -> Self {
        let mut r = Resource::default();
        for (name, q) in list {
            match name.as_str() {
                "cpu" => r.milli_cpu = parse_milli(q).unwrap_or(0) as i64,
                "memory" => r.memory = parse_value(q).unwrap_or(0) as i64,
                "ephemeral-storage" => r.ephemeral_storage = parse_value(q).unwrap_or(0) as i64,
                "pods" => r.allowed_pods = parse_value(q).unwrap_or(0) as i64,
                other => {
                    r.scalar.insert(other.to_string(), parse_value(q).unwrap_or(0) as i64);
                }
            }
        }
        r
    }

    pub fn add(&mut self, other: &Resource) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        for (k, v) in &other.scalar {
            *self.scalar.entry(k.clone()).or_insert(0) += v;
        }
    }

    /// Per resource, the larger of the two.
    pub fn max_with(&mut self, other: &Resource) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (k, v) in &other.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = (*e).max(*v);
        }
    }

    pub fn get(&self, name: &str) -> i64 {
        match name {
            "cpu" => self.milli_cpu,
            "memory" => self.memory,
            "ephemeral-storage" => self.ephemeral_storage,
            "pods" => self.allowed_pods,
            other => self.scalar.get(other).copied().unwrap_or(0),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0 && self.memory == 0 && self.ephemeral_storage == 0 && self.scalar.values().all(|v| *v == 0)
    }
}

/// resourcehelper.PodRequests: per resource, the larger of the containers' sum and the
/// largest init container (sidecars and pod overhead are not modelled yet).
pub fn pod_requests(pod: &Pod) -> Resource {
    requests_with(pod, |c| Resource::from_list(&c.resources.requests))
}

/// Requests with the non-zero defaults for cpu and memory a container omits (used by scoring).
pub fn pod_non_zero_requests(pod: &Pod) -> Resource {
    requests_with(pod, |c| {
        let mut one = Resource::from_list(&c.resources.requests);
        if !c.resources.requests.contains_key("cpu") {
            one.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !c.resources.requests.contains_key("memory") {
            one.memory = DEFAULT_MEMORY_REQUEST;
        }
        one
    })
}

fn requests_with(pod: &Pod, of: impl Fn(&crate::sim::api::Container) -> Resource) -> Resource {
    let mut r = Resource::default();
    for c in &pod.spec.containers {
        r.add(&of(c));
    }
    for c in &pod.spec.init_containers {
        r.max_with(&of(c));
    }
    r
}

/// NodeInfo: a node with the aggregated requests of the pods on it (including assumed ones).
#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub node: Node,
    pub allocatable: Resource,
    pub requested: Resource,
    pub non_zero_requested: Resource,
    pub pod_count: i64,
}

impl NodeInfo {
    pub fn new(node: Node) -> Self {
        let allocatable = Resource::from_list(&node.status.allocatable);
        NodeInfo {
            node,
            allocatable,
            requested: Resource::default(),
            non_zero_requested: Resource::default(),
            pod_count: 0,
        }
    }

    pub fn add_pod(&mut self, pod: &Pod) {
        self.requested.add(&pod_requests(pod));
        self.non_zero_requested.add(&pod_non_zero_requests(pod));
        self.pod_count += 1;
    }
}
