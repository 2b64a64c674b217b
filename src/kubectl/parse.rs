//! Parsing one console line into a kubectl command, with kubectl's own error messages.

use crate::sim::api::resource::ResourceInfo;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Table,
    Wide,
    Name,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutAction {
    Status,
    History,
    Undo(Option<i64>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    CreateDeployment {
        name: String,
        image: String,
        replicas: i32,
        port: Option<i32>,
        namespace: String,
    },
    CreateNamespace {
        name: String,
    },
    CreateSecret {
        name: String,
        literals: Vec<(String, String)>,
        namespace: String,
    },
    Run {
        name: String,
        image: String,
        namespace: String,
        /// `--labels=k=v,…`; kubectl run's default is `run=NAME`.
        labels: Vec<(String, String)>,
        /// `--restart=Always|OnFailure|Never`.
        restart: String,
        /// After `--`: the arguments, or with `--command` the command.
        command: Vec<String>,
        args: Vec<String>,
    },
    /// `kubectl create job NAME --image=IMAGE -- COMMAND…`.
    CreateJob {
        name: String,
        image: String,
        namespace: String,
        command: Vec<String>,
    },
    Get {
        resource: &'static ResourceInfo,
        name: Option<String>,
        namespace: String,
        all_namespaces: bool,
        output: Output,
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
        port: i32,
        target_port: Option<i32>,
        service_name: Option<String>,
        type_: Option<String>,
    },
    /// `kubectl describe pod|node NAME` (or every one without a name).
    Describe {
        resource: &'static ResourceInfo,
        name: Option<String>,
        namespace: String,
    },
}

/// Flags and positional words of one command line.
struct Args {
    words: Vec<String>,
    flags: Vec<(String, Option<String>)>,
    /// Everything after a bare `--`: the container's command or arguments.
    tail: Vec<String>,
}

impl Args {
    fn parse(tokens: &[String]) -> Result<Args, String> {
        let mut words = Vec::new();
        let mut flags = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let t = &tokens[i];
            if t == "--" {
                return Ok(Args { words, flags, tail: tokens[i + 1..].to_vec() });
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
                    _ => return Err(format!("error: unknown shorthand flag: '{k}' in {t}")),
                };
                if long == "all-namespaces" {
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
        Ok(Args { words, flags, tail: Vec::new() })
    }

    fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().rev().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref())
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
        self.flag("namespace").unwrap_or("default").to_string()
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

fn resource(name: &str) -> Result<&'static ResourceInfo, String> {
    ResourceInfo::lookup(name).ok_or_else(|| format!("error: the server doesn't have a resource type \"{name}\""))
}

/// Splits `deployment/web` or `deployment web` into resource and name.
fn resource_and_name(words: &[String]) -> Result<(&'static ResourceInfo, Option<String>), String> {
    let first = words.first().ok_or_else(|| "error: you must specify the type of resource to get".to_string())?;
    if let Some((r, n)) = first.split_once('/') {
        return Ok((resource(r)?, Some(n.to_string())));
    }
    Ok((resource(first)?, words.get(1).cloned()))
}

pub fn parse(line: &str) -> Result<Command, String> {
    let tokens = tokenize(line)?;
    let Some((program, rest)) = tokens.split_first() else {
        return Err(String::new());
    };
    if program != "kubectl" && program != "k" {
        return Err(format!("{program}: command not found (this console runs kubectl)"));
    }
    let Some((verb, rest)) = rest.split_first() else {
        return Err("kubectl controls the Kubernetes cluster manager.\n\nCommands: create, run, get, describe, expose, scale, rollout restart|status|history|undo, set image, delete, cordon, uncordon, drain".into());
    };
    let args = Args::parse(rest)?;
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
            Ok(Command::Run { name, image, namespace: args.namespace(), labels, restart, command, args: cmd_args })
        }
        "get" => {
            args.only(&["namespace", "output", "all-namespaces"])?;
            let (resource, name) = resource_and_name(&args.words)?;
            let output = match args.flag("output") {
                None => Output::Table,
                Some("wide") => Output::Wide,
                Some("name") => Output::Name,
                Some("json") => Output::Json,
                Some(o) => {
                    return Err(format!(
                        "error: unable to match a printer suitable for the output format \"{o}\", allowed formats are: json,name,wide"
                    ))
                }
            };
            Ok(Command::Get {
                resource,
                name,
                namespace: args.namespace(),
                all_namespaces: args.has("all-namespaces"),
                output,
            })
        }
        "scale" => {
            args.only(&["replicas", "namespace"])?;
            let (resource, name) = resource_and_name(&args.words)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            let replicas = args.int("replicas")?.ok_or("error: required flag(s) \"replicas\" not set")?;
            if replicas < 0 {
                return Err(
                    "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".into(),
                );
            }
            if !matches!(resource.plural, "deployments" | "replicasets") {
                return Err(format!(
                    "error: no scaler has been implemented for {{\"{}\" \"{}\"}}",
                    resource.group, resource.kind
                ));
            }
            Ok(Command::Scale { resource, name, replicas, namespace: args.namespace() })
        }
        "delete" => {
            args.only(&["namespace"])?;
            let (resource, name) = resource_and_name(&args.words)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            Ok(Command::Delete { resource, name, namespace: args.namespace() })
        }
        "describe" => {
            args.only(&["namespace"])?;
            let (resource, name) = resource_and_name(&args.words)?;
            if resource.plural != "pods" && resource.plural != "nodes" {
                return Err(format!(
                    "error: this console describes pods and nodes so far; try kubectl get {} -o json",
                    resource.plural
                ));
            }
            Ok(Command::Describe { resource, name, namespace: args.namespace() })
        }
        "expose" => {
            args.only(&["namespace", "port", "target-port", "name", "type"])?;
            let (resource, name) = resource_and_name(&args.words)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            if resource.plural != "deployments" {
                return Err(format!("error: this console exposes deployments, not {}", resource.plural));
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
            Ok(Command::Expose {
                resource,
                name,
                namespace: args.namespace(),
                port,
                target_port: args.int("target-port")?,
                service_name: args.flag("name").map(str::to_string),
                type_,
            })
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
            let (resource, name) = resource_and_name(rest)?;
            let name = name.ok_or("error: resource(s) were provided, but no name was specified")?;
            if resource.plural != "deployments" {
                return Err(format!("error: this console rolls out deployments, not {}", resource.qualified()));
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
            let (resource, name) = resource_and_name(rest)?;
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
    match kind.as_str() {
        "deployment" | "deploy" => {
            args.only(&["image", "replicas", "port", "namespace"])?;
            let name = exactly_one(rest, "NAME")?;
            let image = args.flag("image").ok_or("error: required flag(s) \"image\" not set")?.to_string();
            let replicas = args.int("replicas")?.unwrap_or(1);
            Ok(Command::CreateDeployment {
                name,
                image,
                replicas,
                port: args.int("port")?,
                namespace: args.namespace(),
            })
        }
        "job" => {
            args.only(&["image", "namespace"])?;
            let name = exactly_one(rest, "NAME")?;
            let image = args.flag("image").ok_or("error: required flag(s) \"image\" not set")?.to_string();
            Ok(Command::CreateJob { name, image, namespace: args.namespace(), command: args.tail.clone() })
        }
        "namespace" | "ns" => {
            args.only(&[])?;
            Ok(Command::CreateNamespace { name: exactly_one(rest, "NAME")? })
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
            let mut literals = Vec::new();
            for (k, v) in &args.flags {
                if k == "from-literal" {
                    let lit = v.clone().unwrap_or_default();
                    let (key, value) = lit
                        .split_once('=')
                        .ok_or_else(|| format!("error: invalid literal source {lit}, expected key=value"))?;
                    literals.push((key.to_string(), value.to_string()));
                }
            }
            Ok(Command::CreateSecret { name, literals, namespace: args.namespace() })
        }
        other => Err(format!("error: unknown command \"{other}\" for \"kubectl create\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_walking_skeleton_commands() {
        let c = parse("kubectl create deployment web --image=nginx --replicas=3").unwrap();
        assert_eq!(
            c,
            Command::CreateDeployment {
                name: "web".into(),
                image: "nginx".into(),
                replicas: 3,
                port: None,
                namespace: "default".into()
            }
        );
        let Command::Get { resource, output, .. } = parse("kubectl get pods -o wide").unwrap() else { panic!() };
        assert_eq!((resource.plural, output), ("pods", Output::Wide));
        let Command::Get { all_namespaces, .. } = parse("kubectl get po -A").unwrap() else { panic!() };
        assert!(all_namespaces);
        let Command::Get { name, .. } = parse("kubectl get deploy/web").unwrap() else { panic!() };
        assert_eq!(name.as_deref(), Some("web"));
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
        assert!(parse("kubectl get pods -o yaml").unwrap_err().contains("unable to match a printer"));
        assert!(parse("kubectl get 'pods").is_err());
    }
}
