//! The HorizontalPodAutoscaler controller (pkg/controller/podautoscaler): every 15 s
//! (--horizontal-pod-autoscaler-sync-period) it compares the target Deployment's pods' CPU
//! utilization with the target and computes desired = ceil(ready pods × current / target),
//! leaving it alone within the 10 % tolerance, scaling up by at most max(100 %, 4 pods) per
//! period, and scaling down only to the highest recommendation of the last 5 minutes
//! (the default scale-down stabilization window).
//! The pods' CPU use is simulated: the Deployment's `kube-playground.dev/cpu-load` annotation is
//! the CPU its traffic needs in all, shared evenly by its Ready pods (each capped by its CPU
//! limit). There is no metrics-server: the controller computes what it would report.

use crate::sim::api::meta::Time;
use crate::sim::api::quantity::parse_milli;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{HorizontalPodAutoscalerStatus, MetricSpec, MetricValue, Object, Pod, ResourceMetric};
use crate::sim::client::Informer;
use crate::sim::time::{SimTime, SECONDS};

/// The annotation a scenario sets: the CPU (a quantity, `1500m`) the workload's load needs.
pub const LOAD_ANNOTATION: &str = "kube-playground.dev/cpu-load";
/// --horizontal-pod-autoscaler-sync-period.
pub const SYNC_PERIOD_US: u64 = 15 * SECONDS;
/// --horizontal-pod-autoscaler-tolerance.
const TOLERANCE: f64 = 0.1;
/// The default scale-down stabilization window.
const DOWNSCALE_WINDOW_US: u64 = 300 * SECONDS;
/// The CPU target without a metric in the spec.
const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// What a sync decided: writes and an event (reason, message, warning).
#[derive(Debug, Default)]
pub struct Sync {
    pub requests: Vec<ApiRequest>,
    pub event: Option<(&'static str, String, bool)>,
}

/// A pod's CPU request, millicores (0 when a container has none).
fn cpu(pod: &Pod, limits: bool) -> i128 {
    pod.spec
        .containers
        .iter()
        .map(|c| {
            let list = if limits { &c.resources.limits } else { &c.resources.requests };
            list.get("cpu").and_then(|q| parse_milli(q).ok()).unwrap_or(0)
        })
        .sum()
}

pub fn sync(
    key: &str,
    hpas: &Informer,
    deployments: &Informer,
    pods: &Informer,
    recommendations: &mut Vec<(SimTime, i32)>,
    now: SimTime,
) -> Sync {
    let mut out = Sync::default();
    let Some(Object::HorizontalPodAutoscaler(hpa)) = hpas.get(key) else { return out };
    let ns = &hpa.metadata.namespace;
    let target = &hpa.spec.scale_target_ref;
    let Some(Object::Deployment(d)) = deployments.get(&crate::sim::api::meta::cache_key(ns, &target.name)) else {
        let message = format!("deployments.apps \"{}\" not found", target.name);
        out.event = Some(("FailedGetScale", message, true));
        return out;
    };
    let current = d.spec.replicas.unwrap_or(1);
    let want_util = hpa
        .spec
        .metrics
        .iter()
        .filter_map(|m| m.resource.as_ref())
        .find(|r| r.name == "cpu")
        .and_then(|r| r.target.as_ref()?.average_utilization)
        .unwrap_or(DEFAULT_CPU_UTILIZATION)
        .max(1);
    let selected: Vec<&Pod> = pods
        .objects()
        .filter_map(|o| o.as_pod())
        .filter(|p| p.metadata.namespace == *ns && p.metadata.deletion_timestamp.is_none() && !p.is_terminal())
        .filter(|p| d.spec.selector.match_labels.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v)))
        .collect();
    let ready: Vec<&Pod> = selected.iter().copied().filter(|p| p.status.phase == "Running" && p.is_ready()).collect();
    let mut status = HorizontalPodAutoscalerStatus {
        current_replicas: selected.len() as i32,
        desired_replicas: current,
        ..hpa.status.clone()
    };
    if let Some(p) = ready.iter().find(|p| cpu(p, false) == 0) {
        let name = p.spec.containers.first().map_or("", |c| c.name.as_str());
        let message = format!(
            "failed to get cpu utilization: missing request for cpu in container {name} of Pod {}",
            p.metadata.name
        );
        out.event = Some(("FailedGetResourceMetric", message, true));
    } else if !ready.is_empty() {
        let load = d.metadata.annotations.get(LOAD_ANNOTATION).and_then(|q| parse_milli(q).ok()).unwrap_or(0);
        let share = load / ready.len() as i128;
        let usage: Vec<(i128, i128)> = ready
            .iter()
            .map(|p| {
                let limit = cpu(p, true);
                (if limit > 0 { share.min(limit) } else { share }, cpu(p, false))
            })
            .collect();
        let used: i128 = usage.iter().map(|u| u.0).sum();
        let requested: i128 = usage.iter().map(|u| u.1).sum();
        let utilization = (used * 100 / requested.max(1)) as i32;
        let ratio = f64::from(utilization) / f64::from(want_util);
        let mut desired =
            if (ratio - 1.0).abs() <= TOLERANCE { current } else { (ratio * ready.len() as f64).ceil() as i32 };
        // Scale up by at most 100 % or 4 pods per period, whichever is more.
        desired = desired.min((2 * current).max(current + 4));
        desired = desired.clamp(hpa.spec.min_replicas.unwrap_or(1), hpa.spec.max_replicas.max(1));
        // Scale down no lower than anything recommended in the last five minutes.
        recommendations.retain(|(t, _)| now.since(*t) <= DOWNSCALE_WINDOW_US);
        recommendations.push((now, desired));
        if desired < current {
            desired = recommendations.iter().map(|r| r.1).max().unwrap_or(desired).min(current);
        }
        status.desired_replicas = desired;
        status.current_metrics = vec![MetricSpec {
            type_: "Resource".into(),
            resource: Some(ResourceMetric {
                name: "cpu".into(),
                target: None,
                current: Some(MetricValue {
                    type_: String::new(),
                    average_utilization: Some(utilization),
                    average_value: Some(format!("{}m", used / ready.len() as i128)),
                }),
            }),
        }];
        if desired != current {
            let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("deployments"), ns, &target.name)
                .with_subresource("scale");
            req.patch = Some(serde_json::json!({ "spec": { "replicas": desired } }));
            out.requests.push(req);
            status.last_scale_time = Some(Time::at(now));
            let why = if desired > current {
                "cpu resource utilization (percentage of request) above target"
            } else {
                "All metrics below target"
            };
            out.event = Some(("SuccessfulRescale", format!("New size: {desired}; reason: {why}"), false));
        }
    }
    if status != hpa.status {
        let mut next = hpa.clone();
        next.status = status;
        out.requests.extend(ApiRequest::update_status(Object::HorizontalPodAutoscaler(next)));
    }
    out
}
