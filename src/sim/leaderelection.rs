//! Leader election on a Lease (client-go's tools/leaderelection), as kube-controller-manager
//! and kube-scheduler run it with `--leader-elect`: every replica tries to acquire
//! `kube-system/<component>` every RetryPeriod; the holder renews it; a replica takes it over
//! once it has seen no renewal for LeaseDuration. Expiry is judged by when this replica
//! *observed* the record change, never by the timestamps in it, so clock skew does not matter.
//! A leader that cannot renew within RenewDeadline stops leading — and the process exits
//! (`leaderelection lost`), to be restarted by its kubelet.

use super::api::request::{ApiBody, ApiRequest, ApiResponse, Verb};
use super::api::resource::ResourceInfo;
use super::api::{Lease, LeaseSpec, MicroTime, Object, ObjectMeta};
use super::event::Timer;
use super::recorder::{self, Recorder};
use super::rng::{Draw, SimRng};
use super::time::{SimTime, SECONDS};
use super::Ctx;

/// --leader-elect-lease-duration (15 s), --leader-elect-renew-deadline (10 s),
/// --leader-elect-retry-period (2 s): the defaults of both components.
pub const LEASE_DURATION_US: u64 = 15 * SECONDS;
pub const RENEW_DEADLINE_US: u64 = 10 * SECONDS;
pub const RETRY_PERIOD_US: u64 = 2 * SECONDS;
/// wait.JitterUntil's factor for candidates: a retry after 2–4.4 s.
const JITTER_FACTOR: f64 = 1.2;
pub const NAMESPACE: &str = "kube-system";

/// Which call of tryAcquireOrRenew a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// The leader's fast path: update the record it observed last, without reading first.
    Renew,
    Get,
    Create,
    Update,
}

/// A request the elector wants sent, tagged with its attempt number (stale answers of an
/// abandoned attempt are ignored).
#[derive(Clone, Debug)]
pub struct Send {
    pub req: ApiRequest,
    pub call: Call,
    pub attempt: u64,
}

/// What an answer changed for the process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    None,
    /// OnStartedLeading: start the controllers (or the scheduling loop).
    Started,
    /// OnStoppedLeading: the process must exit.
    Lost,
}

#[derive(Clone, Debug)]
pub struct LeaderElector {
    /// The Lease's name: the component's name.
    pub name: &'static str,
    /// `<hostname>_<uuid>`, new for every start of the process.
    pub identity: String,
    /// The Lease as last read or written; its resourceVersion makes the update a compare-and-swap.
    observed: Option<Lease>,
    observed_at: SimTime,
    pub leading: bool,
    renewed_at: SimTime,
    attempt: u64,
    /// When the attempt under way was sent (client-go runs one at a time).
    busy_since: Option<SimTime>,
    /// The reason of the last failed attempt, for the view.
    pub last_failure: String,
}

impl LeaderElector {
    pub fn new(name: &'static str, identity: String) -> Self {
        LeaderElector {
            name,
            identity,
            observed: None,
            observed_at: SimTime::ZERO,
            leading: false,
            renewed_at: SimTime::ZERO,
            attempt: 0,
            busy_since: None,
            last_failure: String::new(),
        }
    }

    /// The process starts: a new identity `<host>_<uuid>`, and its first try at once.
    pub fn campaign(ctx: &mut Ctx, name: &'static str, host: &str, rng: &mut SimRng) -> Self {
        let identity = format!("{host}_{}", super::apiserver::registry::new_uid(rng));
        let elector = LeaderElector::new(name, identity);
        ctx.phase("leader election", format!("attempting to acquire leader lease {}...", elector.describe()));
        ctx.timer(0, Timer::LeaderElection);
        elector
    }

    /// The loop's timer fired: one try, and the next one armed unless leadership was lost.
    pub fn on_timer(&mut self, ctx: &mut Ctx, rng: &mut SimRng) -> (Option<Send>, Transition) {
        let step = self.tick(ctx.now);
        if step.1 != Transition::Lost {
            ctx.timer(self.next_try_us(rng), Timer::LeaderElection);
        }
        step
    }

    /// OnStartedLeading, the part every component shares: the log line, and the
    /// `LeaderElection … became leader` event on the Lease to send.
    pub fn started(&self, ctx: &mut Ctx) -> Option<recorder::EventWrite> {
        ctx.phase("leader election", format!("successfully acquired lease {}", self.describe()));
        let on = recorder::reference("Lease", &self.lease()?.metadata);
        let message = format!("{} became leader", self.identity);
        Some(Recorder::new(self.name, "").event(ctx.now, on, recorder::NORMAL, "LeaderElection", message))
    }

    /// OnStoppedLeading: the process exits, and its kubelet starts it again after the
    /// CrashLoopBackOff of its `restarts` earlier exits.
    pub fn lost(ctx: &mut Ctx, restarts: u32) {
        ctx.phase("leader election", "leaderelection lost");
        ctx.exit(super::kubelet::worker::crash_loop_back_off(restarts));
    }

    /// `kube-system/kube-scheduler`, as the logs name the lock.
    pub fn describe(&self) -> String {
        format!("{NAMESPACE}/{}", self.name)
    }

    /// The Lease as last read or written.
    pub fn lease(&self) -> Option<&Lease> {
        self.observed.as_ref()
    }

    /// Who holds the lease, as this replica last saw it.
    pub fn holder(&self) -> &str {
        self.observed.as_ref().map_or("", |l| l.spec.holder_identity.as_str())
    }

    /// How long until the next try: RetryPeriod for the leader, jittered for a candidate.
    pub fn next_try_us(&self, rng: &mut SimRng) -> u64 {
        if self.leading {
            return RETRY_PERIOD_US;
        }
        let jitter = (JITTER_FACTOR * RETRY_PERIOD_US as f64) as u64;
        RETRY_PERIOD_US + rng.below(jitter + 1)
    }

    /// client-go's leader election metric, in the component's /metrics.
    pub fn metrics_text(&self) -> String {
        let mut e = super::metrics::Exposition::default();
        e.labelled(
            "leader_election_master_status",
            "[ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
            "gauge",
            &[(vec![("name", self.name)], f64::from(u8::from(self.leading)))],
        );
        e.finish()
    }

    fn lease_valid(&self, now: SimTime) -> bool {
        let duration = self.observed.as_ref().map_or(0, |l| l.spec.lease_duration_seconds.max(0) as u64);
        self.observed.is_some() && self.observed_at.plus(duration * SECONDS) > now
    }

    fn is_holder(&self) -> bool {
        self.holder() == self.identity
    }

    /// One tick of the acquire or renew loop. Returns the request to send, and `Lost` when the
    /// leader has not renewed within RenewDeadline (its answers may never have come).
    pub fn tick(&mut self, now: SimTime) -> (Option<Send>, Transition) {
        if self.leading && now.0.saturating_sub(self.renewed_at.0) > RENEW_DEADLINE_US {
            self.leading = false;
            return (None, Transition::Lost);
        }
        if self.busy_since.is_some_and(|t| now.0.saturating_sub(t.0) < RENEW_DEADLINE_US) {
            return (None, Transition::None);
        }
        self.attempt += 1;
        self.busy_since = Some(now);
        let send = match &self.observed {
            Some(lease) if self.leading && self.is_holder() && self.lease_valid(now) => {
                self.call(Call::Renew, Some(self.record(now, lease)))
            }
            _ => self.call(Call::Get, None),
        };
        (Some(send), Transition::None)
    }

    /// An answer to `call` of `attempt`: maybe the next request of the same attempt, and what
    /// changed.
    pub fn on_response(
        &mut self,
        now: SimTime,
        call: Call,
        attempt: u64,
        resp: &ApiResponse,
    ) -> (Option<Send>, Transition) {
        if attempt != self.attempt {
            return (None, Transition::None);
        }
        let lease = match resp {
            Ok(ApiBody::Object(Object::Lease(l))) => Ok(l),
            Ok(_) => Err("unexpected answer".to_string()),
            Err(s) => Err(s.message.clone()),
        };
        match (call, lease) {
            (Call::Renew, Err(e)) => {
                // "Failed to update lock optimistically: …, falling back to slow path".
                self.last_failure = e;
                (Some(self.call(Call::Get, None)), Transition::None)
            }
            (Call::Get, Err(_)) if matches!(resp, Err(s) if s.code == 404) => {
                let mut lease = Lease { metadata: ObjectMeta::named(NAMESPACE, self.name), spec: LeaseSpec::default() };
                lease = self.record(now, &lease);
                lease.spec.lease_transitions = 0;
                (Some(self.call(Call::Create, Some(lease))), Transition::None)
            }
            (Call::Get, Ok(current)) => {
                // A changed record restarts the expiry clock (observedTime).
                if self.observed.as_ref().is_none_or(|o| o.spec != current.spec) {
                    self.observed_at = now;
                }
                self.observed = Some(current.clone());
                if !current.spec.holder_identity.is_empty() && self.lease_valid(now) && !self.is_holder() {
                    self.last_failure = format!("lock is held by {} and has not yet expired", self.holder());
                    return self.failed(now);
                }
                (Some(self.call(Call::Update, Some(self.record(now, current)))), Transition::None)
            }
            (Call::Create | Call::Update | Call::Renew, Ok(written)) => {
                self.observed = Some(written.clone());
                self.observed_at = now;
                self.busy_since = None;
                self.renewed_at = now;
                self.last_failure.clear();
                if self.leading {
                    return (None, Transition::None);
                }
                self.leading = true;
                (None, Transition::Started)
            }
            (_, Err(e)) => {
                self.last_failure = e;
                self.failed(now)
            }
        }
    }

    fn failed(&mut self, now: SimTime) -> (Option<Send>, Transition) {
        self.busy_since = None;
        if self.leading && now.0.saturating_sub(self.renewed_at.0) > RENEW_DEADLINE_US {
            self.leading = false;
            return (None, Transition::Lost);
        }
        (None, Transition::None)
    }

    fn call(&self, call: Call, body: Option<Lease>) -> Send {
        let res = ResourceInfo::of("leases");
        let mut req = match call {
            Call::Get => ApiRequest::new(Verb::Get, res, NAMESPACE, self.name),
            Call::Create => ApiRequest::new(Verb::Create, res, NAMESPACE, ""),
            Call::Renew | Call::Update => ApiRequest::new(Verb::Update, res, NAMESPACE, self.name),
        };
        req.body = body.map(|l| Box::new(Object::Lease(l)));
        Send { req, call, attempt: self.attempt }
    }

    /// The record this replica writes over `current`: itself as holder, renewed now; the
    /// acquire time and transition count carried over while it keeps the lease.
    fn record(&self, now: SimTime, current: &Lease) -> Lease {
        let keep = current.spec.holder_identity == self.identity;
        let mut lease = current.clone();
        lease.spec = LeaseSpec {
            holder_identity: self.identity.clone(),
            lease_duration_seconds: (LEASE_DURATION_US / SECONDS) as i32,
            acquire_time: if keep { current.spec.acquire_time } else { Some(MicroTime(now)) },
            renew_time: Some(MicroTime(now)),
            lease_transitions: current.spec.lease_transitions + i32::from(!keep),
        };
        lease
    }
}
