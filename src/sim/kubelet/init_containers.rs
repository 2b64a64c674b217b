//! Init containers (kuberuntime's computePodActions): they run one at a time, in order, each
//! to completion, before any app container starts; one that fails is restarted by the
//! restart policy (Never fails the pod) and blocks the others. A new sandbox runs them all
//! again. Their statuses are `status.initContainerStatuses`; `kubectl get pods` reads them as
//! `Init:1/2`, `Init:Error`, `Init:CrashLoopBackOff`, then `PodInitializing`.
//! A sidecar (an init container with restartPolicy: Always, KEP-753) is different: once it
//! runs, the next init container starts without waiting for it, and it keeps running beside
//! the app containers — ready, counted in READY — until the pod stops, after them.
//! Not modelled: a sidecar's own exit and restart, and its probes (it is ready once running).

use super::process;
use super::worker::{nth, Step};
use super::Kubelet;
use crate::sim::api::meta::Time;
use crate::sim::api::{ContainerState, ContainerStatus, Pod, StateReason, StateRunning};
use crate::sim::event::Timer;
use crate::sim::Ctx;

impl Kubelet {
    /// Init container `i` started: it runs until its command ends (a server never does, and
    /// the pod stays initializing).
    pub(super) fn run_init(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str, i: usize) {
        if let Some(c) = nth(pod, i).filter(|c| c.is_sidecar()) {
            // Started is enough: on to the next init container (or the app containers).
            let Some(w) = self.workers.get_mut(uid) else { return };
            w.init_done = i + 1;
            w.sidecars.push(ctx.now);
            ctx.phase("SyncPod", format!("{}: sidecar {} started", w.key, c.name));
            self.report(ctx, pod, uid);
            return self.begin(ctx, uid, Step::Pull(i + 1));
        }
        let run = nth(pod, i).and_then(process::run);
        let seq = self.enter(ctx.now, uid, Step::InitRunning(i));
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.running_since = ctx.now;
        w.exit_code = run.map(|(_, code)| code);
        self.report(ctx, pod, uid);
        if let Some((after, _)) = run {
            ctx.timer(after, Timer::PodStep { uid: uid.to_string(), seq });
        }
    }

    /// Init container `i` exited: the next one (or the app containers) on success; on
    /// failure the restart policy decides.
    pub(super) fn init_exited(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str, i: usize) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let code = w.exit_code.unwrap_or(0);
        let key = w.key.clone();
        let name = nth(pod, i).map(|c| c.name.clone()).unwrap_or_default();
        if code == 0 {
            w.init_done = i + 1;
            ctx.phase("SyncPod", format!("{key}: init container {name} completed"));
            self.report(ctx, pod, uid);
            return self.begin(ctx, uid, Step::Pull(i + 1));
        }
        w.last_exit = Some((code, "Error"));
        w.restart_at = i;
        if pod.spec.restart_policy == "Never" {
            w.step = Step::Exited(code);
            ctx.phase("SyncPod", format!("{key}: init container {name} failed with code {code}, pod failed"));
            return self.report(ctx, pod, uid);
        }
        self.restart_later(ctx, pod, uid, code);
    }

    /// `status.initContainerStatuses` for the worker's progress.
    pub(super) fn init_statuses(&self, pod: &Pod, uid: &str) -> Vec<ContainerStatus> {
        let Some(w) = self.workers.get(uid) else { return vec![] };
        let failed_at = (w.init_done < pod.spec.init_containers.len()).then_some(w.init_done);
        pod.spec
            .init_containers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let terminated = |code: i32, reason: &str| ContainerState {
                    terminated: Some(StateReason {
                        reason: reason.into(),
                        exit_code: Some(code),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                let waiting = |reason: &str| ContainerState {
                    waiting: Some(StateReason { reason: reason.into(), ..Default::default() }),
                    ..Default::default()
                };
                // The sidecars started so far, in order: the k-th sidecar is this one if it ran.
                let sidecar_start = c.is_sidecar().then(|| {
                    let k = pod.spec.init_containers[..i].iter().filter(|c| c.is_sidecar()).count();
                    w.sidecars.get(k).copied()
                });
                let state = match (w.step, sidecar_start.flatten()) {
                    // They stop with the pod, after the app containers.
                    (Step::Exited(_) | Step::Teardown, Some(_)) => terminated(0, "Completed"),
                    (_, Some(at)) => ContainerState {
                        running: Some(StateRunning { started_at: Time::at(at) }),
                        ..Default::default()
                    },
                    _ if i < w.init_done => terminated(0, "Completed"),
                    (Step::InitRunning(j), _) if j == i => ContainerState {
                        running: Some(StateRunning { started_at: Time::at(w.running_since) }),
                        ..Default::default()
                    },
                    (Step::BackOff, _) if failed_at == Some(i) => waiting("CrashLoopBackOff"),
                    (Step::Terminated | Step::Exited(_), _) if failed_at == Some(i) => {
                        let (code, reason) = w.last_exit.unwrap_or((1, "Error"));
                        terminated(code, reason)
                    }
                    _ => waiting("PodInitializing"),
                };
                let ran = i < w.init_done || matches!(w.step, Step::InitRunning(j) if j >= i) || failed_at == Some(i);
                let sidecar_running =
                    sidecar_start.flatten().is_some() && !matches!(w.step, Step::Exited(_) | Step::Teardown);
                ContainerStatus {
                    name: c.name.clone(),
                    ready: if c.is_sidecar() { sidecar_running } else { i < w.init_done },
                    restart_count: if failed_at == Some(i) { w.init_restarts } else { 0 },
                    image: super::images::normalize(&c.image),
                    image_id: if ran { super::images::image_id(&c.image) } else { String::new() },
                    container_id: if ran {
                        format!("containerd://{}", super::images::hex_id(&format!("{uid}/{}", c.name)))
                    } else {
                        String::new()
                    },
                    state,
                    last_state: Default::default(),
                    started: Some(sidecar_running || matches!(w.step, Step::InitRunning(j) if j == i)),
                }
            })
            .collect()
    }
}
