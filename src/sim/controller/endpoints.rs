//! The Endpoints controller (pkg/controller/endpoint): for every Service with a selector, a
//! v1 Endpoints object of the same name listing the selected pods' IPs — Ready pods under
//! `addresses`, the others under `notReadyAddresses`, terminating pods left out — with the
//! Service's target ports; deleted with its Service. The legacy API, deprecated since 1.33:
//! one object holds every address, so each pod change rewrites (and sends to every watcher)
//! the whole list, which is why EndpointSlices replaced it at scale.

use super::endpointslice::desired;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{EndpointAddress, EndpointSubset, Endpoints, Object, ObjectMeta};
use crate::sim::client::Informer;

pub fn sync(key: &str, services: &Informer, endpoints: &Informer, pods: &Informer) -> Vec<ApiRequest> {
    let res = ResourceInfo::of("endpoints");
    let current = match endpoints.store.get(key) {
        Some(Object::Endpoints(ep)) => Some(ep),
        _ => None,
    };
    let svc = match services.store.get(key) {
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
    let subsets =
        if subset.addresses.is_empty() && subset.not_ready_addresses.is_empty() { vec![] } else { vec![subset] };
    match current {
        Some(ep) if ep.subsets == subsets => vec![],
        Some(ep) => {
            let next = Endpoints { subsets, ..ep.clone() };
            vec![ApiRequest::new(Verb::Update, res, &ep.metadata.namespace, &ep.metadata.name)
                .with_body(Object::Endpoints(next))]
        }
        None => {
            let mut metadata = ObjectMeta::named(&svc.metadata.namespace, &svc.metadata.name);
            metadata.labels = svc.metadata.labels.clone();
            let ep = Endpoints { metadata, subsets };
            vec![ApiRequest::new(Verb::Create, res, &svc.metadata.namespace, "").with_body(Object::Endpoints(ep))]
        }
    }
}
