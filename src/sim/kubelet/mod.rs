//! The kubelet: registers its Node, renews its Lease every 10 s, watches the pods bound to it
//! and runs one pod worker per pod through the CRI steps — RunPodSandbox (with CNI ADD handing
//! out the pod IP), PullImage (time from image size and link speed, per-node image cache),
//! CreateContainer, StartContainer — reporting status to the apiserver; on deletion it stops
//! the containers, tears the sandbox down (CNI DEL) and removes the pod for good.
//! Simplified: no probes, restarts, init containers, volumes or static pods yet.

pub mod cni;
pub mod images;
pub mod metrics;
pub mod process;

use super::api::meta::Time;
use super::api::request::{ApiRequest, Credential, FieldSelector, Verb, WatchType};
use super::api::resource::ResourceInfo;
use super::api::*;
use super::client::{ApiClient, Informer};
use super::event::{ComponentId, Message, Payload, Timer};
use super::recorder::{self, Recorder};
use super::rng::{Draw, SimRng};
use super::time::{go_duration, SimTime, MILLIS, SECONDS};
use super::Ctx;
use cni::Ipam;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const KUBELET_VERSION: &str = "v1.35.0";
pub const NODE_LEASE_DURATION_S: i32 = 40;
pub const LEASE_RENEW_US: u64 = 10 * SECONDS;
/// Image pull bandwidth of a node, bytes per second (≈ 400 Mbit/s).
pub const PULL_BYTES_PER_SEC: u64 = 50_000_000;
/// --eviction-hard memory.available default, subtracted from capacity for allocatable.
pub const EVICTION_HARD_MEMORY: i64 = 100 * 1024 * 1024;

/// The shape of one node, from the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeConfig {
    pub name: String,
    pub cpu: String,
    pub memory: String,
    #[serde(default = "default_max_pods")]
    pub max_pods: u32,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<Taint>,
}

fn default_max_pods() -> u32 {
    110
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
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
    /// A container exited and waits out its restart back-off (CrashLoopBackOff).
    BackOff,
}

/// Container restart back-off: 10 s doubling up to 5 minutes.
const BACKOFF_START_US: u64 = 10 * SECONDS;
const BACKOFF_MAX_US: u64 = 300 * SECONDS;

#[derive(Clone, Debug)]
pub struct PodWorker {
    pub key: String,
    pub step: Step,
    seq: u64,
    /// When the current step began (image pull durations in events).
    since: SimTime,
    pub ip: String,
    started: Option<Time>,
    pub restarts: i32,
    /// The exit code the running containers will end with, when they end.
    exit_code: Option<i32>,
    /// When the kubelet admitted the pod (pod start duration).
    admitted: SimTime,
}

#[derive(Clone, Debug)]
enum Tag {
    Register,
    Watch,
    Lease,
    Other,
}

#[derive(Clone, Debug)]
pub struct Kubelet {
    pub config: NodeConfig,
    internal_ip: String,
    client: ApiClient<Tag>,
    pub pods: Informer,
    /// Pod workers by pod uid.
    pub workers: BTreeMap<String, PodWorker>,
    pub images: BTreeSet<String>,
    /// An image was pulled since the node status last listed the images.
    images_changed: bool,
    pub ipam: Ipam,
    pub registered: bool,
    /// False while the node is powered off.
    pub up: bool,
    /// Incremented by every crash, so that timers of the previous run are ignored.
    life: u64,
    next_seq: u64,
    rng: SimRng,
    recorder: Recorder,
    pub metrics: metrics::KubeletMetrics,
}

impl Kubelet {
    pub fn new(apiserver: ComponentId, config: NodeConfig, index: u8, rng: SimRng) -> Self {
        let cred = Credential::ClientCert {
            common_name: format!("system:node:{}", config.name),
            organizations: vec!["system:nodes".into()],
        };
        let pods = Informer::new(
            ResourceInfo::by_plural("pods").expect("pods"),
            Some(FieldSelector { field: "spec.nodeName".into(), value: config.name.clone() }),
        );
        Kubelet {
            recorder: Recorder::new("kubelet", &config.name),
            metrics: Default::default(),
            internal_ip: format!("10.0.0.{}", 10 + u32::from(index)),
            config,
            client: ApiClient::new(apiserver, cred),
            pods,
            workers: BTreeMap::new(),
            images: BTreeSet::new(),
            images_changed: false,
            ipam: Ipam::new(index),
            registered: false,
            up: true,
            life: 0,
            next_seq: 1,
            rng,
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if !self.up && timer != Timer::Restart {
            return;
        }
        match timer {
            Timer::Start | Timer::Restart => {
                self.up = true;
                ctx.phase("register", format!("registering node {}", self.config.name));
                let req =
                    ApiRequest::new(Verb::Create, res("nodes"), "", "").with_body(Object::Node(self.node_object(ctx)));
                self.client.send(ctx, 0, req, Tag::Register);
            }
            Timer::LeaseRenew { life } if life == self.life => {
                let mut req = ApiRequest::new(Verb::Patch, res("leases"), "kube-node-lease", &self.config.name);
                req.patch = Some(serde_json::json!({ "spec": { "renewTime": Time::at(ctx.now) } }));
                self.client.send(ctx, 0, req, Tag::Lease);
                ctx.timer(LEASE_RENEW_US, Timer::LeaseRenew { life: self.life });
                if self.images_changed {
                    self.report_images(ctx);
                }
            }
            Timer::PodStep { uid, seq } if self.workers.get(&uid).is_some_and(|w| w.seq == seq) => {
                self.finish_step(ctx, &uid)
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if !self.up {
            return;
        }
        match msg.payload {
            Payload::ApiResp { req_id, resp } => match (self.client.complete(req_id), *resp) {
                (Some(Tag::Register), Ok(_)) => self.on_registered(ctx),
                (Some(Tag::Register), Err(s)) if s.reason == "AlreadyExists" => self.on_registered(ctx),
                (Some(Tag::Register), Err(s)) => {
                    ctx.phase("register", format!("Unable to register node with API server: {}", s.message))
                }
                (Some(Tag::Watch), Ok(body)) => {
                    self.pods.on_started(body);
                    let keys: Vec<String> = self.pods.store.keys().cloned().collect();
                    for k in keys {
                        self.sync_pod(ctx, &k);
                    }
                }
                _ => {}
            },
            Payload::Watch(ev) => {
                if let Some(old) = self.pods.apply(&ev) {
                    let key = super::client::key_of(&ev.object);
                    if ev.type_ == WatchType::Deleted {
                        if let Some(uid) = old.map(|o| o.meta().uid.clone()) {
                            self.forget(ctx, &uid);
                        }
                    } else {
                        self.sync_pod(ctx, &key);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_registered(&mut self, ctx: &mut Ctx) {
        self.registered = true;
        ctx.phase("register", format!("Successfully registered node {}", self.config.name));
        self.pods.start(ctx, &mut self.client, Tag::Watch);
        let lease = Lease {
            metadata: ObjectMeta::named("kube-node-lease", &self.config.name),
            spec: LeaseSpec {
                holder_identity: self.config.name.clone(),
                lease_duration_seconds: NODE_LEASE_DURATION_S,
                renew_time: Some(Time::at(ctx.now)),
            },
        };
        let req = ApiRequest::new(Verb::Create, res("leases"), "kube-node-lease", "").with_body(Object::Lease(lease));
        self.client.send(ctx, 0, req, Tag::Lease);
        ctx.timer(LEASE_RENEW_US, Timer::LeaseRenew { life: self.life });
        if self.life > 0 {
            // Back after a power-off: the lease was renewed above; post Ready again.
            let ready = self.node_object(ctx).status.conditions;
            let mut req = ApiRequest::new(Verb::Patch, res("nodes"), "", &self.config.name).with_subresource("status");
            req.patch = Some(serde_json::json!({ "status": { "conditions": ready } }));
            self.client.send(ctx, 0, req, Tag::Other);
        }
    }

    /// Powers the node off: the kubelet stops renewing its lease and reporting, and every
    /// container on the node is gone. Pod IPs stay reserved (host-local IPAM keeps them on
    /// disk) until the kubelet, back, tears each pod down or starts it again.
    pub fn crash(&mut self) {
        self.up = false;
        self.registered = false;
        self.life += 1;
        for w in self.workers.values_mut() {
            w.step = Step::Dead;
            w.seq = 0;
        }
    }

    fn node_object(&self, ctx: &Ctx) -> Node {
        let mut metadata = ObjectMeta::named("", &self.config.name);
        metadata.labels = self.config.labels.clone();
        for (k, v) in [
            ("kubernetes.io/hostname", self.config.name.as_str()),
            ("kubernetes.io/os", "linux"),
            ("kubernetes.io/arch", "amd64"),
        ] {
            metadata.labels.insert(k.into(), v.into());
        }
        let capacity: ResourceList = [
            ("cpu".to_string(), self.config.cpu.clone()),
            ("memory".to_string(), self.config.memory.clone()),
            ("pods".to_string(), self.config.max_pods.to_string()),
        ]
        .into();
        let mut allocatable = capacity.clone();
        let mem = quantity::parse_value(&self.config.memory).unwrap_or(0) as i64;
        allocatable.insert("memory".into(), quantity::format_bytes_ki((mem - EVICTION_HARD_MEMORY).max(0)));
        let now = Some(Time::at(ctx.now));
        Node {
            metadata,
            spec: NodeSpec { pod_cidr: self.ipam.pod_cidr(), unschedulable: false, taints: self.config.taints.clone() },
            status: NodeStatus {
                capacity,
                allocatable,
                conditions: vec![Condition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    reason: "KubeletReady".into(),
                    message: "kubelet is posting ready status".into(),
                    last_transition_time: now,
                }],
                addresses: vec![
                    NodeAddress { type_: "InternalIP".into(), address: self.internal_ip.clone() },
                    NodeAddress { type_: "Hostname".into(), address: self.config.name.clone() },
                ],
                node_info: NodeSystemInfo {
                    kubelet_version: KUBELET_VERSION.into(),
                    os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                    kernel_version: "6.1.0-28-amd64".into(),
                    container_runtime_version: "containerd://2.1.4".into(),
                },
                ..Default::default()
            },
        }
    }

    /// The pod changed: start a worker for a new pod, or stop one that is being deleted.
    fn sync_pod(&mut self, ctx: &mut Ctx, key: &str) {
        let Some(pod) = self.pods.store.get(key).and_then(|o| o.as_pod()).cloned() else {
            return;
        };
        let uid = pod.metadata.uid.clone();
        let deleting = pod.metadata.deletion_timestamp.is_some();
        match self.workers.get(&uid).map(|w| w.step) {
            None if deleting => {
                // Nothing runs for it here (any more): confirm the deletion for good.
                let mut req = ApiRequest::new(Verb::Delete, res("pods"), &pod.metadata.namespace, &pod.metadata.name);
                req.grace_period_seconds = Some(0);
                self.client.send(ctx, 0, req, Tag::Other);
            }
            None if pod.is_terminal() => {}
            Some(Step::Dead) if deleting => self.begin(ctx, &uid, Step::Stop),
            Some(Step::Dead) => {
                ctx.phase("SyncPod", format!("{key}: containers gone with the node, starting again"));
                self.release(&uid);
                if let Some(w) = self.workers.get_mut(&uid) {
                    w.ip.clear();
                }
                self.begin(ctx, &uid, Step::Sandbox);
            }
            None => {
                ctx.phase("SyncPod", format!("{key}: admitted"));
                self.workers.insert(
                    uid.clone(),
                    PodWorker {
                        key: key.into(),
                        step: Step::Sandbox,
                        seq: 0,
                        since: ctx.now,
                        ip: String::new(),
                        started: Some(Time::at(ctx.now)),
                        restarts: 0,
                        exit_code: None,
                        admitted: ctx.now,
                    },
                );
                self.report(ctx, &pod, &uid);
                self.begin(ctx, &uid, Step::Sandbox);
            }
            Some(Step::Stop | Step::Teardown) => {}
            Some(Step::Exited(_)) if deleting => self.begin(ctx, &uid, Step::Teardown),
            Some(_) if deleting => {
                let grace = pod.metadata.deletion_grace_period_seconds.unwrap_or(30);
                ctx.phase("KillPod", format!("{key}: grace period {grace}s"));
                self.begin(ctx, &uid, Step::Stop);
            }
            Some(_) => {}
        }
    }

    /// Starts a step: records the CRI/CNI call and sets the timer for when it completes.
    fn begin(&mut self, ctx: &mut Ctx, uid: &str, step: Step) {
        let Some(pod) = self.pod_of(uid) else { return };
        let image = |i: usize| pod.spec.containers.get(i).map(|c| images::normalize(&c.image)).unwrap_or_default();
        let (call, detail, us) = match step {
            Step::Sandbox => ("RunPodSandbox", "CNI ADD eth0".to_string(), self.rng.between(300, 700) * MILLIS),
            Step::Pull(i) => {
                let img = image(i);
                let policy = pod.spec.containers.get(i).map(|c| c.image_pull_policy.as_str()).unwrap_or("IfNotPresent");
                let cached = self.images.contains(&img);
                let us = match (cached, policy) {
                    (true, "Always") => self.rng.between(200, 500) * MILLIS,
                    (true, _) => 0,
                    (false, _) => {
                        images::image_size(&img) * SECONDS / PULL_BYTES_PER_SEC + self.rng.between(100, 400) * MILLIS
                    }
                };
                let spec_image = pod.spec.containers.get(i).map(|c| c.image.clone()).unwrap_or_default();
                let what = if cached && policy != "Always" {
                    let message = format!("Container image \"{spec_image}\" already present on machine");
                    self.container_event(ctx, &pod, i, "Pulled", message);
                    format!("{img} (already present on machine)")
                } else {
                    self.container_event(ctx, &pod, i, "Pulling", format!("Pulling image \"{spec_image}\""));
                    format!("Pulling image \"{img}\"")
                };
                ("PullImage", what, us)
            }
            Step::Create(i) => (
                "CreateContainer",
                pod.spec.containers.get(i).map(|c| c.name.clone()).unwrap_or_default(),
                self.rng.between(30, 80) * MILLIS,
            ),
            Step::Start(i) => (
                "StartContainer",
                pod.spec.containers.get(i).map(|c| c.name.clone()).unwrap_or_default(),
                self.rng.between(40, 120) * MILLIS,
            ),
            Step::Stop => {
                for (i, c) in pod.spec.containers.iter().enumerate() {
                    self.container_event(ctx, &pod, i, "Killing", format!("Stopping container {}", c.name));
                }
                ("StopContainer", "SIGTERM".to_string(), self.rng.between(100, 400) * MILLIS)
            }
            Step::Teardown => ("StopPodSandbox", "CNI DEL eth0".to_string(), self.rng.between(50, 150) * MILLIS),
            Step::Running | Step::Dead | Step::Exited(_) | Step::BackOff => return,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(w) = self.workers.get_mut(uid) {
            w.step = step;
            w.seq = seq;
            w.since = ctx.now;
            ctx.phase(call, format!("{}: {detail}", w.key));
        }
        *self.metrics.runtime_operations.entry(metrics::operation_type(call)).or_insert(0) += 1;
        ctx.timer(us, Timer::PodStep { uid: uid.to_string(), seq });
    }

    fn finish_step(&mut self, ctx: &mut Ctx, uid: &str) {
        let Some(pod) = self.pod_of(uid) else {
            self.forget(ctx, uid);
            return;
        };
        let Some(step) = self.workers.get(uid).map(|w| w.step) else {
            return;
        };
        let containers = pod.spec.containers.len();
        let next = match step {
            Step::Sandbox => {
                let ip = self.ipam.allocate().unwrap_or_default();
                ctx.phase(
                    "CNI ADD",
                    format!(
                        "{}: {ip}/24 from {}",
                        super::client::key_of(&Object::Pod(pod.clone())),
                        self.ipam.pod_cidr()
                    ),
                );
                if let Some(w) = self.workers.get_mut(uid) {
                    w.ip = ip;
                }
                Some(Step::Pull(0))
            }
            Step::Pull(i) => {
                if let Some(c) = pod.spec.containers.get(i) {
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
                        self.container_event(ctx, &pod, i, "Pulled", message);
                    }
                    self.images_changed |= self.images.insert(img);
                }
                Some(Step::Create(i))
            }
            Step::Create(i) => {
                let name = pod.spec.containers.get(i).map(|c| c.name.clone()).unwrap_or_default();
                self.container_event(ctx, &pod, i, "Created", format!("Created container: {name}"));
                Some(Step::Start(i))
            }
            Step::Start(i) => {
                let name = pod.spec.containers.get(i).map(|c| c.name.clone()).unwrap_or_default();
                self.container_event(ctx, &pod, i, "Started", format!("Started container {name}"));
                if i + 1 < containers {
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
            Step::BackOff => {
                if let Some(w) = self.workers.get_mut(uid) {
                    w.restarts += 1;
                }
                Some(Step::Create(0))
            }
            Step::Stop => Some(Step::Teardown),
            Step::Teardown => {
                self.release(uid);
                let mut req = ApiRequest::new(Verb::Delete, res("pods"), &pod.metadata.namespace, &pod.metadata.name);
                req.grace_period_seconds = Some(0);
                self.client.send(ctx, 0, req, Tag::Other);
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
    fn run_containers(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str) {
        let runs: Vec<Option<(u64, i32)>> = pod.spec.containers.iter().map(process::run).collect();
        let ends = runs.iter().all(Option::is_some).then(|| {
            let at = runs.iter().flatten().map(|(d, _)| *d).max().unwrap_or(0);
            let code = runs.iter().flatten().map(|(_, c)| *c).find(|c| *c != 0).unwrap_or(0);
            (at, code)
        });
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(w) = self.workers.get_mut(uid) {
            if w.restarts == 0 {
                self.metrics.pod_start.observe(ctx.now.since(w.admitted) as f64 / SECONDS as f64);
            }
            w.step = Step::Running;
            w.seq = seq;
            w.exit_code = ends.map(|(_, c)| c);
        }
        self.report(ctx, pod, uid);
        if let Some((after, _)) = ends {
            ctx.timer(after, Timer::PodStep { uid: uid.to_string(), seq });
        }
    }

    /// The containers' processes ended: done for good (restartPolicy Never, or OnFailure
    /// after success), or restarted after the back-off.
    fn containers_exited(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let code = w.exit_code.unwrap_or(0);
        let done = match pod.spec.restart_policy.as_str() {
            "Never" => true,
            "OnFailure" => code == 0,
            _ => false,
        };
        let key = w.key.clone();
        if done {
            w.step = Step::Exited(code);
            ctx.phase("SyncPod", format!("{key}: containers exited with code {code}, pod done"));
            self.report(ctx, pod, uid);
            return;
        }
        let back_off = (BACKOFF_START_US << w.restarts.min(10)).min(BACKOFF_MAX_US);
        w.step = Step::BackOff;
        let seq = self.next_seq;
        self.next_seq += 1;
        w.seq = seq;
        ctx.phase("SyncPod", format!("{key}: container exited with code {code}, back-off {}", go_duration(back_off)));
        if let Some(c) = pod.spec.containers.first() {
            let message = "Back-off restarting failed container ".to_string()
                + &c.name
                + " in pod "
                + &pod.metadata.name
                + "_"
                + &pod.metadata.namespace
                + "("
                + uid
                + ")";
            let mut on = recorder::reference("Pod", &pod.metadata);
            on.field_path = format!("spec.containers{{{}}}", c.name);
            let req = self.recorder.event(ctx.now, on, recorder::WARNING, "BackOff", message);
            self.client.send(ctx, 0, req, Tag::Other);
        }
        self.report(ctx, pod, uid);
        ctx.timer(back_off, Timer::PodStep { uid: uid.to_string(), seq });
    }

    /// The pod is gone from the API: drop its worker and give its IP back.
    fn forget(&mut self, ctx: &mut Ctx, uid: &str) {
        if self.workers.contains_key(uid) {
            ctx.phase("SyncPod", "pod deleted: worker removed");
            self.release(uid);
            self.workers.remove(uid);
        }
    }

    fn release(&mut self, uid: &str) {
        if let Some(w) = self.workers.get(uid) {
            if !w.ip.is_empty() {
                self.ipam.release(&w.ip);
            }
        }
    }

    /// The node status update (every 10 s, when something changed) listing the images on
    /// the node, largest first, as ImageLocality reads them.
    fn report_images(&mut self, ctx: &mut Ctx) {
        self.images_changed = false;
        let mut list: Vec<ContainerImage> = self.images.iter().map(|i| images::node_image(i)).collect();
        crate::sim::sort::sort_by_key(&mut list, |i| std::cmp::Reverse(i.size_bytes));
        list.truncate(images::NODE_STATUS_MAX_IMAGES);
        let mut req = ApiRequest::new(Verb::Patch, res("nodes"), "", &self.config.name).with_subresource("status");
        req.patch = Some(serde_json::json!({ "status": { "images": list } }));
        self.client.send(ctx, 0, req, Tag::Other);
    }

    pub fn internal_ip(&self) -> &str {
        &self.internal_ip
    }

    /// The kubelet's Prometheus metrics (port 10250).
    pub fn metrics_text(&self) -> String {
        let running = self.workers.values().filter(|w| !matches!(w.step, Step::Exited(_) | Step::Dead)).count();
        let count = |f: fn(&Step) -> bool| self.workers.values().filter(|w| f(&w.step)).count();
        let containers = [
            ("running", count(|s| *s == Step::Running)),
            ("exited", count(|s| matches!(s, Step::Exited(_) | Step::BackOff))),
        ];
        self.metrics.text(&self.config.name, if self.up { running } else { 0 }, &containers)
    }

    /// Records an event about container `i` of the pod (`spec.containers{name}`).
    fn container_event(&mut self, ctx: &mut Ctx, pod: &Pod, i: usize, reason: &str, message: String) {
        let mut on = recorder::reference("Pod", &pod.metadata);
        if let Some(c) = pod.spec.containers.get(i) {
            on.field_path = format!("spec.containers{{{}}}", c.name);
        }
        let req = self.recorder.event(ctx.now, on, recorder::NORMAL, reason, message);
        self.client.send(ctx, 0, req, Tag::Other);
    }

    fn pod_of(&self, uid: &str) -> Option<Pod> {
        let key = &self.workers.get(uid)?.key;
        self.pods.store.get(key).and_then(|o| o.as_pod()).filter(|p| p.metadata.uid == uid).cloned()
    }

    /// Sends the pod status the worker has reached (status manager → PATCH pods/status).
    fn report(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let running = w.step == Step::Running;
        let exited = match w.step {
            Step::Exited(code) => Some(code),
            _ => None,
        };
        let started = running || exited.is_some() || w.step == Step::BackOff;
        let now = Some(Time::at(ctx.now));
        let cond = |t: &str, ok: bool| Condition {
            type_: t.into(),
            status: if ok { "True" } else { "False" }.into(),
            reason: if ok { String::new() } else { "ContainersNotReady".into() },
            last_transition_time: now,
            ..Default::default()
        };
        let phase = match exited {
            Some(0) => "Succeeded",
            Some(_) => "Failed",
            None if started => "Running",
            None => "Pending",
        };
        let cond = |t: &str, ok: bool| match exited {
            Some(_) if !ok => Condition { reason: "PodCompleted".into(), ..cond(t, ok) },
            _ => cond(t, ok),
        };
        let status = PodStatus {
            phase: phase.into(),
            conditions: vec![
                cond("PodReadyToStartContainers", running),
                Condition { reason: String::new(), ..cond("Initialized", true) },
                cond("Ready", running),
                cond("ContainersReady", running),
                Condition { reason: String::new(), ..cond("PodScheduled", true) },
            ],
            host_ip: self.internal_ip.clone(),
            pod_ip: w.ip.clone(),
            start_time: w.started,
            nominated_node_name: String::new(),
            container_statuses: pod
                .spec
                .containers
                .iter()
                .map(|c| ContainerStatus {
                    name: c.name.clone(),
                    ready: running,
                    restart_count: w.restarts,
                    image: images::normalize(&c.image),
                    image_id: if started { images::image_id(&c.image) } else { String::new() },
                    container_id: if started {
                        format!("containerd://{}", images::hex_id(&format!("{uid}/{}", c.name)))
                    } else {
                        String::new()
                    },
                    state: match (w.step, exited) {
                        (_, Some(code)) => ContainerState {
                            terminated: Some(StateReason {
                                reason: if code == 0 { "Completed" } else { "Error" }.into(),
                                exit_code: Some(code),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                        (Step::Running, _) => ContainerState {
                            running: Some(StateRunning { started_at: Time::at(ctx.now) }),
                            ..Default::default()
                        },
                        (Step::BackOff, _) => ContainerState {
                            waiting: Some(StateReason { reason: "CrashLoopBackOff".into(), ..Default::default() }),
                            ..Default::default()
                        },
                        _ => ContainerState {
                            waiting: Some(StateReason { reason: "ContainerCreating".into(), ..Default::default() }),
                            ..Default::default()
                        },
                    },
                })
                .collect(),
        };
        let mut req = ApiRequest::new(Verb::Patch, res("pods"), &pod.metadata.namespace, &pod.metadata.name)
            .with_subresource("status");
        req.patch = Some(serde_json::json!({ "status": status }));
        self.client.send(ctx, 0, req, Tag::Other);
    }
}

fn res(plural: &str) -> &'static ResourceInfo {
    ResourceInfo::by_plural(plural).expect("the kubelet only uses resources in the table")
}
