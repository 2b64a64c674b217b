//! kube-controller-manager: informers over deployments, replicasets, pods, nodes and leases,
//! one rate-limited work queue per controller, and reconciliation through ordinary API
//! requests that walk the apiserver's whole handler chain. Runs the Deployment, ReplicaSet,
//! garbage-collector, node lifecycle and taint eviction loops — once it holds the
//! `kube-system/kube-controller-manager` Lease (`--leader-elect`): a standby replica only
//! tries to acquire it.

pub mod attachdetach;
pub mod clusterroleaggregation;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod endpointslice;
pub mod events;
pub mod expectations;
pub mod garbagecollector;
pub mod horizontal;
pub mod job;
pub mod namespace;
pub mod nodelifecycle;
mod notifications;
pub mod persistentvolume;
pub mod pvcprotection;
pub mod replicaset;
pub mod resourcequota;
pub mod serviceaccount;
pub mod statefulset;
mod storage;
pub mod tainteviction;
pub mod workqueue;

use super::api::request::{ApiBody, Credential, WatchType};
use super::api::resource::ResourceInfo;
use super::api::Object;
use super::client::{bookmark, hang_up, key_of, rewatch_later, started, watch_failed, ApiClient, Informer};
use super::event::{ComponentId, Message, Payload, Timer};
use super::leaderelection::{self, LeaderElector, Transition};
use super::recorder::{self, Recorder};
use super::rng::SimRng;
use super::time::{SimTime, SECONDS};
use super::Ctx;
use crate::sim::vecmap::VecMap;
use notifications::{Backlog, Notification};
use std::sync::Arc;
use workqueue::WorkQueue;

/// The Lease it elects its leader on, and its event source.
const LEASE_NAME: &str = "kube-controller-manager";

/// Time one worker spends on one key, in µs…
const SYNC_US: u64 = 300;
/// …plus, for a DaemonSet, this much per node: its sync asks of every node whether the daemon
/// pod should run there. In a large cluster the sync takes long enough that the pod events
/// arriving meanwhile fold into one next sync, as the workqueue folds them upstream.
const DAEMONSET_NODE_US: u64 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Loop {
    Deployment,
    ReplicaSet,
    GarbageCollector,
    /// Keys are pods whose eviction from a tainted node is due.
    TaintEviction,
    /// Keys are deleted (Terminating) namespaces to empty.
    Namespace,
    /// Keys are Services whose EndpointSlice to reconcile.
    EndpointSlice,
    Job,
    /// Keys are namespaces that need a `default` ServiceAccount.
    ServiceAccount,
    /// Keys are ClusterRoles with an aggregationRule.
    ClusterRoleAggregation,
    /// Keys are ResourceQuotas whose usage to recompute.
    ResourceQuota,
    DaemonSet,
    /// Keys are PodDisruptionBudgets whose status to recompute.
    Disruption,
    CronJob,
    StatefulSet,
    /// Keys are Services whose v1 Endpoints to reconcile.
    Endpoints,
    HorizontalPodAutoscaler,
    /// Keys are claims and volumes to bind.
    PersistentVolumeBinder,
    /// Keys are nodes whose VolumeAttachments to reconcile.
    AttachDetach,
    /// Keys are claims and volumes being deleted whose protection finalizer may go.
    PvcProtection,
}

impl Loop {
    pub const ALL: [Loop; 19] = [
        Loop::Deployment,
        Loop::ReplicaSet,
        Loop::GarbageCollector,
        Loop::TaintEviction,
        Loop::Namespace,
        Loop::EndpointSlice,
        Loop::Job,
        Loop::ServiceAccount,
        Loop::ClusterRoleAggregation,
        Loop::ResourceQuota,
        Loop::DaemonSet,
        Loop::Disruption,
        Loop::CronJob,
        Loop::StatefulSet,
        Loop::Endpoints,
        Loop::HorizontalPodAutoscaler,
        Loop::PersistentVolumeBinder,
        Loop::AttachDetach,
        Loop::PvcProtection,
    ];

    fn worker_timer(self) -> Timer {
        let controller = Loop::ALL.iter().position(|l| *l == self).unwrap_or(0) as u8;
        Timer::ControllerWork { controller }
    }

    /// The workqueue's name in the metrics, as upstream names each controller's queue.
    pub fn queue_name(self) -> &'static str {
        match self {
            Loop::Deployment => "deployment",
            Loop::ReplicaSet => "replicaset",
            Loop::GarbageCollector => "garbage_collector_attempt_to_delete",
            Loop::TaintEviction => "taint_eviction_queue",
            Loop::Namespace => "namespace",
            Loop::EndpointSlice => "endpoint_slice",
            Loop::Job => "job",
            Loop::ServiceAccount => "serviceaccount",
            Loop::ClusterRoleAggregation => "ClusterRoleAggregator",
            Loop::ResourceQuota => "resource_quota_controller_resource_changes",
            Loop::DaemonSet => "daemonset",
            Loop::Disruption => "disruption",
            Loop::CronJob => "cronjob",
            Loop::StatefulSet => "statefulset",
            Loop::Endpoints => "endpoint",
            Loop::HorizontalPodAutoscaler => "horizontalpodautoscaler",
            Loop::PersistentVolumeBinder => "claims",
            Loop::AttachDetach => "attachdetach",
            Loop::PvcProtection => "pvcprotection",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Loop::Deployment => "deployment",
            Loop::ReplicaSet => "replicaset",
            Loop::GarbageCollector => "garbagecollector",
            Loop::TaintEviction => "taint-eviction-controller",
            Loop::Namespace => "namespace",
            Loop::EndpointSlice => "endpointslice",
            Loop::Job => "job",
            Loop::ServiceAccount => "serviceaccount",
            Loop::ClusterRoleAggregation => "clusterrole-aggregation",
            Loop::ResourceQuota => "resourcequota",
            Loop::DaemonSet => "daemonset",
            Loop::Disruption => "disruption",
            Loop::CronJob => "cronjob",
            Loop::StatefulSet => "statefulset",
            Loop::Endpoints => "endpoint",
            Loop::HorizontalPodAutoscaler => "horizontal-pod-autoscaler",
            Loop::PersistentVolumeBinder => "persistentvolume-binder",
            Loop::AttachDetach => "attachdetach",
            Loop::PvcProtection => "persistentvolumeclaim-protection",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Tag {
    Watch,
    Lease(leaderelection::Send),
    Write {
        controller: Loop,
        key: String,
        event: Option<Box<events::Intent>>,
    },
    /// Event writes and node lifecycle patches: nothing to do with the answer.
    Note,
    /// The namespace controller's LIST of one resource in a Terminating namespace.
    NamespaceList {
        namespace: String,
        resource: &'static ResourceInfo,
    },
}

#[derive(Clone, Debug)]
pub struct ControllerManager {
    pub(crate) client: ApiClient<Tag>,
    /// False once the process died, until it starts again.
    pub up: bool,
    /// The host it runs on: the first half of its leader election identity.
    host: String,
    rng: SimRng,
    pub elector: LeaderElector,
    /// How often the process exited (the kubelet's restart back-off grows with it).
    pub restarts: u32,
    /// --cluster-cidr, the pod subnet the nodes' podCIDRs come from.
    pub cluster_cidr: String,
    pub deployments: Informer,
    pub replicasets: Informer,
    pub pods: Informer,
    pub nodes: Informer,
    pub leases: Informer,
    pub namespaces: Informer,
    pub services: Informer,
    pub endpointslices: Informer,
    pub jobs: Informer,
    pub serviceaccounts: Informer,
    pub clusterroles: Informer,
    pub resourcequotas: Informer,
    pub daemonsets: Informer,
    pub pdbs: Informer,
    pub cronjobs: Informer,
    pub statefulsets: Informer,
    pub endpoints: Informer,
    pub claims: Informer,
    pub volumes: Informer,
    pub storageclasses: Informer,
    pub attachments: Informer,
    /// EndpointSlices created but not yet seen on the watch, per Service key.
    slice_expectations: expectations::Expectations,
    pub hpas: Informer,
    /// The HPA controller's recent recommendations per HPA (the scale-down window).
    hpa_recommendations: VecMap<String, Vec<(SimTime, i32)>>,
    /// StatefulSet pods created or deleted but not yet seen on the watch, per StatefulSet key.
    sts_expectations: expectations::Expectations,
    /// Jobs a CronJob created but not yet seen on the watch, per CronJob key.
    cron_expectations: expectations::Expectations,
    /// Owners marked for foreground or orphan deletion, by uid: their dependents' changes wake
    /// the garbage collector.
    gc_waiting: crate::sim::vecmap::VecSet<String>,
    /// When each CronJob wakes next (its next scheduled time) and the timer's token, so one
    /// timer is set per time.
    cron_wakeups: VecMap<String, (SimTime, u64)>,
    /// Job pods created but not yet seen on the watch, per Job key.
    job_expectations: expectations::Expectations,
    /// Namespace controller: the cleanup round under way per Terminating namespace.
    rounds: VecMap<String, namespace::Round>,
    pub queues: VecMap<Loop, WorkQueue>,
    /// Node lifecycle: what was last seen of each node's heartbeat.
    health: VecMap<String, nodelifecycle::Health>,
    /// Node lifecycle: each zone's NoExecute tainting rate limiter, and the nodes it held back.
    zone_limiters: VecMap<String, nodelifecycle::ZoneLimiter>,
    /// How often a node's probe time moved, and the inputs the zones were last judged on
    /// (time, the node informer's resourceVersion and size, probes moved).
    probes_moved: u64,
    zones_judged: Option<(SimTime, i64, usize, u64)>,
    taint_due: crate::sim::vecmap::VecSet<String>,
    /// Taint eviction: pods marked for deletion, with when.
    evictions: VecMap<String, SimTime>,
    /// One event recorder per controller, by its event source name.
    recorders: VecMap<&'static str, Recorder>,
    expectations: expectations::Expectations,
    /// DaemonSet pods created or deleted but not yet seen on the watch, per DaemonSet key.
    ds_expectations: expectations::Expectations,
    /// Each DaemonSet's last sync, by its uid (as its pods name it): what a sync judges again
    /// is what changed since.
    ds_trackers: VecMap<String, daemonset::Tracker>,
    /// Each ReplicaSet's pods counted, by its uid: a sync counts again only the pods changed.
    rs_counts: VecMap<String, replicaset::Counts>,
    /// Controllers whose worker is busy (each controller has its own, as upstream's run
    /// concurrently; a long DaemonSet sync does not hold up the ReplicaSets).
    working: crate::sim::vecmap::VecSet<Loop>,
    retries: VecMap<u64, (Loop, String)>,
    next_retry: u64,
    /// The informers' changes the event handlers have not heard yet.
    backlog: Backlog,
}

/// State kept per controller (by uid) goes with its controller: looked for only when more is
/// kept than there are controllers, not on every sync.
fn drop_gone<T>(kept: &mut VecMap<String, T>, controllers: &Informer) {
    if kept.len() > controllers.store.len() {
        kept.retain(|uid, _| controllers.objects().any(|o| o.meta().uid == *uid));
    }
}

fn informer(plural: &str) -> Informer {
    Informer::new(ResourceInfo::of(plural), None)
}

impl ControllerManager {
    pub fn new(apiserver: ComponentId, cluster_cidr: &str, host: &str, rng: SimRng) -> Self {
        let cred =
            Credential::ClientCert { common_name: "system:kube-controller-manager".into(), organizations: vec![] };
        ControllerManager {
            client: ApiClient::new(apiserver, cred),
            up: true,
            host: host.to_string(),
            rng,
            elector: LeaderElector::new(LEASE_NAME, String::new()),
            restarts: 0,
            cluster_cidr: cluster_cidr.to_string(),
            deployments: informer("deployments"),
            replicasets: informer("replicasets"),
            pods: {
                let mut pods = informer("pods");
                pods.index_owned_by_node();
                pods
            },
            nodes: informer("nodes"),
            leases: informer("leases"),
            namespaces: informer("namespaces"),
            services: informer("services"),
            endpointslices: informer("endpointslices"),
            jobs: informer("jobs"),
            serviceaccounts: informer("serviceaccounts"),
            clusterroles: informer("clusterroles"),
            resourcequotas: informer("resourcequotas"),
            daemonsets: informer("daemonsets"),
            pdbs: informer("poddisruptionbudgets"),
            cronjobs: informer("cronjobs"),
            statefulsets: informer("statefulsets"),
            endpoints: informer("endpoints"),
            claims: informer("persistentvolumeclaims"),
            volumes: informer("persistentvolumes"),
            storageclasses: informer("storageclasses"),
            attachments: informer("volumeattachments"),
            slice_expectations: Default::default(),
            hpas: informer("horizontalpodautoscalers"),
            hpa_recommendations: VecMap::new(),
            sts_expectations: Default::default(),
            cron_expectations: Default::default(),
            cron_wakeups: VecMap::new(),
            gc_waiting: crate::sim::vecmap::VecSet::new(),
            job_expectations: Default::default(),
            rounds: VecMap::new(),
            health: VecMap::new(),
            zone_limiters: VecMap::new(),
            probes_moved: 0,
            zones_judged: None,
            taint_due: crate::sim::vecmap::VecSet::new(),
            evictions: VecMap::new(),
            recorders: VecMap::new(),
            queues: Loop::ALL.into_iter().map(|l| (l, WorkQueue::default())).collect(),
            expectations: Default::default(),
            ds_expectations: Default::default(),
            ds_trackers: VecMap::new(),
            rs_counts: VecMap::new(),
            working: crate::sim::vecmap::VecSet::new(),
            retries: VecMap::new(),
            next_retry: 1,
            backlog: Backlog::default(),
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if !self.up && timer != Timer::Restart {
            return;
        }
        match timer {
            Timer::Start => self.campaign(ctx),
            Timer::Restart => {
                *self = self.restarted();
                self.campaign(ctx);
            }
            Timer::ResendEvent { req_id } => self.client.resend_event(ctx, req_id),
            Timer::LeaderElection => {
                let (send, transition) = self.elector.on_timer(ctx, &mut self.rng);
                self.lease_step(ctx, send, transition);
            }
            Timer::HorizontalPodAutoscalerSync => {
                let keys: Vec<String> = self.hpas.store.keys().cloned().collect();
                for k in keys {
                    self.enqueue(ctx, Loop::HorizontalPodAutoscaler, k);
                }
                ctx.timer(horizontal::SYNC_PERIOD_US, Timer::HorizontalPodAutoscalerSync);
            }
            Timer::Notify => {
                let batch = self.backlog.take_due();
                self.hand_over(ctx, batch);
            }
            Timer::NodeMonitor => {
                self.monitor_node_health(ctx);
                ctx.timer(nodelifecycle::NODE_MONITOR_PERIOD_US, Timer::NodeMonitor);
            }
            Timer::ControllerWork { controller } => {
                if let Some(l) = Loop::ALL.get(usize::from(controller)).copied() {
                    self.working.remove(&l);
                    self.work(ctx, l);
                }
            }
            Timer::Rewatch { resource } => {
                let (client, informers) = self.parts();
                if let Some(inf) = informers.into_iter().find(|i| i.resource.plural == resource && i.watch_id.is_none())
                {
                    inf.start(ctx, client, Tag::Watch);
                }
            }
            Timer::Retry { token } => {
                let woken = self.cron_wakeups.iter().find(|(_, w)| w.1 == token).map(|(k, _)| k.clone());
                if let Some((l, key)) = self.retries.remove(&token) {
                    self.enqueue(ctx, l, key);
                } else if let Some(key) = woken {
                    self.cron_wakeups.remove(&key);
                    self.enqueue(ctx, Loop::CronJob, key);
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
            Payload::ApiResp { req_id, resp } => match (self.client.complete(ctx, req_id, &resp), *resp) {
                (Some(Tag::Lease(sent)), resp) => {
                    let (send, transition) = self.elector.on_response(ctx.now, sent.call, sent.attempt, &resp);
                    self.lease_step(ctx, send, transition);
                }
                (Some(Tag::Watch), Ok(body)) => self.on_watch_started(ctx, req_id, body),
                (Some(Tag::Watch), Err(s)) => watch_failed(ctx, &mut self.informers_mut(), req_id, &s),
                (Some(Tag::Write { controller, key, event }), Err(status)) => {
                    ctx.phase(controller.name(), format!("sync {key} failed: {}", status.message));
                    // A refused pod create or delete is a FailedCreate / FailedDelete warning on
                    // its owner (quota, LimitRange, a missing service account, overload…).
                    let create = event.as_ref().is_some_and(|i| i.reason == "SuccessfulCreate");
                    if let Some(i) = event.filter(|i| create || i.reason == "SuccessfulDelete") {
                        // Its effect will never be seen: expect one fewer (CreationObserved,
                        // DeletionObserved), so the retry acts again.
                        let expected = match controller {
                            Loop::Job => &mut self.job_expectations,
                            Loop::CronJob => &mut self.cron_expectations,
                            Loop::StatefulSet => &mut self.sts_expectations,
                            Loop::EndpointSlice => &mut self.slice_expectations,
                            Loop::DaemonSet => &mut self.ds_expectations,
                            _ => &mut self.expectations,
                        };
                        expected.observed(&key);
                        let (reason, doing) =
                            if create { ("FailedCreate", "creating") } else { ("FailedDelete", "deleting") };
                        let message = format!("Error {doing}: {}", status.message);
                        self.record(ctx, i.component, i.on, recorder::WARNING, reason, message);
                    }
                    if status.code != 404 {
                        self.requeue_later(ctx, controller, key);
                    }
                }
                (Some(Tag::NamespaceList { namespace, resource }), reply) => {
                    let items = match reply {
                        Ok(ApiBody::List { items, .. }) => items,
                        _ => vec![],
                    };
                    self.on_namespace_list(ctx, &namespace, resource, &items);
                }
                (Some(Tag::Write { controller, key, event }), Ok(reply)) => {
                    if let Some(q) = self.queues.get_mut(&controller) {
                        q.forget(&key);
                    }
                    if let Some(i) = event {
                        let message = events::message(&i, &reply);
                        self.record(ctx, i.component, i.on, recorder::NORMAL, i.reason, message);
                    }
                }
                _ => {}
            },
            Payload::WatchClosed { watch_id } => {
                rewatch_later(ctx, &mut self.informers_mut(), watch_id);
            }
            Payload::Bookmark { watch_id, revision } => bookmark(&mut self.informers_mut(), watch_id, revision),
            Payload::Watch(ev) => {
                let ev = *ev;
                let old = self.informers_mut().into_iter().find_map(|inf| inf.apply(&ev));
                if let Some(old) = old {
                    self.backlog.push(Notification::Changed(ev.type_, old, ev.object));
                    self.notify(ctx);
                }
            }
            _ => {}
        }
    }

    /// The process starts: a new identity, and the leader election loop.
    fn campaign(&mut self, ctx: &mut Ctx) {
        self.up = true;
        self.elector = LeaderElector::campaign(ctx, LEASE_NAME, &self.host, &mut self.rng);
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
                    self.client.send_event(ctx, req, Tag::Note);
                }
                self.start_controllers(ctx);
            }
            Transition::Lost => {
                self.stop(ctx);
                LeaderElector::lost(ctx, self.restarts);
                self.restarts += 1;
            }
        }
    }

    /// OnStartedLeading: the informers and every controller start.
    fn start_controllers(&mut self, ctx: &mut Ctx) {
        ctx.phase(
            "start",
            "informers: deployments, replicasets, pods, nodes, leases, namespaces, services, endpointslices, jobs, serviceaccounts, clusterroles, resourcequotas, daemonsets, poddisruptionbudgets, cronjobs, statefulsets, endpoints, horizontalpodautoscalers, persistentvolumeclaims, persistentvolumes, storageclasses, volumeattachments",
        );
        let (client, informers) = self.parts();
        for inf in informers {
            inf.start(ctx, client, Tag::Watch);
        }
        ctx.timer(nodelifecycle::NODE_MONITOR_PERIOD_US, Timer::NodeMonitor);
        ctx.timer(horizontal::SYNC_PERIOD_US, Timer::HorizontalPodAutoscalerSync);
    }

    /// The process dies (killed, or exiting after losing its lease): its connection to the
    /// apiserver closes with every watch on it.
    pub fn stop(&mut self, ctx: &mut Ctx) {
        self.up = false;
        self.backlog = Backlog::default();
        let (client, mut informers) = self.parts();
        hang_up(ctx, client, &mut informers);
    }

    /// What the kubelet starts again: a fresh process on the same host.
    fn restarted(&self) -> Self {
        let mut fresh = ControllerManager::new(self.client.apiserver, &self.cluster_cidr, &self.host, self.rng.clone());
        fresh.client = self.client.restarted();
        fresh.restarts = self.restarts;
        fresh
    }

    /// Items waiting in every controller's workqueue (workqueue_depth summed).
    pub fn queue_depth(&self) -> usize {
        self.queues.values().map(|q| q.len()).sum()
    }

    pub(crate) fn informers_mut(&mut self) -> [&mut Informer; 22] {
        self.parts().1
    }

    /// The API client and every informer, borrowed apart.
    fn parts(&mut self) -> (&mut ApiClient<Tag>, [&mut Informer; 22]) {
        let informers = [
            &mut self.deployments,
            &mut self.replicasets,
            &mut self.pods,
            &mut self.nodes,
            &mut self.leases,
            &mut self.namespaces,
            &mut self.services,
            &mut self.endpointslices,
            &mut self.jobs,
            &mut self.serviceaccounts,
            &mut self.clusterroles,
            &mut self.resourcequotas,
            &mut self.daemonsets,
            &mut self.pdbs,
            &mut self.cronjobs,
            &mut self.statefulsets,
            &mut self.endpoints,
            &mut self.hpas,
            &mut self.claims,
            &mut self.volumes,
            &mut self.storageclasses,
            &mut self.attachments,
        ];
        (&mut self.client, informers)
    }

    fn on_watch_started(&mut self, ctx: &mut Ctx, req_id: u64, body: ApiBody) {
        // A list replaces the store: what vanished is a deletion and what is new an addition
        // (DeltaFIFO's Replace), so that expectations see the pods they wait for.
        let mut resource = "";
        let (gone, added) = match self.informers_mut().into_iter().find(|inf| inf.watch_id == Some(req_id)) {
            Some(inf) => {
                resource = inf.resource.plural;
                let before: Vec<String> = inf.store.keys().cloned().collect();
                let gone = started(ctx, inf, body);
                let added: Vec<Arc<Object>> = inf
                    .store
                    .iter()
                    .filter(|(k, _)| before.binary_search(k).is_err())
                    .map(|(_, o)| o.clone())
                    .collect();
                (gone, added)
            }
            None => (vec![], vec![]),
        };
        if matches!(resource, "nodes" | "pods") {
            // Objects that changed between the lists are in no event: the DaemonSets judge
            // every node again, the ReplicaSets count every pod again.
            self.ds_trackers.values_mut().for_each(daemonset::Tracker::forget);
            self.rs_counts.values_mut().for_each(replicaset::Counts::forget);
        }
        for o in gone {
            self.backlog.push(Notification::Changed(WatchType::Deleted, Some(o.clone()), o));
        }
        // The node lifecycle controller hears of a relist of the nodes, their pods or their
        // leases: each node is looked at again (upstream, Replace's updates reach its queues),
        // once — a node the list added is handled as an addition.
        let relisted: Vec<String> = match resource {
            "nodes" | "pods" | "leases" => {
                // In key order, as the store: a binary search each.
                let fresh: Vec<&str> =
                    added.iter().filter_map(|o| o.as_node()).map(|n| n.metadata.name.as_str()).collect();
                self.nodes.store.keys().filter(|n| fresh.binary_search(&n.as_str()).is_err()).cloned().collect()
            }
            _ => Vec::new(),
        };
        for o in added {
            self.backlog.push(Notification::Changed(WatchType::Added, None, o));
        }
        for n in relisted {
            self.backlog.push(Notification::Relisted(n));
        }
        self.backlog.push(Notification::Resync);
        self.notify(ctx);
    }

    /// Hands the handlers the next batch of changes, unless an earlier batch is due first.
    fn notify(&mut self, ctx: &mut Ctx) {
        let batch = self.backlog.take();
        self.hand_over(ctx, batch);
    }

    fn hand_over(&mut self, ctx: &mut Ctx, batch: Vec<Notification>) {
        for n in batch {
            match n {
                Notification::Changed(type_, old, obj) => self.on_event(ctx, type_, old, &obj),
                Notification::Relisted(node) => {
                    self.track_node(ctx, &node);
                    self.node_changed(ctx, &node);
                }
                Notification::Resync => self.resync(ctx),
            }
        }
        if self.backlog.mark_rest_due() {
            ctx.timer(0, Timer::Notify);
        }
    }

    /// A list is in: every controller takes each of its keys again.
    fn resync(&mut self, ctx: &mut Ctx) {
        let keys: Vec<(Loop, String)> = self
            .deployments
            .store
            .keys()
            .map(|k| (Loop::Deployment, k.clone()))
            .chain(self.replicasets.store.keys().map(|k| (Loop::ReplicaSet, k.clone())))
            .chain(namespace::terminating(&self.namespaces).map(|k| (Loop::Namespace, k)))
            .chain(self.services.store.keys().map(|k| (Loop::EndpointSlice, k.clone())))
            .chain(self.services.store.keys().map(|k| (Loop::Endpoints, k.clone())))
            .chain(self.jobs.store.keys().map(|k| (Loop::Job, k.clone())))
            .chain(self.namespaces.store.keys().map(|k| (Loop::ServiceAccount, k.clone())))
            .chain(self.aggregated_roles().into_iter().map(|k| (Loop::ClusterRoleAggregation, k)))
            .chain(self.resourcequotas.store.keys().map(|k| (Loop::ResourceQuota, k.clone())))
            .chain(self.daemonsets.store.keys().map(|k| (Loop::DaemonSet, k.clone())))
            .chain(self.pdbs.store.keys().map(|k| (Loop::Disruption, k.clone())))
            .chain(self.cronjobs.store.keys().map(|k| (Loop::CronJob, k.clone())))
            .chain(self.statefulsets.store.keys().map(|k| (Loop::StatefulSet, k.clone())))
            .chain(self.claims.store.keys().map(|k| (Loop::PersistentVolumeBinder, k.clone())))
            .chain(self.volumes.store.keys().map(|k| (Loop::PersistentVolumeBinder, k.clone())))
            .chain(self.nodes.store.keys().map(|k| (Loop::AttachDetach, k.clone())))
            .collect();
        for (l, k) in keys {
            self.enqueue(ctx, l, k);
        }
    }

    /// A node, or a pod (before and after), changed: its DaemonSet's next sync judges that
    /// node again (every DaemonSet's, for a node), its ReplicaSet's counts that pod again.
    fn touch_kept_syncs(&mut self, old: Option<&Object>, obj: &Object) {
        for o in old.into_iter().chain([obj]) {
            match o {
                Object::Node(n) => self.ds_trackers.values_mut().for_each(|t| t.touch(&n.metadata.name)),
                Object::Pod(p) => {
                    let owner = p.metadata.controller_ref().map(|r| r.uid.as_str()).unwrap_or_default();
                    if let (Some(t), Some(node)) = (self.ds_trackers.get_mut(owner), p.target_node()) {
                        t.touch(node);
                    }
                    if let Some(c) = self.rs_counts.get_mut(owner) {
                        c.touch(&key_of(o));
                    }
                }
                _ => {}
            }
        }
    }

    /// Event handlers: which keys a change makes dirty (as each controller's AddFunc/UpdateFunc).
    fn on_event(&mut self, ctx: &mut Ctx, type_: WatchType, old: Option<Arc<Object>>, obj: &Object) {
        let key = key_of(obj);
        self.touch_kept_syncs(old.as_deref(), obj);
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
            Object::Namespace(ns) if type_ != WatchType::Deleted && ns.metadata.deletion_timestamp.is_some() => {
                self.enqueue(ctx, Loop::Namespace, key.clone());
            }
            Object::Namespace(_) if type_ == WatchType::Added => self.enqueue(ctx, Loop::ServiceAccount, key.clone()),
            Object::ServiceAccount(sa) if type_ == WatchType::Deleted => {
                self.enqueue(ctx, Loop::ServiceAccount, sa.metadata.namespace.clone())
            }
            Object::ClusterRole(_) => {
                for k in self.aggregated_roles() {
                    self.enqueue(ctx, Loop::ClusterRoleAggregation, k);
                }
            }
            // A new quota, or new limits: recompute (status writes alone do not re-trigger).
            Object::ResourceQuota(q)
                if type_ == WatchType::Added
                    || old.as_deref().is_some_and(|o| matches!(o, Object::ResourceQuota(p) if p.spec != q.spec)) =>
            {
                self.enqueue(ctx, Loop::ResourceQuota, key.clone())
            }
            Object::Node(n) if type_ == WatchType::Deleted => {
                self.health.remove(&n.metadata.name);
            }
            Object::Node(n) => {
                let name = n.metadata.name.clone();
                self.track_node(ctx, &name);
                self.node_changed(ctx, &name);
                // A new node, or new labels or taints: every DaemonSet looks again.
                let before = old.as_ref().and_then(|o| o.as_node());
                if before.is_none_or(|b| b.metadata.labels != n.metadata.labels || b.spec.taints != n.spec.taints) {
                    let keys: Vec<String> = self.daemonsets.store.keys().cloned().collect();
                    for k in keys {
                        self.enqueue(ctx, Loop::DaemonSet, k);
                    }
                }
            }
            Object::DaemonSet(_) if type_ != WatchType::Deleted => self.enqueue(ctx, Loop::DaemonSet, key.clone()),
            Object::PodDisruptionBudget(_) if type_ != WatchType::Deleted => {
                self.enqueue(ctx, Loop::Disruption, key.clone())
            }
            Object::Lease(l) if l.metadata.namespace == "kube-node-lease" => {
                let node = self.nodes.get(&l.metadata.name).and_then(|o| o.as_node());
                if let Some(h) = self.health.get_mut(&l.metadata.name) {
                    self.probes_moved += u64::from(h.observe(ctx.now, node, Some(l)));
                }
            }
            Object::CronJob(_) if type_ != WatchType::Deleted => self.enqueue(ctx, Loop::CronJob, key.clone()),
            Object::StatefulSet(_) => self.enqueue(ctx, Loop::StatefulSet, key.clone()),
            Object::HorizontalPodAutoscaler(_) if type_ == WatchType::Added => {
                self.enqueue(ctx, Loop::HorizontalPodAutoscaler, key.clone())
            }
            Object::HorizontalPodAutoscaler(_) if type_ == WatchType::Deleted => {
                self.hpa_recommendations.remove(&key);
            }
            Object::CronJob(_) => {
                self.cron_expectations.forget(&key);
                self.cron_wakeups.remove(&key);
            }
            Object::Job(j) => {
                if type_ != WatchType::Deleted {
                    self.enqueue(ctx, Loop::Job, key.clone());
                }
                if let Some(owner) = j.metadata.controller_ref().filter(|o| o.kind == "CronJob") {
                    let owner_key = super::api::meta::cache_key(&j.metadata.namespace, &owner.name);
                    if type_ == WatchType::Added {
                        self.cron_expectations.observed(&owner_key);
                    }
                    self.enqueue(ctx, Loop::CronJob, owner_key);
                }
            }
            Object::Service(_) => {
                if type_ != WatchType::Deleted {
                    self.enqueue(ctx, Loop::EndpointSlice, key.clone());
                }
                self.enqueue(ctx, Loop::Endpoints, key.clone());
            }
            Object::EndpointSlice(es) => {
                if let Some(svc) = es.metadata.labels.get(endpointslice::SERVICE_NAME_LABEL) {
                    let svc_key = super::api::meta::cache_key(&es.metadata.namespace, svc);
                    if type_ == WatchType::Added {
                        self.slice_expectations.observed(&svc_key);
                    }
                    self.enqueue(ctx, Loop::EndpointSlice, svc_key);
                }
            }
            Object::PersistentVolumeClaim(_) | Object::PersistentVolume(_) | Object::VolumeAttachment(_) => {
                self.storage_changed(ctx, type_, old.as_deref(), obj)
            }
            Object::StorageClass(_) => self.unbound_claims_again(ctx),
            Object::Pod(p) => {
                self.pod_volumes_changed(ctx, type_, old.as_ref().and_then(|o| o.as_pod()), p);
                let old_pod = old.as_ref().and_then(|o| o.as_pod());
                // The budgets that select the pod (before or after the change).
                let budgets: Vec<String> = self
                    .pdbs
                    .objects()
                    .filter_map(|o| match o {
                        Object::PodDisruptionBudget(b) if b.metadata.namespace == p.metadata.namespace => {
                            let sel = b.spec.selector.as_ref()?;
                            let hit = sel.matches(&p.metadata.labels)
                                || old_pod.is_some_and(|o| sel.matches(&o.metadata.labels));
                            hit.then(|| key_of(o))
                        }
                        _ => None,
                    })
                    .collect();
                for b in budgets {
                    self.enqueue(ctx, Loop::Disruption, b);
                }
                let services: Vec<String> = self
                    .services
                    .objects()
                    .filter_map(|o| match o {
                        Object::Service(s)
                            if endpointslice::selects(s, p)
                                || old_pod.is_some_and(|o| endpointslice::selects(s, o)) =>
                        {
                            Some(key_of(o))
                        }
                        _ => None,
                    })
                    .collect();
                for svc in services {
                    self.enqueue(ctx, Loop::EndpointSlice, svc.clone());
                    self.enqueue(ctx, Loop::Endpoints, svc);
                }
                if type_ != WatchType::Deleted && !p.spec.node_name.is_empty() {
                    self.check_eviction(ctx, &key);
                }
                if let Some(owner) = p.metadata.controller_ref().filter(|o| o.kind == "Job") {
                    let job_key = super::api::meta::cache_key(&p.metadata.namespace, &owner.name);
                    if type_ == WatchType::Added {
                        self.job_expectations.observed(&job_key);
                    }
                    self.enqueue(ctx, Loop::Job, job_key);
                } else if let Some(owner) = p.metadata.controller_ref() {
                    let owner_key = super::api::meta::cache_key(&p.metadata.namespace, &owner.name);
                    let was_active = old.as_ref().and_then(|o| o.as_pod()).is_some_and(replicaset::is_active);
                    let observed = match type_ {
                        WatchType::Added => true,
                        WatchType::Modified => was_active && !replicaset::is_active(p),
                        WatchType::Deleted => was_active,
                    };
                    let (l, expectations) = match owner.kind.as_str() {
                        "DaemonSet" => (Loop::DaemonSet, &mut self.ds_expectations),
                        "StatefulSet" => (Loop::StatefulSet, &mut self.sts_expectations),
                        _ => (Loop::ReplicaSet, &mut self.expectations),
                    };
                    if observed {
                        expectations.observed(&owner_key);
                    }
                    // A daemon pod that became ready or failed changes the DaemonSet's status.
                    self.enqueue(ctx, l, owner_key);
                }
            }
            _ => {}
        }
        let uid = &obj.meta().uid;
        if type_ == WatchType::Deleted {
            self.gc_waiting.remove(uid);
            self.enqueue(ctx, Loop::GarbageCollector, uid.clone());
        } else if garbagecollector::wants(obj) {
            self.gc_waiting.insert(uid.clone());
            self.enqueue(ctx, Loop::GarbageCollector, uid.clone());
        }
        // A dependent went or lost its reference: its owner's foreground or orphan deletion
        // may be complete.
        let refs = old.as_ref().map(|o| o.meta().owner_references.as_slice()).unwrap_or_default();
        let waiting: Vec<String> = refs
            .iter()
            .chain(&obj.meta().owner_references)
            .filter(|r| self.gc_waiting.contains(&r.uid))
            .map(|r| r.uid.clone())
            .collect();
        for owner in waiting {
            self.enqueue(ctx, Loop::GarbageCollector, owner);
        }
        let finished = matches!((obj, old.as_deref()), (Object::Pod(p), Some(Object::Pod(was))) if p.is_terminal() && !was.is_terminal());
        if type_ == WatchType::Deleted || finished {
            self.replenish(ctx, &obj.meta().namespace);
        }
    }

    /// The quota replenishment path: usage freed in a namespace is recomputed.
    fn replenish(&mut self, ctx: &mut Ctx, namespace: &str) {
        let prefix = format!("{namespace}/");
        let keys: Vec<String> = self.resourcequotas.store.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
        for k in keys {
            self.enqueue(ctx, Loop::ResourceQuota, k);
        }
    }

    fn aggregated_roles(&self) -> Vec<String> {
        let aggregated = |o: &Object| matches!(o, Object::ClusterRole(r) if r.aggregation_rule.is_some());
        self.clusterroles.objects().filter(|o| aggregated(o)).map(key_of).collect()
    }

    fn enqueue(&mut self, ctx: &mut Ctx, l: Loop, key: String) {
        if let Some(q) = self.queues.get_mut(&l) {
            q.add(key, ctx.now);
        }
        if self.working.insert(l) {
            ctx.timer(SYNC_US, l.worker_timer());
        }
    }

    /// AddRateLimited after a failed write. Upstream a sync fails once however many of its
    /// writes failed; here each write answers on its own, so a key already waiting for its
    /// retry is not backed off again (else a burst of 500 refused creates would push the key
    /// to the 1000 s ceiling at once).
    fn requeue_later(&mut self, ctx: &mut Ctx, l: Loop, key: String) {
        if self.retries.values().any(|(rl, rk)| *rl == l && *rk == key) {
            return;
        }
        let Some(q) = self.queues.get_mut(&l) else {
            return;
        };
        let delay = q.backoff(&key, ctx.now);
        let token = self.next_retry;
        self.next_retry += 1;
        self.retries.insert(token, (l, key));
        ctx.timer(delay, Timer::Retry { token });
    }

    /// One step of controller `l`'s worker: take its next key and reconcile it.
    fn work(&mut self, ctx: &mut Ctx, l: Loop) {
        let now = ctx.now;
        let Some(key) = self.queues.get_mut(&l).and_then(|q| q.get(now)) else {
            return;
        };
        let syncs = match l {
            Loop::Deployment => deployment::sync(&key, &self.deployments, &self.replicasets),
            Loop::ReplicaSet => {
                let uid = self.replicasets.get(&key).map(|o| o.meta().uid.clone()).unwrap_or_default();
                let counts = self.rs_counts.get_or_insert_with(uid, Default::default);
                let requests =
                    replicaset::sync(&key, &self.replicasets, &self.pods, counts, &mut self.expectations, ctx.now);
                drop_gone(&mut self.rs_counts, &self.replicasets);
                requests
            }
            Loop::GarbageCollector => garbagecollector::sync(
                &key,
                &[
                    &self.deployments,
                    &self.replicasets,
                    &self.daemonsets,
                    &self.statefulsets,
                    &self.jobs,
                    &self.cronjobs,
                    &self.services,
                ],
                &[&self.replicasets, &self.pods, &self.endpointslices, &self.jobs],
            ),
            // A slice created but not yet seen: wait for it, or its endpoints go in twice.
            Loop::EndpointSlice if !self.slice_expectations.satisfied(&key, ctx.now) => vec![],
            Loop::EndpointSlice => {
                let reqs = endpointslice::sync(&key, &self.services, &self.endpointslices, &self.pods, &self.nodes);
                let creating = reqs.iter().filter(|r| r.verb == super::api::request::Verb::Create).count() as i32;
                if creating > 0 {
                    self.slice_expectations.expect(&key, creating, ctx.now);
                }
                reqs
            }
            Loop::Endpoints => endpoints::sync(&key, &self.services, &self.endpoints, &self.pods),
            Loop::HorizontalPodAutoscaler => {
                let recs = self.hpa_recommendations.entry(key.clone()).or_default();
                let sync = horizontal::sync(&key, &self.hpas, &self.deployments, &self.pods, recs, ctx.now);
                if let Some((reason, message, warning)) = sync.event {
                    if let Some(on) =
                        self.hpas.get(&key).map(|o| recorder::reference("HorizontalPodAutoscaler", o.meta()))
                    {
                        let type_ = if warning { recorder::WARNING } else { recorder::NORMAL };
                        self.record(ctx, "horizontal-pod-autoscaler", on, type_, reason, message);
                    }
                }
                sync.requests
            }
            Loop::Job => {
                let sync = job::sync(&key, &self.jobs, &self.pods, &self.job_expectations, ctx.now);
                if sync.creating > 0 {
                    self.job_expectations.expect(&key, sync.creating, ctx.now);
                }
                if let Some((reason, message, warning)) = sync.event {
                    if let Some(on) = self.jobs.get(&key).map(|o| recorder::reference("Job", o.meta())) {
                        let type_ = if warning { recorder::WARNING } else { recorder::NORMAL };
                        self.record(ctx, "job-controller", on, type_, reason, message);
                    }
                }
                sync.requests
            }
            Loop::TaintEviction => self.evict(ctx, &key),
            Loop::Namespace => {
                self.start_round(ctx, &key);
                vec![]
            }
            Loop::ServiceAccount => serviceaccount::sync(&key, &self.namespaces, &self.serviceaccounts),
            Loop::ClusterRoleAggregation => clusterroleaggregation::sync(&key, &self.clusterroles),
            Loop::DaemonSet => {
                let uid = self.daemonsets.get(&key).map(|o| o.meta().uid.clone()).unwrap_or_default();
                let tracker = self.ds_trackers.get_or_insert_with(uid, Default::default);
                let requests = daemonset::sync(
                    &key,
                    &self.daemonsets,
                    &self.pods,
                    &self.nodes,
                    tracker,
                    &mut self.ds_expectations,
                    ctx.now,
                );
                drop_gone(&mut self.ds_trackers, &self.daemonsets);
                requests
            }
            Loop::Disruption => disruption::sync(&key, &self.pdbs, &self.pods, &self.replicasets, ctx.now),
            Loop::CronJob => self.sync_cronjob(ctx, &key),
            Loop::StatefulSet => statefulset::sync(
                &key,
                &self.statefulsets,
                &self.pods,
                &self.claims,
                &mut self.sts_expectations,
                ctx.now,
            ),
            Loop::PersistentVolumeBinder => {
                let (reqs, notes) = persistentvolume::sync(&key, &self.claims, &self.volumes, &self.storageclasses);
                for (on, reason, message, warning) in notes {
                    let type_ = if warning { recorder::WARNING } else { recorder::NORMAL };
                    self.record(ctx, persistentvolume::COMPONENT, on, type_, reason, message);
                }
                reqs
            }
            Loop::AttachDetach => attachdetach::sync(&key, &self.pods, &self.claims, &self.volumes, &self.attachments),
            Loop::PvcProtection => pvcprotection::sync(&key, &self.claims, &self.volumes, &self.pods),
            Loop::ResourceQuota => resourcequota::sync(
                &key,
                &self.resourcequotas,
                &[&self.pods, &self.services, &self.deployments, &self.replicasets, &self.jobs],
            ),
        };
        ctx.phase(l.name(), format!("sync {key}: {} request(s)", syncs.len()));
        let took_us = match l {
            Loop::DaemonSet => SYNC_US + DAEMONSET_NODE_US * self.nodes.store.len() as u64,
            _ => SYNC_US,
        };
        if let Some(q) = self.queues.get_mut(&l) {
            q.work_duration.observe(took_us as f64 / SECONDS as f64);
        }
        for req in syncs {
            let owners = events::Owners {
                deployments: &self.deployments,
                replicasets: &self.replicasets,
                jobs: &self.jobs,
                daemonsets: &self.daemonsets,
                cronjobs: &self.cronjobs,
                statefulsets: &self.statefulsets,
            };
            let event = events::intent(l, &key, &req, &owners).map(Box::new);
            self.client.send(ctx, 0, req, Tag::Write { controller: l, key: key.clone(), event });
        }
        if self.queues.get(&l).is_some_and(|q| !q.is_empty()) {
            self.working.insert(l);
            ctx.timer(took_us, l.worker_timer());
        }
    }
}

impl ControllerManager {
    /// The CronJob controller's sync: its events now, its wake-up at the next scheduled time.
    fn sync_cronjob(&mut self, ctx: &mut Ctx, key: &str) -> Vec<super::api::request::ApiRequest> {
        let sync = cronjob::sync(key, &self.cronjobs, &self.jobs, &self.cron_expectations, ctx.now);
        if sync.creating {
            self.cron_expectations.expect(key, 1, ctx.now);
        }
        if let Some(on) = self.cronjobs.get(key).map(|o| recorder::reference("CronJob", o.meta())) {
            for (reason, message, warning) in sync.events {
                let type_ = if warning { recorder::WARNING } else { recorder::NORMAL };
                self.record(ctx, "cronjob-controller", on.clone(), type_, reason, message);
            }
        }
        if let Some(after) = sync.requeue_after_us {
            // AddAfter: one timer per CronJob and wake-up time.
            let at = ctx.now.plus(after);
            if self.cron_wakeups.get(key).is_none_or(|(t, _)| *t != at) {
                let token = self.next_retry;
                self.next_retry += 1;
                self.cron_wakeups.insert(key.to_string(), (at, token));
                ctx.timer(after, Timer::Retry { token });
            }
        }
        sync.requests
    }
}

/// Event recording, shared by the controllers.
impl ControllerManager {
    fn recorder(&mut self, component: &'static str) -> &mut Recorder {
        self.recorders.entry(component).or_insert_with(|| Recorder::new(component, ""))
    }

    /// Records an event through the controller's recorder.
    fn record(
        &mut self,
        ctx: &mut Ctx,
        component: &'static str,
        on: super::api::ObjectReference,
        type_: &str,
        reason: &str,
        message: String,
    ) {
        let req = self.recorder(component).event(ctx.now, on, type_, reason, message);
        self.client.send_event(ctx, req, Tag::Note);
    }
}

impl ControllerManager {
    /// kube-controller-manager's /metrics (secure port 10257): the workqueues, by name.
    pub fn metrics_text(&self) -> String {
        let mut e = crate::sim::metrics::Exposition::default();
        let named = |f: &dyn Fn(&WorkQueue) -> f64| -> Vec<(Vec<(&str, &str)>, f64)> {
            self.queues.iter().map(|(l, q)| (vec![("name", l.queue_name())], f(q))).collect()
        };
        e.labelled(
            "workqueue_adds_total",
            "Total number of adds handled by workqueue",
            "counter",
            &named(&|q| q.adds_total as f64),
        );
        e.labelled("workqueue_depth", "Current depth of workqueue", "gauge", &named(&|q| q.len() as f64));
        e.labelled(
            "workqueue_retries_total",
            "Total number of retries handled by workqueue",
            "counter",
            &named(&|q| q.retries_total as f64),
        );
        let hist = |f: fn(&WorkQueue) -> &crate::sim::metrics::Histogram| -> Vec<_> {
            self.queues.iter().map(|(l, q)| (vec![("name", l.queue_name())], f(q))).collect()
        };
        e.histograms(
            "workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested.",
            &hist(|q| &q.queue_duration),
        );
        e.histograms(
            "workqueue_work_duration_seconds",
            "How long in seconds processing an item from workqueue takes.",
            &hist(|q| &q.work_duration),
        );
        e.finish() + &self.elector.metrics_text()
    }
}
