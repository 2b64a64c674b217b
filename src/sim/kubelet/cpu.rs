//! CPU in the containers' cgroups, as cadvisor reports it. A process wants some cores (see
//! [`super::process`]: `stress --cpu 2` wants two, a server idles at a thousandth); CFS lets
//! a container with a CPU limit run `limit × 100 ms` per 100 ms period and throttles it for the
//! rest of the period, so a container that wants more than its limit uses exactly its limit and
//! is throttled in every period. Without limits, busy containers share the node's cores in
//! proportion to what they want.
//! Simplified: demand is constant while the process runs; shares (requests) do not weigh the
//! split when the node is overcommitted.

use super::worker::Step;
use super::Kubelet;
use crate::sim::api::{quantity, Container, Pod};
use crate::sim::metrics::Exposition;
use crate::sim::time::SimTime;

/// CFS's period (cpu.cfs_period_us).
const PERIOD_S: f64 = 0.1;

/// One running container's CPU.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerCpu {
    /// crictl's container id.
    pub id: String,
    pub pod: String,
    pub namespace: String,
    pub container: String,
    pub image: String,
    /// Cores it wants, may use, and the limit (cores) if it has one.
    pub demand: f64,
    pub usage: f64,
    pub limit: Option<f64>,
    /// Seconds it has run.
    pub seconds: f64,
    pub working_set: u64,
}

impl ContainerCpu {
    pub fn throttled(&self) -> bool {
        self.limit.is_some_and(|l| self.demand > l)
    }
}

/// The cores a container's process wants.
fn demand(c: &Container) -> f64 {
    super::process::Script::of(c).cpu.unwrap_or(if c.command.is_empty() { 0.001 } else { 0.0002 })
}

fn limit(c: &Container) -> Option<f64> {
    let q = c.resources.limits.get("cpu")?;
    quantity::parse_milli(q).ok().map(|m| m as f64 / 1000.0)
}

impl Kubelet {
    /// Every running container's CPU at `now` (app containers of running pods).
    pub fn cpu(&self, now: SimTime) -> Vec<ContainerCpu> {
        let mut out = Vec::new();
        for (uid, w) in self.workers.iter().filter(|(_, w)| w.step == Step::Running) {
            let Some(pod) = self.pods.get(&w.key).and_then(|o| o.as_pod()) else { continue };
            let seconds = now.since(w.running_since) as f64 / 1e6;
            out.extend(pod.spec.containers.iter().map(|c| one(uid, pod, c, seconds)));
        }
        // More wanted than the node has: the cores are shared out in proportion.
        let cores = quantity::parse_milli(&self.config.cpu).map_or(1.0, |m| m as f64 / 1000.0);
        let total: f64 = out.iter().map(|c| c.usage).sum();
        if total > cores {
            for c in &mut out {
                c.usage *= cores / total;
            }
        }
        out
    }

    /// /metrics/cadvisor: the containers' CPU and memory counters.
    pub fn cadvisor_text(&self, now: SimTime) -> String {
        let stats = self.cpu(now);
        let mut e = Exposition::default();
        let series = |f: &dyn Fn(&ContainerCpu) -> Option<f64>| -> Vec<(Vec<(&str, &str)>, f64)> {
            stats
                .iter()
                .filter_map(|c| {
                    let labels = vec![
                        ("container", c.container.as_str()),
                        ("image", c.image.as_str()),
                        ("namespace", c.namespace.as_str()),
                        ("pod", c.pod.as_str()),
                    ];
                    f(c).map(|v| (labels, v))
                })
                .collect()
        };
        let periods = |c: &ContainerCpu| c.limit.map(|_| (c.seconds / PERIOD_S).floor());
        e.labelled(
            "container_cpu_usage_seconds_total",
            "Cumulative cpu time consumed in seconds.",
            "counter",
            &series(&|c| Some(c.usage * c.seconds)),
        );
        e.labelled(
            "container_cpu_cfs_periods_total",
            "Number of elapsed enforcement period intervals.",
            "counter",
            &series(&|c| periods(c)),
        );
        e.labelled(
            "container_cpu_cfs_throttled_periods_total",
            "Number of throttled period intervals.",
            "counter",
            &series(&|c| periods(c).map(|p| if c.throttled() { p } else { 0.0 })),
        );
        // Each throttled period waits out what the quota does not cover: 1 − limit/demand of it.
        e.labelled(
            "container_cpu_cfs_throttled_seconds_total",
            "Total time duration the container has been throttled.",
            "counter",
            &series(&|c| {
                let l = c.limit?;
                Some(if c.throttled() { c.seconds * (1.0 - l / c.demand) } else { 0.0 })
            }),
        );
        e.labelled(
            "container_memory_working_set_bytes",
            "Current working set in bytes.",
            "gauge",
            &series(&|c| Some(c.working_set as f64)),
        );
        e.finish()
    }

    /// `crictl stats`: each running container's CPU % (of one core) and memory.
    pub fn crictl_stats(&self, now: SimTime) -> String {
        let mut out =
            format!("{:<20}{:<20}{:<20}{:<20}{:<20}{}", "CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES");
        for c in self.cpu(now) {
            let mem = format!("{:.3}MB", c.working_set as f64 / 1e6);
            let cpu = format!("{:.2}", c.usage * 100.0);
            let id = &c.id[..13.min(c.id.len())];
            out.push_str(&format!("\n{id:<20}{:<20}{cpu:<20}{mem:<20}{:<20}{}", c.container, "8.192kB", 4));
        }
        out
    }
}

fn one(uid: &str, pod: &Pod, c: &Container, seconds: f64) -> ContainerCpu {
    let (demand, limit) = (demand(c), limit(c));
    ContainerCpu {
        id: super::images::hex_id(&format!("{uid}/{}", c.name)),
        pod: pod.metadata.name.clone(),
        namespace: pod.metadata.namespace.clone(),
        container: c.name.clone(),
        image: super::images::normalize(&c.image),
        demand,
        usage: limit.map_or(demand, |l| demand.min(l)),
        limit,
        seconds,
        working_set: super::eviction::working_set(c),
    }
}
