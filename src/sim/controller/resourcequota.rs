//! The resourcequota controller (pkg/controller/resourcequota): computes each quota's
//! `status.hard` and `status.used` from what the namespace holds. Admission charges usage as
//! objects are created; this controller gives it back when pods finish or go away (the
//! replenishment path) and fills in a new quota. It counts what its informers see — pods,
//! services, deployments, replicasets, jobs — and leaves other tracked resources as charged.

use crate::sim::api::request::ApiRequest;
use crate::sim::api::{Object, ResourceList};
use crate::sim::client::Informer;
use crate::sim::quota::{matches_scopes, usage, Amount, Usage};

/// `key` is `namespace/name` of a quota; `observed` are the informers whose objects count.
pub fn sync(key: &str, quotas: &Informer, observed: &[&Informer]) -> Vec<ApiRequest> {
    let Some(Object::ResourceQuota(q)) = quotas.get(key) else { return vec![] };
    let ns = &q.metadata.namespace;
    let mut total = Usage::new();
    let mut counted_kinds = Vec::new();
    for inf in observed {
        counted_kinds.push(inf.resource.plural);
        for o in inf.objects().filter(|o| o.meta().namespace == *ns && matches_scopes(q, o)) {
            for (r, a) in usage(o) {
                let sum = total.get(&r).copied().unwrap_or_default().plus(a);
                total.insert(r, sum);
            }
        }
    }
    let mut used = ResourceList::new();
    for r in q.spec.hard.keys() {
        let observable = is_observed(r, &counted_kinds);
        let value = match (total.get(r), q.status.used.get(r)) {
            (Some(a), _) => a.text(),
            (None, Some(charged)) if !observable => charged.clone(),
            (None, _) => Amount::default().text(),
        };
        used.insert(r.clone(), value);
    }
    if q.status.hard == q.spec.hard && q.status.used == used {
        return vec![];
    }
    let mut next = q.clone();
    next.status.hard = q.spec.hard.clone();
    next.status.used = used;
    ApiRequest::update_status(Object::ResourceQuota(next)).into_iter().collect()
}

/// Whether the controller can count a quota resource from the informers it has.
fn is_observed(resource: &str, kinds: &[&str]) -> bool {
    let pods = kinds.contains(&"pods");
    match resource {
        "pods" | "cpu" | "memory" => pods,
        r if r.starts_with("requests.") || r.starts_with("limits.") => pods,
        "services" | "services.nodeports" | "services.loadbalancers" => kinds.contains(&"services"),
        r => r.strip_prefix("count/").is_some_and(|c| kinds.contains(&c.split('.').next().unwrap_or(""))),
    }
}
