//! kube-scheduler: watches pods and nodes, queues pods without a node, and runs one
//! scheduling cycle at a time — Filter (NodeUnschedulable, NodeName, TaintToleration,
//! NodeResourcesFit), Score (TaintToleration ×3, NodeResourcesFit ×1), selectHost with seeded
//! tie-breaking — then binds through pods/binding. Pods that fit nowhere get the upstream
//! `0/N nodes are available: …` condition and wait for a cluster event.
//! Simplified: one FIFO activeQ (no PrioritySort, backoffQ or 5-minute flush yet), no preemption.

pub mod framework;
pub mod plugins;

use super::api::meta::Time;
use super::api::request::{ApiRequest, Credential, Verb, WatchType};
use super::api::resource::ResourceInfo;
use super::api::{Condition, Pod};
use super::client::{key_of, ApiClient, Informer};
use super::event::{ComponentId, Message, Payload, Timer};
use super::rng::{Draw, SimRng};
use super::Ctx;
use framework::{NodeInfo, Status, MAX_NODE_SCORE};
use plugins::{node_name, node_resources_fit, node_unschedulable, taint_toleration};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Time for one scheduling cycle, in µs (a few hundred µs per pod in small clusters).
const CYCLE_US: u64 = 400;

#[derive(Clone, Debug, PartialEq)]
pub struct CycleReport {
    pub pod: String,
    /// Nodes filtered out and why.
    pub rejected: Vec<(String, String)>,
    /// Feasible nodes with their weighted total score.
    pub scores: Vec<(String, i64)>,
    pub chosen: Option<String>,
}

#[derive(Clone, Debug)]
enum Tag {
    Watch,
    Bind { pod: String },
    Status,
}

#[derive(Clone, Debug)]
pub struct Scheduler {
    client: ApiClient<Tag>,
    pub pods: Informer,
    pub nodes: Informer,
    pub active: VecDeque<String>,
    pub unschedulable: BTreeSet<String>,
    /// Pods assumed on a node while their binding is in flight.
    assumed: BTreeMap<String, String>,
    busy: bool,
    rng: SimRng,
    pub last_cycle: Option<CycleReport>,
    pub scheduled_total: u64,
}

impl Scheduler {
    pub fn new(apiserver: ComponentId, rng: SimRng) -> Self {
        let cred = Credential::ClientCert { common_name: "system:kube-scheduler".into(), organizations: vec![] };
        let res = |p| ResourceInfo::by_plural(p).expect("resource table lists pods and nodes");
        Scheduler {
            client: ApiClient::new(apiserver, cred),
            pods: Informer::new(res("pods"), None),
            nodes: Informer::new(res("nodes"), None),
            active: VecDeque::new(),
            unschedulable: BTreeSet::new(),
            assumed: BTreeMap::new(),
            busy: false,
            rng,
            last_cycle: None,
            scheduled_total: 0,
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::Start => {
                ctx.phase("start", "informers: pods, nodes");
                self.pods.start(ctx, &mut self.client, Tag::Watch);
                self.nodes.start(ctx, &mut self.client, Tag::Watch);
            }
            Timer::Work => {
                self.busy = false;
                self.schedule_one(ctx);
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match msg.payload {
            Payload::ApiResp { req_id, resp } => match (self.client.complete(req_id), *resp) {
                (Some(Tag::Watch), Ok(body)) => {
                    for inf in [&mut self.pods, &mut self.nodes] {
                        if inf.watch_id == Some(req_id) {
                            inf.on_started(body);
                            break;
                        }
                    }
                    let pending: Vec<String> = self
                        .pods
                        .objects()
                        .filter_map(|o| o.as_pod())
                        .filter(|p| needs_scheduling(p))
                        .map(key_of_pod)
                        .collect();
                    for k in pending {
                        self.enqueue(ctx, k);
                    }
                }
                (Some(Tag::Bind { pod }), Err(status)) => {
                    ctx.phase("Bind", format!("{pod}: {}", status.message));
                    self.assumed.remove(&pod);
                    if status.code != 404 {
                        self.enqueue(ctx, pod);
                    }
                }
                (Some(Tag::Bind { pod }), Ok(_)) => {
                    self.scheduled_total += 1;
                    ctx.phase("PostBind", format!("{pod} bound"));
                }
                _ => {}
            },
            Payload::Watch(ev) => {
                if let Some(old) = self.pods.apply(&ev) {
                    let key = key_of(&ev.object);
                    match (&ev.type_, ev.object.as_pod()) {
                        (WatchType::Deleted, _) => {
                            self.assumed.remove(&key);
                            if old.is_some_and(|o| o.as_pod().is_some_and(|p| !p.spec.node_name.is_empty())) {
                                self.move_all_to_active(ctx, "AssignedPodDelete");
                            }
                        }
                        (_, Some(p)) if !p.spec.node_name.is_empty() => {
                            self.assumed.remove(&key);
                        }
                        (_, Some(p)) if needs_scheduling(p) && !self.unschedulable.contains(&key) => {
                            self.enqueue(ctx, key)
                        }
                        _ => {}
                    }
                } else if self.nodes.apply(&ev).is_some() && ev.type_ != WatchType::Deleted {
                    self.move_all_to_active(ctx, if ev.type_ == WatchType::Added { "NodeAdd" } else { "NodeUpdate" });
                }
            }
            _ => {}
        }
    }

    fn enqueue(&mut self, ctx: &mut Ctx, key: String) {
        if !self.active.contains(&key) && !self.assumed.contains_key(&key) {
            self.active.push_back(key);
        }
        self.kick(ctx);
    }

    fn kick(&mut self, ctx: &mut Ctx) {
        if !self.busy && !self.active.is_empty() {
            self.busy = true;
            ctx.timer(CYCLE_US, Timer::Work);
        }
    }

    /// MoveAllToActiveOrBackoffQueue on a cluster event that may make pods schedulable.
    fn move_all_to_active(&mut self, ctx: &mut Ctx, event: &str) {
        if self.unschedulable.is_empty() {
            return;
        }
        ctx.phase("queue", format!("{event}: {} unschedulable pod(s) back to activeQ", self.unschedulable.len()));
        for k in std::mem::take(&mut self.unschedulable) {
            self.enqueue(ctx, k);
        }
    }

    fn schedule_one(&mut self, ctx: &mut Ctx) {
        let Some(key) = self.active.pop_front() else {
            return;
        };
        self.kick(ctx);
        let Some(pod) = self.pods.store.get(&key).and_then(|o| o.as_pod()).filter(|p| needs_scheduling(p)).cloned()
        else {
            return;
        };
        let infos = self.snapshot();
        let report = run_cycle(&pod, &infos, &mut self.rng);
        for (node, reason) in &report.rejected {
            ctx.phase("Filter", format!("{key}: {node} rejected: {reason}"));
        }
        if !report.scores.is_empty() {
            let shown: Vec<String> = report.scores.iter().map(|(n, s)| format!("{n}={s}")).collect();
            ctx.phase("Score", format!("{key}: {}", shown.join(" ")));
        }
        match report.chosen.clone() {
            Some(node) => {
                ctx.phase("Bind", format!("{key} → {node}"));
                self.assumed.insert(key.clone(), node.clone());
                let res = ResourceInfo::by_plural("pods").expect("pods");
                let mut req = ApiRequest::new(Verb::Create, res, &pod.metadata.namespace, &pod.metadata.name)
                    .with_subresource("binding");
                req.target_node = Some(node);
                self.client.send(ctx, 0, req, Tag::Bind { pod: key });
            }
            None => {
                let message = fit_error(infos.len(), &report.rejected);
                ctx.phase("PostFilter", format!("{key}: {message}"));
                self.unschedulable.insert(key);
                self.report_unschedulable(ctx, &pod, message);
            }
        }
        self.last_cycle = Some(report);
    }

    /// Sets PodScheduled=False with reason Unschedulable, as the scheduler's FailureHandler.
    fn report_unschedulable(&mut self, ctx: &mut Ctx, pod: &Pod, message: String) {
        let already = pod.condition("PodScheduled").is_some_and(|c| c.status == "False" && c.message == message);
        if already {
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
        let res = ResourceInfo::by_plural("pods").expect("pods");
        let mut req =
            ApiRequest::new(Verb::Patch, res, &pod.metadata.namespace, &pod.metadata.name).with_subresource("status");
        req.patch = Some(serde_json::json!({ "status": { "conditions": conditions } }));
        self.client.send(ctx, 0, req, Tag::Status);
    }

    /// NodeInfo for every node, from the informers plus assumed pods.
    fn snapshot(&self) -> Vec<NodeInfo> {
        let mut infos: Vec<NodeInfo> =
            self.nodes.objects().filter_map(|o| o.as_node()).map(|n| NodeInfo::new(n.clone())).collect();
        let index: BTreeMap<String, usize> =
            infos.iter().enumerate().map(|(i, n)| (n.node.metadata.name.clone(), i)).collect();
        for o in self.pods.objects() {
            let Some(p) = o.as_pod() else { continue };
            let node = if p.spec.node_name.is_empty() {
                self.assumed.get(&key_of(o)).cloned().unwrap_or_default()
            } else {
                p.spec.node_name.clone()
            };
            if let Some(&i) = index.get(&node) {
                if !p.is_terminal() {
                    infos[i].add_pod(p);
                }
            }
        }
        infos
    }
}

fn key_of_pod(p: &Pod) -> String {
    super::api::meta::cache_key(&p.metadata.namespace, &p.metadata.name)
}

fn needs_scheduling(p: &Pod) -> bool {
    p.spec.node_name.is_empty()
        && p.metadata.deletion_timestamp.is_none()
        && p.spec.scheduler_name == "default-scheduler"
        && !p.is_terminal()
}

/// One scheduling cycle over a snapshot: Filter, Score (with NormalizeScore), selectHost.
pub fn run_cycle(pod: &Pod, nodes: &[NodeInfo], rng: &mut SimRng) -> CycleReport {
    let mut rejected = Vec::new();
    let mut feasible: Vec<&NodeInfo> = Vec::new();
    for n in nodes {
        let status = filter(pod, n);
        if status.is_success() {
            feasible.push(n);
        } else {
            rejected.push((n.node.metadata.name.clone(), status.reasons.join(", ")));
        }
    }
    let pod_key = key_of_pod(pod);
    if feasible.len() <= 1 {
        // With exactly one feasible node the scheduler skips scoring.
        let chosen = feasible.first().map(|n| n.node.metadata.name.clone());
        let scores = chosen.iter().map(|n| (n.clone(), 0)).collect();
        return CycleReport { pod: pod_key, rejected, scores, chosen };
    }
    let taint_raw: Vec<i64> = feasible.iter().map(|n| taint_toleration::score(pod, n)).collect();
    let taint = default_normalize_score(MAX_NODE_SCORE, true, &taint_raw);
    let scores: Vec<(String, i64)> = feasible
        .iter()
        .zip(taint)
        .map(|(n, t)| {
            (
                n.node.metadata.name.clone(),
                t * taint_toleration::WEIGHT + node_resources_fit::score(pod, n) * node_resources_fit::WEIGHT,
            )
        })
        .collect();
    let chosen = select_host(&scores, rng);
    CycleReport { pod: pod_key, rejected, scores, chosen }
}

/// Filter plugins in the default profile's order; the first failure decides.
pub fn filter(pod: &Pod, node: &NodeInfo) -> Status {
    let filters: [fn(&Pod, &NodeInfo) -> Status; 4] =
        [node_unschedulable::filter, node_name::filter, taint_toleration::filter, node_resources_fit::filter];
    filters.iter().map(|f| f(pod, node)).find(|s| !s.is_success()).unwrap_or_else(Status::success)
}

/// helper.DefaultNormalizeScore.
pub fn default_normalize_score(max: i64, reverse: bool, scores: &[i64]) -> Vec<i64> {
    let max_count = scores.iter().copied().max().unwrap_or(0);
    if max_count == 0 {
        return scores.iter().map(|s| if reverse { max } else { *s }).collect();
    }
    scores
        .iter()
        .map(|s| {
            let v = max * s / max_count;
            if reverse {
                max - v
            } else {
                v
            }
        })
        .collect()
}

/// selectHost: the highest total; ties broken uniformly by reservoir sampling.
pub fn select_host(scores: &[(String, i64)], rng: &mut SimRng) -> Option<String> {
    let mut best: Option<(&String, i64)> = None;
    let mut ties = 0u64;
    for (name, score) in scores {
        match best {
            Some((_, b)) if *score < b => {}
            Some((_, b)) if *score == b => {
                ties += 1;
                if rng.below(ties + 1) == 0 {
                    best = Some((name, *score));
                }
            }
            _ => {
                best = Some((name, *score));
                ties = 0;
            }
        }
    }
    best.map(|(n, _)| n.clone())
}

/// FitError.Error(): `0/N nodes are available: <count> <reason>, …` with reasons sorted.
pub fn fit_error(total: usize, rejected: &[(String, String)]) -> String {
    let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, reasons) in rejected {
        for r in reasons.split(", ") {
            *histogram.entry(r).or_insert(0) += 1;
        }
    }
    let mut parts: Vec<String> = histogram.into_iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    format!("0/{total} nodes are available: {}.", parts.join(", "))
}
