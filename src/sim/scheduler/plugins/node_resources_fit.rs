//! NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources): Filter checks the pod
//! count and each requested resource against what is left; Score applies the configured
//! scoringStrategy — LeastAllocated (default), MostAllocated or RequestedToCapacityRatio —
//! over weighted resources with non-zero requests. No NormalizeScore.

use crate::sim::scheduler::framework::{
    Code, NodeInfo, Resource, ResourceName, Status, WeightedResources, MAX_NODE_SCORE,
};
use std::borrow::Cow;

pub const NAME: &str = "NodeResourcesFit";
/// MaxCustomPriorityScore: shape scores are 0..10, scaled to 0..100.
const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;

#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    LeastAllocated,
    MostAllocated,
    /// The shape as (utilization 0..100, score 0..100) points, already scaled.
    RequestedToCapacityRatio(Vec<(i64, i64)>),
}

/// NodeResourcesFitArgs.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    pub strategy: Strategy,
    pub resources: WeightedResources,
    /// ignoredResources and ignoredResourceGroups: extended resources Filter does not check.
    pub ignored_resources: Vec<String>,
    pub ignored_resource_groups: Vec<String>,
}

/// The default scoringStrategy.resources: cpu and memory, weight 1 each.
pub fn default_resources() -> WeightedResources {
    vec![(ResourceName::Cpu, 1), (ResourceName::Memory, 1)]
}

impl Default for Args {
    fn default() -> Self {
        Args {
            strategy: Strategy::LeastAllocated,
            resources: default_resources(),
            ignored_resources: vec![],
            ignored_resource_groups: vec![],
        }
    }
}

impl Args {
    fn ignores(&self, name: &str) -> bool {
        self.ignored_resources.iter().any(|r| r == name)
            || name.split_once('/').is_some_and(|(group, _)| self.ignored_resource_groups.iter().any(|g| g == group))
    }
}

/// Filter with the pod's actual requests (computed once in PreFilter).
pub fn filter(pod_request: &Resource, args: &Args, node: &NodeInfo) -> Status {
    if args.ignored_resources.is_empty() && args.ignored_resource_groups.is_empty() {
        return fits_request(pod_request, node);
    }
    let mut req = pod_request.clone();
    req.scalar.retain(|name, _| !args.ignores(name));
    fits_request(&req, node)
}

/// fitsRequest: every insufficiency is reported, in upstream order.
pub fn fits_request(req: &Resource, node: &NodeInfo) -> Status {
    let mut reasons = Vec::new();
    let mut unresolvable = false;
    if node.pod_count() + 1 > node.allocatable.allowed_pods {
        reasons.push("Too many pods".into());
    }
    if !req.is_zero() {
        let mut check = |name: &str, want: i64, alloc: i64, used: i64| {
            if want > 0 && want > alloc - used {
                reasons.push(insufficient(name));
                unresolvable |= want > alloc;
            }
        };
        check("cpu", req.milli_cpu, node.allocatable.milli_cpu, node.requested.milli_cpu);
        check("memory", req.memory, node.allocatable.memory, node.requested.memory);
        check(
            "ephemeral-storage",
            req.ephemeral_storage,
            node.allocatable.ephemeral_storage,
            node.requested.ephemeral_storage,
        );
        for (name, want) in &req.scalar {
            check(name, *want, node.allocatable.get(name), node.requested.get(name));
        }
    }
    if reasons.is_empty() {
        Status::success()
    } else {
        let code = if unresolvable { Code::UnschedulableAndUnresolvable } else { Code::Unschedulable };
        Status { code, reasons }
    }
}

/// `Insufficient <resource>`, without a copy for the resources every pod requests.
fn insufficient(name: &str) -> Cow<'static, str> {
    match name {
        "cpu" => "Insufficient cpu".into(),
        "memory" => "Insufficient memory".into(),
        "ephemeral-storage" => "Insufficient ephemeral-storage".into(),
        other => format!("Insufficient {other}").into(),
    }
}

/// The (requested, allocatable) pairs the strategies score; resources with nothing allocatable
/// are skipped, and an extended resource the pod does not request counts as (0, 0).
fn pairs<'a>(
    pod_request: &'a Resource,
    node: &'a NodeInfo,
    resources: &'a [(ResourceName, i64)],
) -> impl Iterator<Item = (i64, i64, i64)> + 'a {
    resources.iter().filter_map(|(name, weight)| {
        let want = pod_request.value(name);
        if name.is_scalar() && want == 0 {
            return None;
        }
        let alloc = node.allocatable.value(name);
        (alloc != 0).then(|| (node.non_zero_requested.value(name) + want, alloc, *weight))
    })
}

/// Score for a pod's non-zero requests on a node under the configured strategy.
pub fn score(pod_non_zero: &Resource, args: &Args, node: &NodeInfo) -> i64 {
    let pairs = pairs(pod_non_zero, node, &args.resources);
    match &args.strategy {
        Strategy::LeastAllocated => weighted(pairs.map(|(r, c, w)| (least_requested_score(r, c), w))),
        Strategy::MostAllocated => weighted(pairs.map(|(r, c, w)| (most_requested_score(r, c), w))),
        Strategy::RequestedToCapacityRatio(shape) => {
            let (mut sum, mut weights) = (0.0, 0i64);
            for (r, c, w) in pairs {
                let s = if c == 0 || r > c { broken_linear(shape, 100) } else { broken_linear(shape, r * 100 / c) };
                if s > 0 {
                    sum += (s * w) as f64;
                    weights += w;
                }
            }
            if weights == 0 {
                0
            } else {
                (sum / weights as f64).round() as i64
            }
        }
    }
}

fn weighted(scores: impl Iterator<Item = (i64, i64)>) -> i64 {
    let (mut sum, mut weights) = (0, 0);
    for (s, w) in scores {
        sum += s * w;
        weights += w;
    }
    if weights == 0 {
        0
    } else {
        sum / weights
    }
}

/// leastRequestedScore: (capacity − requested) · 100 / capacity, 0 when over capacity.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// mostRequestedScore: min(requested, capacity) · 100 / capacity.
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
}

/// The configured shape (scores 0..10) scaled to node scores (0..100), as the plugin does
/// when it is built.
pub fn scale_shape(points: &[(i64, i64)]) -> Vec<(i64, i64)> {
    points.iter().map(|&(u, s)| (u, s * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE))).collect()
}

/// helper.BuildBrokenLinearFunction: linear between the points, flat outside them.
pub fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for (i, &(u, s)) in shape.iter().enumerate() {
        if p <= u {
            if i == 0 {
                return s;
            }
            let (u0, s0) = shape[i - 1];
            return s0 + (s - s0) * (p - u0) / (u - u0);
        }
    }
    shape.last().map_or(0, |&(_, s)| s)
}
