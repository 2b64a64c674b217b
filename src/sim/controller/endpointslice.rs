//! The EndpointSlice controller (pkg/controller/endpointslice): for every Service with a
//! selector, one EndpointSlice (`<service>-<suffix>`, labelled `kubernetes.io/service-name`,
//! owned by the Service) listing the selected pods that have an IP — ready when the pod is
//! Ready and not terminating, serving when Ready, terminating when deleted — with the
//! Service's target ports. kube-proxy programs its rules from these.
//! Slices hold at most 100 endpoints (--max-endpoints-per-slice). Simplified: IPv4 only, no
//! topology hints.

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{
    Endpoint, EndpointConditions, EndpointHints, EndpointPort, EndpointSlice, ForZone, Object, ObjectMeta,
    OwnerReference, Pod, Service,
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
/// The Service's endpoints: its selected pods with an IP, each with its node's zone (given the
/// nodes; Endpoints objects have none) — and, for topology-aware routing, a hint for that
/// zone when every endpoint has one.
pub fn desired(svc: &Service, pods: &Informer, nodes: Option<&Informer>) -> (Vec<Endpoint>, Vec<EndpointPort>) {
    let zone = |node: &str| {
        let n = nodes?.get(&crate::sim::api::meta::cache_key("", node))?;
        n.meta().labels.get(crate::sim::proxy::topology::ZONE_LABEL).cloned()
    };
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
                zone: zone(&p.spec.node_name).unwrap_or_default(),
                hints: None,
            }
        })
        .collect();
    if svc.spec.prefers_close(&svc.metadata.annotations) && endpoints.iter().all(|e| !e.zone.is_empty()) {
        for e in &mut endpoints {
            e.hints = Some(EndpointHints { for_zones: vec![ForZone { name: e.zone.clone() }] });
        }
    }
    crate::sim::sort::sort_by(&mut endpoints, |a, b| a.addresses.cmp(&b.addresses));
    let ports = svc
        .spec
        .ports
        .iter()
        .map(|p| EndpointPort { name: p.name.clone(), port: p.target_port, protocol: p.protocol.clone() })
        .collect();
    (endpoints, ports)
}

/// Upstream's --max-endpoints-per-slice default.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// The requests that bring the Service's slices in line. As the upstream reconciler, it
/// changes as few slices as it can: endpoints stay in the slice that has them, new ones fill
/// slices with room before a new slice is made, and a slice left empty is deleted (one empty
/// slice stays for a Service with no endpoints). So one pod's change rewrites one slice of
/// up to 100 endpoints, not a list of all of them.
pub fn sync(key: &str, services: &Informer, slices: &Informer, pods: &Informer, nodes: &Informer) -> Vec<ApiRequest> {
    let Some(Object::Service(svc)) = services.get(key) else { return vec![] };
    if svc.spec.selector.is_empty() || svc.metadata.deletion_timestamp.is_some() {
        return vec![];
    }
    let res = ResourceInfo::of("endpointslices");
    let (desired, ports) = desired(svc, pods, Some(nodes));
    let mut existing: Vec<&EndpointSlice> = slices
        .objects()
        .filter_map(|o| match o {
            Object::EndpointSlice(es)
                if es.metadata.namespace == svc.metadata.namespace
                    && es.metadata.labels.get(SERVICE_NAME_LABEL) == Some(&svc.metadata.name) =>
            {
                Some(es)
            }
            _ => None,
        })
        .collect();
    crate::sim::sort::sort_by(&mut existing, |a, b| a.metadata.name.cmp(&b.metadata.name));
    let address = |e: &Endpoint| e.addresses.first().cloned().unwrap_or_default();
    let wanted: std::collections::BTreeMap<String, &Endpoint> = desired.iter().map(|e| (address(e), e)).collect();
    // Each existing slice keeps the endpoints it has that are still wanted (as they are now);
    // an endpoint found in one slice is placed, and a second copy (two syncs raced ahead of
    // the slice informer) is dropped, as upstream's reconciler takes it out of the desired set.
    let mut placed: std::collections::BTreeSet<String> = Default::default();
    let mut plans: Vec<(Option<&EndpointSlice>, Vec<Endpoint>)> = existing
        .iter()
        .map(|es| {
            let kept = es
                .endpoints
                .iter()
                .filter_map(|e| wanted.get(&address(e)).filter(|_| placed.insert(address(e))).map(|w| (*w).clone()))
                .collect();
            (Some(*es), kept)
        })
        .collect();
    for e in desired.iter().filter(|e| !placed.contains(&address(e))) {
        match plans.iter_mut().find(|(_, eps)| eps.len() < MAX_ENDPOINTS_PER_SLICE) {
            Some((_, eps)) => eps.push(e.clone()),
            None => plans.push((None, vec![e.clone()])),
        }
    }
    if plans.is_empty() {
        plans.push((None, vec![]));
    }
    let all_empty = plans.iter().all(|(_, eps)| eps.is_empty());
    let mut out = Vec::new();
    for (i, (slice, mut eps)) in plans.into_iter().enumerate() {
        crate::sim::sort::sort_by(&mut eps, |a, b| a.addresses.cmp(&b.addresses));
        let before = slice.map_or(&[][..], |es| &es.endpoints[..]);
        let trigger = trigger_time(&eps, before, pods);
        match slice {
            // Emptied: gone, unless it is the placeholder of a Service without endpoints.
            Some(es) if eps.is_empty() && !(all_empty && i == 0) => {
                out.push(ApiRequest::new(Verb::Delete, res, &es.metadata.namespace, &es.metadata.name));
            }
            Some(es) if es.endpoints == eps && es.ports == ports => {}
            Some(es) => {
                let mut next = EndpointSlice { endpoints: eps, ports: ports.clone(), ..es.clone() };
                annotate(&mut next.metadata, trigger);
                out.push(
                    ApiRequest::new(Verb::Update, res, &es.metadata.namespace, &es.metadata.name)
                        .with_body(Object::EndpointSlice(next)),
                );
            }
            None => {
                let mut es = new_slice(svc, eps, ports.clone());
                annotate(&mut es.metadata, trigger);
                out.push(
                    ApiRequest::new(Verb::Create, res, &svc.metadata.namespace, "")
                        .with_body(Object::EndpointSlice(es)),
                );
            }
        }
    }
    out
}

/// The annotation kube-proxy measures network programming latency from.
pub const LAST_CHANGE_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";

/// The earliest change among the endpoints that differ from `before`: each one's pod's Ready
/// condition transition (upstream's TriggerTimeTracker, which takes the pods' Ready
/// lastTransitionTime — whole seconds). None when no changed endpoint has a pod.
fn trigger_time(eps: &[Endpoint], before: &[Endpoint], pods: &Informer) -> Option<crate::sim::time::SimTime> {
    eps.iter()
        .filter(|e| !before.contains(e))
        .filter_map(|e| {
            let r = e.target_ref.as_ref()?;
            let pod = pods.get(&crate::sim::api::meta::cache_key(&r.namespace, &r.name))?.as_pod()?;
            pod.status.conditions.iter().find(|c| c.type_ == "Ready")?.last_transition_time.map(|t| t.0)
        })
        .min()
}

/// Writes the trigger time, or removes a stale one (as upstream does for a zero time).
fn annotate(meta: &mut ObjectMeta, trigger: Option<crate::sim::time::SimTime>) {
    match trigger {
        Some(t) => {
            meta.annotations.insert(LAST_CHANGE_TRIGGER_TIME.into(), crate::sim::time::rfc3339(t));
        }
        None => {
            meta.annotations.remove(LAST_CHANGE_TRIGGER_TIME);
        }
    }
}

fn new_slice(svc: &Service, endpoints: Vec<Endpoint>, ports: Vec<EndpointPort>) -> EndpointSlice {
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
    EndpointSlice { metadata, address_type: "IPv4".into(), endpoints, ports }
}
