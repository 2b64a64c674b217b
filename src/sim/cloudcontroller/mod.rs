//! cloud-controller-manager (k8s.io/cloud-provider's app): the controllers that need the
//! cloud's API, moved out of kube-controller-manager. Leader-elected on its own Lease, it
//! watches nodes and Services and runs three loops — `cloud-node` (initialise new nodes),
//! `route` (route each node's pod CIDR) and `service` (LoadBalancer Services) — calling the
//! [`crate::sim::cloud`] provider for each, then writing the outcome through the apiserver.

pub mod node;
pub mod route;
pub mod service;

use super::api::request::{ApiRequest, Credential, WatchType};
use super::api::resource::ResourceInfo;
use super::api::Object;
use super::client::{bookmark, hang_up, key_of, rewatch_later, started, watch_failed, ApiClient, Informer};
use super::cloud::{CloudOp, CloudResult};
use super::controller::workqueue::WorkQueue;
use super::event::{ComponentId, Message, MsgKind, Payload, Timer};
use super::leaderelection::{self, LeaderElector, Transition};
use super::recorder::{self, Recorder};
use super::rng::SimRng;
use super::vecmap::{VecMap, VecSet};
use super::Ctx;
use std::sync::Arc;

const LEASE_NAME: &str = "cloud-controller-manager";
/// Time one worker spends on one key, µs.
const SYNC_US: u64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Loop {
    /// Keys are nodes still carrying the uninitialized taint.
    CloudNode,
    /// Keys are nodes whose pod CIDR needs a route.
    Route,
    /// Keys are Services of type LoadBalancer, or that were.
    Service,
}

impl Loop {
    const ALL: [Loop; 3] = [Loop::CloudNode, Loop::Route, Loop::Service];

    pub fn name(self) -> &'static str {
        match self {
            Loop::CloudNode => "cloud-node",
            Loop::Route => "route",
            Loop::Service => "service",
        }
    }

    fn timer(self) -> Timer {
        let controller = Loop::ALL.iter().position(|l| *l == self).unwrap_or(0) as u8;
        Timer::ControllerWork { controller }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Tag {
    Watch,
    Lease(leaderelection::Send),
    /// A write whose answer needs nothing more (the next watch event drives the loop).
    Write,
}

/// A cloud call under way: which loop and key it is for.
#[derive(Clone, Debug)]
struct Call {
    controller: Loop,
    key: String,
    op: CloudOp,
}

#[derive(Clone, Debug)]
pub struct CloudControllerManager {
    pub(crate) client: ApiClient<Tag>,
    cloud: ComponentId,
    pub up: bool,
    host: String,
    rng: SimRng,
    pub elector: LeaderElector,
    pub restarts: u32,
    pub nodes: Informer,
    pub services: Informer,
    queues: VecMap<Loop, WorkQueue>,
    working: VecSet<Loop>,
    calls: VecMap<u64, Call>,
    /// Keys waiting out their backoff after a failed cloud call, by retry token.
    retries: VecMap<u64, (Loop, String)>,
    next_call: u64,
    /// Route controller: nodes whose route the cloud has.
    routed: VecSet<String>,
    /// Service controller: what each load balancer was last ensured with (node ports, nodes).
    ensured: VecMap<String, (Vec<i32>, Vec<String>)>,
    recorder: Recorder,
}

impl CloudControllerManager {
    pub fn new(apiserver: ComponentId, cloud: ComponentId, host: &str, rng: SimRng) -> Self {
        let cred =
            Credential::ClientCert { common_name: "system:cloud-controller-manager".into(), organizations: vec![] };
        CloudControllerManager {
            client: ApiClient::new(apiserver, cred),
            cloud,
            up: true,
            host: host.into(),
            rng,
            elector: LeaderElector::new(LEASE_NAME, String::new()),
            restarts: 0,
            nodes: Informer::new(ResourceInfo::of("nodes"), None),
            services: Informer::new(ResourceInfo::of("services"), None),
            queues: Loop::ALL.into_iter().map(|l| (l, WorkQueue::default())).collect(),
            working: VecSet::new(),
            calls: VecMap::new(),
            retries: VecMap::new(),
            next_call: 1,
            routed: VecSet::new(),
            ensured: VecMap::new(),
            recorder: Recorder::new("service-controller", ""),
        }
    }

    /// Cloud calls under way, for the view.
    pub fn calls_in_flight(&self) -> usize {
        self.calls.len()
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if !self.up && timer != Timer::Restart {
            return;
        }
        match timer {
            Timer::Start => self.campaign(ctx),
            Timer::Restart => {
                let mut fresh =
                    CloudControllerManager::new(self.client.apiserver, self.cloud, &self.host, self.rng.clone());
                fresh.client = self.client.restarted();
                fresh.restarts = self.restarts;
                *self = fresh;
                self.campaign(ctx);
            }
            Timer::ResendEvent { req_id } => self.client.resend_event(ctx, req_id),
            Timer::LeaderElection => {
                let (send, transition) = self.elector.on_timer(ctx, &mut self.rng);
                self.lease_step(ctx, send, transition);
            }
            Timer::ControllerWork { controller } => {
                if let Some(l) = Loop::ALL.get(usize::from(controller)).copied() {
                    self.working.remove(&l);
                    self.work(ctx, l);
                }
            }
            Timer::Retry { token } => {
                if let Some((l, key)) = self.retries.remove(&token) {
                    self.enqueue(ctx, l, key);
                }
            }
            Timer::Rewatch { resource } => {
                let client = &mut self.client;
                if let Some(inf) = [&mut self.nodes, &mut self.services]
                    .into_iter()
                    .find(|i| i.resource.plural == resource && i.watch_id.is_none())
                {
                    inf.start(ctx, client, Tag::Watch);
                }
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if !self.up || self.client.on_transport(ctx, &msg.payload) {
            return;
        }
        match msg.payload {
            Payload::CloudResp { call_id, result } => {
                if let Some(call) = self.calls.remove(&call_id) {
                    self.on_cloud(ctx, call, *result);
                }
            }
            Payload::ApiResp { req_id, resp } => match (self.client.complete(ctx, req_id, &resp), *resp) {
                (Some(Tag::Lease(sent)), resp) => {
                    let (send, transition) = self.elector.on_response(ctx.now, sent.call, sent.attempt, &resp);
                    self.lease_step(ctx, send, transition);
                }
                (Some(Tag::Watch), Ok(body)) => {
                    let Some(inf) =
                        [&mut self.nodes, &mut self.services].into_iter().find(|i| i.watch_id == Some(req_id))
                    else {
                        return;
                    };
                    started(ctx, inf, body);
                    let keys: Vec<(Loop, String)> = self
                        .nodes
                        .store
                        .keys()
                        .flat_map(|k| [(Loop::CloudNode, k.clone()), (Loop::Route, k.clone())])
                        .chain(self.services.store.keys().map(|k| (Loop::Service, k.clone())))
                        .collect();
                    for (l, k) in keys {
                        self.enqueue(ctx, l, k);
                    }
                }
                (Some(Tag::Watch), Err(s)) => {
                    watch_failed(ctx, &mut [&mut self.nodes, &mut self.services], req_id, &s);
                }
                _ => {}
            },
            Payload::WatchClosed { watch_id } => {
                rewatch_later(ctx, &mut [&mut self.nodes, &mut self.services], watch_id);
            }
            Payload::Bookmark { watch_id, revision } => {
                bookmark(&mut [&mut self.nodes, &mut self.services], watch_id, revision)
            }
            Payload::Watch(ev) => {
                let Some(old) = [&mut self.nodes, &mut self.services].into_iter().find_map(|i| i.apply(&ev)) else {
                    return;
                };
                self.on_event(ctx, ev.type_, old, &ev.object);
            }
            _ => {}
        }
    }

    fn campaign(&mut self, ctx: &mut Ctx) {
        self.up = true;
        self.elector = LeaderElector::campaign(ctx, LEASE_NAME, &self.host, &mut self.rng);
    }

    fn lease_step(&mut self, ctx: &mut Ctx, send: Option<leaderelection::Send>, transition: Transition) {
        if let Some(s) = send {
            self.client.send(ctx, 0, s.req.clone(), Tag::Lease(s));
        }
        match transition {
            Transition::None => {}
            Transition::Started => {
                if let Some(req) = self.elector.started(ctx) {
                    self.client.send_event(ctx, req, Tag::Write);
                }
                ctx.phase("start", "informers: nodes, services · controllers: cloud-node, route, service");
                self.nodes.start(ctx, &mut self.client, Tag::Watch);
                self.services.start(ctx, &mut self.client, Tag::Watch);
            }
            Transition::Lost => {
                self.stop(ctx);
                LeaderElector::lost(ctx, self.restarts);
                self.restarts += 1;
            }
        }
    }

    /// The process dies: its connection closes with its watches.
    pub fn stop(&mut self, ctx: &mut Ctx) {
        self.up = false;
        hang_up(ctx, &mut self.client, &mut [&mut self.nodes, &mut self.services]);
    }

    fn on_event(&mut self, ctx: &mut Ctx, type_: WatchType, old: Option<Arc<Object>>, obj: &Object) {
        let key = key_of(obj);
        match obj {
            Object::Node(_) => {
                if type_ == WatchType::Deleted {
                    self.routed.remove(&key);
                } else {
                    self.enqueue(ctx, Loop::CloudNode, key.clone());
                    self.enqueue(ctx, Loop::Route, key);
                }
                // The load balancers' node set may have changed (nodeSyncLoop).
                if old.is_none() || type_ == WatchType::Deleted {
                    let services: Vec<String> = self.ensured.keys().cloned().collect();
                    for s in services {
                        self.enqueue(ctx, Loop::Service, s);
                    }
                }
            }
            Object::Service(_) => self.enqueue(ctx, Loop::Service, key),
            _ => {}
        }
    }

    fn enqueue(&mut self, ctx: &mut Ctx, l: Loop, key: String) {
        if let Some(q) = self.queues.get_mut(&l) {
            q.add(key, ctx.now);
        }
        if self.working.insert(l) {
            ctx.timer(SYNC_US, l.timer());
        }
    }

    fn work(&mut self, ctx: &mut Ctx, l: Loop) {
        let Some(key) = self.queues.get_mut(&l).and_then(|q| q.get(ctx.now)) else { return };
        // One cloud call per key at a time.
        if !self.calls.values().any(|c| c.controller == l && c.key == key) {
            let step = match l {
                Loop::CloudNode => node::sync(&key, &self.nodes),
                Loop::Route => route::sync(&key, &self.nodes, &self.routed),
                Loop::Service => service::sync(&key, &self.services, &self.nodes, &self.ensured),
            };
            self.act(ctx, l, &key, step);
        }
        if self.queues.get(&l).is_some_and(|q| !q.is_empty()) {
            self.working.insert(l);
            ctx.timer(SYNC_US, l.timer());
        }
    }

    fn act(&mut self, ctx: &mut Ctx, l: Loop, key: &str, step: Step) {
        for (reason, message) in step.events {
            self.service_event(ctx, key, reason, message);
        }
        for req in step.writes {
            self.client.send(ctx, 0, req, Tag::Write);
        }
        if let Some(op) = step.call {
            let call_id = self.next_call;
            self.next_call += 1;
            let label = match &op {
                CloudOp::InstanceMetadata { node } => format!("InstanceMetadata {node}"),
                CloudOp::CreateRoute { node, cidr } => format!("CreateRoute {cidr} → {node}"),
                CloudOp::EnsureLoadBalancer { name, .. } => format!("EnsureLoadBalancer {name}"),
                CloudOp::DeleteLoadBalancer { name } => format!("EnsureLoadBalancerDeleted {name}"),
            };
            ctx.phase(l.name(), format!("{key}: {label}"));
            self.calls.insert(call_id, Call { controller: l, key: key.to_string(), op: op.clone() });
            ctx.send(self.cloud, MsgKind::Cloud, label, Payload::Cloud { call_id, op: Box::new(op) });
        }
    }

    fn on_cloud(&mut self, ctx: &mut Ctx, call: Call, result: CloudResult) {
        if let CloudResult::Error(e) = &result {
            // AddRateLimited: try the key again after its backoff.
            ctx.phase(call.controller.name(), format!("{}: {e}", call.key));
            let delay = self.queues.get_mut(&call.controller).map_or(0, |q| q.backoff(&call.key, ctx.now));
            let token = self.next_call;
            self.next_call += 1;
            self.retries.insert(token, (call.controller, call.key));
            ctx.timer(delay, Timer::Retry { token });
            return;
        }
        let step = match call.controller {
            Loop::CloudNode => node::initialised(&call.key, &self.nodes, &result),
            Loop::Route => {
                self.routed.insert(call.key.clone());
                ctx.phase("route", format!("Created route for node {}", call.key));
                Step::default()
            }
            Loop::Service => service::done(&call.key, &self.services, &call.op, &result, &mut self.ensured),
        };
        let key = call.key.clone();
        self.act(ctx, call.controller, &key, step);
        // Look again: what changed meanwhile may need another call.
        self.enqueue(ctx, call.controller, key);
    }

    fn service_event(&mut self, ctx: &mut Ctx, key: &str, reason: &str, message: String) {
        let Some(on) = self.services.get(key).map(|o| recorder::reference("Service", o.meta())) else { return };
        let req = self.recorder.event(ctx.now, on, recorder::NORMAL, reason, message);
        self.client.send_event(ctx, req, Tag::Write);
    }
}

/// What one sync decided: API writes, events on the Service, and at most one cloud call.
#[derive(Debug, Default)]
pub struct Step {
    pub writes: Vec<ApiRequest>,
    pub events: Vec<(&'static str, String)>,
    pub call: Option<CloudOp>,
}
