//! The Eviction API's budget check (pkg/registry/core/pod/storage/eviction.go): evicting a pod
//! that a PodDisruptionBudget selects spends one of the budget's allowed disruptions — the
//! budget's status is written (a compare-and-swap, like a quota charge) before the pod is
//! deleted — or is refused with 429 when none are left. Terminal and already-deleting pods go
//! without a check; an unready pod may go while the budget is healthy (the default
//! unhealthyPodEvictionPolicy, IfHealthyBudget) without spending anything.

use crate::sim::api::meta::Time;
use crate::sim::api::request::Status;
use crate::sim::api::{Object, Pod, PodDisruptionBudget};
use crate::sim::time::SimTime;

pub const VIOLATION: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

/// The budget to write before the eviction (with one disruption spent), none, or the refusal.
pub fn spend<'a>(
    pod: &Pod,
    budgets: impl Iterator<Item = &'a Object>,
    now: SimTime,
) -> Result<Option<PodDisruptionBudget>, Status> {
    if pod.is_terminal() || pod.metadata.deletion_timestamp.is_some() {
        return Ok(None);
    }
    let matching: Vec<&PodDisruptionBudget> = budgets
        .filter_map(|o| match o {
            Object::PodDisruptionBudget(b) if b.metadata.namespace == pod.metadata.namespace => Some(b),
            _ => None,
        })
        .filter(|b| b.spec.selector.as_ref().is_some_and(|s| s.matches(&pod.metadata.labels)))
        .collect();
    let budget = match matching.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => {
            return Err(Status::internal(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
                    .into(),
            ))
        }
    };
    let status = &budget.status;
    let refuse = |cause: String| {
        let mut s = Status::too_many_requests();
        s.message = VIOLATION.into();
        s.causes = vec![cause];
        s
    };
    if status.observed_generation < budget.metadata.generation {
        return Err(refuse(format!(
            "The disruption budget {} is still being processed by the server.",
            budget.metadata.name
        )));
    }
    if !pod.is_ready() && status.current_healthy >= status.desired_healthy {
        return Ok(None);
    }
    if status.disruptions_allowed <= 0 {
        return Err(refuse(format!(
            "The disruption budget {} needs {} healthy pods and has {} currently",
            budget.metadata.name, status.desired_healthy, status.current_healthy
        )));
    }
    let mut spent = budget.clone();
    spent.status.disruptions_allowed -= 1;
    spent.status.disrupted_pods.insert(pod.metadata.name.clone(), Time::at(now));
    Ok(Some(spent))
}
