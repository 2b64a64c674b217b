//! The scheduling framework's data (pkg/scheduler/framework): plugin Status codes, the Resource
//! arithmetic, pod requests with and without the non-zero defaults, and NodeInfo — a node with
//! the pods on it — gathered into the Snapshot every scheduling cycle reads.

use crate::sim::api::meta::cache_key;
use crate::sim::api::quantity::{parse_milli, parse_value};
use crate::sim::api::{LabelSelector, Labels, Node, Object, Pod, ResourceList};
use crate::sim::vecmap::VecMap;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

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
    /// Mostly fixed texts, borrowed: a cycle that rejects thousands of nodes copies none.
    pub reasons: Vec<Cow<'static, str>>,
}

impl Status {
    pub fn success() -> Self {
        Status { code: Code::Success, reasons: vec![] }
    }
    pub fn new(code: Code, reason: impl Into<Cow<'static, str>>) -> Self {
        Status { code, reasons: vec![reason.into()] }
    }
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

/// A resource name resolved once, so per-node arithmetic does not compare strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceName {
    Cpu,
    Memory,
    EphemeralStorage,
    Pods,
    /// An extended resource such as nvidia.com/gpu (or hugepages-2Mi).
    Scalar(String),
}

impl ResourceName {
    pub fn parse(name: &str) -> Self {
        match name {
            "cpu" => ResourceName::Cpu,
            "memory" => ResourceName::Memory,
            "ephemeral-storage" => ResourceName::EphemeralStorage,
            "pods" => ResourceName::Pods,
            other => ResourceName::Scalar(other.to_string()),
        }
    }

    pub fn is_scalar(&self) -> bool {
        matches!(self, ResourceName::Scalar(_))
    }
}

/// Weighted resources of a scoring strategy.
pub type WeightedResources = Vec<(ResourceName, i64)>;

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

    pub fn sub(&mut self, other: &Resource) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        for (k, v) in &other.scalar {
            *self.scalar.entry(k.clone()).or_insert(0) -= v;
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

    #[inline]
    pub fn value(&self, name: &ResourceName) -> i64 {
        match name {
            ResourceName::Cpu => self.milli_cpu,
            ResourceName::Memory => self.memory,
            ResourceName::EphemeralStorage => self.ephemeral_storage,
            ResourceName::Pods => self.allowed_pods,
            ResourceName::Scalar(s) => self.scalar.get(s).copied().unwrap_or(0),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0 && self.memory == 0 && self.ephemeral_storage == 0 && self.scalar.values().all(|v| *v == 0)
    }
}

/// resourcehelper.PodRequests: per resource, the larger of the containers' and sidecars' sum
/// and what any init container needs, plus the pod overhead.
pub fn pod_requests(pod: &Pod) -> Resource {
    requests_with(pod, |c| Resource::from_list(&c.resources.requests))
}

/// resourcehelper.PodLimits, by the same rule.
pub fn pod_limits(pod: &Pod) -> Resource {
    requests_with(pod, |c| Resource::from_list(&c.resources.limits))
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

/// The app containers and the sidecars together, or the most any init container needs with
/// the sidecars started before it (KEP-753's formula), whichever is more.
fn requests_with(pod: &Pod, of: impl Fn(&crate::sim::api::Container) -> Resource) -> Resource {
    let mut r = Resource::default();
    for c in &pod.spec.containers {
        r.add(&of(c));
    }
    let (mut sidecars, mut init) = (Resource::default(), Resource::default());
    for c in &pod.spec.init_containers {
        if c.is_sidecar() {
            sidecars.add(&of(c));
            init.max_with(&sidecars);
        } else {
            let mut with = sidecars.clone();
            with.add(&of(c));
            init.max_with(&with);
        }
    }
    r.add(&sidecars);
    r.max_with(&init);
    if !pod.spec.overhead.is_empty() {
        r.add(&Resource::from_list(&pod.spec.overhead));
    }
    r
}

/// A host port a pod occupies: (hostIP, protocol, hostPort) with the defaults 0.0.0.0 and TCP.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i32,
}

/// The host ports a pod asks for (containers with hostPort > 0).
pub fn host_ports(pod: &Pod) -> Vec<HostPort> {
    let ports = pod.spec.containers.iter().flat_map(|c| &c.ports).filter(|p| p.host_port > 0);
    ports
        .map(|p| HostPort {
            ip: if p.host_ip.is_empty() { "0.0.0.0".into() } else { p.host_ip.clone() },
            protocol: if p.protocol.is_empty() { "TCP".into() } else { p.protocol.clone() },
            port: p.host_port,
        })
        .collect()
}

pub fn has_affinity(pod: &Pod) -> bool {
    pod.spec.affinity.as_ref().is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some())
}

pub fn has_required_anti_affinity(pod: &Pod) -> bool {
    let anti = pod.spec.affinity.as_ref().and_then(|a| a.pod_anti_affinity.as_ref());
    anti.is_some_and(|a| !a.required_during_scheduling_ignored_during_execution.is_empty())
}

/// The pod's priority (spec.priority, set by the Priority admission plugin; 0 when absent).
pub fn priority(pod: &Pod) -> i32 {
    pod.spec.priority.unwrap_or(0)
}

/// A pod in the scheduler cache: the object its informer holds, shared rather than copied
/// (at 7,500 nodes a copy per pod was tens of MB). Only a pod is ever put in one.
#[derive(Clone, Debug)]
pub struct SharedPod(Arc<Object>);

impl SharedPod {
    /// A pod the scheduler made itself (assumed on a node, nominated).
    pub fn new(pod: Pod) -> Self {
        SharedPod(Arc::new(Object::Pod(Box::new(pod))))
    }

    /// An informer's object, when it is a pod.
    pub fn of(object: &Arc<Object>) -> Option<Self> {
        matches!(**object, Object::Pod(_)).then(|| SharedPod(object.clone()))
    }
}

impl PartialEq for SharedPod {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl std::ops::Deref for SharedPod {
    type Target = Pod;
    fn deref(&self) -> &Pod {
        match &*self.0 {
            Object::Pod(p) => p,
            _ => unreachable!("SharedPod is only made from a pod"),
        }
    }
}

/// A pod on a node with its requests computed once (framework.PodInfo).
#[derive(Clone, Debug)]
pub struct PodInfo {
    pub pod: SharedPod,
    pub requests: Resource,
    pub non_zero: Resource,
}

impl PodInfo {
    pub fn new(pod: SharedPod) -> Self {
        PodInfo { requests: pod_requests(&pod), non_zero: pod_non_zero_requests(&pod), pod }
    }
}

impl std::ops::Deref for PodInfo {
    type Target = Pod;
    fn deref(&self) -> &Pod {
        &self.pod
    }
}

/// NodeInfo: a node with the aggregated requests of the pods on it (including assumed ones).
#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub node: Node,
    /// The node's name, shared: each cycle names every node it rejects.
    name: Arc<str>,
    /// Its Ready condition's status ("True", "False" or "Unknown"), read once per update: the
    /// page's picture shows it for every node.
    ready: &'static str,
    pub allocatable: Resource,
    pub requested: Resource,
    pub non_zero_requested: Resource,
    pub pods: Vec<PodInfo>,
    /// How many of the pods carry pod (anti-)affinity, and required anti-affinity: lets
    /// InterPodAffinity skip nodes without any.
    pub pods_with_affinity: usize,
    pub pods_with_required_anti_affinity: usize,
    pub used_ports: Vec<HostPort>,
    /// Image name → size, from node.status.images (every name of every image).
    pub images: BTreeMap<String, i64>,
}

impl NodeInfo {
    pub fn new(node: Node) -> Self {
        let allocatable = Resource::from_list(&node.status.allocatable);
        let images =
            node.status.images.iter().flat_map(|i| i.names.iter().map(|n| (n.clone(), i.size_bytes))).collect();
        let ready = match node.condition("Ready") {
            Some(c) if c.status == "True" => "True",
            Some(c) if c.status == "False" => "False",
            _ => "Unknown",
        };
        NodeInfo {
            name: node.metadata.name.as_str().into(),
            ready,
            node,
            allocatable,
            requested: Resource::default(),
            non_zero_requested: Resource::default(),
            pods: Vec::new(),
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            used_ports: Vec::new(),
            images,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Ready condition's status, as the control plane last saw it.
    pub fn ready(&self) -> &'static str {
        self.ready
    }

    /// The name to keep (a rejection's, a candidate's) without copying it.
    pub fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }

    pub fn labels(&self) -> &Labels {
        &self.node.metadata.labels
    }

    pub fn pod_count(&self) -> i64 {
        self.pods.len() as i64
    }

    pub fn add_pod(&mut self, pod: SharedPod) {
        self.add_pod_info(PodInfo::new(pod));
    }

    pub fn add_pod_info(&mut self, info: PodInfo) {
        self.requested.add(&info.requests);
        self.non_zero_requested.add(&info.non_zero);
        self.pods_with_affinity += has_affinity(&info) as usize;
        self.pods_with_required_anti_affinity += has_required_anti_affinity(&info) as usize;
        self.used_ports.extend(host_ports(&info));
        self.pods.push(info);
    }

    /// Removes the pod with this namespace/name and returns it.
    pub fn remove_pod(&mut self, namespace: &str, name: &str) -> Option<PodInfo> {
        let i = self.pods.iter().position(|p| p.metadata.namespace == namespace && p.metadata.name == name)?;
        let pod = self.pods.remove(i);
        self.requested.sub(&pod.requests);
        self.non_zero_requested.sub(&pod.non_zero);
        self.pods_with_affinity -= has_affinity(&pod) as usize;
        self.pods_with_required_anti_affinity -= has_required_anti_affinity(&pod) as usize;
        for p in host_ports(&pod) {
            if let Some(j) = self.used_ports.iter().position(|u| *u == p) {
                self.used_ports.remove(j);
            }
        }
        Some(pod)
    }

    /// Replaces the node object, keeping the pods (a node update).
    pub fn set_node(&mut self, node: Node) {
        let pods = std::mem::take(&mut self.pods);
        *self = NodeInfo::new(node);
        for p in pods {
            self.add_pod_info(p);
        }
    }
}

/// The scheduler cache's view of the cluster for one cycle: every node with its pods, where
/// each image is present, and namespace labels (for namespaceSelector).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub nodes: Vec<NodeInfo>,
    index: BTreeMap<String, usize>,
    /// Image name → number of nodes that hold it (ImageLocality's spread factor).
    pub image_nodes: BTreeMap<String, i64>,
    pub namespaces: VecMap<String, Labels>,
    /// Pod key → node name, for pods placed (bound or assumed) on a node.
    placed: BTreeMap<String, String>,
    /// Selectors of Services and ReplicaSets per namespace, for default spreading.
    pub owner_selectors: VecMap<String, Vec<LabelSelector>>,
    /// Placed pods with pod (anti-)affinity, and with required anti-affinity, over all nodes
    /// (upstream's havePodsWithAffinity lists): when zero, InterPodAffinity need not scan.
    pub pods_with_affinity: usize,
    pub pods_with_required_anti_affinity: usize,
    /// The PodDisruptionBudgets, for preemption's choice of victims.
    pub pdbs: Vec<crate::sim::api::PodDisruptionBudget>,
    /// PersistentVolumeClaims by `namespace/name`, as VolumeBinding needs them.
    pub claims: BTreeMap<String, super::plugins::volume_binding::Claim>,
    /// Pods that preemption nominated to a node and that are not placed yet, by node
    /// (upstream's nominator): they hold their room against pods of no higher priority.
    nominated: BTreeMap<String, Vec<SharedPod>>,
}

impl Snapshot {
    /// Records that `pod` waits for room on `node` (status.nominatedNodeName).
    pub fn nominate(&mut self, pod: SharedPod, node: &str) {
        let key = cache_key(&pod.metadata.namespace, &pod.metadata.name);
        self.unnominate(&key);
        self.nominated.entry(node.to_string()).or_default().push(pod);
    }

    /// The pod was placed or is gone: its nomination ends.
    pub fn unnominate(&mut self, key: &str) {
        let mine = |p: &SharedPod| cache_key(&p.metadata.namespace, &p.metadata.name) == key;
        self.nominated.retain(|_, pods| {
            pods.retain(|p| !mine(p));
            !pods.is_empty()
        });
    }

    /// `node` as a pod of `pod`'s priority must see it: with the pods nominated there that
    /// matter as much or more (RunFilterPluginsWithNominatedPods). None when there are none.
    pub fn with_nominated(&self, node: &NodeInfo, pod: &Pod) -> Option<NodeInfo> {
        let nominated = self.nominated.get(node.name())?;
        let mine = priority(pod);
        let key = cache_key(&pod.metadata.namespace, &pod.metadata.name);
        let others: Vec<&SharedPod> = nominated
            .iter()
            .filter(|p| priority(p) >= mine && cache_key(&p.metadata.namespace, &p.metadata.name) != key)
            .collect();
        if others.is_empty() {
            return None;
        }
        let mut with = node.clone();
        for p in others {
            with.add_pod(p.clone());
        }
        Some(with)
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }

    /// The node and its position, trying position `hint` first (where it was last found), so
    /// that finding it again costs one comparison, not a search.
    pub fn node_from(&self, name: &str, hint: usize) -> Option<(usize, &NodeInfo)> {
        match self.nodes.get(hint) {
            Some(n) if n.name() == name => Some((hint, n)),
            _ => self.index.get(name).map(|&i| (i, &self.nodes[i])),
        }
    }

    /// helper.DefaultSelector: every Service and ReplicaSet selector in the pod's namespace
    /// that selects it, merged; None when nothing owns the pod.
    pub fn default_selector(&self, pod: &Pod) -> Option<LabelSelector> {
        let mut merged: Option<LabelSelector> = None;
        for sel in self.owner_selectors.get(&pod.metadata.namespace).into_iter().flatten() {
            if sel.matches(&pod.metadata.labels) {
                let m = merged.get_or_insert_with(LabelSelector::default);
                m.match_labels.extend(sel.match_labels.clone());
                m.match_expressions.extend(sel.match_expressions.clone());
            }
        }
        merged
    }

    pub fn node_of(&self, pod_key: &str) -> Option<&str> {
        self.placed.get(pod_key).map(String::as_str)
    }

    /// Adds or updates a node.
    pub fn set_node(&mut self, node: Node) {
        let name = node.metadata.name.clone();
        match self.index.get(&name) {
            Some(&i) => {
                self.count_images(i, -1);
                self.nodes[i].set_node(node);
                self.count_images(i, 1);
            }
            None => {
                self.index.insert(name, self.nodes.len());
                self.nodes.push(NodeInfo::new(node));
                self.count_images(self.nodes.len() - 1, 1);
            }
        }
    }

    pub fn remove_node(&mut self, name: &str) {
        let Some(i) = self.index.remove(name) else { return };
        self.count_images(i, -1);
        let info = self.nodes.remove(i);
        self.pods_with_affinity -= info.pods_with_affinity;
        self.pods_with_required_anti_affinity -= info.pods_with_required_anti_affinity;
        for p in &info.pods {
            self.placed.remove(&cache_key(&p.metadata.namespace, &p.metadata.name));
        }
        for (j, n) in self.nodes.iter().enumerate().skip(i) {
            self.index.insert(n.node.metadata.name.clone(), j);
        }
    }

    fn count_images(&mut self, i: usize, delta: i64) {
        for name in self.nodes[i].images.keys() {
            let e = self.image_nodes.entry(name.clone()).or_insert(0);
            *e += delta;
            if *e <= 0 {
                self.image_nodes.remove(name);
            }
        }
    }

    /// Places a pod on a node (bound, or assumed while its binding is in flight); a pod already
    /// placed elsewhere moves. False when the node is unknown.
    pub fn add_pod(&mut self, pod: SharedPod, node: &str) -> bool {
        let key = cache_key(&pod.metadata.namespace, &pod.metadata.name);
        self.remove_pod(&key);
        self.unnominate(&key);
        let Some(&i) = self.index.get(node) else { return false };
        self.pods_with_affinity += has_affinity(&pod) as usize;
        self.pods_with_required_anti_affinity += has_required_anti_affinity(&pod) as usize;
        self.nodes[i].add_pod(pod);
        self.placed.insert(key, node.to_string());
        true
    }

    pub fn remove_pod(&mut self, key: &str) {
        let Some(node) = self.placed.remove(key) else { return };
        let (ns, name) = key.split_once('/').unwrap_or(("", key));
        if let Some(pod) = self.index.get(&node).and_then(|&i| self.nodes[i].remove_pod(ns, name)) {
            self.pods_with_affinity -= has_affinity(&pod) as usize;
            self.pods_with_required_anti_affinity -= has_required_anti_affinity(&pod) as usize;
        }
    }
}
