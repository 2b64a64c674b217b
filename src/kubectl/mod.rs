//! kubectl in the page's console and in `kubesim`: parses a command, turns it into API
//! requests, and prints the answers the way kubectl does (`deployment.apps/web created`,
//! `Error from server (NotFound): …`, tables).

pub mod apply;
pub mod config;
pub mod create;
pub mod curl;
pub mod describe;
pub mod edit;
pub mod etcdctl;
pub mod identity;
pub mod inspect;
pub mod jsonpath;
pub mod logs;
pub mod node_shell;
pub mod parse;
pub mod printers;
pub mod rollout;
pub mod selector;
mod steps;

use crate::sim::api::request::{ApiBody, ApiRequest, ApiResponse, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::time::SimTime;
use crate::sim::Simulation;
use parse::{Command, Output};

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
    /// The request to send at `resume_at` instead of the command's first (drain's refused
    /// eviction, tried again).
    retry: Option<ApiRequest>,
    /// The last request sent.
    last: Option<ApiRequest>,
    /// `--token`, `--as`, `--as-group`: applied to every request the command sends.
    identity: parse::Identity,
    /// `curl` to a NodePort: the `ip:port` its connection went to (no API request).
    connection: Option<String>,
    /// `kubectl edit`: text for the editor (the object, or the edit again with the failures).
    editor: Option<String>,
    /// An answer known before any request (a saved edit that is not sent).
    answer: Option<String>,
}

impl Pending {
    /// `kubectl get -w` after its first table: it keeps printing until interrupted.
    pub fn is_streaming(&self) -> bool {
        matches!(&self.command, Command::Get { flags, .. } if flags.watch) && self.first.is_some()
    }

    /// What `kubectl edit` has for the editor, once (the page opens it).
    pub fn take_editor(&mut self) -> Option<String> {
        self.editor.take()
    }

    /// `kubectl edit` opening the editor (not saving): its editor text is the object as opened,
    /// which the save's patch starts from.
    pub fn opens_editor(&self) -> bool {
        matches!(self.command, Command::Edit { edited: None, .. })
    }

    fn new(command: Command, identity: parse::Identity) -> Pending {
        Pending {
            command,
            handle: 0,
            first: None,
            follow_ups: vec![],
            gathered: vec![],
            lines: vec![],
            resume_at: None,
            retry: None,
            last: None,
            identity,
            connection: None,
            editor: None,
            answer: None,
        }
    }

    /// Starts a command: sends its first request.
    fn send_first(sim: &mut Simulation, command: Command, identity: parse::Identity) -> Pending {
        let req = request(&command, sim.now());
        let mut pending = Pending::new(command, identity);
        pending.send(sim, req);
        pending
    }

    /// Sends one of the command's requests as the command's identity.
    fn send(&mut self, sim: &mut Simulation, mut req: ApiRequest) {
        req.impersonate = self.identity.impersonate.clone();
        self.last = Some(req.clone());
        use crate::sim::api::request::Credential;
        let cred = match (&self.identity.token, self.identity.anonymous, &self.identity.proxied) {
            (_, _, Some((cn, u))) => {
                Some(Credential::FrontProxy { proxy_cn: cn.clone(), user: u.name.clone(), groups: u.groups.clone() })
            }
            (Some(t), _, None) => Some(Credential::Bearer(t.clone())),
            (None, true, None) => Some(Credential::None),
            (None, false, None) => None,
        };
        self.handle = sim.submit_as(req, cred);
    }
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
        Some("curl") => {
            if let Some(call) = curl::apiserver_call(line)? {
                return Ok(curl_apiserver(sim, call));
            }
            if let Some((dst, path)) = curl::direct_call(line)? {
                if let Some(handle) = sim.connect_from_laptop(&dst, &path) {
                    let command = Command::Raw { path, curl: true, rest: None };
                    let mut pending = Pending::new(command, Default::default());
                    pending.handle = handle;
                    pending.connection = Some(dst);
                    return Ok(Started::Waiting(pending));
                }
            }
            return curl::run(sim, line).map(Started::Done);
        }
        Some("ssh") => return node_shell::run(sim, line).map(Started::Done),
        _ => {}
    }
    match line.split_whitespace().nth(1) {
        Some("config") => return config::run(sim, line).map(Started::Done),
        Some("logs") => return logs::run(sim, line).map(Started::Done),
        _ => {}
    }
    start_kubectl(sim, line, None)
}

/// Saves a `kubectl edit`: `target` is what the editor was opened on (`edit::target`),
/// `original` the editor's text as it opened, `text` the edited text.
pub fn save_edit(sim: &mut Simulation, target: &str, original: &str, text: &str) -> Result<Started, String> {
    let saved = edit::Saved { original: original.to_string(), text: text.to_string() };
    start_kubectl(sim, &format!("kubectl edit {target}"), Some(saved))
}

/// A kubectl line, in the current context: its user's token and its namespace, unless the
/// line says otherwise.
fn start_kubectl(sim: &mut Simulation, line: &str, edited: Option<edit::Saved>) -> Result<Started, String> {
    let (token, namespace) = sim.kubeconfig().map(|c| c.current()).unwrap_or((None, "default".into()));
    let mut command = parse::parse_with(line, &sim.discovery(), &namespace)?;
    let mut identity = parse::identity(line)?;
    if identity.token.is_none() {
        identity.token = token;
    }
    if let Command::Edit { edited: e, .. } = &mut command {
        if edited.is_some() {
            *e = edited;
            return Ok(edit::save(sim, Pending::new(command, identity)));
        }
    }
    Ok(Started::Waiting(Pending::send_first(sim, command, identity)))
}

/// A list's items as kubectl's own copies (they are shared with the apiserver's cache).
fn owned(items: Vec<std::sync::Arc<Object>>) -> Vec<Object> {
    items.into_iter().map(std::sync::Arc::unwrap_or_clone).collect()
}

/// Polls for the answer; `Some(text)` once it arrived.
pub fn poll(sim: &mut Simulation, pending: &mut Pending) -> Option<String> {
    if let Some(answer) = pending.answer.take() {
        return Some(answer);
    }
    if pending.is_streaming() {
        return watch_rows(sim, pending);
    }
    if let Some(dst) = &pending.connection {
        return sim.take_packet_reply(pending.handle).map(|reply| curl::answer(dst, reply));
    }
    if let Some(at) = pending.resume_at {
        if sim.now() < at {
            return None;
        }
        pending.resume_at = None;
        let req = pending.retry.take().unwrap_or_else(|| request(&pending.command, sim.now()));
        pending.send(sim, req);
    }
    let resp = sim.take_response(pending.handle)?;
    match pending.command.clone() {
        Command::Rollout { action, namespace, .. } => steps::rollout(sim, pending, resp, action, &namespace),
        Command::Drain { node } => steps::drain(sim, pending, resp, &node),
        Command::Expose { service, .. } => steps::expose(sim, pending, resp, service),
        Command::SetImage { images, .. } => steps::set_image(sim, pending, resp, &images),
        Command::Apply { .. } => apply::step(sim, pending, resp),
        Command::Edit { .. } => edit::step(sim, pending, resp),
        Command::Label { resource, annotate, changes, overwrite, .. } => {
            steps::label(sim, pending, resp, resource, annotate, &changes, overwrite)
        }
        Command::Describe { namespace, resource, .. } => steps::describe(sim, pending, resp, resource, &namespace),
        Command::Get { resource, flags, namespace, .. } if flags.watch => match resp {
            // The table of what is there now; the rows of each change follow.
            Ok(ApiBody::WatchStarted { items, .. }) => {
                pending.first = Some(vec![]);
                Some(printers::print_list(resource, &owned(items), sim.now(), &flags, &namespace))
            }
            other => Some(render(&pending.command, other, sim.now())),
        },
        _ => Some(render(&pending.command, resp, sim.now())),
    }
}

/// `kubectl get -w`: a row per change since the last poll.
fn watch_rows(sim: &mut Simulation, pending: &mut Pending) -> Option<String> {
    let Command::Get { resource, flags, .. } = &pending.command else { return None };
    let events = sim.take_watch_events(pending.handle);
    if events.is_empty() {
        return None;
    }
    let objects: Vec<Object> = events.into_iter().map(|e| (*e.object).clone()).collect();
    Some(printers::rows(resource, &objects, sim.now(), flags))
}

/// Interrupts a streaming command (Ctrl+C): its watch is closed.
pub fn interrupt(sim: &mut Simulation, pending: &Pending) {
    if pending.is_streaming() {
        sim.cancel_watch(pending.handle);
    }
}

/// Runs a console line to completion (for the native command line and tests).
pub fn run(sim: &mut Simulation, line: &str, timeout_us: u64) -> String {
    match start(sim, line) {
        Ok(started) => wait(sim, started, timeout_us),
        Err(out) => out,
    }
}

/// Steps the simulation until a started command has its answer (or the timeout passes).
pub fn wait(sim: &mut Simulation, started: Started, timeout_us: u64) -> String {
    match started {
        Started::Done(out) => out,
        Started::Waiting(mut p) => finish(sim, &mut p, timeout_us),
    }
}

/// How often `edit_with` reopens a refused edit before it gives up.
const MAX_EDIT_ROUNDS: usize = 10;

/// `kubectl edit` with an editor outside the page (kubesim's `$KUBE_EDITOR`): hands the
/// object's text to `editor`, saves what comes back, and, as kubectl does, reopens the edit
/// with the failures until it is saved, cancelled, or comes back unchanged.
pub fn edit_with(
    sim: &mut Simulation,
    line: &str,
    timeout_us: u64,
    mut editor: impl FnMut(&str) -> Result<String, String>,
) -> String {
    let mut pending = match start(sim, line) {
        Ok(Started::Waiting(p)) => p,
        Ok(Started::Done(out)) | Err(out) => return out,
    };
    let mut out = finish(sim, &mut pending, timeout_us);
    let mut original = None;
    // A person gives up at some point; a script's editor that keeps making new invalid
    // changes must too.
    let mut rounds = 0;
    while let Some(shown) = pending.take_editor() {
        rounds += 1;
        if rounds > MAX_EDIT_ROUNDS {
            return format!("{out}\nerror: Edit cancelled, no valid changes were saved.");
        }
        let original = original.get_or_insert_with(|| shown.clone()).clone();
        let text = match editor(&shown) {
            Ok(text) => text,
            Err(e) => return format!("error: {e}"),
        };
        if rounds > 1 && edit::strip_comments(&text) == edit::strip_comments(&shown) {
            return format!("{out}\nerror: Edit cancelled, no valid changes were saved.");
        }
        pending = match start_kubectl(sim, line, Some(edit::Saved { original, text })) {
            Ok(Started::Waiting(p)) => p,
            Ok(Started::Done(o)) | Err(o) => return o,
        };
        out = finish(sim, &mut pending, timeout_us);
    }
    out
}

/// metav1.Status as the apiserver writes a failure's body.
fn status_json(s: &crate::sim::api::request::Status) -> String {
    let v = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": s.message, "reason": s.reason, "details": {}, "code": s.code,
    });
    // Fields in the order the apiserver writes them.
    let order = ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"];
    let lines: Vec<String> = order.iter().map(|k| format!("  \"{k}\": {}", v[*k])).collect();
    format!("{{\n{}\n}}", lines.join(",\n"))
}

/// `curl https://<apiserver>:6443/PATH`: a request without a client certificate, so it is
/// `system:anonymous`'s — `/healthz` is open to everyone, `/metrics` is not.
pub fn curl_apiserver(sim: &mut Simulation, call: curl::ApiCall) -> Started {
    let rest = curl::rest_request(&call.path, &sim.discovery()).map(Box::new);
    let command = Command::Raw { path: call.path, curl: true, rest };
    Started::Waiting(Pending::send_first(sim, command, call.identity))
}

/// Steps the simulation until the command has its answer, or the timeout passes.
fn finish(sim: &mut Simulation, pending: &mut Pending, timeout_us: u64) -> String {
    let deadline = sim.now().plus(timeout_us);
    let mut streamed: Vec<String> = Vec::new();
    loop {
        if let Some(out) = poll(sim, pending) {
            if !pending.is_streaming() {
                return out;
            }
            streamed.push(out);
        }
        if pending.is_streaming() && sim.next_event_time().is_none_or(|t| t > deadline) {
            // A watch runs until interrupted: here, until the timeout.
            sim.run_until(deadline);
            streamed.extend(poll(sim, pending));
            interrupt(sim, pending);
            return streamed.join("\n");
        }
        if sim.next_event_time().is_none_or(|t| t > deadline) || !sim.step() {
            sim.run_until(deadline);
            return poll(sim, pending).unwrap_or_else(|| {
                "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)"
                    .into()
            });
        }
    }
}

/// The API request of a command.
pub fn request(c: &Command, now: SimTime) -> ApiRequest {
    match c {
        Command::Create { object, .. } => {
            let res = ResourceInfo::by_kind(object.kind()).unwrap_or(ResourceInfo::of("pods"));
            ApiRequest::new(Verb::Create, res, &object.meta().namespace, "").with_body((**object).clone())
        }
        // The read of the first document that can be sent (apply::start sends it).
        Command::Apply { docs } => match docs.iter().find_map(|d| d.as_ref().ok()) {
            Some(a) => ApiRequest::new(Verb::Get, a.resource, &a.object.meta().namespace, &a.object.meta().name),
            None => ApiRequest::non_resource("/apis"),
        },
        Command::CreateToken { name, namespace, seconds } => {
            let body = TokenRequest {
                spec: TokenRequestSpec { expiration_seconds: *seconds, ..Default::default() },
                ..Default::default()
            };
            ApiRequest::new(Verb::Create, ResourceInfo::of("serviceaccounts"), namespace, name)
                .with_subresource("token")
                .with_body(Object::TokenRequest(body))
        }
        Command::CanI { attributes, .. } => {
            let review = SelfSubjectAccessReview { spec: (**attributes).clone(), ..Default::default() };
            ApiRequest::new(Verb::Create, ResourceInfo::of("selfsubjectaccessreviews"), "", "")
                .with_body(Object::SelfSubjectAccessReview(review))
        }
        Command::Raw { rest: Some(req), .. } => (**req).clone(),
        Command::Raw { path, .. } => ApiRequest::non_resource(path),
        Command::WhoAmI { .. } => ApiRequest::new(Verb::Create, ResourceInfo::of("selfsubjectreviews"), "", "")
            .with_body(Object::SelfSubjectReview(Default::default())),
        Command::Get { resource, name, namespace, flags } => {
            let ns = if flags.all_namespaces { "" } else { namespace };
            match name {
                Some(n) => ApiRequest::new(Verb::Get, resource, ns, n),
                None => {
                    let verb = if flags.watch { Verb::Watch } else { Verb::List };
                    let mut req = ApiRequest::new(verb, resource, ns, "");
                    req.label_selector = flags.selector.clone();
                    req.field_selector = flags.field_selector.clone();
                    req
                }
            }
        }
        Command::Label { resource, name, namespace, .. } | Command::Edit { resource, name, namespace, .. } => {
            ApiRequest::new(Verb::Get, resource, namespace, name)
        }
        Command::ApiResources { .. } => ApiRequest::non_resource("/apis"),
        Command::Scale { resource, name, replicas, namespace } => {
            let mut req = ApiRequest::new(Verb::Patch, resource, namespace, name).with_subresource("scale");
            req.patch = Some(serde_json::json!({ "spec": { "replicas": replicas } }));
            req
        }
        Command::Delete { resource, name, namespace, cascade, grace } => {
            let mut req = ApiRequest::new(Verb::Delete, resource, namespace, name);
            req.propagation_policy = Some(cascade.to_string());
            req.grace_period_seconds = *grace;
            req
        }
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

/// Prints the answer of a command as kubectl would.
pub fn render(c: &Command, resp: ApiResponse, now: SimTime) -> String {
    let body = match resp {
        Ok(b) => b,
        Err(s) if s.reason == "ConnectionRefused" => {
            return match c {
                Command::Raw { curl: true, .. } => format!(
                    "curl: (7) Failed to connect to {} port 6443 after 0 ms: Couldn't connect to server",
                    crate::sim::cluster::APISERVER_ADDRESS
                ),
                _ => format!(
                    "The connection to the server {}:6443 was refused - did you specify the right host or port?",
                    crate::sim::cluster::APISERVER_ADDRESS
                ),
            };
        }
        Err(s) if s.reason == "ConnectionReset" => {
            return match c {
                Command::Raw { curl: true, .. } => "curl: (56) Recv failure: Connection reset by peer".into(),
                _ => format!("Unable to connect to the server: {}", s.message),
            };
        }
        // kubectl lists a 422's field errors itself: `The Pod "x" is invalid: …`.
        // APF answers 429 with a plain-text body; client-go words it so.
        Err(s) if s.code == 429 && !matches!(c, Command::Raw { curl: true, .. }) => {
            let req = request(c, now);
            return format!(
                "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later ({} {})",
                req.verb.http_method().to_ascii_lowercase(),
                req.resource.qualified()
            );
        }
        // curl shows the Status body the apiserver wrote.
        Err(s) if matches!(c, Command::Raw { curl: true, .. }) => return status_json(&s),
        // kubectl's own words for a 401, whatever the server said.
        Err(s) if s.code == 401 => return "error: You must be logged in to the server (Unauthorized)".into(),
        Err(s) if s.code == 422 && !s.causes.is_empty() => {
            let head = s.message.split(" is invalid: ").next().unwrap_or_default();
            return match s.causes.as_slice() {
                [one] => format!("The {head} is invalid: {one}"),
                many => format!("The {head} is invalid: \n* {}", many.join("\n* ")),
            };
        }
        Err(s) if s.reason.is_empty() => return format!("Error from server: {}", s.message),
        Err(s) => return format!("Error from server ({}): {}", s.reason, s.message),
    };
    // The apiserver's Warning header for a deprecated API, which kubectl prints first.
    let warning = match c {
        Command::Get { resource, .. } if resource.plural == "endpoints" => {
            "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n"
        }
        _ => "",
    };
    match (c, body) {
        (Command::Get { resource, flags, namespace, .. }, ApiBody::List { items, .. }) => {
            warning.to_string() + &printers::print_list(resource, &owned(items), now, flags, namespace)
        }
        (Command::Get { resource, flags, .. }, ApiBody::Object(o)) => {
            warning.to_string() + &printers::print_one(resource, &o, now, flags)
        }
        (Command::ApiResources { custom }, _) => printers::api_resources(custom),
        (Command::Raw { .. }, ApiBody::Raw(text)) => text.trim_end().to_string(),
        (Command::Raw { rest: Some(req), .. }, body) => printers::rest_json(req.resource, body),
        (Command::Create { object, done }, ApiBody::Object(o)) => {
            let res = ResourceInfo::by_kind(object.kind()).unwrap_or(ResourceInfo::of("pods"));
            format!("{} {done}", printers::name_of(res, &o))
        }
        (Command::CreateToken { .. }, ApiBody::Object(Object::TokenRequest(t))) => t.status.token,
        (Command::CanI { warning, .. }, ApiBody::Object(Object::SelfSubjectAccessReview(r))) => {
            let answer = match (r.status.allowed, r.status.reason.is_empty()) {
                (true, _) => "yes".to_string(),
                (false, true) => "no".to_string(),
                (false, false) => format!("no - {}", r.status.reason),
            };
            warning.as_ref().map_or(answer.clone(), |w| format!("{w}\n{answer}"))
        }
        (Command::WhoAmI { output: Output::Json }, ApiBody::Object(o)) => {
            let json = parse::GetFlags { output: Output::Json, ..Default::default() };
            printers::print_one(ResourceInfo::of("selfsubjectreviews"), &o, now, &json)
        }
        (Command::WhoAmI { .. }, ApiBody::Object(Object::SelfSubjectReview(r))) => {
            let u = r.status.user_info;
            let mut rows =
                vec![vec!["ATTRIBUTE".to_string(), "VALUE".to_string()], vec!["Username".into(), u.username]];
            if !u.uid.is_empty() {
                rows.push(vec!["UID".into(), u.uid]);
            }
            rows.push(vec!["Groups".into(), format!("[{}]", u.groups.join(" "))]);
            printers::table(&rows)
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
        (Command::Delete { resource, name, grace, .. }, _) => {
            let kind = match resource.group {
                "" => resource.singular.to_string(),
                group => format!("{}.{group}", resource.singular),
            };
            match grace {
                Some(0) => format!(
                    "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n{kind} \"{name}\" force deleted"
                ),
                _ => format!("{kind} \"{name}\" deleted"),
            }
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
