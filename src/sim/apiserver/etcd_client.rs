//! kube-apiserver's etcd client and storage layer (k8s.io/apiserver/pkg/storage/etcd3): calls
//! to the current member with a deadline and failover to the next, list and watch of
//! `/registry/`, encryption of values, the compare-and-swap transaction of each write (with
//! GuaranteedUpdate's retries) and ResourceQuota's charges before it.

use super::*;
use crate::sim::etcd::grpc;
use crate::sim::etcd::mvcc::Value;
use crate::sim::time::{SimTime, SECONDS};

/// The key kube-apiserver's compactors take turns on (outside `/registry/`).
const COMPACT_REV_KEY: &str = "compact_rev_key";

/// The key prefix of the one resource a separate events etcd keeps, as
/// `--etcd-servers-overrides=/events#…` names it (core and events.k8s.io Events share it).
pub const EVENTS_PREFIX: &str = "/registry/events/";

/// One etcd cluster kube-apiserver stores in: `--etcd-servers`, or the cluster an
/// `--etcd-servers-overrides` entry gives the events. Each has its own revisions, so the watch
/// cache follows each through its own watch, with its own window and compaction.
#[derive(Clone, Debug)]
pub(super) struct Backend {
    /// Every member; calls go to the current one and fail over in turn.
    members: Vec<ComponentId>,
    endpoint: usize,
    /// The request id of the current watch on this cluster.
    watch_req: Option<u64>,
    /// The newest revision of this cluster the watch cache holds.
    pub revision: i64,
    /// The compactor's view of `compact_rev_key`: its version when last seen (whose turn it
    /// is), and the revision then — what the winner of the next turn compacts to.
    compact_time: i64,
    compact_rev: i64,
    /// The watch cache's window of recent changes, for watches resuming from a revision.
    pub history: std::collections::VecDeque<watch_cache::Change>,
    /// Whether the initial list has arrived.
    primed: bool,
    /// The lease Event writes reuse, the writes waiting for a new one, and when it was asked.
    lease: Option<EventLease>,
    lease_waiters: Vec<u64>,
    lease_asked: SimTime,
}

/// The etcd3 store's lease manager keeps one lease for every write with a TTL (Events):
/// reused while it outlives the TTL by at most the reuse window and holds under 1,000 keys.
#[derive(Clone, Copy, Debug)]
struct EventLease {
    id: i64,
    expires: SimTime,
    attached: u32,
}

/// The lease manager's defaults: reuse a lease for up to 60 s (or 5 % of the TTL, if less)
/// and for at most 1,000 objects.
const LEASE_REUSE_MAX_S: u64 = 60;
const LEASE_MAX_OBJECTS: u32 = 1000;

/// The reuse window for a TTL: min(60 s, 5 % of the TTL).
fn reuse_window_s(ttl_s: u64) -> u64 {
    (ttl_s / 20).min(LEASE_REUSE_MAX_S)
}

impl Backend {
    pub fn new(members: Vec<ComponentId>) -> Self {
        Backend {
            members,
            endpoint: 0,
            watch_req: None,
            revision: 0,
            compact_time: 0,
            compact_rev: 0,
            history: Default::default(),
            primed: false,
            lease: None,
            lease_waiters: vec![],
            lease_asked: SimTime::ZERO,
        }
    }

    /// What the process forgets when it dies.
    pub fn reset(&mut self) {
        *self = Backend { endpoint: self.endpoint, ..Backend::new(std::mem::take(&mut self.members)) };
    }

    /// The prefix this cluster is listed and watched under.
    fn prefix(store: usize) -> &'static str {
        if store == 0 {
            "/registry/"
        } else {
            EVENTS_PREFIX
        }
    }
}

impl ApiServer {
    /// Gives the events their own etcd cluster (`--etcd-servers-overrides=/events#…`).
    pub fn set_events_etcd(&mut self, members: Vec<ComponentId>) {
        self.stores.truncate(1);
        if !members.is_empty() {
            self.stores.push(Backend::new(members));
        }
    }

    /// How many members the separate events etcd has (0: none).
    pub fn events_etcd_members(&self) -> usize {
        self.stores.get(1).map_or(0, |b| b.members.len())
    }

    /// The etcd cluster that holds `key`: the events cluster for events, if there is one.
    pub(super) fn store_of(&self, key: &str) -> usize {
        usize::from(self.stores.len() > 1 && key.starts_with(EVENTS_PREFIX))
    }

    /// The newest revision of the main etcd cluster the watch cache holds.
    pub fn cache_revision(&self) -> i64 {
        self.stores[0].revision
    }

    pub(super) fn etcd_call(
        &mut self,
        ctx: &mut Ctx,
        store: usize,
        op: EtcdOp,
        wait: EtcdWait,
        label: impl Into<String>,
    ) {
        let req_id = self.etcd_next;
        self.etcd_next += 1;
        self.etcd_pending.insert(req_id, (store, wait, op.clone()));
        let b = &mut self.stores[store];
        if matches!(wait, EtcdWait::Watch) {
            b.watch_req = Some(req_id);
        }
        let to = b.members[b.endpoint % b.members.len()];
        ctx.send(to, MsgKind::EtcdGrpc, label, Payload::Etcd { req_id, op: Box::new(op) });
        if !matches!(wait, EtcdWait::Watch) {
            ctx.timer(ETCD_DEADLINE_US, Timer::EtcdDeadline { req_id });
        }
    }

    /// Lists and watches every etcd cluster, as the apiserver does when it starts.
    pub(super) fn list_and_watch_all(&mut self, ctx: &mut Ctx) {
        for store in 0..self.stores.len() {
            let prefix = Backend::prefix(store);
            let op = EtcdOp::Range { prefix: prefix.into() };
            self.etcd_call(ctx, store, op, EtcdWait::InitialList, format!("Range {prefix}"));
            let op = EtcdOp::Watch { prefix: prefix.into(), start_revision: None };
            self.etcd_call(ctx, store, op, EtcdWait::Watch, format!("Watch {prefix}"));
        }
    }

    /// Every compaction interval each apiserver tries to take the turn: a transaction that
    /// bumps `compact_rev_key` if its version is still the one this apiserver last saw. Only
    /// the one that wins compacts, to the revision of the previous turn — so several
    /// apiservers compact once per interval between them.
    pub(super) fn compact_all(&mut self, ctx: &mut Ctx) {
        for store in 0..self.stores.len() {
            let b = &self.stores[store];
            let value: Value = b.compact_rev.to_string().into_bytes().into();
            let compare = crate::sim::etcd::Compare::Version(b.compact_time);
            let txn = crate::sim::etcd::Txn {
                key: COMPACT_REV_KEY.into(),
                compare,
                action: crate::sim::etcd::TxnAction::Put(value),
                lease: 0,
            };
            let label = format!("Txn {COMPACT_REV_KEY} (version {}?)", b.compact_time);
            self.etcd_call(ctx, store, EtcdOp::Txn(txn), EtcdWait::CompactTurn, label);
        }
    }

    /// The answer to the compactor's transaction: compact if this apiserver won the turn.
    fn compact_turn(&mut self, ctx: &mut Ctx, store: usize, r: TxnResult) {
        let b = &mut self.stores[store];
        let previous = b.compact_rev;
        b.compact_rev = r.revision;
        if !r.succeeded {
            b.compact_time = r.kv.map_or(0, |kv| kv.version);
            return;
        }
        b.compact_time += 1;
        // Nothing to compact on the first turn.
        if previous > 0 {
            let op = EtcdOp::Compact { revision: previous };
            self.etcd_call(ctx, store, op, EtcdWait::Compact, format!("Compact to revision {previous}"));
        }
    }

    /// The current member of an etcd cluster is gone: use the next one, resend what was in
    /// flight to it, and list + watch again there (the reflector's relist).
    pub(super) fn fail_over(&mut self, ctx: &mut Ctx, store: usize, why: &str) {
        let b = &mut self.stores[store];
        b.endpoint = (b.endpoint + 1) % b.members.len();
        ctx.phase("etcd failover", format!("{why}: switching to endpoint {}", b.endpoint));
        let (mine, others) = std::mem::take(&mut self.etcd_pending).into_iter().partition(|(_, (s, _, _))| *s == store);
        self.etcd_pending = others;
        for (_, (_, wait, op)) in mine {
            match wait {
                EtcdWait::Request(_) | EtcdWait::Charge(_) | EtcdWait::InitialList | EtcdWait::Lease => {
                    self.etcd_call(ctx, store, op, wait, "retry on another member")
                }
                // The next round of these comes by itself.
                EtcdWait::Relist
                | EtcdWait::Watch
                | EtcdWait::Compact
                | EtcdWait::CompactTurn
                | EtcdWait::MasterLease
                | EtcdWait::Own => {}
            }
        }
        // Resume the watch where the cache stands; if that history is compacted, relist.
        let from = self.stores[store].revision + 1;
        let prefix = Backend::prefix(store);
        let op = EtcdOp::Watch { prefix: prefix.into(), start_revision: Some(from) };
        self.etcd_call(ctx, store, op, EtcdWait::Watch, format!("Watch {prefix} from revision {from}"));
    }

    pub(super) fn relist_and_watch(&mut self, ctx: &mut Ctx, store: usize) {
        let prefix = Backend::prefix(store);
        let op = EtcdOp::Range { prefix: prefix.into() };
        self.etcd_call(ctx, store, op, EtcdWait::Relist, format!("Range {prefix} (relist)"));
        let op = EtcdOp::Watch { prefix: prefix.into(), start_revision: None };
        self.etcd_call(ctx, store, op, EtcdWait::Watch, format!("Watch {prefix}"));
    }

    /// The etcd cluster a message came from.
    pub(super) fn store_from(&self, member: ComponentId) -> usize {
        self.stores.iter().position(|b| b.members.contains(&member)).unwrap_or(0)
    }

    /// A watched change's object, decoded once for every apiserver (`sim/decoded.rs`) unless
    /// this one decrypts: its keys are its own.
    pub(super) fn decode_shared(&self, ctx: &mut Ctx, kv: &KeyValue) -> Option<Arc<Object>> {
        if self.encryption.is_some() {
            return self.decode(kv).map(Arc::new);
        }
        ctx.decoded.get_or_decode(&kv.value, kv.mod_revision, || self.decode(kv))
    }

    /// An object from etcd bytes (decrypting when needed), with resourceVersion = mod revision.
    pub(super) fn decode(&self, kv: &KeyValue) -> Option<Object> {
        let plain = match &self.encryption {
            Some(enc) => std::borrow::Cow::Owned(enc.from_storage(&kv.value).ok()?),
            None => std::borrow::Cow::Borrowed(&kv.value[..]),
        };
        let mut o = crate::sim::storage::decode(&plain).ok()?;
        o.meta_mut().resource_version = kv.mod_revision.to_string();
        Some(o)
    }

    /// Charges the next quota (a compare-and-swap on its status), or stores the object once
    /// every quota is charged.
    pub(super) fn charge_or_store(&mut self, ctx: &mut Ctx, token: u64) {
        let Some(f) = self.inflight.get_mut(&token) else { return };
        let Some(mut charge) = f.charges.pop() else {
            let quota_seconds = ctx.now.since(f.quota_started) as f64 / crate::sim::time::SECONDS as f64;
            // The plan leaves the record here; `store` puts it back.
            let (req, plan) = (f.req.clone(), f.plan.take());
            let namespaced_create = req.verb == Verb::Create && req.subresource.is_empty() && !req.namespace.is_empty();
            if self.admission.on("ResourceQuota") && namespaced_create {
                self.metrics.admission("ResourceQuota", &req, "validate", false, quota_seconds);
            }
            if let Some(plan) = plan {
                self.store(ctx, token, plan);
            }
            return;
        };
        let what = if matches!(charge, Object::ResourceQuota(_)) { "quota" } else { "budget" };
        f.stages.push((what, ctx.now));
        let Some(res) = ResourceInfo::by_kind(charge.kind()) else { return };
        let key = res.key(&charge.meta().namespace, &charge.meta().name);
        let compare = crate::sim::etcd::Compare::ModRevision(charge.meta().rv());
        charge.meta_mut().resource_version.clear();
        let bytes = self.seal(res.plural, crate::sim::storage::encode(&charge));
        let txn = crate::sim::etcd::Txn {
            key: key.into(),
            compare,
            action: crate::sim::etcd::TxnAction::Put(bytes),
            lease: 0,
        };
        let label = format!("Txn {} (charge {what})", txn.key);
        ctx.phase("admission", label.clone());
        let store = self.store_of(&txn.key);
        self.etcd_call(ctx, store, EtcdOp::Txn(txn), EtcdWait::Charge(token), label);
    }

    /// Bytes as etcd keeps them: encrypted when the resource is configured for it.
    pub(super) fn seal(&mut self, plural: &str, bytes: Value) -> Value {
        match &self.encryption {
            Some(enc) => enc.to_storage(plural, bytes.to_vec(), &mut self.rng).into(),
            None => bytes,
        }
    }

    pub(super) fn store(&mut self, ctx: &mut Ctx, token: u64, plan: Arc<Plan>) {
        // The record gave its plan up: no copy is made.
        let mut plan = Arc::unwrap_or_clone(plan);
        let puts = matches!(plan.txn.action, crate::sim::etcd::TxnAction::Put(_));
        if self.event_ttl_s > 0 && puts && plan.txn.key.starts_with(EVENTS_PREFIX) {
            match self.event_lease(ctx, token, &plan.txn.key) {
                Some(id) => plan.txn.lease = id,
                None => {
                    // Parked until the lease is granted.
                    if let Some(f) = self.inflight.get_mut(&token) {
                        f.plan = Some(Arc::new(plan));
                    }
                    return;
                }
            }
        }
        if let crate::sim::etcd::TxnAction::Put(bytes) = &mut plan.txn.action {
            let plural = ResourceInfo::by_kind(plan.object.kind()).map_or("", |r| r.plural);
            *bytes = self.seal(plural, bytes.clone());
        }
        let bytes = grpc::PREFIX + grpc::txn_request_len(&plan.txn);
        let label = format!("Txn {} · gRPC {}", plan.txn.key, grpc::size(bytes));
        let store = self.store_of(&plan.txn.key);
        let op = EtcdOp::Txn(plan.txn.clone());
        self.mark(token, "etcd", ctx.now);
        if let Some(f) = self.inflight.get_mut(&token) {
            f.stage = Stage::Storage;
            f.plan = Some(Arc::new(plan));
        }
        ctx.phase("etcd", label.clone());
        self.etcd_call(ctx, store, op, EtcdWait::Request(token), label);
    }

    /// A write of the apiserver's own (not a client's request: master leases, the `kubernetes`
    /// Service's endpoints, identity leases): a compare-and-swap on what the watch cache
    /// holds, answered by nothing but the watch that follows.
    pub(super) fn put(&mut self, ctx: &mut Ctx, key: String, mut obj: Object, lease: i64, why: &str) {
        let compare = match self.cached_at(&key) {
            Some(o) => crate::sim::etcd::Compare::ModRevision(o.meta().rv()),
            None => crate::sim::etcd::Compare::Absent,
        };
        obj.meta_mut().resource_version.clear();
        let action = crate::sim::etcd::TxnAction::Put(crate::sim::storage::encode(&obj));
        self.own_txn(ctx, crate::sim::etcd::Txn { key: key.into(), compare, action, lease }, why);
    }

    /// Deletes an object of the apiserver's own, if it is still at `rv`.
    pub(super) fn delete(&mut self, ctx: &mut Ctx, key: String, rv: i64, why: &str) {
        let compare = crate::sim::etcd::Compare::ModRevision(rv);
        let action = crate::sim::etcd::TxnAction::Delete;
        self.own_txn(ctx, crate::sim::etcd::Txn { key: key.into(), compare, action, lease: 0 }, why);
    }

    fn own_txn(&mut self, ctx: &mut Ctx, txn: crate::sim::etcd::Txn, why: &str) {
        let label = format!("Txn {} ({why})", txn.key);
        let store = self.store_of(&txn.key);
        self.etcd_call(ctx, store, EtcdOp::Txn(txn), EtcdWait::Own, label);
    }

    /// The lease an Event write attaches to: the current one when it can be reused, else
    /// None, with the write parked until a new lease (TTL + reuse window) is granted.
    fn event_lease(&mut self, ctx: &mut Ctx, token: u64, key: &str) -> Option<i64> {
        let ttl = self.event_ttl_s;
        let reuse = reuse_window_s(ttl);
        let store = self.store_of(key);
        let b = &mut self.stores[store];
        if let Some(l) = &mut b.lease {
            let valid = ctx.now.plus(ttl * SECONDS) < l.expires;
            let sufficient = ctx.now.plus((ttl + reuse) * SECONDS) > l.expires;
            if valid && sufficient && l.attached < LEASE_MAX_OBJECTS {
                l.attached += 1;
                return Some(l.id);
            }
        }
        b.lease_waiters.push(token);
        if b.lease_waiters.len() == 1 {
            b.lease_asked = ctx.now;
            let ttl_s = (ttl + reuse) as i64;
            let op = EtcdOp::LeaseGrant { ttl_s };
            self.etcd_call(ctx, store, op, EtcdWait::Lease, format!("LeaseGrant (TTL {ttl_s} s)"));
        }
        None
    }

    /// A new lease: the writes waiting for it go on to etcd.
    fn lease_granted(&mut self, ctx: &mut Ctx, store: usize, id: i64) {
        let b = &mut self.stores[store];
        let ttl_s = self.event_ttl_s + reuse_window_s(self.event_ttl_s);
        b.lease = Some(EventLease { id, expires: b.lease_asked.plus(ttl_s * SECONDS), attached: 0 });
        ctx.phase("lease", format!("lease {id:016x} granted for {ttl_s} s"));
        for token in std::mem::take(&mut b.lease_waiters) {
            if let Some(plan) = self.inflight.get_mut(&token).and_then(|f| f.plan.take()) {
                self.store(ctx, token, plan);
            }
        }
    }

    pub(super) fn on_etcd(&mut self, ctx: &mut Ctx, from: ComponentId, req_id: u64, result: EtcdResult) {
        let pending = self.etcd_pending.get(&req_id).map(|(s, _, _)| *s);
        let watched = self.stores.iter().position(|b| b.watch_req == Some(req_id));
        if let (None, Some(store)) = (pending, watched) {
            // The member cancelled our established watch (it installed a snapshot).
            if let EtcdResult::Error(e) = &result {
                ctx.phase("watch", format!("{e}: relisting"));
                self.relist_and_watch(ctx, store);
            }
            return;
        }
        if matches!(&result, EtcdResult::Error(e) if e == CONNECTION_REFUSED) {
            if let Some(store) = pending {
                self.fail_over(ctx, store, CONNECTION_REFUSED);
            }
            return;
        }
        let store = pending.unwrap_or_else(|| self.store_from(from));
        match (self.etcd_pending.remove(&req_id).map(|(_, w, _)| w), result) {
            (Some(EtcdWait::Relist), EtcdResult::Range { kvs, revision }) => self.relist(ctx, store, kvs, revision),
            (Some(EtcdWait::Watch), EtcdResult::Error(e)) => {
                ctx.phase("watch", format!("{e}: relisting"));
                self.relist_and_watch(ctx, store);
            }
            (Some(EtcdWait::Compact), result) => {
                let outcome = match result {
                    EtcdResult::Error(e) => e,
                    _ => "done".into(),
                };
                ctx.phase("compaction", outcome);
            }
            (Some(EtcdWait::Request(token)), EtcdResult::Revision(_)) => self.serve_read(ctx, token),
            // etcd's size limit comes back as is, without a reason (kubectl: `Error from server:`).
            (Some(EtcdWait::Request(token)), EtcdResult::Error(e)) if e == crate::sim::etcd::REQUEST_TOO_LARGE => {
                self.finish(ctx, token, Err(Status { code: 500, reason: "", message: e, causes: vec![] }));
            }
            (Some(EtcdWait::Request(token)), EtcdResult::Error(e)) => {
                let status = Status::internal(format!("Internal error occurred: {e}"));
                self.finish(ctx, token, Err(status));
            }
            (Some(EtcdWait::InitialList), EtcdResult::Range { kvs, revision }) => {
                for kv in kvs {
                    if let Some(o) = self.decode(&kv) {
                        self.cache.insert(kv.key.clone(), Arc::new(o));
                    }
                }
                let b = &mut self.stores[store];
                b.revision = revision;
                b.primed = true;
                let what = if store == 0 { "watch cache" } else { "events watch cache" };
                ctx.phase("ready", format!("{what} primed at revision {revision}"));
                if self.stores.iter().all(|b| b.primed) {
                    self.ready = true;
                    self.refresh_custom();
                    for token in std::mem::take(&mut self.parked) {
                        self.enter(ctx, token, Stage::Authentication);
                    }
                    self.reconcile_endpoints(ctx);
                    self.renew_identity_lease(ctx);
                    self.collect_identity_leases(ctx);
                }
            }
            (Some(EtcdWait::Request(token)), EtcdResult::Txn(r)) => self.on_txn(ctx, token, r),
            (Some(EtcdWait::Lease), EtcdResult::LeaseGranted { id }) => self.lease_granted(ctx, store, id),
            (Some(EtcdWait::MasterLease), EtcdResult::LeaseGranted { id }) => self.master_lease_granted(ctx, id),
            (Some(EtcdWait::CompactTurn), EtcdResult::Txn(r)) => self.compact_turn(ctx, store, r),
            (Some(EtcdWait::Lease), result) => {
                let e = match result {
                    EtcdResult::Error(e) => e,
                    _ => "unexpected answer to LeaseGrant".into(),
                };
                for token in std::mem::take(&mut self.stores[store].lease_waiters) {
                    self.finish(ctx, token, Err(Status::internal(format!("Internal error occurred: {e}"))));
                }
            }
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

    pub(super) fn on_txn(&mut self, ctx: &mut Ctx, token: u64, r: TxnResult) {
        // The plan leaves the record: the answer takes its object, a retry makes a new one.
        let Some(f) = self.inflight.get_mut(&token) else {
            return;
        };
        let Some(plan) = f.plan.take() else { return };
        let (req, retries) = (f.req.clone(), f.retries);
        if r.succeeded {
            let mut obj = Arc::unwrap_or_clone(plan).object;
            obj.meta_mut().resource_version = r.revision.to_string();
            return self.finish(ctx, token, Ok(ApiBody::Object(obj)));
        }
        let req = &*req;
        let status = match (req.verb, r.kv) {
            (Verb::Create, _) if req.subresource.is_empty() => {
                Status::already_exists(req.resource, &plan.object.meta().name)
            }
            (_, None) => Status::not_found(req.resource, &req.name),
            (Verb::Update, Some(_)) => Status::conflict(req.resource, &req.name),
            (_, Some(kv)) if retries < MAX_RETRIES => {
                // GuaranteedUpdate: try again on the fresh object etcd returned.
                match self
                    .decode(&kv)
                    .ok_or_else(|| Status::internal("unable to decode stored object".into()))
                    .and_then(|cur| self.modify(req, &cur, ctx.now))
                {
                    Ok(plan) => {
                        if let Some(x) = self.inflight.get_mut(&token) {
                            x.retries += 1;
                        }
                        return self.store(ctx, token, Arc::new(plan));
                    }
                    Err(s) => s,
                }
            }
            (_, Some(_)) => Status::conflict(req.resource, &req.name),
        };
        self.finish(ctx, token, Err(status));
    }
}
