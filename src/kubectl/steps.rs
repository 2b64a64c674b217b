//! The kubectl commands that take several requests: read first, then write or read more —
//! `expose` and `set image` (read the Deployment, then create or patch), `describe` (the
//! objects, then their events, pods and lease), `drain` (cordon, list, evict) and
//! `rollout status|history|undo`.

use super::parse::{ExposeFlags, RolloutAction};
use super::{describe, printers, render, rollout, Pending};
use crate::sim::api::request::{ApiBody, ApiRequest, ApiResponse, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::time::SimTime;
use crate::sim::Simulation;

/// `kubectl expose deployment`: a Service selecting the Deployment's pods.
pub fn expose(sim: &mut Simulation, pending: &mut Pending, resp: ApiResponse, flags: ExposeFlags) -> Option<String> {
    if pending.first.is_some() {
        return Some(render(&pending.command, resp, sim.now()));
    }
    // A Deployment's selector, or a pod's labels, select the Service's pods.
    let (exposed, selector) = match resp {
        Ok(ApiBody::Object(Object::Deployment(d))) => {
            let selector = d.spec.selector.match_labels.clone();
            (Object::Deployment(d), selector)
        }
        Ok(ApiBody::Object(Object::Pod(p))) => {
            let selector = p.metadata.labels.clone();
            (Object::Pod(p), selector)
        }
        other => return Some(render(&pending.command, other, sim.now())),
    };
    let d = exposed.meta();
    if selector.is_empty() {
        return Some(format!(
            "error: couldn't retrieve selectors via --selector flag or introspection: the {} has no labels",
            exposed.kind().to_lowercase()
        ));
    }
    let name = flags.name.unwrap_or_else(|| d.name.clone());
    let mut metadata = ObjectMeta::named(&d.namespace, &name);
    metadata.labels = d.labels.clone();
    let namespace = d.namespace.clone();
    let svc = Service {
        metadata,
        spec: ServiceSpec {
            selector,
            ports: vec![ServicePort {
                port: flags.port,
                target_port: flags.target_port.unwrap_or(flags.port),
                protocol: "TCP".into(),
                ..Default::default()
            }],
            type_: flags.type_.unwrap_or_default(),
            session_affinity: flags.session_affinity.unwrap_or_default(),
            ..Default::default()
        },
        status: Default::default(),
    };
    let req =
        ApiRequest::new(Verb::Create, ResourceInfo::of("services"), &namespace, "").with_body(Object::Service(svc));
    pending.first = Some(vec![exposed]);
    pending.send(sim, req);
    None
}

/// `kubectl set image`: the Deployment's containers with their new images, as a patch.
pub fn set_image(
    sim: &mut Simulation,
    pending: &mut Pending,
    resp: ApiResponse,
    images: &[(String, String)],
) -> Option<String> {
    if pending.first.is_some() {
        return Some(render(&pending.command, resp, sim.now()));
    }
    let Ok(ApiBody::Object(Object::Deployment(d))) = resp else {
        return Some(render(&pending.command, resp, sim.now()));
    };
    let mut containers = d.spec.template.spec.containers.clone();
    for (name, image) in images {
        match containers.iter_mut().find(|c| &c.name == name) {
            Some(c) => c.image = image.clone(),
            None => return Some(format!("error: unable to find container named \"{name}\"")),
        }
    }
    // The containers through the object encoder, as a merge patch of the template.
    let mut t = d.spec.template.clone();
    t.spec.containers = containers;
    let mut doc = Object::Deployment(Box::new(Deployment {
        spec: DeploymentSpec { template: t, ..d.spec.clone() },
        ..(*d).clone()
    }))
    .to_json_value();
    let containers = doc.pointer_mut("/spec/template/spec/containers").map(serde_json::Value::take);
    let mut req =
        ApiRequest::new(Verb::Patch, ResourceInfo::of("deployments"), &d.metadata.namespace, &d.metadata.name);
    req.patch = Some(serde_json::json!({ "spec": { "template": { "spec": { "containers": containers } } } }));
    pending.first = Some(vec![Object::Deployment(d)]);
    pending.send(sim, req);
    None
}

/// `kubectl label|annotate`: read the object, check `--overwrite`, then patch the changed keys
/// (null removes one).
#[allow(clippy::too_many_arguments)]
pub fn label(
    sim: &mut Simulation,
    pending: &mut Pending,
    resp: ApiResponse,
    res: &'static ResourceInfo,
    annotate: bool,
    changes: &[(String, Option<String>)],
    overwrite: bool,
) -> Option<String> {
    let (field, verb) = if annotate { ("annotations", "annotated") } else { ("labels", "labeled") };
    if let Some(first) = pending.first.take() {
        // kubectl says `unlabeled` when every change removed a label.
        let removed_only = !annotate && first.is_empty() && changes.iter().all(|(_, v)| v.is_none());
        let verb = if removed_only { "unlabeled" } else { verb };
        return Some(match resp {
            Ok(ApiBody::Object(o)) => format!("{} {verb}", printers::name_of(res, &o)),
            other => render(&pending.command, other, sim.now()),
        });
    }
    let Ok(ApiBody::Object(current)) = resp else {
        return Some(render(&pending.command, resp, sim.now()));
    };
    let have = if annotate { &current.meta().annotations } else { &current.meta().labels };
    let mut patch = serde_json::Map::new();
    for (k, v) in changes {
        match (have.get(k), v) {
            (Some(old), Some(new)) if old != new && !overwrite => {
                return Some(format!("error: '{k}' already has a value ({old}), and --overwrite is false"));
            }
            (Some(old), Some(new)) if old == new => {}
            (None, None) => {}
            (_, Some(new)) => {
                patch.insert(k.clone(), serde_json::Value::String(new.clone()));
            }
            (Some(_), None) => {
                patch.insert(k.clone(), serde_json::Value::Null);
            }
        }
    }
    if patch.is_empty() {
        return Some(format!("{} not {verb}", printers::name_of(res, &current)));
    }
    let meta = &current.meta();
    let mut req = ApiRequest::new(Verb::Patch, res, &meta.namespace, &meta.name);
    req.patch = Some(serde_json::json!({ "metadata": { field: patch } }));
    pending.first = Some(vec![]);
    pending.send(sim, req);
    None
}

/// `kubectl describe`: the objects, then what describe shows with them.
pub fn describe(
    sim: &mut Simulation,
    pending: &mut Pending,
    resp: ApiResponse,
    resource: &ResourceInfo,
    namespace: &str,
) -> Option<String> {
    let items = match resp {
        Ok(ApiBody::Object(o)) => vec![o],
        Ok(ApiBody::List { items, .. }) => super::owned(items),
        // kubectl describes without what it may not read (events, a missing lease).
        other if pending.first.is_some() => {
            let _ = other;
            vec![]
        }
        other => return Some(render(&pending.command, other, sim.now())),
    };
    if pending.first.is_none() {
        if items.is_empty() {
            return Some(format!("No resources found in {namespace} namespace."));
        }
        pending.follow_ups = describe_reads(resource, namespace, &items);
        pending.first = Some(items);
    } else {
        pending.gathered.push(items);
    }
    if !pending.follow_ups.is_empty() {
        let next = pending.follow_ups.remove(0);
        pending.send(sim, next);
        return None;
    }
    let objects = pending.first.take().unwrap_or_default();
    Some(describe_all(&objects, &pending.gathered, sim.now()))
}

/// `kubectl rollout status|history|undo`: read the Deployment (again and again for status,
/// a second a time, until it rolled out), then its ReplicaSets, then for undo write it back.
pub fn rollout(
    sim: &mut Simulation,
    pending: &mut Pending,
    resp: ApiResponse,
    action: RolloutAction,
    namespace: &str,
) -> Option<String> {
    let body = match resp {
        Ok(b) => b,
        Err(s) => return Some(format!("Error from server ({}): {}", s.reason, s.message)),
    };
    if let (RolloutAction::Undo(_), Some(_)) = (action, &pending.first) {
        if pending.gathered.len() == 1 {
            return Some(match body {
                ApiBody::Object(o) => format!("{} rolled back", printers::name_of(ResourceInfo::of("deployments"), &o)),
                _ => String::new(),
            });
        }
    }
    match (action, body, pending.first.take()) {
        (RolloutAction::Status, ApiBody::Object(o @ (Object::Deployment(_) | Object::DaemonSet(_))), _) => {
            let (line, done) = match &o {
                Object::DaemonSet(ds) => rollout::daemonset_status_line(ds),
                Object::Deployment(d) => rollout::status_line(d),
                _ => (String::new(), true),
            };
            if pending.lines.last() != Some(&line) {
                pending.lines.push(line);
            }
            if done {
                return Some(pending.lines.join("\n"));
            }
            pending.resume_at = Some(sim.now().plus(crate::sim::time::SECONDS));
            None
        }
        (_, ApiBody::Object(Object::Deployment(d)), None) => {
            pending.first = Some(vec![Object::Deployment(d)]);
            pending.send(sim, ApiRequest::new(Verb::List, ResourceInfo::of("replicasets"), namespace, ""));
            None
        }
        (_, ApiBody::List { items, .. }, Some(first)) => {
            let items = super::owned(items);
            let Some(Object::Deployment(d)) = first.first().cloned() else { return Some(String::new()) };
            match action {
                RolloutAction::Undo(to) => match rollout::undo(&d, &items, to) {
                    Ok(next) => {
                        let req =
                            ApiRequest::new(Verb::Update, ResourceInfo::of("deployments"), namespace, &d.metadata.name)
                                .with_body(Object::Deployment(Box::new(next)));
                        pending.first = Some(first);
                        pending.gathered.push(items);
                        pending.send(sim, req);
                        None
                    }
                    Err(e) => Some(e),
                },
                _ => Some(rollout::history(&d, &items)),
            }
        }
        _ => Some(String::new()),
    }
}

/// kubectl drain waits this long before evicting a pod again that a budget protects.
const DRAIN_RETRY_US: u64 = 5 * crate::sim::time::SECONDS;

/// `kubectl drain`: the cordon answered → list the node's pods → evict each through the
/// Eviction API (a refusal from a PodDisruptionBudget is tried again after 5 s), printing
/// kubectl's lines as it goes.
pub fn drain(sim: &mut Simulation, pending: &mut Pending, resp: ApiResponse, node: &str) -> Option<String> {
    // gathered[0]: the node's pods, gathered[1]: the evicted ones.
    if pending.gathered.is_empty() {
        if let Err(s) = resp {
            return Some(format!("Error from server ({}): {}", s.reason, s.message));
        }
        let mut list = ApiRequest::new(Verb::List, ResourceInfo::of("pods"), "", "");
        list.field_selector = Some(crate::sim::api::request::FieldSelector::equals("spec.nodeName", node));
        pending.send(sim, list);
        pending.gathered.push(vec![]);
        return None;
    }
    if pending.gathered.len() == 1 {
        let pods: Vec<Object> = match resp {
            Ok(ApiBody::List { items, .. }) => super::owned(items),
            _ => vec![],
        };
        pending.gathered[0] = pods.clone();
        pending.follow_ups = pods
            .iter()
            .filter(|o| o.meta().deletion_timestamp.is_none())
            .map(|o| {
                ApiRequest::new(Verb::Create, ResourceInfo::of("pods"), &o.meta().namespace, &o.meta().name)
                    .with_subresource("eviction")
            })
            .collect();
        pending.gathered.push(vec![]);
    } else {
        match resp {
            Ok(ApiBody::Object(o)) => pending.gathered[1].push(o),
            // A PodDisruptionBudget allows no disruption now: try that pod again in 5 s.
            Err(s) if s.code == 429 => {
                if let Some(last) = pending.last.clone() {
                    pending.lines.push(format!(
                        "error when evicting pods/\"{}\" -n \"{}\" (will retry after 5s): {}",
                        last.name, last.namespace, s.message
                    ));
                    pending.retry = Some(last);
                    pending.resume_at = Some(sim.now().plus(DRAIN_RETRY_US));
                    return None;
                }
            }
            _ => {}
        }
    }
    if !pending.follow_ups.is_empty() {
        let next = pending.follow_ups.remove(0);
        pending.send(sim, next);
        return None;
    }
    let mut out = vec![format!("node/{node} cordoned")];
    let evicted = &pending.gathered[1];
    for p in &pending.gathered[0] {
        out.push(format!("evicting pod {}/{}", p.meta().namespace, p.meta().name));
    }
    out.append(&mut pending.lines);
    for p in evicted {
        out.push(format!("pod/{} evicted", p.meta().name));
    }
    out.push(format!("node/{node} drained"));
    Some(out.join("\n"))
}

/// What `kubectl describe` reads besides the objects: events (and for nodes, their pods and
/// their lease).
fn describe_reads(resource: &ResourceInfo, namespace: &str, objects: &[Object]) -> Vec<ApiRequest> {
    if resource.plural == "nodes" {
        let mut reads = vec![
            ApiRequest::new(Verb::List, ResourceInfo::of("events"), "default", ""),
            ApiRequest::new(Verb::List, ResourceInfo::of("pods"), "", ""),
        ];
        reads.extend(
            objects
                .iter()
                .map(|n| ApiRequest::new(Verb::Get, ResourceInfo::of("leases"), "kube-node-lease", &n.meta().name)),
        );
        reads
    } else if matches!(resource.plural, "deployments" | "services" | "daemonsets" | "persistentvolumeclaims") {
        let second = match resource.plural {
            "services" => "endpointslices",
            "daemonsets" | "persistentvolumeclaims" => "pods",
            _ => "replicasets",
        };
        vec![
            ApiRequest::new(Verb::List, ResourceInfo::of("events"), namespace, ""),
            ApiRequest::new(Verb::List, ResourceInfo::of(second), namespace, ""),
        ]
    } else {
        vec![ApiRequest::new(Verb::List, ResourceInfo::of("events"), namespace, "")]
    }
}

/// Events about one object, as describe selects them.
fn events_about<'a>(events: &'a [Object], kind: &str, meta: &ObjectMeta) -> Vec<&'a Event> {
    events
        .iter()
        .filter_map(|e| match e {
            Object::Event(e) if e.involved_object.kind == kind && e.involved_object.name == meta.name => Some(e),
            _ => None,
        })
        // A Node's events come with its uid (controllers) or its name (the kubelet's), and
        // kubectl describe node asks for both.
        .filter(|e| {
            let uid = &e.involved_object.uid;
            uid.is_empty() || *uid == meta.uid || (kind == "Node" && *uid == meta.name)
        })
        .collect()
}

/// Each object with what describe shows of it, separated by blank lines as kubectl prints them.
fn describe_all(objects: &[Object], gathered: &[Vec<Object>], now: SimTime) -> String {
    let events = gathered.first().map(Vec::as_slice).unwrap_or_default();
    let texts: Vec<String> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Pod(p) => Some(describe::pod(p, &events_about(events, "Pod", &p.metadata), now)),
            Object::Deployment(d) => {
                let rses: Vec<&ReplicaSet> = gathered
                    .get(1)
                    .into_iter()
                    .flatten()
                    .filter_map(|o| match o {
                        Object::ReplicaSet(r) => Some(&**r),
                        _ => None,
                    })
                    .collect();
                Some(describe::deployment(d, &rses, &events_about(events, "Deployment", &d.metadata), now))
            }
            Object::Service(svc) => {
                let slices: Vec<&EndpointSlice> = gathered
                    .get(1)
                    .into_iter()
                    .flatten()
                    .filter_map(|o| match o {
                        Object::EndpointSlice(s)
                            if s.metadata.labels.get("kubernetes.io/service-name") == Some(&svc.metadata.name) =>
                        {
                            Some(s)
                        }
                        _ => None,
                    })
                    .collect();
                Some(describe::service(svc, &slices, &events_about(events, "Service", &svc.metadata), now))
            }
            Object::DaemonSet(ds) => {
                let pods: Vec<&Pod> = gathered
                    .get(1)
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.as_pod())
                    .filter(|p| p.metadata.controller_ref().is_some_and(|r| r.uid == ds.metadata.uid))
                    .collect();
                Some(describe::daemonset(ds, &pods, &events_about(events, "DaemonSet", &ds.metadata), now))
            }
            Object::PersistentVolumeClaim(c) => {
                let users: Vec<&Pod> = gathered
                    .get(1)
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.as_pod())
                    .filter(|p| {
                        p.spec.volumes.iter().any(|v| matches!(v.kind(), VolumeKind::Claim(n) if n == c.metadata.name))
                    })
                    .collect();
                Some(describe::claim(c, &users, &events_about(events, "PersistentVolumeClaim", &c.metadata), now))
            }
            Object::PodDisruptionBudget(pdb) => {
                Some(describe::pdb(pdb, &events_about(events, "PodDisruptionBudget", &pdb.metadata), now))
            }
            Object::Node(n) => {
                let pods: Vec<&Pod> = gathered
                    .get(1)
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.as_pod())
                    .filter(|p| p.spec.node_name == n.metadata.name && !p.is_terminal())
                    .collect();
                let lease = gathered.iter().skip(2).flatten().find_map(|o| match o {
                    Object::Lease(l) if l.metadata.name == n.metadata.name => Some(l),
                    _ => None,
                });
                Some(describe::node(n, &pods, lease, &events_about(events, "Node", &n.metadata), now))
            }
            _ => None,
        })
        .collect();
    texts.join("\n\n\n")
}
