//! kube-proxy: watches Services and EndpointSlices and syncs the node's rules as upstream's
//! BoundedFrequencyRunner paces it — a change syncs at once unless the last sync was less
//! than --iptables-min-sync-period (1 s; IPVS 0 s) ago, then when that period is over; and
//! every --sync-period (30 s) anyway. A sync writes, for every service port, the endpoints this node sends traffic to (see
//! [`topology`]), programmed as the nat table ([`iptables`] mode, `ssh NODE iptables-save -t
//! nat`) or as IPVS virtual servers ([`ipvs`] mode, `ssh NODE ipvsadm -Ln`).
//! Pods' connections cross this component as they would cross the node's kernel: each is
//! routed by the rules as last synced ([`route`]) — so a stale rule set keeps sending traffic
//! where it did, and with the control plane down traffic still flows.
//! Not modelled yet: conntrack reuse of a connection, partial syncs.

pub mod iptables;
pub mod ipvs;
pub mod route;
pub mod topology;
pub mod walk;

use super::addressing::Cidr;
use super::api::request::{Credential, FieldSelector};
use super::api::resource::ResourceInfo;
use super::api::Object;
use super::client::{bookmark, rewatch_later, started, watch_failed, ApiClient, Informer};
use super::event::{ComponentId, Message, MsgKind, Packet, PacketReply, Payload, Timer};
use super::rng::SimRng;
use super::Ctx;
use std::collections::BTreeMap;

/// --iptables-min-sync-period (IPVS mode: --ipvs-min-sync-period, 0) and --sync-period.
const IPTABLES_MIN_SYNC_US: u64 = 1_000_000;
const SYNC_PERIOD_US: u64 = 30_000_000;
/// How long a client waits for a dropped connection before giving up (busybox wget's
/// default --timeout, 3 s on its connect).
const DROPPED_TIMEOUT_US: u64 = 3_000_000;
/// The handler's own moment between a watch event and the sync it triggers.
const SYNC_DELAY_US: u64 = 1_000;

/// --proxy-mode, and the IPVS scheduler (--ipvs-scheduler).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyMode {
    Iptables,
    Ipvs { scheduler: String },
}

impl ProxyMode {
    /// --proxy-mode's value.
    pub fn name(&self) -> &'static str {
        match self {
            ProxyMode::Iptables => "iptables",
            ProxyMode::Ipvs { .. } => "ipvs",
        }
    }

    /// The scenario's `proxy_mode` and `ipvs_scheduler`, checked as kube-proxy checks them.
    pub fn parse(mode: &str, scheduler: &str) -> Result<ProxyMode, String> {
        const SCHEDULERS: [&str; 11] = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh"];
        match mode {
            "" | "iptables" => Ok(ProxyMode::Iptables),
            "ipvs" if SCHEDULERS.contains(&scheduler) => Ok(ProxyMode::Ipvs { scheduler: scheduler.into() }),
            "ipvs" => Err(format!("kube-proxy: invalid value \"{scheduler}\" for ipvs.scheduler")),
            "nftables" => Err("kube-proxy: mode \"nftables\" is not modelled here (iptables or ipvs)".into()),
            other => Err(format!(
                "kube-proxy: KubeProxyConfiguration.mode: Unsupported value: \"{other}\": supported values: \"iptables\", \"ipvs\", \"nftables\""
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct KubeProxy {
    pub mode: ProxyMode,
    /// The node's InternalIP: where NodePorts are served.
    node_ip: String,
    pub(crate) client: ApiClient<()>,
    /// The node it runs on (endpoints there are local).
    pub node: String,
    /// --cluster-cidr: traffic from outside the pod network is masqueraded; its /24s say
    /// which node a pod IP lives on.
    cluster_cidr: String,
    pod_subnet: Option<Cidr>,
    pub services: Informer,
    /// EndpointSlices — or, in the legacy mode before Kubernetes 1.19, v1 Endpoints: one object
    /// per Service with every address, rewritten and sent to every node on each change.
    pub endpoints: Informer,
    /// Its own Node (metadata.name): the zone label topology-aware routing keys on.
    pub own_node: Informer,
    pub rules_synced: u64,
    /// When the next sync is due (a change's, or the periodic one).
    sync_due: Option<crate::sim::time::SimTime>,
    sync_duration: crate::sim::metrics::Histogram,
    /// Endpoint changes not yet synced: their EndpointSlices' last-change-trigger-time.
    pending_triggers: Vec<crate::sim::time::SimTime>,
    /// From a trigger to the rules that carry it (the network programming SLI).
    programming: crate::sim::metrics::Histogram,
    last_sync: crate::sim::time::SimTime,
    nat_rules: usize,
    /// The service ports as of the last sync: what the kernel routes by.
    synced: Vec<iptables::ServicePort>,
    /// What the node's kernel keeps for routing: statistic's randomness, IPVS turns,
    /// affinity lists.
    kernel: route::Kernel,
    /// Each node's kubelet, by node index (the pod subnet's /24 order), to hand a connection
    /// to the node that has its pod (one list shared by every node's kube-proxy).
    pub kubelets: std::sync::Arc<[ComponentId]>,
    /// The last connection routed here, for the network view.
    pub last_routed: Option<Routed>,
    /// Connections routed here so far.
    pub routed: u64,
}

/// One connection's first packet as this node's kernel routed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Routed {
    pub at: crate::sim::time::SimTime,
    pub src: String,
    pub dst: String,
    pub path: String,
    /// A DNS query (over UDP): the name asked.
    pub dns: Option<String>,
    pub route: route::Route,
}

impl KubeProxy {
    pub fn new(
        apiserver: ComponentId,
        node: &str,
        node_ip: &str,
        cluster_cidr: &str,
        mode: ProxyMode,
        legacy_endpoints: bool,
        rng: SimRng,
    ) -> Self {
        let cred = Credential::ClientCert { common_name: "system:kube-proxy".into(), organizations: vec![] };
        KubeProxy {
            mode,
            node_ip: node_ip.to_string(),
            client: ApiClient::new(apiserver, cred),
            node: node.to_string(),
            cluster_cidr: cluster_cidr.to_string(),
            pod_subnet: Cidr::parse(cluster_cidr).ok(),
            services: Informer::new(ResourceInfo::of("services"), None),
            endpoints: Informer::new(
                ResourceInfo::of(if legacy_endpoints { "endpoints" } else { "endpointslices" }),
                None,
            ),
            own_node: Informer::new(ResourceInfo::of("nodes"), Some(FieldSelector::equals("metadata.name", node))),
            rules_synced: 0,
            sync_due: None,
            // The sync duration buckets: ExponentialBuckets(0.001, 2, 15).
            sync_duration: crate::sim::metrics::Histogram::exponential(0.001, 2.0, 15),
            pending_triggers: Vec::new(),
            // 0.25 s, 0.5 s, then 1–59 s, 60–115 s by 5, 2–5 min by 30 s.
            programming: crate::sim::metrics::Histogram::linear(&[
                (0.25, 0.25, 2),
                (1.0, 1.0, 59),
                (60.0, 5.0, 12),
                (120.0, 30.0, 7),
            ]),
            last_sync: crate::sim::time::SimTime::ZERO,
            nat_rules: 0,
            synced: Vec::new(),
            last_routed: None,
            routed: 0,
            kernel: route::Kernel::new(rng),
            kubelets: std::sync::Arc::from(Vec::new()),
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::Start => {
                for inf in [&mut self.services, &mut self.endpoints, &mut self.own_node] {
                    inf.start(ctx, &mut self.client, ());
                }
            }
            Timer::Rewatch { resource } => {
                for inf in [&mut self.services, &mut self.endpoints, &mut self.own_node] {
                    if inf.resource.plural == resource && inf.watch_id.is_none() {
                        inf.start(ctx, &mut self.client, ());
                    }
                }
            }
            // A timer for a sync since moved earlier (and done) is stale.
            Timer::Work if self.sync_due.is_some_and(|due| ctx.now < due) => {}
            Timer::Work => {
                self.sync_due = Some(ctx.now.plus(SYNC_PERIOD_US));
                ctx.timer(SYNC_PERIOD_US, Timer::Work);
                self.rules_synced += 1;
                let ports = self.service_ports();
                let endpoints: usize = ports.iter().map(|p| p.endpoints.len()).sum();
                let (rules, cost_us, detail) = match &self.mode {
                    ProxyMode::Iptables => {
                        let rules = iptables::rule_count(&ports);
                        let detail = format!(
                            "iptables: {} service port(s), {endpoints} endpoint(s), {rules} nat rules",
                            ports.len()
                        );
                        // iptables-restore's time grows with the rules written: a modelled cost.
                        (rules, 2_000 + 10 * rules as u64, detail)
                    }
                    ProxyMode::Ipvs { .. } => {
                        let (virtuals, reals) = ipvs::counts(&ports);
                        let detail = format!("ipvs: {virtuals} virtual server(s), {reals} real server(s)");
                        // Netlink updates per server; the few iptables rules stay.
                        (ipvs::NAT_RULES, 2_000 + 5 * (virtuals + reals) as u64, detail)
                    }
                };
                self.sync_duration.observe(cost_us as f64 / 1e6);
                // The rules are in place once the sync is done.
                let programmed = ctx.now.plus(cost_us);
                for t in std::mem::take(&mut self.pending_triggers) {
                    self.programming.observe(programmed.since(t) as f64 / 1e6);
                }
                self.last_sync = ctx.now;
                self.nat_rules = rules;
                self.synced = ports;
                ctx.phase("syncProxyRules", detail);
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if self.client.on_transport(ctx, &msg.payload) {
            return;
        }
        let changed = match msg.payload {
            Payload::Packet(p) => return self.forward(ctx, *p),
            Payload::ApiResp { req_id, resp } => match (self.client.complete(ctx, req_id, &resp), *resp) {
                (Some(()), Ok(body)) => {
                    match self.informers().into_iter().find(|i| i.watch_id == Some(req_id)) {
                        Some(inf) => started(ctx, inf, body),
                        None => return,
                    };
                    true
                }
                (Some(()), Err(s)) => {
                    watch_failed(ctx, &mut self.informers(), req_id, &s);
                    false
                }
                _ => false,
            },
            Payload::WatchClosed { watch_id } => {
                rewatch_later(ctx, &mut self.informers(), watch_id);
                false
            }
            Payload::Bookmark { watch_id, revision } => {
                bookmark(&mut self.informers(), watch_id, revision);
                false
            }
            Payload::Watch(ev) => {
                let slice = self.endpoints.apply(&ev).is_some();
                if slice {
                    let trigger =
                        ev.object.meta().annotations.get(super::controller::endpointslice::LAST_CHANGE_TRIGGER_TIME);
                    if let Some(t) = trigger.and_then(|t| crate::sim::time::parse_rfc3339(t).ok()) {
                        self.pending_triggers.push(t);
                    }
                }
                slice || self.services.apply(&ev).is_some() || self.own_node.apply(&ev).is_some()
            }
            _ => false,
        };
        if changed {
            self.schedule_sync(ctx);
        }
    }
}

impl KubeProxy {
    pub fn informers(&mut self) -> [&mut Informer; 3] {
        [&mut self.services, &mut self.endpoints, &mut self.own_node]
    }

    /// Whether this node would pass a load balancer's health check for a Local NodePort: its
    /// rules have local endpoints for it (kube-proxy's healthCheckNodePort answers 200).
    pub fn serves_locally(&self, node_port: i32) -> bool {
        self.synced.iter().any(|p| p.node_port == Some(node_port) && !p.local_endpoints.is_empty())
    }

    /// The node's InternalIP.
    pub fn node_ip(&self) -> &str {
        &self.node_ip
    }

    /// A change asks for a sync: now (after the handler's moment), or when the minimum
    /// period since the last sync is over — unless one is due sooner.
    fn schedule_sync(&mut self, ctx: &mut Ctx) {
        let min = match self.mode {
            ProxyMode::Iptables => IPTABLES_MIN_SYNC_US,
            ProxyMode::Ipvs { .. } => 0,
        };
        let first = self.rules_synced == 0;
        let at = ctx.now.plus(SYNC_DELAY_US).max(if first { ctx.now } else { self.last_sync.plus(min) });
        // A due time already past lost its timer (the process restarted): set a new one.
        if self.sync_due.is_none_or(|due| at < due || due < ctx.now) {
            self.sync_due = Some(at);
            ctx.timer(at.since(ctx.now), Timer::Work);
        }
    }

    /// A connection from a pod on this node, through the rules as synced: on to the node of
    /// the pod they chose, or refused back to the client.
    fn forward(&mut self, ctx: &mut Ctx, mut packet: Packet) {
        let protocol = if packet.dns.is_some() { "udp" } else { "tcp" };
        let conn = route::Connection { src: &packet.src, dst: &packet.dst, protocol };
        let picked = self.kernel.route(&self.synced, &self.mode, (&self.node_ip, self.pod_subnet), &conn, ctx.now);
        self.routed += 1;
        self.last_routed = Some(Routed {
            at: ctx.now,
            src: packet.src.clone(),
            dst: packet.dst.clone(),
            path: packet.path.clone(),
            dns: packet.dns.as_ref().map(|(name, _)| name.clone()),
            route: picked.clone(),
        });
        match picked {
            route::Route::To { endpoint, via } => {
                ctx.phase("route", format!("{} {via}", packet.dst));
                let ip = endpoint.rsplit_once(':').map_or(endpoint.as_str(), |(ip, _)| ip);
                match self.kubelet_for(ip) {
                    Some(kubelet) => {
                        packet.to = endpoint;
                        let label = format!("GET {}", packet.path);
                        ctx.send(kubelet, MsgKind::Traffic, label, Payload::Packet(Box::new(packet)));
                    }
                    None => self.refuse(ctx, &packet, "No route to host"),
                }
            }
            route::Route::Reject { via } => {
                ctx.phase("route", format!("{} {via}", packet.dst));
                self.refuse(ctx, &packet, "Connection refused");
            }
            route::Route::Drop { via } => {
                // Nothing answers: the client gives up after its own timeout.
                ctx.phase("route", format!("{} {via}", packet.dst));
                let reply = PacketReply { id: packet.id, result: Err("download timed out".into()) };
                let payload = Payload::PacketReply(Box::new(reply));
                ctx.send_after(DROPPED_TIMEOUT_US, packet.client, MsgKind::Traffic, "(dropped: no answer)", payload);
            }
        }
    }

    fn refuse(&self, ctx: &mut Ctx, packet: &Packet, why: &str) {
        let reply = PacketReply { id: packet.id, result: Err(why.into()) };
        ctx.send(packet.client, MsgKind::Traffic, "RST", Payload::PacketReply(Box::new(reply)));
    }

    /// The kubelet of the node whose pod CIDR holds `ip`.
    fn kubelet_for(&self, ip: &str) -> Option<ComponentId> {
        let addr = u32::from(ip.parse::<std::net::Ipv4Addr>().ok()?);
        let index = addr.checked_sub(self.pod_subnet?.node_network(0))? >> 8;
        self.kubelets.get(index as usize).copied()
    }

    /// Every service port with the endpoints this node sends its traffic to.
    pub fn service_ports(&self) -> Vec<iptables::ServicePort> {
        let mut by_service: BTreeMap<String, Vec<&super::api::EndpointSlice>> = BTreeMap::new();
        for o in self.endpoints.objects() {
            if let Object::EndpointSlice(es) = o {
                if let Some(svc) = es.metadata.labels.get("kubernetes.io/service-name") {
                    by_service.entry(format!("{}/{svc}", es.metadata.namespace)).or_default().push(es);
                }
            }
        }
        let node_labels = self.own_node.objects().next().map(|n| n.meta().labels.clone()).unwrap_or_default();
        let mut out = Vec::new();
        for o in self.services.objects() {
            let Object::Service(svc) = o else { continue };
            if svc.spec.cluster_ip.is_empty() || svc.spec.cluster_ip == "None" {
                continue;
            }
            let key = format!("{}/{}", svc.metadata.namespace, svc.metadata.name);
            let slices = by_service.get(&key).cloned().unwrap_or_default();
            let legacy = match self.endpoints.get(&key) {
                Some(Object::Endpoints(ep)) => Some(ep),
                _ => None,
            };
            for port in &svc.spec.ports {
                let mut eps: Vec<topology::Endpoint> = slices
                    .iter()
                    .flat_map(|es| es.endpoints.iter().map(move |e| (es, e)))
                    .filter_map(|(es, e)| {
                        let target = es.ports.iter().find(|p| p.name == port.name)?;
                        let c = &e.conditions;
                        Some(topology::Endpoint {
                            addr: format!("{}:{}", e.addresses.first()?, target.port),
                            ready: c.ready.unwrap_or(true),
                            serving: c.serving.unwrap_or(true),
                            terminating: c.terminating.unwrap_or(false),
                            local: e.node_name == self.node,
                            zone_hints: e
                                .hints
                                .as_ref()
                                .map(|h| h.for_zones.iter().map(|z| z.name.clone()).collect())
                                .unwrap_or_default(),
                        })
                    })
                    .collect();
                // v1 Endpoints know ready and not-ready addresses only (no terminating, no hints).
                for subset in legacy.iter().flat_map(|ep| &ep.subsets) {
                    let Some(target) = subset.ports.iter().find(|p| p.name == port.name) else { continue };
                    let ready = subset.addresses.iter().map(|a| (a, true));
                    for (a, ready) in ready.chain(subset.not_ready_addresses.iter().map(|a| (a, false))) {
                        eps.push(topology::Endpoint {
                            addr: format!("{}:{}", a.ip, target.port),
                            ready,
                            serving: ready,
                            local: a.node_name == self.node,
                            ..Default::default()
                        });
                    }
                }
                let spec = &svc.spec;
                let policy = topology::Policy {
                    internal_local: spec.internal_traffic_policy == "Local",
                    external_local: spec.external_traffic_policy == "Local",
                    externally_accessible: port.node_port != 0,
                    topology: spec.prefers_close(&svc.metadata.annotations),
                };
                let picked = topology::categorize(&eps, &policy, &node_labels);
                let addrs = |eps: Option<Vec<topology::Endpoint>>| {
                    let mut addrs: Vec<String> = eps.unwrap_or_default().into_iter().map(|e| e.addr).collect();
                    super::sort::sort(&mut addrs);
                    addrs
                };
                let name = if port.name.is_empty() { key.clone() } else { format!("{key}:{}", port.name) };
                let protocol = if port.protocol.is_empty() { "tcp".into() } else { port.protocol.to_ascii_lowercase() };
                let affinity_seconds = (spec.session_affinity == "ClientIP").then(|| {
                    let timeout = spec.session_affinity_config.as_ref().map_or(0, |c| c.client_ip.timeout_seconds);
                    if timeout > 0 {
                        timeout
                    } else {
                        super::apiserver::registry::DEFAULT_CLIENT_IP_TIMEOUT_SECONDS
                    }
                });
                out.push(iptables::ServicePort {
                    name,
                    cluster_ip: spec.cluster_ip.clone(),
                    port: port.port,
                    protocol,
                    endpoints: addrs(picked.cluster),
                    local_endpoints: addrs(picked.local),
                    has_endpoints: picked.has_any,
                    node_port: (port.node_port != 0).then_some(port.node_port),
                    internal_local: policy.internal_local,
                    external_local: policy.external_local,
                    affinity_seconds,
                });
            }
        }
        out
    }

    /// kube-proxy's /metrics (port 10249).
    pub fn metrics_text(&self) -> String {
        let mut e = crate::sim::metrics::Exposition::default();
        e.histograms(
            "kubeproxy_sync_proxy_rules_duration_seconds",
            "SyncProxyRules latency in seconds",
            &[(vec![], &self.sync_duration)],
        );
        let unix = crate::sim::time::unix_nanos(self.last_sync) as f64 / 1e9;
        e.histograms(
            "kubeproxy_network_programming_duration_seconds",
            "In Cluster Network Programming Latency in seconds",
            &[(vec![], &self.programming)],
        );
        e.gauge(
            "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
            "The last time proxy rules were successfully synced",
            unix,
        );
        e.labelled(
            "kubeproxy_sync_proxy_rules_iptables_total",
            "Total number of iptables rules owned by kube-proxy",
            "gauge",
            &[(vec![("table", "nat")], self.nat_rules as f64)],
        );
        e.finish()
    }

    /// `iptables-save -t nat` on this node: the rules as last synced.
    pub fn iptables_save(&self) -> String {
        match self.mode {
            ProxyMode::Iptables => iptables::render_nat(&self.synced, &self.cluster_cidr),
            ProxyMode::Ipvs { .. } => ipvs::render_nat(&self.cluster_cidr),
        }
    }

    /// `ipvsadm -Ln` on this node (no virtual servers in iptables mode).
    pub fn ipvsadm(&self) -> String {
        match &self.mode {
            ProxyMode::Iptables => ipvs::render_ipvsadm(&[], "rr", &self.node_ip),
            ProxyMode::Ipvs { scheduler } => ipvs::render_ipvsadm(&self.synced, scheduler, &self.node_ip),
        }
    }

    /// The chain walk of a connection routed here (the network view), through the rules as
    /// synced now.
    pub fn walk(&self, r: &Routed) -> Vec<walk::Line> {
        let ipvsadm = match self.mode {
            ProxyMode::Iptables => String::new(),
            ProxyMode::Ipvs { .. } => self.ipvsadm(),
        };
        let protocol = if r.dns.is_some() { "udp" } else { "tcp" };
        let conn = route::Connection { src: &r.src, dst: &r.dst, protocol };
        let packet = walk::Packet { conn: &conn, node_ip: &self.node_ip, ports: &self.synced, route: &r.route };
        walk::walk(&self.iptables_save(), &ipvsadm, &packet)
    }

    /// `ipset list [NAME]` on this node.
    pub fn ipset(&self, name: Option<&str>) -> Result<String, String> {
        match self.mode {
            ProxyMode::Iptables => match name {
                Some(n) => Err(format!("ipset v7.17: The set with the given name does not exist: {n}")),
                None => Ok(String::new()),
            },
            ProxyMode::Ipvs { .. } => ipvs::render_ipset(&self.synced, name),
        }
    }
}
