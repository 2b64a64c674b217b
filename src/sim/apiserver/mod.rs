//! kube-apiserver: every request walks the handler chain — authentication, authorization
//! (Node, RBAC), mutating admission (defaulting, NamespaceLifecycle), validation — then goes to
//! etcd as a transaction; reads are served from the watch cache, which follows etcd through
//! one watch and fans events out to client watches. Each stage is a trace phase with a latency.

pub mod admission;
mod answers;
pub mod authn;
pub mod authz;
pub mod bootstrap_policy;
pub mod crd;
mod endpoint_reconciler;
mod etcd_client;
mod eviction;
mod filters;
pub mod flowcontrol;
mod identity_lease;
pub mod metrics;
pub mod registry;
pub mod validation;
mod watch_cache;
mod watchers;
mod webhook_conns;
mod webhooks;

use super::api::meta::cache_key;
use super::api::request::{ApiBody, ApiRequest, ApiResponse, Credential, Status, Verb, WatchEvent, WatchType};
use super::api::resource::ResourceInfo;
use super::api::{ClusterRoleBinding, Object, PolicyRule, RoleBinding};
use super::etcd::{EtcdOp, EtcdResult, EventType, KeyValue, MvccEvent, TxnResult, CONNECTION_REFUSED};
use super::event::{ComponentId, Message, MsgKind, Payload, Timer};
use super::rng::{Draw, SimRng};
use super::Ctx;
use authz::{Attributes, Decision, UserInfo};
use registry::Plan;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Time spent in each stage of the handler chain, in µs.
const AUTHN_US: u64 = 60;
const AUTHZ_US: u64 = 40;
const ADMISSION_US: u64 = 80;
const VALIDATION_US: u64 = 50;
/// --event-ttl's default: one hour.
pub const DEFAULT_EVENT_TTL_S: u64 = 3600;
/// --max-requests-inflight and --max-mutating-requests-inflight: APF's server-wide seats.
pub const DEFAULT_MAX_INFLIGHT: (usize, usize) = (400, 200);
/// What one admission plugin's step costs, inside the admission and validation stages.
const ADMISSION_PLUGIN_US: u64 = 10;
const CACHE_READ_US: u64 = 30;
/// How many times a patch, binding or delete re-reads and retries after a compare failure
/// (GuaranteedUpdate's loop).
const MAX_RETRIES: u32 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Authentication,
    /// Waiting in an API Priority and Fairness queue for a seat.
    Queued,
    /// Waiting for an admission webhook's answer.
    Webhook,
    Authorization,
    Admission,
    Validation,
    Storage,
}

#[derive(Clone, Debug)]
struct InFlight {
    client: ComponentId,
    req_id: u64,
    cred: Credential,
    /// Shared: each stage works on a copy of the record, and the request (with its body)
    /// never changes once received.
    req: std::sync::Arc<ApiRequest>,
    /// `VERB /path`, written once: each stage's trace line shows it.
    line: std::sync::Arc<str>,
    stage: Stage,
    /// Shared like the request: the stages' copies of the record share one plan.
    plan: Option<std::sync::Arc<Plan>>,
    retries: u32,
    /// Status writes due before the object is stored: ResourceQuotas to charge (admission),
    /// a PodDisruptionBudget an eviction spends.
    charges: Vec<Object>,
    /// Who the request acts as, once authenticated (and impersonated); shared by the stages'
    /// copies of the record.
    user: Option<std::sync::Arc<UserInfo>>,
    /// When the request arrived, for apiserver_request_duration_seconds.
    started: super::time::SimTime,
    /// When its ResourceQuota evaluation began, for the admission latency metric.
    quota_started: super::time::SimTime,
    /// Its API Priority and Fairness flow schema and level (None: exempt), and whether it
    /// holds one of the level's seats.
    flow: (&'static str, Option<usize>),
    seated: bool,
    /// Admission webhooks still to call in the current phase, which phase, and the call
    /// under way with when it began.
    hooks: Vec<super::api::webhook::Webhook>,
    mutating_hooks: bool,
    hook: Option<(super::api::webhook::Webhook, super::time::SimTime)>,
    /// Mutating webhooks' reinvocation: how many of their calls changed the object, the
    /// `IfNeeded` ones called with that count after their call, and whether this is the
    /// second pass.
    webhook_changes: u32,
    if_needed: Vec<(super::api::webhook::Webhook, u32)>,
    reinvoking: bool,
    /// Each stage it entered, with when: its journey through the chain.
    stages: Vec<(&'static str, super::time::SimTime)>,
}

/// A finished request as the page's request inspector shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestRecord {
    pub at: super::time::SimTime,
    pub client: ComponentId,
    pub user: String,
    pub line: String,
    pub code: u16,
    pub total_us: u64,
    /// Each stage and how long the request spent in it, in order.
    pub stages: Vec<(&'static str, u64)>,
    /// kubectl's request and response bodies in bytes, as JSON (what it sends and asks for);
    /// not counted for the components' protobuf traffic.
    pub json_bytes: Option<(usize, usize)>,
}

/// How many finished requests the inspector keeps.
const RECENT_REQUESTS: usize = 64;
/// Of those, how many of the user's (kubectl's) requests outlive newer background requests.
const USER_REQUESTS_KEPT: usize = 8;

#[derive(Clone, Debug)]
struct Watcher {
    client: ComponentId,
    watch_id: u64,
    prefix: String,
    req: ApiRequest,
}

#[derive(Clone, Copy, Debug)]
enum EtcdWait {
    InitialList,
    /// A new list after failing over to another member, merged into the cache.
    Relist,
    Watch,
    /// The compactor's turn-taking transaction, then its compaction.
    CompactTurn,
    Compact,
    Request(u64),
    /// A ResourceQuota status write on behalf of the request with this token.
    Charge(u64),
    /// A lease for the Events' TTL, which the writes waiting in the backend need.
    Lease,
    /// The lease of this apiserver's master lease key (the endpoint reconciler).
    MasterLease,
    /// A write of the apiserver's own, whose answer nobody waits for.
    Own,
}

/// --etcd-compaction-interval: every 5 minutes the apiservers compact etcd to the revision
/// seen at the previous interval, keeping 5 minutes of history for watches.
const COMPACTION_INTERVAL_US: u64 = 300 * super::time::SECONDS;

/// An etcd call that gets no answer for this long means the member is unreachable
/// (clientv3's keepalive would notice about as late).
const ETCD_DEADLINE_US: u64 = 10 * super::time::SECONDS;

#[derive(Clone, Debug)]
pub struct ApiServer {
    /// The etcd clusters: `--etcd-servers` first, then the events cluster if it has its own.
    stores: Vec<etcd_client::Backend>,
    etcd_next: u64,
    /// Calls under way: the etcd cluster, what the answer is for, and the call (to resend).
    etcd_pending: BTreeMap<u64, (usize, EtcdWait, EtcdOp)>,
    /// The watch cache: every object by etcd key, with resourceVersion set.
    cache: BTreeMap<Arc<str>, Arc<Object>>,
    pub ready: bool,
    /// False while the process is down: its port refuses connections.
    pub up: bool,
    parked: Vec<u64>,
    watchers: watchers::Watchers,
    inflight: BTreeMap<u64, InFlight>,
    next_token: u64,
    node_rules: Vec<PolicyRule>,
    rng: SimRng,
    pub requests_total: u64,
    /// --encryption-provider-config, if any.
    pub encryption: Option<super::storage::EncryptionConfig>,
    pub authn: authn::Authenticator,
    /// --enable-admission-plugins / --disable-admission-plugins.
    pub admission: admission::Chain,
    pub metrics: metrics::ApiMetrics,
    /// API Priority and Fairness, sized by --max-requests-inflight + --max-mutating-requests-inflight.
    pub flow: flowcontrol::FlowControl,
    pub max_inflight: (usize, usize),
    /// --event-ttl: Events are written with an etcd lease of this many seconds (0: none).
    pub event_ttl_s: u64,
    /// --advertise-address: where clients (and the `kubernetes` Service) reach it.
    pub advertise_address: String,
    /// Its machine's hostname (its identity lease is named after it).
    pub hostname: String,
    /// The resources served for CustomResourceDefinitions in the watch cache.
    pub custom: Vec<&'static ResourceInfo>,
    /// The last finished requests, newest last.
    pub recent: std::collections::VecDeque<RequestRecord>,
    /// Where each node's kubelet is (learned from its requests), to reach webhook pods.
    kubelets: super::vecmap::VecMap<String, ComponentId>,
    /// Webhook calls under way → the request's token.
    calls: super::vecmap::VecMap<u64, u64>,
    /// Webhook pods it holds a connection to, by IP, and its dials under way.
    webhook_conns: super::vecmap::VecSet<String>,
    dials: super::vecmap::VecMap<u64, webhook_conns::Dial>,
    next_call: u64,
}

/// How often watchers get a BOOKMARK with the current revision (upstream: about a minute).
const BOOKMARK_US: u64 = 60 * super::time::SECONDS;

impl ApiServer {
    /// An object in the watch cache by its etcd key (for the lessons' wait conditions).
    pub fn cached_at(&self, key: &str) -> Option<&Object> {
        self.cache.get(key).map(|o| &**o)
    }

    pub fn new(etcd: Vec<ComponentId>, mut rng: SimRng) -> Self {
        let sa_key = (0..32).map(|_| rng.below(256) as u8).collect();
        ApiServer {
            stores: vec![etcd_client::Backend::new(etcd)],
            etcd_next: 1,
            etcd_pending: BTreeMap::new(),
            cache: BTreeMap::new(),
            ready: false,
            up: true,
            parked: Vec::new(),
            watchers: Default::default(),
            inflight: BTreeMap::new(),
            next_token: 1,
            node_rules: authz::node::node_rules(),
            rng,
            requests_total: 0,
            encryption: None,
            authn: authn::Authenticator { static_tokens: super::vecmap::VecMap::new(), sa_key, anonymous: true },
            admission: admission::Chain::default(),
            metrics: Default::default(),
            flow: flowcontrol::FlowControl::new(DEFAULT_MAX_INFLIGHT.0 + DEFAULT_MAX_INFLIGHT.1),
            max_inflight: DEFAULT_MAX_INFLIGHT,
            event_ttl_s: DEFAULT_EVENT_TTL_S,
            advertise_address: super::cluster::APISERVER_ADDRESS.into(),
            hostname: String::new(),
            custom: Vec::new(),
            recent: std::collections::VecDeque::new(),
            kubelets: super::vecmap::VecMap::new(),
            calls: super::vecmap::VecMap::new(),
            webhook_conns: Default::default(),
            dials: super::vecmap::VecMap::new(),
            next_call: 0,
        }
    }

    pub fn watch_count(&self) -> usize {
        self.watchers.len()
    }

    pub fn cached(&self) -> impl Iterator<Item = &Object> {
        self.cache.values().map(|o| &**o)
    }

    /// The cached objects whose etcd key starts with `prefix`, in key order.
    pub fn cached_under<P: AsRef<str>>(&self, prefix: P) -> impl Iterator<Item = &Object> {
        self.cache_entries_under(prefix).map(|(_, o)| &**o)
    }

    /// The watch cache's entries whose etcd key starts with `prefix`, in key order.
    fn cache_entries_under<P: AsRef<str>>(&self, prefix: P) -> impl Iterator<Item = (&Arc<str>, &Arc<Object>)> {
        use std::ops::Bound;
        let entries = self.cache.range::<str, _>((Bound::Included(prefix.as_ref()), Bound::Unbounded));
        entries.take_while(move |(k, _)| k.starts_with(prefix.as_ref()))
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if !self.up {
            // Nothing listens on 6443: the host refuses the connection.
            match msg.payload {
                Payload::Api { req_id, .. } => {
                    let resp = Box::new(Err(Status::connection_refused()));
                    ctx.send(msg.from, MsgKind::ApiResponse, "connection refused", Payload::ApiResp { req_id, resp });
                }
                Payload::Handshake { conn, .. } => {
                    ctx.send(msg.from, MsgKind::ApiResponse, "TCP RST", Payload::Handshake { conn, step: 0 })
                }
                _ => {}
            }
            return;
        }
        match msg.payload {
            // A client's new connection: SYN-ACK, then TLS 1.3's server flight.
            Payload::Handshake { conn, step: 1 } => {
                ctx.send(msg.from, MsgKind::ApiResponse, "TCP SYN-ACK", Payload::Handshake { conn, step: 2 })
            }
            Payload::Handshake { conn, step: 3 } => {
                let label = "TLS ServerHello, Certificate, Finished";
                ctx.send(msg.from, MsgKind::ApiResponse, label, Payload::Handshake { conn, step: 4 })
            }
            Payload::Api { req_id, cred, req } => self.accept(ctx, msg.from, req_id, cred, *req),
            Payload::WebhookResult { call_id, result } => self.on_webhook_result(ctx, call_id, *result),
            Payload::PodHandshake { conn, step, .. } => self.on_pod_handshake(ctx, conn, step),
            Payload::WatchCancel { watch_id } => {
                self.watchers.remove_where(|w| w.client == msg.from && w.watch_id == watch_id)
            }
            Payload::EtcdResp { req_id, result } => self.on_etcd(ctx, msg.from, req_id, *result),
            Payload::EtcdWatch { events } => {
                let store = self.store_from(msg.from);
                for ev in events {
                    self.on_store_event(ctx, store, ev);
                }
            }
            _ => {}
        }
    }

    /// The process dies: requests in flight and the watch cache are lost, and every client's
    /// watch connection is reset.
    pub fn crash(&mut self, ctx: &mut Ctx) {
        self.up = false;
        self.ready = false;
        for w in self.watchers.take_all() {
            let payload = Payload::WatchClosed { watch_id: w.watch_id };
            ctx.send(w.client, MsgKind::WatchEvent, "watch connection reset", payload);
        }
        // The kernel resets the dead process's connections: every request it had accepted
        // and not answered fails at its client.
        for f in std::mem::take(&mut self.inflight).into_values() {
            let payload = Payload::ApiResp { req_id: f.req_id, resp: Box::new(Err(Status::connection_reset())) };
            ctx.send(f.client, MsgKind::ApiResponse, "connection reset", payload);
        }
        self.calls.clear();
        self.webhook_conns = Default::default();
        self.dials.clear();
        self.parked.clear();
        self.flow = flowcontrol::FlowControl::new(self.max_inflight.0 + self.max_inflight.1);
        self.etcd_pending.clear();
        self.cache.clear();
        for b in &mut self.stores {
            b.reset();
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if !self.up && timer != Timer::Restart {
            return;
        }
        match timer {
            Timer::Restart if !self.up => {
                self.up = true;
                self.on_timer(ctx, Timer::Start);
            }
            Timer::ReconcileEndpoints => self.reconcile_endpoints(ctx),
            Timer::RenewIdentityLease => self.renew_identity_lease(ctx),
            Timer::CollectIdentityLeases => self.collect_identity_leases(ctx),
            Timer::Bookmark => {
                for w in self.watchers.iter() {
                    let revision = self.stores[self.store_of(&w.prefix)].revision;
                    let payload = Payload::Bookmark { watch_id: w.watch_id, revision };
                    ctx.send(w.client, MsgKind::WatchEvent, "BOOKMARK", payload);
                }
                ctx.timer(BOOKMARK_US, Timer::Bookmark);
            }
            Timer::Start => {
                ctx.phase("start", "list and watch /registry/ from etcd");
                ctx.timer(COMPACTION_INTERVAL_US, Timer::Compact);
                ctx.timer(BOOKMARK_US, Timer::Bookmark);
                self.list_and_watch_all(ctx);
            }
            Timer::ApiStage { token } => self.advance(ctx, token),
            Timer::FlowTimeout { token } => self.flow_timeout(ctx, token),
            Timer::WebhookTimeout { call_id } => self.on_webhook_timeout(ctx, call_id),
            Timer::Compact => {
                self.compact_all(ctx);
                ctx.timer(COMPACTION_INTERVAL_US, Timer::Compact);
            }
            Timer::EtcdDeadline { req_id } => {
                if let Some((store, _, _)) = self.etcd_pending.get(&req_id) {
                    self.fail_over(ctx, *store, "no answer within 10s")
                }
            }
            _ => {}
        }
    }

    /// Where each node's kubelet listens (kube-apiserver dials it for logs, exec and webhook
    /// pods), set when the cluster is built. One sort: inserted one by one in node order
    /// ("worker-10" sorts before "worker-2"), the map shifted its entries on every insert,
    /// about a quarter of building a 7,500-node cluster.
    pub fn reach_kubelets(&mut self, kubelets: &[(String, ComponentId)]) {
        self.kubelets = kubelets.iter().cloned().collect();
    }

    fn accept(&mut self, ctx: &mut Ctx, client: ComponentId, req_id: u64, cred: Credential, req: ApiRequest) {
        self.requests_total += 1;
        if let Credential::ClientCert { common_name, .. } = &cred {
            if let Some(node) = common_name.strip_prefix("system:node:") {
                self.kubelets.insert(node.to_string(), client);
            }
        }
        let token = self.next_token;
        self.next_token += 1;
        self.inflight.insert(
            token,
            InFlight {
                client,
                req_id,
                cred,
                line: req.line().into(),
                req: std::sync::Arc::new(req),
                stage: Stage::Authentication,
                plan: None,
                retries: 0,
                user: None,
                charges: vec![],
                started: ctx.now,
                quota_started: ctx.now,
                flow: ("", None),
                seated: false,
                hooks: vec![],
                mutating_hooks: false,
                hook: None,
                webhook_changes: 0,
                if_needed: vec![],
                reinvoking: false,
                stages: vec![],
            },
        );
        if self.ready {
            self.enter(ctx, token, Stage::Authentication);
        } else {
            self.parked.push(token);
        }
    }

    fn enter(&mut self, ctx: &mut Ctx, token: u64, stage: Stage) {
        let Some(f) = self.inflight.get_mut(&token) else {
            return;
        };
        f.stage = stage;
        let (name, us) = match stage {
            Stage::Authentication => ("authentication", AUTHN_US),
            Stage::Authorization => ("authorization", AUTHZ_US),
            Stage::Admission => ("admission", ADMISSION_US),
            Stage::Validation => ("validation", VALIDATION_US),
            Stage::Storage | Stage::Queued | Stage::Webhook => return,
        };
        f.stages.push((name, ctx.now));
        ctx.phase(name, f.line.to_string());
        ctx.timer(us, Timer::ApiStage { token });
    }

    /// A stage's time is up: decide its outcome and move on.
    fn advance(&mut self, ctx: &mut Ctx, token: u64) {
        let Some(f) = self.inflight.get(&token).cloned() else {
            return;
        };
        match f.stage {
            Stage::Authentication => {
                let user = match self.authenticate(ctx, &f) {
                    Ok(user) => user,
                    Err(why) => {
                        ctx.phase("authentication", format!("401: {why}"));
                        return self.finish(ctx, token, Err(Status::unauthorized()));
                    }
                };
                let user = match &f.req.impersonate {
                    Some(target) => match self.impersonate(&user, target) {
                        Ok(u) => u,
                        Err(status) => return self.deny(ctx, token, status),
                    },
                    None => user,
                };
                self.flow_control(ctx, token, user);
            }
            Stage::Authorization => {
                let user: std::sync::Arc<UserInfo> = f.user.clone().unwrap_or_default();
                let attrs = Attributes::of(&user, &f.req);
                if self.authorize(&attrs) == Decision::NoOpinion {
                    return self.deny(ctx, token, attrs.forbidden(f.req.verb == Verb::Create));
                }
                if !f.req.path.is_empty() {
                    let resp = self.non_resource(&f.req.path);
                    return self.finish(ctx, token, resp);
                }
                if !self.serves(f.req.resource) {
                    return self.finish(ctx, token, Err(Status::no_such_path()));
                }
                if f.req.resource.etcd_prefix.is_empty() || f.req.subresource == "token" {
                    let resp = self.review(ctx, &f, &user);
                    return self.finish(ctx, token, resp);
                }
                match f.req.verb {
                    Verb::Watch => self.serve_read(ctx, token),
                    Verb::Get | Verb::List => {
                        // Consistent reads from cache (ConsistentListFromCache, on since
                        // v1.31): learn etcd's current revision through a linearizable read,
                        // then answer from the watch cache once it has caught up.
                        ctx.phase("etcd", "consistent read: current revision (ReadIndex)");
                        self.mark(token, "etcd ReadIndex", ctx.now);
                        let op = EtcdOp::CurrentRevision;
                        let store = self.store_of(&f.req.resource.list_prefix(&f.req.namespace));
                        self.etcd_call(ctx, store, op, EtcdWait::Request(token), "Range (linearizable, revision)");
                    }
                    _ => self.enter(ctx, token, Stage::Admission),
                }
            }
            Stage::Admission => match self.admit(ctx, &f) {
                Ok(plan) => {
                    if let Some(x) = self.inflight.get_mut(&token) {
                        x.plan = Some(std::sync::Arc::new(plan));
                    }
                    self.webhooks(ctx, token, true);
                }
                Err(status) => self.finish(ctx, token, Err(status)),
            },
            Stage::Validation => {
                let Some(mut plan) = f.plan.clone() else { return };
                let errs = match &plan.txn.action {
                    super::etcd::TxnAction::Put(_) => {
                        let mut errs = match f.req.subresource.as_str() {
                            "status" => validation::validate_meta(&plan.object),
                            _ => validation::validate(&plan.object),
                        };
                        if let Object::CustomResourceDefinition(d) = &plan.object {
                            errs.extend(crd::validate_definition(d));
                        }
                        // Custom objects only: pruned to their schema, then validated.
                        if matches!(plan.object, Object::Custom(_)) {
                            let mut object = plan.object.clone();
                            errs.extend(self.check_custom(&mut object));
                            if object != plan.object {
                                plan = std::sync::Arc::new(registry::rewrite(
                                    std::sync::Arc::unwrap_or_clone(plan),
                                    object,
                                ));
                                if let Some(x) = self.inflight.get_mut(&token) {
                                    x.plan = Some(plan.clone());
                                }
                            }
                        }
                        errs
                    }
                    super::etcd::TxnAction::Delete => vec![],
                };
                if !errs.is_empty() {
                    let status = Status::invalid(plan.object.kind(), &plan.object.meta().name, &errs);
                    ctx.phase("validation", format!("422: {}", status.message));
                    return self.finish(ctx, token, Err(status));
                }
                let mut trail = admission::Trail::new();
                let validated = admission::validate(&self.admission, &f.req, &plan.object, self, &mut trail);
                // ResourceQuota's time includes charging the quota; it is observed then.
                trail.retain(|(p, rejected)| *p != "ResourceQuota" || *rejected);
                self.observe_admission(&f.req, "validate", &trail);
                if let Some(x) = self.inflight.get_mut(&token) {
                    x.quota_started = ctx.now;
                }
                match validated {
                    Err(status) => {
                        ctx.phase("admission", format!("denied: {}", status.message));
                        self.finish(ctx, token, Err(status))
                    }
                    Ok(quotas) => {
                        let mut charges: Vec<Object> = quotas.into_iter().map(Object::ResourceQuota).collect();
                        if f.req.subresource == "eviction" {
                            let prefix = ResourceInfo::of("poddisruptionbudgets").list_prefix(&f.req.namespace);
                            // The pod as it is (the plan's copy already carries the deletion).
                            let current = self.cached_at(&plan.txn.key).and_then(|o| o.as_pod());
                            let spent = match current {
                                Some(pod) => eviction::spend(pod, self.cached_under(prefix), ctx.now),
                                None => Ok(None),
                            };
                            match spent {
                                Ok(budget) => charges.extend(budget.map(Object::PodDisruptionBudget)),
                                Err(status) => {
                                    ctx.phase("eviction", format!("429: {}", status.causes.join("; ")));
                                    return self.finish(ctx, token, Err(status));
                                }
                            }
                        }
                        if let Some(x) = self.inflight.get_mut(&token) {
                            x.charges = charges;
                        }
                        self.webhooks(ctx, token, false);
                    }
                }
            }
            Stage::Storage | Stage::Queued | Stage::Webhook => {}
        }
    }

    fn observe_admission(&mut self, req: &ApiRequest, kind: &'static str, trail: &admission::Trail) {
        let seconds = ADMISSION_PLUGIN_US as f64 / super::time::SECONDS as f64;
        for (plugin, rejected) in trail {
            self.metrics.admission(plugin, req, kind, *rejected, seconds);
        }
    }

    fn deny(&mut self, ctx: &mut Ctx, token: u64, status: Status) {
        ctx.phase("authorization", format!("denied: {}", status.message));
        self.finish(ctx, token, Err(status))
    }

    fn authorize(&self, attrs: &Attributes) -> Decision {
        authz::authorize(attrs, &self.node_rules, self)
    }

    /// Mutating admission and the registry strategy: the object to write.
    fn admit(&mut self, ctx: &mut Ctx, f: &InFlight) -> Result<Plan, Status> {
        if self.admission.on("NamespaceLifecycle") {
            admission::namespace_lifecycle::admit(&f.req, self.namespace(&f.req.namespace))?;
        }
        if f.req.verb == Verb::Create && f.req.subresource.is_empty() {
            let mut obj = registry::prepare_create(&f.req, ctx.now, &mut self.rng)?;
            if let Object::Custom(c) = &mut obj {
                if self.custom_status_subresource(c) {
                    c.fields.remove("status");
                }
            }
            if let Object::Service(svc) = &mut obj {
                if svc.spec.cluster_ip.is_empty() {
                    let used = self
                        .cache
                        .values()
                        .filter_map(|o| match &**o {
                            Object::Service(s) => Some(s.spec.cluster_ip.clone()),
                            _ => None,
                        })
                        .collect();
                    svc.spec.cluster_ip = registry::allocate_cluster_ip(&mut self.rng, &used)?;
                }
                if svc.spec.type_ == "NodePort" || svc.spec.type_ == "LoadBalancer" {
                    let used = self
                        .cache
                        .values()
                        .filter_map(|o| match &**o {
                            Object::Service(s) => Some(s.spec.ports.iter().map(|p| p.node_port)),
                            _ => None,
                        })
                        .flatten()
                        .collect();
                    registry::allocate_node_ports(&mut self.rng, svc, &used)?;
                }
            }
            let mut trail = admission::Trail::new();
            let mutated = admission::mutate(&self.admission, &f.req, &mut obj, self, &mut trail);
            self.observe_admission(&f.req, "admit", &trail);
            mutated?;
            return Ok(registry::create_plan(&f.req, obj));
        }
        let current = self.current(&f.req)?;
        self.modify(&f.req, &current, ctx.now)
    }

    /// The registry's write for an update, patch or delete of `current` — a custom
    /// resource's `/status` only when its definition serves it.
    fn modify(&self, req: &ApiRequest, current: &Object, now: super::time::SimTime) -> Result<Plan, Status> {
        let status_subresource = match current {
            Object::Custom(c) => self.custom_status_subresource(c),
            _ => true,
        };
        if req.subresource == "status" && !status_subresource {
            return Err(Status::not_found(req.resource, &req.name));
        }
        if let (Object::Custom(c), "scale") = (current, req.subresource.as_str()) {
            let patch = req.patch.as_ref().and_then(|p| self.custom_scale_patch(c, p));
            let Some(patch) = patch else { return Err(Status::no_such_path()) };
            let mut main = req.clone();
            main.patch = Some(patch);
            return registry::modify_plan(&main, current, now, status_subresource);
        }
        registry::modify_plan(req, current, now, status_subresource)
    }

    fn current(&self, req: &ApiRequest) -> Result<Object, Status> {
        self.cached_at(&req.resource.key(&req.namespace, &req.name))
            .cloned()
            .ok_or_else(|| Status::not_found(req.resource, &req.name))
    }

    fn namespace(&self, name: &str) -> Option<&super::api::Namespace> {
        match self.cached_at(&format!("/registry/namespaces/{name}")) {
            Some(Object::Namespace(n)) => Some(n),
            _ => None,
        }
    }

    fn finish(&mut self, ctx: &mut Ctx, token: u64, resp: ApiResponse) {
        self.finish_after(ctx, token, 0, resp);
    }

    fn finish_after(&mut self, ctx: &mut Ctx, token: u64, delay_us: u64, resp: ApiResponse) {
        let Some(f) = self.inflight.remove(&token) else {
            return;
        };
        let mut resp = resp;
        match &mut resp {
            Ok(ApiBody::Object(o)) => crd::served_as(o, f.req.resource),
            Ok(ApiBody::List { items, .. } | ApiBody::WatchStarted { items, .. }) => {
                // Only a custom object may be served at another version: only it is copied.
                for o in items.iter_mut().filter(|o| matches!(&***o, Object::Custom(_))) {
                    crd::served_as(std::sync::Arc::make_mut(o), f.req.resource);
                }
            }
            _ => {}
        }
        let label = match &resp {
            Ok(_) if f.req.verb == Verb::Create => "201 Created".to_string(),
            Ok(_) => "200 OK".to_string(),
            Err(s) => format!("{} {}", s.code, s.reason),
        };
        let code = match &resp {
            Ok(_) if f.req.verb == Verb::Create => 201,
            Ok(_) => 200,
            Err(s) => s.code,
        };
        let end = ctx.now.plus(delay_us);
        let seconds = end.since(f.started) as f64 / super::time::SECONDS as f64;
        self.metrics.observe(&f.req, code, seconds);
        self.record(&f, code, end, &resp);
        self.release_seat(ctx, &f);
        let payload = Payload::ApiResp { req_id: f.req_id, resp: Box::new(resp) };
        ctx.send_after(delay_us, f.client, MsgKind::ApiResponse, label, payload);
    }
}

impl ApiServer {
    /// Marks the stage a request enters now.
    pub(super) fn mark(&mut self, token: u64, stage: &'static str, now: super::time::SimTime) {
        if let Some(f) = self.inflight.get_mut(&token) {
            f.stages.push((stage, now));
        }
    }

    /// Keeps a finished request for the inspector.
    fn record(&mut self, f: &InFlight, code: u16, end: super::time::SimTime, resp: &ApiResponse) {
        let mut record = summary(f, code, end);
        record.json_bytes = (f.client == super::cluster::USER)
            .then(|| (f.req.body.as_deref().map_or(0, json_len), response_json_len(resp)));
        if self.recent.len() == RECENT_REQUESTS {
            // The user's own last requests stay while the cluster's background traffic
            // (leases, watches, status updates) rolls over: they are what one opens the
            // request inspector for.
            let user = super::cluster::USER;
            let mine = self.recent.iter().filter(|r| r.client == user).count();
            let oldest = self.recent.iter().position(|r| r.client != user || mine > USER_REQUESTS_KEPT);
            self.recent.remove(oldest.unwrap_or(0));
        }
        self.recent.push_back(record);
    }

    /// The requests being handled now, as far as they got (code 0; the current stage lasts
    /// until `now`), oldest first: the request journey the page follows.
    pub fn in_flight(&self, now: super::time::SimTime) -> Vec<RequestRecord> {
        let mut out: Vec<RequestRecord> = self.inflight.values().map(|f| summary(f, 0, now)).collect();
        crate::sim::sort::sort_by_key(&mut out, |r| r.at);
        out
    }
}

/// A request's record up to `end`: each stage lasts until the next begins.
fn summary(f: &InFlight, code: u16, end: super::time::SimTime) -> RequestRecord {
    let stages = f
        .stages
        .iter()
        .enumerate()
        .map(|(i, (name, from))| (*name, f.stages.get(i + 1).map_or(end, |s| s.1).since(*from)))
        .collect();
    RequestRecord {
        at: f.started,
        client: f.client,
        user: f.user.as_ref().map_or_else(|| "(unauthenticated)".to_string(), |u| u.name.clone()),
        line: f.line.to_string(),
        code,
        total_us: end.since(f.started),
        stages,
        json_bytes: None,
    }
}

fn json_len(o: &Object) -> usize {
    serde_json::to_vec(o).map_or(0, |b| b.len())
}

/// A response's JSON size: the object, a list around its items, or a Status.
fn response_json_len(resp: &ApiResponse) -> usize {
    // `{"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"…"},"items":[…]}`
    const LIST: usize = 80;
    match resp {
        Ok(ApiBody::Object(o)) => json_len(o),
        Ok(ApiBody::List { items, .. } | ApiBody::WatchStarted { items, .. }) => {
            LIST + items.iter().map(|o| json_len(o) + 1).sum::<usize>()
        }
        Ok(ApiBody::Raw(text)) => text.len(),
        // `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",…,"code":403}`
        Err(s) => 90 + s.message.len() + s.reason.len(),
    }
}

impl admission::Lookup for ApiServer {
    fn namespaced(&self, plural: &str, namespace: &str) -> Vec<&Object> {
        self.under(&ResourceInfo::of(plural).list_prefix(namespace))
    }
    fn cluster(&self, plural: &str) -> Vec<&Object> {
        self.under(&ResourceInfo::of(plural).list_prefix(""))
    }
}

impl ApiServer {
    /// Every cached object whose key starts with `prefix`.
    fn under(&self, prefix: &str) -> Vec<&Object> {
        self.cached_under(prefix).collect()
    }
}

impl authz::rbac::RbacSource for ApiServer {
    fn cluster_role_bindings(&self) -> Vec<&ClusterRoleBinding> {
        let all = self.under("/registry/clusterrolebindings/");
        all.into_iter()
            .filter_map(|o| match o {
                Object::ClusterRoleBinding(b) => Some(b),
                _ => None,
            })
            .collect()
    }
    fn role_bindings(&self, namespace: &str) -> Vec<&RoleBinding> {
        let all = self.under(&format!("/registry/rolebindings/{namespace}/"));
        all.into_iter()
            .filter_map(|o| match o {
                Object::RoleBinding(b) => Some(b),
                _ => None,
            })
            .collect()
    }
    fn cluster_role_rules(&self, name: &str) -> Option<&[PolicyRule]> {
        match self.cached_at(&format!("/registry/clusterroles/{name}")) {
            Some(Object::ClusterRole(r)) => Some(&r.rules),
            _ => None,
        }
    }
    fn role_rules(&self, namespace: &str, name: &str) -> Option<&[PolicyRule]> {
        match self.cached_at(&format!("/registry/roles/{namespace}/{name}")) {
            Some(Object::Role(r)) => Some(&r.rules),
            _ => None,
        }
    }
}
