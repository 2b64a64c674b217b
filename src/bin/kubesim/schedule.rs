//! `kubesim schedule` and `kubesim bench schedule`: the scheduling framework on files and at
//! scale, outside the simulated cluster.

use super::manifest::{documents, object, read};
use kube_playground::sim::api::{Object, Pod};
use kube_playground::sim::rng::fork;
use kube_playground::sim::scheduler::batch;
use kube_playground::sim::scheduler::config;
use kube_playground::sim::scheduler::cycle::{Cycle, Outcome};
use kube_playground::sim::scheduler::framework::{SharedPod, Snapshot};
use kube_playground::sim::scheduler::profile::Profile;
use serde_json::json;

/// `kubesim schedule -f CLUSTER.yaml [--config SCHED.yaml] [-o json] [--seed N]`.
pub fn schedule(file: &str, config_file: Option<&str>, seed: u64) -> Result<String, String> {
    let mut objects = Vec::new();
    for (i, doc) in documents(&read(file)?)?.into_iter().enumerate() {
        objects.push(object(&doc).map_err(|e| format!("error: {file}: document {}: {e}", i + 1))?);
    }
    let profiles = match config_file {
        Some(path) => {
            let doc = documents(&read(path)?)?.into_iter().next().ok_or_else(|| format!("error: {path} is empty"))?;
            config::parse(&doc).map_err(|e| format!("error: {path}: {e}"))?
        }
        None => vec![Profile::default()],
    };
    let attempts = batch::schedule(&objects, &profiles, seed);
    serde_json::to_string_pretty(&batch::to_json(&attempts)).map_err(|e| e.to_string())
}

/// The node shape of scheduler_perf's node-default.yaml: 4 cpu, 32Gi, 110 pods, 10 zones.
fn perf_node(i: usize) -> Object {
    let name = format!("node-{i}");
    let alloc = json!({"cpu": "4", "memory": "32Gi", "pods": "110"});
    object(&json!({"kind": "Node", "metadata": {"name": name, "labels": {
        "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": format!("zone-{}", i % 10)}},
        "status": {"capacity": alloc, "allocatable": alloc}}))
    .expect("node literal")
}

/// A pod of the workload: pod-default.yaml's requests (100m, 500Mi) plus the workload's shape.
fn perf_pod(workload: &str, i: usize, priority: i32) -> Result<Pod, String> {
    let mut spec = json!({"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
        "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}], "schedulerName": "default-scheduler",
        "priority": priority});
    let group = format!("g{}", i % 4);
    let sel = |key: &str| json!({"labelSelector": {"matchLabels": {"group": group}}, "topologyKey": key});
    match workload {
        "basic" | "preemption" => {}
        "node-affinity" => {
            let zones: Vec<String> = (0..5).map(|z| format!("zone-{z}")).collect();
            spec["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": zones}]}]}}});
        }
        "topology-spread" => {
            spec["topologySpreadConstraints"] = json!([{"maxSkew": 5, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"group": group}}}]);
        }
        "pod-anti-affinity" => {
            spec["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [sel("kubernetes.io/hostname")]}});
        }
        other => {
            return Err(format!(
                "unknown workload \"{other}\": basic, node-affinity, topology-spread, pod-anti-affinity or preemption"
            ))
        }
    }
    serde_json::from_value(json!({"kind": "Pod", "metadata": {"name": format!("pod-{i}"), "namespace": "default",
        "labels": {"group": group}}, "spec": spec}))
    .map_err(|e| e.to_string())
}

/// Figures of one benchmark run.
pub struct BenchResult {
    pub scheduled: usize,
    pub unschedulable: usize,
    pub preemptions: usize,
    pub seconds: f64,
}

/// Schedules `pods` pods one at a time onto `nodes` nodes with the default profile, assuming
/// each on its node as kube-scheduler does; preemption evicts its victims from the cache.
/// The preemption workload first fills the cluster with low-priority pods.
// A benchmark measures wall time on purpose; the simulation itself never reads the clock.
#[allow(clippy::disallowed_methods)]
pub fn bench(nodes: usize, pods: usize, workload: &str) -> Result<BenchResult, String> {
    let profile = Profile::default();
    let mut snap = Snapshot::default();
    for i in 0..nodes {
        snap.set_node(perf_node(i).as_node().cloned().ok_or("node")?);
    }
    if workload == "preemption" {
        // 39 low-priority pods of 100m per node leave room for 1 more: every measured pod preempts.
        for n in 0..nodes {
            for k in 0..39 {
                let mut p = perf_pod("basic", n * 100 + k, 0)?;
                p.metadata.name = format!("low-{n}-{k}");
                p.spec.node_name = format!("node-{n}");
                snap.add_pod(SharedPod::new(p), &format!("node-{n}"));
            }
        }
    }
    let mut rng = fork(1, "kube-scheduler");
    let mut cycle = Cycle { next_start_node_index: 0 };
    let mut result = BenchResult { scheduled: 0, unschedulable: 0, preemptions: 0, seconds: 0.0 };
    let batch: Vec<Pod> = (0..pods)
        .map(|i| {
            let mut p = perf_pod(workload, i, if workload == "preemption" { 100 } else { 0 })?;
            if workload == "preemption" {
                // Each needs 4 cpu's worth of the node: only preemption makes room.
                p.spec.containers[0].resources.requests.insert("cpu".into(), "200m".into());
            }
            Ok(p)
        })
        .collect::<Result<_, String>>()?;
    let started = std::time::Instant::now();
    for mut pod in batch {
        let owner = None;
        let mut outcome = cycle.schedule(&profile, &pod, owner, &snap, &mut rng, None);
        if let Outcome::Unschedulable { nominated: Some(c), .. } = &outcome {
            result.preemptions += 1;
            for v in &c.victims {
                snap.remove_pod(&format!("{}/{}", v.metadata.namespace, v.metadata.name));
            }
            pod.status.nominated_node_name = c.node.clone();
            outcome = cycle.schedule(&profile, &pod, owner, &snap, &mut rng, None);
        }
        match outcome {
            Outcome::Scheduled { node, .. } => {
                pod.spec.node_name = node.clone();
                snap.add_pod(SharedPod::new(pod), &node);
                result.scheduled += 1;
            }
            Outcome::Unschedulable { .. } => result.unschedulable += 1,
        }
    }
    result.seconds = started.elapsed().as_secs_f64();
    Ok(result)
}
