//! kubectl in the page's console and in `kubesim`: parses a command, turns it into API
//! requests, and prints the answers the way kubectl does (`deployment.apps/web created`,
//! `Error from server (NotFound): …`, tables).

pub mod curl;
pub mod describe;
pub mod etcdctl;
pub mod node_shell;
pub mod parse;
pub mod printers;
pub mod rollout;

use crate::sim::api::request::{ApiBody, ApiRequest, ApiResponse, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::time::SimTime;
use crate::sim::Simulation;
use parse::Command;

/// A command whose request is on its way; finish it with the response.
#[derive(Clone, Debug)]
pub struct Pending {
    pub command: Command,
    pub handle: u64,
    /// `describe`, `expose` and `set image` read objects first, then send more requests:
    /// the objects wait here.
    first: Option<Vec<Object>>,
    /// describe's follow-up reads still to send, and what the sent ones returned.
    follow_ups: Vec<ApiRequest>,
    gathered: Vec<Vec<Object>>,
    /// `rollout status`: the lines printed so far, and when to look again.
    lines: Vec<String>,
    resume_at: Option<SimTime>,
}

/// A console line either answered at once or waiting for the cluster.
#[derive(Clone, Debug)]
pub enum Started {
    Done(String),
    Waiting(Pending),
}

/// Runs a console line: `kubectl …` submits its request; `etcdctl …` and `curl …` (the
/// operator's other tools) answer at once. Errors are the tools' own messages.
pub fn start(sim: &mut Simulation, line: &str) -> Result<Started, String> {
    match line.split_whitespace().next() {
        Some("etcdctl") => return etcdctl::run(sim, line).map(Started::Done),
        Some("curl") => return curl::run(sim, line).map(Started::Done),
        Some("ssh") => return node_shell::run(sim, line).map(Started::Done),
        _ => {}
    }
    let command = parse::parse(line)?;
    let req = request(&command, sim.now());
    let handle = sim.submit(req);
    Ok(Started::Waiting(Pending {
        command,
        handle,
        first: None,
        follow_ups: vec![],
        gathered: vec![],
        lines: vec![],
        resume_at: None,
    }))
}

/// Polls for the answer; `Some(text)` once it arrived.
pub fn poll(sim: &mut Simulation, pending: &mut Pending) -> Option<String> {
    if let Some(at) = pending.resume_at {
        if sim.now() < at {
            return None;
        }
        pending.resume_at = None;
        pending.handle = sim.submit(request(&pending.command, sim.now()));
    }
    let resp = sim.take_response(pending.handle)?;
    if let Command::Rollout { action, namespace, .. } = &pending.command {
        let (action, namespace) = (*action, namespace.clone());
        return rollout_step(sim, pending, resp, action, &namespace);
    }
    if let Command::Drain { node } = &pending.command {
        return drain_step(sim, pending, resp, &node.clone());
    }
    if let Command::Expose { port, target_port, service_name, type_, .. } = &pending.command {
        if pending.first.is_some() {
            return Some(render(&pending.command, resp, sim.now()));
        }
        let Ok(ApiBody::Object(Object::Deployment(d))) = resp else {
            return Some(render(&pending.command, resp, sim.now()));
        };
        let name = service_name.clone().unwrap_or_else(|| d.metadata.name.clone());
        let mut metadata = ObjectMeta::named(&d.metadata.namespace, &name);
        metadata.labels = d.metadata.labels.clone();
        let svc = Service {
            metadata,
            spec: ServiceSpec {
                selector: d.spec.selector.match_labels.clone(),
                ports: vec![ServicePort {
                    port: *port,
                    target_port: target_port.unwrap_or(*port),
                    protocol: "TCP".into(),
                    ..Default::default()
                }],
                type_: type_.clone().unwrap_or_default(),
                ..Default::default()
            },
        };
        let req =
            ApiRequest::new(Verb::Create, res("services"), &d.metadata.namespace, "").with_body(Object::Service(svc));
        pending.first = Some(vec![Object::Deployment(d)]);
        pending.handle = sim.submit(req);
        return None;
    }
    if let Command::SetImage { images, .. } = &pending.command {
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
        let mut doc =
            Object::Deployment(Deployment { spec: DeploymentSpec { template: t, ..d.spec.clone() }, ..d.clone() })
                .to_json_value();
        let containers = doc.pointer_mut("/spec/template/spec/containers").map(serde_json::Value::take);
        let mut req = ApiRequest::new(Verb::Patch, res("deployments"), &d.metadata.namespace, &d.metadata.name);
        req.patch = Some(serde_json::json!({ "spec": { "template": { "spec": { "containers": containers } } } }));
        pending.first = Some(vec![Object::Deployment(d)]);
        pending.handle = sim.submit(req);
        return None;
    }
    if let Command::Describe { namespace, resource, .. } = &pending.command {
        let items = match resp {
            Ok(ApiBody::Object(o)) => vec![o],
            Ok(ApiBody::List { items, .. }) => items,
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
            pending.handle = sim.submit(next);
            return None;
        }
        let objects = pending.first.take().unwrap_or_default();
        return Some(describe_all(&objects, &pending.gathered, sim.now()));
    }
    Some(render(&pending.command, resp, sim.now()))
}

/// `kubectl rollout status|history|undo`: read the Deployment (again and again for status,
/// a second a time, until it rolled out), then its ReplicaSets, then for undo write it back.
fn rollout_step(
    sim: &mut Simulation,
    pending: &mut Pending,
    resp: ApiResponse,
    action: parse::RolloutAction,
    namespace: &str,
) -> Option<String> {
    let body = match resp {
        Ok(b) => b,
        Err(s) => return Some(format!("Error from server ({}): {}", s.reason, s.message)),
    };
    if let (parse::RolloutAction::Undo(_), Some(_)) = (action, &pending.first) {
        if pending.gathered.len() == 1 {
            return Some(match body {
                ApiBody::Object(o) => format!("{} rolled back", printers::name_of(res("deployments"), &o)),
                _ => String::new(),
            });
        }
    }
    match (action, body, pending.first.take()) {
        (parse::RolloutAction::Status, ApiBody::Object(Object::Deployment(d)), _) => {
            let (line, done) = rollout::status_line(&d);
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
            pending.handle = sim.submit(ApiRequest::new(Verb::List, res("replicasets"), namespace, ""));
            None
        }
        (_, ApiBody::List { items, .. }, Some(first)) => {
            let Some(Object::Deployment(d)) = first.first().cloned() else { return Some(String::new()) };
            match action {
                parse::RolloutAction::Undo(to) => match rollout::undo(&d, &items, to) {
                    Ok(next) => {
                        let req = ApiRequest::new(Verb::Update, res("deployments"), namespace, &d.metadata.name)
                            .with_body(Object::Deployment(next));
                        pending.first = Some(first);
                        pending.gathered.push(items);
                        pending.handle = sim.submit(req);
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

/// `kubectl drain`: the cordon answered → list the node's pods → evict each through the
/// Eviction API, printing kubectl's lines as it goes.
fn drain_step(sim: &mut Simulation, pending: &mut Pending, resp: ApiResponse, node: &str) -> Option<String> {
    // gathered[0]: the node's pods, gathered[1]: the evicted ones.
    if pending.gathered.is_empty() {
        if let Err(s) = resp {
            return Some(format!("Error from server ({}): {}", s.reason, s.message));
        }
        let mut list = ApiRequest::new(Verb::List, res("pods"), "", "");
        list.field_selector =
            Some(crate::sim::api::request::FieldSelector { field: "spec.nodeName".into(), value: node.into() });
        pending.handle = sim.submit(list);
        pending.gathered.push(vec![]);
        return None;
    }
    if pending.gathered.len() == 1 {
        let pods: Vec<Object> = match resp {
            Ok(ApiBody::List { items, .. }) => items,
            _ => vec![],
        };
        pending.gathered[0] = pods.clone();
        pending.follow_ups = pods
            .iter()
            .filter(|o| o.meta().deletion_timestamp.is_none())
            .map(|o| {
                ApiRequest::new(Verb::Create, res("pods"), &o.meta().namespace, &o.meta().name)
                    .with_subresource("eviction")
            })
            .collect();
        pending.gathered.push(vec![]);
    } else if let Ok(ApiBody::Object(o)) = resp {
        pending.gathered[1].push(o);
    }
    if !pending.follow_ups.is_empty() {
        let next = pending.follow_ups.remove(0);
        pending.handle = sim.submit(next);
        return None;
    }
    let mut out = vec![format!("node/{node} cordoned")];
    let evicted = &pending.gathered[1];
    for p in &pending.gathered[0] {
        out.push(format!("evicting pod {}/{}", p.meta().namespace, p.meta().name));
    }
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
            ApiRequest::new(Verb::List, res("events"), "default", ""),
            ApiRequest::new(Verb::List, res("pods"), "", ""),
        ];
        reads.extend(
            objects.iter().map(|n| ApiRequest::new(Verb::Get, res("leases"), "kube-node-lease", &n.meta().name)),
        );
        reads
    } else {
        vec![ApiRequest::new(Verb::List, res("events"), namespace, "")]
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
        .filter(|e| e.involved_object.uid.is_empty() || e.involved_object.uid == meta.uid)
        .collect()
}

/// Each object with what describe shows of it, separated by blank lines as kubectl prints them.
fn describe_all(objects: &[Object], gathered: &[Vec<Object>], now: SimTime) -> String {
    let events = gathered.first().map(Vec::as_slice).unwrap_or_default();
    let texts: Vec<String> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Pod(p) => Some(describe::pod(p, &events_about(events, "Pod", &p.metadata), now)),
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

/// Runs a console line to completion (for the native command line and tests).
pub fn run(sim: &mut Simulation, line: &str, timeout_us: u64) -> String {
    let mut pending = match start(sim, line) {
        Ok(Started::Done(out)) | Err(out) => return out,
        Ok(Started::Waiting(p)) => p,
    };
    let deadline = sim.now().plus(timeout_us);
    loop {
        if let Some(out) = poll(sim, &mut pending) {
            return out;
        }
        if sim.next_event_time().is_none_or(|t| t > deadline) || !sim.step() {
            sim.run_until(deadline);
            return poll(sim, &mut pending).unwrap_or_else(|| {
                "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)"
                    .into()
            });
        }
    }
}

fn res(plural: &str) -> &'static ResourceInfo {
    ResourceInfo::by_plural(plural).expect("kubectl only builds requests for resources in the table")
}

/// The API request of a command.
pub fn request(c: &Command, now: SimTime) -> ApiRequest {
    match c {
        Command::CreateDeployment { name, image, replicas, port, namespace } => {
            let labels: std::collections::BTreeMap<String, String> = [("app".to_string(), name.clone())].into();
            let container = Container {
                name: container_name(image),
                image: image.clone(),
                ports: port
                    .map(|p| vec![ContainerPort { container_port: p, ..Default::default() }])
                    .unwrap_or_default(),
                ..Default::default()
            };
            let mut meta = ObjectMeta::named(namespace, name);
            meta.labels = labels.clone();
            let d = Deployment {
                metadata: meta,
                spec: DeploymentSpec {
                    replicas: Some(*replicas),
                    selector: LabelSelector { match_labels: labels.clone(), ..Default::default() },
                    template: PodTemplateSpec {
                        metadata: ObjectMeta { labels, ..Default::default() },
                        spec: PodSpec { containers: vec![container], ..Default::default() },
                    },
                    strategy: Default::default(),
                },
                status: Default::default(),
            };
            ApiRequest::new(Verb::Create, res("deployments"), namespace, "").with_body(Object::Deployment(d))
        }
        Command::Run { name, image, namespace, labels, restart, command, args } => {
            let mut meta = ObjectMeta::named(namespace, name);
            meta.labels = labels.iter().cloned().collect();
            if labels.is_empty() {
                meta.labels.insert("run".into(), name.clone());
            }
            let container = Container {
                name: name.clone(),
                image: image.clone(),
                command: command.clone(),
                args: args.clone(),
                ..Default::default()
            };
            let pod = Pod {
                metadata: meta,
                spec: PodSpec { containers: vec![container], restart_policy: restart.clone(), ..Default::default() },
                status: Default::default(),
            };
            ApiRequest::new(Verb::Create, res("pods"), namespace, "").with_body(Object::Pod(pod))
        }
        Command::CreateJob { name, image, namespace, command } => {
            let container =
                Container { name: name.clone(), image: image.clone(), command: command.clone(), ..Default::default() };
            let job = Job {
                metadata: ObjectMeta::named(namespace, name),
                spec: JobSpec {
                    template: PodTemplateSpec {
                        metadata: Default::default(),
                        spec: PodSpec {
                            containers: vec![container],
                            restart_policy: "Never".into(),
                            ..Default::default()
                        },
                    },
                    ..Default::default()
                },
                status: Default::default(),
            };
            ApiRequest::new(Verb::Create, res("jobs"), namespace, "").with_body(Object::Job(job))
        }
        Command::CreateSecret { name, literals, namespace } => {
            use base64::Engine;
            let data = literals
                .iter()
                .map(|(k, v)| (k.clone(), base64::engine::general_purpose::STANDARD.encode(v)))
                .collect();
            let secret = Secret { metadata: ObjectMeta::named(namespace, name), type_: "Opaque".into(), data };
            ApiRequest::new(Verb::Create, res("secrets"), namespace, "").with_body(Object::Secret(secret))
        }
        Command::CreateNamespace { name } => {
            let ns = Namespace { metadata: ObjectMeta::named("", name), ..Default::default() };
            ApiRequest::new(Verb::Create, res("namespaces"), "", "").with_body(Object::Namespace(ns))
        }
        Command::Get { resource, name, namespace, all_namespaces, .. } => {
            let ns = if *all_namespaces { "" } else { namespace };
            match name {
                Some(n) => ApiRequest::new(Verb::Get, resource, ns, n),
                None => ApiRequest::new(Verb::List, resource, ns, ""),
            }
        }
        Command::Scale { resource, name, replicas, namespace } => {
            let mut req = ApiRequest::new(Verb::Patch, resource, namespace, name).with_subresource("scale");
            req.patch = Some(serde_json::json!({ "spec": { "replicas": replicas } }));
            req
        }
        Command::Delete { resource, name, namespace } => ApiRequest::new(Verb::Delete, resource, namespace, name),
        Command::RolloutRestart { resource, name, namespace } => {
            let mut req = ApiRequest::new(Verb::Patch, resource, namespace, name);
            let at = crate::sim::time::rfc3339(now);
            req.patch = Some(serde_json::json!({ "spec": { "template": { "metadata": { "annotations": {
                "kubectl.kubernetes.io/restartedAt": at } } } } }));
            req
        }
        Command::SetImage { resource, name, namespace, .. }
        | Command::Expose { resource, name, namespace, .. }
        | Command::Rollout { resource, name, namespace, .. } => ApiRequest::new(Verb::Get, resource, namespace, name),
        Command::Describe { resource, name, namespace } => match name {
            Some(n) => ApiRequest::new(Verb::Get, resource, namespace, n),
            None => ApiRequest::new(Verb::List, resource, namespace, ""),
        },
        Command::Drain { node } => {
            let mut req = ApiRequest::new(Verb::Patch, res("nodes"), "", node);
            req.patch = Some(serde_json::json!({ "spec": { "unschedulable": true } }));
            req
        }
        Command::Cordon { node, unschedulable } => {
            let mut req = ApiRequest::new(Verb::Patch, res("nodes"), "", node);
            req.patch = Some(serde_json::json!({ "spec": { "unschedulable": unschedulable } }));
            req
        }
    }
}

/// kubectl names the container after the image: `registry/nginx:1.27` → `nginx`.
fn container_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let base = last.split([':', '@']).next().unwrap_or(last);
    let cleaned: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    cleaned.trim_matches('-').to_string()
}

/// Prints the answer of a command as kubectl would.
pub fn render(c: &Command, resp: ApiResponse, now: SimTime) -> String {
    let body = match resp {
        Ok(b) => b,
        Err(s) => return format!("Error from server ({}): {}", s.reason, s.message),
    };
    match (c, body) {
        (Command::Get { resource, output, all_namespaces, namespace, .. }, ApiBody::List { items, .. }) => {
            printers::print_list(resource, &items, now, output, *all_namespaces, namespace)
        }
        (Command::Get { resource, output, .. }, ApiBody::Object(o)) => printers::print_one(resource, &o, now, output),
        (Command::CreateDeployment { .. }, ApiBody::Object(o)) => {
            format!("{} created", printers::name_of(res("deployments"), &o))
        }
        (Command::Run { .. }, ApiBody::Object(o)) => {
            format!("{} created", printers::name_of(res("pods"), &o))
        }
        (Command::CreateJob { .. }, ApiBody::Object(o)) => format!("{} created", printers::name_of(res("jobs"), &o)),
        (Command::CreateSecret { .. }, ApiBody::Object(o)) => {
            format!("{} created", printers::name_of(res("secrets"), &o))
        }
        (Command::CreateNamespace { .. }, ApiBody::Object(o)) => {
            format!("{} created", printers::name_of(res("namespaces"), &o))
        }
        (Command::Scale { resource, .. }, ApiBody::Object(o)) => {
            format!("{} scaled", printers::name_of(resource, &o))
        }
        (Command::Expose { .. }, ApiBody::Object(o)) => format!("{} exposed", printers::name_of(res("services"), &o)),
        (Command::RolloutRestart { resource, .. }, ApiBody::Object(o)) => {
            format!("{} restarted", printers::name_of(resource, &o))
        }
        (Command::SetImage { resource, .. }, ApiBody::Object(o)) => {
            format!("{} image updated", printers::name_of(resource, &o))
        }
        (Command::Delete { resource, name, .. }, _) => {
            format!("{} \"{name}\" deleted", resource.singular)
        }
        (Command::Cordon { unschedulable, .. }, ApiBody::Object(o)) => {
            format!(
                "{} {}",
                printers::name_of(res("nodes"), &o),
                if *unschedulable { "cordoned" } else { "uncordoned" }
            )
        }
        _ => String::new(),
    }
}
