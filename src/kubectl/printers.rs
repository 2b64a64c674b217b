//! Table printers with kubectl's columns (pkg/printers/internalversion), aligned the way
//! kubectl's tabwriter aligns them (three spaces between columns).

use super::parse::{GetFlags, Output};
use crate::sim::api::request::ApiBody;
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::Object;
use crate::sim::time::{human_duration, SimTime};

pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().map(|r| r.get(c).map_or(0, |s| s.chars().count())).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 3));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim_end_matches('\n').to_string()
}

/// etcdctl's `-w table`: boxed ASCII with centred headers.
pub fn ascii_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| rows.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0).max(h.len()))
        .collect();
    let rule = format!("+{}+", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    let centre = |s: &str, w: usize| {
        let pad = w - s.chars().count();
        format!("{}{s}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2))
    };
    let head = format!(
        "|{}|",
        header.iter().zip(&widths).map(|(h, w)| format!(" {} ", centre(h, *w))).collect::<Vec<_>>().join("|")
    );
    let mut out = vec![rule.clone(), head, rule.clone()];
    for r in rows {
        let cells: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!(" {} ", centre(c, *w))).collect();
        out.push(format!("|{}|", cells.join("|")));
    }
    out.push(rule);
    out.join("\n")
}

fn age(o: &Object, now: SimTime) -> String {
    human_duration(now.since(o.meta().creation_timestamp.0))
}

/// `12s`, or `3s (x4 over 40s)` for a repeated event: the age column of events.
pub fn event_age(e: &crate::sim::api::Event, now: SimTime) -> String {
    let since =
        |t: Option<crate::sim::api::meta::Time>| t.map_or("<unknown>".into(), |t| human_duration(now.since(t.0)));
    let last = since(e.last_timestamp);
    if e.count > 1 {
        format!("{last} (x{} over {})", e.count, since(e.first_timestamp))
    } else {
        last
    }
}

fn header(res: &ResourceInfo, wide: bool) -> Vec<&'static str> {
    let (base, extra): (&[&str], &[&str]) = match res.plural {
        "pods" => {
            (&["NAME", "READY", "STATUS", "RESTARTS", "AGE"], &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"])
        }
        "nodes" => (
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
        ),
        "deployments" => (&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        "replicasets" => (&["NAME", "DESIRED", "CURRENT", "READY", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        "poddisruptionbudgets" => (&["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"], &[]),
        "daemonsets" => (
            &["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "namespaces" => (&["NAME", "STATUS", "AGE"], &[]),
        "secrets" => (&["NAME", "TYPE", "DATA", "AGE"], &[]),
        "services" => (&["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], &["SELECTOR"]),
        "leases" => (&["NAME", "HOLDER", "AGE"], &[]),
        "events" => (&["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], &[]),
        "endpointslices" => (&["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], &[]),
        "endpoints" => (&["NAME", "ENDPOINTS", "AGE"], &[]),
        "jobs" => (&["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        "statefulsets" => (&["NAME", "READY", "AGE"], &["CONTAINERS", "IMAGES"]),
        "horizontalpodautoscalers" => (&["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"], &[]),
        "cronjobs" => (
            &["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "clusterrolebindings" | "rolebindings" => (&["NAME", "ROLE", "AGE"], &[]),
        "serviceaccounts" => (&["NAME", "SECRETS", "AGE"], &[]),
        "limitranges" | "customresourcedefinitions" => (&["NAME", "CREATED AT"], &[]),
        "mutatingwebhookconfigurations" | "validatingwebhookconfigurations" => (&["NAME", "WEBHOOKS", "AGE"], &[]),
        "resourcequotas" => (&["NAME", "AGE", "REQUEST", "LIMIT"], &[]),
        "priorityclasses" => (&["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"], &[]),
        "configmaps" => (&["NAME", "DATA", "AGE"], &[]),
        "persistentvolumeclaims" => (
            &["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"],
            &["VOLUMEMODE"],
        ),
        "persistentvolumes" => (
            &[
                "NAME",
                "CAPACITY",
                "ACCESS MODES",
                "RECLAIM POLICY",
                "STATUS",
                "CLAIM",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "REASON",
                "AGE",
            ],
            &["VOLUMEMODE"],
        ),
        "storageclasses" => {
            (&["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"], &[])
        }
        "volumeattachments" => (&["NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"], &[]),
        _ => (&["NAME", "AGE"], &[]),
    };
    let mut h = base.to_vec();
    if wide {
        h.extend_from_slice(extra);
    }
    h
}

/// The STATUS column of `kubectl get pods` (printPod's reason logic, the common cases).
pub fn pod_status(p: &crate::sim::api::Pod) -> String {
    if p.metadata.deletion_timestamp.is_some() {
        return "Terminating".into();
    }
    // Init containers first: the first one not completed tells.
    let n = p.spec.init_containers.len();
    let sidecar = |name: &str| p.spec.init_containers.iter().any(|c| c.name == name && c.is_sidecar());
    for (i, c) in p.status.init_container_statuses.iter().enumerate() {
        if sidecar(&c.name) && c.started == Some(true) {
            continue;
        }
        match (&c.state.terminated, &c.state.waiting) {
            (Some(t), _) if t.exit_code == Some(0) => continue,
            (Some(t), _) if !t.reason.is_empty() => return format!("Init:{}", t.reason),
            (Some(t), _) => return format!("Init:ExitCode:{}", t.exit_code.unwrap_or(0)),
            (None, Some(w)) if !w.reason.is_empty() && w.reason != "PodInitializing" => {
                return format!("Init:{}", w.reason)
            }
            _ => return format!("Init:{i}/{n}"),
        }
    }
    let reason = p
        .status
        .container_statuses
        .iter()
        .find_map(|c| c.state.waiting.as_ref().or(c.state.terminated.as_ref()))
        .map(|w| w.reason.clone());
    reason.filter(|r| !r.is_empty()).unwrap_or_else(|| {
        if !p.status.reason.is_empty() {
            p.status.reason.clone()
        } else if p.status.phase.is_empty() {
            "Pending".into()
        } else {
            p.status.phase.clone()
        }
    })
}

/// Access modes as kubectl abbreviates them: RWO, ROX, RWX, RWOP.
pub fn access_modes(modes: &[String]) -> String {
    let short = |m: &String| match m.as_str() {
        "ReadWriteOnce" => "RWO".to_string(),
        "ReadOnlyMany" => "ROX".to_string(),
        "ReadWriteMany" => "RWX".to_string(),
        "ReadWriteOncePod" => "RWOP".to_string(),
        other => other.to_string(),
    };
    modes.iter().map(short).collect::<Vec<_>>().join(",")
}

fn selector(m: &crate::sim::api::Labels) -> String {
    if m.is_empty() {
        return "<none>".into();
    }
    m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// The wide columns of workload controllers: CONTAINERS, IMAGES, SELECTOR.
fn template_columns(spec: &crate::sim::api::PodSpec, sel: &crate::sim::api::Labels) -> Vec<String> {
    let join = |f: fn(&crate::sim::api::Container) -> &str| spec.containers.iter().map(f).collect::<Vec<_>>().join(",");
    vec![join(|c| &c.name), join(|c| &c.image), selector(sel)]
}

fn row(o: &Object, now: SimTime, wide: bool) -> Vec<String> {
    let name = o.meta().name.clone();
    let age = age(o, now);
    let (mut base, extra): (Vec<String>, Vec<String>) = match o {
        Object::Pod(p) => {
            // Sidecars count with the app containers, ready once started.
            let sidecar = |name: &str| p.spec.init_containers.iter().any(|c| c.name == name && c.is_sidecar());
            let sidecars_ready = p
                .status
                .init_container_statuses
                .iter()
                .filter(|c| sidecar(&c.name) && c.started == Some(true) && c.ready)
                .count();
            let ready = p.status.container_statuses.iter().filter(|c| c.ready).count() + sidecars_ready;
            let total = p.spec.containers.len() + p.spec.init_containers.iter().filter(|c| c.is_sidecar()).count();
            let restarts: i32 = p
                .status
                .init_container_statuses
                .iter()
                .chain(&p.status.container_statuses)
                .map(|c| c.restart_count)
                .sum();
            let none = |s: &str| {
                if s.is_empty() {
                    "<none>".to_string()
                } else {
                    s.to_string()
                }
            };
            (
                vec![name, format!("{ready}/{total}"), pod_status(p), restarts.to_string(), age],
                vec![none(&p.status.pod_ip), none(&p.spec.node_name), "<none>".into(), "<none>".into()],
            )
        }
        Object::Node(n) => {
            let mut status = if n.is_ready() { "Ready".to_string() } else { "NotReady".to_string() };
            if n.spec.unschedulable {
                status.push_str(",SchedulingDisabled");
            }
            let roles: Vec<&str> =
                n.metadata.labels.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")).collect();
            let roles = if roles.is_empty() { "<none>".into() } else { roles.join(",") };
            let info = &n.status.node_info;
            (
                vec![name, status, roles, age, info.kubelet_version.clone()],
                vec![
                    n.internal_ip().to_string(),
                    "<none>".into(),
                    info.os_image.clone(),
                    info.kernel_version.clone(),
                    info.container_runtime_version.clone(),
                ],
            )
        }
        Object::Deployment(d) => (
            vec![
                name,
                format!("{}/{}", d.status.ready_replicas, d.spec.replicas.unwrap_or(1)),
                d.status.updated_replicas.to_string(),
                d.status.available_replicas.to_string(),
                age,
            ],
            template_columns(&d.spec.template.spec, &d.spec.selector.match_labels),
        ),
        Object::ReplicaSet(r) => (
            vec![
                name,
                r.spec.replicas.unwrap_or(1).to_string(),
                r.status.replicas.to_string(),
                r.status.ready_replicas.to_string(),
                age,
            ],
            template_columns(&r.spec.template.spec, &r.spec.selector.match_labels),
        ),
        Object::PodDisruptionBudget(pdb) => {
            let show = |v: &Option<crate::sim::api::IntOrString>| match v {
                Some(crate::sim::api::IntOrString::Int(n)) => n.to_string(),
                Some(crate::sim::api::IntOrString::String(s)) => s.clone(),
                None => "N/A".into(),
            };
            let allowed = pdb.status.disruptions_allowed.to_string();
            (vec![name, show(&pdb.spec.min_available), show(&pdb.spec.max_unavailable), allowed, age], vec![])
        }
        Object::DaemonSet(ds) => {
            let st = &ds.status;
            let node_selector: Vec<String> =
                ds.spec.template.spec.node_selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let node_selector = if node_selector.is_empty() { "<none>".into() } else { node_selector.join(",") };
            (
                vec![
                    name,
                    st.desired_number_scheduled.to_string(),
                    st.current_number_scheduled.to_string(),
                    st.number_ready.to_string(),
                    st.updated_number_scheduled.to_string(),
                    st.number_available.to_string(),
                    node_selector,
                    age,
                ],
                template_columns(&ds.spec.template.spec, &ds.spec.selector.match_labels),
            )
        }
        Object::Namespace(n) => (vec![name, n.status.phase.clone(), age], vec![]),
        Object::Service(s) => {
            let ports: Vec<String> = s
                .spec
                .ports
                .iter()
                .map(|p| {
                    let proto = if p.protocol.is_empty() { "TCP" } else { &p.protocol };
                    match p.node_port {
                        0 => format!("{}/{proto}", p.port),
                        node => format!("{}:{node}/{proto}", p.port),
                    }
                })
                .collect();
            let type_ = if s.spec.type_.is_empty() { "ClusterIP" } else { &s.spec.type_ };
            // A LoadBalancer waits for the cloud-controller-manager (forever on bare metal).
            let ingress: Vec<&str> = s.status.load_balancer.ingress.iter().map(|i| i.ip.as_str()).collect();
            let external = match (type_, ingress.is_empty()) {
                ("LoadBalancer", true) => "<pending>".to_string(),
                (_, true) => "<none>".to_string(),
                (_, false) => ingress.join(","),
            };
            (
                vec![name, type_.into(), s.spec.cluster_ip.clone(), external, ports.join(","), age],
                vec![selector(&s.spec.selector)],
            )
        }
        Object::Lease(l) => (vec![name, l.spec.holder_identity.clone(), age], vec![]),
        Object::Secret(s) => (vec![name, s.type_.clone(), s.data.len().to_string(), age], vec![]),
        Object::ClusterRoleBinding(b) => (vec![name, format!("ClusterRole/{}", b.role_ref.name), age], vec![]),
        Object::RoleBinding(b) => (vec![name, format!("{}/{}", b.role_ref.kind, b.role_ref.name), age], vec![]),
        Object::ServiceAccount(_) => (vec![name, "0".into(), age], vec![]),
        Object::MutatingWebhookConfiguration(w) | Object::ValidatingWebhookConfiguration(w) => {
            (vec![name, w.webhooks.len().to_string(), age], vec![])
        }
        Object::LimitRange(_) | Object::CustomResourceDefinition(_) => {
            (vec![name, crate::sim::time::rfc3339(o.meta().creation_timestamp.0)], vec![])
        }
        Object::ResourceQuota(q) => {
            // printResourceQuota: "used/hard" per resource, limits.* in the LIMIT column.
            let (mut request, mut limit) = (Vec::new(), Vec::new());
            for (res, hard) in &q.spec.hard {
                let used = q.status.used.get(res).map_or("0", String::as_str);
                let cell = format!("{res}: {used}/{hard}");
                if res.starts_with("limits.") {
                    limit.push(cell)
                } else {
                    request.push(cell)
                }
            }
            (vec![name, age, request.join(", "), limit.join(", ")], vec![])
        }
        Object::PriorityClass(pc) => {
            let policy = pc.preemption_policy.clone().unwrap_or_else(|| "PreemptLowerPriority".into());
            (vec![name, pc.value.to_string(), pc.global_default.to_string(), age, policy], vec![])
        }
        Object::ConfigMap(c) => (vec![name, c.data.len().to_string(), age], vec![]),
        Object::PersistentVolumeClaim(c) => {
            let bound = c.status.phase == "Bound";
            let capacity =
                if bound { c.status.capacity.get("storage").cloned().unwrap_or_default() } else { String::new() };
            let modes = if bound { access_modes(&c.status.access_modes) } else { String::new() };
            let class = c.spec.storage_class_name.clone().unwrap_or_default();
            let mode = if c.spec.volume_mode.is_empty() { "Filesystem".into() } else { c.spec.volume_mode.clone() };
            let phase =
                if c.metadata.deletion_timestamp.is_some() { "Terminating".into() } else { c.status.phase.clone() };
            (vec![name, phase, c.spec.volume_name.clone(), capacity, modes, class, "<unset>".into(), age], vec![mode])
        }
        Object::PersistentVolume(v) => {
            let claim = v.spec.claim_ref.as_ref().map(|c| format!("{}/{}", c.namespace, c.name)).unwrap_or_default();
            let mode = if v.spec.volume_mode.is_empty() { "Filesystem".into() } else { v.spec.volume_mode.clone() };
            (
                vec![
                    name,
                    v.spec.capacity.get("storage").cloned().unwrap_or_default(),
                    access_modes(&v.spec.access_modes),
                    v.spec.persistent_volume_reclaim_policy.clone(),
                    v.status.phase.clone(),
                    claim,
                    v.spec.storage_class_name.clone(),
                    "<unset>".into(),
                    String::new(),
                    age,
                ],
                vec![mode],
            )
        }
        Object::StorageClass(c) => {
            let shown = if c.is_default() { format!("{name} (default)") } else { name };
            let or = |v: &str, d: &str| if v.is_empty() { d.to_string() } else { v.to_string() };
            (
                vec![
                    shown,
                    c.provisioner.clone(),
                    or(&c.reclaim_policy, "Delete"),
                    or(&c.volume_binding_mode, "Immediate"),
                    c.allow_volume_expansion.unwrap_or(false).to_string(),
                    age,
                ],
                vec![],
            )
        }
        Object::VolumeAttachment(a) => {
            let pv = a.spec.source.persistent_volume_name.clone().unwrap_or_default();
            (
                vec![name, a.spec.attacher.clone(), pv, a.spec.node_name.clone(), a.status.attached.to_string(), age],
                vec![],
            )
        }
        Object::ClusterRole(_)
        | Object::Role(_)
        | Object::TokenRequest(_)
        | Object::SelfSubjectAccessReview(_)
        | Object::SelfSubjectReview(_)
        | Object::Custom(_) => (vec![name, age], vec![]),
        Object::Job(j) => {
            let status = if j.condition("Complete").is_some() {
                "Complete"
            } else if j.condition("Failed").is_some() {
                "Failed"
            } else {
                "Running"
            };
            let completions = format!("{}/{}", j.status.succeeded, j.spec.completions.unwrap_or(1));
            let duration = match (j.status.start_time, j.status.completion_time) {
                (Some(s), Some(c)) => human_duration(c.0.since(s.0)),
                (Some(s), None) => human_duration(now.since(s.0)),
                _ => String::new(),
            };
            let template = template_columns(&j.spec.template.spec, &j.spec.template.metadata.labels);
            (vec![name, status.into(), completions, duration, age], template)
        }
        Object::StatefulSet(s) => {
            let ready = format!("{}/{}", s.status.ready_replicas, s.spec.replicas.unwrap_or(1));
            let template = template_columns(&s.spec.template.spec, &s.spec.template.metadata.labels);
            (vec![name, ready, age], template.into_iter().take(2).collect())
        }
        Object::HorizontalPodAutoscaler(h) => {
            let r = &h.spec.scale_target_ref;
            let percent = |m: &[crate::sim::api::MetricSpec], target: bool| {
                m.iter()
                    .filter_map(|m| m.resource.as_ref())
                    .find(|r| r.name == "cpu")
                    .and_then(|r| if target { r.target.as_ref() } else { r.current.as_ref() })
                    .and_then(|v| v.average_utilization)
                    .map_or("<unknown>".to_string(), |u| format!("{u}%"))
            };
            let targets =
                format!("cpu: {}/{}", percent(&h.status.current_metrics, false), percent(&h.spec.metrics, true));
            (
                vec![
                    name,
                    format!("{}/{}", r.kind, r.name),
                    targets,
                    h.spec.min_replicas.unwrap_or(1).to_string(),
                    h.spec.max_replicas.to_string(),
                    h.status.current_replicas.to_string(),
                    age,
                ],
                vec![],
            )
        }
        Object::CronJob(c) => {
            let last = c.status.last_schedule_time.map_or("<none>".into(), |t| human_duration(now.since(t.0)));
            let template = &c.spec.job_template.spec.template;
            (
                vec![
                    name,
                    c.spec.schedule.clone(),
                    c.spec.time_zone.clone().unwrap_or_else(|| "<none>".into()),
                    c.spec.suspend.unwrap_or(false).to_string().replace("false", "False").replace("true", "True"),
                    c.status.active.len().to_string(),
                    last,
                    age,
                ],
                template_columns(&template.spec, &template.metadata.labels),
            )
        }
        Object::Endpoints(ep) => {
            // Every ready address with every port; three shown, as kubectl prints them.
            let all: Vec<String> = ep
                .subsets
                .iter()
                .flat_map(|s| {
                    s.addresses.iter().flat_map(move |a| s.ports.iter().map(move |p| format!("{}:{}", a.ip, p.port)))
                })
                .collect();
            let shown = match all.len() {
                0 => "<none>".to_string(),
                n if n > 3 => format!("{} + {} more...", all[..3].join(","), n - 3),
                _ => all.join(","),
            };
            (vec![name, shown, age], vec![])
        }
        Object::EndpointSlice(es) => {
            let ports: Vec<String> = es.ports.iter().map(|p| p.port.to_string()).collect();
            let addrs: Vec<&String> = es.endpoints.iter().flat_map(|e| &e.addresses).collect();
            let shown: Vec<&str> = addrs.iter().take(3).map(|a| a.as_str()).collect();
            let endpoints = match addrs.len() {
                0 => "<unset>".to_string(),
                n if n > 3 => format!("{} + {} more...", shown.join(","), n - 3),
                _ => shown.join(","),
            };
            let ports = if ports.is_empty() { "<unset>".to_string() } else { ports.join(",") };
            (vec![name, es.address_type.clone(), ports, endpoints, age], vec![])
        }
        Object::Event(e) => (
            vec![
                event_age(e, now),
                e.type_.clone(),
                e.reason.clone(),
                format!("{}/{}", e.involved_object.kind.to_ascii_lowercase(), e.involved_object.name),
                e.message.clone(),
            ],
            vec![],
        ),
    };
    if wide {
        base.extend(extra);
    }
    base
}

/// Prints a list the way `kubectl get` does.
pub fn print_list(res: &ResourceInfo, items: &[Object], now: SimTime, flags: &GetFlags, namespace: &str) -> String {
    let (output, all_ns) = (&flags.output, flags.all_namespaces);
    // Only the human-readable tables say there is nothing: the other printers print what
    // they print of an empty List (kubectl's printGeneric).
    if items.is_empty() && matches!(output, Output::Table | Output::Wide) {
        return if res.namespaced && !all_ns {
            format!("No resources found in {namespace} namespace.")
        } else {
            "No resources found".into()
        };
    }
    match output {
        Output::Name => items.iter().map(|o| name_of(res, o)).collect::<Vec<_>>().join("\n"),
        Output::Json | Output::Yaml => serialized(&list_doc(res, items), output),
        Output::JsonPath(template) => template.execute(&list_doc(res, items)).unwrap_or_else(|e| e),
        Output::CustomColumns(columns) => {
            let mut rows: Vec<Vec<String>> = Vec::new();
            if !flags.no_headers {
                rows.push(columns.iter().map(|(h, _)| h.clone()).collect());
            }
            for o in items {
                let doc = to_json(res, o);
                let mut row = Vec::with_capacity(columns.len());
                for (_, path) in columns {
                    let values = match path.values(&doc) {
                        Ok(v) => v,
                        Err(e) => return e,
                    };
                    row.push(if values.is_empty() { "<none>".into() } else { values.join(",") });
                }
                rows.push(row);
            }
            table(&rows)
        }
        Output::Table | Output::Wide => {
            let wide = *output == Output::Wide;
            let show_ns = all_ns && res.namespaced;
            let mut rows: Vec<Vec<String>> = Vec::new();
            let mut h: Vec<String> = header(res, wide).into_iter().map(String::from).collect();
            if show_ns {
                h.insert(0, "NAMESPACE".into());
            }
            if flags.show_labels {
                h.push("LABELS".into());
            }
            if !flags.no_headers {
                rows.push(h);
            }
            for o in items {
                let mut r = row(o, now, wide);
                if show_ns {
                    r.insert(0, o.meta().namespace.clone());
                }
                if flags.show_labels {
                    r.push(selector(&o.meta().labels));
                }
                rows.push(r);
            }
            table(&rows)
        }
    }
}

pub fn print_one(res: &ResourceInfo, o: &Object, now: SimTime, flags: &GetFlags) -> String {
    match &flags.output {
        Output::Json | Output::Yaml => serialized(&to_json(res, o), &flags.output),
        Output::JsonPath(template) => template.execute(&to_json(res, o)).unwrap_or_else(|e| e),
        _ => print_list(res, std::slice::from_ref(o), now, flags, ""),
    }
}

/// `-o json` (indented) or `-o yaml` (keys sorted, as kubectl's marshalling through JSON
/// leaves them).
fn serialized(doc: &serde_json::Value, output: &Output) -> String {
    match output {
        Output::Yaml => yaml(doc),
        _ => serde_json::to_string_pretty(doc).unwrap_or_default(),
    }
}

/// A document as kubectl's YAML (`-o yaml`, `kubectl edit`).
pub fn yaml(doc: &serde_json::Value) -> String {
    serde_yaml_ng::to_string(doc).map(|y| go_yaml_quotes(y.trim_end())).unwrap_or_default()
}

/// Go's YAML encoder (what kubectl prints with) double-quotes a string that would read back
/// as something else — `"51"`, `""`, `"true"`, and timestamps `"2027-01-01T00:00:00Z"` —
/// where serde_yaml_ng single-quotes the first ones and leaves timestamps plain.
fn go_yaml_quotes(yaml: &str) -> String {
    let requote = |value: &str| -> Option<String> {
        if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            let text = inner.replace("''", "'");
            return (!text.contains(['"', '\\'])).then(|| format!("\"{text}\""));
        }
        let timestamp = value.len() == 20 && value.as_bytes()[10] == b'T' && value.ends_with('Z');
        timestamp.then(|| format!("\"{value}\""))
    };
    let mut out = String::with_capacity(yaml.len() + 64);
    for line in yaml.lines() {
        let split = line.find(": ").map(|i| i + 2).or_else(|| {
            let item = line.trim_start();
            item.starts_with("- ").then(|| line.len() - item.len() + 2)
        });
        match split.and_then(|i| requote(&line[i..]).map(|v| (i, v))) {
            Some((i, v)) => {
                out.push_str(&line[..i]);
                out.push_str(&v);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out.pop();
    out
}

/// A REST answer's JSON, as the apiserver writes it: the object, or a `<Kind>List`.
pub fn rest_json(res: &ResourceInfo, body: ApiBody) -> String {
    let v = match body {
        ApiBody::Object(o) => to_json(res, &o),
        ApiBody::List { items, resource_version } | ApiBody::WatchStarted { items, resource_version, .. } => {
            let items: Vec<serde_json::Value> = items.iter().map(|o| to_json(res, o)).collect();
            serde_json::json!({ "kind": format!("{}List", res.kind), "apiVersion": res.api_version(),
                "metadata": { "resourceVersion": resource_version.to_string() }, "items": items })
        }
        ApiBody::Raw(text) => return text,
    };
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// `kubectl get -w`'s rows after the first table: aligned under the table's header, which
/// is not printed again.
pub fn rows(res: &ResourceInfo, items: &[Object], now: SimTime, flags: &GetFlags) -> String {
    match &flags.output {
        Output::Table | Output::Wide | Output::CustomColumns(_) => {
            let table = print_list(res, items, now, flags, "");
            table.split_once('\n').map_or(String::new(), |(_, rest)| rest.to_string())
        }
        // The other printers print each changed object whole.
        _ => items.iter().map(|o| print_one(res, o, now, flags)).collect::<Vec<_>>().join("\n"),
    }
}

/// `kubectl api-resources`: core group first, then by group, each by name.
pub fn api_resources(custom: &[&'static ResourceInfo]) -> String {
    let mut list: Vec<&ResourceInfo> = crate::sim::api::resource::RESOURCES.iter().collect();
    list.extend(custom.iter().copied());
    // A stable sort, then one row per resource: its preferred version, which discovery lists
    // first.
    crate::sim::sort::sort_by_key(&mut list, |r| (!r.group.is_empty(), r.group, r.plural));
    list.dedup_by_key(|r| (r.group, r.plural));
    let mut rows = vec![["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"].map(String::from).to_vec()];
    for r in list {
        rows.push(vec![r.plural.into(), r.short.join(","), r.api_version(), r.namespaced.to_string(), r.kind.into()]);
    }
    table(&rows)
}

/// `deployment.apps/web`, `pod/web-…`: how kubectl names an object in messages.
pub fn name_of(res: &ResourceInfo, o: &Object) -> String {
    let kind = res.singular;
    if res.group.is_empty() {
        format!("{kind}/{}", o.meta().name)
    } else {
        format!("{kind}.{}/{}", res.group, o.meta().name)
    }
}

/// A list as kubectl prints it for -o json|yaml|jsonpath: a v1 List of the objects.
fn list_doc(res: &ResourceInfo, items: &[Object]) -> serde_json::Value {
    let docs: Vec<serde_json::Value> = items.iter().map(|o| to_json(res, o)).collect();
    serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": docs, "metadata": { "resourceVersion": "" } })
}

pub fn to_json(res: &ResourceInfo, o: &Object) -> serde_json::Value {
    let mut v = o.to_json_value();
    if let Some(m) = v.as_object_mut() {
        m.insert("apiVersion".into(), serde_json::Value::String(res.api_version()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_like_tabwriter() {
        let t = table(&[vec!["NAME".into(), "READY".into()], vec!["web-1".into(), "1/1".into()]]);
        assert_eq!(t, "NAME    READY\nweb-1   1/1");
    }
}
