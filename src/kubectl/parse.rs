//! Parsing one console line into a kubectl command, with kubectl's own error messages.

use super::create;
use super::identity::split_identity;
pub use super::identity::{identity, Identity};
pub use super::selector::selector;
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{AccessReviewSpec, LabelSelector, NonResourceAttributes, Object, ResourceAttributes};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Output {
    #[default]
    Table,
    Wide,
    Name,
    Json,
    Yaml,
    /// `-o jsonpath=TEMPLATE`.
    JsonPath(Box<super::jsonpath::Template>),
    /// `-o custom-columns=HEADER:PATH,…`.
    CustomColumns(Vec<(String, super::jsonpath::Template)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutAction {
    Status,
    History,
    Undo(Option<i64>),
}

/// What `kubectl expose` puts in the Service.
#[derive(Clone, Debug, PartialEq)]
pub struct ExposeFlags {
    pub port: i32,
    pub target_port: Option<i32>,
    /// --name (the exposed object's name otherwise).
    pub name: Option<String>,
    pub type_: Option<String>,
    pub session_affinity: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `kubectl create <kind>` and `kubectl run`: one object to create.
    Create {
        object: Box<Object>,
        /// What kubectl says once it is done: `created`, or `autoscaled`.
        done: &'static str,
    },
    /// `kubectl apply -f`: the manifest's documents, applied in order.
    Apply {
        docs: Vec<super::apply::Doc>,
    },
    /// `kubectl create token SA [--duration=D]`: a TokenRequest.
    CreateToken {
        name: String,
        namespace: String,
        seconds: i64,
    },
    /// `kubectl auth can-i VERB RESOURCE[/NAME] | VERB /PATH`.
    CanI {
        attributes: Box<AccessReviewSpec>,
        /// Printed before the answer (kubectl's warnings about the resource).
        warning: Option<String>,
    },
    /// `kubectl get --raw /PATH`, and `curl https://<apiserver>:6443/PATH` (anonymous).
    Raw {
        path: String,
        /// curl prints a failure as the Status JSON the apiserver sent.
        curl: bool,
        /// The resource request a REST path names, if it names one.
        rest: Option<Box<crate::sim::api::request::ApiRequest>>,
    },
    /// `kubectl auth whoami [-o json]`.
    WhoAmI {
        output: Output,
    },
    Get {
        resource: &'static ResourceInfo,
        name: Option<String>,
        namespace: String,
        flags: GetFlags,
    },
    /// `kubectl label|annotate TYPE NAME k=v… k-… [--overwrite]`.
    Label {
        resource: &'static ResourceInfo,
        name: String,
        namespace: String,
        /// Annotations instead of labels.
        annotate: bool,
        /// New values, and None for `key-` (remove).
        changes: Vec<(String, Option<String>)>,
        overwrite: bool,
    },
    /// `kubectl api-resources`: the resource table as discovery serves it, with the custom
    /// resources found.
    ApiResources {
        custom: Vec<&'static ResourceInfo>,
    },
    /// `kubectl edit`: `edited` is the editor's text as opened and as saved (None: opening it).
    Edit {
        resource: &'static ResourceInfo,
        name: String,
        namespace: String,
        edited: Option<super::edit::Saved>,
    },
    Scale {
        resource: &'static ResourceInfo,
        name: String,
        replicas: i32,
        namespace: String,
    },
    Delete {
        resource: &'static ResourceInfo,
        name: String,
        namespace: String,
        /// DeleteOptions.propagationPolicy from --cascade.
        cascade: &'static str,
        /// DeleteOptions.gracePeriodSeconds from --grace-period, --now or --force.
        grace: Option<i64>,
    },
    Cordon {
        node: String,
        unschedulable: bool,
    },
    /// `kubectl drain NODE`: cordon, then evict every pod bound there.
    Drain {
        node: String,
    },
    /// `kubectl rollout restart deployment/NAME`.
    RolloutRestart {
        resource: &'static ResourceInfo,
        name: String,
        namespace: String,
    },
    /// `kubectl rollout status|history|undo deployment/NAME [--to-revision=N]`.
    Rollout {
        action: RolloutAction,
        resource: &'static ResourceInfo,
        name: String,
        namespace: String,
    },
    /// `kubectl set image deployment/NAME CONTAINER=IMAGE…`.
    SetImage {
        resource: &'static ResourceInfo,
        name: String,
        namespace: String,
        images: Vec<(String, String)>,
    },
    /// `kubectl expose deployment NAME --port=P [--target-port=T] [--name=S] [--type=T]`.
    Expose {
        resource: &'static ResourceInfo,
        name: String,
        namespace: String,
        service: ExposeFlags,
    },
    /// `kubectl describe pod|node NAME` (or every one without a name).
    Describe {
        resource: &'static ResourceInfo,
        name: Option<String>,
        namespace: String,
    },
}

/// How `kubectl get` selects and prints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GetFlags {
    pub output: Output,
    pub all_namespaces: bool,
    pub show_labels: bool,
    /// `--no-headers`: the table's rows without its header line.
    pub no_headers: bool,
    /// `-l`: sent to the apiserver, which filters lists and watches.
    pub selector: Option<LabelSelector>,
    /// `--field-selector`: sent likewise.
    pub field_selector: Option<crate::sim::api::fields::FieldSelector>,
    /// `-w`: after the table, a row per change until interrupted.
    pub watch: bool,
}

/// Flags and positional words of one command line.
struct Args<'a> {
    words: Vec<String>,
    flags: Vec<(String, Option<String>)>,
    /// Everything after a bare `--`: the container's command or arguments.
    tail: Vec<String>,
    /// Resources discovery found beyond the built-in ones (custom resources).
    discovered: &'a [&'static ResourceInfo],
    /// The current context's namespace, for commands without `-n`.
    default_ns: &'a str,
}

impl<'a> Args<'a> {
    fn parse(
        tokens: &[String],
        discovered: &'a [&'static ResourceInfo],
        default_ns: &'a str,
    ) -> Result<Args<'a>, String> {
        let mut words = Vec::new();
        let mut flags = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let t = &tokens[i];
            if t == "--" {
                return Ok(Args { words, flags, tail: tokens[i + 1..].to_vec(), discovered, default_ns });
            }
            if let Some(long) = t.strip_prefix("--") {
                match long.split_once('=') {
                    Some((k, v)) => flags.push((k.to_string(), Some(v.to_string()))),
                    None if takes_value(long) => {
                        let v = tokens.get(i + 1).ok_or_else(|| format!("error: flag needs an argument: --{long}"))?;
                        flags.push((long.to_string(), Some(v.clone())));
                        i += 1;
                    }
                    None => flags.push((long.to_string(), None)),
                }
            } else if let Some(short) = t.strip_prefix('-').filter(|s| !s.is_empty()) {
                let (k, inline) = (&short[..1], &short[1..]);
                let long = match k {
                    "n" => "namespace",
                    "o" => "output",
                    "A" => "all-namespaces",
                    "l" => "labels",
                    "w" => "watch",
                    _ => return Err(format!("error: unknown shorthand flag: '{k}' in {t}")),
                };
                if long == "all-namespaces" || long == "watch" {
                    flags.push((long.into(), None));
                } else if !inline.is_empty() {
                    flags.push((long.into(), Some(inline.trim_start_matches('=').to_string())));
                } else {
                    let v = tokens.get(i + 1).ok_or_else(|| format!("error: flag needs an argument: '{k}' in -{k}"))?;
                    flags.push((long.into(), Some(v.clone())));
                    i += 1;
                }
            } else {
                words.push(t.clone());
            }
            i += 1;
        }
        Ok(Args { words, flags, tail: Vec::new(), discovered, default_ns })
    }

    fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().rev().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref())
    }

    /// Every value of a repeatable flag, commas splitting values as kubectl's string slices do.
    fn all(&self, name: &str) -> Vec<String> {
        self.flags
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.as_deref())
            .flat_map(|v| v.split(','))
            .filter(|v| !v.is_empty())
            .map(String::from)
            .collect()
    }

    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(k, _)| k == name)
    }

    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self.flags.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            Some((k, _)) => Err(format!("error: unknown flag: --{k}")),
            None => Ok(()),
        }
    }

    fn namespace(&self) -> String {
        self.flag("namespace").unwrap_or(self.default_ns).to_string()
    }

    fn int(&self, name: &str) -> Result<Option<i32>, String> {
        match self.flag(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("error: invalid argument \"{v}\" for \"--{name}\" flag: strconv.ParseInt: parsing \"{v}\": invalid syntax")),
        }
    }
}

fn takes_value(flag: &str) -> bool {
    matches!(
        flag,
        "image"
            | "replicas"
            | "port"
            | "namespace"
            | "output"
            | "from-literal"
            | "labels"
            | "target-port"
            | "name"
            | "type"
            | "verb"
            | "resource"
            | "resource-name"
            | "role"
            | "clusterrole"
            | "user"
            | "group"
            | "serviceaccount"
            | "hard"
            | "scopes"
            | "value"
            | "description"
            | "duration"
            | "subresource"
            | "non-resource-url"
            | "aggregation-rule"
            | "preemption-policy"
            | "as"
            | "as-group"
            | "token"
            | "raw"
            | "selector"
            | "field-selector"
    )
}

/// Splits a line into words, honouring single and double quotes.
pub fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for ch in line.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err("error: unterminated quoted string".into());
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn resource(name: &str, discovered: &[&'static ResourceInfo]) -> Result<&'static ResourceInfo, String> {
    ResourceInfo::lookup(name)
        .or_else(|| ResourceInfo::lookup_in(discovered, name))
        .ok_or_else(|| format!("error: the server doesn't have a resource type \"{name}\""))
}

/// Splits `deployment/web` or `deployment web` into resource and name.
fn resource_and_name(
    words: &[String],
    discovered: &[&'static ResourceInfo],
) -> Result<(&'static ResourceInfo, Option<String>), String> {
    let first = words.first().ok_or_else(|| "error: you must specify the type of resource to get".to_string())?;
    if let Some((r, n)) = first.split_once('/') {
        return Ok((resource(r, discovered)?, Some(n.to_string())));
    }
    Ok((resource(first, discovered)?, words.get(1).cloned()))
}

pub fn parse(line: &str) -> Result<Command, String> {
    parse_with(line, &[], "default")
}

/// Parses with the custom resources discovery knows about, in the current context's namespace.
pub fn parse_with(line: &str, discovered: &[&'static ResourceInfo], default_ns: &str) -> Result<Command, String> {
    let tokens = split_identity(&tokenize(line)?)?.0;
    let Some((program, rest)) = tokens.split_first() else {
        return Err(String::new());
    };
    if program != "kubectl" && program != "k" {
        return Err(format!("{program}: command not found (this console runs kubectl)"));
    }
    let Some((verb, rest)) = rest.split_first() else {
        return Err("kubectl controls the Kubernetes cluster manager.\n\nCommands: create, run, get, describe, edit, expose, scale, rollout restart|status|history|undo, set image, delete, cordon, uncordon, drain, auth can-i|whoami\n\nFlags: -n, -A, -o, --as, --as-group, --token".into());
    };
    let args = Args::parse(rest, discovered, default_ns)?;
    match verb.as_str() {
        "create" => parse_create(&args),
        "run" => {
            args.only(&["image", "namespace", "labels", "restart", "command"])?;
            let name = exactly_one(&args.words, "NAME")?;
            let restart = args.flag("restart").unwrap_or("Always").to_string();
            if !["Always", "OnFailure", "Never"].contains(&restart.as_str()) {
                return Err(format!("error: invalid restart policy: {restart}"));
            }
            let (command, cmd_args) =
                if args.has("command") { (args.tail.clone(), vec![]) } else { (vec![], args.tail.clone()) };
            let image = args.flag("image").ok_or("error: required flag(s) \"image\" not set")?.to_string();
            let mut labels = Vec::new();
            for pair in args.flag("labels").unwrap_or_default().split(',').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').ok_or_else(|| format!("error: invalid label spec: {pair}"))?;
                labels.push((k.to_string(), v.to_string()));
            }
            let pod = create::run_pod(&args.namespace(), &name, &image, &labels, &restart, command, cmd_args);
            Ok(Command::Create { object: Box::new(pod), done: "created" })
        }
        "auth" => parse_auth(&args),
        "get" if args.has("raw") => {
            args.only(&["raw"])?;
            let path = args.flag("raw").unwrap_or_default();
            if !path.starts_with('/') {
                return Err(format!("error: --raw must be a path starting with /, not \"{path}\""));
            }
            let rest = super::curl::rest_request(path, args.discovered).map(Box::new);
            Ok(Command::Raw { path: path.to_string(), curl: false, rest })
        }
        "get" => {
            args.only(&[
                "namespace",
                "output",
                "all-namespaces",
                "labels",
                "selector",
                "show-labels",
                "no-headers",
                "watch",
                "field-selector",
            ])?;
            let (resource, name) = resource_and_name(&args.words, args.discovered)?;
            let output = match args.flag("output") {
                None => Output::Table,
                Some("wide") => Output::Wide,
                Some("name") => Output::Name,
                Some("json") => Output::Json,
                Some("yaml") => Output::Yaml,
                Some(o) => printer(o)?,
            };
            let selector = match args.flag("selector").or(args.flag("labels")) {
                Some(text) => Some(selector(text)?),
                None => None,
            };
            let watch = args.has("watch");
            if watch && name.is_some() {
                return Err("error: this console watches lists: kubectl get TYPE -w".into());
            }
            // Upstream the apiserver parses it; the words are its 400's.
            let field_selector = match args.flag("field-selector") {
                Some(text) => Some(
                    crate::sim::api::fields::FieldSelector::parse(text)
                        .map_err(|e| format!("Error from server (BadRequest): {e}"))?,
                ),
                None => None,
            };
            let flags = GetFlags {
                output,
                all_namespaces: args.has("all-namespaces"),
                show_labels: args.has("show-labels"),
                no_headers: args.has("no-headers"),
                selector,
                field_selector,
                watch,
            };
            Ok(Command::Get { resource, name, namespace: args.namespace(), flags })
        }
        "label" | "annotate" => {
            args.only(&["namespace", "overwrite"])?;
            let (resource, name) = resource_and_name(&args.words, args.discovered)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            let skip = if args.words[0].contains('/') { 1 } else { 2 };
            let mut changes = Vec::new();
            for w in args.words.iter().skip(skip) {
                match (w.split_once('='), w.strip_suffix('-')) {
                    (Some((k, v)), _) => changes.push((k.to_string(), Some(v.to_string()))),
                    (None, Some(k)) => changes.push((k.to_string(), None)),
                    (None, None) => return Err(format!("error: invalid label spec: {w}")),
                }
            }
            if changes.is_empty() {
                return Err(format!(
                    "error: at least one {} update is required",
                    if verb == "label" { "label" } else { "annotation" }
                ));
            }
            let annotate = verb == "annotate";
            Ok(Command::Label {
                resource,
                name,
                namespace: args.namespace(),
                annotate,
                changes,
                overwrite: args.has("overwrite"),
            })
        }
        "autoscale" => {
            args.only(&["namespace", "min", "max", "cpu-percent", "name"])?;
            let (resource, name) = resource_and_name(&args.words, args.discovered)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            if resource.plural != "deployments" {
                return Err(format!(
                    "error: cannot autoscale a {} (this console autoscales deployments)",
                    resource.kind
                ));
            }
            let max = args.int("max")?.ok_or("error: --max=MAXPODS is required and must be at least 1")?;
            let min = args.int("min")?;
            let hpa = create::autoscaler(
                &args.namespace(),
                args.flag("name").unwrap_or(&name),
                &name,
                min,
                max,
                args.int("cpu-percent")?,
            );
            Ok(Command::Create { object: Box::new(hpa), done: "autoscaled" })
        }
        "api-resources" => {
            args.only(&[])?;
            Ok(Command::ApiResources { custom: args.discovered.to_vec() })
        }
        "edit" => {
            args.only(&["namespace"])?;
            let (resource, name) = resource_and_name(&args.words, args.discovered)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            Ok(Command::Edit { resource, name, namespace: args.namespace(), edited: None })
        }
        "scale" => {
            args.only(&["replicas", "namespace"])?;
            let (resource, name) = resource_and_name(&args.words, args.discovered)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            let replicas = args.int("replicas")?.ok_or("error: required flag(s) \"replicas\" not set")?;
            if replicas < 0 {
                return Err(
                    "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".into(),
                );
            }
            let custom = ResourceInfo::by_plural(resource.plural).is_none_or(|r| r.group != resource.group);
            if !custom && !matches!(resource.plural, "deployments" | "replicasets" | "statefulsets") {
                return Err(format!(
                    "error: no scaler has been implemented for {{\"{}\" \"{}\"}}",
                    resource.group, resource.kind
                ));
            }
            Ok(Command::Scale { resource, name, replicas, namespace: args.namespace() })
        }
        "delete" => {
            // --wait is accepted; the console never waits for finalizers (as --wait=false).
            args.only(&["namespace", "cascade", "wait", "grace-period", "now", "force"])?;
            let (resource, name) = resource_and_name(&args.words, args.discovered)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            // --cascade=background (kubectl's default), foreground or orphan; false is orphan.
            let cascade = match args.flag("cascade").unwrap_or("background") {
                "background" | "true" => "Background",
                "foreground" => "Foreground",
                "orphan" | "false" => "Orphan",
                other => {
                    return Err(format!(
                        "error: invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\""
                    ))
                }
            };
            // -1 (the default) leaves the object's own grace period; --now is 1; kubectl turns
            // 0 into 1 unless --force asks for an immediate deletion.
            let mut grace: i64 = match args.flag("grace-period") {
                Some(g) => g.parse().map_err(|_| format!("error: invalid argument \"{g}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{g}\": invalid syntax"))?,
                None => -1,
            };
            if args.has("now") {
                if grace >= 0 {
                    return Err("error: --now and --grace-period cannot be specified together".into());
                }
                grace = 1;
            }
            let force = args.has("force") && args.flag("force") != Some("false");
            if grace == 0 && !force {
                grace = 1;
            }
            if force && grace < 0 {
                grace = 0;
            }
            let grace = (grace >= 0).then_some(grace);
            Ok(Command::Delete { resource, name, namespace: args.namespace(), cascade, grace })
        }
        "describe" => {
            args.only(&["namespace"])?;
            let (resource, name) = resource_and_name(&args.words, args.discovered)?;
            let described = [
                "pods",
                "nodes",
                "deployments",
                "services",
                "daemonsets",
                "poddisruptionbudgets",
                "persistentvolumeclaims",
            ];
            if !described.contains(&resource.plural) {
                return Err(format!(
                    "error: this console describes pods, nodes, deployments, services, daemonsets, poddisruptionbudgets and persistentvolumeclaims so far; try kubectl get {} -o json",
                    resource.plural
                ));
            }
            Ok(Command::Describe { resource, name, namespace: args.namespace() })
        }
        "expose" => {
            args.only(&["namespace", "port", "target-port", "name", "type", "session-affinity"])?;
            let (resource, name) = resource_and_name(&args.words, args.discovered)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            if !["deployments", "pods"].contains(&resource.plural) {
                return Err(format!("error: this console exposes deployments and pods, not {}", resource.plural));
            }
            let port = args.int("port")?.ok_or(
                "error: couldn't find port via --port flag or introspection\nSee 'kubectl expose -h' for help and examples",
            )?;
            let type_ = args.flag("type").map(str::to_string);
            if let Some(t) = &type_ {
                if !["ClusterIP", "NodePort", "LoadBalancer"].contains(&t.as_str()) {
                    return Err(format!("error: invalid service type \"{t}\""));
                }
            }
            let session_affinity = args.flag("session-affinity").map(str::to_string);
            if let Some(a) = session_affinity.as_deref().filter(|a| *a != "ClientIP" && *a != "None") {
                return Err(format!("error: invalid session affinity \"{a}\" (ClientIP or None)"));
            }
            let service = ExposeFlags {
                port,
                target_port: args.int("target-port")?,
                name: args.flag("name").map(str::to_string),
                type_,
                session_affinity,
            };
            Ok(Command::Expose { resource, name, namespace: args.namespace(), service })
        }
        "rollout" => {
            args.only(&["namespace", "to-revision"])?;
            let (sub, rest) = args.words.split_first().ok_or("error: Required resource not specified.")?;
            let action = match sub.as_str() {
                "restart" => None,
                "status" => Some(RolloutAction::Status),
                "history" => Some(RolloutAction::History),
                "undo" => Some(RolloutAction::Undo(args.int("to-revision")?.filter(|r| *r > 0).map(i64::from))),
                _ => {
                    return Err(format!(
                        "error: unknown command \"{sub}\" for \"kubectl rollout\" (this console knows restart, status, history, undo)"
                    ))
                }
            };
            let (resource, name) = resource_and_name(rest, args.discovered)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            let status_of_daemonset = resource.plural == "daemonsets" && action == Some(RolloutAction::Status);
            if resource.plural != "deployments" && !status_of_daemonset {
                return Err(format!(
                    "error: this console rolls out deployments (and shows daemonsets' rollout status), not {}",
                    resource.qualified()
                ));
            }
            let namespace = args.namespace();
            Ok(match action {
                None => Command::RolloutRestart { resource, name, namespace },
                Some(action) => Command::Rollout { action, resource, name, namespace },
            })
        }
        "set" => {
            args.only(&["namespace"])?;
            let (sub, rest) = args.words.split_first().ok_or("error: must specify one of: image")?;
            if sub != "image" {
                return Err(format!("error: unknown command \"{sub}\" for \"kubectl set\" (this console knows image)"));
            }
            let (resource, name) = resource_and_name(rest, args.discovered)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            let pairs: Vec<&String> = rest.iter().filter(|w| w.contains('=')).collect();
            if pairs.is_empty() {
                return Err("error: at least one image update is required".into());
            }
            let images = pairs
                .iter()
                .map(|p| p.split_once('=').map(|(c, i)| (c.to_string(), i.to_string())).unwrap_or_default())
                .collect();
            if resource.plural != "deployments" {
                return Err(format!("error: this console sets images on deployments, not {}", resource.plural));
            }
            Ok(Command::SetImage { resource, name, namespace: args.namespace(), images })
        }
        "drain" => {
            args.only(&["ignore-daemonsets", "delete-emptydir-data", "force"])?;
            Ok(Command::Drain { node: exactly_one(&args.words, "NODE")? })
        }
        "cordon" | "uncordon" => {
            args.only(&[])?;
            let node = exactly_one(&args.words, "NODE")?;
            Ok(Command::Cordon { node, unschedulable: verb == "cordon" })
        }
        other => Err(format!("error: unknown command \"{other}\" for \"kubectl\"")),
    }
}

/// The `--from-literal=key=value` flags, in order.
fn literals(args: &Args) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (k, v) in &args.flags {
        if k == "from-literal" {
            let lit = v.clone().unwrap_or_default();
            let (key, value) = lit
                .split_once('=')
                .ok_or_else(|| format!("error: invalid literal source {lit}, expected key=value"))?;
            out.push((key.to_string(), value.to_string()));
        }
    }
    Ok(out)
}

fn exactly_one(words: &[String], what: &str) -> Result<String, String> {
    match words {
        [one] => Ok(one.clone()),
        _ => Err(format!("error: exactly one {what} is required, got {}", words.len())),
    }
}

fn parse_create(args: &Args) -> Result<Command, String> {
    let Some((kind, rest)) = args.words.split_first() else {
        return Err("error: must specify one of -f and -k".into());
    };
    let ns = args.namespace();
    let image = || args.flag("image").map(str::to_string).ok_or("error: required flag(s) \"image\" not set");
    let object = match kind.as_str() {
        "deployment" | "deploy" => {
            args.only(&["image", "replicas", "port", "namespace"])?;
            let name = exactly_one(rest, "NAME")?;
            create::deployment(&ns, &name, &image()?, args.int("replicas")?.unwrap_or(1), args.int("port")?)
        }
        "job" => {
            args.only(&["image", "namespace"])?;
            create::job(&ns, &exactly_one(rest, "NAME")?, &image()?, args.tail.clone())
        }
        "cronjob" | "cj" => {
            args.only(&["image", "namespace", "schedule", "restart"])?;
            let name = exactly_one(rest, "NAME")?;
            let schedule = args.flag("schedule").ok_or("error: --schedule must be specified")?;
            let restart = args.flag("restart").unwrap_or("OnFailure");
            create::cronjob(&ns, &name, &image()?, schedule, restart, args.tail.clone())
        }
        "namespace" | "ns" => {
            args.only(&[])?;
            create::namespace(&exactly_one(rest, "NAME")?)
        }
        "secret" => {
            args.only(&["from-literal", "namespace"])?;
            let (kind, names) =
                rest.split_first().ok_or("error: must specify one of: docker-registry, generic, tls")?;
            if kind != "generic" {
                return Err(format!(
                    "error: unknown command \"{kind}\" for \"kubectl create secret\" (this console knows generic)"
                ));
            }
            let name = exactly_one(names, "NAME")?;
            create::secret(&ns, &name, &literals(args)?)
        }
        "configmap" | "cm" => {
            args.only(&["from-literal", "namespace"])?;
            let name = exactly_one(rest, "NAME")?;
            create::config_map(&ns, &name, &literals(args)?)
        }
        "serviceaccount" | "sa" => {
            args.only(&["namespace"])?;
            create::service_account(&ns, &exactly_one(rest, "NAME")?)
        }
        "token" => {
            args.only(&["namespace", "duration"])?;
            let name = exactly_one(rest, "SERVICE_ACCOUNT")?;
            let seconds = match args.flag("duration") {
                None => 0,
                Some(d) => {
                    (crate::sim::time::parse_duration(d)
                        .map_err(|e| format!("error: invalid argument \"{d}\" for \"--duration\" flag: {e}"))?
                        / crate::sim::time::SECONDS) as i64
                }
            };
            return Ok(Command::CreateToken { name, namespace: ns, seconds });
        }
        "role" | "clusterrole" => {
            let cluster = kind == "clusterrole";
            let allowed: &[&str] = if cluster {
                &["verb", "resource", "resource-name", "non-resource-url", "aggregation-rule"]
            } else {
                &["verb", "resource", "resource-name", "namespace"]
            };
            args.only(allowed)?;
            let name = exactly_one(rest, "NAME")?;
            let (verbs, resources, urls) = (args.all("verb"), args.all("resource"), args.all("non-resource-url"));
            let aggregation = args.flag("aggregation-rule");
            if resources.is_empty() && urls.is_empty() && aggregation.is_none() {
                return Err("error: at least one resource must be specified".into());
            }
            let rules = if resources.is_empty() {
                vec![]
            } else {
                create::rules(&verbs, &resources, &args.all("resource-name"))?
            };
            if cluster {
                create::cluster_role(&name, rules, &verbs, &urls, aggregation)?
            } else {
                create::role(&ns, &name, rules)
            }
        }
        "rolebinding" | "clusterrolebinding" => {
            let cluster = kind == "clusterrolebinding";
            let allowed: &[&str] = if cluster {
                &["clusterrole", "user", "group", "serviceaccount"]
            } else {
                &["clusterrole", "role", "user", "group", "serviceaccount", "namespace"]
            };
            args.only(allowed)?;
            let name = exactly_one(rest, "NAME")?;
            let subjects = create::subjects(&args.all("user"), &args.all("group"), &args.all("serviceaccount"))?;
            let namespace = if cluster { None } else { Some(ns.as_str()) };
            create::binding(namespace, &name, args.flag("role"), args.flag("clusterrole"), subjects)?
        }
        "quota" | "resourcequota" => {
            args.only(&["hard", "scopes", "namespace"])?;
            let name = exactly_one(rest, "NAME")?;
            create::quota(&ns, &name, args.flag("hard").unwrap_or_default(), args.flag("scopes").unwrap_or_default())?
        }
        "poddisruptionbudget" | "pdb" => {
            args.only(&["selector", "min-available", "max-unavailable", "namespace"])?;
            let name = exactly_one(rest, "NAME")?;
            let (min, max) =
                (args.flag("min-available").map(String::from), args.flag("max-unavailable").map(String::from));
            create::pdb(&ns, &name, args.flag("selector").unwrap_or_default(), min, max)?
        }
        "priorityclass" | "pc" => {
            args.only(&["value", "global-default", "description", "preemption-policy"])?;
            let name = exactly_one(rest, "NAME")?;
            let value = args.int("value")?.unwrap_or(0);
            let policy = args.flag("preemption-policy");
            if let Some(p) = policy.filter(|p| *p != "Never" && *p != "PreemptLowerPriority") {
                return Err(format!("error: invalid preemption policy: {p}"));
            }
            create::priority_class(
                &name,
                value,
                args.has("global-default"),
                args.flag("description").unwrap_or_default(),
                policy,
            )
        }
        other => return Err(format!("error: unknown command \"{other}\" for \"kubectl create\"")),
    };
    Ok(Command::Create { object: Box::new(object), done: "created" })
}

/// The template printers: `jsonpath=…` and `custom-columns=…`, with kubectl's errors.
fn printer(format: &str) -> Result<Output, String> {
    let (name, arg) = format.split_once('=').unwrap_or((format, ""));
    match name {
        "jsonpath" | "custom-columns" if arg.is_empty() => {
            let which = if name == "jsonpath" { "template format specified but no template given" } else { "custom-columns format specified but no custom columns given" };
            Err(format!("error: {which}"))
        }
        "jsonpath" => Ok(Output::JsonPath(Box::new(super::jsonpath::Template::parse(arg)?))),
        "custom-columns" => {
            let mut columns = Vec::new();
            for spec in arg.split(',') {
                let Some((header, path)) = spec.split_once(':') else {
                    return Err(format!("error: unexpected custom-columns spec: {spec}, expected <header>:<json-path-expr>"));
                };
                columns.push((header.to_string(), super::jsonpath::relaxed(path)?));
            }
            Ok(Output::CustomColumns(columns))
        }
        _ => Err(format!(
            "error: unable to match a printer suitable for the output format \"{format}\", allowed formats are: custom-columns,json,jsonpath,name,wide,yaml"
        )),
    }
}

/// `kubectl auth can-i …` and `kubectl auth whoami`.
fn parse_auth(args: &Args) -> Result<Command, String> {
    let (sub, rest) = args.words.split_first().ok_or("error: must specify one of: can-i, whoami")?;
    match sub.as_str() {
        "whoami" => {
            args.only(&["output"])?;
            let output = match args.flag("output") {
                None => Output::Table,
                Some("json") => Output::Json,
                Some(o) => return Err(format!("error: unable to match a printer suitable for the output format \"{o}\", allowed formats are: json")),
            };
            Ok(Command::WhoAmI { output })
        }
        "can-i" => {
            args.only(&["namespace", "all-namespaces", "subresource"])?;
            let [verb, what, more @ ..] = rest else {
                return Err(
                    "error: you must specify two arguments: verb resource or verb resource/resourceName.".into()
                );
            };
            if let Some(path) = what.strip_prefix('/').map(|p| format!("/{p}")) {
                let nr = NonResourceAttributes { path, verb: verb.clone() };
                return Ok(Command::CanI {
                    attributes: Box::new(AccessReviewSpec { non_resource_attributes: Some(nr), ..Default::default() }),
                    warning: None,
                });
            }
            let (res, name) = match what.split_once('/') {
                Some((r, n)) => (r.to_string(), n.to_string()),
                None => (what.clone(), more.first().cloned().unwrap_or_default()),
            };
            let (resource, group, namespaced, warning) = match ResourceInfo::lookup(&res) {
                Some(info) => (info.plural.to_string(), info.group.to_string(), info.namespaced, None),
                None if res == "*" => (res.clone(), "*".into(), true, None),
                None => {
                    let (r, g) = res.split_once('.').unwrap_or((res.as_str(), ""));
                    let warning = format!("Warning: the server doesn't have a resource type '{r}'");
                    (r.to_string(), g.to_string(), true, Some(warning))
                }
            };
            let namespace = if args.has("all-namespaces") || !namespaced { String::new() } else { args.namespace() };
            let ra = ResourceAttributes {
                namespace,
                verb: verb.clone(),
                group,
                resource,
                subresource: args.flag("subresource").unwrap_or_default().to_string(),
                name,
            };
            Ok(Command::CanI {
                attributes: Box::new(AccessReviewSpec { resource_attributes: Some(ra), ..Default::default() }),
                warning,
            })
        }
        other => Err(format!("error: unknown command \"{other}\" for \"kubectl auth\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_walking_skeleton_commands() {
        let Command::Create { object, .. } = parse("kubectl create deployment web --image=nginx --replicas=3").unwrap()
        else {
            panic!()
        };
        let Object::Deployment(d) = *object else { panic!() };
        assert_eq!((d.metadata.name.as_str(), d.spec.replicas), ("web", Some(3)));
        assert_eq!(d.spec.template.spec.containers[0].image, "nginx");
        let Command::Get { resource, flags, .. } = parse("kubectl get pods -o wide").unwrap() else { panic!() };
        assert_eq!((resource.plural, flags.output), ("pods", Output::Wide));
        let Command::Get { flags, .. } = parse("kubectl get po -A").unwrap() else { panic!() };
        assert!(flags.all_namespaces);
        let Command::Get { name, .. } = parse("kubectl get deploy/web").unwrap() else { panic!() };
        assert_eq!(name.as_deref(), Some("web"));
    }

    #[test]
    fn identity_flags_come_off_any_command() {
        let line = "kubectl --as=alice get pods --as-group devs --as-group ops -n dev";
        let id = identity(line).unwrap();
        let who = id.impersonate.unwrap();
        assert_eq!((who.name.as_str(), who.groups), ("alice", vec!["devs".to_string(), "ops".to_string()]));
        let Command::Get { namespace, .. } = parse(line).unwrap() else { panic!() };
        assert_eq!(namespace, "dev");
        assert_eq!(identity("kubectl --token abc get pods").unwrap().token.as_deref(), Some("abc"));
        assert!(parse("kubectl --as-group=x get pods").is_err());
    }

    #[test]
    fn rbac_generators_group_rules_by_api_group() {
        let line =
            "kubectl create role pod-reader --verb=get,list --resource=pods,deployments.apps --resource=pods/log";
        let Command::Create { object, .. } = parse(line).unwrap() else { panic!() };
        let Object::Role(r) = *object else { panic!() };
        assert_eq!(r.rules.len(), 2);
        assert_eq!(r.rules[0].resources, ["pods", "pods/log"]);
        assert_eq!(r.rules[1].api_groups, ["apps"]);
        assert_eq!(
            parse("kubectl create role x --verb=fly --resource=pods").unwrap_err(),
            "error: invalid verb: 'fly'"
        );
        assert_eq!(
            parse("kubectl create rolebinding b --user=alice").unwrap_err(),
            "error: exactly one of clusterrole or role must be specified"
        );
        assert!(parse("kubectl create rolebinding b --clusterrole=view --serviceaccount=ci").is_err());
        let Command::CanI { attributes, .. } = parse("kubectl auth can-i list deployments -n dev").unwrap() else {
            panic!()
        };
        let ra = attributes.resource_attributes.unwrap();
        assert_eq!((ra.verb.as_str(), ra.group.as_str(), ra.namespace.as_str()), ("list", "apps", "dev"));
    }

    #[test]
    fn label_selectors_parse_as_kubectl_writes_them() {
        let s = selector("app=web,tier!=db,env in (a, b),!canary,track").unwrap();
        assert_eq!(s.match_labels.get("app").map(String::as_str), Some("web"));
        let ops: Vec<&str> = s.match_expressions.iter().map(|r| r.operator.as_str()).collect();
        assert_eq!(ops, ["NotIn", "In", "DoesNotExist", "Exists"]);
        assert_eq!(s.match_expressions[1].values, ["a", "b"]);
        assert!(selector("env in a").is_err());
        let Command::Get { flags, .. } = parse("kubectl get pods -l 'app in (web)' --show-labels").unwrap() else {
            panic!()
        };
        assert!(flags.show_labels && flags.selector.is_some());
    }

    #[test]
    fn errors_read_like_kubectl() {
        assert_eq!(
            parse("kubectl get widgets").unwrap_err(),
            "error: the server doesn't have a resource type \"widgets\""
        );
        assert_eq!(parse("kubectl frobnicate").unwrap_err(), "error: unknown command \"frobnicate\" for \"kubectl\"");
        assert_eq!(parse("kubectl create deployment web").unwrap_err(), "error: required flag(s) \"image\" not set");
        assert!(parse("kubectl scale deployment web --replicas=abc").unwrap_err().contains("invalid argument"));
        assert!(parse("ls -la").unwrap_err().contains("command not found"));
        assert!(parse("kubectl get pods -o jsonpaths").unwrap_err().contains("unable to match a printer"));
        assert_eq!(
            parse("kubectl get pods -o jsonpath").unwrap_err(),
            "error: template format specified but no template given"
        );
        assert_eq!(
            parse("kubectl get pods -o custom-columns=NAME").unwrap_err(),
            "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"
        );
        assert_eq!(
            parse("kubectl get pods -o 'jsonpath={.items[*}'").unwrap_err(),
            "error: error parsing jsonpath {.items[*}, unterminated array"
        );
        assert!(parse("kubectl get 'pods").is_err());
    }
}
