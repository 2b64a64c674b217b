//! NodeResourcesBalancedAllocation (pkg/scheduler/framework/plugins/noderesources/
//! balanced_allocation.go): favours nodes whose cpu and memory would be used in equal
//! fractions, using actual requests (no non-zero defaults). Weight 1. Scores follow the
//! ≤ v1.35 formula, `int((1 − std) · 100)`, which the upstream vectors pin.

use crate::sim::scheduler::framework::{NodeInfo, Resource, ResourceName, MAX_NODE_SCORE};

pub const NAME: &str = "NodeResourcesBalancedAllocation";

/// PreScore: a pod requesting none of the resources (best-effort) is skipped.
pub fn skip(pod_request: &Resource, resources: &[(ResourceName, i64)]) -> bool {
    resources.iter().all(|(name, _)| pod_request.value(name) == 0)
}

pub fn score(pod_request: &Resource, node: &NodeInfo, resources: &[(ResourceName, i64)]) -> i64 {
    let fractions = || {
        resources.iter().filter_map(|(name, _)| {
            let want = pod_request.value(name);
            let alloc = node.allocatable.value(name);
            if alloc == 0 || (name.is_scalar() && want == 0) {
                return None;
            }
            Some(((node.requested.value(name) + want) as f64 / alloc as f64).min(1.0))
        })
    };
    let (n, sum) = fractions().fold((0usize, 0.0), |(n, s), f| (n + 1, s + f));
    let std = match n {
        0 | 1 => 0.0,
        2 => {
            let mut two = fractions();
            let (a, b) = (two.next().unwrap_or(0.0), two.next().unwrap_or(0.0));
            (a - b).abs() / 2.0
        }
        n => {
            let mean = sum / n as f64;
            (fractions().map(|f| (f - mean) * (f - mean)).sum::<f64>() / n as f64).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}
