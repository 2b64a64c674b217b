//! Quota usage (pkg/quota/v1/evaluator/core): what an object counts against a ResourceQuota
//! — a pod's `pods`, `requests.*` (alias `cpu`, `memory`) and `limits.*`; a Service's
//! `services`, `services.nodeports`, `services.loadbalancers`; any object's
//! `count/<resource>[.<group>]` — and which quotas a pod falls under by scope. The admission
//! plugin charges it; the resourcequota controller recomputes it.

use crate::sim::api::quantity::{format_milli, is_binary, parse_milli};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Container, Object, Pod, ResourceList, ResourceQuota};
use crate::sim::vecmap::VecMap;

/// An amount in milli-units, remembering whether it is written in binary SI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Amount {
    pub milli: i128,
    pub binary: bool,
}

impl Amount {
    pub fn count(n: i128) -> Self {
        Amount { milli: n * 1000, binary: false }
    }
    pub fn parse(text: &str) -> Self {
        Amount { milli: parse_milli(text).unwrap_or(0), binary: is_binary(text) }
    }
    pub fn plus(self, other: Amount) -> Self {
        Amount { milli: self.milli + other.milli, binary: self.binary || other.binary }
    }
    pub fn text(self) -> String {
        format_milli(self.milli, self.binary)
    }
}

pub type Usage = VecMap<String, Amount>;

/// The pod's total of one resource in requests or limits: the sum over containers, at least
/// the largest init container (the effective request), plus overhead for requests.
pub fn pod_total(pod: &Pod, resource: &str, list: fn(&Container) -> &ResourceList) -> Option<Amount> {
    let of = |c: &Container| list(c).get(resource).map(|q| Amount::parse(q));
    let mut sum: Option<Amount> = None;
    for a in pod.spec.containers.iter().filter_map(of) {
        sum = Some(sum.unwrap_or_default().plus(a));
    }
    for a in pod.spec.init_containers.iter().filter_map(of) {
        if sum.is_none_or(|s| a.milli > s.milli) {
            sum = Some(Amount { milli: a.milli, binary: a.binary || sum.is_some_and(|s| s.binary) });
        }
    }
    sum
}

pub fn requests(c: &Container) -> &ResourceList {
    &c.resources.requests
}

pub fn limits(c: &Container) -> &ResourceList {
    &c.resources.limits
}

/// What one object counts against quota (terminal pods count nothing but their object count).
pub fn usage(obj: &Object) -> Usage {
    let mut u = Usage::new();
    let Some(res) = ResourceInfo::by_kind(obj.kind()) else { return u };
    let count_name = if res.group.is_empty() {
        format!("count/{}", res.plural)
    } else {
        format!("count/{}.{}", res.plural, res.group)
    };
    u.insert(count_name, Amount::count(1));
    if matches!(res.plural, "services" | "secrets" | "configmaps" | "persistentvolumeclaims" | "resourcequotas") {
        u.insert(res.plural.to_string(), Amount::count(1));
    }
    match obj {
        Object::Pod(p) if !p.is_terminal() => {
            u.insert("pods".into(), Amount::count(1));
            for r in ["cpu", "memory"] {
                if let Some(a) = pod_total(p, r, requests) {
                    u.insert(format!("requests.{r}"), a);
                    u.insert(r.into(), a);
                }
                if let Some(a) = pod_total(p, r, limits) {
                    u.insert(format!("limits.{r}"), a);
                }
            }
        }
        Object::Service(s) => {
            let node_ports = s.spec.ports.iter().filter(|p| p.node_port != 0).count() as i128;
            if s.spec.type_ == "NodePort" || s.spec.type_ == "LoadBalancer" {
                u.insert("services.nodeports".into(), Amount::count(node_ports.max(s.spec.ports.len() as i128)));
            }
            if s.spec.type_ == "LoadBalancer" {
                u.insert("services.loadbalancers".into(), Amount::count(1));
            }
        }
        _ => {}
    }
    u
}

/// Whether a quota's scopes select the object (non-pods match only unscoped quotas).
pub fn matches_scopes(quota: &ResourceQuota, obj: &Object) -> bool {
    quota.spec.scopes.iter().all(|scope| {
        let Object::Pod(p) = obj else { return false };
        let best_effort = p.qos_class() == "BestEffort";
        match scope.as_str() {
            "Terminating" => p.spec.active_deadline_seconds.is_some(),
            "NotTerminating" => p.spec.active_deadline_seconds.is_none(),
            "BestEffort" => best_effort,
            "NotBestEffort" => !best_effort,
            _ => false,
        }
    })
}

/// The resources a pod must state in every container because a quota tracks them.
pub fn required_by(quota: &ResourceQuota) -> Vec<String> {
    let mut out: Vec<String> = quota
        .spec
        .hard
        .keys()
        .filter_map(|k| match k.as_str() {
            "cpu" | "requests.cpu" => Some("requests.cpu"),
            "memory" | "requests.memory" => Some("requests.memory"),
            "limits.cpu" | "limits.memory" => Some(k.as_str()),
            _ => None,
        })
        .map(String::from)
        .collect();
    out.dedup();
    out
}

/// The tracked resources a pod's containers leave unstated (`cpu`, `memory` style names).
pub fn missing(pod: &Pod, required: &[String]) -> Vec<String> {
    let mut out: Vec<String> = required
        .iter()
        .filter(|r| {
            let (list, name): (fn(&Container) -> &ResourceList, &str) = match r.split_once('.') {
                Some(("limits", n)) => (limits, n),
                Some((_, n)) => (requests, n),
                None => (requests, r.as_str()),
            };
            pod.spec.containers.iter().any(|c| !list(c).contains_key(name))
        })
        .cloned()
        .collect();
    crate::sim::sort::sort(&mut out);
    out
}
