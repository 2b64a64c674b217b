//! The kubelet's /metrics (port 10250): pods and containers running, how long pods take to
//! start (kubelet_pod_start_duration_seconds, from the pod's admission to its containers
//! running), how long its pod workers' syncs take, and the CRI calls made, by operation type.

use crate::sim::metrics::{Exposition, Histogram};
use crate::sim::vecmap::VecMap;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct KubeletMetrics {
    pub runtime_operations: VecMap<&'static str, u64>,
    pub pod_start: Histogram,
    /// kubelet_pod_start_sli_duration_seconds: from the pod's creation to its containers
    /// running, less image pulls and init containers (the pod startup SLI).
    pub pod_start_sli: Histogram,
    /// prober_probe_total by probe_type, result, namespace, pod and container.
    pub probes: BTreeMap<(&'static str, &'static str, String, String, String), u64>,
    /// kubelet_evictions by eviction_signal.
    pub evictions: VecMap<&'static str, u64>,
    /// kubelet_pod_worker_duration_seconds by operation_type: a pod's create sync (to its
    /// containers running) and kill sync (stop to teardown). The update and periodic syncs
    /// make no runtime calls here and are not observed.
    pub pod_worker: VecMap<&'static str, Histogram>,
}

impl Default for KubeletMetrics {
    fn default() -> Self {
        // podStartDurationSeconds' buckets.
        let bounds = [
            0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 20.0, 30.0, 45.0, 60.0, 120.0, 180.0, 240.0, 300.0, 360.0,
            480.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0,
        ];
        KubeletMetrics {
            runtime_operations: VecMap::new(),
            pod_start: Histogram::new(bounds.to_vec()),
            pod_start_sli: Histogram::new(bounds.to_vec()),
            probes: BTreeMap::new(),
            evictions: VecMap::new(),
            pod_worker: VecMap::new(),
        }
    }
}

/// The CRI call's operation_type label.
pub fn operation_type(call: &str) -> &'static str {
    match call {
        "RunPodSandbox" => "run_podsandbox",
        "PullImage" => "pull_image",
        "CreateContainer" => "create_container",
        "StartContainer" => "start_container",
        "StopContainer" => "stop_container",
        "StopPodSandbox" => "stop_podsandbox",
        _ => "other",
    }
}

impl KubeletMetrics {
    /// One sync of `operation_type` that took `us` (metrics.DefBuckets).
    pub fn pod_worker(&mut self, operation_type: &'static str, us: u64) {
        let bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        let h = self.pod_worker.entry(operation_type).or_insert_with(|| Histogram::new(bounds.to_vec()));
        h.observe(us as f64 / 1e6);
    }

    pub fn text(&self, node: &str, running_pods: usize, containers: &[(&'static str, usize)]) -> String {
        let mut e = Exposition::default();
        e.labelled(
            "kubelet_node_name",
            "The node's name. The count is always 1.",
            "gauge",
            &[(vec![("node", node)], 1.0)],
        );
        e.gauge("kubelet_running_pods", "Number of pods that have a running pod sandbox", running_pods as f64);
        let states: Vec<_> = containers.iter().map(|(s, n)| (vec![("container_state", *s)], *n as f64)).collect();
        e.labelled("kubelet_running_containers", "Number of containers currently running", "gauge", &states);
        let ops: Vec<_> =
            self.runtime_operations.iter().map(|(op, n)| (vec![("operation_type", *op)], *n as f64)).collect();
        e.labelled(
            "kubelet_runtime_operations_total",
            "Cumulative number of runtime operations by operation type.",
            "counter",
            &ops,
        );
        let probes: Vec<_> = self
            .probes
            .iter()
            .map(|((kind, result, ns, pod, container), n)| {
                let labels = vec![
                    ("probe_type", *kind),
                    ("result", *result),
                    ("namespace", ns),
                    ("pod", pod),
                    ("container", container),
                ];
                (labels, *n as f64)
            })
            .collect();
        e.labelled(
            "prober_probe_total",
            "Cumulative number of a liveness, readiness or startup probe for a container by result.",
            "counter",
            &probes,
        );
        let evictions: Vec<_> =
            self.evictions.iter().map(|(signal, n)| (vec![("eviction_signal", *signal)], *n as f64)).collect();
        e.labelled("kubelet_evictions", "Cumulative number of pod evictions by eviction signal", "counter", &evictions);
        e.histograms(
            "kubelet_pod_start_duration_seconds",
            "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run",
            &[(vec![], &self.pod_start)],
        );
        e.histograms(
            "kubelet_pod_start_sli_duration_seconds",
            "Duration in seconds to start a pod, excluding time to pull images and run init containers, measured from pod creation timestamp to when all its containers are reported as started and observed via watch",
            &[(vec![], &self.pod_start_sli)],
        );
        let workers: Vec<_> = self.pod_worker.iter().map(|(op, h)| (vec![("operation_type", *op)], h)).collect();
        if !workers.is_empty() {
            e.histograms(
                "kubelet_pod_worker_duration_seconds",
                "Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync",
                &workers,
            );
        }
        e.finish()
    }
}
