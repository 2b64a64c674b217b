//! kube-controller-manager: informers over deployments, replicasets and pods, one rate-limited
//! work queue per controller, and reconciliation through ordinary API requests that walk the
//! apiserver's whole handler chain. Runs the Deployment, ReplicaSet and garbage-collector loops.

pub mod deployment;
pub mod garbagecollector;
pub mod replicaset;
pub mod workqueue;

use super::api::request::{ApiBody, Credential, WatchType};
use super::api::resource::ResourceInfo;
use super::api::Object;
use super::client::{key_of, ApiClient, Informer};
use super::event::{ComponentId, Message, Payload, Timer};
use super::Ctx;
use std::collections::BTreeMap;
use workqueue::WorkQueue;

/// Time one worker spends on one key, in µs.
const SYNC_US: u64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Loop {
    Deployment,
    ReplicaSet,
    GarbageCollector,
}

impl Loop {
    pub fn name(self) -> &'static str {
        match self {
            Loop::Deployment => "deployment",
            Loop::ReplicaSet => "replicaset",
            Loop::GarbageCollector => "garbagecollector",
        }
    }
}

#[derive(Clone, Debug)]
enum Tag {
    Watch,
    Write { controller: Loop, key: String },
}

#[derive(Clone, Debug)]
pub struct ControllerManager {
    client: ApiClient<Tag>,
    pub deployments: Informer,
    pub replicasets: Informer,
    pub pods: Informer,
    pub queues: BTreeMap<Loop, WorkQueue>,
    expectations: replicaset::Expectations,
    working: bool,
    retries: BTreeMap<u64, (Loop, String)>,
    next_retry: u64,
}

fn informer(plural: &str) -> Informer {
    Informer::new(ResourceInfo::by_plural(plural).expect("resource table lists every watched resource"), None)
}

impl ControllerManager {
    pub fn new(apiserver: ComponentId) -> Self {
        let cred =
            Credential::ClientCert { common_name: "system:kube-controller-manager".into(), organizations: vec![] };
        ControllerManager {
            client: ApiClient::new(apiserver, cred),
            deployments: informer("deployments"),
            replicasets: informer("replicasets"),
            pods: informer("pods"),
            queues: [Loop::Deployment, Loop::ReplicaSet, Loop::GarbageCollector]
                .into_iter()
                .map(|l| (l, WorkQueue::default()))
                .collect(),
            expectations: BTreeMap::new(),
            working: false,
            retries: BTreeMap::new(),
            next_retry: 1,
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::Start => {
                ctx.phase("start", "informers: deployments, replicasets, pods");
                for inf in [&mut self.deployments, &mut self.replicasets, &mut self.pods] {
                    inf.start(ctx, &mut self.client, Tag::Watch);
                }
            }
            Timer::Work => {
                self.working = false;
                self.work(ctx);
            }
            Timer::Retry { token } => {
                if let Some((l, key)) = self.retries.remove(&token) {
                    self.enqueue(ctx, l, key);
                }
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match msg.payload {
            Payload::ApiResp { req_id, resp } => match (self.client.complete(req_id), *resp) {
                (Some(Tag::Watch), Ok(body)) => self.on_watch_started(ctx, req_id, body),
                (Some(Tag::Write { controller, key }), Err(status)) => {
                    ctx.phase(controller.name(), format!("sync {key} failed: {}", status.message));
                    if status.code != 404 {
                        self.requeue_later(ctx, controller, key);
                    }
                }
                (Some(Tag::Write { controller, key }), Ok(_)) => {
                    if let Some(q) = self.queues.get_mut(&controller) {
                        q.forget(&key);
                    }
                }
                _ => {}
            },
            Payload::Watch(ev) => {
                let ev = *ev;
                for which in 0..3 {
                    let inf = match which {
                        0 => &mut self.deployments,
                        1 => &mut self.replicasets,
                        _ => &mut self.pods,
                    };
                    if let Some(old) = inf.apply(&ev) {
                        self.on_event(ctx, ev.type_, old, &ev.object);
                        break;
                    }
                }
            }
            _ => {}
        }
    }

    fn on_watch_started(&mut self, ctx: &mut Ctx, req_id: u64, body: ApiBody) {
        for inf in [&mut self.deployments, &mut self.replicasets, &mut self.pods] {
            if inf.watch_id == Some(req_id) {
                inf.on_started(body);
                break;
            }
        }
        let keys: Vec<(Loop, String)> = self
            .deployments
            .store
            .keys()
            .map(|k| (Loop::Deployment, k.clone()))
            .chain(self.replicasets.store.keys().map(|k| (Loop::ReplicaSet, k.clone())))
            .collect();
        for (l, k) in keys {
            self.enqueue(ctx, l, k);
        }
    }

    /// Event handlers: which keys a change makes dirty (as each controller's AddFunc/UpdateFunc).
    fn on_event(&mut self, ctx: &mut Ctx, type_: WatchType, old: Option<Object>, obj: &Object) {
        let key = key_of(obj);
        match obj {
            Object::Deployment(_) => self.enqueue(ctx, Loop::Deployment, key),
            Object::ReplicaSet(rs) => {
                self.enqueue(ctx, Loop::ReplicaSet, key);
                if let Some(owner) = rs.metadata.controller_ref() {
                    self.enqueue(
                        ctx,
                        Loop::Deployment,
                        super::api::meta::cache_key(&rs.metadata.namespace, &owner.name),
                    );
                }
            }
            Object::Pod(p) => {
                if let Some(owner) = p.metadata.controller_ref() {
                    let rs_key = super::api::meta::cache_key(&p.metadata.namespace, &owner.name);
                    let was_active = old.as_ref().and_then(|o| o.as_pod()).is_some_and(replicaset::is_active);
                    let observed = match type_ {
                        WatchType::Added => true,
                        WatchType::Modified => was_active && !replicaset::is_active(p),
                        WatchType::Deleted => was_active,
                    };
                    if observed {
                        if let Some(n) = self.expectations.get_mut(&rs_key) {
                            *n -= 1;
                        }
                    }
                    self.enqueue(ctx, Loop::ReplicaSet, rs_key);
                }
            }
            _ => {}
        }
        if type_ == WatchType::Deleted {
            self.enqueue(ctx, Loop::GarbageCollector, obj.meta().uid.clone());
        }
    }

    fn enqueue(&mut self, ctx: &mut Ctx, l: Loop, key: String) {
        if let Some(q) = self.queues.get_mut(&l) {
            q.add(key);
        }
        if !self.working {
            self.working = true;
            ctx.timer(SYNC_US, Timer::Work);
        }
    }

    fn requeue_later(&mut self, ctx: &mut Ctx, l: Loop, key: String) {
        let Some(q) = self.queues.get_mut(&l) else {
            return;
        };
        let delay = q.backoff(&key);
        let token = self.next_retry;
        self.next_retry += 1;
        self.retries.insert(token, (l, key));
        ctx.timer(delay, Timer::Retry { token });
    }

    /// One worker step: take the next key (round-robin over the controllers) and reconcile it.
    fn work(&mut self, ctx: &mut Ctx) {
        let Some((l, key)) = self.queues.iter_mut().find_map(|(l, q)| q.get().map(|k| (*l, k))) else {
            return;
        };
        let syncs = match l {
            Loop::Deployment => deployment::sync(&key, &self.deployments, &self.replicasets),
            Loop::ReplicaSet => replicaset::sync(&key, &self.replicasets, &self.pods, &mut self.expectations),
            Loop::GarbageCollector => garbagecollector::collect(&key, &[&self.replicasets, &self.pods]),
        };
        ctx.phase(l.name(), format!("sync {key}: {} request(s)", syncs.len()));
        for req in syncs {
            self.client.send(ctx, 0, req, Tag::Write { controller: l, key: key.clone() });
        }
        if self.queues.values().any(|q| !q.is_empty()) {
            self.working = true;
            ctx.timer(SYNC_US, Timer::Work);
        }
    }
}
