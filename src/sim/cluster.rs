//! Building a cluster the way kubeadm lays it out: a control-plane node (kube-apiserver,
//! kube-scheduler, kube-controller-manager, a kubelet and kube-proxy, and the first etcd
//! member), more etcd members, and worker nodes with a kubelet and kube-proxy each. etcd starts
//! with what `kubeadm init` leaves in it: the system namespaces and the bootstrap RBAC policy.

use super::addressing::{node_ip, Cidr, DEFAULT_POD_SUBNET};
use super::api::meta::Time;
use super::api::request::{ApiRequest, ApiResponse, Credential, WatchEvent};
use super::api::resource::ResourceInfo;
use super::api::*;
use super::apiserver::admission::Chain;
use super::apiserver::authn::parse_token_file;
use super::apiserver::flowcontrol::FlowControl;
use super::apiserver::registry::{new_uid, NAMESPACE_FINALIZER};
use super::apiserver::ApiServer;
use super::cloud::CloudProvider;
use super::cloudcontroller::CloudControllerManager;
use super::component::{Component, ComponentInfo, Role};
use super::connection::http_version;
use super::controller::ControllerManager;
use super::etcd::{Compare, EtcdMember, Mvcc, RaftTiming, Txn, TxnAction, ETCD_TIMING, PAPER_TIMING};
use super::event::{ComponentId, Timer};
use super::kubelet::{Kubelet, NodeConfig};
use super::network::{Network, NetworkConfig};
use super::proxy::KubeProxy;
use super::rng::{fork, SimRng};
use super::scheduler::Scheduler;
use super::time::SimTime;
use super::user::UserClient;
use super::Simulation;
use serde::{Deserialize, Serialize};

/// The largest cluster a scenario may build (the "openai-7500" preset and some room).
pub const MAX_WORKERS: usize = 10_000;
/// Network hosts of the external etcd members, beyond every node's (node i is host 1 + i).
const ETCD_HOSTS: u32 = 1 << 20;
/// Network hosts of the events etcd's members.
const EVENTS_ETCD_HOSTS: u32 = ETCD_HOSTS + 16;
/// The events etcd's members are `etcd-events-0`, `etcd-events-1`, …
pub const EVENTS_ETCD: &str = "etcd-events";
/// Network hosts of the extra kube-scheduler and kube-controller-manager replicas.
const REPLICA_HOSTS: u32 = 2 << 20;
/// The network host of the cloud provider's API.
const CLOUD_HOST: u32 = 3 << 20;
/// At most this many replicas of each leader-elected component.
const MAX_REPLICAS: usize = MAX_APISERVERS;
/// kube-apiserver replicas, as HA control planes run them.
const MAX_APISERVERS: usize = 7;

/// The user's kubectl is always component 0.
pub const USER: ComponentId = 0;
pub const APISERVER: ComponentId = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterSpec {
    pub etcd_members: usize,
    /// WAL fsync latency of the etcd disks, µs (local NVMe SSD ≈ 200–1000).
    pub etcd_fsync_us: u64,
    /// etcd --quota-backend-bytes (default 2 GiB).
    #[serde(default = "default_quota")]
    pub etcd_quota_bytes: usize,
    /// etcd --snapshot-count: entries between snapshots (the log is compacted behind them).
    #[serde(default = "default_snapshot_count")]
    pub etcd_snapshot_count: u64,
    /// kube-apiserver --encryption-provider-config: resources encrypted at rest.
    #[serde(default)]
    pub encryption: Option<super::storage::EncryptionConfig>,
    /// kube-apiserver's authentication and admission flags.
    #[serde(default, skip_serializing_if = "ApiServerFlags::is_default")]
    pub apiserver: ApiServerFlags,
    /// Raft timing preset: "paper" (elections after 150–300 ms) or "etcd" (heartbeat 100 ms,
    /// election 1000 ms, etcd's defaults).
    #[serde(default = "default_timing")]
    pub raft_timing: String,
    pub control_plane: NodeConfig,
    pub workers: Vec<NodeConfig>,
    #[serde(default)]
    pub network: NetworkConfig,
    /// Workers join one after another over this many seconds rather than all at once (a
    /// fleet powered on together is a join storm on the apiserver).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub node_join_spread_s: u64,
    /// kubeadm's networking.podSubnet (--cluster-cidr); each node gets a /24 of it.
    #[serde(default = "default_pod_subnet", skip_serializing_if = "is_default_pod_subnet")]
    pub pod_subnet: String,
    /// Every component's informers list this often (seconds) instead of watching — the
    /// "periodic list" alternative to compare load and staleness with. 0: watch (upstream).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub informer_list_period_s: u64,
    /// A cloud provider and its cloud-controller-manager: kubelets run with
    /// `--cloud-provider=external` (nodes start tainted uninitialized), LoadBalancer Services
    /// get a load balancer. Off: kubeadm on bare metal, where they stay `<pending>`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cloud_controller_manager: bool,
    /// kube-proxy's mode: "iptables" (kubeadm's default) or "ipvs", with the IPVS scheduler
    /// (rr, lc, sh, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub proxy_mode: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ipvs_scheduler: String,
    /// What kube-proxy watches for endpoints: "endpointslices" (the default since 1.19) or
    /// "endpoints" (v1 Endpoints, as before: every change resends a Service's whole list).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub proxy_endpoints: String,
    /// kubectl's HTTP version towards kube-apiserver: "2" (the default), "1.1" or "1.0".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kubectl_http: String,
    /// The HTTP version of every in-cluster client of kube-apiserver (kubelets, kube-proxy,
    /// the scheduler and the controller managers): "2" (the default), "1.1" or "1.0".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub components_http: String,
    /// kubeadm's CoreDNS add-on (Deployment `coredns`, Service `kube-dns` at 10.96.0.10), so
    /// pods resolve Service names.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub cluster_dns: bool,
    /// The storage add-on: the playground's CSI driver (its controller Deployment in
    /// kube-system) and the default StorageClass `standard`, so claims get volumes.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub csi_driver: bool,
    /// kube-scheduler and kube-controller-manager replicas, each electing its leader on a Lease:
    /// 1 as on kubeadm's single control-plane node, one per control-plane machine as an HA
    /// control plane runs them.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub leader_elected_replicas: usize,
    /// kube-apiserver replicas behind the control-plane load balancer, one per control-plane
    /// machine: 1 as on kubeadm's single node; large clusters run 3 to 5.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub apiservers: usize,
    /// Members of a separate etcd cluster for Events (kube-apiserver
    /// `--etcd-servers-overrides=/events#…`), as large clusters run it; 0: Events share the
    /// main etcd.
    #[serde(default, skip_serializing_if = "is_no_members")]
    pub events_etcd_members: usize,
    /// kube-scheduler --config: a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1)
    /// as JSON; the default profile without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_config: Option<serde_json::Value>,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        let cp = NodeConfig {
            name: "control-plane".into(),
            cpu: "2".into(),
            memory: "4Gi".into(),
            max_pods: 110,
            labels: [
                ("node-role.kubernetes.io/control-plane".to_string(), String::new()),
                (crate::sim::cloudcontroller::service::EXCLUDE_LABEL.to_string(), String::new()),
            ]
            .into(),
            taints: vec![Taint {
                key: "node-role.kubernetes.io/control-plane".into(),
                value: String::new(),
                effect: "NoSchedule".into(),
                time_added: None,
            }],
        };
        let worker = |i: usize| NodeConfig {
            name: format!("worker-{i}"),
            cpu: "4".into(),
            memory: "8Gi".into(),
            max_pods: 110,
            labels: Default::default(),
            taints: vec![],
        };
        ClusterSpec {
            etcd_members: 3,
            etcd_fsync_us: 800,
            raft_timing: default_timing(),
            etcd_quota_bytes: default_quota(),
            etcd_snapshot_count: default_snapshot_count(),
            encryption: None,
            apiserver: ApiServerFlags::default(),
            control_plane: cp,
            workers: (1..=3).map(worker).collect(),
            network: NetworkConfig::default(),
            pod_subnet: default_pod_subnet(),
            node_join_spread_s: 0,
            informer_list_period_s: 0,
            leader_elected_replicas: 1,
            apiservers: 1,
            events_etcd_members: 0,
            cloud_controller_manager: false,
            csi_driver: true,
            cluster_dns: true,
            proxy_mode: String::new(),
            kubectl_http: String::new(),
            components_http: String::new(),
            proxy_endpoints: String::new(),
            ipvs_scheduler: String::new(),
            scheduler_config: None,
        }
    }
}

/// The kube-apiserver flags a scenario may set, with kubeadm's values by default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerFlags {
    /// --enable-admission-plugins (kubeadm: NodeRestriction).
    pub enable_admission_plugins: Vec<String>,
    /// --disable-admission-plugins.
    #[serde(default)]
    pub disable_admission_plugins: Vec<String>,
    /// --anonymous-auth.
    #[serde(default = "yes")]
    pub anonymous_auth: bool,
    /// The --token-auth-file's CSV: `token,user,uid,"group1,group2"` per line.
    #[serde(default)]
    pub token_auth_file: String,
    /// --max-requests-inflight and --max-mutating-requests-inflight: together the seats API
    /// Priority and Fairness shares among its priority levels.
    #[serde(default = "default_max_inflight")]
    pub max_requests_inflight: usize,
    #[serde(default = "default_max_mutating_inflight")]
    pub max_mutating_requests_inflight: usize,
    /// --event-ttl in seconds (1h): how long an Event is kept, through an etcd lease.
    #[serde(default = "default_event_ttl")]
    pub event_ttl_s: u64,
}

fn default_event_ttl() -> u64 {
    super::apiserver::DEFAULT_EVENT_TTL_S
}

fn default_max_inflight() -> usize {
    super::apiserver::DEFAULT_MAX_INFLIGHT.0
}

fn default_max_mutating_inflight() -> usize {
    super::apiserver::DEFAULT_MAX_INFLIGHT.1
}

fn yes() -> bool {
    true
}

impl Default for ApiServerFlags {
    fn default() -> Self {
        ApiServerFlags {
            enable_admission_plugins: vec!["NodeRestriction".into()],
            disable_admission_plugins: vec![],
            anonymous_auth: true,
            token_auth_file: String::new(),
            max_requests_inflight: default_max_inflight(),
            max_mutating_requests_inflight: default_max_mutating_inflight(),
            event_ttl_s: default_event_ttl(),
        }
    }
}

impl ApiServerFlags {
    fn is_default(&self) -> bool {
        *self == ApiServerFlags::default()
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_true(b: &bool) -> bool {
    *b
}

fn one() -> usize {
    1
}

fn is_no_members(n: &usize) -> bool {
    *n == 0
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

fn default_snapshot_count() -> u64 {
    super::etcd::DEFAULT_SNAPSHOT_COUNT
}

fn default_quota() -> usize {
    super::etcd::mvcc::DEFAULT_QUOTA_BYTES
}

fn default_pod_subnet() -> String {
    DEFAULT_POD_SUBNET.into()
}

fn is_default_pod_subnet(s: &str) -> bool {
    s == DEFAULT_POD_SUBNET
}

fn default_timing() -> String {
    "paper".into()
}

impl ClusterSpec {
    /// `n` workers (worker-1 … worker-n) shaped like the first one.
    pub fn set_workers(&mut self, n: usize) {
        if let Some(template) = self.workers.first().cloned() {
            self.workers = (1..=n).map(|i| NodeConfig { name: format!("worker-{i}"), ..template.clone() }).collect();
        }
    }

    pub fn timing(&self) -> Result<RaftTiming, String> {
        match self.raft_timing.as_str() {
            "paper" => Ok(PAPER_TIMING),
            "etcd" => Ok(ETCD_TIMING),
            other => Err(format!("unknown Raft timing \"{other}\" (paper, etcd)")),
        }
    }

    /// Checks the shape before building; the error reads like a kubeadm preflight message.
    /// kube-proxy's mode and IPVS scheduler (rr unless set).
    pub fn proxy_mode(&self) -> Result<crate::sim::proxy::ProxyMode, String> {
        let scheduler = if self.ipvs_scheduler.is_empty() { "rr" } else { self.ipvs_scheduler.as_str() };
        crate::sim::proxy::ProxyMode::parse(&self.proxy_mode, scheduler)
    }

    /// Whether kube-proxy watches v1 Endpoints instead of EndpointSlices.
    pub fn legacy_endpoints(&self) -> Result<bool, String> {
        match self.proxy_endpoints.as_str() {
            "" | "endpointslices" => Ok(false),
            "endpoints" => Ok(true),
            other => Err(format!("kube-proxy: unknown endpoints source \"{other}\" (endpointslices or endpoints)")),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        self.proxy_mode()?;
        http_version(&self.kubectl_http, "kubectl")?;
        http_version(&self.components_http, "the components")?;
        self.legacy_endpoints()?;
        if !(1..=7).contains(&self.etcd_members) {
            return Err(format!("etcd members must be between 1 and 7, got {}", self.etcd_members));
        }
        if self.events_etcd_members > 7 {
            return Err(format!("events etcd members must be between 0 and 7, got {}", self.events_etcd_members));
        }
        self.timing()?;
        if let Some(enc) = &self.encryption {
            enc.validate()?;
        }
        if !(1..=MAX_REPLICAS).contains(&self.leader_elected_replicas) {
            return Err(format!(
                "kube-scheduler and kube-controller-manager replicas must be between 1 and {MAX_REPLICAS}, got {}",
                self.leader_elected_replicas
            ));
        }
        if !(1..=MAX_APISERVERS).contains(&self.apiservers) {
            return Err(format!(
                "kube-apiserver replicas must be between 1 and {MAX_APISERVERS}, got {}",
                self.apiservers
            ));
        }
        if self.workers.len() > MAX_WORKERS {
            return Err(format!("at most {MAX_WORKERS} worker nodes in this build, got {}", self.workers.len()));
        }
        let subnet = Cidr::parse(&self.pod_subnet).map_err(|e| format!("podSubnet: {e}"))?;
        if subnet.node_cidrs() < 1 + self.workers.len() as u64 {
            return Err(format!(
                "podSubnet {} holds {} node CIDRs (/24), too few for {} nodes",
                self.pod_subnet,
                subnet.node_cidrs(),
                1 + self.workers.len()
            ));
        }
        let mut names: Vec<&str> = self.workers.iter().map(|w| w.name.as_str()).collect();
        names.push(&self.control_plane.name);
        super::sort::sort(&mut names);
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err("node names must be unique".into());
        }
        for n in self.workers.iter().chain(std::iter::once(&self.control_plane)) {
            if !super::apiserver::validation::is_dns1123_subdomain(&n.name) {
                return Err(format!("invalid node name \"{}\"", n.name));
            }
            quantity::parse_milli(&n.cpu).map_err(|e| format!("node {}: cpu: {e}", n.name))?;
            quantity::parse_value(&n.memory).map_err(|e| format!("node {}: memory: {e}", n.name))?;
        }
        Ok(())
    }
}

struct Builder {
    seed: u64,
    network: Network,
    components: Vec<Component>,
    infos: Vec<ComponentInfo>,
}

impl Builder {
    fn add(&mut self, name: &str, role: Role, host: u32, node: &str, c: Component) -> ComponentId {
        let id = self.components.len() as ComponentId;
        self.network.place(id, host);
        self.components.push(c);
        self.infos.push(ComponentInfo { name: name.into(), role, host, node: node.into(), start_at: SimTime::ZERO });
        id
    }
    fn rng(&self, label: &str) -> SimRng {
        fork(self.seed, label)
    }
}

pub fn build(spec: &ClusterSpec, seed: u64) -> Result<Simulation, String> {
    spec.validate()?;
    let mut b = Builder {
        seed,
        network: Network::new(spec.network.clone(), fork(seed, "network")),
        components: vec![],
        infos: vec![],
    };
    let cp = spec.control_plane.name.clone();
    let mut kubectl = UserClient::new(APISERVER);
    kubectl.set_http(http_version(&spec.kubectl_http, "kubectl")?);
    b.add("kubectl", Role::User, 0, "", Component::User(kubectl));
    let etcd0 = APISERVER + 1;
    let peers: Vec<ComponentId> = (0..spec.etcd_members).map(|i| etcd0 + i as ComponentId).collect();
    // The events etcd's members come right after the main cluster's.
    let events0 = etcd0 + spec.etcd_members as ComponentId;
    let events_peers: Vec<ComponentId> = (0..spec.events_etcd_members).map(|i| events0 + i as ComponentId).collect();
    let mut api = new_apiserver(spec, &peers, b.rng("kube-apiserver"))?;
    api.set_events_etcd(events_peers.clone());
    api.hostname = cp.clone();
    b.add("kube-apiserver", Role::ApiServer, 1, &cp, Component::ApiServer(Box::new(api)));
    let mut bootstrap = bootstrap_store(&mut fork(seed, "bootstrap"));
    if spec.cloud_controller_manager {
        let mut rng = fork(seed, "bootstrap-cloud");
        for obj in super::apiserver::bootstrap_policy::cloud_controller_manager() {
            put(&mut bootstrap, &mut rng, obj);
        }
    }
    if spec.cluster_dns {
        let mut rng = fork(seed, "bootstrap-dns");
        for obj in super::apiserver::bootstrap_policy::coredns() {
            put(&mut bootstrap, &mut rng, obj);
        }
    }
    if spec.csi_driver {
        let mut rng = fork(seed, "bootstrap-csi");
        for obj in super::apiserver::bootstrap_policy::csi_driver() {
            put(&mut bootstrap, &mut rng, obj);
        }
    }
    bootstrap.quota_bytes = spec.etcd_quota_bytes;
    for i in 0..spec.etcd_members {
        let name = format!("etcd-{i}");
        let member = etcd_member(spec, i, &peers, &bootstrap, b.rng(&name))?;
        // etcd-0 is stacked on the control-plane node; the others run on their own hosts.
        let (host, node) = if i == 0 { (1, cp.as_str()) } else { (ETCD_HOSTS + i as u32, "") };
        b.add(&name, Role::Etcd, host, node, Component::Etcd(Box::new(member)));
    }
    // The events etcd: a cluster of its own, on hosts of its own, empty at the start.
    let mut empty = Mvcc::default();
    empty.quota_bytes = spec.etcd_quota_bytes;
    for i in 0..spec.events_etcd_members {
        let name = format!("{EVENTS_ETCD}-{i}");
        let member = etcd_member(spec, i, &events_peers, &empty, b.rng(&name))?;
        b.add(&name, Role::Etcd, EVENTS_ETCD_HOSTS + i as u32, "", Component::Etcd(Box::new(member)));
    }
    // More kube-apiservers run on the other control-plane machines (the hosts the scheduler
    // and controller-manager replicas share), behind the control-plane load balancer.
    let mut apiservers = vec![APISERVER];
    for r in 2..=spec.apiservers {
        let name = format!("kube-apiserver-{r}");
        let mut api = new_apiserver(spec, &peers, b.rng(&name))?;
        api.set_events_etcd(events_peers.clone());
        api.advertise_address = super::addressing::control_plane_machine_ip(r);
        api.hostname = format!("control-plane-{r}");
        let id = b.add(&name, Role::ApiServer, REPLICA_HOSTS + r as u32, "", Component::ApiServer(Box::new(api)));
        apiservers.push(id);
    }
    // The apiserver of control-plane machine r (the local one, as kubeadm's kubeconfigs say).
    let local_apiserver = |r: usize| apiservers[(r - 1) % apiservers.len()];
    // The first replica of each runs on the control-plane node; more run on hosts of their own
    // (the other control-plane machines of an HA setup), as standbys until they win the Lease.
    for r in 1..=spec.leader_elected_replicas {
        let suffix = if r == 1 { String::new() } else { format!("-{r}") };
        let (host, node) = if r == 1 { (1, cp.clone()) } else { (REPLICA_HOSTS + r as u32, String::new()) };
        let hostname = if r == 1 { cp.clone() } else { format!("control-plane{suffix}") };
        let name = format!("kube-scheduler{suffix}");
        let mut sched = Scheduler::new(local_apiserver(r), &hostname, b.rng(&name));
        if let Some(config) = &spec.scheduler_config {
            sched.profiles =
                crate::sim::scheduler::config::parse(config).map_err(|e| format!("kube-scheduler --config: {e}"))?;
        }
        b.add(&name, Role::Scheduler, host, &node, Component::Scheduler(Box::new(sched)));
        let name = format!("kube-controller-manager{suffix}");
        let kcm = ControllerManager::new(local_apiserver(r), &spec.pod_subnet, &hostname, b.rng(&name));
        b.add(&name, Role::ControllerManager, host, &node, Component::ControllerManager(Box::new(kcm)));
    }
    let all_nodes = || std::iter::once(&spec.control_plane).chain(spec.workers.iter());
    if spec.cloud_controller_manager {
        let machines = all_nodes().map(|n| (n.name.clone(), n.cpu.clone(), n.memory.clone())).collect();
        let cloud = b.add(
            "cloud provider API",
            Role::Cloud,
            CLOUD_HOST,
            "",
            Component::Cloud(Box::new(CloudProvider::new(machines, b.rng("cloud")))),
        );
        let ccm = CloudControllerManager::new(APISERVER, cloud, &cp, b.rng("cloud-controller-manager"));
        b.add(
            "cloud-controller-manager",
            Role::CloudControllerManager,
            1,
            &cp,
            Component::CloudControllerManager(Box::new(ccm)),
        );
    }
    let pod_subnet = Cidr::parse(&spec.pod_subnet)?;
    let proxy_mode = spec.proxy_mode()?;
    let legacy_endpoints = spec.legacy_endpoints()?;
    let n = spec.workers.len().max(1);
    for (i, node) in all_nodes().enumerate() {
        let host = 1 + i as u32;
        let rng = b.rng(&format!("kubelet/{}", node.name));
        let mut node = node.clone();
        if spec.cloud_controller_manager {
            // kubelet --cloud-provider=external registers the node tainted until initialised.
            node.taints.push(Taint {
                key: crate::sim::cloudcontroller::node::UNINITIALIZED_TAINT.into(),
                value: "true".into(),
                effect: "NoSchedule".into(),
                time_added: None,
            });
        }
        let node = &node;
        // The load balancer spreads the nodes' connections over the apiservers.
        let apiserver = apiservers[i % apiservers.len()];
        let kubelet = Kubelet::new(apiserver, node.clone(), i as u32, pod_subnet, rng);
        b.add(
            &format!("kubelet/{}", node.name),
            Role::Kubelet,
            host,
            &node.name,
            Component::Kubelet(Box::new(kubelet)),
        );
        b.add(
            &format!("kube-proxy/{}", node.name),
            Role::KubeProxy,
            host,
            &node.name,
            Component::KubeProxy(Box::new(KubeProxy::new(
                apiserver,
                &node.name,
                &node_ip(i as u32),
                &spec.pod_subnet,
                proxy_mode.clone(),
                legacy_endpoints,
                b.rng(&format!("kube-proxy/{}", node.name)),
            ))),
        );
        // Worker k of n boots at (k-1)/n of the join spread; the control plane (i = 0) at once.
        let joins = SimTime(spec.node_join_spread_s * super::time::SECONDS * i.saturating_sub(1) as u64 / n as u64);
        for info in b.infos.iter_mut().rev().take(2) {
            info.start_at = joins;
        }
    }
    let components_http = http_version(&spec.components_http, "the components")?;
    for c in &mut b.components {
        if apiservers.len() > 1 {
            c.set_backends(&apiservers);
        }
        c.set_http(components_http);
        for inf in c.informers() {
            inf.list_period_us = spec.informer_list_period_s * super::time::SECONDS;
        }
    }
    wire_node_networks(&mut b.components);
    // Every apiserver reaches every kubelet at its node's address (logs, exec, webhook pods),
    // whichever apiserver the node's own connection went to.
    let kubelets: Vec<(String, ComponentId)> = b
        .infos
        .iter()
        .enumerate()
        .filter(|(_, i)| i.role == Role::Kubelet)
        .map(|(id, i)| (i.node.clone(), id as ComponentId))
        .collect();
    for c in &mut b.components {
        if let Component::ApiServer(api) = c {
            api.reach_kubelets(&kubelets);
        }
    }
    Ok(Simulation::from_parts(seed, b.network, b.components, b.infos))
}

/// Member `i` of an etcd cluster, starting from `store`, with the cluster's Raft timing, disk
/// and snapshot settings.
fn etcd_member(
    spec: &ClusterSpec,
    i: usize,
    peers: &[ComponentId],
    store: &Mvcc,
    rng: SimRng,
) -> Result<EtcdMember, String> {
    let mut member = EtcdMember::new(i, peers.to_vec(), spec.timing()?, spec.etcd_fsync_us, rng, store);
    member.snapshot_count = spec.etcd_snapshot_count.max(1);
    Ok(member)
}

/// One kube-apiserver with the cluster's flags.
fn new_apiserver(spec: &ClusterSpec, etcd: &[ComponentId], rng: SimRng) -> Result<ApiServer, String> {
    let mut api = ApiServer::new(etcd.to_vec(), rng);
    api.encryption = spec.encryption.clone();
    let flags = &spec.apiserver;
    api.admission = Chain::new(&flags.enable_admission_plugins, &flags.disable_admission_plugins)?;
    api.authn.anonymous = flags.anonymous_auth;
    api.authn.static_tokens = parse_token_file(&flags.token_auth_file)?;
    api.max_inflight = (flags.max_requests_inflight, flags.max_mutating_requests_inflight);
    api.event_ttl_s = flags.event_ttl_s;
    api.flow = FlowControl::new(flags.max_requests_inflight + flags.max_mutating_requests_inflight);
    Ok(api)
}

/// Each node's kube-proxy learns every kubelet (by node order, as the pod CIDRs go) and each
/// kubelet its node's kube-proxy: the data plane's paths between pods.
fn wire_node_networks(components: &mut [Component]) {
    let ids = |is: fn(&Component) -> bool| -> Vec<ComponentId> {
        components.iter().enumerate().filter(|(_, c)| is(c)).map(|(i, _)| i as ComponentId).collect()
    };
    let kubelets = ids(|c| matches!(c, Component::Kubelet(_)));
    let proxies = ids(|c| matches!(c, Component::KubeProxy(_)));
    for (k, p) in kubelets.iter().zip(&proxies) {
        if let Some(Component::Kubelet(kubelet)) = components.get_mut(*k as usize) {
            kubelet.proxy = Some(*p);
        }
    }
    let shared: std::sync::Arc<[ComponentId]> = kubelets.into();
    for c in components.iter_mut() {
        if let Component::KubeProxy(proxy) = c {
            proxy.kubelets = shared.clone();
        }
    }
}

fn put(store: &mut Mvcc, rng: &mut SimRng, mut obj: Object) {
    super::apiserver::registry::default_object(&mut obj);
    let res = ResourceInfo::by_kind(obj.kind()).expect("bootstrap objects are in the resource table");
    let m = obj.meta_mut();
    m.uid = new_uid(rng);
    m.creation_timestamp = Time::at(SimTime::ZERO);
    let key = res.key(&m.namespace, &m.name);
    store.txn(&Txn {
        key: key.into(),
        compare: Compare::Absent,
        action: TxnAction::Put(super::storage::encode(&obj)),
        lease: 0,
    });
}

/// The control-plane node's InternalIP, where kube-apiserver listens (6443).
pub const APISERVER_ADDRESS: &str = "10.0.0.10";

/// What `kubeadm init` and the apiserver's bootstrap hooks leave in etcd.
fn bootstrap_store(rng: &mut SimRng) -> Mvcc {
    let mut s = Mvcc::default();
    for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
        let n = Namespace {
            metadata: ObjectMeta::named("", ns),
            spec: NamespaceSpec { finalizers: vec![NAMESPACE_FINALIZER.into()] },
            status: NamespaceStatus { phase: "Active".into() },
        };
        put(&mut s, rng, Object::Namespace(n));
        // What the serviceaccount controller creates within a second of starting.
        put(&mut s, rng, Object::ServiceAccount(ServiceAccount { metadata: ObjectMeta::named(ns, "default") }));
    }
    // The apiserver's own Service, first address of the service CIDR.
    let mut meta = ObjectMeta::named("default", "kubernetes");
    meta.labels = [("component".to_string(), "apiserver".to_string()), ("provider".into(), "kubernetes".into())].into();
    let port = ServicePort { name: "https".into(), port: 443, target_port: 6443, protocol: "TCP".into(), node_port: 0 };
    let spec = ServiceSpec {
        ports: vec![port],
        cluster_ip: "10.96.0.1".into(),
        type_: "ClusterIP".into(),
        ..Default::default()
    };
    put(&mut s, rng, Object::Service(Service { metadata: meta, spec, status: Default::default() }));
    // Its EndpointSlice, as the apiserver's endpoint reconciler writes it: the apiserver on
    // the control-plane node (the first node's InternalIP), port 6443.
    let mut meta = ObjectMeta::named("default", "kubernetes");
    meta.labels = [("kubernetes.io/service-name".to_string(), "kubernetes".to_string())].into();
    let endpoint = Endpoint {
        addresses: vec![APISERVER_ADDRESS.into()],
        conditions: EndpointConditions { ready: Some(true), ..Default::default() },
        ..Default::default()
    };
    let port = EndpointPort { name: "https".into(), port: 6443, protocol: "TCP".into() };
    let slice =
        EndpointSlice { metadata: meta, address_type: "IPv4".into(), endpoints: vec![endpoint], ports: vec![port] };
    put(&mut s, rng, Object::EndpointSlice(slice));
    // …and the legacy Endpoints beside it.
    let address = EndpointAddress { ip: APISERVER_ADDRESS.into(), ..Default::default() };
    let port = EndpointPort { name: "https".into(), port: 6443, protocol: "TCP".into() };
    let subset = EndpointSubset { addresses: vec![address], ports: vec![port], ..Default::default() };
    let ep = Endpoints { metadata: ObjectMeta::named("default", "kubernetes"), subsets: vec![subset] };
    put(&mut s, rng, Object::Endpoints(ep));
    for obj in super::apiserver::bootstrap_policy::objects() {
        put(&mut s, rng, obj);
    }
    // The scheduling bootstrap hook's two system PriorityClasses.
    for (name, value, description) in [
        ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ] {
        let pc = PriorityClass { metadata: ObjectMeta::named("", name), value, description: description.into(), ..Default::default() };
        put(&mut s, rng, Object::PriorityClass(pc));
    }
    s
}

impl Simulation {
    /// Hands a request to the user's kubectl, which sends it now. Returns a handle.
    pub fn submit(&mut self, req: ApiRequest) -> u64 {
        self.submit_as(req, None)
    }

    /// Like `submit`, with another credential than the admin certificate (`--token`).
    pub fn submit_as(&mut self, req: ApiRequest, cred: Option<Credential>) -> u64 {
        self.next_handle += 1;
        let handle = self.next_handle;
        if let Some(Component::User(u)) = self.components.get_mut(USER as usize) {
            u.queue(handle, req, cred);
        }
        self.inject(USER, Timer::Work);
        handle
    }

    /// A connection from the laptop to `dst` (`ip:port`): a node's address (a NodePort, say),
    /// through that node's rules, or a load balancer's, which forwards it to the Service's
    /// NodePort on one of the nodes in turn — with externalTrafficPolicy Local only to those
    /// whose health check passes (they have a local endpoint). Its answer comes to
    /// `take_packet_reply`. None when no node or load balancer has that address.
    pub fn connect_from_laptop(&mut self, dst: &str, path: &str) -> Option<u64> {
        let dst = match self.through_load_balancer(dst) {
            Some(node_port) => node_port,
            // Otherwise only a node's NodePort range is served from outside.
            None => {
                let port = dst.rsplit_once(':').and_then(|(_, p)| p.parse::<i32>().ok());
                port.filter(|p| (30_000..=32_767).contains(p))?;
                dst.to_string()
            }
        };
        let ip = dst.rsplit_once(':').map_or(dst.as_str(), |(ip, _)| ip);
        let proxy = self.components.iter().position(|c| matches!(c, Component::KubeProxy(p) if p.node_ip() == ip))?;
        self.next_handle += 1;
        let handle = self.next_handle;
        if let Some(Component::User(u)) = self.components.get_mut(USER as usize) {
            u.queue_packet(handle, proxy as ComponentId, &dst, path);
        }
        self.inject(USER, Timer::Work);
        Some(handle)
    }

    /// The node address and NodePort a load balancer at `dst` sends this connection to.
    fn through_load_balancer(&self, dst: &str) -> Option<String> {
        let (ip, port) = dst.rsplit_once(':')?;
        let port: i32 = port.parse().ok()?;
        let svc = self.apiserver()?.cached().find_map(|o| match o {
            Object::Service(s) if s.status.load_balancer.ingress.iter().any(|i| i.ip == ip) => Some(s),
            _ => None,
        })?;
        let node_port = svc.spec.ports.iter().find(|p| p.port == port)?.node_port;
        let local = svc.spec.external_traffic_policy == "Local";
        // The nodes the cloud put behind it (the service controller leaves out the control plane).
        let backends = self.components.iter().find_map(|c| match c {
            Component::Cloud(cloud) => cloud.load_balancers.values().find(|lb| lb.ip == ip).map(|lb| lb.nodes.clone()),
            _ => None,
        })?;
        let healthy: Vec<&str> = self
            .components
            .iter()
            .filter_map(|c| match c {
                Component::KubeProxy(p) if backends.contains(&p.node) && (!local || p.serves_locally(node_port)) => {
                    Some(p.node_ip())
                }
                _ => None,
            })
            .collect();
        let node = healthy.get(self.next_handle as usize % healthy.len().max(1))?;
        Some(format!("{node}:{node_port}"))
    }

    pub fn take_packet_reply(&mut self, handle: u64) -> Option<Result<(u16, String), String>> {
        match self.components.get_mut(USER as usize) {
            Some(Component::User(u)) => u.packet_replies.remove(&handle),
            _ => None,
        }
    }

    /// The watch events that arrived for a `submit`ted watch since the last call.
    pub fn take_watch_events(&mut self, handle: u64) -> Vec<WatchEvent> {
        match self.components.get_mut(USER as usize) {
            Some(Component::User(u)) => u.watch_events.remove(&handle).unwrap_or_default(),
            _ => vec![],
        }
    }

    /// Closes a `submit`ted watch.
    pub fn cancel_watch(&mut self, handle: u64) {
        if let Some(Component::User(u)) = self.components.get_mut(USER as usize) {
            u.cancel(handle);
        }
        self.inject(USER, Timer::Work);
    }

    /// The connection a node's kube-proxy routed last (the latest across nodes), with that
    /// proxy, for the network view.
    pub fn last_routed(&self) -> Option<(&crate::sim::proxy::KubeProxy, &crate::sim::proxy::Routed)> {
        self.components
            .iter()
            .filter_map(|c| match c {
                Component::KubeProxy(p) => p.last_routed.as_ref().map(|r| (p.as_ref(), r)),
                _ => None,
            })
            .max_by_key(|(_, r)| r.at)
    }

    /// Connections routed by every node's kube-proxy so far.
    pub fn packets_routed(&self) -> u64 {
        self.components.iter().map(|c| if let Component::KubeProxy(p) = c { p.routed } else { 0 }).sum()
    }

    /// kube-apiserver, for the views and tools that read it.
    pub fn apiserver(&self) -> Option<&ApiServer> {
        match self.components.get(APISERVER as usize) {
            Some(Component::ApiServer(a)) => Some(a),
            _ => None,
        }
    }

    /// The user's kubeconfig (`kubectl config`).
    pub fn kubeconfig(&mut self) -> Option<&mut super::user::Kubeconfig> {
        match self.components.get_mut(USER as usize) {
            Some(Component::User(u)) => Some(&mut u.kubeconfig),
            _ => None,
        }
    }

    /// The custom resources kube-apiserver serves: kubectl's discovery cache. (Read directly;
    /// real kubectl fetches /apis.)
    pub fn discovery(&self) -> Vec<&'static ResourceInfo> {
        self.apiserver().map(|a| a.custom.clone()).unwrap_or_default()
    }

    /// The answer to a submitted request, once it has arrived.
    pub fn take_response(&mut self, handle: u64) -> Option<ApiResponse> {
        match self.components.get_mut(USER as usize) {
            Some(Component::User(u)) => u.responses.remove(&handle),
            _ => None,
        }
    }
}
