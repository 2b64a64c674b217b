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
mod steps;

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
    match pending.command.clone() {
        Command::Rollout { action, namespace, .. } => steps::rollout(sim, pending, resp, action, &namespace),
        Command::Drain { node } => steps::drain(sim, pending, resp, &node),
        Command::Expose { port, target_port, service_name, type_, .. } => {
            steps::expose(sim, pending, resp, port, target_port, service_name, type_)
        }
        Command::SetImage { images, .. } => steps::set_image(sim, pending, resp, &images),
        Command::Describe { namespace, resource, .. } => steps::describe(sim, pending, resp, resource, &namespace),
        _ => Some(render(&pending.command, resp, sim.now())),
    }
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
            ApiRequest::new(Verb::Create, ResourceInfo::of("deployments"), namespace, "")
                .with_body(Object::Deployment(d))
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
            ApiRequest::new(Verb::Create, ResourceInfo::of("pods"), namespace, "").with_body(Object::Pod(pod))
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
            ApiRequest::new(Verb::Create, ResourceInfo::of("jobs"), namespace, "").with_body(Object::Job(job))
        }
        Command::CreateSecret { name, literals, namespace } => {
            use base64::Engine;
            let data = literals
                .iter()
                .map(|(k, v)| (k.clone(), base64::engine::general_purpose::STANDARD.encode(v)))
                .collect();
            let secret = Secret { metadata: ObjectMeta::named(namespace, name), type_: "Opaque".into(), data };
            ApiRequest::new(Verb::Create, ResourceInfo::of("secrets"), namespace, "").with_body(Object::Secret(secret))
        }
        Command::CreateNamespace { name } => {
            let ns = Namespace { metadata: ObjectMeta::named("", name), ..Default::default() };
            ApiRequest::new(Verb::Create, ResourceInfo::of("namespaces"), "", "").with_body(Object::Namespace(ns))
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
            let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", node);
            req.patch = Some(serde_json::json!({ "spec": { "unschedulable": true } }));
            req
        }
        Command::Cordon { node, unschedulable } => {
            let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("nodes"), "", node);
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
            format!("{} created", printers::name_of(ResourceInfo::of("deployments"), &o))
        }
        (Command::Run { .. }, ApiBody::Object(o)) => {
            format!("{} created", printers::name_of(ResourceInfo::of("pods"), &o))
        }
        (Command::CreateJob { .. }, ApiBody::Object(o)) => {
            format!("{} created", printers::name_of(ResourceInfo::of("jobs"), &o))
        }
        (Command::CreateSecret { .. }, ApiBody::Object(o)) => {
            format!("{} created", printers::name_of(ResourceInfo::of("secrets"), &o))
        }
        (Command::CreateNamespace { .. }, ApiBody::Object(o)) => {
            format!("{} created", printers::name_of(ResourceInfo::of("namespaces"), &o))
        }
        (Command::Scale { resource, .. }, ApiBody::Object(o)) => {
            format!("{} scaled", printers::name_of(resource, &o))
        }
        (Command::Expose { .. }, ApiBody::Object(o)) => {
            format!("{} exposed", printers::name_of(ResourceInfo::of("services"), &o))
        }
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
                printers::name_of(ResourceInfo::of("nodes"), &o),
                if *unschedulable { "cordoned" } else { "uncordoned" }
            )
        }
        _ => String::new(),
    }
}
