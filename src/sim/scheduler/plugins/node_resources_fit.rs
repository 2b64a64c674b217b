//! NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources/fit.go and
//! least_allocated.go): Filter checks the pod count and each requested resource against what
//! is left; Score uses the default LeastAllocated strategy over cpu and memory (weight 1 each)
//! with non-zero requests. No NormalizeScore.

use crate::sim::api::Pod;
use crate::sim::scheduler::framework::{
    pod_non_zero_requests, pod_requests, Code, NodeInfo, Resource, Status, MAX_NODE_SCORE,
};

pub const NAME: &str = "NodeResourcesFit";
pub const WEIGHT: i64 = 1;

/// The default scoringStrategy.resources.
pub const DEFAULT_RESOURCES: [(&str, i64); 2] = [("cpu", 1), ("memory", 1)];

pub fn filter(pod: &Pod, node: &NodeInfo) -> Status {
    fits_request(&pod_requests(pod), node)
}

/// fitsRequest: every insufficiency is reported, in upstream order.
pub fn fits_request(req: &Resource, node: &NodeInfo) -> Status {
    let mut reasons = Vec::new();
    let mut unresolvable = false;
    if node.pod_count + 1 > node.allocatable.allowed_pods {
        reasons.push("Too many pods".to_string());
    }
    if !req.is_zero() {
        let mut check = |name: &str, want: i64, alloc: i64, used: i64| {
            if want > 0 && want > alloc - used {
                reasons.push(format!("Insufficient {name}"));
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

/// leastRequestedScore: (capacity − requested) · 100 / capacity, 0 when over capacity.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// LeastAllocated over weighted resources; resources with zero allocatable are skipped.
pub fn least_allocated(
    pod_request: &Resource,
    node_requested: &Resource,
    allocatable: &Resource,
    resources: &[(&str, i64)],
) -> i64 {
    let (mut score, mut weights) = (0, 0);
    for (name, weight) in resources {
        let alloc = allocatable.get(name);
        let is_scalar = !matches!(*name, "cpu" | "memory" | "ephemeral-storage");
        let pod_req = pod_request.get(name);
        let (req, alloc) = if is_scalar && pod_req == 0 { (0, 0) } else { (node_requested.get(name) + pod_req, alloc) };
        if alloc == 0 {
            continue;
        }
        score += least_requested_score(req, alloc) * weight;
        weights += weight;
    }
    if weights == 0 {
        0
    } else {
        score / weights
    }
}

pub fn score(pod: &Pod, node: &NodeInfo) -> i64 {
    least_allocated(&pod_non_zero_requests(pod), &node.non_zero_requested, &node.allocatable, &DEFAULT_RESOURCES)
}
