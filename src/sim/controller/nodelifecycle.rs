//! The node lifecycle controller (pkg/controller/nodelifecycle): every --node-monitor-period
//! (5 s) it checks each node's heartbeat — the kubelet's Lease renewals and Ready posts, as
//! this controller observed them — and after --node-monitor-grace-period without one marks
//! the node's Ready condition Unknown ("Kubelet stopped posting node status."), marks its
//! pods not ready, and taints it `node.kubernetes.io/unreachable` (NoSchedule, so nothing new
//! lands there, and NoExecute, which the taint eviction controller acts on). A Ready=False
//! node gets the `not-ready` taints instead; a Ready node loses both.
//! Not modelled: zone states and --node-eviction-rate (they throttle NoExecute tainting when
//! many nodes fail at once), the other node conditions.

use super::Tag;
use crate::sim::api::meta::Time;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Condition, Lease, Node, Object, Pod, Taint};
use crate::sim::recorder;
use crate::sim::time::{SimTime, SECONDS};
use crate::sim::Ctx;

/// --node-monitor-period.
pub const NODE_MONITOR_PERIOD_US: u64 = 5 * SECONDS;
/// --node-monitor-grace-period: 50 s since Kubernetes v1.32 (40 s before).
pub const NODE_MONITOR_GRACE_PERIOD_US: u64 = 50 * SECONDS;

pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";

/// What the controller last observed of a node's heartbeat (nodeHealthData).
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    /// When this controller last saw the node alive (probeTimestamp).
    pub probe: SimTime,
    renew: Option<crate::sim::api::MicroTime>,
    ready: Option<String>,
}

impl Health {
    pub fn new(now: SimTime) -> Self {
        Health { probe: now, renew: None, ready: None }
    }

    /// A lease renewal or a new Ready status counts as a heartbeat when it changed.
    pub fn observe(&mut self, now: SimTime, node: Option<&Node>, lease: Option<&Lease>) {
        let renew = lease.and_then(|l| l.spec.renew_time);
        let ready =
            node.and_then(|n| n.condition("Ready")).map(|c| format!("{}{:?}", c.status, c.last_transition_time));
        if (renew.is_some() && renew != self.renew) || (ready.is_some() && ready != self.ready) {
            self.probe = now;
        }
        self.renew = renew;
        self.ready = ready;
    }
}

/// The Ready condition's status as the taints should follow it: "True", "False" or "Unknown".
fn ready_status(node: &Node) -> &str {
    node.condition("Ready").map_or("Unknown", |c| c.status.as_str())
}

/// Whether the grace period ran out for a node still posted Ready (or not ready): then its
/// Ready condition becomes Unknown. Returns the status patch.
pub fn mark_unknown(node: &Node, health: &Health, now: SimTime) -> Option<ApiRequest> {
    if now.since(health.probe) <= NODE_MONITOR_GRACE_PERIOD_US || ready_status(node) == "Unknown" {
        return None;
    }
    let conditions = vec![Condition {
        type_: "Ready".into(),
        status: "Unknown".into(),
        reason: "NodeStatusUnknown".into(),
        message: "Kubelet stopped posting node status.".into(),
        last_transition_time: Some(Time::at(now)),
    }];
    let mut req =
        ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", &node.metadata.name).with_subresource("status");
    req.patch = Some(serde_json::json!({ "status": { "conditions": conditions } }));
    Some(req)
}

/// The node's taints as its Ready condition asks (TaintNodesByCondition and the NoExecute
/// tainting pass): the patch when they differ from what the node has.
pub fn taint_patch(node: &Node, now: SimTime) -> Option<ApiRequest> {
    let wanted = match ready_status(node) {
        "True" => None,
        "False" => Some(NOT_READY),
        _ => Some(UNREACHABLE),
    };
    let ours = |t: &Taint| t.key == UNREACHABLE || t.key == NOT_READY;
    let mut taints: Vec<Taint> = node.spec.taints.iter().filter(|t| !ours(t)).cloned().collect();
    if let Some(key) = wanted {
        for effect in ["NoSchedule", "NoExecute"] {
            let kept = node.spec.taints.iter().find(|t| t.key == key && t.effect == effect);
            taints.push(kept.cloned().unwrap_or_else(|| Taint {
                key: key.into(),
                value: String::new(),
                effect: effect.into(),
                time_added: (effect == "NoExecute").then(|| Time::at(now)),
            }));
        }
    }
    if taints == node.spec.taints {
        return None;
    }
    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", &node.metadata.name);
    req.patch = Some(serde_json::json!({ "spec": { "taints": taints } }));
    Some(req)
}

/// MarkPodsNotReady: the status patch that sets a ready pod's Ready condition False.
pub fn mark_pod_not_ready(pod: &Pod, now: SimTime) -> Option<ApiRequest> {
    if !pod.is_ready() {
        return None;
    }
    let conditions: Vec<Condition> = pod
        .status
        .conditions
        .iter()
        .map(|c| {
            if c.type_ == "Ready" {
                Condition { status: "False".into(), last_transition_time: Some(Time::at(now)), ..c.clone() }
            } else {
                c.clone()
            }
        })
        .collect();
    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("pods"), &pod.metadata.namespace, &pod.metadata.name)
        .with_subresource("status");
    req.patch = Some(serde_json::json!({ "status": { "conditions": conditions } }));
    Some(req)
}

/// The controller's event source.
pub const NODE_CONTROLLER: &str = "node-controller";

/// The loop itself, on the controller-manager's informers.
impl super::ControllerManager {
    /// monitorNodeHealth: nodes silent for the grace period become Unknown; their pods are
    /// marked not ready.
    pub(super) fn monitor_node_health(&mut self, ctx: &mut Ctx) {
        let nodes: Vec<String> = self.nodes.store.keys().cloned().collect();
        for name in nodes {
            let Some(node) = self.nodes.store.get(&name).and_then(|o| o.as_node()).cloned() else { continue };
            let lease = self.leases.store.get(&format!("kube-node-lease/{name}")).and_then(|o| match o {
                Object::Lease(l) => Some(l),
                _ => None,
            });
            let Some(h) = self.health.get_mut(&name) else { continue };
            h.observe(ctx.now, Some(&node), lease);
            let Some(req) = mark_unknown(&node, h, ctx.now) else { continue };
            ctx.phase("nodelifecycle", format!("{name}: no heartbeat for 50s, Ready → Unknown"));
            self.client.send(ctx, 0, req, Tag::Note);
            let on = recorder::reference("Node", &node.metadata);
            let message = format!("Node {name} status is now: NodeNotReady");
            self.record(ctx, NODE_CONTROLLER, on, recorder::NORMAL, "NodeNotReady", message);
            let pods: Vec<_> =
                self.pods.objects().filter_map(|o| o.as_pod()).filter(|p| p.spec.node_name == name).cloned().collect();
            for p in pods {
                if let Some(req) = mark_pod_not_ready(&p, ctx.now) {
                    self.client.send(ctx, 0, req, Tag::Note);
                    let on = recorder::reference("Pod", &p.metadata);
                    self.record(
                        ctx,
                        NODE_CONTROLLER,
                        on,
                        recorder::WARNING,
                        "NodeNotReady",
                        "Node is not ready".into(),
                    );
                }
            }
        }
    }

    /// A node changed: keep its taints in step with its Ready condition, and review the
    /// evictions of its pods.
    pub(super) fn node_changed(&mut self, ctx: &mut Ctx, name: &str) {
        let Some(node) = self.nodes.store.get(name).and_then(|o| o.as_node()).cloned() else { return };
        if let Some(h) = self.health.get_mut(name) {
            h.observe(ctx.now, Some(&node), None);
        }
        if let Some(req) = taint_patch(&node, ctx.now) {
            ctx.phase("nodelifecycle", format!("{name}: taints follow Ready={}", ready_of(&node)));
            self.client.send(ctx, 0, req, Tag::Note);
        }
        let pods: Vec<String> = self
            .pods
            .objects()
            .filter_map(|o| o.as_pod())
            .filter(|p| p.spec.node_name == name)
            .map(|p| crate::sim::api::meta::cache_key(&p.metadata.namespace, &p.metadata.name))
            .collect();
        for key in pods {
            self.check_eviction(ctx, &key);
        }
    }
}

fn ready_of(node: &Node) -> &str {
    node.condition("Ready").map_or("Unknown", |c| c.status.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(ready: &str) -> Node {
        let mut n = Node::default();
        n.metadata.name = "worker-1".into();
        n.status.conditions.push(Condition { type_: "Ready".into(), status: ready.into(), ..Default::default() });
        n
    }

    #[test]
    fn unknown_after_the_grace_period_then_unreachable_taints() {
        let mut h = Health::new(SimTime::ZERO);
        let n = node("True");
        h.observe(SimTime::ZERO, Some(&n), None);
        assert!(mark_unknown(&n, &h, SimTime::from_secs(50)).is_none(), "50 s is still within the grace period");
        let req = mark_unknown(&n, &h, SimTime::from_secs(51)).expect("past the grace period");
        let patch = req.patch.unwrap_or_default();
        assert_eq!(patch["status"]["conditions"][0]["reason"], "NodeStatusUnknown");
        assert!(taint_patch(&n, SimTime::ZERO).is_none(), "a Ready node keeps its taints");
        let taints = taint_patch(&node("Unknown"), SimTime::from_secs(55)).and_then(|r| r.patch).unwrap_or_default();
        let list = taints["spec"]["taints"].as_array().cloned().unwrap_or_default();
        assert_eq!(list.len(), 2);
        assert_eq!((list[1]["key"].as_str(), list[1]["effect"].as_str()), (Some(UNREACHABLE), Some("NoExecute")));
        assert!(list[1]["timeAdded"].is_string());
    }
}
