//! kube-scheduler's metrics (pkg/scheduler/metrics) on its /metrics endpoint: attempts by
//! result, attempt and end-to-end (SLI) latency, preemption victims, the pending pods per
//! queue, and the time spent per extension point and per plugin.
//! Durations are the simulation's modelled CPU costs (a fixed part per extension point plus a
//! part per node evaluated or scored), not measurements. As upstream, per-plugin durations
//! are kept for one cycle in ten (pluginMetricsSamplePercent = 10), here every tenth cycle.

use super::plugins::Plugin;
use super::profile::Profile;
use crate::sim::metrics::{Exposition, Histogram};
use crate::sim::vecmap::VecMap;

/// Modelled cost of each extension point, µs.
const PRE_FILTER_US: f64 = 20.0;
const FILTER_PER_NODE_US: f64 = 2.0;
const POST_FILTER_US: f64 = 120.0;
const PRE_SCORE_US: f64 = 15.0;
const SCORE_PER_NODE_US: f64 = 0.5;
const PERMIT_US: f64 = 5.0;
/// Taking the pod from the queue and updating the snapshot.
const CYCLE_BASE_US: f64 = 300.0;

#[derive(Clone, Debug)]
pub struct SchedulerMetrics {
    attempts_total: VecMap<&'static str, u64>,
    attempt_duration: Histogram,
    pub preemption_victims: Histogram,
    pub sli_duration: Histogram,
    /// By (extension point, status).
    points: VecMap<(&'static str, &'static str), Histogram>,
    /// By (plugin, extension point, status).
    plugins: VecMap<(&'static str, &'static str, &'static str), Histogram>,
    pub cycles: u64,
}

impl Default for SchedulerMetrics {
    fn default() -> Self {
        SchedulerMetrics {
            attempts_total: VecMap::new(),
            attempt_duration: Histogram::exponential(0.001, 2.0, 15),
            preemption_victims: Histogram::exponential(1.0, 2.0, 7),
            sli_duration: Histogram::exponential(0.01, 2.0, 20),
            points: VecMap::new(),
            plugins: VecMap::new(),
            cycles: 0,
        }
    }
}

/// extensionPointDuration's buckets: ExponentialBuckets(0.0001, 2, 12).
fn point_histogram() -> Histogram {
    Histogram::exponential(0.0001, 2.0, 12)
}

/// pluginExecutionDuration's buckets: ExponentialBuckets(0.00001, 1.5, 20).
fn plugin_histogram() -> Histogram {
    Histogram::exponential(0.00001, 1.5, 20)
}

/// What one cycle did, for the metrics: nodes Filter looked at, nodes that passed, and
/// whether PostFilter (preemption) nominated a node.
#[derive(Clone, Copy, Debug, Default)]
pub struct CycleCounts {
    pub evaluated: usize,
    pub feasible: usize,
    pub nominated: bool,
}

impl SchedulerMetrics {
    pub fn count(&mut self, result: &'static str) {
        *self.attempts_total.entry(result).or_insert(0) += 1;
    }

    /// Records one scheduling cycle: which points ran, over how many nodes, with what status.
    /// `permit` is Some(waiting) when Permit ran.
    pub fn cycle(&mut self, profile: &Profile, c: &CycleCounts, permit: Option<bool>) {
        self.cycles += 1;
        let (evaluated, feasible) = (c.evaluated as f64, c.feasible);
        let scored = feasible as f64;
        let fit = if feasible > 0 { "Success" } else { "Unschedulable" };
        let mut points: Vec<(&'static str, &'static str, f64, &[Plugin])> = vec![
            ("PreFilter", "Success", PRE_FILTER_US, &profile.pre_filter),
            ("Filter", fit, FILTER_PER_NODE_US * evaluated, &profile.filter),
        ];
        if feasible == 0 {
            let nominated = if c.nominated { "Success" } else { "Unschedulable" };
            points.push(("PostFilter", nominated, POST_FILTER_US, &profile.post_filter));
        } else {
            points.push(("PreScore", "Success", PRE_SCORE_US, &profile.pre_score));
            let score_us = SCORE_PER_NODE_US * scored * profile.score.len() as f64;
            points.push(("Score", "Success", score_us, &[]));
        }
        if let Some(waits) = permit {
            points.push(("Permit", if waits { "Wait" } else { "Success" }, PERMIT_US, &profile.permit));
        }
        let mut total_us = CYCLE_BASE_US;
        let sampled = self.cycles % 10 == 1;
        for (point, status, us, plugins) in points {
            total_us += us;
            self.points.entry((point, status)).or_insert_with(point_histogram).observe(us / 1e6);
            let named: Vec<&'static str> = if point == "Score" {
                profile.score.iter().map(|(p, _)| p.name()).collect()
            } else {
                plugins.iter().map(|p| p.name()).collect()
            };
            if sampled && !named.is_empty() {
                let each = us / named.len() as f64 / 1e6;
                for name in named {
                    self.plugins.entry((name, point, status)).or_insert_with(plugin_histogram).observe(each);
                }
            }
        }
        self.attempt_duration.observe(total_us / 1e6);
    }

    /// The text exposition; `pending` is the queue's (queue, pods) gauge.
    pub fn text(&self, pending: &[(&'static str, usize)]) -> String {
        let mut e = Exposition::default();
        let profile = ("profile", "default-scheduler");
        let pending: Vec<_> = pending.iter().map(|(q, n)| (vec![("queue", *q)], *n as f64)).collect();
        e.labelled("scheduler_pending_pods", "Number of pending pods, by the queue type.", "gauge", &pending);
        let attempts: Vec<_> =
            self.attempts_total.iter().map(|(r, n)| (vec![profile, ("result", *r)], *n as f64)).collect();
        e.labelled(
            "scheduler_schedule_attempts_total",
            "Number of attempts to schedule pods, by the result.",
            "counter",
            &attempts,
        );
        e.histograms(
            "scheduler_scheduling_attempt_duration_seconds",
            "Scheduling attempt latency in seconds (scheduling algorithm + binding)",
            &[(vec![profile], &self.attempt_duration)],
        );
        let points: Vec<_> =
            self.points.iter().map(|((p, s), h)| (vec![("extension_point", *p), profile, ("status", *s)], h)).collect();
        e.histograms(
            "scheduler_framework_extension_point_duration_seconds",
            "Latency for running all plugins of a specific extension point.",
            &points,
        );
        let plugins: Vec<_> = self
            .plugins
            .iter()
            .map(|((p, x, s), h)| (vec![("extension_point", *x), ("plugin", *p), ("status", *s)], h))
            .collect();
        e.histograms(
            "scheduler_plugin_execution_duration_seconds",
            "Duration for running a plugin at a specific extension point.",
            &plugins,
        );
        e.histograms(
            "scheduler_pod_scheduling_sli_duration_seconds",
            "E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue",
            &[(vec![], &self.sli_duration)],
        );
        e.histograms(
            "scheduler_preemption_victims",
            "Number of selected preemption victims",
            &[(vec![], &self.preemption_victims)],
        );
        e.finish()
    }
}
