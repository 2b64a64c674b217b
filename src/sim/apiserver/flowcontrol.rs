//! API Priority and Fairness (k8s.io/apiserver/pkg/util/flowcontrol), the bootstrap
//! configuration: each request is classified by the first FlowSchema that matches it into a
//! priority level; a level runs at most its nominal concurrency (its share of
//! --max-requests-inflight + --max-mutating-requests-inflight); beyond that a request waits
//! in one of the level's queues, chosen by shuffle sharding on its flow (the user), and a full
//! queue — or a level that rejects instead of queueing — answers 429.
//! Simplified: queues are served round-robin rather than by virtual finish time, every
//! request takes one seat, and levels do not borrow from each other.

use crate::sim::api::request::{ApiRequest, UserInfo, Verb};
use crate::sim::metrics::{Exposition, Series};
use std::collections::VecDeque;

/// How long a request may wait in a queue before it is rejected.
pub const WAIT_LIMIT_US: u64 = 15 * crate::sim::time::SECONDS;

/// A bootstrap priority level: name, nominalConcurrencyShares, queues, hand size, queue
/// length limit (0 queues: reject at the limit).
const LEVELS: [(&str, u32, usize, usize, usize); 7] = [
    ("system", 30, 64, 6, 50),
    ("leader-election", 10, 16, 4, 50),
    ("node-high", 40, 64, 6, 50),
    ("workload-high", 40, 128, 6, 50),
    ("workload-low", 100, 128, 6, 50),
    ("global-default", 20, 128, 6, 50),
    ("catch-all", 5, 0, 0, 0),
];

#[derive(Clone, Debug)]
pub struct Level {
    pub name: &'static str,
    pub nominal: usize,
    pub executing: usize,
    queues: Vec<VecDeque<u64>>,
    hand_size: usize,
    queue_limit: usize,
    /// Round-robin position for dispatching from the queues.
    next_queue: usize,
}

impl Level {
    pub fn waiting(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }
}

/// Where a request goes: the exempt level runs at once; a limited one may make it wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    Exempt,
    Execute(usize),
    Queued(usize),
    Rejected(usize),
}

#[derive(Clone, Debug)]
pub struct FlowControl {
    pub levels: Vec<Level>,
    /// (flow schema, priority level) → dispatched, rejected.
    dispatched: Series<(&'static str, &'static str), u64>,
    rejected: Series<(&'static str, &'static str, &'static str), u64>,
}

impl FlowControl {
    /// The levels' nominal concurrency: ceil(server limit × shares / Σ shares).
    pub fn new(server_limit: usize) -> Self {
        let total: u32 = LEVELS.iter().map(|l| l.1).sum();
        let levels = LEVELS
            .iter()
            .map(|&(name, shares, queues, hand_size, queue_limit)| Level {
                name,
                nominal: (server_limit * shares as usize).div_ceil(total as usize),
                executing: 0,
                queues: vec![VecDeque::new(); queues],
                hand_size,
                queue_limit,
                next_queue: 0,
            })
            .collect();
        FlowControl { levels, dispatched: Series::default(), rejected: Series::default() }
    }

    /// Seats a request, queues it, or turns it away.
    pub fn admit(&mut self, token: u64, schema: &'static str, level: Option<usize>, flow: &str) -> Admit {
        let Some(i) = level else { return Admit::Exempt };
        let l = &mut self.levels[i];
        if l.executing < l.nominal {
            l.executing += 1;
            *self.dispatched.get_or((schema, l.name), || 0) += 1;
            return Admit::Execute(i);
        }
        // Shuffle sharding: deal a hand of queues from the flow's hash, take the shortest.
        let n = l.queues.len();
        let mut best: Option<usize> = None;
        let mut h = fnv(flow);
        for _ in 0..l.hand_size.min(n) {
            let q = (h % n as u64) as usize;
            h = (h / n as u64) ^ h.rotate_left(17);
            if best.is_none_or(|b| l.queues[q].len() < l.queues[b].len()) {
                best = Some(q);
            }
        }
        match best.filter(|q| l.queues[*q].len() < l.queue_limit) {
            Some(q) => {
                l.queues[q].push_back(token);
                Admit::Queued(i)
            }
            None => {
                *self.rejected.get_or((schema, l.name, "queue-full"), || 0) += 1;
                Admit::Rejected(i)
            }
        }
    }

    /// A seat of `level` is free again: the next queued request to run, if any.
    pub fn release(&mut self, level: usize) -> Option<u64> {
        let l = &mut self.levels[level];
        l.executing = l.executing.saturating_sub(1);
        let n = l.queues.len();
        for k in 0..n {
            let q = (l.next_queue + k) % n;
            if let Some(token) = l.queues[q].pop_front() {
                l.next_queue = (q + 1) % n;
                l.executing += 1;
                return Some(token);
            }
        }
        None
    }

    /// A queued request waited too long: it leaves its queue and is rejected.
    pub fn time_out(&mut self, token: u64, schema: &'static str, level: usize) -> bool {
        let l = &mut self.levels[level];
        for q in &mut l.queues {
            if let Some(pos) = q.iter().position(|t| *t == token) {
                q.remove(pos);
                *self.rejected.get_or((schema, l.name, "time-out"), || 0) += 1;
                return true;
            }
        }
        false
    }

    /// A dispatched request from a queue counts as dispatched for its schema.
    pub fn dispatched(&mut self, schema: &'static str, level: usize) {
        *self.dispatched.get_or((schema, self.levels[level].name), || 0) += 1;
    }

    pub fn metrics(&self, e: &mut Exposition) {
        let per_level = |f: &dyn Fn(&Level) -> f64| -> Vec<(Vec<(&str, &str)>, f64)> {
            self.levels.iter().map(|l| (vec![("priority_level", l.name)], f(l))).collect()
        };
        e.labelled(
            "apiserver_flowcontrol_nominal_limit_seats",
            "[BETA] Nominal number of execution seats configured for each priority level",
            "gauge",
            &per_level(&|l| l.nominal as f64),
        );
        e.labelled(
            "apiserver_flowcontrol_current_executing_requests",
            "[BETA] Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem",
            "gauge",
            &per_level(&|l| l.executing as f64),
        );
        e.labelled(
            "apiserver_flowcontrol_current_inqueue_requests",
            "[BETA] Number of requests currently pending in queues of the API Priority and Fairness subsystem",
            "gauge",
            &per_level(&|l| l.waiting() as f64),
        );
        let dispatched: Vec<_> = self
            .dispatched
            .0
            .iter()
            .map(|((fs, pl), n)| (vec![("flow_schema", *fs), ("priority_level", *pl)], *n as f64))
            .collect();
        e.labelled(
            "apiserver_flowcontrol_dispatched_requests_total",
            "[BETA] Number of requests executed by API Priority and Fairness subsystem",
            "counter",
            &dispatched,
        );
        let rejected: Vec<_> = self
            .rejected
            .0
            .iter()
            .map(|((fs, pl, why), n)| {
                (vec![("flow_schema", *fs), ("priority_level", *pl), ("reason", *why)], *n as f64)
            })
            .collect();
        e.labelled(
            "apiserver_flowcontrol_rejected_requests_total",
            "[BETA] Number of requests rejected by API Priority and Fairness subsystem",
            "counter",
            &rejected,
        );
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

fn level(name: &str) -> Option<usize> {
    LEVELS.iter().position(|l| l.0 == name)
}

/// The bootstrap FlowSchemas in matching precedence: the schema's name and its level (None:
/// exempt). The flow is the user.
pub fn classify(user: &UserInfo, req: &ApiRequest) -> (&'static str, Option<usize>) {
    let in_group = |g: &str| user.groups.iter().any(|x| x == g);
    let res = req.resource.plural;
    let control_plane = user.name == "system:kube-controller-manager" || user.name == "system:kube-scheduler";
    let leases = res == "leases" && matches!(req.verb, Verb::Get | Verb::Create | Verb::Update);
    let (schema, lvl) = if in_group("system:masters") {
        ("exempt", None)
    } else if matches!(req.path.as_str(), "/healthz" | "/livez" | "/readyz") {
        ("probes", None)
    } else if control_plane && leases && req.namespace == "kube-system" {
        ("system-leader-election", level("leader-election"))
    } else if in_group("system:nodes") && (res == "nodes" || res == "leases") {
        ("system-node-high", level("node-high"))
    } else if in_group("system:nodes") {
        ("system-nodes", level("system"))
    } else if control_plane {
        let schema = if user.name == "system:kube-scheduler" { "kube-scheduler" } else { "kube-controller-manager" };
        (schema, level("workload-high"))
    } else if user.name.starts_with("system:serviceaccount:kube-system:") {
        ("kube-system-service-accounts", level("workload-high"))
    } else if in_group("system:serviceaccounts") {
        ("service-accounts", level("workload-low"))
    } else if in_group("system:authenticated") || in_group("system:unauthenticated") {
        ("global-default", level("global-default"))
    } else {
        ("catch-all", level("catch-all"))
    };
    (schema, lvl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::resource::ResourceInfo;

    #[test]
    fn bootstrap_levels_share_the_server_limit() {
        let fc = FlowControl::new(600);
        let nominal: Vec<(&str, usize)> = fc.levels.iter().map(|l| (l.name, l.nominal)).collect();
        assert_eq!(
            nominal,
            [
                ("system", 74),
                ("leader-election", 25),
                ("node-high", 98),
                ("workload-high", 98),
                ("workload-low", 245),
                ("global-default", 49),
                ("catch-all", 13)
            ]
        );
    }

    #[test]
    fn a_full_level_queues_then_rejects() {
        let mut fc = FlowControl::new(12);
        let gd = level("global-default").unwrap();
        assert_eq!(fc.levels[gd].nominal, 1);
        assert_eq!(fc.admit(1, "global-default", Some(gd), "alice"), Admit::Execute(gd));
        for t in 2..52 {
            assert_eq!(fc.admit(t, "global-default", Some(gd), "alice"), Admit::Queued(gd));
        }
        // alice's hand of queues fills up; bob's flow lands in other queues.
        let mut rejected = false;
        for t in 52..400 {
            rejected |= fc.admit(t, "global-default", Some(gd), "alice") == Admit::Rejected(gd);
        }
        assert!(rejected);
        assert_eq!(fc.admit(1000, "global-default", Some(gd), "bob"), Admit::Queued(gd));
        assert_eq!(fc.release(gd), Some(2));
        let admin = UserInfo::new("kubernetes-admin", &["kubeadm:cluster-admins", "system:authenticated"]);
        let req = ApiRequest::new(Verb::List, ResourceInfo::of("pods"), "default", "");
        assert_eq!(classify(&admin, &req), ("global-default", Some(gd)));
        let masters = UserInfo::new("root", &["system:masters"]);
        assert_eq!(classify(&masters, &req).1, None);
    }
}
