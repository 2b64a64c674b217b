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
    // The usage fraction of each resource the node has and the pod asks for; the usual few
    // (cpu and memory by default) stay on the stack.
    let mut stack = [0.0f64; 8];
    let mut heap = Vec::new();
    let f: &mut [f64] = if resources.len() <= stack.len() {
        &mut stack
    } else {
        heap.resize(resources.len(), 0.0);
        &mut heap
    };
    let mut n = 0;
    for (name, _) in resources {
        let want = pod_request.value(name);
        let alloc = node.allocatable.value(name);
        if alloc == 0 || (name.is_scalar() && want == 0) {
            continue;
        }
        f[n] = ((node.requested.value(name) + want) as f64 / alloc as f64).min(1.0);
        n += 1;
    }
    let f = &f[..n];
    let std = match n {
        0 | 1 => 0.0,
        2 => (f[0] - f[1]).abs() / 2.0,
        n => {
            let mean = f.iter().sum::<f64>() / n as f64;
            (f.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}
