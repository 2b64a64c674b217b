//! kube-scheduler: informers for pods, nodes, namespaces, Services and ReplicaSets keep a
//! scheduler cache (the [`Snapshot`], with assumed pods); pods without a node enter the
//! [`SchedulingQueue`]; one scheduling cycle at a time runs the pod's profile (see
//! [`cycle`]) and binds through pods/binding asynchronously. Pods that fit nowhere get the
//! upstream `0/N nodes are available: …` condition, may preempt lower-priority pods, and wait
//! for a cluster event, their backoff, or the 5-minute flush.
//! Permit may hold a pod on its reserved node (Coscheduling, when a profile enables it) until
//! its gang is complete or the wait times out.
//! With `--leader-elect` (kubeadm's default) the informers run in every replica, but only the
//! holder of the `kube-system/kube-scheduler` Lease schedules.
//! Not modelled: volumes, PDBs.

pub mod batch;
pub mod config;
pub mod cycle;
pub mod explain;
pub mod framework;
pub mod metrics;
pub mod plugins;
pub mod profile;
pub mod queue;

use super::api::meta::{cache_key, Time};
use super::api::request::{ApiRequest, Credential, Verb, WatchType};
use super::api::resource::ResourceInfo;
use super::api::{Condition, LabelSelector, Object, Pod};
use super::client::{bookmark, hang_up, key_of, rewatch_later, started, watch_failed, ApiClient, Informer};
use super::event::{ComponentId, Message, Payload, Timer};
use super::leaderelection::{self, LeaderElector, Transition};
use super::recorder::{self, Recorder};
use super::rng::SimRng;
use super::time::{SimTime, SECONDS};
use super::Ctx;
use crate::sim::vecmap::VecMap;
use cycle::{fit_error, Cycle, Explain, Outcome};
use framework::{priority, SharedPod, Snapshot};
use metrics::CycleCounts;
use plugins::{coscheduling, scheduling_gates};
use profile::Profile;
use queue::SchedulingQueue;
use std::collections::VecDeque;
use std::sync::Arc;

/// The Lease it elects its leader on.
const LEASE_NAME: &str = "kube-scheduler";

/// Time from a pod entering activeQ to its scheduling cycle, in µs.
const CYCLE_US: u64 = 400;
/// How many pods' latest attempts the explain view keeps…
const EXPLAIN_KEEP: usize = 64;
/// …and past `EXPLAIN_ALL_NODES`, where each record holds hundreds of feasible nodes (about
/// 0.6 MB at 7,500 nodes), how many of the sampled ones.
const EXPLAIN_KEEP_SAMPLED: usize = 16;
/// Up to this many nodes every cycle keeps its per-plugin, per-node record…
const EXPLAIN_ALL_NODES: usize = 100;
/// …beyond it, one cycle in this many does, for every feasible node and this many rejected.
const EXPLAIN_SAMPLE: u64 = 50;

/// The latest attempt for a pod, as the explain view shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub at: SimTime,
    pub explain: Explain,
    /// The FailedScheduling message when no node fit.
    pub message: Option<String>,
    /// What Permit said when a plugin made the pod wait.
    pub permit: Option<String>,
}

/// A pod held at Permit on its reserved (assumed) node.
#[derive(Clone, Debug)]
struct Waiting {
    node: String,
    group: String,
    queued_at: SimTime,
    /// What the rejection says when the wait runs out (the pod's profile's timeout).
    timeout_message: String,
}

#[derive(Clone, Debug)]
pub(crate) enum Tag {
    Watch,
    Lease(leaderelection::Send),
    Bind { pod: String },
    Status,
    Evict,
    Event,
}

#[derive(Clone, Debug)]
pub struct Scheduler {
    pub(crate) client: ApiClient<Tag>,
    /// False once the process died, until it starts again.
    pub up: bool,
    /// The host it runs on: the first half of its leader election identity.
    host: String,
    pub elector: LeaderElector,
    /// How often the process exited (the kubelet's restart back-off grows with it).
    pub restarts: u32,
    pub(crate) informers: Vec<Informer>,
    pub profiles: Vec<Profile>,
    pub cache: Snapshot,
    pub queue: SchedulingQueue,
    cycle: Cycle,
    busy: bool,
    flush_at: Option<SimTime>,
    rng: SimRng,
    recorder: Recorder,
    /// Pods waiting at Permit, by key.
    waiting: VecMap<String, Waiting>,
    /// Latest attempt per pod, oldest first.
    pub attempts: VecDeque<(String, Attempt)>,
    pub scheduled_total: u64,
    metrics: metrics::SchedulerMetrics,
}

const POD: usize = 0;
const PDB: usize = 5;
const CLAIMS: usize = 6;
const CLASSES: usize = 7;

impl Scheduler {
    pub fn new(apiserver: ComponentId, host: &str, rng: SimRng) -> Self {
        let cred = Credential::ClientCert { common_name: "system:kube-scheduler".into(), organizations: vec![] };
        let res = |p| ResourceInfo::of(p);
        let informers = [
            "pods",
            "nodes",
            "namespaces",
            "services",
            "replicasets",
            "poddisruptionbudgets",
            "persistentvolumeclaims",
            "storageclasses",
        ]
        .map(|p| Informer::new(res(p), None))
        .to_vec();
        Scheduler {
            client: ApiClient::new(apiserver, cred),
            up: true,
            host: host.to_string(),
            elector: LeaderElector::new(LEASE_NAME, String::new()),
            restarts: 0,
            informers,
            profiles: vec![Profile::default()],
            cache: Snapshot::default(),
            queue: SchedulingQueue::default(),
            cycle: Cycle { next_start_node_index: 0 },
            busy: false,
            flush_at: None,
            rng,
            recorder: Recorder::new("default-scheduler", ""),
            waiting: VecMap::new(),
            attempts: VecDeque::new(),
            scheduled_total: 0,
            metrics: Default::default(),
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if !self.up && timer != Timer::Restart {
            return;
        }
        match timer {
            Timer::Restart => {
                *self = self.restarted();
                self.on_timer(ctx, Timer::Start);
            }
            Timer::ResendEvent { req_id } => self.client.resend_event(ctx, req_id),
            Timer::LeaderElection => {
                let (send, transition) = self.elector.on_timer(ctx, &mut self.rng);
                self.lease_step(ctx, send, transition);
            }
            Timer::Rewatch { resource } => {
                if let Some(inf) =
                    self.informers.iter_mut().find(|i| i.resource.plural == resource && i.watch_id.is_none())
                {
                    inf.start(ctx, &mut self.client, Tag::Watch);
                }
            }
            Timer::Start => {
                ctx.phase("start", "informers: pods, nodes, namespaces, services, replicasets");
                for inf in &mut self.informers {
                    inf.start(ctx, &mut self.client, Tag::Watch);
                }
                self.elector = LeaderElector::campaign(ctx, LEASE_NAME, &self.host, &mut self.rng);
            }
            Timer::Work => {
                self.busy = false;
                self.schedule_one(ctx);
            }
            Timer::PermitTimeout { pod } => self.permit_timeout(ctx, &pod),
            Timer::QueueFlush => {
                self.flush_at = None;
                // Backoffs that expired go to activeQ now, or kick would find it empty.
                self.queue.flush_backoff(ctx.now);
                let moved = self.queue.flush_unschedulable(ctx.now);
                if moved > 0 {
                    ctx.phase("queue", format!("{moved} pod(s) unschedulable for 5m back to activeQ"));
                }
                self.kick(ctx);
                self.arm_flush(ctx);
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if !self.up || self.client.on_transport(ctx, &msg.payload) {
            return;
        }
        match msg.payload {
            Payload::ApiResp { req_id, resp } => match (self.client.complete(ctx, req_id, &resp), *resp) {
                (Some(Tag::Lease(sent)), resp) => {
                    let (send, transition) = self.elector.on_response(ctx.now, sent.call, sent.attempt, &resp);
                    self.lease_step(ctx, send, transition);
                }
                (Some(Tag::Watch), Ok(body)) => {
                    let Some(i) = self.informers.iter().position(|inf| inf.watch_id == Some(req_id)) else { return };
                    for gone in started(ctx, &mut self.informers[i], body) {
                        self.observe(ctx, WatchType::Deleted, &gone, None);
                    }
                    let objects: Vec<Arc<Object>> = self.informers[i].shared().cloned().collect();
                    for o in objects {
                        self.observe(ctx, WatchType::Added, &o, None);
                    }
                }
                (Some(Tag::Watch), Err(s)) => {
                    watch_failed(ctx, &mut self.informers.iter_mut().collect::<Vec<_>>(), req_id, &s);
                }
                (Some(Tag::Bind { pod }), Err(status)) => {
                    ctx.phase("Bind", format!("{pod}: {}", status.message));
                    self.cache.remove_pod(&pod);
                    self.count("error");
                    if status.code == 404 {
                        self.queue.delete(&pod);
                    } else {
                        self.queue.requeue(&pod, false, ctx.now);
                        self.arm_flush(ctx);
                    }
                }
                (Some(Tag::Bind { pod }), Ok(_)) => {
                    self.scheduled_total += 1;
                    ctx.phase("PostBind", format!("{pod} bound"));
                    let node = self.cache.node_of(&pod).map(str::to_string).unwrap_or_default();
                    self.record(
                        ctx,
                        &pod,
                        recorder::NORMAL,
                        "Scheduled",
                        format!("Successfully assigned {pod} to {node}"),
                    );
                }
                _ => {}
            },
            Payload::WatchClosed { watch_id } => {
                rewatch_later(ctx, &mut self.informers.iter_mut().collect::<Vec<_>>(), watch_id);
            }
            Payload::Bookmark { watch_id, revision } => {
                bookmark(&mut self.informers.iter_mut().collect::<Vec<_>>(), watch_id, revision);
            }
            Payload::Watch(ev) => {
                for i in 0..self.informers.len() {
                    if let Some(old) = self.informers[i].apply(&ev) {
                        self.observe(ctx, ev.type_, &ev.object, old);
                        break;
                    }
                }
            }
            _ => {}
        }
    }

    /// Updates the cache and the queue for an object seen on a watch.
    fn observe(&mut self, ctx: &mut Ctx, type_: WatchType, object: &Arc<Object>, old: Option<Arc<Object>>) {
        let key = key_of(object);
        match &**object {
            Object::Pod(p) => {
                let deleted = type_ == WatchType::Deleted;
                if deleted || p.is_terminal() {
                    let was_placed = self.cache.node_of(&key).is_some();
                    self.cache.remove_pod(&key);
                    self.cache.unnominate(&key);
                    self.queue.delete(&key);
                    self.waiting.remove(&key);
                    if was_placed {
                        self.move_all(ctx, "AssignedPodDelete");
                    }
                } else if !p.spec.node_name.is_empty() {
                    self.queue.delete(&key);
                    if let Some(shared) = SharedPod::of(object) {
                        self.cache.add_pod(shared, &p.spec.node_name);
                    }
                } else if self.responsible_for(p) && p.metadata.deletion_timestamp.is_none() {
                    let gated = !scheduling_gates::pre_enqueue(p).is_success();
                    self.queue.add(&key, priority(p), gated, ctx.now);
                    self.kick(ctx);
                }
            }
            Object::Node(n) => {
                if type_ == WatchType::Deleted {
                    self.cache.remove_node(&n.metadata.name);
                } else {
                    self.cache.set_node(n.clone());
                    self.move_all(ctx, if old.is_none() { "NodeAdd" } else { "NodeUpdate" });
                }
            }
            Object::Namespace(ns) => {
                if type_ == WatchType::Deleted {
                    self.cache.namespaces.remove(&ns.metadata.name);
                } else {
                    self.cache.namespaces.insert(ns.metadata.name.clone(), ns.metadata.labels.clone());
                }
            }
            Object::Service(_) | Object::ReplicaSet(_) => self.rebuild_owner_selectors(),
            Object::PersistentVolumeClaim(_) | Object::StorageClass(_) => {
                self.rebuild_claims();
                if type_ != WatchType::Deleted {
                    let event = match (&**object, old.is_none()) {
                        (Object::StorageClass(_), _) => "StorageClassAdd",
                        (_, true) => "PvcAdd",
                        (_, false) => "PvcUpdate",
                    };
                    self.move_all(ctx, event);
                }
            }
            // DefaultPreemption prefers victims whose eviction no budget forbids.
            Object::PodDisruptionBudget(_) => {
                self.cache.pdbs = self.informers[PDB]
                    .objects()
                    .filter_map(|o| match o {
                        Object::PodDisruptionBudget(b) => Some(b.clone()),
                        _ => None,
                    })
                    .collect();
            }
            _ => {}
        }
    }

    /// VolumeBinding's view of the claims: bound, or how their class binds.
    fn rebuild_claims(&mut self) {
        use plugins::volume_binding::Claim;
        let delayed = |class: &Option<String>| {
            class.as_ref().and_then(|c| self.informers[CLASSES].get(c)).is_some_and(
                |o| matches!(o, Object::StorageClass(sc) if sc.volume_binding_mode == "WaitForFirstConsumer"),
            )
        };
        self.cache.claims = self.informers[CLAIMS]
            .objects()
            .filter_map(|o| match o {
                Object::PersistentVolumeClaim(c) => {
                    let state = if c.metadata.deletion_timestamp.is_some() {
                        Claim::Deleting
                    } else if !c.spec.volume_name.is_empty() {
                        Claim::Bound
                    } else if delayed(&c.spec.storage_class_name) {
                        Claim::UnboundDelayed
                    } else {
                        Claim::UnboundImmediate
                    };
                    Some((key_of(o), state))
                }
                _ => None,
            })
            .collect();
    }

    fn rebuild_owner_selectors(&mut self) {
        let mut map: VecMap<String, Vec<LabelSelector>> = VecMap::new();
        for inf in &self.informers[3..] {
            for o in inf.objects() {
                let sel = match o {
                    Object::Service(s) if !s.spec.selector.is_empty() => {
                        LabelSelector { match_labels: s.spec.selector.clone(), ..Default::default() }
                    }
                    Object::ReplicaSet(rs) => rs.spec.selector.clone(),
                    _ => continue,
                };
                map.entry(o.meta().namespace.clone()).or_default().push(sel);
            }
        }
        self.cache.owner_selectors = map;
    }

    fn responsible_for(&self, p: &Pod) -> bool {
        self.profiles.iter().any(|pr| pr.scheduler_name == p.spec.scheduler_name)
    }

    /// Sends the elector's next request and acts on what changed.
    fn lease_step(&mut self, ctx: &mut Ctx, send: Option<leaderelection::Send>, transition: Transition) {
        if let Some(s) = send {
            self.client.send(ctx, 0, s.req.clone(), Tag::Lease(s));
        }
        match transition {
            Transition::None => {}
            Transition::Started => {
                if let Some(req) = self.elector.started(ctx) {
                    self.client.send_event(ctx, req, Tag::Event);
                }
                self.kick(ctx);
                self.arm_flush(ctx);
            }
            Transition::Lost => {
                self.stop(ctx);
                LeaderElector::lost(ctx, self.restarts);
                self.restarts += 1;
            }
        }
    }

    /// The process dies (killed, or exiting after losing its lease): its connection to the
    /// apiserver closes with every watch on it.
    pub fn stop(&mut self, ctx: &mut Ctx) {
        self.up = false;
        hang_up(ctx, &mut self.client, &mut self.informers.iter_mut().collect::<Vec<_>>());
    }

    /// What the kubelet starts again: a fresh process on the same host, with its --config.
    fn restarted(&self) -> Self {
        let mut fresh = Scheduler::new(self.client.apiserver, &self.host, self.rng.clone());
        fresh.client = self.client.restarted();
        fresh.profiles = self.profiles.clone();
        fresh.restarts = self.restarts;
        fresh
    }

    fn kick(&mut self, ctx: &mut Ctx) {
        if !self.elector.leading {
            return;
        }
        if !self.busy && !self.queue.is_empty_active() {
            self.busy = true;
            ctx.timer(CYCLE_US, Timer::Work);
        }
    }

    /// A timer for the next backoff expiry or the 5-minute unschedulable flush.
    fn arm_flush(&mut self, ctx: &mut Ctx) {
        let mut next = self.queue.next_backoff();
        if self.queue.pending()[2].1 > 0 {
            // flushUnschedulablePodsLeftover runs every 30 s.
            let tick = SimTime((ctx.now.0 / (30 * SECONDS) + 1) * 30 * SECONDS);
            next = Some(next.map_or(tick, |n| n.min(tick)));
        }
        if let Some(at) = next {
            if self.flush_at.is_none_or(|f| at < f) {
                self.flush_at = Some(at);
                ctx.timer(at.since(ctx.now), Timer::QueueFlush);
            }
        }
    }

    /// MoveAllToActiveOrBackoffQueue on a cluster event that may make pods schedulable.
    fn move_all(&mut self, ctx: &mut Ctx, event: &str) {
        let moved = self.queue.move_all(ctx.now);
        if moved > 0 {
            ctx.phase("queue", format!("{event}: {moved} unschedulable pod(s) moved to activeQ or backoffQ"));
            self.arm_flush(ctx);
            self.kick(ctx);
        }
    }

    fn count(&mut self, result: &'static str) {
        self.metrics.count(result);
    }

    fn schedule_one(&mut self, ctx: &mut Ctx) {
        let Some((key, queued)) = self.queue.pop(ctx.now) else { return };
        let Some(pod) = self.informers[POD].get(&key).and_then(|o| o.as_pod()).cloned() else {
            self.queue.delete(&key);
            self.kick(ctx);
            return;
        };
        let Some(profile_index) = self.profiles.iter().position(|p| p.scheduler_name == pod.spec.scheduler_name) else {
            self.queue.delete(&key);
            self.kick(ctx);
            return;
        };
        let profile = &self.profiles[profile_index];
        // Every plugin's verdict on every node, for small clusters; in large ones for a sample
        // of cycles (the explain view and the trace), so the record costs no more than the
        // cycle itself. The metrics count every cycle either way.
        let detail = self.cache.nodes.len() <= EXPLAIN_ALL_NODES || self.metrics.cycles.is_multiple_of(EXPLAIN_SAMPLE);
        // Beyond the clusters explained whole, the first rejections stand for the rest.
        let keep_rejected = (self.cache.nodes.len() > EXPLAIN_ALL_NODES).then_some(EXPLAIN_ALL_NODES);
        let mut explain = Explain { keep_rejected, ..Default::default() };
        let owner = self.cache.default_selector(&pod);
        let outcome = self.cycle.schedule(
            profile,
            &pod,
            owner.as_ref(),
            &self.cache,
            &mut self.rng,
            detail.then_some(&mut explain),
        );
        let counts = match &outcome {
            Outcome::Scheduled { evaluated, feasible, .. } => {
                CycleCounts { evaluated: *evaluated, feasible: *feasible, nominated: false }
            }
            Outcome::Unschedulable { diagnosis, nominated, .. } => {
                CycleCounts { evaluated: diagnosis.node_status.len(), feasible: 0, nominated: nominated.is_some() }
            }
        };
        for (node, plugins) in &explain.filter {
            if let Some((plugin, reason)) = plugins.iter().find(|(_, r)| *r != cycle::PASSED) {
                ctx.phase("Filter", format!("{key}: {node} rejected by {plugin}: {reason}"));
            }
        }
        if explain.rejected_omitted > 0 {
            let (kept, more) = (explain.rejected_kept, explain.rejected_omitted);
            ctx.phase(
                "Filter",
                format!("{key}: {more} more nodes rejected (per-node detail kept for the first {kept})"),
            );
        }
        let totals: Vec<String> = explain
            .final_score
            .iter()
            .map(|(n, p)| format!("{n}={}", p.values().filter_map(|s| s.parse::<i64>().ok()).sum::<i64>()))
            .collect();
        if !totals.is_empty() {
            ctx.phase("Score", format!("{key}: {}", totals.join(" ")));
        } else if !detail && counts.feasible > 0 {
            let (e, f) = (counts.evaluated, counts.feasible);
            ctx.phase("Score", format!("{key}: {f} feasible of {e} nodes evaluated (per-node detail sampled)"));
        }
        let mut permit = None;
        let outcome_was_scheduled = matches!(outcome, Outcome::Scheduled { .. });
        let message = match outcome {
            Outcome::Scheduled { node, .. } => {
                self.count("scheduled");
                let mut assumed = pod.clone();
                assumed.spec.node_name = node.clone();
                self.cache.add_pod(SharedPod::new(assumed), &node);
                match self.permit(ctx, profile_index, &key, &pod, &node, queued.initial) {
                    Some(text) => permit = Some(text),
                    None => self.bind(ctx, &key, &pod, node, queued.initial),
                }
                None
            }
            Outcome::Unschedulable { diagnosis, nominated, total_nodes } => {
                self.count("unschedulable");
                let message = fit_error(total_nodes, &diagnosis);
                ctx.phase("PostFilter", format!("{key}: {message}"));
                self.queue.requeue(&key, true, ctx.now);
                self.arm_flush(ctx);
                let nominated_node = nominated.as_ref().map(|c| c.node.clone());
                if let Some(c) = nominated {
                    self.cache.nominate(SharedPod::new(pod.clone()), &c.node);
                    self.preempt(ctx, &key, &c);
                }
                self.record(ctx, &key, recorder::WARNING, "FailedScheduling", message.clone());
                self.report_unschedulable(ctx, &pod, message.clone(), nominated_node);
                Some(message)
            }
        };
        let permit_ran = outcome_was_scheduled.then_some(permit.is_some());
        self.metrics.cycle(&self.profiles[profile_index], &counts, permit_ran);
        if detail {
            self.remember(key, Attempt { at: ctx.now, explain, message, permit });
        }
        self.kick(ctx);
    }

    /// Runs the profile's Permit plugins for a pod assumed on `node`. Returns the reason it
    /// waits, or None when it may bind now (then its waiting gang mates bind too).
    fn permit(
        &mut self,
        ctx: &mut Ctx,
        profile: usize,
        key: &str,
        pod: &Pod,
        node: &str,
        queued_at: SimTime,
    ) -> Option<String> {
        if !self.profiles[profile].permit.contains(&plugins::Plugin::Coscheduling) {
            return None;
        }
        let args = self.profiles[profile].coscheduling.clone();
        let (group, min) = coscheduling::group(pod)?;
        let placed = self.informers[POD]
            .objects()
            .filter_map(|o| o.as_pod())
            .filter(|p| coscheduling::group(p).is_some_and(|(g, _)| g == group))
            .filter(|p| self.cache.node_of(&cache_key(&p.metadata.namespace, &p.metadata.name)).is_some())
            .count();
        match coscheduling::permit(&args, min, placed) {
            coscheduling::Permit::Allow => {
                let mates: Vec<String> =
                    self.waiting.iter().filter(|(_, w)| w.group == group).map(|(k, _)| k.clone()).collect();
                if !mates.is_empty() {
                    ctx.phase(
                        "Permit",
                        format!("pod group {group}: {placed}/{min} placed, allowing {} waiting", mates.len()),
                    );
                }
                for mate in mates {
                    let Some(w) = self.waiting.remove(&mate) else { continue };
                    if let Some(p) = self.informers[POD].get(&mate).and_then(|o| o.as_pod()).cloned() {
                        self.bind(ctx, &mate, &p, w.node, w.queued_at);
                    }
                }
                None
            }
            coscheduling::Permit::Wait { timeout_s, missing } => {
                let text = format!(
                    "Coscheduling: waiting on {node} for {missing} more pod(s) of group {group} ({placed}/{min}), timeout {timeout_s}s"
                );
                ctx.phase("Permit", format!("{key}: {text}"));
                let timeout_message = coscheduling::timeout_message(&args);
                let w = Waiting { node: node.to_string(), group, queued_at, timeout_message };
                self.waiting.insert(key.to_string(), w);
                ctx.timer(timeout_s as u64 * SECONDS, Timer::PermitTimeout { pod: key.to_string() });
                Some(text)
            }
        }
    }

    /// The Permit wait of `key` ran out: it and the waiting rest of its group are rejected,
    /// their reservations undone, and they go back to the queue as unschedulable.
    fn permit_timeout(&mut self, ctx: &mut Ctx, key: &str) {
        let Some((group, message)) = self.waiting.get(key).map(|w| (w.group.clone(), w.timeout_message.clone())) else {
            return;
        };
        let rejected: Vec<String> =
            self.waiting.iter().filter(|(_, w)| w.group == group).map(|(k, _)| k.clone()).collect();
        for k in rejected {
            self.waiting.remove(&k);
            self.cache.remove_pod(&k);
            self.count("unschedulable");
            ctx.phase("Permit", format!("{k}: {message}"));
            self.queue.requeue(&k, true, ctx.now);
            self.record(ctx, &k, recorder::WARNING, "FailedScheduling", message.clone());
            if let Some(p) = self.informers[POD].get(&k).and_then(|o| o.as_pod()).cloned() {
                self.report_unschedulable(ctx, &p, message.clone(), None);
            }
        }
        self.arm_flush(ctx);
        self.move_all(ctx, "PermitRejected");
    }

    /// The binding cycle: DefaultBinder creates the pods/binding subresource.
    fn bind(&mut self, ctx: &mut Ctx, key: &str, pod: &Pod, node: String, queued_at: SimTime) {
        ctx.phase("Bind", format!("{key} → {node}"));
        let res = ResourceInfo::of("pods");
        let mut req =
            ApiRequest::new(Verb::Create, res, &pod.metadata.namespace, &pod.metadata.name).with_subresource("binding");
        req.target_node = Some(node);
        self.metrics.sli_duration.observe(ctx.now.since(queued_at) as f64 / SECONDS as f64);
        self.client.send(ctx, 0, req, Tag::Bind { pod: key.to_string() });
    }

    /// Deletes the victims gracefully; the preemptor is retried when they are gone.
    fn preempt(&mut self, ctx: &mut Ctx, key: &str, c: &plugins::default_preemption::Candidate) {
        self.metrics.preemption_victims.observe(c.victims.len() as f64);
        let names: Vec<String> = c.victims.iter().map(|v| cache_key(&v.metadata.namespace, &v.metadata.name)).collect();
        ctx.phase("PostFilter", format!("{key}: preempting {} on {}", names.join(", "), c.node));
        let res = ResourceInfo::of("pods");
        let preemptor_uid = self.informers[POD].get(key).map(|o| o.meta().uid.clone()).unwrap_or_default();
        for v in &c.victims {
            let req = ApiRequest::new(Verb::Delete, res, &v.metadata.namespace, &v.metadata.name);
            self.client.send(ctx, 0, req, Tag::Evict);
            let message = format!("Preempted by pod {preemptor_uid} on node {}", c.node);
            let victim = cache_key(&v.metadata.namespace, &v.metadata.name);
            self.record(ctx, &victim, recorder::NORMAL, "Preempted", message);
        }
    }

    /// Records an event about the pod `key` (as the scheduler's EventRecorder).
    fn record(&mut self, ctx: &mut Ctx, key: &str, type_: &str, reason: &str, message: String) {
        let Some(pod) = self.informers[POD].get(key) else { return };
        let req = self.recorder.event(ctx.now, recorder::reference(pod.kind(), pod.meta()), type_, reason, message);
        self.client.send_event(ctx, req, Tag::Event);
    }

    fn remember(&mut self, key: String, attempt: Attempt) {
        self.attempts.retain(|(k, _)| *k != key);
        self.attempts.push_back((key, attempt));
        let keep = if self.cache.nodes.len() <= EXPLAIN_ALL_NODES { EXPLAIN_KEEP } else { EXPLAIN_KEEP_SAMPLED };
        while self.attempts.len() > keep {
            self.attempts.pop_front();
        }
    }

    /// Sets PodScheduled=False with reason Unschedulable (and status.nominatedNodeName when
    /// preempting), as the scheduler's FailureHandler.
    fn report_unschedulable(&mut self, ctx: &mut Ctx, pod: &Pod, message: String, nominated: Option<String>) {
        let already = pod.condition("PodScheduled").is_some_and(|c| c.status == "False" && c.message == message);
        if already && nominated.is_none() {
            return;
        }
        let mut conditions: Vec<Condition> =
            pod.status.conditions.iter().filter(|c| c.type_ != "PodScheduled").cloned().collect();
        conditions.push(Condition {
            type_: "PodScheduled".into(),
            status: "False".into(),
            reason: "Unschedulable".into(),
            message,
            last_transition_time: Some(Time::at(ctx.now)),
        });
        let res = ResourceInfo::of("pods");
        let mut req =
            ApiRequest::new(Verb::Patch, res, &pod.metadata.namespace, &pod.metadata.name).with_subresource("status");
        let mut status = serde_json::json!({ "conditions": conditions });
        if let Some(node) = nominated {
            status["nominatedNodeName"] = node.into();
        }
        req.patch = Some(serde_json::json!({ "status": status }));
        self.client.send(ctx, 0, req, Tag::Status);
    }

    /// The scheduler's Prometheus metrics (the /metrics endpoint on port 10259).
    pub fn metrics_text(&self) -> String {
        self.metrics.text(&self.queue.pending()) + &self.elector.metrics_text()
    }
}
