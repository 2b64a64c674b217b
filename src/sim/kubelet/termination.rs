//! Stopping a pod's containers (kuberuntime's killContainer): each container's preStop hook
//! runs first and its time counts against the grace period (the pod's
//! deletionGracePeriodSeconds, from terminationGracePeriodSeconds, 30 s by default); then
//! SIGTERM; whatever still runs when the rest of the grace period is over gets SIGKILL.
//! A hook that overruns the grace period leaves SIGTERM the kubelet's minimum of 2 s.
//! Containers stop in parallel, so the pod takes as long as its slowest.

use super::process::{self, Script};
use crate::sim::api::{Container, IntOrString, Pod};
use crate::sim::rng::{Draw, SimRng};
use crate::sim::time::{MILLIS, SECONDS};

/// The grace period left for SIGTERM when the preStop hook used it up
/// (minimumGracePeriodInSeconds).
const MIN_GRACE_US: u64 = 2 * SECONDS;

/// What stopping one pod takes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub us: u64,
    /// Each preStop hook: container, what it runs, how long it takes.
    pub hooks: Vec<(String, String, u64)>,
    /// Hooks that failed (an exec hook's non-zero exit).
    pub failed: Vec<String>,
    /// Containers that ignore SIGTERM and are killed when the grace period ends.
    pub killed: Vec<String>,
}

/// A hook's description and duration, and whether it succeeds.
fn hook(c: &Container) -> Option<(String, u64, bool)> {
    let h = c.lifecycle.as_ref()?.pre_stop.as_ref()?;
    if let Some(s) = &h.sleep {
        return Some((format!("sleep {}s", s.seconds), s.seconds.max(0) as u64 * SECONDS, true));
    }
    if let Some(get) = &h.http_get {
        let port = match &get.port {
            IntOrString::Int(p) => p.to_string(),
            IntOrString::String(s) => s.clone(),
        };
        return Some((format!("GET :{port}{}", get.path), 10 * MILLIS, true));
    }
    let exec = h.exec.as_ref()?;
    let as_process = Container { command: exec.command.clone(), image: c.image.clone(), ..Default::default() };
    // A command that never ends runs until the grace period is over.
    let (us, code) = Script::of(&as_process).ends.unwrap_or((u64::MAX, 0));
    Some((exec.command.join(" "), us, code == 0))
}

/// The pod's grace period, seconds: the deletion's, else the spec's, else 30.
pub fn grace_seconds(pod: &Pod) -> i64 {
    pod.metadata.deletion_grace_period_seconds.or(pod.spec.termination_grace_period_seconds).unwrap_or(30)
}

pub fn plan(pod: &Pod, rng: &mut SimRng) -> Plan {
    let grace_us = grace_seconds(pod).max(0) as u64 * SECONDS;
    let mut p = Plan::default();
    for c in &pod.spec.containers {
        let mut hook_us = 0;
        if let Some((what, us, ok)) = hook(c) {
            hook_us = us.min(grace_us);
            p.hooks.push((c.name.clone(), what, hook_us));
            if !ok {
                p.failed.push(c.name.clone());
            }
        }
        let left = grace_us.saturating_sub(hook_us).max(MIN_GRACE_US);
        let term_us = if process::handles_sigterm(c) {
            rng.between(100, 400) * MILLIS
        } else {
            p.killed.push(c.name.clone());
            left
        };
        p.us = p.us.max(hook_us + term_us);
    }
    p
}
