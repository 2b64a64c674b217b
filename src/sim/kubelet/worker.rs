//! The pod workers (pkg/kubelet/pod_workers.go and kuberuntime): each pod goes through the
//! CRI steps — RunPodSandbox (with CNI ADD handing out the pod IP), PullImage (time from image
//! size and link speed, per-node image cache), CreateContainer, StartContainer for each
//! container, its init containers first, one at a time, each run to completion — then runs; containers with a command end and follow the restart policy
//! (Completed/Error, or CrashLoopBackOff with back-off); on deletion the worker stops the
//! containers, tears the sandbox down (CNI DEL) and removes the pod for good. The status
//! manager's PATCH of pods/status reports each stage.

use super::prober::{self, ProbeState};
use super::{images, metrics, process, Kubelet, Tag, PULL_BYTES_PER_SEC};
use crate::sim::api::meta::Time;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::event::Timer;
use crate::sim::recorder;
use crate::sim::rng::Draw;
use crate::sim::time::{go_duration, SimTime, MILLIS, SECONDS};
use crate::sim::Ctx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Setting up volume i (the volume manager's WaitForAttachAndMount).
    Mount(usize),
    Sandbox,
    Pull(usize),
    Create(usize),
    Start(usize),
    Running,
    Stop,
    Teardown,
    /// The node went down under the pod: its containers are gone, its IP still reserved.
    Dead,
    /// Every container exited and the restart policy keeps them down: the pod is done.
    Exited(i32),
    /// Init container i runs; the next starts when it exits with 0.
    InitRunning(usize),
    /// Container i cannot be created: a ConfigMap or Secret its env names is missing
    /// (CreateContainerConfigError); tried again after a while.
    ConfigError(usize),
    /// A container exited and waits out its restart back-off (CrashLoopBackOff).
    BackOff,
    /// A container exited, not in back-off: it shows terminated until the next sync (the
    /// PLEG relists every second) starts it again.
    Terminated,
}

/// How long a container held by a missing ConfigMap or Secret waits before the next try.
const CONFIG_RETRY_US: u64 = 10 * SECONDS;

/// Container restart back-off: 10 s doubling up to 5 minutes.
const BACKOFF_START_US: u64 = 10 * SECONDS;
const BACKOFF_MAX_US: u64 = 300 * SECONDS;

/// The wait before restarting a container that was restarted `restarts` times before (a
/// static pod's too: kube-scheduler or kube-controller-manager after `leaderelection lost`).
/// As the kubelet's doBackOff: the first exit restarts at once and arms a 10 s back-off;
/// each later exit within it waits it out, doubled each time up to 5 minutes.
pub fn crash_loop_back_off(restarts: u32) -> u64 {
    match restarts {
        0 => 0,
        n => (BACKOFF_START_US << (n - 1).min(10)).min(BACKOFF_MAX_US),
    }
}

#[derive(Clone, Debug)]
pub struct PodWorker {
    pub key: String,
    pub step: Step,
    pub(super) seq: u64,
    /// When the current step began (image pull durations in events).
    pub(super) since: SimTime,
    pub ip: String,
    pub(super) started: Option<Time>,
    pub restarts: i32,
    /// The exit code the running containers will end with, when they end.
    pub(super) exit_code: Option<i32>,
    /// When the kubelet admitted the pod (pod start duration, probe ticks).
    pub(super) admitted: SimTime,
    /// When it began killing the pod (the kill sync's duration).
    pub(super) killing_since: SimTime,
    /// Time spent pulling images and running init containers (µs).
    pub(super) not_startup_us: u64,
    /// When the containers last started running, and that run's number (0: not running).
    pub(super) running_since: SimTime,
    pub(super) run: u64,
    /// The probe workers of the current run.
    pub probes: Vec<ProbeState>,
    /// The kubelet killed the containers (a failed liveness or startup probe).
    pub(super) killed: bool,
    /// Stopping the pod: the containers that ignore SIGTERM and get SIGKILL at the end.
    pub(super) sigkill: Vec<String>,
    /// The eviction manager's message when it evicted the pod (node-pressure eviction).
    pub evicted: Option<String>,
    /// The current run ends with the OOM killer: a container outgrew its memory limit.
    pub(super) oom_killed: bool,
    /// How the previous run ended: exit code and reason.
    pub(super) last_exit: Option<(i32, &'static str)>,
    /// The volume being set up is ready (else its step runs again).
    pub(super) volume_ready: bool,
    /// Init containers that completed, and where a restart after a back-off begins (the
    /// failed init container, or the first app container).
    pub(super) init_done: usize,
    /// When each sidecar started, in order (a new sandbox starts them again).
    pub(super) sidecars: Vec<SimTime>,
    pub(super) restart_at: usize,
    /// Of `restarts`, those of init containers.
    pub(super) init_restarts: i32,
    /// What keeps a container from being created (its env's ConfigMap or Secret), by
    /// container index; and where to go on once the sources were read again.
    pub(super) config_error: Option<(usize, String)>,
    pub(super) resume_at: Option<usize>,
}

/// Container `i` in start order: the init containers, then the app containers.
pub fn nth(pod: &Pod, i: usize) -> Option<&Container> {
    let inits = pod.spec.init_containers.len();
    if i < inits {
        pod.spec.init_containers.get(i)
    } else {
        pod.spec.containers.get(i - inits)
    }
}

impl Kubelet {
    /// The pod changed: start a worker for a new pod, or stop one that is being deleted.
    pub(super) fn sync_pod(&mut self, ctx: &mut Ctx, key: &str) {
        let Some(pod) = self.pods.get(key).and_then(|o| o.as_pod()).cloned() else {
            return;
        };
        let uid = pod.metadata.uid.clone();
        let deleting = pod.metadata.deletion_timestamp.is_some();
        match self.workers.get(&uid).map(|w| w.step) {
            None if deleting => {
                // Nothing runs for it here (any more): confirm the deletion for good.
                self.confirm_deletion(ctx, &pod);
            }
            None if pod.is_terminal() => {}
            Some(Step::Dead) if deleting => self.begin(ctx, &uid, Step::Stop),
            Some(Step::Dead) => {
                ctx.phase("SyncPod", format!("{key}: containers gone with the node, starting again"));
                self.release(&uid);
                if let Some(w) = self.workers.get_mut(&uid) {
                    // A new sandbox runs the init containers again.
                    w.ip.clear();
                    w.init_done = 0;
                    w.sidecars.clear();
                    w.restart_at = 0;
                }
                self.begin(ctx, &uid, Step::Mount(0));
            }
            None => {
                let refused = self.admission_rejection(&pod);
                match &refused {
                    Some(why) => ctx.phase("SyncPod", format!("{key}: rejected: {why}")),
                    None => ctx.phase("SyncPod", format!("{key}: admitted")),
                }
                self.workers.insert(
                    uid.clone(),
                    PodWorker {
                        key: key.into(),
                        step: if refused.is_some() { Step::Exited(1) } else { Step::Sandbox },
                        seq: 0,
                        since: ctx.now,
                        ip: String::new(),
                        started: refused.is_none().then(|| Time::at(ctx.now)),
                        restarts: 0,
                        exit_code: None,
                        admitted: ctx.now,
                        killing_since: ctx.now,
                        not_startup_us: 0,
                        running_since: ctx.now,
                        run: 0,
                        probes: Vec::new(),
                        killed: false,
                        oom_killed: false,
                        last_exit: None,
                        volume_ready: false,
                        init_done: 0,
                        sidecars: Vec::new(),
                        restart_at: 0,
                        init_restarts: 0,
                        config_error: None,
                        resume_at: None,
                        sigkill: Vec::new(),
                        evicted: refused.clone(),
                    },
                );
                self.report(ctx, &pod, &uid);
                match refused {
                    Some(why) => {
                        let on = recorder::reference("Pod", &pod.metadata);
                        let req = self.recorder.event(ctx.now, on, recorder::WARNING, "Evicted", why);
                        self.client.send_event(ctx, req, Tag::Other);
                    }
                    None => self.begin(ctx, &uid, Step::Mount(0)),
                }
            }
            Some(Step::Stop | Step::Teardown) => {}
            Some(Step::Exited(_)) if deleting => self.begin(ctx, &uid, Step::Teardown),
            Some(_) if deleting => {
                let grace = super::termination::grace_seconds(&pod);
                ctx.phase("KillPod", format!("{key}: grace period {grace}s"));
                self.begin(ctx, &uid, Step::Stop);
            }
            Some(_) => {}
        }
    }

    /// Starts a step: records the CRI/CNI call and sets the timer for when it completes.
    pub(super) fn begin(&mut self, ctx: &mut Ctx, uid: &str, step: Step) {
        let Some(pod) = self.pod_of(uid) else { return };
        if let Step::Mount(i) = step {
            // Volumes first, then the ConfigMaps and Secrets the env names.
            let volumes = pod.spec.volumes.len();
            if i >= volumes + super::volumes::env_sources(&pod).len() {
                let resume = self.workers.get_mut(uid).and_then(|w| w.resume_at.take());
                return self.begin(ctx, uid, resume.map_or(Step::Sandbox, Step::Create));
            }
            let seq = self.enter(ctx.now, uid, step);
            if let Some(w) = self.workers.get_mut(uid) {
                w.volume_ready = false;
                if i == volumes {
                    w.config_error = None;
                }
            }
            return self.mount(ctx, &pod, uid, i, seq);
        }
        if let Step::Create(i) = step {
            let blocked = self.workers.get(uid).and_then(|w| w.config_error.clone()).filter(|(c, _)| *c == i);
            if let Some((_, error)) = blocked {
                let seq = self.enter(ctx.now, uid, Step::ConfigError(i));
                self.container_event(ctx, &pod, i, recorder::WARNING, "Failed", format!("Error: {error}"));
                self.report(ctx, &pod, uid);
                return ctx.timer(CONFIG_RETRY_US, Timer::PodStep { uid: uid.to_string(), seq });
            }
        }
        let image = |i: usize| nth(&pod, i).map(|c| images::normalize(&c.image)).unwrap_or_default();
        let (call, detail, us) = match step {
            Step::Sandbox => ("RunPodSandbox", "CNI ADD eth0".to_string(), self.rng.between(300, 700) * MILLIS),
            Step::Pull(i) => {
                let img = image(i);
                let policy = nth(&pod, i).map(|c| c.image_pull_policy.as_str()).unwrap_or("IfNotPresent");
                let cached = self.images.contains(&img);
                let us = match (cached, policy) {
                    (true, "Always") => self.rng.between(200, 500) * MILLIS,
                    (true, _) => 0,
                    (false, _) => {
                        images::image_size(&img) * SECONDS / PULL_BYTES_PER_SEC + self.rng.between(100, 400) * MILLIS
                    }
                };
                let spec_image = nth(&pod, i).map(|c| c.image.clone()).unwrap_or_default();
                let what = if cached && policy != "Always" {
                    let message = format!("Container image \"{spec_image}\" already present on machine");
                    self.container_event(ctx, &pod, i, recorder::NORMAL, "Pulled", message);
                    format!("{img} (already present on machine)")
                } else {
                    self.container_event(
                        ctx,
                        &pod,
                        i,
                        recorder::NORMAL,
                        "Pulling",
                        format!("Pulling image \"{spec_image}\""),
                    );
                    format!("Pulling image \"{img}\"")
                };
                ("PullImage", what, us)
            }
            Step::Create(i) => (
                "CreateContainer",
                nth(&pod, i).map(|c| c.name.clone()).unwrap_or_default(),
                self.rng.between(30, 80) * MILLIS,
            ),
            Step::Start(i) => (
                "StartContainer",
                nth(&pod, i).map(|c| c.name.clone()).unwrap_or_default(),
                self.rng.between(40, 120) * MILLIS,
            ),
            Step::Stop => {
                let inits = pod.spec.init_containers.len();
                for (i, c) in pod.spec.containers.iter().enumerate() {
                    self.container_event(
                        ctx,
                        &pod,
                        inits + i,
                        recorder::NORMAL,
                        "Killing",
                        format!("Stopping container {}", c.name),
                    );
                }
                // The sidecars that run stop after the app containers, in reverse order.
                let started = self.workers.get(uid).map_or(0, |w| w.sidecars.len());
                let sidecars: Vec<(usize, String)> = pod
                    .spec
                    .init_containers
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.is_sidecar())
                    .take(started)
                    .map(|(i, c)| (i, c.name.clone()))
                    .collect();
                for (i, name) in sidecars.iter().rev() {
                    let message = format!("Stopping container {name}");
                    self.container_event(ctx, &pod, *i, recorder::NORMAL, "Killing", message);
                }
                let plan = super::termination::plan(&pod, &mut self.rng);
                let key = self.workers.get(uid).map(|w| w.key.clone()).unwrap_or_default();
                for (container, what, us) in &plan.hooks {
                    ctx.phase(
                        "PreStopHook",
                        format!("{key}: {container}: {what} ({})", crate::sim::time::human_duration(*us)),
                    );
                }
                for name in &plan.failed {
                    let i = pod.spec.containers.iter().position(|c| &c.name == name).unwrap_or(0);
                    self.container_event(
                        ctx,
                        &pod,
                        inits + i,
                        recorder::WARNING,
                        "FailedPreStopHook",
                        "PreStopHook failed".into(),
                    );
                }
                let mut detail = match plan.killed.is_empty() {
                    true => "SIGTERM".to_string(),
                    false => {
                        format!("SIGTERM (ignored by {}: SIGKILL when the grace period ends)", plan.killed.join(", "))
                    }
                };
                if !sidecars.is_empty() {
                    let names: Vec<&str> = sidecars.iter().rev().map(|(_, n)| n.as_str()).collect();
                    detail.push_str(&format!("; then the sidecars {}", names.join(", ")));
                }
                if let Some(w) = self.workers.get_mut(uid) {
                    w.sigkill = plan.killed;
                }
                ("StopContainer", detail, plan.us)
            }
            Step::Teardown => {
                for v in &pod.spec.volumes {
                    ctx.phase("UnmountVolume.TearDown", format!("volume \"{}\"", v.name));
                }
                ("StopPodSandbox", "CNI DEL eth0".to_string(), self.rng.between(50, 150) * MILLIS)
            }
            Step::Mount(_)
            | Step::Running
            | Step::Dead
            | Step::Exited(_)
            | Step::BackOff
            | Step::Terminated
            | Step::InitRunning(_)
            | Step::ConfigError(_) => return,
        };
        let seq = self.enter(ctx.now, uid, step);
        if let Some(w) = self.workers.get(uid) {
            ctx.phase(call, format!("{}: {detail}", w.key));
        }
        *self.metrics.runtime_operations.entry(metrics::operation_type(call)).or_insert(0) += 1;
        ctx.timer(us, Timer::PodStep { uid: uid.to_string(), seq });
    }

    /// Moves the worker to `step` under a new sequence number, so the timers of its earlier
    /// steps are stale.
    pub(super) fn enter(&mut self, now: SimTime, uid: &str, step: Step) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(w) = self.workers.get_mut(uid) {
            // Killing starts with the stop (or straight with the teardown of exited containers).
            if step == Step::Stop || (step == Step::Teardown && w.step != Step::Stop) {
                w.killing_since = now;
            }
            w.step = step;
            w.seq = seq;
            w.since = now;
        }
        seq
    }

    pub(super) fn finish_step(&mut self, ctx: &mut Ctx, uid: &str) {
        let Some(pod) = self.pod_of(uid) else {
            self.forget(ctx, uid);
            return;
        };
        let Some(step) = self.workers.get(uid).map(|w| w.step) else {
            return;
        };
        // The pod startup SLI leaves out pulling images and running init containers.
        if let (Step::Pull(_) | Step::InitRunning(_), Some(w)) = (step, self.workers.get_mut(uid)) {
            w.not_startup_us += ctx.now.since(w.since);
        }
        let inits = pod.spec.init_containers.len();
        let containers = inits + pod.spec.containers.len();
        let next = match step {
            Step::Mount(i) if self.workers.get(uid).is_some_and(|w| w.volume_ready) => Some(Step::Mount(i + 1)),
            Step::Mount(i) => Some(Step::Mount(i)),
            Step::Sandbox => {
                let ip = self.ipam.allocate().unwrap_or_default();
                ctx.phase(
                    "CNI ADD",
                    format!(
                        "{}: {ip}/24 from {}",
                        crate::sim::client::key_of(&Object::Pod(Box::new(pod.clone()))),
                        self.ipam.pod_cidr()
                    ),
                );
                if let Some(w) = self.workers.get_mut(uid) {
                    w.ip = ip;
                }
                Some(Step::Pull(0))
            }
            Step::Pull(i) => {
                if let Some(c) = nth(&pod, i) {
                    let img = images::normalize(&c.image);
                    let was_cached = self.images.contains(&img);
                    if !was_cached || c.image_pull_policy == "Always" {
                        let took = self.workers.get(uid).map_or(0, |w| ctx.now.since(w.since));
                        let message = format!(
                            "Successfully pulled image \"{}\" in {} ({} including waiting). Image size: {} bytes.",
                            c.image,
                            go_duration(took),
                            go_duration(took),
                            images::image_size(&img)
                        );
                        self.container_event(ctx, &pod, i, recorder::NORMAL, "Pulled", message);
                    }
                    self.images_changed |= self.images.insert(img);
                }
                Some(Step::Create(i))
            }
            Step::Create(i) => {
                let name = nth(&pod, i).map(|c| c.name.clone()).unwrap_or_default();
                self.container_event(ctx, &pod, i, recorder::NORMAL, "Created", format!("Created container: {name}"));
                Some(Step::Start(i))
            }
            Step::Start(i) => {
                let name = nth(&pod, i).map(|c| c.name.clone()).unwrap_or_default();
                self.container_event(ctx, &pod, i, recorder::NORMAL, "Started", format!("Started container {name}"));
                if i < inits {
                    self.run_init(ctx, &pod, uid, i);
                    None
                } else if i + 1 < containers {
                    Some(Step::Pull(i + 1))
                } else {
                    self.run_containers(ctx, &pod, uid);
                    None
                }
            }
            Step::Running => {
                self.containers_exited(ctx, &pod, uid);
                None
            }
            Step::BackOff | Step::Terminated => {
                let at = self.workers.get_mut(uid).map_or(inits, |w| {
                    w.restarts += 1;
                    if w.restart_at < inits {
                        w.init_restarts += 1;
                    }
                    w.restart_at
                });
                Some(Step::Create(at))
            }
            Step::InitRunning(i) => {
                self.init_exited(ctx, &pod, uid, i);
                None
            }
            Step::ConfigError(i) => {
                // Read the sources again, then create the container.
                if let Some(w) = self.workers.get_mut(uid) {
                    w.resume_at = Some(i);
                }
                Some(Step::Mount(pod.spec.volumes.len()))
            }
            Step::Stop => {
                let killed = self.workers.get_mut(uid).map(|w| std::mem::take(&mut w.sigkill)).unwrap_or_default();
                if !killed.is_empty() {
                    let key = self.workers.get(uid).map(|w| w.key.clone()).unwrap_or_default();
                    ctx.phase("StopContainer", format!("{key}: SIGKILL {} (grace period over)", killed.join(", ")));
                }
                Some(Step::Teardown)
            }
            Step::Teardown => {
                if let Some(w) = self.workers.get(uid) {
                    self.metrics.pod_worker("kill", ctx.now.since(w.killing_since));
                }
                self.release(uid);
                self.confirm_deletion(ctx, &pod);
                self.workers.remove(uid);
                None
            }
            Step::Dead | Step::Exited(_) => None,
        };
        if let Some(n) = next {
            self.begin(ctx, uid, n);
        }
    }

    /// Every container started: the pod runs; containers with a command end after it.
    pub(super) fn run_containers(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str) {
        let runs: Vec<Option<(u64, i32)>> = pod.spec.containers.iter().map(process::run).collect();
        let mut ends = runs.iter().all(Option::is_some).then(|| {
            let at = runs.iter().flatten().map(|(d, _)| *d).max().unwrap_or(0);
            let code = runs.iter().flatten().map(|(_, c)| *c).find(|c| *c != 0).unwrap_or(0);
            (at, code)
        });
        // A container that allocates more than its memory limit meets the cgroup's OOM killer
        // as soon as it has touched that much memory.
        let oom = pod.spec.containers.iter().any(over_memory_limit);
        if oom {
            ends = Some((self.rng.between(200, 600) * MILLIS, 137));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(w) = self.workers.get_mut(uid) {
            if w.restarts == 0 {
                self.metrics.pod_start.observe(ctx.now.since(w.admitted) as f64 / SECONDS as f64);
                // The create sync: sandbox, pulls and starts, which SyncPod waits for.
                self.metrics.pod_worker("create", ctx.now.since(w.admitted));
                let since_created = ctx.now.since(pod.metadata.creation_timestamp.0);
                let sli = since_created.saturating_sub(w.not_startup_us);
                self.metrics.pod_start_sli.observe(sli as f64 / SECONDS as f64);
            }
            w.step = Step::Running;
            w.seq = seq;
            w.exit_code = ends.map(|(_, c)| c);
            w.running_since = ctx.now;
            w.run = seq;
            w.killed = false;
            w.oom_killed = oom;
            w.probes = ProbeState::for_containers(&pod.spec.containers);
        }
        self.report(ctx, pod, uid);
        self.start_program(ctx, pod);
        if let Some((after, _)) = ends {
            ctx.timer(after, Timer::PodStep { uid: uid.to_string(), seq });
        }
        self.start_probes(ctx, pod, uid);
        self.start_loads(ctx, pod, uid, seq);
    }

    /// The containers' processes ended: done for good (restartPolicy Never, or OnFailure
    /// after success), or restarted after the back-off.
    pub(super) fn containers_exited(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let code = w.exit_code.unwrap_or(0);
        let done = match pod.spec.restart_policy.as_str() {
            "Never" => true,
            // A container the kubelet killed is restarted whatever its exit code.
            "OnFailure" => code == 0 && !w.killed,
            _ => false,
        };
        w.run = 0;
        w.restart_at = pod.spec.init_containers.len();
        w.last_exit = Some((code, exit_reason(code, w.oom_killed)));
        let key = w.key.clone();
        if w.oom_killed {
            self.system_oom(ctx, pod);
        }
        let Some(w) = self.workers.get_mut(uid) else { return };
        if done {
            w.step = Step::Exited(code);
            ctx.phase("SyncPod", format!("{key}: containers exited with code {code}, pod done"));
            self.report(ctx, pod, uid);
            return;
        }
        self.restart_later(ctx, pod, uid, code);
    }

    /// A container exited and is to run again: at the next relist the first time, else after
    /// the CrashLoopBackOff (with a BackOff warning). `restart_at` says which container.
    pub(super) fn restart_later(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str, code: i32) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let key = w.key.clone();
        let failed = nth(pod, w.restart_at).map(|c| c.name.clone()).unwrap_or_default();
        let back_off = crash_loop_back_off(w.restarts.max(0) as u32);
        let seq = self.next_seq;
        self.next_seq += 1;
        w.seq = seq;
        if back_off == 0 {
            ctx.phase("SyncPod", format!("{key}: container {failed} exited with code {code}, restarting"));
            w.step = Step::Terminated;
            self.report(ctx, pod, uid);
            let relist = self.rng.between(100, 1000) * MILLIS;
            ctx.timer(relist, Timer::PodStep { uid: uid.to_string(), seq });
            return;
        }
        w.step = Step::BackOff;
        let at = w.restart_at;
        ctx.phase(
            "SyncPod",
            format!("{key}: container {failed} exited with code {code}, back-off {}", go_duration(back_off)),
        );
        let message = format!(
            "Back-off restarting failed container {failed} in pod {}_{}({uid})",
            pod.metadata.name, pod.metadata.namespace
        );
        self.container_event(ctx, pod, at, recorder::WARNING, "BackOff", message);
        self.report(ctx, pod, uid);
        ctx.timer(back_off, Timer::PodStep { uid: uid.to_string(), seq });
    }

    /// The pod is gone from the API: drop its worker and give its IP back.
    pub(super) fn forget(&mut self, ctx: &mut Ctx, uid: &str) {
        if self.workers.contains_key(uid) {
            ctx.phase("SyncPod", "pod deleted: worker removed");
            self.release(uid);
            self.workers.remove(uid);
        }
    }

    /// The kubelet's last word on a deleted pod: delete it with grace period 0, so the API
    /// object goes.
    fn confirm_deletion(&mut self, ctx: &mut Ctx, pod: &Pod) {
        let mut req =
            ApiRequest::new(Verb::Delete, ResourceInfo::of("pods"), &pod.metadata.namespace, &pod.metadata.name);
        req.grace_period_seconds = Some(0);
        self.client.send(ctx, 0, req, Tag::Other);
    }

    pub(super) fn release(&mut self, uid: &str) {
        if let Some(w) = self.workers.get(uid) {
            if !w.ip.is_empty() {
                self.ipam.release(&w.ip);
            }
        }
    }

    /// Records an event about container `i` of the pod (`spec.containers{name}`).
    pub(super) fn container_event(
        &mut self,
        ctx: &mut Ctx,
        pod: &Pod,
        i: usize,
        type_: &str,
        reason: &str,
        message: String,
    ) {
        let mut on = recorder::reference("Pod", &pod.metadata);
        if let Some(c) = nth(pod, i) {
            let list = if i < pod.spec.init_containers.len() { "initContainers" } else { "containers" };
            on.field_path = format!("spec.{list}{{{}}}", c.name);
        }
        let req = self.recorder.event(ctx.now, on, type_, reason, message);
        self.client.send_event(ctx, req, Tag::Other);
    }

    pub(super) fn pod_of(&self, uid: &str) -> Option<Pod> {
        let key = &self.workers.get(uid)?.key;
        self.pods.get(key).and_then(|o| o.as_pod()).filter(|p| p.metadata.uid == uid).cloned()
    }

    /// Sends the pod status the worker has reached (status manager → PATCH pods/status).
    pub(super) fn report(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let running = w.step == Step::Running;
        let exited = match w.step {
            Step::Exited(code) => Some(code),
            _ => None,
        };
        let inits = pod.spec.init_containers.len();
        let initializing = w.init_done < inits;
        let started =
            !initializing && (running || exited.is_some() || matches!(w.step, Step::BackOff | Step::Terminated));
        let now = Some(Time::at(ctx.now));
        let cond = |t: &str, ok: bool| Condition {
            type_: t.into(),
            status: if ok { "True" } else { "False" }.into(),
            reason: if ok { String::new() } else { "ContainersNotReady".into() },
            last_transition_time: now,
            ..Default::default()
        };
        let phase = match exited {
            _ if w.evicted.is_some() => "Failed",
            Some(0) => "Succeeded",
            Some(_) => "Failed",
            None if started => "Running",
            None => "Pending",
        };
        let cond = |t: &str, ok: bool| match exited {
            Some(_) if !ok => Condition { reason: "PodCompleted".into(), ..cond(t, ok) },
            _ => cond(t, ok),
        };
        let ready: Vec<bool> = (0..pod.spec.containers.len()).map(|i| running && prober::ready(&w.probes, i)).collect();
        let unready: Vec<&str> =
            pod.spec.containers.iter().zip(&ready).filter(|(_, r)| !**r).map(|(c, _)| c.name.as_str()).collect();
        let all_ready = unready.is_empty();
        let not_ready = |t: &str| Condition {
            message: if all_ready {
                String::new()
            } else {
                format!("containers with unready status: [{}]", unready.join(" "))
            },
            ..cond(t, all_ready)
        };
        let last_state = w.last_exit.map(|(code, reason)| terminated(code, reason)).unwrap_or_default();
        let mut conditions = Vec::new();
        if let Some(message) = &w.evicted {
            conditions.push(Condition {
                type_: "DisruptionTarget".into(),
                status: "True".into(),
                reason: "TerminationByKubelet".into(),
                message: message.clone(),
                last_transition_time: now,
            });
        }
        let mut status = PodStatus {
            phase: phase.into(),
            reason: if w.evicted.is_some() { "Evicted".into() } else { String::new() },
            message: w.evicted.clone().unwrap_or_default(),
            qos_class: pod.qos_class().into(),
            conditions: conditions
                .into_iter()
                .chain([
                    cond("PodReadyToStartContainers", running),
                    match initializing {
                        false => Condition { reason: String::new(), ..cond("Initialized", true) },
                        true => Condition {
                            reason: "ContainersNotInitialized".into(),
                            message: format!(
                                "containers with incomplete status: [{}]",
                                pod.spec
                                    .init_containers
                                    .get(w.init_done..)
                                    .unwrap_or_default()
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            ),
                            ..cond("Initialized", false)
                        },
                    },
                    not_ready("Ready"),
                    not_ready("ContainersReady"),
                    Condition { reason: String::new(), ..cond("PodScheduled", true) },
                ])
                .collect(),
            host_ip: self.internal_ip.clone(),
            pod_ip: w.ip.clone(),
            start_time: w.started,
            nominated_node_name: String::new(),
            init_container_statuses: self.init_statuses(pod, uid),
            container_statuses: pod
                .spec
                .containers
                .iter()
                .enumerate()
                .map(|(i, c)| ContainerStatus {
                    name: c.name.clone(),
                    ready: ready[i],
                    started: Some(running && prober::started(&w.probes, i)),
                    last_state: last_state.clone(),
                    restart_count: w.restarts - w.init_restarts,
                    image: images::normalize(&c.image),
                    image_id: if started { images::image_id(&c.image) } else { String::new() },
                    container_id: if started {
                        format!("containerd://{}", images::hex_id(&format!("{uid}/{}", c.name)))
                    } else {
                        String::new()
                    },
                    state: match (w.step, exited) {
                        (_, Some(code)) => terminated(code, exit_reason(code, w.oom_killed)),
                        (Step::Running, _) => ContainerState {
                            running: Some(StateRunning { started_at: Time::at(w.running_since) }),
                            ..Default::default()
                        },
                        (Step::ConfigError(_), _) => ContainerState {
                            waiting: Some(StateReason {
                                reason: "CreateContainerConfigError".into(),
                                message: w.config_error.as_ref().map(|(_, e)| e.clone()).unwrap_or_default(),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                        (Step::Terminated, _) => {
                            let (code, reason) = w.last_exit.unwrap_or((0, "Completed"));
                            terminated(code, reason)
                        }
                        (Step::BackOff, _) => ContainerState {
                            waiting: Some(StateReason { reason: "CrashLoopBackOff".into(), ..Default::default() }),
                            ..Default::default()
                        },
                        _ => ContainerState {
                            waiting: Some(StateReason {
                                reason: if inits > 0 { "PodInitializing" } else { "ContainerCreating" }.into(),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                    },
                })
                .collect(),
        };
        if w.started.is_none() && w.evicted.is_some() {
            // Refused at admission: no container ever existed.
            status.container_statuses.clear();
            status.init_container_statuses.clear();
        }
        let mut req =
            ApiRequest::new(Verb::Patch, ResourceInfo::of("pods"), &pod.metadata.namespace, &pod.metadata.name)
                .with_subresource("status");
        req.patch = Some(serde_json::json!({ "status": status }));
        self.client.send(ctx, 0, req, Tag::Other);
    }
}

/// Why a container's run ended, as its terminated state says.
fn exit_reason(code: i32, oom_killed: bool) -> &'static str {
    match (oom_killed, code) {
        (true, _) => "OOMKilled",
        (false, 0) => "Completed",
        (false, _) => "Error",
    }
}

fn terminated(code: i32, reason: &str) -> ContainerState {
    ContainerState {
        terminated: Some(StateReason { reason: reason.into(), exit_code: Some(code), ..Default::default() }),
        ..Default::default()
    }
}

/// Whether the container's process holds more memory than its limit allows.
fn over_memory_limit(c: &crate::sim::api::Container) -> bool {
    let limit = c.resources.limits.get("memory").and_then(|q| crate::sim::api::quantity::parse_value(q).ok());
    matches!((process::Script::of(c).memory, limit), (Some(used), Some(limit)) if i128::from(used) > limit)
}

impl Kubelet {
    /// The kubelet's OOM watcher saw the kernel kill a process: a SystemOOM warning on the Node.
    fn system_oom(&mut self, ctx: &mut Ctx, pod: &Pod) {
        let process = pod.spec.containers.iter().find(|c| over_memory_limit(c)).map_or("", |c| {
            c.command.first().or(c.args.first()).map_or(c.name.as_str(), |w| w.rsplit('/').next().unwrap_or(w))
        });
        let pid = 1000 + crate::sim::rng::fnv1a64(pod.metadata.uid.as_bytes()) % 30000;
        let message = format!("System OOM encountered, victim process: {process}, pid: {pid}");
        self.node_event(ctx, recorder::WARNING, "SystemOOM", message);
    }
}
