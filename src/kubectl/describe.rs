//! `kubectl describe pod|node`: the object's fields in kubectl's layout (pkg/describe)
//! followed by its Events, aligned by a tab writer with Go text/tabwriter's column-block rules.

use super::printers::event_age;
use crate::sim::api::probe::Probe;
use crate::sim::api::quantity;
use crate::sim::api::{
    Container, ContainerState, ContainerStatus, DaemonSet, Deployment, EndpointSlice, Event, IntOrString, Lease, Node,
    PersistentVolumeClaim, Pod, PodDisruptionBudget, ReplicaSet, Service, StateReason, Toleration, Volume, VolumeKind,
};
use crate::sim::time::{human_duration, rfc1123z, SimTime};

/// Aligns tab-separated cells as Go's `tabwriter.NewWriter(w, 0, 8, padding, ' ', 0)`: a
/// column's width is set per block of consecutive lines that have a cell in that column, so
/// a section's labels line up without pushing the rest of the output apart.
pub fn tabwriter(text: &str, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let mut widths = vec![Vec::new(); lines.len()];
    block(&lines, 0, 0, lines.len(), padding, &mut widths);
    let mut out = String::new();
    for (cells, w) in lines.iter().zip(&widths) {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            line.push_str(cell);
            if let Some(width) = w.get(i).filter(|_| i + 1 < cells.len()) {
                line.push_str(&" ".repeat(width - cell.chars().count()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Sets the widths of column `col` for lines `from..to`, block by block, then recurses.
fn block(lines: &[Vec<&str>], col: usize, from: usize, to: usize, pad: usize, widths: &mut [Vec<usize>]) {
    let has = |l: usize| lines[l].len() > col + 1;
    let mut l = from;
    while l < to {
        if !has(l) {
            l += 1;
            continue;
        }
        let start = l;
        while l < to && has(l) {
            l += 1;
        }
        let width = (start..l).map(|i| lines[i][col].chars().count() + pad).max().unwrap_or(0);
        for w in &mut widths[start..l] {
            w.push(width);
        }
        block(lines, col + 1, start, l, pad, widths);
    }
}

/// `Labels:` and friends: one `key=value` per line, or `<none>`.
fn multiline(out: &mut String, title: &str, map: &crate::sim::api::Labels) {
    out.push_str(&format!("{title}:\t"));
    if map.is_empty() {
        out.push_str("<none>\n");
    }
    for (i, (k, v)) in map.iter().enumerate() {
        let sep = if i == 0 { "" } else { "\t" };
        out.push_str(&format!("{sep}{k}={v}\n"));
    }
}

fn toleration(t: &Toleration) -> String {
    let mut s = t.key.clone();
    if !t.value.is_empty() {
        s.push_str(&format!("={}", t.value));
    }
    if !t.effect.is_empty() {
        s.push_str(&format!(":{}", t.effect));
    }
    if t.operator == "Exists" && t.value.is_empty() {
        s.push_str(if t.key.is_empty() && t.effect.is_empty() { "op=Exists" } else { " op=Exists" });
    }
    if let Some(secs) = t.toleration_seconds {
        s.push_str(&format!(" for {secs}s"));
    }
    s
}

/// A container as describe prints it: a pod's with its status (`in_pod`), a template's with
/// its spec only.
fn container(out: &mut String, c: &Container, status: Option<&ContainerStatus>, in_pod: bool) {
    out.push_str(&format!("{}{}:\n", if in_pod { "  " } else { "   " }, c.name));
    if let Some(s) = status {
        out.push_str(&format!("    Container ID:\t{}\n", s.container_id));
    }
    out.push_str(&format!("    Image:\t{}\n", c.image));
    if let Some(s) = status {
        out.push_str(&format!("    Image ID:\t{}\n", s.image_id));
    }
    let ports: Vec<String> = c.ports.iter().map(|p| format!("{}/TCP", p.container_port)).collect();
    let host: Vec<String> = c.ports.iter().map(|p| format!("{}/TCP", p.host_port)).collect();
    let or_none = |v: Vec<String>| if v.is_empty() { "<none>".to_string() } else { v.join(", ") };
    out.push_str(&format!("    Port:\t{}\n    Host Port:\t{}\n", or_none(ports), or_none(host)));
    if !in_pod {
        resources(out, c);
        env_and_mounts(out, c);
        return;
    }
    let state = status.map(|s| &s.state);
    match state {
        Some(st) if st.running.is_some() => {
            let started = st.running.as_ref().map(|r| rfc1123z(r.started_at.0)).unwrap_or_default();
            out.push_str(&format!("    State:\tRunning\n      Started:\t{started}\n"));
        }
        Some(st) if st.waiting.is_some() => {
            let reason = st.waiting.as_ref().map(|w| w.reason.clone()).unwrap_or_default();
            out.push_str(&format!("    State:\tWaiting\n      Reason:\t{reason}\n"));
        }
        Some(ContainerState { terminated: Some(t), .. }) => terminated(out, "State", t),
        _ => out.push_str("    State:\tWaiting\n"),
    }
    if let Some(t) = status.and_then(|s| s.last_state.terminated.as_ref()) {
        terminated(out, "Last State", t);
    }
    let ready = status.is_some_and(|s| s.ready);
    let restarts = status.map_or(0, |s| s.restart_count);
    out.push_str(&format!("    Ready:\t{}\n    Restart Count:\t{restarts}\n", if ready { "True" } else { "False" }));
    resources(out, c);
    for (title, probe) in
        [("Liveness", &c.liveness_probe), ("Readiness", &c.readiness_probe), ("Startup", &c.startup_probe)]
    {
        if let Some(p) = probe {
            out.push_str(&format!("    {title}:\t{}\n", describe_probe(p)));
        }
    }
    env_and_mounts(out, c);
}

fn env_and_mounts(out: &mut String, c: &Container) {
    if c.env.is_empty() {
        out.push_str("    Environment:\t<none>\n");
    } else {
        out.push_str("    Environment:\n");
        for e in &c.env {
            let from = e.value_from.as_ref();
            let value = match (
                &e.value,
                from.and_then(|f| f.config_map_key_ref.as_ref()),
                from.and_then(|f| f.secret_key_ref.as_ref()),
            ) {
                (Some(v), _, _) => v.clone(),
                (None, Some(k), _) => format!("<set to the key '{}' of config map '{}'>", k.key, k.name),
                (None, None, Some(k)) => format!("<set to the key '{}' in secret '{}'>", k.key, k.name),
                _ => String::new(),
            };
            out.push_str(&format!("      {}:\t{value}\n", e.name));
        }
    }
    if c.volume_mounts.is_empty() {
        out.push_str("    Mounts:\t<none>\n");
    } else {
        out.push_str("    Mounts:\n");
        for m in &c.volume_mounts {
            let mode = if m.read_only { "ro" } else { "rw" };
            out.push_str(&format!("      {} from {} ({mode})\n", m.mount_path, m.name));
        }
    }
}

/// The Volumes section, as describe prints each kind of volume.
fn volumes(out: &mut String, indent: &str, volumes: &[Volume]) {
    if volumes.is_empty() {
        out.push_str(&format!("{indent}Volumes:\t<none>\n"));
        return;
    }
    out.push_str(&format!("{indent}Volumes:\n"));
    for v in volumes {
        out.push_str(&format!("{indent}  {}:\n", v.name));
        let lines: Vec<(&str, String)> = match v.kind() {
            VolumeKind::Claim(name) => vec![
                ("Type", "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)".into()),
                ("ClaimName", name.into()),
                ("ReadOnly", v.persistent_volume_claim.as_ref().is_some_and(|c| c.read_only).to_string()),
            ],
            VolumeKind::EmptyDir => {
                let e = v.empty_dir.clone().unwrap_or_default();
                vec![
                    ("Type", "EmptyDir (a temporary directory that shares a pod's lifetime)".into()),
                    ("Medium", e.medium),
                    ("SizeLimit", e.size_limit.unwrap_or_else(|| "<unset>".into())),
                ]
            }
            VolumeKind::ConfigMap(name) => vec![
                ("Type", "ConfigMap (a volume populated by a ConfigMap)".into()),
                ("Name", name.into()),
                ("Optional", v.config_map.as_ref().and_then(|c| c.optional).unwrap_or(false).to_string()),
            ],
            VolumeKind::Secret(name) => vec![
                ("Type", "Secret (a volume populated by a Secret)".into()),
                ("SecretName", name.into()),
                ("Optional", v.secret.as_ref().and_then(|c| c.optional).unwrap_or(false).to_string()),
            ],
            VolumeKind::Other => vec![("Type", "<unknown>".into())],
        };
        for (k, val) in lines {
            out.push_str(&format!("{indent}    {k}:\t{val}\n"));
        }
    }
}

fn terminated(out: &mut String, title: &str, t: &StateReason) {
    out.push_str(&format!("    {title}:\tTerminated\n      Reason:\t{}\n", t.reason));
    if let Some(code) = t.exit_code {
        out.push_str(&format!("      Exit Code:\t{code}\n"));
    }
}

/// A probe as DescribeProbe prints it: `exec [cat /tmp/healthy] delay=5s timeout=1s …`.
fn describe_probe(p: &Probe) -> String {
    let port = |p: &IntOrString| match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    let action = if let Some(e) = &p.exec {
        format!("exec [{}]", e.command.join(" "))
    } else if let Some(h) = &p.http_get {
        format!("http-get {}://:{}{}", h.scheme.to_lowercase(), port(&h.port), h.path)
    } else if let Some(t) = &p.tcp_socket {
        format!("tcp-socket :{}", port(&t.port))
    } else if let Some(g) = &p.grpc {
        format!("grpc <pod>:{} <service>", g.port)
    } else {
        "unknown".into()
    };
    format!(
        "{action} delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds, p.timeout_seconds, p.period_seconds, p.success_threshold, p.failure_threshold
    )
}

fn resources(out: &mut String, c: &Container) {
    for (title, list) in [("Limits", &c.resources.limits), ("Requests", &c.resources.requests)] {
        if !list.is_empty() {
            out.push_str(&format!("    {title}:\n"));
            for (k, v) in list {
                out.push_str(&format!("      {k}:\t{v}\n"));
            }
        }
    }
}

/// Events about the object, oldest last seen first, as DescribeEvents prints them.
pub fn events(events: &[&Event], now: SimTime) -> String {
    if events.is_empty() {
        return "Events:\t<none>\n".into();
    }
    let mut sorted = events.to_vec();
    crate::sim::sort::sort_by_key(&mut sorted, |e| e.last_timestamp);
    let mut out = String::from("Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n");
    for e in sorted {
        let from = if e.source.component.is_empty() { &e.reporting_component } else { &e.source.component };
        out.push_str(&format!("  {}\t{}\t{}\t{from}\t{}\n", e.type_, e.reason, event_age(e, now), e.message.trim()));
    }
    out
}

pub fn pod(p: &Pod, evs: &[&Event], now: SimTime) -> String {
    let mut o = String::new();
    o.push_str(&format!("Name:\t{}\nNamespace:\t{}\n", p.metadata.name, p.metadata.namespace));
    if let Some(prio) = p.spec.priority {
        o.push_str(&format!("Priority:\t{prio}\n"));
    }
    if !p.spec.priority_class_name.is_empty() {
        o.push_str(&format!("Priority Class Name:\t{}\n", p.spec.priority_class_name));
    }
    if !p.spec.service_account_name.is_empty() {
        o.push_str(&format!("Service Account:\t{}\n", p.spec.service_account_name));
    }
    let node = if p.spec.node_name.is_empty() {
        "<none>".to_string()
    } else {
        format!("{}/{}", p.spec.node_name, p.status.host_ip)
    };
    o.push_str(&format!("Node:\t{node}\n"));
    if let Some(t) = p.status.start_time {
        o.push_str(&format!("Start Time:\t{}\n", rfc1123z(t.0)));
    }
    multiline(&mut o, "Labels", &p.metadata.labels);
    multiline(&mut o, "Annotations", &p.metadata.annotations);
    match p.metadata.deletion_timestamp {
        Some(t) => {
            o.push_str(&format!("Status:\tTerminating (lasts {})\n", human_duration(now.since(t.0))));
            let grace = p.metadata.deletion_grace_period_seconds.unwrap_or(30);
            o.push_str(&format!("Termination Grace Period:\t{grace}s\n"));
        }
        None => {
            o.push_str(&format!("Status:\t{}\n", p.status.phase));
            if !p.status.reason.is_empty() {
                o.push_str(&format!("Reason:\t{}\nMessage:\t{}\n", p.status.reason, p.status.message));
            }
        }
    }
    o.push_str(&format!("IP:\t{}\n", p.status.pod_ip));
    if p.status.pod_ip.is_empty() {
        o.push_str("IPs:\t<none>\n");
    } else {
        o.push_str(&format!("IPs:\n  IP:\t{}\n", p.status.pod_ip));
    }
    if let Some(r) = p.metadata.controller_ref() {
        o.push_str(&format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    if !p.status.nominated_node_name.is_empty() {
        o.push_str(&format!("NominatedNodeName:\t{}\n", p.status.nominated_node_name));
    }
    if !p.spec.init_containers.is_empty() {
        o.push_str("Init Containers:\n");
        for c in &p.spec.init_containers {
            container(&mut o, c, p.status.init_container_statuses.iter().find(|s| s.name == c.name), true);
        }
    }
    o.push_str("Containers:\n");
    for c in &p.spec.containers {
        container(&mut o, c, p.status.container_statuses.iter().find(|s| s.name == c.name), true);
    }
    if !p.status.conditions.is_empty() {
        o.push_str("Conditions:\n  Type\tStatus\n");
        for c in &p.status.conditions {
            o.push_str(&format!("  {} \t{} \n", c.type_, c.status));
        }
    }
    volumes(&mut o, "", &p.spec.volumes);
    o.push_str(&format!("QoS Class:\t{}\n", p.qos_class()));
    multiline(&mut o, "Node-Selectors", &p.spec.node_selector);
    o.push_str("Tolerations:\t");
    if p.spec.tolerations.is_empty() {
        o.push_str("<none>\n");
    }
    for (i, t) in p.spec.tolerations.iter().enumerate() {
        o.push_str(&format!("{}{}\n", if i == 0 { "" } else { "\t" }, toleration(t)));
    }
    // DescribeEvents flushes the writer first: the events table aligns on its own.
    let head = if evs.is_empty() { o + &events(evs, now) } else { o };
    let mut text = tabwriter(&head, 2);
    if !evs.is_empty() {
        text.push_str(&tabwriter(&events(evs, now), 2));
    }
    text.trim_end().to_string()
}

/// `kubectl describe deployment`: spec, replica counts, the pod template, the ReplicaSets it
/// rolls between and its events. (The Conditions table is missing: the Deployment
/// controller does not write conditions yet.)
pub fn deployment(d: &Deployment, replicasets: &[&ReplicaSet], evs: &[&Event], now: SimTime) -> String {
    let mut o = String::new();
    o.push_str(&format!("Name:\t{}\nNamespace:\t{}\n", d.metadata.name, d.metadata.namespace));
    o.push_str(&format!("CreationTimestamp:\t{}\n", rfc1123z(d.metadata.creation_timestamp.0)));
    multiline(&mut o, "Labels", &d.metadata.labels);
    multiline(&mut o, "Annotations", &d.metadata.annotations);
    let selector: Vec<String> = d.spec.selector.match_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    o.push_str(&format!("Selector:\t{}\n", selector.join(",")));
    let s = &d.status;
    let desired = d.spec.replicas.unwrap_or(1);
    let unavailable = (s.replicas - s.available_replicas).max(0);
    o.push_str(&format!(
        "Replicas:\t{desired} desired | {} updated | {} total | {} available | {unavailable} unavailable\n",
        s.updated_replicas, s.replicas, s.available_replicas
    ));
    let strategy = if d.spec.strategy.type_.is_empty() { "RollingUpdate" } else { d.spec.strategy.type_.as_str() };
    o.push_str(&format!("StrategyType:\t{strategy}\nMinReadySeconds:\t0\n"));
    if let Some(ru) = &d.spec.strategy.rolling_update {
        let show = |v: &Option<IntOrString>| match v {
            Some(IntOrString::Int(n)) => n.to_string(),
            Some(IntOrString::String(s)) => s.clone(),
            None => "25%".into(),
        };
        o.push_str(&format!(
            "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
            show(&ru.max_unavailable),
            show(&ru.max_surge)
        ));
    }
    o.push_str("Pod Template:\n");
    let labels: Vec<String> = d.spec.template.metadata.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    o.push_str(&format!("  Labels:\t{}\n", labels.join("\n\t")));
    o.push_str("  Containers:\n");
    for c in &d.spec.template.spec.containers {
        container(&mut o, c, None, false);
    }
    volumes(&mut o, "  ", &d.spec.template.spec.volumes);
    o.push_str("  Node-Selectors:\t<none>\n  Tolerations:\t<none>\n");
    // The newest revision is the new ReplicaSet; older ones that still have pods are old.
    let revision = |r: &ReplicaSet| {
        r.metadata.annotations.get("deployment.kubernetes.io/revision").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0)
    };
    let mine: Vec<&&ReplicaSet> =
        replicasets.iter().filter(|r| r.metadata.controller_ref().is_some_and(|o| o.uid == d.metadata.uid)).collect();
    let newest = mine.iter().max_by_key(|r| revision(r));
    let created = |r: &ReplicaSet| {
        format!("{} ({}/{} replicas created)", r.metadata.name, r.status.replicas, r.spec.replicas.unwrap_or(1))
    };
    let old: Vec<String> =
        mine.iter().filter(|r| Some(*r) != newest && r.status.replicas > 0).map(|r| created(r)).collect();
    o.push_str(&format!("OldReplicaSets:\t{}\n", if old.is_empty() { "<none>".into() } else { old.join(", ") }));
    o.push_str(&format!("NewReplicaSet:\t{}\n", newest.map_or("<none>".into(), |r| created(r))));
    let head = if evs.is_empty() { o + &events(evs, now) } else { o };
    let mut text = tabwriter(&head, 2);
    if !evs.is_empty() {
        text.push_str(&tabwriter(&events(evs, now), 2));
    }
    text.trim_end().to_string()
}

/// Selector labels as `k=v,k=v`.
fn labels_text(map: &crate::sim::api::Labels) -> String {
    let v: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if v.is_empty() {
        "<none>".into()
    } else {
        v.join(",")
    }
}

/// The head and the Events table, each aligned on its own as kubectl does.
fn with_events(head: String, evs: &[&Event], now: SimTime) -> String {
    let head = if evs.is_empty() { head + &events(evs, now) } else { head };
    let mut text = tabwriter(&head, 2);
    if !evs.is_empty() {
        text.push_str(&tabwriter(&events(evs, now), 2));
    }
    text.trim_end().to_string()
}

/// `kubectl describe daemonset`: the node counts, its pods' phases, the pod template, events.
pub fn daemonset(ds: &DaemonSet, pods: &[&Pod], evs: &[&Event], now: SimTime) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "Name:	{}
",
        ds.metadata.name
    ));
    o.push_str(&format!(
        "Selector:	{}
",
        labels_text(&ds.spec.selector.match_labels)
    ));
    o.push_str(&format!(
        "Node-Selector:	{}
",
        labels_text(&ds.spec.template.spec.node_selector)
    ));
    multiline(&mut o, "Labels", &ds.metadata.labels);
    multiline(&mut o, "Annotations", &ds.metadata.annotations);
    let s = &ds.status;
    o.push_str(&format!(
        "Desired Number of Nodes Scheduled: {}
",
        s.desired_number_scheduled
    ));
    o.push_str(&format!(
        "Current Number of Nodes Scheduled: {}
",
        s.current_number_scheduled
    ));
    o.push_str(&format!(
        "Number of Nodes Scheduled with Up-to-date Pods: {}
",
        s.updated_number_scheduled
    ));
    o.push_str(&format!(
        "Number of Nodes Scheduled with Available Pods: {}
",
        s.number_available
    ));
    o.push_str(&format!(
        "Number of Nodes Misscheduled: {}
",
        s.number_misscheduled
    ));
    let phase = |ph: &str| pods.iter().filter(|p| p.status.phase == ph).count();
    let waiting = pods.iter().filter(|p| p.status.phase.is_empty() || p.status.phase == "Pending").count();
    o.push_str(&format!(
        "Pods Status:	{} Running / {waiting} Waiting / {} Succeeded / {} Failed
",
        phase("Running"),
        phase("Succeeded"),
        phase("Failed")
    ));
    o.push_str(
        "Pod Template:
",
    );
    o.push_str(&format!(
        "  Labels:	{}
",
        labels_text(&ds.spec.template.metadata.labels)
    ));
    o.push_str(
        "  Containers:
",
    );
    for c in &ds.spec.template.spec.containers {
        container(&mut o, c, None, false);
    }
    o.push_str(
        "  Volumes:	<none>
  Node-Selectors:	<none>
  Tolerations:	<none>
",
    );
    with_events(o, evs, now)
}

/// `kubectl describe poddisruptionbudget`.
pub fn pdb(pdb: &PodDisruptionBudget, evs: &[&Event], now: SimTime) -> String {
    let show = |v: &IntOrString| match v {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    let mut o = String::new();
    o.push_str(&format!(
        "Name:	{}
Namespace:	{}
",
        pdb.metadata.name, pdb.metadata.namespace
    ));
    if let Some(v) = &pdb.spec.min_available {
        o.push_str(&format!(
            "Min available:	{}
",
            show(v)
        ));
    }
    if let Some(v) = &pdb.spec.max_unavailable {
        o.push_str(&format!(
            "Max unavailable:	{}
",
            show(v)
        ));
    }
    let selector = pdb.spec.selector.as_ref().map_or("<unset>".into(), |s| labels_text(&s.match_labels));
    o.push_str(&format!(
        "Selector:	{selector}
"
    ));
    let s = &pdb.status;
    o.push_str(
        "Status:
",
    );
    o.push_str(&format!(
        "    Allowed disruptions:	{}
",
        s.disruptions_allowed
    ));
    o.push_str(&format!(
        "    Current:	{}
",
        s.current_healthy
    ));
    o.push_str(&format!(
        "    Desired:	{}
",
        s.desired_healthy
    ));
    o.push_str(&format!(
        "    Total:	{}
",
        s.expected_pods
    ));
    with_events(o, evs, now)
}

/// `kubectl describe pvc`: class, status, volume, finalizers, capacity, the pods using it,
/// and events.
pub fn claim(c: &PersistentVolumeClaim, used_by: &[&Pod], evs: &[&Event], now: SimTime) -> String {
    let mut o = String::new();
    let class = c.spec.storage_class_name.clone().unwrap_or_default();
    o.push_str(&format!("Name:\t{}\nNamespace:\t{}\nStorageClass:\t{class}\n", c.metadata.name, c.metadata.namespace));
    let status = if c.metadata.deletion_timestamp.is_some() { "Terminating" } else { c.status.phase.as_str() };
    o.push_str(&format!("Status:\t{status}\nVolume:\t{}\n", c.spec.volume_name));
    multiline(&mut o, "Labels", &c.metadata.labels);
    multiline(&mut o, "Annotations", &c.metadata.annotations);
    o.push_str(&format!("Finalizers:\t[{}]\n", c.metadata.finalizers.join(" ")));
    let capacity = c.status.capacity.get("storage").cloned().unwrap_or_default();
    let modes = super::printers::access_modes(&c.status.access_modes);
    o.push_str(&format!("Capacity:\t{capacity}\nAccess Modes:\t{modes}\nVolumeMode:\t{}\n", c.spec.volume_mode));
    let users: Vec<&str> = used_by.iter().map(|p| p.metadata.name.as_str()).collect();
    o.push_str(&format!("Used By:\t{}\n", if users.is_empty() { "<none>".into() } else { users.join("\n\t") }));
    with_events(o, evs, now)
}

/// `kubectl describe service`: type, ClusterIP, ports, the endpoints its EndpointSlices list
/// (ready ones), and events.
pub fn service(svc: &Service, slices: &[&EndpointSlice], evs: &[&Event], now: SimTime) -> String {
    let mut o = String::new();
    o.push_str(&format!("Name:\t{}\nNamespace:\t{}\n", svc.metadata.name, svc.metadata.namespace));
    multiline(&mut o, "Labels", &svc.metadata.labels);
    multiline(&mut o, "Annotations", &svc.metadata.annotations);
    let selector: Vec<String> = svc.spec.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let or_none = |s: String| if s.is_empty() { "<none>".to_string() } else { s };
    o.push_str(&format!("Selector:\t{}\n", or_none(selector.join(","))));
    let type_ = if svc.spec.type_.is_empty() { "ClusterIP" } else { svc.spec.type_.as_str() };
    o.push_str(&format!("Type:\t{type_}\nIP Family Policy:\tSingleStack\nIP Families:\tIPv4\n"));
    o.push_str(&format!("IP:\t{0}\nIPs:\t{0}\n", svc.spec.cluster_ip));
    for i in &svc.status.load_balancer.ingress {
        o.push_str(&format!("LoadBalancer Ingress:\t{} ({})\n", i.ip, i.ip_mode));
    }
    for p in &svc.spec.ports {
        let name = if p.name.is_empty() { "<unset>" } else { p.name.as_str() };
        o.push_str(&format!("Port:\t{name}\t{}/{}\n", p.port, p.protocol));
        o.push_str(&format!("TargetPort:\t{}/{}\n", p.target_port, p.protocol));
        if p.node_port != 0 {
            o.push_str(&format!("NodePort:\t{name}\t{}/{}\n", p.node_port, p.protocol));
        }
        let endpoints: Vec<String> = slices
            .iter()
            .flat_map(|s| s.endpoints.iter())
            .filter(|e| e.conditions.ready == Some(true))
            .flat_map(|e| e.addresses.iter().map(|a| format!("{a}:{}", p.target_port)))
            .collect();
        o.push_str(&format!("Endpoints:\t{}\n", endpoints.join(",")));
    }
    let or = |v: &str, default: &'static str| if v.is_empty() { default.to_string() } else { v.to_string() };
    o.push_str(&format!("Session Affinity:\t{}\n", or(&svc.spec.session_affinity, "None")));
    o.push_str(&format!("Internal Traffic Policy:\t{}\n", or(&svc.spec.internal_traffic_policy, "Cluster")));
    if type_ != "ClusterIP" {
        o.push_str(&format!("External Traffic Policy:\t{}\n", or(&svc.spec.external_traffic_policy, "Cluster")));
    }
    let head = if evs.is_empty() { o + &events(evs, now) } else { o };
    let mut text = tabwriter(&head, 2);
    if !evs.is_empty() {
        text.push_str(&tabwriter(&events(evs, now), 2));
    }
    text.trim_end().to_string()
}

/// `100m (2%)`: a request or limit and its share of the node's allocatable.
fn share(milli: i128, alloc_milli: i128, format: fn(i128) -> String) -> String {
    let pct = if alloc_milli > 0 { milli * 100 / alloc_milli } else { 0 };
    format!("{} ({pct}%)", format(milli))
}

fn cpu(milli: i128) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

fn bytes(milli: i128) -> String {
    let b = milli / 1000;
    match b {
        0 => "0".into(),
        b if b % (1 << 30) == 0 => format!("{}Gi", b >> 30),
        b if b % (1 << 20) == 0 => format!("{}Mi", b >> 20),
        b if b % (1 << 10) == 0 => format!("{}Ki", b >> 10),
        b => b.to_string(),
    }
}

/// A pod's requests or limits of `resource` (cpu or memory) as the scheduler counts them
/// (init containers and sidecars included), in milli-units.
fn pod_total(p: &Pod, resource: &str, limits: bool) -> i128 {
    use crate::sim::scheduler::framework::{pod_limits, pod_requests};
    let r = if limits { pod_limits(p) } else { pod_requests(p) };
    match resource {
        "cpu" => r.milli_cpu as i128,
        "memory" => r.memory as i128 * 1000,
        _ => 0,
    }
}

pub fn node(n: &Node, pods: &[&Pod], lease: Option<&Lease>, evs: &[&Event], now: SimTime) -> String {
    let mut o = String::new();
    let roles: Vec<&str> =
        n.metadata.labels.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")).collect();
    o.push_str(&format!("Name:\t{}\n", n.metadata.name));
    o.push_str(&format!("Roles:\t{}\n", if roles.is_empty() { "<none>".to_string() } else { roles.join(",") }));
    multiline(&mut o, "Labels", &n.metadata.labels);
    multiline(&mut o, "Annotations", &n.metadata.annotations);
    o.push_str(&format!("CreationTimestamp:\t{}\n", rfc1123z(n.metadata.creation_timestamp.0)));
    o.push_str("Taints:\t");
    if n.spec.taints.is_empty() {
        o.push_str("<none>\n");
    }
    for (i, t) in n.spec.taints.iter().enumerate() {
        let value = if t.value.is_empty() { String::new() } else { format!("={}", t.value) };
        o.push_str(&format!("{}{}{value}:{}\n", if i == 0 { "" } else { "\t" }, t.key, t.effect));
    }
    o.push_str(&format!("Unschedulable:\t{}\n", n.spec.unschedulable));
    if let Some(l) = lease {
        let at = |t: Option<crate::sim::api::MicroTime>| t.map_or("<unset>".to_string(), |t| rfc1123z(t.0));
        o.push_str(&format!(
            "Lease:\n  HolderIdentity:\t{}\n  AcquireTime:\t{}\n  RenewTime:\t{}\n",
            l.spec.holder_identity,
            at(l.spec.acquire_time),
            at(l.spec.renew_time)
        ));
    }
    o.push_str("Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
    o.push_str("  ----\t------\t-----------------\t------------------\t------\t-------\n");
    for c in &n.status.conditions {
        let t = c.last_transition_time.map_or("<unset>".to_string(), |t| rfc1123z(t.0));
        o.push_str(&format!("  {}\t{}\t{t}\t{t}\t{}\t{}\n", c.type_, c.status, c.reason, c.message));
    }
    o.push_str("Addresses:\n");
    for a in &n.status.addresses {
        o.push_str(&format!("  {}:\t{}\n", a.type_, a.address));
    }
    for (title, list) in [("Capacity", &n.status.capacity), ("Allocatable", &n.status.allocatable)] {
        o.push_str(&format!("{title}:\n"));
        for (k, v) in list {
            o.push_str(&format!("  {k}:\t{v}\n"));
        }
    }
    let info = &n.status.node_info;
    o.push_str(&format!(
        "System Info:\n  Kernel Version:\t{}\n  OS Image:\t{}\n  Operating System:\tlinux\n  Architecture:\tamd64\n  \
         Container Runtime Version:\t{}\n  Kubelet Version:\t{}\n",
        info.kernel_version, info.os_image, info.container_runtime_version, info.kubelet_version
    ));
    if !n.spec.pod_cidr.is_empty() {
        o.push_str(&format!("PodCIDR:\t{0}\nPodCIDRs:\t{0}\n", n.spec.pod_cidr));
    }
    if !n.spec.provider_id.is_empty() {
        o.push_str(&format!("ProviderID:\t{}\n", n.spec.provider_id));
    }
    let alloc = |r: &str| n.status.allocatable.get(r).and_then(|q| quantity::parse_milli(q).ok()).unwrap_or(0);
    o.push_str(&format!("Non-terminated Pods:\t({} in total)\n", pods.len()));
    o.push_str("  Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
    o.push_str("  ---------\t----\t------------\t----------\t---------------\t-------------\t---\n");
    for p in pods {
        o.push_str(&format!(
            "  {}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            p.metadata.namespace,
            p.metadata.name,
            share(pod_total(p, "cpu", false), alloc("cpu"), cpu),
            share(pod_total(p, "cpu", true), alloc("cpu"), cpu),
            share(pod_total(p, "memory", false), alloc("memory"), bytes),
            share(pod_total(p, "memory", true), alloc("memory"), bytes),
            human_duration(now.since(p.metadata.creation_timestamp.0)),
        ));
    }
    o.push_str("Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
    o.push_str("  Resource\tRequests\tLimits\n  --------\t--------\t------\n");
    let sum = |r: &str, limits: bool| pods.iter().map(|p| pod_total(p, r, limits)).sum::<i128>();
    for (r, f) in [("cpu", cpu as fn(i128) -> String), ("memory", bytes), ("ephemeral-storage", bytes)] {
        o.push_str(&format!("  {r}\t{}\t{}\n", share(sum(r, false), alloc(r), f), share(sum(r, true), alloc(r), f)));
    }
    let head = if evs.is_empty() { o + &events(evs, now) } else { o };
    let mut text = tabwriter(&head, 2);
    if !evs.is_empty() {
        text.push_str(&tabwriter(&events(evs, now), 2));
    }
    text.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabwriter_aligns_each_block_of_lines_on_its_own() {
        let text = "Name:\tweb\nService Account:\tdefault\nIPs:\n  IP:\t10.0.0.1\nQoS Class:\tBestEffort\n";
        assert_eq!(
            tabwriter(text, 2),
            "Name:             web\nService Account:  default\nIPs:\n  IP:       10.0.0.1\nQoS Class:  BestEffort\n"
        );
    }
}
