//! Kubernetes' scalability SLOs (sig-scalability), measured on this cluster as their SLIs are:
//! the 99th percentile of mutating API call latency, per (resource, verb), at most 1 s; and of
//! pod startup latency (kubelet_pod_start_sli_duration_seconds, every node's together), at
//! most 5 s. Percentiles as PromQL's histogram_quantile reads the buckets.
//! Simplified: over the whole run so far, not the SLOs' sliding 5-minute window.

use super::component::Component;
use super::metrics::Histogram;
use super::Simulation;

#[derive(Clone, Debug, PartialEq)]
pub struct Sli {
    pub name: &'static str,
    /// What the worst case is about (the slowest resource and verb, or the samples).
    pub detail: String,
    pub p99_s: Option<f64>,
    pub objective_s: f64,
}

impl Sli {
    /// Within the objective; None before any sample.
    pub fn met(&self) -> Option<bool> {
        self.p99_s.map(|p| p <= self.objective_s)
    }
}

impl Simulation {
    pub fn slis(&self) -> Vec<Sli> {
        let api = self.apiserver().and_then(|a| a.metrics.slowest_mutating_p99());
        let mut startup: Option<Histogram> = None;
        for c in &self.components {
            if let Component::Kubelet(k) = c {
                let h = &k.metrics.pod_start_sli;
                match &mut startup {
                    Some(all) => all.merge(h),
                    None => startup = Some(h.clone()),
                }
            }
        }
        let pods = startup.as_ref().map_or(0, |h| h.count);
        vec![
            Sli {
                name: "Mutating API call latency",
                detail: api.as_ref().map_or("no calls yet".into(), |(pair, _)| format!("slowest: {pair}")),
                p99_s: api.map(|(_, p)| p),
                objective_s: 1.0,
            },
            Sli {
                name: "Pod startup latency",
                detail: format!("{pods} pod{} started", if pods == 1 { "" } else { "s" }),
                p99_s: startup.and_then(|h| h.quantile(0.99)),
                objective_s: 5.0,
            },
        ]
    }
}
