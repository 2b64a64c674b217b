//! kube-apiserver's etcd client and storage layer (k8s.io/apiserver/pkg/storage/etcd3): calls
//! to the current member with a deadline and failover to the next, list and watch of
//! `/registry/`, encryption of values, the compare-and-swap transaction of each write (with
//! GuaranteedUpdate's retries) and ResourceQuota's charges before it.

use super::*;
use crate::sim::etcd::grpc;
use crate::sim::etcd::mvcc::Value;

impl ApiServer {
    pub(super) fn etcd_call(&mut self, ctx: &mut Ctx, op: EtcdOp, wait: EtcdWait, label: impl Into<String>) {
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
    pub(super) fn fail_over(&mut self, ctx: &mut Ctx, why: &str) {
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

    pub(super) fn relist_and_watch(&mut self, ctx: &mut Ctx) {
        self.etcd_call(
            ctx,
            EtcdOp::Range { prefix: "/registry/".into() },
            EtcdWait::Relist,
            "Range /registry/ (relist)",
        );
        let op = EtcdOp::Watch { prefix: "/registry/".into(), start_revision: None };
        self.etcd_call(ctx, op, EtcdWait::Watch, "Watch /registry/");
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
        let what = if matches!(charge, Object::ResourceQuota(_)) { "quota" } else { "budget" };
        f.stages.push((what, ctx.now));
        let Some(res) = ResourceInfo::by_kind(charge.kind()) else { return };
        let key = res.key(&charge.meta().namespace, &charge.meta().name);
        let compare = crate::sim::etcd::Compare::ModRevision(charge.meta().rv());
        charge.meta_mut().resource_version.clear();
        let bytes = self.seal(res.plural, crate::sim::storage::encode(&charge));
        let txn = crate::sim::etcd::Txn { key, compare, action: crate::sim::etcd::TxnAction::Put(bytes) };
        let label = format!("Txn {} (charge {what})", txn.key);
        ctx.phase("admission", label.clone());
        self.etcd_call(ctx, EtcdOp::Txn(txn), EtcdWait::Charge(token), label);
    }

    /// Bytes as etcd keeps them: encrypted when the resource is configured for it.
    pub(super) fn seal(&mut self, plural: &str, bytes: Value) -> Value {
        match &self.encryption {
            Some(enc) => enc.to_storage(plural, bytes.to_vec(), &mut self.rng).into(),
            None => bytes,
        }
    }

    pub(super) fn store(&mut self, ctx: &mut Ctx, token: u64, mut plan: Plan) {
        if let crate::sim::etcd::TxnAction::Put(bytes) = &mut plan.txn.action {
            let plural = ResourceInfo::by_kind(plan.object.kind()).map_or("", |r| r.plural);
            *bytes = self.seal(plural, bytes.clone());
        }
        let bytes = grpc::PREFIX + grpc::txn_request(&plan.txn).len();
        let label = format!("Txn {} · gRPC {}", plan.txn.key, grpc::size(bytes));
        let op = EtcdOp::Txn(plan.txn.clone());
        self.mark(token, "etcd", ctx.now);
        if let Some(f) = self.inflight.get_mut(&token) {
            f.stage = Stage::Storage;
            f.plan = Some(plan);
        }
        ctx.phase("etcd", label.clone());
        self.etcd_call(ctx, op, EtcdWait::Request(token), label);
    }

    pub(super) fn on_etcd(&mut self, ctx: &mut Ctx, req_id: u64, result: EtcdResult) {
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

    pub(super) fn on_txn(&mut self, ctx: &mut Ctx, token: u64, r: TxnResult) {
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
                    .and_then(|cur| self.modify(req, &cur, ctx.now))
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
}
