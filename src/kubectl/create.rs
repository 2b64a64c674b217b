//! The objects `kubectl create <kind>` builds from its flags (kubectl's create_*.go
//! generators): deployment, job, namespace, secret generic, serviceaccount, role, clusterrole,
//! rolebinding, clusterrolebinding, quota and priorityclass — and `kubectl run`'s pod.

use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;

/// kubectl names the container after the image: `registry/nginx:1.27` → `nginx`.
pub fn container_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let base = last.split([':', '@']).next().unwrap_or(last);
    let cleaned: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    cleaned.trim_matches('-').to_string()
}

pub fn deployment(namespace: &str, name: &str, image: &str, replicas: i32, port: Option<i32>) -> Object {
    let labels: crate::sim::api::Labels = [("app".to_string(), name.to_string())].into();
    let container = Container {
        name: container_name(image),
        image: image.into(),
        ports: port.map(|p| vec![ContainerPort { container_port: p, ..Default::default() }]).unwrap_or_default(),
        ..Default::default()
    };
    let mut meta = ObjectMeta::named(namespace, name);
    meta.labels = labels.clone();
    Object::Deployment(Box::new(Deployment {
        metadata: meta,
        spec: DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector { match_labels: labels.clone(), ..Default::default() },
            template: PodTemplateSpec {
                metadata: ObjectMeta { labels, ..Default::default() },
                spec: PodSpec { containers: vec![container], ..Default::default() },
            },
            strategy: Default::default(),
        },
        status: Default::default(),
    }))
}

/// `kubectl run`: one pod, labelled `run=NAME` unless `--labels` says otherwise.
pub fn run_pod(
    namespace: &str,
    name: &str,
    image: &str,
    labels: &[(String, String)],
    restart: &str,
    command: Vec<String>,
    args: Vec<String>,
) -> Object {
    let mut meta = ObjectMeta::named(namespace, name);
    meta.labels = labels.iter().cloned().collect();
    if labels.is_empty() {
        meta.labels.insert("run".into(), name.into());
    }
    let container = Container { name: name.into(), image: image.into(), command, args, ..Default::default() };
    Object::Pod(Box::new(Pod {
        metadata: meta,
        spec: PodSpec { containers: vec![container], restart_policy: restart.into(), ..Default::default() },
        status: Default::default(),
    }))
}

/// One container named after the Job, restarting as `restart` says.
fn job_spec(name: &str, image: &str, restart: &str, command: Vec<String>) -> JobSpec {
    let container = Container { name: name.into(), image: image.into(), command, ..Default::default() };
    JobSpec {
        template: PodTemplateSpec {
            metadata: Default::default(),
            spec: PodSpec { containers: vec![container], restart_policy: restart.into(), ..Default::default() },
        },
        ..Default::default()
    }
}

pub fn job(namespace: &str, name: &str, image: &str, command: Vec<String>) -> Object {
    let spec = job_spec(name, image, "Never", command);
    Object::Job(Box::new(Job { metadata: ObjectMeta::named(namespace, name), spec, status: Default::default() }))
}

/// `kubectl create cronjob`: the Job template restarts OnFailure unless `--restart` says Never.
pub fn cronjob(
    namespace: &str,
    name: &str,
    image: &str,
    schedule: &str,
    restart: &str,
    command: Vec<String>,
) -> Object {
    let spec = job_spec(name, image, restart, command);
    Object::CronJob(Box::new(CronJob {
        metadata: ObjectMeta::named(namespace, name),
        spec: CronJobSpec {
            schedule: schedule.into(),
            job_template: JobTemplateSpec { metadata: ObjectMeta::named("", name), spec },
            ..Default::default()
        },
        status: Default::default(),
    }))
}

/// `kubectl autoscale deployment`: an autoscaling/v2 HPA on the pods' CPU (80 % without
/// --cpu-percent, as kubectl leaves it to the controller's default).
pub fn autoscaler(namespace: &str, name: &str, target: &str, min: Option<i32>, max: i32, cpu: Option<i32>) -> Object {
    let metric = MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetric {
            name: "cpu".into(),
            target: Some(MetricValue {
                type_: "Utilization".into(),
                average_utilization: Some(cpu.unwrap_or(80)),
                average_value: None,
            }),
            current: None,
        }),
    };
    Object::HorizontalPodAutoscaler(HorizontalPodAutoscaler {
        metadata: ObjectMeta::named(namespace, name),
        spec: HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                name: target.into(),
            },
            min_replicas: min,
            max_replicas: max,
            metrics: vec![metric],
        },
        status: Default::default(),
    })
}

pub fn namespace(name: &str) -> Object {
    Object::Namespace(Namespace { metadata: ObjectMeta::named("", name), ..Default::default() })
}

pub fn secret(namespace: &str, name: &str, literals: &[(String, String)]) -> Object {
    use base64::Engine;
    let data = literals.iter().map(|(k, v)| (k.clone(), base64::engine::general_purpose::STANDARD.encode(v))).collect();
    Object::Secret(Secret { metadata: ObjectMeta::named(namespace, name), type_: "Opaque".into(), data })
}

pub fn config_map(namespace: &str, name: &str, literals: &[(String, String)]) -> Object {
    let data = literals.iter().cloned().collect();
    Object::ConfigMap(ConfigMap { metadata: ObjectMeta::named(namespace, name), data })
}

pub fn service_account(namespace: &str, name: &str) -> Object {
    Object::ServiceAccount(ServiceAccount { metadata: ObjectMeta::named(namespace, name) })
}

/// The verbs `kubectl create role` accepts.
const VALID_VERBS: &[&str] = &[
    "*",
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
];

/// `--verb`, `--resource` and `--resource-name` as rules: one rule per API group, in the order
/// the resources were named. Resources are checked against discovery (the resource table).
pub fn rules(verbs: &[String], resources: &[String], names: &[String]) -> Result<Vec<PolicyRule>, String> {
    if verbs.is_empty() {
        return Err("error: at least one verb must be specified".into());
    }
    if let Some(v) = verbs.iter().find(|v| !VALID_VERBS.contains(&v.as_str())) {
        return Err(format!("error: invalid verb: '{v}'"));
    }
    let mut rules: Vec<PolicyRule> = Vec::new();
    for r in resources {
        let (base, sub) = r.split_once('/').map_or((r.as_str(), None), |(b, s)| (b, Some(s)));
        let (plural, group) = if base == "*" {
            ("*".to_string(), String::new())
        } else {
            let info = ResourceInfo::lookup(base)
                .ok_or_else(|| format!("error: the server doesn't have a resource type \"{base}\""))?;
            (info.plural.to_string(), info.group.to_string())
        };
        let resource = match sub {
            Some(s) => format!("{plural}/{s}"),
            None => plural,
        };
        match rules.iter_mut().find(|x| x.api_groups == [group.clone()]) {
            Some(rule) => rule.resources.push(resource),
            None => rules.push(PolicyRule {
                verbs: verbs.to_vec(),
                api_groups: vec![group],
                resources: vec![resource],
                resource_names: names.to_vec(),
                ..Default::default()
            }),
        }
    }
    Ok(rules)
}

pub fn role(namespace: &str, name: &str, rules: Vec<PolicyRule>) -> Object {
    Object::Role(Role { metadata: ObjectMeta::named(namespace, name), rules })
}

pub fn cluster_role(
    name: &str,
    mut rules: Vec<PolicyRule>,
    verbs: &[String],
    urls: &[String],
    aggregation: Option<&str>,
) -> Result<Object, String> {
    if !urls.is_empty() {
        rules.push(PolicyRule { verbs: verbs.to_vec(), non_resource_urls: urls.to_vec(), ..Default::default() });
    }
    let aggregation_rule = match aggregation {
        Some(spec) => Some(AggregationRule {
            cluster_role_selectors: vec![LabelSelector { match_labels: pairs(spec)?, ..Default::default() }],
        }),
        None => None,
    };
    Ok(Object::ClusterRole(ClusterRole { metadata: ObjectMeta::named("", name), rules, aggregation_rule }))
}

/// The subjects of a binding: `--user`, `--group`, `--serviceaccount=NS:NAME`.
pub fn subjects(users: &[String], groups: &[String], accounts: &[String]) -> Result<Vec<Subject>, String> {
    let mut out: Vec<Subject> =
        users.iter().map(|u| Subject { kind: "User".into(), name: u.clone(), namespace: String::new() }).collect();
    out.extend(groups.iter().map(|g| Subject { kind: "Group".into(), name: g.clone(), namespace: String::new() }));
    for sa in accounts {
        let (ns, name) = sa
            .split_once(':')
            .filter(|(ns, n)| !ns.is_empty() && !n.is_empty())
            .ok_or_else(|| "error: serviceaccount must be <namespace>:<name>".to_string())?;
        out.push(Subject { kind: "ServiceAccount".into(), name: name.into(), namespace: ns.into() });
    }
    Ok(out)
}

/// A RoleBinding (namespace set) or ClusterRoleBinding (namespace None) to `--role` or
/// `--clusterrole`.
pub fn binding(
    namespace: Option<&str>,
    name: &str,
    role: Option<&str>,
    cluster_role: Option<&str>,
    subjects: Vec<Subject>,
) -> Result<Object, String> {
    let (kind, role_name) = match (role, cluster_role) {
        (Some(r), None) if namespace.is_some() => ("Role", r),
        (None, Some(c)) => ("ClusterRole", c),
        _ if namespace.is_none() => return Err("error: required flag(s) \"clusterrole\" not set".into()),
        _ => return Err("error: exactly one of clusterrole or role must be specified".into()),
    };
    let role_ref = RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: kind.into(), name: role_name.into() };
    Ok(match namespace {
        Some(ns) => Object::RoleBinding(RoleBinding { metadata: ObjectMeta::named(ns, name), subjects, role_ref }),
        None => {
            Object::ClusterRoleBinding(ClusterRoleBinding { metadata: ObjectMeta::named("", name), subjects, role_ref })
        }
    })
}

/// `kubectl create quota NAME --hard=cpu=1,memory=1G --scopes=BestEffort`.
pub fn quota(namespace: &str, name: &str, hard: &str, scopes: &str) -> Result<Object, String> {
    let hard = pairs(hard)?;
    for (r, q) in &hard {
        crate::sim::api::quantity::parse_milli(q).map_err(|e| format!("error: invalid quantity for {r}: {e}"))?;
    }
    let scopes = scopes.split(',').filter(|s| !s.is_empty()).map(String::from).collect();
    let spec = ResourceQuotaSpec { hard, scopes };
    Ok(Object::ResourceQuota(ResourceQuota {
        metadata: ObjectMeta::named(namespace, name),
        spec,
        status: Default::default(),
    }))
}

/// `kubectl create poddisruptionbudget NAME --selector=k=v --min-available=N|--max-unavailable=N`
/// (either may be a percentage).
pub fn pdb(
    namespace: &str,
    name: &str,
    selector: &str,
    min: Option<String>,
    max: Option<String>,
) -> Result<Object, String> {
    let value = |v: String| match v.parse::<i64>() {
        Ok(n) => IntOrString::Int(n),
        Err(_) => IntOrString::String(v),
    };
    if min.is_some() == max.is_some() {
        return Err("error: one of min-available or max-unavailable must be specified".into());
    }
    if selector.is_empty() {
        return Err("error: a selector must be specified".into());
    }
    let selector = LabelSelector { match_labels: pairs(selector)?, ..Default::default() };
    let spec = PodDisruptionBudgetSpec {
        min_available: min.map(value),
        max_unavailable: max.map(value),
        selector: Some(selector),
    };
    Ok(Object::PodDisruptionBudget(PodDisruptionBudget {
        metadata: ObjectMeta::named(namespace, name),
        spec,
        status: Default::default(),
    }))
}

pub fn priority_class(
    name: &str,
    value: i32,
    global_default: bool,
    description: &str,
    preemption: Option<&str>,
) -> Object {
    Object::PriorityClass(PriorityClass {
        metadata: ObjectMeta::named("", name),
        value,
        global_default,
        description: description.into(),
        preemption_policy: preemption.map(String::from),
    })
}

/// `k=v,k2=v2` as a map.
fn pairs(text: &str) -> Result<crate::sim::api::Labels, String> {
    text.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("error: invalid argument {p}: expected key=value"))
        })
        .collect()
}
