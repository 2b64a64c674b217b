//! The taint eviction controller (pkg/controller/tainteviction, formerly the taint manager):
//! a pod on a node with NoExecute taints is deleted at once when it does not tolerate one of
//! them, and after the smallest tolerationSeconds of the tolerations it used otherwise —
//! 300 s for the not-ready and unreachable taints, from the DefaultTolerationSeconds
//! admission plugin. A pod tolerating them without a limit stays. When the taints go away
//! before the deadline, the eviction is cancelled.

use crate::sim::api::{Pod, Taint};
use crate::sim::time::{SimTime, SECONDS};

/// When to evict a pod from a node with these taints: None when it stays (no NoExecute taint,
/// or tolerated for ever), else the moment (`now` when something is not tolerated at all).
pub fn deadline(pod: &Pod, taints: &[Taint], now: SimTime) -> Option<SimTime> {
    let mut min_seconds: Option<i64> = None;
    let mut any = false;
    for taint in taints.iter().filter(|t| t.effect == "NoExecute") {
        any = true;
        let used: Vec<_> = pod.spec.tolerations.iter().filter(|t| t.tolerates(taint)).collect();
        if used.is_empty() {
            return Some(now);
        }
        // getMinTolerationTime: the smallest limit among the tolerations used.
        for s in used.iter().filter_map(|t| t.toleration_seconds) {
            min_seconds = Some(min_seconds.map_or(s, |m| m.min(s)));
        }
    }
    match (any, min_seconds) {
        (false, _) | (true, None) => None,
        (true, Some(s)) => Some(now.plus(s.max(0) as u64 * SECONDS)),
    }
}

/// The event message of an eviction (and of its cancellation).
pub fn marking_message(pod_key: &str) -> String {
    format!("Marking for deletion Pod {pod_key}")
}

pub fn cancelling_message(pod_key: &str) -> String {
    format!("Cancelling deletion of Pod {pod_key}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::Toleration;

    fn unreachable() -> Vec<Taint> {
        vec![Taint { key: "node.kubernetes.io/unreachable".into(), effect: "NoExecute".into(), ..Default::default() }]
    }

    #[test]
    fn tolerations_decide_when_a_pod_goes() {
        let now = SimTime::from_secs(60);
        let mut pod = Pod::default();
        assert_eq!(deadline(&pod, &unreachable(), now), Some(now), "not tolerated: evicted at once");
        pod.spec.tolerations.push(Toleration {
            key: "node.kubernetes.io/unreachable".into(),
            operator: "Exists".into(),
            effect: "NoExecute".into(),
            toleration_seconds: Some(300),
            ..Default::default()
        });
        assert_eq!(deadline(&pod, &unreachable(), now), Some(SimTime::from_secs(360)));
        pod.spec.tolerations[0].toleration_seconds = None;
        assert_eq!(deadline(&pod, &unreachable(), now), None, "tolerated for ever");
        assert_eq!(deadline(&pod, &[], now), None);
    }
}
