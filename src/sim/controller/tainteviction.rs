//! The taint eviction controller (pkg/controller/tainteviction, formerly the taint manager):
//! a pod on a node with NoExecute taints is deleted at once when it does not tolerate one of
//! them, and after the smallest tolerationSeconds of the tolerations it used otherwise —
//! 300 s for the not-ready and unreachable taints, from the DefaultTolerationSeconds
//! admission plugin. A pod tolerating them without a limit stays. When the taints go away
//! before the deadline, the eviction is cancelled.

use super::Loop;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Pod, Taint};
use crate::sim::event::Timer;
use crate::sim::recorder;
use crate::sim::time::{SimTime, SECONDS};
use crate::sim::Ctx;

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

/// The controller's event source.
pub const TAINT_EVICTION: &str = "taint-eviction-controller";

/// The loop itself, on the controller-manager's informers.
impl super::ControllerManager {
    /// processPodOnNode: schedule, keep or cancel the pod's eviction.
    pub(super) fn check_eviction(&mut self, ctx: &mut Ctx, key: &str) {
        let Some(pod) = self.pods.get(key).and_then(|o| o.as_pod()) else { return };
        if pod.metadata.deletion_timestamp.is_some() {
            self.evictions.remove(key);
            return;
        }
        let taints = self.nodes.get(&pod.spec.node_name).and_then(|o| o.as_node()).map(|n| n.spec.taints.clone());
        let due = deadline(pod, &taints.unwrap_or_default(), ctx.now);
        match (due, self.evictions.get(key).copied()) {
            (None, Some(_)) => {
                self.evictions.remove(key);
                let on = recorder::reference("Pod", &pod.metadata);
                let message = cancelling_message(key);
                self.record(ctx, TAINT_EVICTION, on, recorder::NORMAL, "TaintManagerEviction", message);
            }
            (Some(at), None) => {
                self.evictions.insert(key.to_string(), at);
                let token = self.next_retry;
                self.next_retry += 1;
                self.retries.insert(token, (Loop::TaintEviction, key.to_string()));
                ctx.timer(at.since(ctx.now), Timer::Retry { token });
            }
            _ => {}
        }
    }

    /// The eviction of `key` is due: delete the pod (gracefully) and say so.
    pub(super) fn evict(&mut self, ctx: &mut Ctx, key: &str) -> Vec<ApiRequest> {
        let now = ctx.now;
        let Some(at) = self.evictions.get(key).copied() else { return vec![] };
        let Some(pod) = self.pods.get(key).and_then(|o| o.as_pod()) else {
            self.evictions.remove(key);
            return vec![];
        };
        if at > now {
            return vec![];
        }
        self.evictions.remove(key);
        let res = ResourceInfo::of("pods");
        let delete = ApiRequest::new(Verb::Delete, res, &pod.metadata.namespace, &pod.metadata.name);
        let on = recorder::reference("Pod", &pod.metadata);
        let message = marking_message(key);
        self.record(ctx, TAINT_EVICTION, on, recorder::NORMAL, "TaintManagerEviction", message);
        vec![delete]
    }
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
