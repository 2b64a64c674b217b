//! The filters before authorization (k8s.io/apiserver/pkg/endpoints/filters and
//! pkg/server/filters): authentication, impersonation, and API Priority and Fairness with its
//! seats and queues.

use super::*;

impl ApiServer {
    pub(super) fn authenticate(&self, ctx: &Ctx, f: &InFlight) -> Result<UserInfo, &'static str> {
        self.authn.authenticate(&f.cred, ctx.now, |ns, name| {
            self.cached_at(&ResourceInfo::of("serviceaccounts").key(ns, name)).map(|o| o.meta().uid.clone())
        })
    }

    /// The impersonation filter: may `user` act as `target`? Checks `impersonate` on
    /// users (or serviceaccounts) and on each group, as upstream does.
    pub(super) fn impersonate(&self, user: &UserInfo, target: &UserInfo) -> Result<UserInfo, Status> {
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
    pub(super) fn flow_control(&mut self, ctx: &mut Ctx, token: u64, user: UserInfo) {
        let Some(f) = self.inflight.get_mut(&token) else { return };
        let (schema, level) = flowcontrol::classify(&user, &f.req);
        let flow = user.name.clone();
        f.user = Some(std::sync::Arc::new(user));
        f.flow = (schema, level);
        match self.flow.admit(token, schema, level, &flow) {
            flowcontrol::Admit::Exempt => self.enter(ctx, token, Stage::Authorization),
            flowcontrol::Admit::Execute(_) => {
                f.seated = true;
                self.enter(ctx, token, Stage::Authorization);
            }
            flowcontrol::Admit::Queued(l) => {
                f.stage = Stage::Queued;
                f.stages.push(("priority queue", ctx.now));
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
    pub(super) fn flow_timeout(&mut self, ctx: &mut Ctx, token: u64) {
        let Some(f) = self.inflight.get(&token).filter(|f| f.stage == Stage::Queued) else { return };
        let (schema, Some(level)) = f.flow else { return };
        if self.flow.time_out(token, schema, level) {
            ctx.phase(
                "flowcontrol",
                format!("429: waited {} in queue", crate::sim::time::go_duration(flowcontrol::WAIT_LIMIT_US)),
            );
            self.finish(ctx, token, Err(Status::too_many_requests()));
        }
    }

    /// A finished request gives its seat back; the next one queued at its level runs.
    pub(super) fn release_seat(&mut self, ctx: &mut Ctx, f: &InFlight) {
        let (true, Some(level)) = (f.seated, f.flow.1) else { return };
        let Some(next) = self.flow.release(level) else { return };
        let Some(n) = self.inflight.get_mut(&next) else { return };
        n.seated = true;
        let schema = n.flow.0;
        self.flow.dispatched(schema, level);
        self.enter(ctx, next, Stage::Authorization);
    }
}
