//! Kubernetes' scalability SLOs (sig-scalability), measured on this cluster as their SLIs are:
//! the 99th percentile of mutating API call latency, per (resource, verb), at most 1 s; and of
//! pod startup latency (kubelet_pod_start_sli_duration_seconds, every node's together), at
//! most 5 s. Percentiles as PromQL's histogram_quantile reads the buckets, over the SLOs'
//! 5-minute window: the observations since counters read 5 minutes ago (the page keeps those
//! readings; without one, since the start).

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

/// The histograms the SLIs read, at one moment.
#[derive(Clone, Debug, Default)]
pub struct SliCounters {
    api: Vec<(String, Histogram)>,
    startup: Option<Histogram>,
}

/// The 5-minute window of the SLOs, in µs.
pub const WINDOW_US: u64 = 300_000_000;

impl Simulation {
    pub fn sli_counters(&self) -> SliCounters {
        let api = self.apiserver().map(|a| a.metrics.mutating_latencies()).unwrap_or_default();
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
        SliCounters { api, startup }
    }

    /// The SLIs over the whole run.
    pub fn slis(&self) -> Vec<Sli> {
        self.slis_since(&SliCounters::default())
    }

    /// The SLIs over what happened since `then` was read.
    pub fn slis_since(&self, then: &SliCounters) -> Vec<Sli> {
        let now = self.sli_counters();
        let api = now
            .api
            .iter()
            .filter_map(|(pair, h)| {
                let window = match then.api.iter().find(|(p, _)| p == pair) {
                    Some((_, earlier)) => h.since(earlier),
                    None => h.clone(),
                };
                Some((pair.clone(), window.quantile(0.99)?))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let startup = match (now.startup, &then.startup) {
            (Some(h), Some(earlier)) => Some(h.since(earlier)),
            (h, _) => h,
        };
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
