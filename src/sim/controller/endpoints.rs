//! The Endpoints controller (pkg/controller/endpoint): for every Service with a selector, a
//! v1 Endpoints object of the same name listing the selected pods' IPs — Ready pods under
//! `addresses`, the others under `notReadyAddresses`, terminating pods left out — with the
//! Service's target ports; deleted with its Service. The legacy API, deprecated since 1.33:
//! one object holds every address, so each pod change rewrites (and sends to every watcher)
//! the whole list, which is why EndpointSlices replaced it at scale. Since 1.22 an Endpoints
//! object holds at most 1,000 addresses, ready ones first, and is annotated
//! `endpoints.kubernetes.io/over-capacity: truncated`.

use super::endpointslice::desired;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{EndpointAddress, EndpointSubset, Endpoints, Object, ObjectMeta};
use crate::sim::client::Informer;

/// maxCapacity: the most addresses one Endpoints object keeps.
const MAX_CAPACITY: usize = 1000;
const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";

pub fn sync(key: &str, services: &Informer, endpoints: &Informer, pods: &Informer) -> Vec<ApiRequest> {
    let res = ResourceInfo::of("endpoints");
    let current = match endpoints.get(key) {
        Some(Object::Endpoints(ep)) => Some(ep),
        _ => None,
    };
    let svc = match services.get(key) {
        Some(Object::Service(s)) if !s.spec.selector.is_empty() && s.metadata.deletion_timestamp.is_none() => s,
        // The Service is gone: so are its Endpoints.
        None => {
            return current
                .map(|ep| ApiRequest::new(Verb::Delete, res, &ep.metadata.namespace, &ep.metadata.name))
                .into_iter()
                .collect()
        }
        _ => return vec![],
    };
    let (slice, ports) = desired(svc, pods, None);
    let mut subset = EndpointSubset { ports, ..Default::default() };
    for e in slice.into_iter().filter(|e| e.conditions.terminating != Some(true)) {
        let ready = e.conditions.ready == Some(true);
        for ip in e.addresses {
            let address = EndpointAddress { ip, node_name: e.node_name.clone(), target_ref: e.target_ref.clone() };
            if ready {
                subset.addresses.push(address);
            } else {
                subset.not_ready_addresses.push(address);
            }
        }
    }
    let truncated = subset.addresses.len() + subset.not_ready_addresses.len() > MAX_CAPACITY;
    if truncated {
        subset.addresses.truncate(MAX_CAPACITY);
        subset.not_ready_addresses.truncate(MAX_CAPACITY - subset.addresses.len());
    }
    let subsets =
        if subset.addresses.is_empty() && subset.not_ready_addresses.is_empty() { vec![] } else { vec![subset] };
    let flagged = |ep: &Endpoints| ep.metadata.annotations.contains_key(OVER_CAPACITY);
    match current {
        Some(ep) if ep.subsets == subsets && flagged(ep) == truncated => vec![],
        Some(ep) => {
            let mut next = Endpoints { subsets, ..ep.clone() };
            match truncated {
                true => next.metadata.annotations.insert(OVER_CAPACITY.into(), "truncated".into()),
                false => next.metadata.annotations.remove(OVER_CAPACITY),
            };
            vec![ApiRequest::new(Verb::Update, res, &ep.metadata.namespace, &ep.metadata.name)
                .with_body(Object::Endpoints(next))]
        }
        None => {
            let mut metadata = ObjectMeta::named(&svc.metadata.namespace, &svc.metadata.name);
            metadata.labels = svc.metadata.labels.clone();
            if truncated {
                metadata.annotations.insert(OVER_CAPACITY.into(), "truncated".into());
            }
            let ep = Endpoints { metadata, subsets };
            vec![ApiRequest::new(Verb::Create, res, &svc.metadata.namespace, "").with_body(Object::Endpoints(ep))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::request::ApiBody;
    use crate::sim::api::{Condition, Pod, Service};

    fn informer(plural: &str, items: Vec<Object>) -> Informer {
        let mut inf = Informer::new(ResourceInfo::of(plural), None);
        inf.on_started(ApiBody::WatchStarted {
            items: items.into_iter().map(std::sync::Arc::new).collect(),
            resource_version: 1,
            initial: true,
        });
        inf
    }

    #[test]
    fn an_endpoints_object_keeps_1000_addresses_and_says_it_was_truncated() {
        let mut svc = Service { metadata: ObjectMeta::named("default", "big"), ..Default::default() };
        svc.spec.selector.insert("app".into(), "big".into());
        let pods = (0..1001)
            .map(|i| {
                let mut p = Pod { metadata: ObjectMeta::named("default", &format!("big-{i}")), ..Default::default() };
                p.metadata.labels.insert("app".into(), "big".into());
                p.status.pod_ip = format!("10.244.{}.{}", i / 250, i % 250 + 2);
                p.status.phase = "Running".into();
                p.status.conditions =
                    vec![Condition { type_: "Ready".into(), status: "True".into(), ..Default::default() }];
                Object::Pod(Box::new(p))
            })
            .collect();
        let reqs = sync(
            "default/big",
            &informer("services", vec![Object::Service(svc)]),
            &informer("endpoints", vec![]),
            &informer("pods", pods),
        );
        let Some(Object::Endpoints(ep)) = reqs.first().and_then(|r| r.body.as_deref().cloned()) else {
            panic!("{reqs:?}")
        };
        assert_eq!(ep.subsets[0].addresses.len(), MAX_CAPACITY);
        assert_eq!(ep.metadata.annotations.get(OVER_CAPACITY).map(String::as_str), Some("truncated"));
    }
}
