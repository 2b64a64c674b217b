//! The pure, deterministic simulation kernel: virtual time, the event queue, seeded randomness,
//! the simulated network, trace records and the components of a Kubernetes cluster.
//! Nothing here touches the browser, the wall clock, a global RNG or hash-ordered iteration.

pub mod addressing;
pub mod api;
pub mod apiserver;
pub mod client;
pub mod cloud;
pub mod cloudcontroller;
pub mod cluster;
pub mod component;
pub mod connection;
pub mod controller;
pub mod cron;
pub mod decoded;
pub mod etcd;
pub mod event;
pub mod invariants;
pub mod kubelet;
pub mod leaderelection;
pub mod marks;
pub mod metrics;
pub mod network;
pub mod protobuf;
pub mod proxy;
pub mod queue;
pub mod quota;
pub mod recorder;
pub mod rng;
pub mod scheduler;
pub mod slo;
pub mod sort;
pub mod static_pods;
pub mod storage;
pub mod time;
pub mod trace;
pub mod transport;
pub mod user;
pub mod vecmap;
pub mod view;

use component::{Component, ComponentInfo};
use event::{ComponentId, Event, Message, MsgKind, Payload, Timer};
use network::{Network, Transit};
use queue::EventQueue;
use std::collections::BTreeMap;
use time::SimTime;
use trace::{Trace, TraceRecord};

/// What a component asks the kernel to do while it handles one input.
#[derive(Debug)]
enum Effect {
    Send {
        to: ComponentId,
        kind: MsgKind,
        label: String,
        payload: Payload,
        delay_us: u64,
    },
    Timer {
        after_us: u64,
        timer: Timer,
    },
    Phase {
        phase: std::borrow::Cow<'static, str>,
        detail: String,
    },
    /// The process exits (a fatal error); its kubelet starts it again after `restart_after_us`.
    Exit {
        restart_after_us: u64,
    },
}

/// The handle a component gets while it reacts to a message or timer. Components never call
/// each other: they send messages (which cross the network) and set timers.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub me: ComponentId,
    effects: &'a mut Vec<Effect>,
    /// Objects decoded from etcd, shared by the apiservers (`decoded.rs`).
    pub decoded: &'a mut decoded::Decoded,
}

impl Ctx<'_> {
    pub fn send(&mut self, to: ComponentId, kind: MsgKind, label: impl Into<String>, payload: Payload) {
        self.send_after(0, to, kind, label, payload);
    }

    /// Sends after `delay_us` of local processing time.
    pub fn send_after(
        &mut self,
        delay_us: u64,
        to: ComponentId,
        kind: MsgKind,
        label: impl Into<String>,
        payload: Payload,
    ) {
        self.effects.push(Effect::Send { to, kind, label: label.into(), payload, delay_us });
    }

    pub fn timer(&mut self, after_us: u64, timer: Timer) {
        self.effects.push(Effect::Timer { after_us, timer });
    }

    /// Ends this process: every timer it set is void, and it starts again after
    /// `restart_after_us` (the kubelet's CrashLoopBackOff for a static pod).
    pub fn exit(&mut self, restart_after_us: u64) {
        self.effects.push(Effect::Exit { restart_after_us });
    }

    /// Records that this component entered a phase (shown on the canvas and in the trace).
    pub fn phase(&mut self, phase: impl Into<std::borrow::Cow<'static, str>>, detail: impl Into<String>) {
        self.effects.push(Effect::Phase { phase: phase.into(), detail: detail.into() });
    }
}

/// One simulated cluster: every component, the network between them and the event queue.
/// Cloning it is a snapshot of the whole world.
#[derive(Clone)]
pub struct Simulation {
    pub seed: u64,
    now: SimTime,
    queue: EventQueue,
    next_msg: u64,
    pub network: Network,
    pub components: Vec<Component>,
    pub infos: Vec<ComponentInfo>,
    pub trace: Trace,
    steps: u64,
    /// Last arrival per (from, to): connections are TCP streams, so messages never overtake.
    last_arrival: BTreeMap<(ComponentId, ComponentId), SimTime>,
    next_handle: u64,
    /// Each component's incarnation: bumped when its process dies, which voids its timers.
    lives: Vec<u32>,
    /// The step at which each component last handled an event or was changed from outside (a
    /// crash, a fault): a picture of the cluster takes again only what changed since its own.
    changed: Vec<u64>,
    decoded: decoded::Decoded,
}

impl Simulation {
    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Whether component `id` handled an event or was changed since step `steps`.
    pub fn changed_since(&self, id: ComponentId, steps: u64) -> bool {
        self.changed.get(id as usize).is_none_or(|&c| c > steps)
    }

    /// Component `id` was changed from outside its events: after any picture taken by now.
    fn touched(&mut self, id: ComponentId) {
        if let Some(c) = self.changed.get_mut(id as usize) {
            *c = self.steps + 1;
        }
    }

    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// The next event: its component and its message kind or timer (benchmarks name their
    /// longest events by it).
    pub fn next_event(&self) -> Option<(ComponentId, Result<MsgKind, &Timer>)> {
        self.queue.peek().map(|e| match e {
            Event::Deliver(m) => (m.to, Ok(m.kind)),
            Event::Timer { to, timer, .. } => (*to, Err(timer)),
        })
    }

    pub(crate) fn from_parts(
        seed: u64,
        network: Network,
        components: Vec<Component>,
        infos: Vec<ComponentInfo>,
    ) -> Self {
        let n = components.len();
        let mut sim = Simulation {
            seed,
            now: SimTime::ZERO,
            queue: EventQueue::default(),
            next_msg: 1,
            network,
            components,
            infos,
            trace: Trace::default(),
            steps: 0,
            last_arrival: BTreeMap::new(),
            next_handle: 0,
            lives: vec![0; n],
            changed: vec![0; n],
            decoded: Default::default(),
        };
        for (id, info) in sim.infos.iter().enumerate() {
            sim.queue.push(info.start_at, Event::Timer { to: id as ComponentId, timer: Timer::Start, life: 0 });
        }
        sim
    }

    /// Pops and handles one event. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let Some((at, event)) = self.queue.pop() else {
            return false;
        };
        self.now = at;
        self.steps += 1;
        let (to, mut effects) = (event_target(&event), Vec::new());
        if let Event::Timer { timer, life, .. } = &event {
            // A timer the process set before it died went with it.
            let stale = self.lives.get(to as usize).is_some_and(|l| l != life);
            if stale && !matches!(timer, Timer::Start | Timer::Restart) {
                return true;
            }
        }
        if let Some(component) = self.components.get_mut(to as usize) {
            let mut ctx = Ctx { now: at, me: to, effects: &mut effects, decoded: &mut self.decoded };
            match event {
                Event::Deliver(msg) => component.on_message(&mut ctx, *msg),
                Event::Timer { timer, .. } => component.on_timer(&mut ctx, timer),
            }
            self.changed[to as usize] = self.steps;
        }
        self.apply(to, effects);
        true
    }

    /// Handles every event up to and including time `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: SimTime) {
        while self.queue.peek_time().is_some_and(|next| next <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    /// Moves the clock to `t` without handling an event: never past the next one.
    pub fn advance_clock(&mut self, t: SimTime) {
        let limit = self.queue.peek_time().unwrap_or(t);
        self.now = self.now.max(t.min(limit));
    }

    /// Delivers a message from outside the cluster's components (used by the user's client).
    pub(crate) fn inject(&mut self, to: ComponentId, timer: Timer) {
        let life = self.life(to);
        self.queue.push(self.now, Event::Timer { to, timer, life });
    }

    fn life(&self, id: ComponentId) -> u32 {
        self.lives.get(id as usize).copied().unwrap_or(0)
    }

    fn apply(&mut self, from: ComponentId, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Send { to, kind, label, payload, delay_us } => {
                    let id = self.next_msg;
                    self.next_msg += 1;
                    let sent = self.now.plus(delay_us);
                    let (arrives, copy) = match self.network.transit(from, to) {
                        Transit::Arrives { after_us, in_order, copy_after_us } => {
                            let mut at = sent.plus(after_us);
                            if in_order {
                                let fifo = self.last_arrival.entry((from, to)).or_default();
                                at = at.max(*fifo);
                                *fifo = at;
                            }
                            (Some(at), copy_after_us.map(|c| sent.plus(c)))
                        }
                        Transit::Lost | Transit::Partitioned => (None, None),
                    };
                    self.trace.record(TraceRecord::Message { id, kind, from, to, sent, arrives, label });
                    let msg = Message { id, from, to, kind, payload };
                    if let Some(at) = copy {
                        self.queue.push(at, Event::Deliver(Box::new(msg.clone())));
                    }
                    if let Some(at) = arrives {
                        self.queue.push(at, Event::Deliver(Box::new(msg)));
                    }
                }
                Effect::Timer { after_us, timer } => {
                    let life = self.life(from);
                    self.queue.push(self.now.plus(after_us), Event::Timer { to: from, timer, life });
                }
                Effect::Exit { restart_after_us } => {
                    self.died(from);
                    let life = self.life(from);
                    let at = self.now.plus(restart_after_us);
                    self.queue.push(at, Event::Timer { to: from, timer: Timer::Restart, life });
                }
                Effect::Phase { phase, detail } => {
                    self.trace.record(TraceRecord::Phase { at: self.now, component: from, phase, detail });
                }
            }
        }
    }

    /// The main etcd cluster's members, in member order.
    pub fn etcd_members(&self) -> impl Iterator<Item = &etcd::EtcdMember> {
        self.etcd_cluster(false).map(|(_, m)| m)
    }

    /// The members of the main etcd cluster, or of the separate events etcd, with their ids.
    pub fn etcd_cluster(&self, events: bool) -> impl Iterator<Item = (ComponentId, &etcd::EtcdMember)> {
        self.components.iter().zip(&self.infos).enumerate().filter_map(move |(i, (c, info))| match c {
            Component::Etcd(m) if info.name.starts_with(cluster::EVENTS_ETCD) == events => {
                Some((i as ComponentId, m.as_ref()))
            }
            _ => None,
        })
    }

    /// The component id of the main etcd cluster's member that leads now, if any.
    pub fn etcd_leader(&self) -> Option<ComponentId> {
        self.etcd_leader_of(false)
    }

    /// The leader of the main etcd cluster or of the events etcd, if any.
    pub fn etcd_leader_of(&self, events: bool) -> Option<ComponentId> {
        self.etcd_cluster(events).find(|(_, m)| m.up && m.raft.role == etcd::raft::Role::Leader).map(|(id, _)| id)
    }

    /// The replica of a leader-elected component (kube-scheduler, kube-controller-manager)
    /// that holds its Lease now, if any.
    pub fn lease_holder(&self, role: component::Role) -> Option<ComponentId> {
        self.components
            .iter()
            .zip(&self.infos)
            .position(|(c, info)| {
                info.role == role
                    && match c {
                        Component::Scheduler(s) => s.up && s.elector.leading,
                        Component::ControllerManager(m) => m.up && m.elector.leading,
                        Component::CloudControllerManager(c) => c.up && c.elector.leading,
                        _ => false,
                    }
            })
            .map(|i| i as ComponentId)
    }

    /// Kills a process: an etcd member drops every message and loses what it had not made
    /// durable; a kubelet's node powers off; kube-apiserver stops listening and resets its
    /// clients' watches. Returns false for components that cannot crash.
    pub fn crash(&mut self, id: ComponentId) -> bool {
        let mut effects = Vec::new();
        let crashed = match self.components.get_mut(id as usize) {
            Some(Component::ApiServer(a)) if a.up => {
                a.crash(&mut Ctx { now: self.now, me: id, effects: &mut effects, decoded: &mut self.decoded });
                true
            }
            Some(Component::Etcd(m)) if m.up => {
                m.crash();
                true
            }
            Some(Component::Kubelet(k)) if k.up => {
                k.crash();
                true
            }
            Some(Component::ControllerManager(m)) if m.up => {
                m.stop(&mut Ctx { now: self.now, me: id, effects: &mut effects, decoded: &mut self.decoded });
                true
            }
            Some(Component::Scheduler(s)) if s.up => {
                s.stop(&mut Ctx { now: self.now, me: id, effects: &mut effects, decoded: &mut self.decoded });
                true
            }
            Some(Component::CloudControllerManager(c)) if c.up => {
                c.stop(&mut Ctx { now: self.now, me: id, effects: &mut effects, decoded: &mut self.decoded });
                true
            }
            _ => false,
        };
        if crashed {
            self.died(id);
            self.touched(id);
            let what = match self.components.get(id as usize) {
                Some(Component::Kubelet(_)) => "node powered off: kubelet and containers stopped",
                _ => "process killed",
            };
            self.note(id, "crash", what);
        }
        self.apply(id, effects);
        crashed
    }

    /// Starts a crashed process again, now.
    pub fn restart(&mut self, id: ComponentId) {
        self.note(id, "restart", "process started again");
        self.inject(id, Timer::Restart);
    }

    /// A process died: the timers it had set are void.
    fn died(&mut self, id: ComponentId) {
        if let Some(l) = self.lives.get_mut(id as usize) {
            *l += 1;
        }
    }

    /// Cuts the host of `id` off from every other host.
    pub fn isolate(&mut self, id: ComponentId) {
        let host = self.network.host_of(id);
        let hosts: vecmap::VecSet<u32> = self.infos.iter().map(|i| i.host).collect();
        for h in hosts.iter().copied() {
            if h != host {
                self.network.partition(host, h);
            }
        }
        self.note(id, "partition", "host isolated from the network");
    }

    /// Heals every partition.
    pub fn heal(&mut self) {
        self.network.heal();
        for id in 0..self.components.len() as ComponentId {
            if matches!(self.components[id as usize], Component::Etcd(_)) {
                self.note(id, "heal", "network partitions healed");
            }
        }
    }

    /// Sets an etcd member's WAL fsync latency (a slow disk).
    pub fn set_fsync(&mut self, id: ComponentId, us: u64) {
        if let Some(Component::Etcd(m)) = self.components.get_mut(id as usize) {
            m.fsync_us = us;
            self.note(id, "disk", &format!("WAL fsync now {:.1} ms", us as f64 / 1000.0));
        }
    }

    /// A node's admission webhook servers stop answering, or answer again.
    pub fn hang_webhooks(&mut self, id: ComponentId, on: bool) -> Result<(), String> {
        let Some(Component::Kubelet(k)) = self.components.get_mut(id as usize) else {
            return Err("fault: webhook servers hang only on a node (a kubelet)".into());
        };
        k.webhooks_hang = on;
        self.touched(id);
        let what = if on { "webhook servers hang: calls will time out" } else { "webhook servers answer again" };
        self.note(id, "fault", what);
        Ok(())
    }

    /// An etcdctl write (compact, alarm disarm), handed to the current leader of the main
    /// etcd or of the events etcd. Returns false when no member leads.
    pub fn etcd_admin(&mut self, op: event::AdminOp, events: bool) -> bool {
        let leader = self.etcd_leader_of(events);
        if let Some(l) = leader {
            self.inject(l, Timer::EtcdAdmin(op));
        }
        leader.is_some()
    }

    /// Asks the current etcd leader to hand leadership to the member `to`.
    pub fn transfer_leadership(&mut self, to: ComponentId) {
        let target = match self.components.get(to as usize) {
            Some(Component::Etcd(m)) => m.raft.id as u32,
            _ => return,
        };
        let events = self.infos.get(to as usize).is_some_and(|i| i.name.starts_with(cluster::EVENTS_ETCD));
        if let Some(l) = self.etcd_leader_of(events) {
            self.inject(l, Timer::TransferLeader { to: target });
        }
    }

    /// Records a phase on behalf of the operator (faults, settings).
    pub fn note(&mut self, component: ComponentId, phase: &str, detail: &str) {
        let phase = phase.to_string().into();
        self.trace.record(TraceRecord::Phase { at: self.now, component, phase, detail: detail.into() });
    }

    pub fn component_by_name(&self, name: &str) -> Option<ComponentId> {
        self.infos.iter().position(|i| i.name == name).map(|i| i as ComponentId)
    }
}

fn event_target(event: &Event) -> ComponentId {
    match event {
        Event::Deliver(m) => m.to,
        Event::Timer { to, .. } => *to,
    }
}
