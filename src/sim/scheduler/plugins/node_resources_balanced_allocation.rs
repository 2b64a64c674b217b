//! NodeResourcesBalancedAllocation (pkg/scheduler/framework/plugins/noderesources/
//! balanced_allocation.go): favours nodes whose cpu and memory would be used in equal
//! fractions, using actual requests (no non-zero defaults). Weight 1. Scores follow the
//! ≤ v1.35 formula, `int((1 − std) · 100)`, which the upstream vectors pin.

use crate::sim::scheduler::framework::{NodeInfo, Resource, MAX_NODE_SCORE};

pub const NAME: &str = "NodeResourcesBalancedAllocation";

fn is_scalar(name: &str) -> bool {
    !matches!(name, "cpu" | "memory" | "ephemeral-storage")
}

/// PreScore: a pod requesting none of the resources (best-effort) is skipped.
pub fn skip(pod_request: &Resource, resources: &[(String, i64)]) -> bool {
    resources.iter().all(|(name, _)| pod_request.get(name) == 0)
}

pub fn score(pod_request: &Resource, node: &NodeInfo, resources: &[(String, i64)]) -> i64 {
    let mut fractions = Vec::with_capacity(resources.len());
    for (name, _) in resources {
        let want = pod_request.get(name);
        let alloc = node.allocatable.get(name);
        if alloc == 0 || (is_scalar(name) && want == 0) {
            continue;
        }
        let requested = node.requested.get(name) + want;
        fractions.push((requested as f64 / alloc as f64).min(1.0));
    }
    let std = match fractions.len() {
        0 | 1 => 0.0,
        2 => (fractions[0] - fractions[1]).abs() / 2.0,
        n => {
            let mean = fractions.iter().sum::<f64>() / n as f64;
            (fractions.iter().map(|f| (f - mean) * (f - mean)).sum::<f64>() / n as f64).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}
