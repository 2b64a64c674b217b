//! kube-apiserver: every request walks the handler chain — authentication, authorization
//! (Node, RBAC), mutating admission (defaulting, NamespaceLifecycle), validation — then goes to
//! etcd as a transaction; reads are served from the watch cache, which follows etcd through
//! one watch and fans events out to client watches. Each stage is a trace phase with a latency.

pub mod admission;
pub mod authn;
pub mod authz;
pub mod bootstrap_policy;
pub mod crd;
pub mod flowcontrol;
pub mod metrics;
pub mod registry;
pub mod validation;

use super::api::meta::cache_key;
use super::api::request::{ApiBody, ApiRequest, ApiResponse, Credential, Status, Verb, WatchEvent, WatchType};
use super::api::resource::ResourceInfo;
use super::api::{ClusterRoleBinding, CustomResourceDefinition, Object, PolicyRule, RoleBinding};
use super::etcd::{EtcdOp, EtcdResult, EventType, KeyValue, MvccEvent, TxnResult, CONNECTION_REFUSED};
use super::event::{ComponentId, Message, MsgKind, Payload, Timer};
use super::rng::{Draw, SimRng};
use super::Ctx;
use authz::{Attributes, Decision, UserInfo};
use registry::Plan;
use std::collections::BTreeMap;

/// Time spent in each stage of the handler chain, in µs.
const AUTHN_US: u64 = 60;
const AUTHZ_US: u64 = 40;
const ADMISSION_US: u64 = 80;
const VALIDATION_US: u64 = 50;
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
    req: ApiRequest,
    stage: Stage,
    plan: Option<Plan>,
    retries: u32,
    /// Quotas still to charge before the object is stored (ResourceQuota admission).
    charges: Vec<super::api::ResourceQuota>,
    /// Who the request acts as, once authenticated (and impersonated).
    user: Option<UserInfo>,
    /// When the request arrived, for apiserver_request_duration_seconds.
    started: super::time::SimTime,
    /// When its ResourceQuota evaluation began, for the admission latency metric.
    quota_started: super::time::SimTime,
    /// Its API Priority and Fairness flow schema and level (None: exempt), and whether it
    /// holds one of the level's seats.
    flow: (&'static str, Option<usize>),
    seated: bool,
}

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
    Compact,
    Request(u64),
    /// A ResourceQuota status write on behalf of the request with this token.
    Charge(u64),
}

/// --etcd-compaction-interval: every 5 minutes the apiserver compacts etcd to the revision
/// it saw at the previous interval, keeping 5 minutes of history for watches.
const COMPACTION_INTERVAL_US: u64 = 300 * super::time::SECONDS;

/// An etcd call that gets no answer for this long means the member is unreachable
/// (clientv3's keepalive would notice about as late).
const ETCD_DEADLINE_US: u64 = 10 * super::time::SECONDS;

#[derive(Clone, Debug)]
pub struct ApiServer {
    /// --etcd-servers: every member; calls go to the current one and fail over in turn.
    etcd: Vec<ComponentId>,
    endpoint: usize,
    etcd_next: u64,
    etcd_pending: BTreeMap<u64, (EtcdWait, EtcdOp)>,
    /// The watch cache: every object by etcd key, with resourceVersion set.
    cache: BTreeMap<String, Object>,
    pub cache_revision: i64,
    pub ready: bool,
    /// False while the process is down: its port refuses connections.
    pub up: bool,
    parked: Vec<u64>,
    watchers: Vec<Watcher>,
    inflight: BTreeMap<u64, InFlight>,
    next_token: u64,
    node_rules: Vec<PolicyRule>,
    rng: SimRng,
    pub requests_total: u64,
    /// The revision the compactor will compact to at its next run.
    compact_to: i64,
    /// --encryption-provider-config, if any.
    pub encryption: Option<super::storage::EncryptionConfig>,
    /// The request id of the current watch on etcd.
    watch_req: Option<u64>,
    pub authn: authn::Authenticator,
    /// --enable-admission-plugins / --disable-admission-plugins.
    pub admission: admission::Chain,
    pub metrics: metrics::ApiMetrics,
    /// API Priority and Fairness, sized by --max-requests-inflight + --max-mutating-requests-inflight.
    pub flow: flowcontrol::FlowControl,
    pub max_inflight: (usize, usize),
    /// The resources served for CustomResourceDefinitions in the watch cache.
    pub custom: Vec<&'static ResourceInfo>,
    /// The watch cache's window of recent changes, for watches resuming from a revision.
    history: std::collections::VecDeque<Change>,
}

/// One change the watch cache remembers: its revision and key, the object before, and the
/// object written (or, for a delete, the one removed).
#[derive(Clone, Debug)]
struct Change {
    rev: i64,
    key: String,
    old: Option<Object>,
    obj: Object,
    deleted: bool,
}

/// How many changes the watch cache keeps (upstream sizes it per resource, 100 by default).
const WATCH_HISTORY: usize = 1000;
/// How often watchers get a BOOKMARK with the current revision (upstream: about a minute).
const BOOKMARK_US: u64 = 60 * super::time::SECONDS;

impl ApiServer {
    pub fn new(etcd: Vec<ComponentId>, mut rng: SimRng) -> Self {
        let sa_key = (0..32).map(|_| rng.below(256) as u8).collect();
        ApiServer {
            etcd,
            endpoint: 0,
            etcd_next: 1,
            etcd_pending: BTreeMap::new(),
            cache: BTreeMap::new(),
            cache_revision: 0,
            ready: false,
            up: true,
            parked: Vec::new(),
            watchers: Vec::new(),
            inflight: BTreeMap::new(),
            next_token: 1,
            node_rules: authz::node::node_rules(),
            rng,
            requests_total: 0,
            compact_to: 0,
            encryption: None,
            watch_req: None,
            authn: authn::Authenticator { static_tokens: super::vecmap::VecMap::new(), sa_key, anonymous: true },
            admission: admission::Chain::default(),
            metrics: Default::default(),
            flow: flowcontrol::FlowControl::new(DEFAULT_MAX_INFLIGHT.0 + DEFAULT_MAX_INFLIGHT.1),
            max_inflight: DEFAULT_MAX_INFLIGHT,
            custom: Vec::new(),
            history: std::collections::VecDeque::new(),
        }
    }

    pub fn watch_count(&self) -> usize {
        self.watchers.len()
    }

    pub fn cached(&self) -> impl Iterator<Item = &Object> {
        self.cache.values()
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if !self.up {
            // Nothing listens on 6443: the host refuses the connection.
            if let Payload::Api { req_id, .. } = msg.payload {
                let resp = Box::new(Err(Status::connection_refused()));
                ctx.send(msg.from, MsgKind::ApiResponse, "connection refused", Payload::ApiResp { req_id, resp });
            }
            return;
        }
        match msg.payload {
            Payload::Api { req_id, cred, req } => self.accept(ctx, msg.from, req_id, cred, *req),
            Payload::WatchCancel { watch_id } => {
                self.watchers.retain(|w| !(w.client == msg.from && w.watch_id == watch_id))
            }
            Payload::EtcdResp { req_id, result } => self.on_etcd(ctx, req_id, *result),
            Payload::EtcdWatch { events } => {
                for ev in events {
                    self.on_store_event(ctx, ev);
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
        for w in std::mem::take(&mut self.watchers) {
            let payload = Payload::WatchClosed { watch_id: w.watch_id };
            ctx.send(w.client, MsgKind::WatchEvent, "watch connection reset", payload);
        }
        self.inflight.clear();
        self.parked.clear();
        self.flow = flowcontrol::FlowControl::new(self.max_inflight.0 + self.max_inflight.1);
        self.etcd_pending.clear();
        self.cache.clear();
        self.history.clear();
        self.cache_revision = 0;
        self.watch_req = None;
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
            Timer::Bookmark => {
                for w in &self.watchers {
                    let payload = Payload::Bookmark { watch_id: w.watch_id, revision: self.cache_revision };
                    ctx.send(w.client, MsgKind::WatchEvent, "BOOKMARK", payload);
                }
                ctx.timer(BOOKMARK_US, Timer::Bookmark);
            }
            Timer::Start => {
                ctx.phase("start", "list and watch /registry/ from etcd");
                ctx.timer(COMPACTION_INTERVAL_US, Timer::Compact);
                ctx.timer(BOOKMARK_US, Timer::Bookmark);
                self.etcd_call(
                    ctx,
                    EtcdOp::Range { prefix: "/registry/".into() },
                    EtcdWait::InitialList,
                    "Range /registry/",
                );
                self.etcd_call(
                    ctx,
                    EtcdOp::Watch { prefix: "/registry/".into(), start_revision: None },
                    EtcdWait::Watch,
                    "Watch /registry/",
                );
            }
            Timer::ApiStage { token } => self.advance(ctx, token),
            Timer::FlowTimeout { token } => self.flow_timeout(ctx, token),
            Timer::Compact => {
                // Compact to what the previous interval saw, then remember today's revision.
                if self.compact_to > 0 {
                    let op = EtcdOp::Compact { revision: self.compact_to };
                    self.etcd_call(ctx, op, EtcdWait::Compact, format!("Compact to revision {}", self.compact_to));
                }
                self.compact_to = self.cache_revision;
                ctx.timer(COMPACTION_INTERVAL_US, Timer::Compact);
            }
            Timer::EtcdDeadline { req_id } if self.etcd_pending.contains_key(&req_id) => {
                self.fail_over(ctx, "no answer within 10s")
            }
            _ => {}
        }
    }

    fn etcd_call(&mut self, ctx: &mut Ctx, op: EtcdOp, wait: EtcdWait, label: impl Into<String>) {
        let req_id = self.etcd_next;
        self.etcd_next += 1;
        self.etcd_pending.insert(req_id, (wait, op.clone()));
        if matches!(wait, EtcdWait::Watch) {
            self.watch_req = Some(req_id);
        }
        let to = self.etcd[self.endpoint % self.etcd.len()];
        ctx.send(to, MsgKind::EtcdGrpc, label, Payload::Etcd { req_id, op: Box::new(op) });
        if !matches!(wait, EtcdWait::Watch) {
            ctx.timer(ETCD_DEADLINE_US, Timer::EtcdDeadline { req_id });
        }
    }

    /// The current etcd member is gone: use the next one, resend what was in flight, and
    /// list + watch again there (the reflector's relist).
    fn fail_over(&mut self, ctx: &mut Ctx, why: &str) {
        self.endpoint = (self.endpoint + 1) % self.etcd.len();
        ctx.phase("etcd failover", format!("{why}: switching to endpoint {}", self.endpoint));
        for (_, (wait, op)) in std::mem::take(&mut self.etcd_pending) {
            match wait {
                EtcdWait::Request(_) | EtcdWait::Charge(_) | EtcdWait::InitialList => {
                    self.etcd_call(ctx, op, wait, "retry on another member")
                }
                EtcdWait::Relist | EtcdWait::Watch | EtcdWait::Compact => {}
            }
        }
        // Resume the watch where the cache stands; if that history is compacted, relist.
        let from = self.cache_revision + 1;
        let op = EtcdOp::Watch { prefix: "/registry/".into(), start_revision: Some(from) };
        self.etcd_call(ctx, op, EtcdWait::Watch, format!("Watch /registry/ from revision {from}"));
    }

    fn relist_and_watch(&mut self, ctx: &mut Ctx) {
        self.etcd_call(
            ctx,
            EtcdOp::Range { prefix: "/registry/".into() },
            EtcdWait::Relist,
            "Range /registry/ (relist)",
        );
        let op = EtcdOp::Watch { prefix: "/registry/".into(), start_revision: None };
        self.etcd_call(ctx, op, EtcdWait::Watch, "Watch /registry/");
    }

    fn accept(&mut self, ctx: &mut Ctx, client: ComponentId, req_id: u64, cred: Credential, req: ApiRequest) {
        self.requests_total += 1;
        let token = self.next_token;
        self.next_token += 1;
        self.inflight.insert(
            token,
            InFlight {
                client,
                req_id,
                cred,
                req,
                stage: Stage::Authentication,
                plan: None,
                retries: 0,
                user: None,
                charges: vec![],
                started: ctx.now,
                quota_started: ctx.now,
                flow: ("", None),
                seated: false,
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
            Stage::Storage | Stage::Queued => return,
        };
        ctx.phase(name, f.req.line());
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
                let user = f.user.clone().unwrap_or_default();
                let attrs = Attributes::of(&user, &f.req);
                if self.authorize(&attrs) == Decision::NoOpinion {
                    return self.deny(ctx, token, attrs.forbidden(f.req.verb == Verb::Create));
                }
                if !f.req.path.is_empty() {
                    let resp = self.non_resource(&f.req.path);
                    return self.finish(ctx, token, resp);
                }
                if !self.serves(f.req.resource) {
                    let message = "the server could not find the requested resource".to_string();
                    return self.finish(
                        ctx,
                        token,
                        Err(Status { code: 404, reason: "NotFound", message, causes: vec![] }),
                    );
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
                        let op = EtcdOp::CurrentRevision;
                        self.etcd_call(ctx, op, EtcdWait::Request(token), "Range (linearizable, revision)");
                    }
                    _ => self.enter(ctx, token, Stage::Admission),
                }
            }
            Stage::Admission => match self.admit(ctx, &f) {
                Ok(plan) => {
                    if let Some(x) = self.inflight.get_mut(&token) {
                        x.plan = Some(plan);
                    }
                    self.enter(ctx, token, Stage::Validation);
                }
                Err(status) => self.finish(ctx, token, Err(status)),
            },
            Stage::Validation => {
                let Some(mut plan) = f.plan.clone() else { return };
                let errs = match &plan.txn.action {
                    super::etcd::TxnAction::Put(_) => {
                        let mut errs = validation::validate(&plan.object);
                        if let Object::CustomResourceDefinition(d) = &plan.object {
                            errs.extend(crd::validate_definition(d));
                        }
                        let mut object = plan.object.clone();
                        errs.extend(self.check_custom(&mut object));
                        if object != plan.object {
                            plan = registry::rewrite(plan, object);
                            if let Some(x) = self.inflight.get_mut(&token) {
                                x.plan = Some(plan.clone());
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
                    Ok(charges) => {
                        if let Some(x) = self.inflight.get_mut(&token) {
                            x.charges = charges;
                        }
                        self.charge_or_store(ctx, token);
                    }
                }
            }
            Stage::Storage | Stage::Queued => {}
        }
    }

    /// Answers a read from the watch cache. Responses travel the same stream as the watch
    /// events before them, so the cache already holds the revision just read.
    fn serve_read(&mut self, ctx: &mut Ctx, token: u64) {
        let Some(f) = self.inflight.get(&token).cloned() else { return };
        ctx.phase("watch cache", f.req.line());
        let resp = self.read(ctx, &f);
        self.finish_after(ctx, token, CACHE_READ_US, resp);
        // A resumed watch: the changes after its revision, behind the response.
        if let (Verb::Watch, Some(rv)) = (f.req.verb, f.req.resource_version) {
            let missed: Vec<Change> = self.history.iter().filter(|c| c.rev > rv).cloned().collect();
            if let Some(w) = self.watchers.last().cloned().filter(|w| w.watch_id == f.req_id && w.client == f.client) {
                for c in missed {
                    notify(ctx, &w, &c, CACHE_READ_US);
                }
            }
        }
    }

    /// An object from etcd bytes (decrypting when needed), with resourceVersion = mod revision.
    fn decode(&self, kv: &KeyValue) -> Option<Object> {
        let plain = match &self.encryption {
            Some(enc) => enc.from_storage(&kv.value).ok()?,
            None => kv.value.clone(),
        };
        let mut o = super::storage::decode(&plain).ok()?;
        o.meta_mut().resource_version = kv.mod_revision.to_string();
        Some(o)
    }

    fn observe_admission(&mut self, req: &ApiRequest, kind: &'static str, trail: &admission::Trail) {
        let seconds = ADMISSION_PLUGIN_US as f64 / super::time::SECONDS as f64;
        for (plugin, rejected) in trail {
            self.metrics.admission(plugin, req, kind, *rejected, seconds);
        }
    }

    /// Charges the next quota (a compare-and-swap on its status), or stores the object once
    /// every quota is charged.
    fn charge_or_store(&mut self, ctx: &mut Ctx, token: u64) {
        let Some(f) = self.inflight.get_mut(&token) else { return };
        let Some(quota) = f.charges.pop() else {
            let quota_seconds = ctx.now.since(f.quota_started) as f64 / super::time::SECONDS as f64;
            let (req, plan) = (f.req.clone(), f.plan.clone());
            let namespaced_create = req.verb == Verb::Create && req.subresource.is_empty() && !req.namespace.is_empty();
            if self.admission.on("ResourceQuota") && namespaced_create {
                self.metrics.admission("ResourceQuota", &req, "validate", false, quota_seconds);
            }
            if let Some(plan) = plan {
                self.store(ctx, token, plan);
            }
            return;
        };
        let key = ResourceInfo::of("resourcequotas").key(&quota.metadata.namespace, &quota.metadata.name);
        let compare = super::etcd::Compare::ModRevision(quota.metadata.rv());
        let mut stored = Object::ResourceQuota(quota);
        stored.meta_mut().resource_version.clear();
        let bytes = self.seal("resourcequotas", super::storage::encode(&stored));
        let txn = super::etcd::Txn { key, compare, action: super::etcd::TxnAction::Put(bytes) };
        let label = format!("Txn {} (charge quota)", txn.key);
        ctx.phase("admission", label.clone());
        self.etcd_call(ctx, EtcdOp::Txn(txn), EtcdWait::Charge(token), label);
    }

    /// Bytes as etcd keeps them: encrypted when the resource is configured for it.
    fn seal(&mut self, plural: &str, bytes: Vec<u8>) -> Vec<u8> {
        match &self.encryption {
            Some(enc) => enc.to_storage(plural, bytes, &mut self.rng),
            None => bytes,
        }
    }

    fn store(&mut self, ctx: &mut Ctx, token: u64, mut plan: Plan) {
        let label = format!("Txn {}", plan.txn.key);
        if let super::etcd::TxnAction::Put(bytes) = &mut plan.txn.action {
            let plural = ResourceInfo::by_kind(plan.object.kind()).map_or("", |r| r.plural);
            *bytes = self.seal(plural, std::mem::take(bytes));
        }
        let op = EtcdOp::Txn(plan.txn.clone());
        if let Some(f) = self.inflight.get_mut(&token) {
            f.stage = Stage::Storage;
            f.plan = Some(plan);
        }
        ctx.phase("etcd", label.clone());
        self.etcd_call(ctx, op, EtcdWait::Request(token), label);
    }

    fn authenticate(&self, ctx: &Ctx, f: &InFlight) -> Result<UserInfo, &'static str> {
        self.authn.authenticate(&f.cred, ctx.now, |ns, name| {
            self.cache.get(&ResourceInfo::of("serviceaccounts").key(ns, name)).map(|o| o.meta().uid.clone())
        })
    }

    /// The impersonation filter: may `user` act as `target`? Checks `impersonate` on
    /// users (or serviceaccounts) and on each group, as upstream does.
    fn impersonate(&self, user: &UserInfo, target: &UserInfo) -> Result<UserInfo, Status> {
        let mut checks = Vec::new();
        let mut groups = target.groups.clone();
        match target.name.strip_prefix("system:serviceaccount:").and_then(|r| r.split_once(':')) {
            Some((ns, sa)) => {
                checks.push(("serviceaccounts", ns.to_string(), sa.to_string()));
                let sa_user = authn::serviceaccount::user_info(ns, sa, "");
                groups.extend(sa_user.groups.into_iter().filter(|g| g != "system:authenticated"));
            }
            None => checks.push(("users", String::new(), target.name.clone())),
        }
        checks.extend(target.groups.iter().map(|g| ("groups", String::new(), g.clone())));
        for (resource, namespace, name) in checks {
            let attrs = Attributes {
                user: user.clone(),
                verb: "impersonate".into(),
                namespace,
                resource: resource.into(),
                name,
                ..Default::default()
            };
            if self.authorize(&attrs) == Decision::NoOpinion {
                return Err(attrs.forbidden(false));
            }
        }
        if target.name != "system:anonymous" && !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".into());
        }
        Ok(UserInfo { name: target.name.clone(), uid: String::new(), groups })
    }

    /// API Priority and Fairness, between authentication and authorization: run now, wait
    /// in a queue, or 429.
    fn flow_control(&mut self, ctx: &mut Ctx, token: u64, user: UserInfo) {
        let Some(f) = self.inflight.get_mut(&token) else { return };
        let (schema, level) = flowcontrol::classify(&user, &f.req);
        let flow = user.name.clone();
        f.user = Some(user);
        f.flow = (schema, level);
        match self.flow.admit(token, schema, level, &flow) {
            flowcontrol::Admit::Exempt => self.enter(ctx, token, Stage::Authorization),
            flowcontrol::Admit::Execute(_) => {
                f.seated = true;
                self.enter(ctx, token, Stage::Authorization);
            }
            flowcontrol::Admit::Queued(l) => {
                f.stage = Stage::Queued;
                let name = self.flow.levels[l].name;
                ctx.phase("flowcontrol", format!("queued at priority level {name} (flow schema {schema})"));
                ctx.timer(flowcontrol::WAIT_LIMIT_US, Timer::FlowTimeout { token });
            }
            flowcontrol::Admit::Rejected(l) => {
                let name = self.flow.levels[l].name;
                ctx.phase("flowcontrol", format!("429: priority level {name} is full (flow schema {schema})"));
                self.finish(ctx, token, Err(Status::too_many_requests()));
            }
        }
    }

    /// A queued request waited its limit out.
    fn flow_timeout(&mut self, ctx: &mut Ctx, token: u64) {
        let Some(f) = self.inflight.get(&token).filter(|f| f.stage == Stage::Queued) else { return };
        let (schema, Some(level)) = f.flow else { return };
        if self.flow.time_out(token, schema, level) {
            ctx.phase(
                "flowcontrol",
                format!("429: waited {} in queue", super::time::go_duration(flowcontrol::WAIT_LIMIT_US)),
            );
            self.finish(ctx, token, Err(Status::too_many_requests()));
        }
    }

    /// A finished request gives its seat back; the next one queued at its level runs.
    fn release_seat(&mut self, ctx: &mut Ctx, f: &InFlight) {
        let (true, Some(level)) = (f.seated, f.flow.1) else { return };
        let Some(next) = self.flow.release(level) else { return };
        let Some(n) = self.inflight.get_mut(&next) else { return };
        n.seated = true;
        let schema = n.flow.0;
        self.flow.dispatched(schema, level);
        self.enter(ctx, next, Stage::Authorization);
    }

    fn deny(&mut self, ctx: &mut Ctx, token: u64, status: Status) {
        ctx.phase("authorization", format!("denied: {}", status.message));
        self.finish(ctx, token, Err(status))
    }

    /// Built-in resources, and custom ones whose definition is in the cache.
    fn serves(&self, r: &ResourceInfo) -> bool {
        super::api::resource::RESOURCES.iter().chain(self.custom.iter().copied()).any(|s| s == r)
    }

    /// Follows the CustomResourceDefinitions in the cache: a new or changed one is served,
    /// a deleted one no longer.
    fn refresh_custom(&mut self) {
        let crds: Vec<CustomResourceDefinition> = self
            .under("/registry/apiextensions.k8s.io/customresourcedefinitions/")
            .into_iter()
            .filter_map(|o| match o {
                Object::CustomResourceDefinition(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        let mut served = Vec::new();
        for c in &crds {
            match self.custom.iter().find(|r| crd::serves(r, c)) {
                Some(r) => served.push(*r),
                None => served.extend(crd::resource(c)),
            }
        }
        self.custom = served;
    }

    /// Prunes and validates a custom object against its definition's schema.
    fn check_custom(&self, obj: &mut Object) -> Vec<String> {
        let Object::Custom(c) = obj else { return vec![] };
        let group = c.api_version.split_once('/').map_or("", |(g, _)| g);
        let schema =
            self.under("/registry/apiextensions.k8s.io/customresourcedefinitions/").into_iter().find_map(|o| match o {
                Object::CustomResourceDefinition(d) if d.spec.group == group && d.spec.names.kind == c.kind => {
                    d.storage_version().and_then(|v| v.schema.as_ref()).map(|s| s.open_api_v3_schema.clone())
                }
                _ => None,
            });
        schema.map_or_else(Vec::new, |s| crd::check(c, &s))
    }

    /// The apiserver's own endpoints.
    fn non_resource(&self, path: &str) -> ApiResponse {
        let (read_only, mutating) = self.inflight.values().fold((0, 0), |(r, m), f| match f.req.verb {
            Verb::Get | Verb::List | Verb::Watch => (r + 1, m),
            _ => (r, m + 1),
        });
        match path {
            "/healthz" | "/livez" | "/readyz" => Ok(ApiBody::Raw("ok".into())),
            "/metrics" => {
                let mut text = self.metrics.text(read_only, mutating);
                let mut e = super::metrics::Exposition::default();
                self.flow.metrics(&mut e);
                text.push_str(&e.finish());
                Ok(ApiBody::Raw(text))
            }
            "/version" => Ok(ApiBody::Raw(version_json())),
            // Discovery: the API groups this apiserver serves.
            "/api" | "/apis" => {
                let mut groups: Vec<&str> = super::api::resource::RESOURCES.iter().map(|r| r.group).collect();
                groups.dedup();
                Ok(ApiBody::Raw(groups.join("\n")))
            }
            _ => Err(Status { code: 404, reason: "NotFound", message: "404 page not found".into(), causes: vec![] }),
        }
    }

    /// The kinds answered without storage: SelfSubjectAccessReview, SelfSubjectReview and
    /// TokenRequest (`serviceaccounts/NAME/token`).
    fn review(&mut self, ctx: &mut Ctx, f: &InFlight, user: &UserInfo) -> ApiResponse {
        if f.req.verb != Verb::Create {
            return Err(Status::method_not_allowed());
        }
        match f.req.body.clone() {
            Some(Object::SelfSubjectAccessReview(mut r)) => {
                let attrs = Attributes::of_review(user, &r.spec);
                r.status.allowed = self.authorize(&attrs) == Decision::Allow;
                ctx.phase("access review", format!("{} → allowed={}", attrs.forbidden_message(), r.status.allowed));
                Ok(ApiBody::Object(Object::SelfSubjectAccessReview(r)))
            }
            Some(Object::SelfSubjectReview(mut r)) => {
                r.status.user_info = super::api::UserInfoJson {
                    username: user.name.clone(),
                    uid: user.uid.clone(),
                    groups: user.groups.clone(),
                };
                Ok(ApiBody::Object(Object::SelfSubjectReview(r)))
            }
            Some(Object::TokenRequest(mut r)) if f.req.resource.plural == "serviceaccounts" => {
                let sa = self.current(&f.req)?;
                let seconds = if r.spec.expiration_seconds > 0 {
                    r.spec.expiration_seconds
                } else {
                    authn::serviceaccount::DEFAULT_EXPIRATION_SECONDS
                };
                let (ns, name, uid) = (&f.req.namespace, &f.req.name, &sa.meta().uid);
                r.status.token = authn::serviceaccount::issue(&self.authn.sa_key, ns, name, uid, ctx.now, seconds);
                r.status.expiration_timestamp =
                    super::api::meta::Time::at(ctx.now.plus(seconds as u64 * super::time::SECONDS));
                r.spec.expiration_seconds = seconds;
                r.spec.audiences = vec![authn::serviceaccount::ISSUER.into()];
                r.metadata.name = name.clone();
                r.metadata.namespace = ns.clone();
                ctx.phase("token", format!("issued a token for system:serviceaccount:{ns}:{name}, valid {seconds}s"));
                Ok(ApiBody::Object(Object::TokenRequest(r)))
            }
            _ => Err(Status::bad_request(format!(
                "the body of the request does not hold a {}",
                if f.req.subresource == "token" { "TokenRequest" } else { f.req.resource.kind }
            ))),
        }
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
            if let Object::Service(svc) = &mut obj {
                if svc.spec.cluster_ip.is_empty() {
                    let used = self
                        .cache
                        .values()
                        .filter_map(|o| match o {
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
                        .filter_map(|o| match o {
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
        registry::modify_plan(&f.req, &current, ctx.now)
    }

    fn current(&self, req: &ApiRequest) -> Result<Object, Status> {
        self.cache
            .get(&req.resource.key(&req.namespace, &req.name))
            .cloned()
            .ok_or_else(|| Status::not_found(req.resource, &req.name))
    }

    fn namespace(&self, name: &str) -> Option<&super::api::Namespace> {
        match self.cache.get(&format!("/registry/namespaces/{name}")) {
            Some(Object::Namespace(n)) => Some(n),
            _ => None,
        }
    }

    fn read(&mut self, ctx: &mut Ctx, f: &InFlight) -> ApiResponse {
        let req = &f.req;
        match req.verb {
            Verb::Get => self.current(req).map(ApiBody::Object),
            Verb::List => Ok(ApiBody::List { items: self.matching(req), resource_version: self.cache_revision }),
            _ => {
                if let Some(rv) = req.resource_version.filter(|rv| *rv < self.cache_revision) {
                    // The window must hold every change after rv.
                    let oldest = self.history.front().map_or(self.cache_revision, |c| c.rev - 1);
                    if rv < oldest {
                        ctx.phase("watch", format!("410 Gone: too old resource version: {rv} ({oldest})"));
                        return Err(Status::expired(rv, oldest));
                    }
                }
                let resumed = req.resource_version.is_some();
                let items = if resumed { vec![] } else { self.matching(req) };
                self.watchers.push(Watcher {
                    client: f.client,
                    watch_id: f.req_id,
                    prefix: req.resource.list_prefix(&req.namespace),
                    req: req.clone(),
                });
                match req.resource_version {
                    Some(rv) => ctx.phase("watch", format!("{} resumed after revision {rv}", req.line())),
                    None => ctx.phase("watch", format!("{} (+{} initial events)", req.line(), items.len())),
                }
                Ok(ApiBody::WatchStarted { items, resource_version: self.cache_revision, initial: !resumed })
            }
        }
    }

    fn matching(&self, req: &ApiRequest) -> Vec<Object> {
        let prefix = req.resource.list_prefix(&req.namespace);
        self.cache
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, o)| o)
            .filter(|o| selects(req, o))
            .cloned()
            .collect()
    }

    fn finish(&mut self, ctx: &mut Ctx, token: u64, resp: ApiResponse) {
        self.finish_after(ctx, token, 0, resp);
    }

    fn finish_after(&mut self, ctx: &mut Ctx, token: u64, delay_us: u64, resp: ApiResponse) {
        let Some(f) = self.inflight.remove(&token) else {
            return;
        };
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
        let seconds = ctx.now.plus(delay_us).since(f.started) as f64 / super::time::SECONDS as f64;
        self.metrics.observe(&f.req, code, seconds);
        self.release_seat(ctx, &f);
        let payload = Payload::ApiResp { req_id: f.req_id, resp: Box::new(resp) };
        ctx.send_after(delay_us, f.client, MsgKind::ApiResponse, label, payload);
    }

    fn on_etcd(&mut self, ctx: &mut Ctx, req_id: u64, result: EtcdResult) {
        if Some(req_id) == self.watch_req && !self.etcd_pending.contains_key(&req_id) {
            // The member cancelled our established watch (it installed a snapshot).
            if let EtcdResult::Error(e) = &result {
                ctx.phase("watch", format!("{e}: relisting"));
                self.relist_and_watch(ctx);
            }
            return;
        }
        if matches!(&result, EtcdResult::Error(e) if e == CONNECTION_REFUSED) {
            if self.etcd_pending.contains_key(&req_id) {
                self.fail_over(ctx, CONNECTION_REFUSED);
            }
            return;
        }
        match (self.etcd_pending.remove(&req_id).map(|(w, _)| w), result) {
            (Some(EtcdWait::Relist), EtcdResult::Range { kvs, revision }) => self.relist(ctx, kvs, revision),
            (Some(EtcdWait::Watch), EtcdResult::Error(e)) => {
                ctx.phase("watch", format!("{e}: relisting"));
                self.relist_and_watch(ctx);
            }
            (Some(EtcdWait::Compact), result) => {
                let outcome = match result {
                    EtcdResult::Error(e) => e,
                    _ => "done".into(),
                };
                ctx.phase("compaction", outcome);
            }
            (Some(EtcdWait::Request(token)), EtcdResult::Revision(_)) => self.serve_read(ctx, token),
            (Some(EtcdWait::Request(token)), EtcdResult::Error(e)) => {
                let status = Status::internal(format!("Internal error occurred: {e}"));
                self.finish(ctx, token, Err(status));
            }
            (Some(EtcdWait::InitialList), EtcdResult::Range { kvs, revision }) => {
                for kv in kvs {
                    if let Some(o) = self.decode(&kv) {
                        self.cache.insert(kv.key.clone(), o);
                    }
                }
                self.cache_revision = revision;
                self.ready = true;
                self.refresh_custom();
                ctx.phase("ready", format!("watch cache primed at revision {revision}"));
                for token in std::mem::take(&mut self.parked) {
                    self.enter(ctx, token, Stage::Authentication);
                }
            }
            (Some(EtcdWait::Request(token)), EtcdResult::Txn(r)) => self.on_txn(ctx, token, r),
            (Some(EtcdWait::Charge(token)), EtcdResult::Txn(r)) => {
                if r.succeeded {
                    return self.charge_or_store(ctx, token);
                }
                // Someone charged the quota first: evaluate again on the fresher cache.
                match self.inflight.get_mut(&token) {
                    Some(f) if f.retries < MAX_RETRIES => {
                        f.retries += 1;
                        self.enter(ctx, token, Stage::Validation);
                    }
                    _ => {
                        let status =
                            Status::internal("Internal error occurred: resource quota evaluation timed out".into());
                        self.finish(ctx, token, Err(status));
                    }
                }
            }
            (Some(EtcdWait::Charge(token)), EtcdResult::Error(e)) => {
                self.finish(ctx, token, Err(Status::internal(format!("Internal error occurred: {e}"))));
            }
            _ => {}
        }
    }

    fn on_txn(&mut self, ctx: &mut Ctx, token: u64, r: TxnResult) {
        let Some(f) = self.inflight.get(&token).cloned() else {
            return;
        };
        let Some(plan) = f.plan.clone() else { return };
        if r.succeeded {
            let mut obj = plan.object;
            obj.meta_mut().resource_version = r.revision.to_string();
            return self.finish(ctx, token, Ok(ApiBody::Object(obj)));
        }
        let req = &f.req;
        let status = match (req.verb, r.kv) {
            (Verb::Create, _) if req.subresource.is_empty() => {
                Status::already_exists(req.resource, &plan.object.meta().name)
            }
            (_, None) => Status::not_found(req.resource, &req.name),
            (Verb::Update, Some(_)) => Status::conflict(req.resource, &req.name),
            (_, Some(kv)) if f.retries < MAX_RETRIES => {
                // GuaranteedUpdate: try again on the fresh object etcd returned.
                match self
                    .decode(&kv)
                    .ok_or_else(|| Status::internal("unable to decode stored object".into()))
                    .and_then(|cur| registry::modify_plan(req, &cur, ctx.now))
                {
                    Ok(plan) => {
                        if let Some(x) = self.inflight.get_mut(&token) {
                            x.retries += 1;
                        }
                        return self.store(ctx, token, plan);
                    }
                    Err(s) => s,
                }
            }
            (_, Some(_)) => Status::conflict(req.resource, &req.name),
        };
        self.finish(ctx, token, Err(status));
    }

    /// Merges a fresh list into the watch cache, turning differences into watch events. A
    /// member that is behind the cache is not trusted for deletions.
    fn relist(&mut self, ctx: &mut Ctx, kvs: Vec<KeyValue>, revision: i64) {
        let listed: BTreeMap<String, KeyValue> = kvs.into_iter().map(|kv| (kv.key.clone(), kv)).collect();
        let mut events: Vec<MvccEvent> = listed
            .values()
            .filter(|kv| self.cache.get(&kv.key).is_none_or(|o| o.meta().rv() < kv.mod_revision))
            .map(|kv| MvccEvent { type_: EventType::Put, kv: kv.clone() })
            .collect();
        if revision >= self.cache_revision {
            for (key, obj) in &self.cache {
                if !listed.contains_key(key) {
                    let kv = KeyValue {
                        key: key.clone(),
                        value: super::storage::encode(obj),
                        create_revision: 0,
                        mod_revision: revision,
                        version: 0,
                    };
                    events.push(MvccEvent { type_: EventType::Delete, kv });
                }
            }
        }
        ctx.phase("relist", format!("{} change(s) at revision {revision}", events.len()));
        for ev in events {
            self.on_store_event(ctx, ev);
        }
    }

    /// A change in etcd: update the watch cache and send it to every matching client watch.
    fn on_store_event(&mut self, ctx: &mut Ctx, ev: MvccEvent) {
        // After a failover the old member may still stream events the cache already has.
        let seen = self.cache.get(&ev.kv.key).map(|o| o.meta().rv());
        if ev.type_ == EventType::Put && seen.is_some_and(|rv| rv >= ev.kv.mod_revision) {
            return;
        }
        let Some(obj) = self.decode(&ev.kv) else { return };
        self.cache_revision = self.cache_revision.max(ev.kv.mod_revision);
        let old = match ev.type_ {
            EventType::Put => self.cache.insert(ev.kv.key.clone(), obj.clone()),
            EventType::Delete => self.cache.remove(&ev.kv.key),
        };
        if matches!(obj, Object::CustomResourceDefinition(_)) {
            self.refresh_custom();
        }
        let change =
            Change { rev: ev.kv.mod_revision, key: ev.kv.key, old, obj, deleted: ev.type_ == EventType::Delete };
        for w in &self.watchers {
            notify(ctx, w, &change, 0);
        }
        if self.history.len() == WATCH_HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(change);
    }
}

/// Sends a change to one watcher, as the ADDED, MODIFIED or DELETED its selectors make of it.
fn notify(ctx: &mut Ctx, w: &Watcher, c: &Change, delay_us: u64) {
    if !c.key.starts_with(&w.prefix) {
        return;
    }
    let was = c.old.as_ref().is_some_and(|o| selects(&w.req, o));
    let is = !c.deleted && selects(&w.req, &c.obj);
    let type_ = match (was, is) {
        (false, true) => WatchType::Added,
        (true, true) => WatchType::Modified,
        (true, false) => WatchType::Deleted,
        (false, false) => return,
    };
    let label =
        format!("{} {} {}", type_.as_str(), c.obj.kind(), cache_key(&c.obj.meta().namespace, &c.obj.meta().name));
    let event = WatchEvent { watch_id: w.watch_id, type_, object: c.obj.clone() };
    ctx.send_after(delay_us, w.client, MsgKind::WatchEvent, label, Payload::Watch(Box::new(event)));
}

/// `/version`, as this cluster's kube-apiserver reports it.
fn version_json() -> String {
    let v = super::kubelet::KUBELET_VERSION;
    let minor = v.split('.').nth(1).unwrap_or_default();
    format!(
        "{{\n  \"major\": \"1\",\n  \"minor\": \"{minor}\",\n  \"gitVersion\": \"{v}\",\n  \"goVersion\": \"go1.25.5\",\n  \"compiler\": \"gc\",\n  \"platform\": \"linux/amd64\"\n}}"
    )
}

/// Label selectors, and the field selectors modelled: `spec.nodeName` on pods and `metadata.name`.
fn selects(req: &ApiRequest, o: &Object) -> bool {
    if req.label_selector.as_ref().is_some_and(|s| !s.matches(&o.meta().labels)) {
        return false;
    }
    let Some(fs) = &req.field_selector else {
        return true;
    };
    match fs.field.as_str() {
        "spec.nodeName" => o.as_pod().is_some_and(|p| p.spec.node_name == fs.value),
        "metadata.name" => o.meta().name == fs.value,
        _ => true,
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
        self.cache.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix)).map(|(_, o)| o).collect()
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
        match self.cache.get(&format!("/registry/clusterroles/{name}")) {
            Some(Object::ClusterRole(r)) => Some(&r.rules),
            _ => None,
        }
    }
    fn role_rules(&self, namespace: &str, name: &str) -> Option<&[PolicyRule]> {
        match self.cache.get(&format!("/registry/roles/{namespace}/{name}")) {
            Some(Object::Role(r)) => Some(&r.rules),
            _ => None,
        }
    }
}
