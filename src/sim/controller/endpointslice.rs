//! The EndpointSlice controller (pkg/controller/endpointslice): for every Service with a
//! selector, one EndpointSlice (`<service>-<suffix>`, labelled `kubernetes.io/service-name`,
//! owned by the Service) listing the selected pods that have an IP — ready when the pod is
//! Ready and not terminating, serving when Ready, terminating when deleted — with the
//! Service's target ports. kube-proxy programs its rules from these.
//! Simplified: one slice per Service (upstream splits at 100 endpoints), IPv4 only.

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{
    Endpoint, EndpointConditions, EndpointPort, EndpointSlice, Object, ObjectMeta, OwnerReference, Pod, Service,
};
use crate::sim::client::Informer;
use crate::sim::recorder;

pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";

/// Whether the Service selects the pod.
pub fn selects(svc: &Service, pod: &Pod) -> bool {
    svc.metadata.namespace == pod.metadata.namespace
        && !svc.spec.selector.is_empty()
        && svc.spec.selector.iter().all(|(k, v)| pod.metadata.labels.get(k) == Some(v))
}

/// The endpoints and ports the Service's slice should list.
pub fn desired(svc: &Service, pods: &Informer) -> (Vec<Endpoint>, Vec<EndpointPort>) {
    let mut endpoints: Vec<Endpoint> = pods
        .objects()
        .filter_map(|o| o.as_pod())
        .filter(|p| selects(svc, p) && !p.status.pod_ip.is_empty() && !p.is_terminal())
        .map(|p| {
            let terminating = p.metadata.deletion_timestamp.is_some();
            Endpoint {
                addresses: vec![p.status.pod_ip.clone()],
                conditions: EndpointConditions {
                    ready: Some(p.is_ready() && !terminating),
                    serving: Some(p.is_ready()),
                    terminating: Some(terminating),
                },
                node_name: p.spec.node_name.clone(),
                target_ref: Some(recorder::reference("Pod", &p.metadata)),
            }
        })
        .collect();
    crate::sim::sort::sort_by(&mut endpoints, |a, b| a.addresses.cmp(&b.addresses));
    let ports = svc
        .spec
        .ports
        .iter()
        .map(|p| EndpointPort { name: p.name.clone(), port: p.target_port, protocol: p.protocol.clone() })
        .collect();
    (endpoints, ports)
}

/// The request that brings the Service's slice in line, if any.
pub fn sync(key: &str, services: &Informer, slices: &Informer, pods: &Informer) -> Vec<ApiRequest> {
    let Some(Object::Service(svc)) = services.store.get(key) else { return vec![] };
    if svc.spec.selector.is_empty() || svc.metadata.deletion_timestamp.is_some() {
        return vec![];
    }
    let res = ResourceInfo::of("endpointslices");
    let (endpoints, ports) = desired(svc, pods);
    let current = slices.objects().find_map(|o| match o {
        Object::EndpointSlice(es)
            if es.metadata.namespace == svc.metadata.namespace
                && es.metadata.labels.get(SERVICE_NAME_LABEL) == Some(&svc.metadata.name) =>
        {
            Some(es)
        }
        _ => None,
    });
    match current {
        Some(es) if es.endpoints == endpoints && es.ports == ports => vec![],
        Some(es) => {
            let next = EndpointSlice { endpoints, ports, ..es.clone() };
            vec![ApiRequest::new(Verb::Update, res, &es.metadata.namespace, &es.metadata.name)
                .with_body(Object::EndpointSlice(next))]
        }
        None => {
            let mut metadata = ObjectMeta::named(&svc.metadata.namespace, "");
            metadata.generate_name = format!("{}-", svc.metadata.name);
            metadata.labels = [
                (SERVICE_NAME_LABEL.to_string(), svc.metadata.name.clone()),
                (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
            ]
            .into();
            metadata.owner_references = vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Service".into(),
                name: svc.metadata.name.clone(),
                uid: svc.metadata.uid.clone(),
                controller: true,
            }];
            let es = EndpointSlice { metadata, address_type: "IPv4".into(), endpoints, ports };
            vec![ApiRequest::new(Verb::Create, res, &svc.metadata.namespace, "").with_body(Object::EndpointSlice(es))]
        }
    }
}
