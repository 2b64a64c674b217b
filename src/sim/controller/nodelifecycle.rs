//! The node lifecycle controller (pkg/controller/nodelifecycle): every --node-monitor-period
//! (5 s) it checks each node's heartbeat — the kubelet's Lease renewals and Ready posts, as
//! this controller observed them — and after --node-monitor-grace-period without one marks
//! the node's Ready condition Unknown ("Kubelet stopped posting node status."), marks its
//! pods not ready, and taints it `node.kubernetes.io/unreachable` (NoSchedule, so nothing new
//! lands there, and NoExecute, which the taint eviction controller acts on). A Ready=False
//! node gets the `not-ready` taints instead; a Ready node loses both.
//! The NoExecute taint — the one that evicts — is rate-limited per zone
//! (`topology.kubernetes.io/zone`): --node-eviction-rate 0.1 nodes/s in a healthy zone; in a
//! zone where more than 55 % (--unhealthy-zone-threshold) and over two nodes are not ready,
//! --secondary-node-eviction-rate 0.01/s if it has over 50 nodes
//! (--large-cluster-size-threshold), else none; none at all when every zone is down (the
//! control plane, not the nodes, is then the likely culprit).
//! TaintNodesByCondition also gives a node under MemoryPressure the
//! `node.kubernetes.io/memory-pressure:NoSchedule` taint, lifted when the condition clears.

use super::Tag;
use crate::sim::api::meta::Time;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Condition, Lease, Node, Object, Pod, Taint};
use crate::sim::recorder;
use crate::sim::time::{SimTime, SECONDS};
use crate::sim::Ctx;
use std::ops::Bound;

/// --node-monitor-period.
pub const NODE_MONITOR_PERIOD_US: u64 = 5 * SECONDS;
/// --node-monitor-grace-period: 50 s since Kubernetes v1.32 (40 s before).
pub const NODE_MONITOR_GRACE_PERIOD_US: u64 = 50 * SECONDS;

pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";

/// --node-eviction-rate and --secondary-node-eviction-rate, nodes per second.
const EVICTION_RATE: f64 = 0.1;
const SECONDARY_EVICTION_RATE: f64 = 0.01;
/// --unhealthy-zone-threshold and --large-cluster-size-threshold.
const UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;
const LARGE_CLUSTER_SIZE_THRESHOLD: usize = 50;
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// A zone's health, as ComputeZoneState judges it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    Normal,
    PartialDisruption,
    FullDisruption,
}

pub fn zone_state(ready: usize, not_ready: usize) -> ZoneState {
    let total = ready + not_ready;
    if ready == 0 && not_ready > 0 {
        ZoneState::FullDisruption
    } else if not_ready > 2 && not_ready as f64 / total.max(1) as f64 >= UNHEALTHY_ZONE_THRESHOLD {
        ZoneState::PartialDisruption
    } else {
        ZoneState::Normal
    }
}

/// The NoExecute tainting rate of a zone (nodes per second).
pub fn eviction_rate(state: ZoneState, zone_size: usize, all_zones_down: bool) -> f64 {
    match state {
        _ if all_zones_down => 0.0,
        ZoneState::Normal | ZoneState::FullDisruption => EVICTION_RATE,
        ZoneState::PartialDisruption if zone_size > LARGE_CLUSTER_SIZE_THRESHOLD => SECONDARY_EVICTION_RATE,
        ZoneState::PartialDisruption => 0.0,
    }
}

/// A zone's token bucket (burst 1, as evictionLimiterBurst): may one more node be tainted?
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZoneLimiter {
    tokens: f64,
    at: SimTime,
    pub rate: f64,
}

impl ZoneLimiter {
    pub fn new(now: SimTime) -> Self {
        ZoneLimiter { tokens: 1.0, at: now, rate: EVICTION_RATE }
    }

    pub fn try_accept(&mut self, now: SimTime) -> bool {
        let elapsed = now.since(self.at) as f64 / SECONDS as f64;
        self.tokens = (self.tokens + elapsed * self.rate).min(1.0);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the controller last observed of a node's heartbeat (nodeHealthData).
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    /// When this controller last saw the node alive (probeTimestamp).
    pub probe: SimTime,
    renew: Option<crate::sim::api::MicroTime>,
    /// The Ready condition's status and last transition.
    ready: Option<(String, Option<crate::sim::api::meta::Time>)>,
}

impl Health {
    pub fn new(now: SimTime) -> Self {
        Health { probe: now, renew: None, ready: None }
    }

    /// A lease renewal or a new Ready status counts as a heartbeat when it changed.
    /// Returns whether the probe time moved.
    pub fn observe(&mut self, now: SimTime, node: Option<&Node>, lease: Option<&Lease>) -> bool {
        let renew = lease.and_then(|l| l.spec.renew_time);
        let ready = node.and_then(|n| n.condition("Ready")).map(|c| (c.status.as_str(), c.last_transition_time));
        let ready_changed = ready.is_some_and(|(s, t)| self.ready.as_ref().is_none_or(|(s0, t0)| s0 != s || *t0 != t));
        let moved = ((renew.is_some() && renew != self.renew) || ready_changed) && self.probe != now;
        if moved {
            self.probe = now;
        }
        self.renew = renew;
        match ready {
            None => self.ready = None,
            Some((s, t)) if ready_changed => self.ready = Some((s.to_string(), t)),
            Some(_) => {}
        }
        moved
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
    // Every condition the kubelet posts becomes Unknown.
    let unknown = |type_: &str| Condition {
        type_: type_.into(),
        status: "Unknown".into(),
        reason: "NodeStatusUnknown".into(),
        message: "Kubelet stopped posting node status.".into(),
        last_transition_time: Some(Time::at(now)),
    };
    let mut conditions: Vec<Condition> =
        node.status.conditions.iter().filter(|c| c.type_ != "Ready").map(|c| unknown(&c.type_)).collect();
    conditions.push(unknown("Ready"));
    let mut req =
        ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", &node.metadata.name).with_subresource("status");
    req.patch = Some(serde_json::json!({ "status": { "conditions": conditions } }));
    Some(req)
}

/// The node's taints as its Ready condition asks (TaintNodesByCondition and the NoExecute
/// tainting pass): the patch when they differ from what the node has. A new NoExecute taint
/// is added only if `may_evict` lets it (the zone's rate limiter); the second value tells that
/// one is still due.
pub fn taint_patch(node: &Node, now: SimTime, may_evict: &mut dyn FnMut() -> bool) -> (Option<ApiRequest>, bool) {
    let wanted = match ready_status(node) {
        "True" => None,
        "False" => Some(NOT_READY),
        _ => Some(UNREACHABLE),
    };
    let ours = |t: &Taint| t.key == UNREACHABLE || t.key == NOT_READY || t.key == MEMORY_PRESSURE;
    let mut taints: Vec<Taint> = node.spec.taints.iter().filter(|t| !ours(t)).cloned().collect();
    let mut deferred = false;
    if node.condition("MemoryPressure").is_some_and(|c| c.status == "True") {
        let kept = node.spec.taints.iter().find(|t| t.key == MEMORY_PRESSURE && t.effect == "NoSchedule");
        taints.push(kept.cloned().unwrap_or_else(|| Taint {
            key: MEMORY_PRESSURE.into(),
            value: String::new(),
            effect: "NoSchedule".into(),
            time_added: None,
        }));
    }
    if let Some(key) = wanted {
        for effect in ["NoSchedule", "NoExecute"] {
            let kept = node.spec.taints.iter().find(|t| t.key == key && t.effect == effect);
            if kept.is_none() && effect == "NoExecute" && !may_evict() {
                deferred = true;
                continue;
            }
            taints.push(kept.cloned().unwrap_or_else(|| Taint {
                key: key.into(),
                value: String::new(),
                effect: effect.into(),
                time_added: (effect == "NoExecute").then(|| Time::at(now)),
            }));
        }
    }
    if taints == node.spec.taints {
        return (None, deferred);
    }
    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", &node.metadata.name);
    req.patch = Some(serde_json::json!({ "spec": { "taints": taints } }));
    (Some(req), deferred)
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
    /// A node the controller has not tracked yet gets its health record and, as upstream's
    /// monitorNodeHealth records for every node it adds, a RegisteredNode event.
    pub(super) fn track_node(&mut self, ctx: &mut Ctx, name: &str) {
        if self.health.get(name).is_some() {
            return;
        }
        self.health.insert(name.to_string(), Health::new(ctx.now));
        if let Some(node) = self.nodes.get(name).and_then(|o| o.as_node()) {
            let on = recorder::reference("Node", &node.metadata);
            let message = format!("Node {name} event: Registered Node {name} in Controller");
            self.record(ctx, NODE_CONTROLLER, on, recorder::NORMAL, "RegisteredNode", message);
        }
    }

    pub(super) fn monitor_node_health(&mut self, ctx: &mut Ctx) {
        self.update_zone_limiters(ctx.now);
        // Nodes whose NoExecute taint the limiter held back get another chance.
        for name in std::mem::take(&mut self.taint_due).iter() {
            self.node_changed(ctx, name);
        }
        for (name, o, req) in self.observe_heartbeats(ctx.now) {
            let Some(node) = o.as_node() else { continue };
            ctx.phase("nodelifecycle", format!("{name}: no heartbeat for 50s, Ready → Unknown"));
            self.client.send(ctx, 0, req, Tag::Note);
            let on = recorder::reference("Node", &node.metadata);
            let message = format!("Node {name} status is now: NodeNotReady");
            self.record(ctx, NODE_CONTROLLER, on, recorder::NORMAL, "NodeNotReady", message);
            let pods: Vec<_> = self.pods.on_node(&name).filter_map(|o| o.as_pod()).cloned().collect();
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

    /// Reads every node's heartbeat where it is; returns the nodes whose grace period ran out
    /// (copied, to be marked) with their patches. The nodes, their Leases and their health
    /// records are all kept in name order: one pass over the three, not two lookups per node.
    fn observe_heartbeats(&mut self, now: SimTime) -> Vec<(String, std::sync::Arc<Object>, ApiRequest)> {
        let mut silent = Vec::new();
        let node_leases = self.leases.store.range::<str, _>((Bound::Included(NODE_LEASES), Bound::Unbounded));
        let mut leases = along(node_leases.map_while(|(k, o)| Some((k.strip_prefix(NODE_LEASES)?, o.as_ref()))));
        let mut health = along(self.health.iter_mut().map(|(k, h)| (k.as_str(), h)));
        for (name, o) in &self.nodes.store {
            let Some(node) = o.as_node() else { continue };
            let lease = leases.at(name).and_then(|o| match o {
                Object::Lease(l) => Some(l),
                _ => None,
            });
            let Some(h) = health.at(name) else { continue };
            self.probes_moved += u64::from(h.observe(now, Some(node), lease));
            if let Some(req) = mark_unknown(node, h, now) {
                silent.push((name.clone(), o.clone(), req));
            }
        }
        silent
    }

    /// A node changed: keep its taints in step with its Ready condition, and review the
    /// evictions of its pods.
    pub(super) fn node_changed(&mut self, ctx: &mut Ctx, name: &str) {
        // The store's own object (an `Arc`), not a copy.
        let Some(object) = self.nodes.store.get(name).cloned() else { return };
        let Some(node) = object.as_node() else { return };
        if let Some(h) = self.health.get_mut(name) {
            self.probes_moved += u64::from(h.observe(ctx.now, Some(node), None));
        }
        let zone = node.metadata.labels.get(ZONE_LABEL).cloned().unwrap_or_default();
        let now = ctx.now;
        let evicting =
            node.spec.taints.iter().any(|t| t.effect == "NoExecute" && (t.key == UNREACHABLE || t.key == NOT_READY));
        if ready_of(node) != "True" && !evicting {
            // A node about to be tainted NoExecute: judge its zone as it is now.
            self.update_zone_limiters(now);
        }
        let limiter = self.zone_limiters.entry(zone).or_insert_with(|| ZoneLimiter::new(now));
        let (patch, deferred) = taint_patch(node, now, &mut || limiter.try_accept(now));
        if let Some(req) = patch {
            ctx.phase("nodelifecycle", format!("{name}: taints follow Ready={}", ready_of(node)));
            self.client.send(ctx, 0, req, Tag::Note);
        }
        if deferred {
            ctx.phase("nodelifecycle", format!("{name}: NoExecute taint waits for the zone's eviction rate limit"));
            self.taint_due.insert(name.to_string());
        }
        let pods: Vec<String> = self
            .pods
            .on_node(name)
            .filter_map(|o| o.as_pod())
            .map(|p| crate::sim::api::meta::cache_key(&p.metadata.namespace, &p.metadata.name))
            .collect();
        for key in pods {
            self.check_eviction(ctx, &key);
        }
    }
}

impl super::ControllerManager {
    /// handleDisruption: each zone's state sets its tainting rate. A node counts as not ready
    /// once this controller has judged it so, even before its Unknown status is written back.
    fn update_zone_limiters(&mut self, now: SimTime) {
        // Judged already with the same nodes, probes and time (a relist passes every node
        // through here at once): the same states.
        let inputs = (now, self.nodes.last_rv, self.nodes.store.len(), self.probes_moved);
        if self.zones_judged == Some(inputs) {
            return;
        }
        self.zones_judged = Some(inputs);
        let mut zones: crate::sim::vecmap::VecMap<&str, (usize, usize)> = Default::default();
        let mut health = along(self.health.iter().map(|(k, h)| (k.as_str(), h)));
        for n in self.nodes.objects().filter_map(|o| o.as_node()) {
            let zone = n.metadata.labels.get(ZONE_LABEL).map_or("", String::as_str);
            let counts = zones.entry(zone).or_default();
            let silent = health.at(&n.metadata.name).is_some_and(|h| now.since(h.probe) > NODE_MONITOR_GRACE_PERIOD_US);
            if ready_of(n) == "True" && !silent {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
        let states: Vec<(String, ZoneState, usize)> =
            zones.iter().map(|(z, (r, nr))| (z.to_string(), zone_state(*r, *nr), r + nr)).collect();
        let all_down = !states.is_empty() && states.iter().all(|(_, s, _)| *s == ZoneState::FullDisruption);
        for (zone, state, size) in states {
            let limiter = self.zone_limiters.entry(zone).or_insert_with(|| ZoneLimiter::new(now));
            limiter.rate = eviction_rate(state, size, all_down);
        }
    }
}

/// The node Leases' keys in the controller's lease informer.
const NODE_LEASES: &str = "kube-node-lease/";

/// Entries in name order, walked alongside another name-ordered walk (the nodes).
struct Along<'a, V, I: Iterator<Item = (&'a str, V)>>(std::iter::Peekable<I>);

fn along<'a, V, I: Iterator<Item = (&'a str, V)>>(entries: I) -> Along<'a, V, I> {
    Along(entries.peekable())
}

impl<'a, V, I: Iterator<Item = (&'a str, V)>> Along<'a, V, I> {
    /// The entry named `name`, if any; asked for in ascending order, it skips what lies before.
    fn at(&mut self, name: &str) -> Option<V> {
        while let Some((k, _)) = self.0.peek() {
            match (*k).cmp(name) {
                std::cmp::Ordering::Less => {
                    self.0.next();
                }
                std::cmp::Ordering::Equal => return self.0.next().map(|(_, v)| v),
                std::cmp::Ordering::Greater => return None,
            }
        }
        None
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
        assert!(taint_patch(&n, SimTime::ZERO, &mut || true).0.is_none(), "a Ready node keeps its taints");
        let taints = taint_patch(&node("Unknown"), SimTime::from_secs(55), &mut || true)
            .0
            .and_then(|r| r.patch)
            .unwrap_or_default();
        let list = taints["spec"]["taints"].as_array().cloned().unwrap_or_default();
        assert_eq!(list.len(), 2);
        assert_eq!((list[1]["key"].as_str(), list[1]["effect"].as_str()), (Some(UNREACHABLE), Some("NoExecute")));
        assert!(list[1]["timeAdded"].is_string());
        // Held back by the limiter: only NoSchedule now, NoExecute still due.
        let (req, due) = taint_patch(&node("Unknown"), SimTime::from_secs(55), &mut || false);
        let list =
            req.and_then(|r| r.patch).unwrap_or_default()["spec"]["taints"].as_array().cloned().unwrap_or_default();
        assert_eq!((list.len(), due), (1, true));
    }

    #[test]
    fn zones_throttle_evictions_as_upstream() {
        assert_eq!(zone_state(10, 0), ZoneState::Normal);
        assert_eq!(zone_state(8, 2), ZoneState::Normal, "two not ready is never a disruption");
        assert_eq!(zone_state(4, 6), ZoneState::PartialDisruption);
        assert_eq!(zone_state(0, 3), ZoneState::FullDisruption);
        assert_eq!(eviction_rate(ZoneState::Normal, 10, false), 0.1);
        assert_eq!(eviction_rate(ZoneState::PartialDisruption, 100, false), 0.01);
        assert_eq!(eviction_rate(ZoneState::PartialDisruption, 10, false), 0.0);
        assert_eq!(eviction_rate(ZoneState::FullDisruption, 10, true), 0.0);
        // Burst 1, then one every 10 s.
        let mut l = ZoneLimiter::new(SimTime::ZERO);
        assert!(l.try_accept(SimTime::ZERO));
        assert!(!l.try_accept(SimTime::from_secs(5)));
        assert!(l.try_accept(SimTime::from_secs(10)));
    }
}
