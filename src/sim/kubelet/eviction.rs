//! The kubelet's eviction manager (pkg/kubelet/eviction), for memory: every 10 s it compares
//! memory.available — the node's capacity less the working set of its pods and of the
//! system — with the hard threshold (memory.available<100Mi). Below it the node reports
//! MemoryPressure, and the manager evicts one pod per round: pods using more than they
//! request first, then the lower priority, then the larger excess over the request
//! (rankMemoryPressure). Critical pods (static pods, priority ≥ 2,000,000,000) are never
//! chosen. The evicted pod is killed at once (hard threshold: no grace period) and ends
//! Failed with reason Evicted; while the node is under pressure the kubelet also refuses new
//! BestEffort pods the same way. The condition clears after the 5-minute
//! --eviction-pressure-transition-period without a breach.
//! Simplified: working sets are estimates — what `stress --vm-bytes` holds, else a few MiB
//! for a shell and 20 MiB for a server — constant while the container runs, and the system
//! (kernel, containerd, the kubelet) takes 5 % of the node's memory.

use super::process::Script;
use super::worker::Step;
use super::{Kubelet, Tag, EVICTION_HARD_MEMORY};
use crate::sim::api::meta::ObjectMeta;
use crate::sim::api::{quantity, Condition, Container, Pod};
use crate::sim::recorder;
use crate::sim::time::{SimTime, SECONDS};
use crate::sim::Ctx;

/// --eviction-pressure-transition-period.
const PRESSURE_TRANSITION_US: u64 = 300 * SECONDS;
/// Priority from which a pod is critical (system-cluster-critical is 2,000,000,000).
const CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// A container's working set while it runs, bytes (an estimate; see the module's note).
pub fn working_set(c: &Container) -> u64 {
    const MIB: u64 = 1 << 20;
    match Script::of(c).memory {
        Some(bytes) => bytes + 2 * MIB,
        None if c.command.is_empty() => 20 * MIB,
        None => 2 * MIB,
    }
}

fn request(c: &Container) -> u64 {
    c.resources.requests.get("memory").and_then(|q| quantity::parse_value(q).ok()).unwrap_or(0).max(0) as u64
}

/// Kubernetes' pressure conditions as the kubelet posts them (disk and PIDs never run short
/// here).
pub fn conditions(memory_pressure: bool, now: SimTime) -> Vec<Condition> {
    let at = Some(crate::sim::api::meta::Time::at(now));
    let ok = |type_: &str, reason: &str, message: &str| Condition {
        type_: type_.into(),
        status: "False".into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: at,
    };
    let memory = match memory_pressure {
        true => Condition {
            status: "True".into(),
            reason: "KubeletHasInsufficientMemory".into(),
            message: "kubelet has insufficient memory available".into(),
            ..ok("MemoryPressure", "", "")
        },
        false => ok("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    };
    vec![
        memory,
        ok("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ok("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ]
}

impl Kubelet {
    /// The eviction manager's admission check: under memory pressure a BestEffort pod is
    /// refused (Failed, reason Evicted) before anything runs for it.
    pub(super) fn admission_rejection(&self, pod: &Pod) -> Option<String> {
        let refused = self.memory_pressure
            && pod.qos_class() == "BestEffort"
            && pod.spec.priority.unwrap_or(0) < CRITICAL_PRIORITY;
        refused.then(|| "The node had condition: [MemoryPressure]. ".to_string())
    }

    /// The eviction manager's round (synchronize).
    pub(super) fn eviction_round(&mut self, ctx: &mut Ctx) {
        let capacity = quantity::parse_value(&self.config.memory).unwrap_or(0).max(0) as u64;
        // Each running pod: uid, working set, memory requested, priority (no copies: this
        // runs on every node every 10 s).
        let running: Vec<(&String, u64, u64, i32)> = self
            .workers
            .iter()
            .filter(|(_, w)| w.step == Step::Running)
            .filter_map(|(uid, w)| {
                let pod = self.pods.get(&w.key)?.as_pod()?;
                let usage = pod.spec.containers.iter().map(working_set).sum();
                let requested = pod.spec.containers.iter().map(request).sum();
                Some((uid, usage, requested, pod.spec.priority.unwrap_or(0)))
            })
            .collect();
        let used: u64 = running.iter().map(|r| r.1).sum();
        // rankMemoryPressure: exceeding the request, then priority, then the excess.
        let victim = running
            .iter()
            .filter(|r| r.3 < CRITICAL_PRIORITY)
            .min_by_key(|(uid, usage, requested, priority)| {
                (usage <= requested, *priority, std::cmp::Reverse(usage.saturating_sub(*requested)), *uid)
            })
            .map(|r| r.0.clone());
        let available = capacity.saturating_sub(capacity / 20 + used);
        let breached = available < EVICTION_HARD_MEMORY as u64;
        if breached {
            self.memory_pressure_at = Some(ctx.now);
        }
        let pressure = self.memory_pressure_at.is_some_and(|t| ctx.now.since(t) < PRESSURE_TRANSITION_US);
        if pressure != self.memory_pressure {
            self.memory_pressure = pressure;
            let reason = if pressure { "NodeHasInsufficientMemory" } else { "NodeHasSufficientMemory" };
            self.node_event(
                ctx,
                recorder::NORMAL,
                reason,
                format!("Node {} status is now: {reason}", self.config.name),
            );
            self.post_ready(ctx);
        }
        if !breached {
            return;
        }
        self.node_event(ctx, recorder::WARNING, "EvictionThresholdMet", "Attempting to reclaim memory".into());
        let Some(uid) = victim else { return };
        let Some(pod) = self.pod_of(&uid) else { return };
        // The message names the container using the most memory, as the kubelet's does.
        let hog = pod.spec.containers.iter().max_by_key(|c| working_set(c));
        let mut message = format!(
            "The node was low on resource: memory. Threshold quantity: 100Mi, available: {}. ",
            quantity::format_bytes_ki(available as i64)
        );
        if let Some(c) = hog {
            let req = request(c);
            message.push_str(&format!(
                "Container {} was using {}, request is {}, has larger consumption of memory. ",
                c.name,
                quantity::format_bytes_ki(working_set(c) as i64),
                if req == 0 { "0".to_string() } else { quantity::format_bytes_ki(req as i64) }
            ));
        }
        self.evict(ctx, &uid, &pod, message);
    }

    fn evict(&mut self, ctx: &mut Ctx, uid: &str, pod: &Pod, message: String) {
        let on = recorder::reference("Pod", &pod.metadata);
        let req = self.recorder.event(ctx.now, on, recorder::WARNING, "Evicted", message.clone());
        self.client.send_event(ctx, req, Tag::Other);
        *self.metrics.evictions.entry("memory.available").or_insert(0) += 1;
        self.enter(ctx.now, uid, Step::Exited(137));
        if let Some(w) = self.workers.get_mut(uid) {
            ctx.phase("eviction", format!("{}: evicted (memory.available below 100Mi)", w.key));
            w.evicted = Some(message);
            w.run = 0;
        }
        self.report(ctx, pod, uid);
    }

    pub(super) fn node_event(&mut self, ctx: &mut Ctx, type_: &'static str, reason: &str, message: String) {
        let mut node = ObjectMeta::named("", &self.config.name);
        node.uid = self.config.name.clone();
        let on = recorder::reference("Node", &node);
        let req = self.recorder.event(ctx.now, on, type_, reason, message);
        self.client.send_event(ctx, req, Tag::Other);
    }
}
