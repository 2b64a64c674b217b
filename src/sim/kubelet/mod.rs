//! The kubelet: registers its Node, renews its Lease every 10 s (posting the node's images
//! when they changed), watches the pods bound to it and runs one pod worker per pod (see
//! [`worker`]); a power-off stops it all until the node comes back.
//! Simplified: no init containers yet.

pub mod cni;
pub mod coredns;
pub mod cpu;
pub mod csi;
mod eviction;
pub mod images;
mod init_containers;
pub mod metrics;
pub mod operator;
pub mod prober;
pub mod process;
pub mod program;
mod programs;
mod termination;
pub mod traffic;
pub mod volumes;
pub mod webhook_server;
pub mod worker;

use super::addressing::{node_ip, Cidr};
use super::api::meta::Time;
use super::api::request::{ApiBody, ApiRequest, Credential, FieldSelector, Verb, WatchType};
use super::api::resource::ResourceInfo;
use super::api::*;
use super::client::{bookmark, rewatch_later, started, watch_failed, ApiClient, Informer};
use super::event::{ComponentId, Message, Payload, Timer};
use super::recorder::Recorder;
use super::rng::SimRng;
use super::time::SECONDS;
use super::Ctx;
use crate::sim::vecmap::VecMap;
use cni::Ipam;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
pub use worker::{PodWorker, Step};

pub const KUBELET_VERSION: &str = "v1.35.0";
/// How long the kubelet waits before trying to register again (registerWithAPIServer's cap).
const REGISTER_RETRY_US: u64 = 7 * super::time::SECONDS;
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
    pub labels: crate::sim::api::Labels,
    #[serde(default)]
    pub taints: Vec<Taint>,
}

fn default_max_pods() -> u32 {
    110
}

#[derive(Clone, Debug)]
pub(crate) enum Tag {
    Register,
    Watch,
    Lease,
    /// syncNodeStatus' GET of its own Node (served from the apiserver's cache).
    NodeStatus,
    /// A volume manager lookup for the pod worker `uid` at step `seq`.
    Volume {
        uid: String,
        seq: u64,
        lookup: volumes::Lookup,
    },
    /// A ServiceAccount token for a program in the pod `pod`.
    Token {
        pod: String,
    },
    Other,
}

#[derive(Clone, Debug)]
pub struct Kubelet {
    pub config: NodeConfig,
    internal_ip: String,
    pub(crate) client: ApiClient<Tag>,
    pub pods: Informer,
    /// Pod workers by pod uid.
    pub workers: VecMap<String, PodWorker>,
    /// The operator's fault: the admission webhook servers in this node's pods stop answering
    /// (kube-apiserver's calls run into their timeoutSeconds).
    pub webhooks_hang: bool,
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
    /// This node's kube-proxy: where its pods' connections meet the Service rules.
    pub proxy: Option<ComponentId>,
    /// Load loops running in this node's pods, and their requests awaiting an answer.
    pub loads: Vec<traffic::LoadGen>,
    /// Requests awaiting an answer: the pod's uid, and whether it is a DNS query.
    in_flight: VecMap<u64, (String, bool)>,
    next_packet: u64,
    /// Programs running in this node's pods (operators) and the last slot handed out.
    pub programs: Vec<program::Program>,
    next_program: u8,
    /// The MemoryPressure condition as posted, and when memory.available was last below
    /// the eviction threshold.
    memory_pressure: bool,
    memory_pressure_at: Option<crate::sim::time::SimTime>,
}

impl Kubelet {
    /// `index` places the node: its InternalIP and its /24 of `pod_subnet`.
    pub fn new(apiserver: ComponentId, config: NodeConfig, index: u32, pod_subnet: Cidr, rng: SimRng) -> Self {
        let cred = Credential::ClientCert {
            common_name: format!("system:node:{}", config.name),
            organizations: vec!["system:nodes".into()],
        };
        let pods = Informer::new(ResourceInfo::of("pods"), Some(FieldSelector::equals("spec.nodeName", &config.name)));
        Kubelet {
            recorder: Recorder::new("kubelet", &config.name),
            metrics: Default::default(),
            internal_ip: node_ip(index),
            config,
            client: ApiClient::new(apiserver, cred),
            pods,
            workers: VecMap::new(),
            webhooks_hang: false,
            images: BTreeSet::new(),
            images_changed: false,
            ipam: Ipam::new(pod_subnet.node_network(index)),
            registered: false,
            up: true,
            life: 0,
            next_seq: 1,
            rng,
            programs: Vec::new(),
            proxy: None,
            loads: Vec::new(),
            in_flight: VecMap::new(),
            next_packet: 0,
            next_program: 0,
            memory_pressure: false,
            memory_pressure_at: None,
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if !self.up && timer != Timer::Restart {
            return;
        }
        self.program_timer(ctx, &timer);
        self.on_own_timer(ctx, timer);
        self.reap_programs(ctx);
    }

    fn on_own_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::Start | Timer::Restart => {
                self.up = true;
                ctx.phase("register", format!("registering node {}", self.config.name));
                let req = ApiRequest::new(Verb::Create, ResourceInfo::of("nodes"), "", "")
                    .with_body(Object::Node(self.node_object(ctx)));
                self.client.send(ctx, 0, req, Tag::Register);
            }
            Timer::LeaseRenew { life } if life == self.life => {
                let mut req =
                    ApiRequest::new(Verb::Patch, ResourceInfo::of("leases"), "kube-node-lease", &self.config.name);
                req.patch = Some(serde_json::json!({ "spec": { "renewTime": MicroTime(ctx.now) } }));
                self.client.send(ctx, 0, req, Tag::Lease);
                ctx.timer(LEASE_RENEW_US, Timer::LeaseRenew { life: self.life });
                // syncNodeStatus (every nodeStatusUpdateFrequency, 10 s): read the Node and
                // post Ready again if the control plane marked it otherwise meanwhile.
                let get = ApiRequest::new(Verb::Get, ResourceInfo::of("nodes"), "", &self.config.name);
                self.client.send(ctx, 0, get, Tag::NodeStatus);
                if self.images_changed {
                    self.report_images(ctx);
                }
                self.eviction_round(ctx);
            }
            Timer::PodStep { uid, seq } if self.workers.get(&uid).is_some_and(|w| w.seq == seq) => {
                self.finish_step(ctx, &uid)
            }
            Timer::ResendEvent { req_id } => self.resend_event(ctx, req_id),
            Timer::Probe { uid, run, index } => self.probe_tick(ctx, &uid, run, index),
            Timer::Traffic { uid, run } => self.load_tick(ctx, &uid, run),
            Timer::Rewatch { resource: "pods" } if self.registered && self.pods.watch_id.is_none() => {
                self.pods.start(ctx, &mut self.client, Tag::Watch)
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if !self.up {
            return;
        }
        if let Some(msg) = self.hand_to_program(ctx, msg) {
            self.on_own_message(ctx, msg);
        }
        self.reap_programs(ctx);
    }

    fn on_own_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if self.client.on_transport(ctx, &msg.payload) {
            return;
        }
        match msg.payload {
            Payload::ApiResp { req_id, resp } => match (self.client.complete(ctx, req_id, &resp), *resp) {
                (Some(Tag::Register), Ok(_)) => self.on_registered(ctx),
                (Some(Tag::Register), Err(s)) if s.reason == "AlreadyExists" => self.on_registered(ctx),
                (Some(Tag::Register), Err(s)) => {
                    // registerWithAPIServer retries, backing off to 7 s.
                    ctx.phase("register", format!("Unable to register node with API server: {}", s.message));
                    ctx.timer(REGISTER_RETRY_US, Timer::Start);
                }
                (Some(Tag::Watch), Ok(body)) => {
                    for gone in started(ctx, &mut self.pods, body) {
                        self.forget(ctx, &gone.meta().uid.clone());
                    }
                    let keys: Vec<String> = self.pods.store.keys().cloned().collect();
                    for k in keys {
                        self.sync_pod(ctx, &k);
                    }
                }
                (Some(Tag::Watch), Err(s)) => watch_failed(ctx, &mut [&mut self.pods], req_id, &s),
                (Some(Tag::Token { pod }), resp) => self.on_token(ctx, &pod, resp),
                (Some(Tag::Volume { uid, seq, lookup }), resp) => self.on_volume_answer(ctx, &uid, seq, lookup, resp),
                // The renewal found no Lease (its create never reached the apiserver, or it
                // was deleted): the lease controller falls back to ensureLease.
                (Some(Tag::Lease), Err(s)) if s.code == 404 => {
                    let why =
                        format!("Failed to update lease using latest lease, fallback to ensure lease: {}", s.message);
                    ctx.phase("lease", why);
                    self.create_lease(ctx);
                }
                (Some(Tag::NodeStatus), Ok(ApiBody::Object(o))) => {
                    let ready = o.as_node().and_then(|n| n.condition("Ready")).is_some_and(|c| c.status == "True");
                    if !ready {
                        ctx.phase("node status", "Ready posted again (the control plane had marked it otherwise)");
                        self.post_ready(ctx);
                    }
                }
                _ => {}
            },
            Payload::WatchClosed { watch_id } => {
                rewatch_later(ctx, &mut [&mut self.pods], watch_id);
            }
            Payload::Packet(p) => self.serve_packet(ctx, *p),
            Payload::PacketReply(r) => self.packet_answered(ctx, *r),
            Payload::Bookmark { watch_id, revision } => bookmark(&mut [&mut self.pods], watch_id, revision),
            // kube-apiserver dials a webhook pod here: its end answers if it runs.
            Payload::PodHandshake { conn, step, pod_ip } => {
                let serving = self.workers.values().any(|w| w.ip == pod_ip && w.step == Step::Running);
                let (step, label) = match step {
                    1 if serving => (2, "TCP SYN-ACK"),
                    3 if serving => (4, "TLS ServerHello, Certificate, Finished"),
                    _ => (0, "TCP RST"),
                };
                let payload = Payload::PodHandshake { conn, step, pod_ip };
                ctx.send(msg.from, super::event::MsgKind::ApiResponse, label, payload);
            }
            Payload::WebhookCall { call_id, pod_ip, request } => {
                // The packet reaches the pod's network namespace on this node.
                let pod = self
                    .workers
                    .values()
                    .find(|w| w.ip == pod_ip && w.step == Step::Running)
                    .and_then(|w| self.pods.get(&w.key))
                    .and_then(|o| o.as_pod());
                if pod.is_some() && self.webhooks_hang {
                    ctx.phase("webhook", "the webhook server hangs: no answer");
                    return;
                }
                let (delay, result) = match pod {
                    Some(p) => webhook_server::serve(p, &request),
                    None => (0, Err("connect: connection refused".into())),
                };
                let label = if result.as_ref().is_ok_and(|r| r.allowed) { "allowed" } else { "webhook answer" };
                let payload = Payload::WebhookResult { call_id, result: Box::new(result) };
                ctx.send_after(delay, msg.from, super::event::MsgKind::ApiResponse, label, payload);
            }
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
        self.node_events(ctx);
        self.pods.start(ctx, &mut self.client, Tag::Watch);
        self.create_lease(ctx);
        ctx.timer(LEASE_RENEW_US, Timer::LeaseRenew { life: self.life });
        if self.life > 0 {
            // Back after a power-off: the lease was renewed above; post Ready again.
            self.post_ready(ctx);
        }
    }

    /// The node lease controller's ensureLease: the node's Lease in kube-node-lease, held by
    /// the node, renewed from now on.
    fn create_lease(&mut self, ctx: &mut Ctx) {
        let lease = Lease {
            metadata: ObjectMeta::named("kube-node-lease", &self.config.name),
            spec: LeaseSpec {
                holder_identity: self.config.name.clone(),
                lease_duration_seconds: NODE_LEASE_DURATION_S,
                renew_time: Some(MicroTime(ctx.now)),
                ..Default::default()
            },
        };
        let req = ApiRequest::new(Verb::Create, ResourceInfo::of("leases"), "kube-node-lease", "")
            .with_body(Object::Lease(lease));
        self.client.send(ctx, 0, req, Tag::Lease);
    }

    /// What a starting kubelet records about its Node: Starting, the conditions it reports
    /// (it registers Ready), and the allocatable it enforces. The reference's uid is the node's
    /// name, as the kubelet makes it.
    fn node_events(&mut self, ctx: &mut Ctx) {
        let name = self.config.name.clone();
        let on = crate::sim::api::ObjectReference {
            kind: "Node".into(),
            name: name.clone(),
            uid: name.clone(),
            ..Default::default()
        };
        let status = |s: &str| (s.to_string(), format!("Node {name} status is now: {s}"));
        let events = [
            ("Starting".to_string(), "Starting kubelet.".to_string()),
            status("NodeHasSufficientMemory"),
            status("NodeHasNoDiskPressure"),
            status("NodeHasSufficientPID"),
            ("NodeAllocatableEnforced".to_string(), "Updated Node Allocatable limit across pods".to_string()),
            status("NodeReady"),
        ];
        for (reason, message) in events {
            let req = self.recorder.event(ctx.now, on.clone(), super::recorder::NORMAL, &reason, message);
            self.client.send_event(ctx, req, Tag::Other);
        }
    }

    /// Patches the Node's status with the kubelet's Ready condition.
    fn post_ready(&mut self, ctx: &mut Ctx) {
        let ready = self.node_object(ctx).status.conditions;
        let mut req =
            ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", &self.config.name).with_subresource("status");
        req.patch = Some(serde_json::json!({ "status": { "conditions": ready } }));
        self.client.send(ctx, 0, req, Tag::Other);
    }

    /// Powers the node off: the kubelet stops renewing its lease and reporting, and every
    /// container on the node is gone. Pod IPs stay reserved (host-local IPAM keeps them on
    /// disk) until the kubelet, back, tears each pod down or starts it again.
    pub fn crash(&mut self) {
        self.up = false;
        self.programs.clear();
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
            spec: NodeSpec { pod_cidr: self.ipam.pod_cidr(), taints: self.config.taints.clone(), ..Default::default() },
            status: NodeStatus {
                capacity,
                allocatable,
                conditions: eviction::conditions(self.memory_pressure, ctx.now)
                    .into_iter()
                    .chain([Condition {
                        type_: "Ready".into(),
                        status: "True".into(),
                        reason: "KubeletReady".into(),
                        message: "kubelet is posting ready status".into(),
                        last_transition_time: now,
                    }])
                    .collect(),
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

    /// The node status update (every 10 s, when something changed) listing the images on
    /// the node, largest first, as ImageLocality reads them.
    fn report_images(&mut self, ctx: &mut Ctx) {
        self.images_changed = false;
        let mut list: Vec<ContainerImage> = self.images.iter().map(|i| images::node_image(i)).collect();
        crate::sim::sort::sort_by_key(&mut list, |i| std::cmp::Reverse(i.size_bytes));
        list.truncate(images::NODE_STATUS_MAX_IMAGES);
        let mut req =
            ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", &self.config.name).with_subresource("status");
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
            ("exited", count(|s| matches!(s, Step::Exited(_) | Step::BackOff | Step::Terminated))),
        ];
        self.metrics.text(&self.config.name, if self.up { running } else { 0 }, &containers)
    }
}
