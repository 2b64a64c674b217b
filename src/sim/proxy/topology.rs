//! Which endpoints of a Service a node's kube-proxy sends traffic to (pkg/proxy/topology.go
//! CategorizeEndpoints): ready endpoints — or, when none is ready, the serving ones that are
//! terminating — narrowed to the node's zone by topology hints when every ready endpoint has
//! hints and one is for this zone, and to the node's own endpoints for a Local traffic policy.

use crate::sim::vecmap::VecMap;

pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Endpoint {
    /// `ip:port`.
    pub addr: String,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    /// On this kube-proxy's node.
    pub local: bool,
    pub zone_hints: Vec<String>,
}

/// The traffic policies of one service port.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Policy {
    pub internal_local: bool,
    pub external_local: bool,
    /// NodePort (or LoadBalancer) services are reachable from outside: eTP applies.
    pub externally_accessible: bool,
    /// Topology-aware routing asked for (the service's topology-mode annotation).
    pub topology: bool,
}

impl Policy {
    /// Cluster endpoints serve a Cluster internal policy, and any external traffic at all
    /// (even with eTP Local they are needed to short-circuit traffic from inside).
    fn uses_cluster(&self) -> bool {
        !self.internal_local || self.externally_accessible
    }
    fn uses_local(&self) -> bool {
        self.internal_local || (self.externally_accessible && self.external_local)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Categorized {
    /// None when the service does not use cluster-policy endpoints.
    pub cluster: Option<Vec<Endpoint>>,
    /// None when no Local policy is in use.
    pub local: Option<Vec<Endpoint>>,
    pub all: Vec<Endpoint>,
    /// Any usable endpoint anywhere, even if remote for a Local policy (then traffic is
    /// dropped rather than rejected).
    pub has_any: bool,
}

fn can_use_topology(eps: &[Endpoint], policy: &Policy, node_labels: &crate::sim::api::Labels) -> bool {
    let Some(zone) = node_labels.get(ZONE_LABEL).filter(|z| policy.topology && !z.is_empty()) else { return false };
    let mut for_zone = false;
    for ep in eps.iter().filter(|e| e.ready) {
        if ep.zone_hints.is_empty() {
            return false;
        }
        for_zone |= ep.zone_hints.contains(zone);
    }
    for_zone
}

pub fn categorize(eps: &[Endpoint], policy: &Policy, node_labels: &crate::sim::api::Labels) -> Categorized {
    let mut out = Categorized::default();
    let pick = |f: &dyn Fn(&Endpoint) -> bool| -> Vec<Endpoint> { eps.iter().filter(|e| f(e)).cloned().collect() };
    let mut use_topology = false;
    if policy.uses_cluster() {
        use_topology = can_use_topology(eps, policy, node_labels);
        let zone = node_labels.get(ZONE_LABEL).cloned().unwrap_or_default();
        let mut cluster = pick(&|e| e.ready && (!use_topology || e.zone_hints.contains(&zone)));
        if cluster.is_empty() {
            cluster = pick(&|e| e.serving && e.terminating);
        }
        out.has_any = !cluster.is_empty();
        out.cluster = Some(cluster);
    }
    if !policy.uses_local() {
        out.all = out.cluster.clone().unwrap_or_default();
        return out;
    }
    let mut local_ready = false;
    let mut local_terminating = false;
    for e in eps {
        if e.ready {
            out.has_any = true;
            local_ready |= e.local;
        } else if e.serving && e.terminating {
            out.has_any = true;
            local_terminating |= e.local;
        }
    }
    let local = if local_ready {
        pick(&|e| e.local && e.ready)
    } else if local_terminating {
        pick(&|e| e.local && e.serving && e.terminating)
    } else {
        vec![]
    };
    let terminating_local = !local_ready && local_terminating;
    out.local = Some(local.clone());
    let Some(cluster) = out.cluster.clone() else {
        out.all = local;
        return out;
    };
    if !use_topology && !terminating_local {
        out.all = cluster;
        return out;
    }
    // Remote endpoints only in the cluster set, terminating or off-zone local ones only in
    // the local set: merge them.
    let mut merged: VecMap<String, Endpoint> = VecMap::new();
    for e in cluster.into_iter().chain(local) {
        merged.insert(e.addr.clone(), e);
    }
    out.all = merged.into_values().collect();
    out
}
