//! A read-only picture of the cluster for the views: what each component shows of its state.
//! The renderer reads this and the trace; it never reaches into component internals.

use super::api::Object;
use super::component::{Component, Role};
use super::event::ComponentId;
use super::kubelet::{prober, Step};
use super::leaderelection::LeaderElector;
use super::scheduler::explain::{self, NodeRow};
use super::time::SimTime;
use super::Simulation;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq)]
pub struct ComponentView {
    pub id: ComponentId,
    pub name: String,
    pub role: Role,
    pub node: String,
    /// One line of live state (`leader · term 2 · commit 41`, …); empty for a node's kubelet
    /// and kube-proxy unless stopped (their boxes show their phase instead).
    pub status: String,
    /// Raft state for etcd members.
    pub etcd: Option<EtcdView>,
    /// False for a stopped process (kube-apiserver, a powered-off node's kubelet).
    pub up: bool,
    /// A controller manager's controllers: (name, its workqueue's depth), for the leader.
    pub queues: Vec<(&'static str, usize)>,
    /// The kube-apiserver a client talks to now (several sit behind a load balancer).
    pub apiserver: Option<ComponentId>,
}

impl ComponentView {
    /// A member of the separate events etcd (`etcd-events-N`), not of the main cluster.
    pub fn in_events_etcd(&self) -> bool {
        self.role == Role::Etcd && self.name.starts_with(super::cluster::EVENTS_ETCD)
    }
}

/// What the etcd panel shows of one member.
#[derive(Clone, Debug, PartialEq)]
pub struct EtcdView {
    pub up: bool,
    pub role: super::etcd::raft::Role,
    pub term: u64,
    pub vote: Option<usize>,
    /// How far the election timer has run, 0..1 (followers and candidates).
    pub election_progress: f64,
    /// The newest entries: (index, term, durable in the WAL).
    pub tail: Vec<(u64, u64, bool)>,
    pub commit: u64,
    pub last_index: u64,
    pub fsync_ms: f64,
    pub revision: i64,
}

/// Log entries shown per member.
pub const LOG_TAIL: usize = 14;

/// A pod as its kubelet sees it. It shares the kubelet's copy of the object: a picture of
/// 22,500 pods taken four times a second copies no name.
#[derive(Clone, Debug, PartialEq)]
pub struct PodView {
    pod: Arc<Object>,
    /// What kubectl would show in STATUS.
    pub status: &'static str,
    /// Every container ready (its readiness probe passed).
    pub ready: bool,
    /// What a pod opens up to when zoomed in (filled for clusters of up to
    /// `DETAILED_NODES` nodes): its containers and volumes.
    pub containers: Vec<ContainerView>,
    /// `name (type)`.
    pub volumes: Vec<String>,
}

impl PodView {
    pub fn name(&self) -> &str {
        &self.pod.meta().name
    }

    pub fn namespace(&self) -> &str {
        &self.pod.meta().namespace
    }

    pub fn ip(&self) -> &str {
        self.pod.as_pod().map_or("", |p| p.status.pod_ip.as_str())
    }
}

/// One container of a pod, as its status and cgroup show it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerView {
    pub name: String,
    /// Running, or the waiting or terminated reason (kubectl's STATUS words).
    pub state: String,
    pub ready: bool,
    pub restarts: i32,
    /// Cores used now and the limit, if any (a running container).
    pub cpu: Option<(f64, Option<f64>)>,
    /// Working set bytes and the memory limit, if any.
    pub memory: Option<(u64, Option<u64>)>,
}

/// Clusters up to this many nodes carry each pod's containers and volumes in the view.
pub const DETAILED_NODES: usize = 100;

#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub name: String,
    pub control_plane: bool,
    pub pods: Vec<PodView>,
    /// False while the machine is powered off.
    pub powered: bool,
    /// The Node's Ready condition as the control plane sees it (True, False, Unknown).
    pub ready: &'static str,
}

/// The scheduler's latest attempt, for the canvas: which pod, when, and every node's result
/// (the rows only in detailed clusters: larger ones are drawn as tiles, without the table).
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulingView {
    pub pod: String,
    pub at: SimTime,
    pub rows: Vec<NodeRow>,
    /// The FailedScheduling message when no node fit.
    pub message: Option<String>,
}

/// Most node rows the canvas takes from one attempt.
const SCHEDULING_ROWS: usize = 64;
/// Pending pods named in the view: the canvas shows a few, with their number.
pub const PENDING_SHOWN: usize = 6;

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterView {
    pub components: Vec<ComponentView>,
    pub nodes: Vec<NodeView>,
    /// The first pods waiting for a node (from the scheduler's queue and unschedulable
    /// pool), at most `PENDING_SHOWN` of them…
    pub pending: Vec<String>,
    /// …and how many wait in all.
    pub pending_total: usize,
    pub running_pods: usize,
    pub api_requests: u64,
    pub scheduling: Option<SchedulingView>,
    /// The simulation's step when it was taken.
    pub steps: u64,
    /// Where the scheduler cache held each node (by the nodes' order), for the next picture
    /// to look there first: nodes join in any order, so the cache's is not the kubelets'.
    cache_slots: Vec<usize>,
}

/// A few of the production metrics a dashboard would chart, summed over the cluster now.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Gauges {
    /// workqueue_depth over the leading kube-controller-manager's controllers.
    pub workqueue_depth: usize,
    /// etcd_server_leader_changes_seen_total, the most any member has seen.
    pub leader_changes: u64,
    /// kubelet_pod_start_duration_seconds_count over every kubelet.
    pub pod_starts: u64,
    /// kube-proxy rule syncs over every node.
    pub proxy_syncs: u64,
    /// etcd_server_has_leader summed over the members (how many know a leader).
    pub has_leader: usize,
    /// etcd_network_peer_round_trip_time_seconds p99 over every member and peer, ms.
    pub peer_rtt_p99_ms: f64,
    /// workqueue_adds_total over the leading kube-controller-manager's controllers.
    pub workqueue_adds: u64,
    /// apiserver_admission_controller_admission_duration_seconds p99 over every plugin, ms.
    pub admission_p99_ms: f64,
}

/// The connections to kube-apiserver of one kind of client (the kubelets, say, summed).
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionsRow {
    pub client: String,
    pub http: &'static str,
    /// Processes of this kind.
    pub processes: usize,
    pub open: usize,
    /// Connections opened since the start (each a TCP and a TLS handshake).
    pub opened: u64,
}

impl Simulation {
    /// The charted production metrics (a pass over every component: sampled, not per frame).
    pub fn gauges(&self) -> Gauges {
        let mut g = Gauges::default();
        let mut rtt: Option<crate::sim::metrics::Histogram> = None;
        for c in &self.components {
            match c {
                Component::ControllerManager(m) if m.up && m.elector.leading => {
                    g.workqueue_depth = m.queue_depth();
                    g.workqueue_adds = m.queues.values().map(|q| q.adds_total).sum();
                }
                Component::ApiServer(a) => {
                    let ms = a.metrics.admission_total().quantile(0.99).map_or(0.0, |s| s * 1000.0);
                    g.admission_p99_ms = g.admission_p99_ms.max(ms);
                }
                Component::Etcd(e) => {
                    g.leader_changes = g.leader_changes.max(e.metrics.leader_changes_seen_total);
                    g.has_leader += usize::from(e.up && e.raft.leader.is_some());
                    for h in &e.metrics.peer_rtt {
                        match &mut rtt {
                            Some(all) => all.merge(h),
                            None => rtt = Some(h.clone()),
                        }
                    }
                }
                Component::Kubelet(k) => g.pod_starts += k.metrics.pod_start.count,
                Component::KubeProxy(p) => g.proxy_syncs += p.rules_synced,
                _ => {}
            }
        }
        g.peer_rtt_p99_ms = rtt.and_then(|h| h.quantile(0.99)).map_or(0.0, |s| s * 1000.0);
        g
    }

    /// Every client's connections to kube-apiserver, by kind of client, in component order.
    pub fn connections(&self) -> Vec<ConnectionsRow> {
        let mut rows: Vec<ConnectionsRow> = Vec::new();
        for (c, info) in self.components.iter().zip(&self.infos) {
            let Some(t) = c.transport() else { continue };
            let client = info.name.split('/').next().unwrap_or_default().to_string();
            let i = match rows.iter().position(|r| r.client == client) {
                Some(i) => i,
                None => {
                    let http = t.protocol.name();
                    rows.push(ConnectionsRow { client, http, processes: 0, open: 0, opened: 0 });
                    rows.len() - 1
                }
            };
            rows[i].processes += 1;
            rows[i].open += t.open();
            rows[i].opened += t.opened;
        }
        rows
    }

    pub fn view(&self) -> ClusterView {
        self.view_after(None)
    }

    /// The picture again: the kubelets and kube-proxies that handled nothing since `old` was
    /// taken (of this same simulation) keep their part of it, moved over, not taken again —
    /// at 7,500 nodes, most of them between two pictures. Clusters up to `DETAILED_NODES`
    /// nodes are taken whole (their containers' CPU moves with time).
    pub fn view_after(&self, old: Option<ClusterView>) -> ClusterView {
        let mut components = Vec::with_capacity(self.components.len());
        let mut nodes: Vec<NodeView> = Vec::new();
        let mut pending = Vec::new();
        let mut pending_total = 0;
        let mut running_pods = 0;
        let mut api_requests = 0;
        let mut scheduling = None;
        // The control plane's view of each node's Ready condition, from the scheduler's cache.
        let scheduler = self.lease_holder(Role::Scheduler).or_else(|| {
            self.components.iter().position(|c| matches!(c, Component::Scheduler(_))).map(|i| i as ComponentId)
        });
        let cache = scheduler.and_then(|id| match self.components.get(id as usize) {
            Some(Component::Scheduler(s)) if s.up => Some(&s.cache),
            _ => None,
        });
        // Each node is looked for in the cache where the last picture found it (a search of
        // 7,500 names otherwise), and where it is found is kept for the next.
        let mut cache_slots = Vec::new();
        let mut ready = |node: &str, hint: Option<usize>| {
            let found = cache.and_then(|c| c.node_from(node, hint.unwrap_or(usize::MAX)));
            cache_slots.push(found.map_or(usize::MAX, |(slot, _)| slot));
            found.map_or("Unknown", |(_, n)| n.ready())
        };
        let kubelets = self.components.iter().filter(|c| matches!(c, Component::Kubelet(_))).count();
        let detailed = kubelets <= DETAILED_NODES;
        nodes.reserve(kubelets);
        let old = old.filter(|o| !detailed && o.components.len() == self.components.len() && o.steps <= self.steps);
        let since = old.as_ref().map_or(0, |o| o.steps);
        let (mut old_components, mut old_nodes, old_slots) = match old {
            Some(o) => (o.components.into_iter(), o.nodes.into_iter(), o.cache_slots),
            None => Default::default(),
        };
        let hint = |n: usize| old_slots.get(n).copied();
        for (i, (c, info)) in self.components.iter().zip(&self.infos).enumerate() {
            // Kept parts stay in step with the components (and the nodes with the kubelets).
            let kept = old_components.next().filter(|_| !self.changed_since(i as ComponentId, since));
            if let Component::KubeProxy(_) | Component::Kubelet(_) = c {
                let kept_node = match c {
                    Component::Kubelet(_) => old_nodes.next().map(Some),
                    _ => Some(None),
                };
                if let (Some(view), Some(node)) = (kept, kept_node) {
                    if let Some(mut node) = node {
                        node.ready = ready(&node.name, hint(nodes.len()));
                        running_pods += node.pods.iter().filter(|p| p.status == "Running").count();
                        nodes.push(node);
                    }
                    components.push(view);
                    continue;
                }
            }
            let mut etcd = None;
            let status = match c {
                Component::User(u) => u.identity(),
                Component::ApiServer(a) if !a.up => {
                    api_requests = a.requests_total;
                    "stopped: connection refused on :6443".to_string()
                }
                Component::ApiServer(a) => {
                    api_requests = a.requests_total;
                    format!("{} requests · {} watches · rev {}", a.requests_total, a.watch_count(), a.cache_revision())
                }
                Component::Etcd(e) => {
                    let r = &e.raft;
                    let from = r.log.len().saturating_sub(LOG_TAIL).max(1);
                    etcd = Some(EtcdView {
                        up: e.up,
                        role: r.role,
                        term: r.term,
                        vote: r.vote,
                        election_progress: f64::from(r.election_elapsed)
                            / f64::from(r.randomized_election_timeout.max(1)),
                        tail: r.log[from..].iter().map(|x| (x.index, x.term, x.index <= r.stable)).collect(),
                        commit: r.commit,
                        last_index: r.last_index(),
                        fsync_ms: e.fsync_us as f64 / 1000.0,
                        revision: e.mvcc.revision(),
                    });
                    format!("{} · term {} · commit {}", e.raft.role.as_str(), e.raft.term, e.raft.commit)
                }
                Component::Scheduler(s) if !s.up => stopped(s.restarts),
                // A standby keeps its cache and queue but schedules nothing: the views follow
                // the leader (or the first replica while none leads).
                Component::Scheduler(s) if Some(i as ComponentId) != scheduler => standby(&s.elector),
                Component::Scheduler(s) => {
                    scheduling = s.attempts.back().map(|(pod, a)| SchedulingView {
                        pod: pod.clone(),
                        at: a.at,
                        rows: if detailed { explain::rows(&a.explain, SCHEDULING_ROWS) } else { Vec::new() },
                        message: a.message.clone(),
                    });
                    pending.extend(s.queue.entries().take(PENDING_SHOWN).map(|(k, _)| k.clone()));
                    pending_total = s.queue.waiting();
                    let [active, backoff, unsched, gated] = s.queue.pending();
                    format!(
                        "{}activeQ {} · backoffQ {} · unschedulable {}{} · bound {}",
                        leading(&s.elector),
                        active.1,
                        backoff.1,
                        unsched.1,
                        if gated.1 > 0 { format!(" · gated {}", gated.1) } else { String::new() },
                        s.scheduled_total
                    )
                }
                Component::ControllerManager(m) if !m.up => stopped(m.restarts),
                Component::ControllerManager(m) if !m.elector.leading => standby(&m.elector),
                Component::ControllerManager(m) => {
                    let depth = m.queue_depth();
                    format!(
                        "leader · {} deployments · {} replicasets · queue {depth}",
                        m.deployments.store.len(),
                        m.replicasets.store.len()
                    )
                }
                Component::Kubelet(k) => {
                    let cpu = if detailed { k.cpu(self.now()) } else { Vec::new() };
                    let pods: Vec<PodView> = k
                        .pods
                        .shared()
                        .filter_map(|o| Some((o, o.as_pod()?)))
                        .map(|(o, p)| {
                            let worker = k.workers.get(&p.metadata.uid);
                            let status = match worker.map(|w| w.step) {
                                _ if p.metadata.deletion_timestamp.is_some() => "Terminating",
                                Some(Step::Running) => "Running",
                                Some(Step::Pull(_)) => "Pulling",
                                Some(Step::Dead) => "Unknown",
                                Some(Step::Exited(_)) if worker.is_some_and(|w| w.evicted.is_some()) => "Evicted",
                                Some(Step::Exited(0)) => "Completed",
                                Some(Step::Exited(_)) => "Error",
                                Some(Step::BackOff) => "CrashLoopBackOff",
                                Some(Step::Terminated) => "Error",
                                Some(Step::InitRunning(_)) => "Init",
                                Some(Step::ConfigError(_)) => "CreateContainerConfigError",
                                Some(_) => "ContainerCreating",
                                None => "Pending",
                            };
                            let ready = worker.is_some_and(|w| {
                                w.step == Step::Running
                                    && (0..p.spec.containers.len()).all(|i| prober::ready(&w.probes, i))
                            });
                            let (containers, volumes) = match detailed {
                                true => pod_detail(p, &cpu),
                                false => Default::default(),
                            };
                            PodView { pod: o.clone(), status, ready, containers, volumes }
                        })
                        .collect();
                    running_pods += pods.iter().filter(|p| p.status == "Running").count();
                    // A node's boxes show their phase; a line only when powered off.
                    let line = if k.up { String::new() } else { "stopped (node powered off)".to_string() };
                    nodes.push(NodeView {
                        name: k.config.name.clone(),
                        control_plane: i > 0 && nodes.is_empty(),
                        pods,
                        powered: k.up,
                        ready: ready(&k.config.name, hint(nodes.len())),
                    });
                    line
                }
                Component::KubeProxy(_) => String::new(),
                Component::KvClient(c) => format!("{} writes acknowledged", c.acked.len()),
                Component::CloudControllerManager(c) if !c.up => stopped(c.restarts),
                Component::CloudControllerManager(c) if !c.elector.leading => standby(&c.elector),
                Component::CloudControllerManager(c) => {
                    format!("leader · {} nodes · {} cloud call(s) in flight", c.nodes.store.len(), c.calls_in_flight())
                }
                Component::Cloud(c) => {
                    format!("{} load balancer(s) · {} route(s)", c.load_balancers.len(), c.routes.len())
                }
            };
            let up = match c {
                Component::ApiServer(a) => a.up,
                Component::Kubelet(k) => k.up,
                Component::Etcd(e) => e.up,
                Component::Scheduler(s) => s.up,
                Component::ControllerManager(m) => m.up,
                Component::CloudControllerManager(c) => c.up,
                _ => true,
            };
            let queues = match c {
                Component::ControllerManager(m) if m.up && m.elector.leading => {
                    m.queues.iter().map(|(l, q)| (l.name(), q.len())).collect()
                }
                _ => vec![],
            };
            components.push(ComponentView {
                id: i as ComponentId,
                name: info.name.clone(),
                role: info.role,
                node: info.node.clone(),
                status,
                etcd,
                up,
                queues,
                apiserver: c.apiserver(),
            });
        }
        ClusterView {
            components,
            nodes,
            pending,
            pending_total,
            running_pods,
            api_requests,
            scheduling,
            steps: self.steps(),
            cache_slots,
        }
    }
}

/// The status line of a leader-elected replica that is not leading.
fn standby(e: &LeaderElector) -> String {
    match e.holder() {
        "" => format!("acquiring lease {}…", e.describe()),
        h if h == e.identity => format!("renewing lease {}…", e.describe()),
        h => format!("standby · lease held by {h}"),
    }
}

fn leading(e: &LeaderElector) -> &'static str {
    if e.leading {
        "leader · "
    } else {
        ""
    }
}

fn stopped(restarts: u32) -> String {
    format!("stopped · restarts {restarts}")
}

/// A pod's containers (status, readiness, restarts, CPU and memory against limits) and volumes.
fn pod_detail(
    p: &crate::sim::api::Pod,
    cpu: &[crate::sim::kubelet::cpu::ContainerCpu],
) -> (Vec<ContainerView>, Vec<String>) {
    use crate::sim::api::quantity;
    let containers = p
        .spec
        .containers
        .iter()
        .map(|c| {
            let status = p.status.container_statuses.iter().find(|s| s.name == c.name);
            let state = status.map_or("Waiting".to_string(), |s| {
                match (&s.state.running, &s.state.waiting, &s.state.terminated) {
                    (Some(_), _, _) => "Running".to_string(),
                    (_, Some(w), _) => w.reason.clone(),
                    (_, _, Some(t)) => t.reason.clone(),
                    _ => "Waiting".to_string(),
                }
            });
            let used = cpu
                .iter()
                .find(|u| u.pod == p.metadata.name && u.namespace == p.metadata.namespace && u.container == c.name);
            let memory_limit =
                c.resources.limits.get("memory").and_then(|q| quantity::parse_value(q).ok()).map(|b| b.max(0) as u64);
            ContainerView {
                name: c.name.clone(),
                state,
                ready: status.is_some_and(|s| s.ready),
                restarts: status.map_or(0, |s| s.restart_count),
                cpu: used.map(|u| (u.usage, u.limit)),
                memory: used.map(|u| (u.working_set, memory_limit)),
            }
        })
        .collect();
    let volumes = p
        .spec
        .volumes
        .iter()
        .map(|v| {
            let kind = match v {
                _ if v.persistent_volume_claim.is_some() => "persistentVolumeClaim",
                _ if v.empty_dir.is_some() => "emptyDir",
                _ if v.config_map.is_some() => "configMap",
                _ if v.secret.is_some() => "secret",
                _ => "projected",
            };
            format!("{} ({kind})", v.name)
        })
        .collect();
    (containers, volumes)
}
