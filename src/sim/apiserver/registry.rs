//! The registry (pkg/registry/*): how each verb turns a request plus the current object into
//! the object to store — defaulting, create/update strategies, status and binding
//! subresources, JSON merge patch and graceful pod deletion.

use crate::sim::api::meta::Time;
use crate::sim::api::request::{ApiRequest, Status, Verb};
use crate::sim::api::{Condition, Object, PersistentVolumeClaimStatus};
use crate::sim::etcd::{Compare, Txn, TxnAction};
use crate::sim::rng::{Draw, SimRng};
use crate::sim::time::SimTime;

/// What to write to etcd, and the object to answer with.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub txn: Txn,
    pub object: Object,
    /// HTTP status of success: 201 for create, 200 otherwise.
    pub code: u16,
}

/// Upstream `utilrand.String` alphabet (no vowels, no look-alike characters).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

pub fn random_suffix(rng: &mut SimRng, n: usize) -> String {
    (0..n).map(|_| ALPHANUMS[rng.below(ALPHANUMS.len() as u64) as usize] as char).collect()
}

pub fn new_uid(rng: &mut SimRng) -> String {
    let hex: String = (0..32).map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0')).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Create: name generation, uid, timestamps and per-kind defaults (pkg/apis/*/v1/defaults.go).
pub fn prepare_create(req: &ApiRequest, now: SimTime, rng: &mut SimRng) -> Result<Object, Status> {
    let mut obj =
        req.body.as_deref().cloned().ok_or_else(|| Status::bad_request("the body of the request was empty".into()))?;
    if obj.kind() != req.resource.kind {
        return Err(Status::bad_request(format!(
            "the API version in the data ({}) does not match the expected API version ({})",
            obj.kind(),
            req.resource.kind
        )));
    }
    let meta = obj.meta_mut();
    if req.resource.namespaced {
        if !meta.namespace.is_empty() && meta.namespace != req.namespace {
            return Err(Status::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request".into(),
            ));
        }
        meta.namespace = req.namespace.clone();
    } else {
        meta.namespace.clear();
    }
    if meta.name.is_empty() && !meta.generate_name.is_empty() {
        meta.name = format!("{}{}", meta.generate_name, random_suffix(rng, 5));
    }
    meta.uid = new_uid(rng);
    meta.resource_version.clear();
    meta.creation_timestamp = Time::at(now);
    meta.deletion_timestamp = None;
    meta.generation = 0;
    if tracks_generation(&obj) {
        obj.meta_mut().generation = 1;
    }
    default_object(&mut obj);
    Ok(obj)
}

/// The registry's defaulting of a created object (also what kubeadm's add-ons get, created
/// through the API).
pub(crate) fn default_object(obj: &mut Object) {
    match obj {
        Object::Pod(p) => {
            default_pod_spec(&mut p.spec);
            // SetDefaults_Pod: a container with a limit and no request requests its limit.
            for c in p.spec.containers.iter_mut().chain(p.spec.init_containers.iter_mut()) {
                for (r, q) in &c.resources.limits {
                    c.resources.requests.entry(r.clone()).or_insert_with(|| q.clone());
                }
            }
            p.status = Default::default();
            p.status.phase = "Pending".into();
            p.status.qos_class = p.qos_class().into();
        }
        Object::Deployment(d) => {
            d.spec.replicas.get_or_insert(1);
            let strategy = &mut d.spec.strategy;
            if strategy.type_.is_empty() {
                strategy.type_ = "RollingUpdate".into();
            }
            if strategy.type_ == "RollingUpdate" {
                let ru = strategy.rolling_update.get_or_insert_with(Default::default);
                let quarter = || Some(crate::sim::api::IntOrString::String("25%".into()));
                ru.max_surge = ru.max_surge.take().or_else(quarter);
                ru.max_unavailable = ru.max_unavailable.take().or_else(quarter);
            }
            default_pod_spec(&mut d.spec.template.spec);
            d.status = Default::default();
        }
        Object::Job(j) => {
            default_job_spec(&mut j.spec);
            j.status = Default::default();
        }
        Object::StatefulSet(s) => {
            s.spec.replicas.get_or_insert(1);
            if s.spec.pod_management_policy.is_empty() {
                s.spec.pod_management_policy = "OrderedReady".into();
            }
            let strategy = &mut s.spec.update_strategy;
            if strategy.type_.is_empty() {
                strategy.type_ = "RollingUpdate".into();
            }
            if strategy.type_ == "RollingUpdate" {
                strategy.rolling_update.get_or_insert_with(Default::default).partition.get_or_insert(0);
            }
            s.spec.revision_history_limit.get_or_insert(10);
            default_pod_spec(&mut s.spec.template.spec);
            s.status = Default::default();
        }
        Object::HorizontalPodAutoscaler(h) => {
            h.spec.min_replicas.get_or_insert(1);
            h.status = Default::default();
        }
        Object::CronJob(c) => {
            if c.spec.concurrency_policy.is_empty() {
                c.spec.concurrency_policy = "Allow".into();
            }
            c.spec.suspend.get_or_insert(false);
            c.spec.successful_jobs_history_limit.get_or_insert(3);
            c.spec.failed_jobs_history_limit.get_or_insert(1);
            default_job_spec(&mut c.spec.job_template.spec);
            c.status = Default::default();
        }
        Object::ReplicaSet(r) => {
            r.spec.replicas.get_or_insert(1);
            default_pod_spec(&mut r.spec.template.spec);
            r.status = Default::default();
        }
        Object::DaemonSet(ds) => {
            let strategy = &mut ds.spec.update_strategy;
            if strategy.type_.is_empty() {
                strategy.type_ = "RollingUpdate".into();
            }
            if strategy.type_ == "RollingUpdate" {
                let ru = strategy.rolling_update.get_or_insert_with(Default::default);
                ru.max_unavailable.get_or_insert(crate::sim::api::IntOrString::Int(1));
                ru.max_surge.get_or_insert(crate::sim::api::IntOrString::Int(0));
            }
            default_pod_spec(&mut ds.spec.template.spec);
            ds.status = Default::default();
        }
        Object::Service(svc) => {
            let spec = &mut svc.spec;
            if spec.type_.is_empty() {
                spec.type_ = "ClusterIP".into();
            }
            if spec.session_affinity.is_empty() {
                spec.session_affinity = "None".into();
            }
            if spec.session_affinity == "ClientIP" {
                let timeout = &mut spec.session_affinity_config.get_or_insert_with(Default::default).client_ip;
                if timeout.timeout_seconds == 0 {
                    timeout.timeout_seconds = DEFAULT_CLIENT_IP_TIMEOUT_SECONDS;
                }
            }
            if spec.internal_traffic_policy.is_empty() {
                spec.internal_traffic_policy = "Cluster".into();
            }
            if spec.external_traffic_policy.is_empty() && (spec.type_ == "NodePort" || spec.type_ == "LoadBalancer") {
                spec.external_traffic_policy = "Cluster".into();
            }
            for p in &mut svc.spec.ports {
                if p.protocol.is_empty() {
                    p.protocol = "TCP".into();
                }
                if p.target_port == 0 {
                    p.target_port = p.port;
                }
            }
        }
        Object::LimitRange(lr) => {
            for item in &mut lr.spec.limits {
                super::admission::limit_ranger::default_item(item);
            }
        }
        Object::PersistentVolumeClaim(c) => {
            if c.spec.volume_mode.is_empty() {
                c.spec.volume_mode = "Filesystem".into();
            }
            c.status = PersistentVolumeClaimStatus { phase: "Pending".into(), ..Default::default() };
        }
        Object::PersistentVolume(v) => {
            if v.spec.volume_mode.is_empty() {
                v.spec.volume_mode = "Filesystem".into();
            }
            if v.spec.persistent_volume_reclaim_policy.is_empty() {
                v.spec.persistent_volume_reclaim_policy = "Retain".into();
            }
            v.status.phase = "Pending".into();
        }
        Object::StorageClass(c) => {
            if c.reclaim_policy.is_empty() {
                c.reclaim_policy = "Delete".into();
            }
            if c.volume_binding_mode.is_empty() {
                c.volume_binding_mode = "Immediate".into();
            }
        }
        Object::VolumeAttachment(a) => a.status = Default::default(),
        // The resourcequota controller computes status; a create cannot set it.
        Object::ResourceQuota(q) => q.status = Default::default(),
        Object::Namespace(n) => {
            n.status.phase = "Active".into();
            if n.spec.finalizers.is_empty() {
                n.spec.finalizers.push(NAMESPACE_FINALIZER.into());
            }
        }
        _ => {}
    }
}

fn default_pod_spec(spec: &mut crate::sim::api::PodSpec) {
    if spec.scheduler_name.is_empty() {
        spec.scheduler_name = "default-scheduler".into();
    }
    if spec.restart_policy.is_empty() {
        spec.restart_policy = "Always".into();
    }
    spec.termination_grace_period_seconds.get_or_insert(30);
    for c in &mut spec.containers {
        if c.image_pull_policy.is_empty() {
            let tag = c.image.rsplit('/').next().and_then(|last| last.split_once(':')).map(|(_, t)| t);
            c.image_pull_policy = if matches!(tag, None | Some("latest")) { "Always" } else { "IfNotPresent" }.into();
        }
        for p in &mut c.ports {
            if p.protocol.is_empty() {
                p.protocol = "TCP".into();
            }
        }
        for probe in [&mut c.startup_probe, &mut c.liveness_probe, &mut c.readiness_probe].into_iter().flatten() {
            probe.set_defaults();
        }
    }
}

pub fn create_plan(req: &ApiRequest, obj: Object) -> Plan {
    let mut stored = obj.clone();
    stored.meta_mut().resource_version.clear();
    Plan {
        txn: Txn {
            key: req.resource.key(&obj.meta().namespace, &obj.meta().name).into(),
            compare: Compare::Absent,
            action: TxnAction::Put(crate::sim::storage::encode(&stored)),
            lease: 0,
        },
        object: obj,
        code: 201,
    }
}

/// Update, patch, delete and binding: computes the write from the current object.
/// `status_subresource`: whether the resource has one (every built-in with a status does; a
/// custom resource when its definition says so) — then the main endpoint keeps the stored
/// status and `/status` changes nothing else.
pub fn modify_plan(req: &ApiRequest, current: &Object, now: SimTime, status_subresource: bool) -> Result<Plan, Status> {
    let key = req.resource.key(&req.namespace, &req.name);
    let cur_rv = current.meta().rv();
    let mut compare = Compare::ModRevision(cur_rv);
    let next = match (req.verb, req.subresource.as_str()) {
        (Verb::Update, "finalize") => {
            // The namespace controller's last word: with no finalizer left, a Terminating
            // namespace is gone.
            let (Some(Object::Namespace(asked)), Object::Namespace(ns)) = (req.body.as_deref(), current) else {
                return Err(Status::bad_request("finalize applies to namespaces".into()));
            };
            let mut next = ns.clone();
            next.spec.finalizers = asked.spec.finalizers.clone();
            if next.spec.finalizers.is_empty() && next.metadata.deletion_timestamp.is_some() {
                return Ok(Plan {
                    txn: Txn { key: key.into(), compare, action: TxnAction::Delete, lease: 0 },
                    object: current.clone(),
                    code: 200,
                });
            }
            Object::Namespace(next)
        }
        (Verb::Update, sub) => {
            let body = req
                .body
                .as_deref()
                .cloned()
                .ok_or_else(|| Status::bad_request("the body of the request was empty".into()))?;
            if body.kind() != current.kind() || body.meta().name != req.name {
                return Err(Status::bad_request("the name of the object does not match the name on the URL".into()));
            }
            let sent_rv = body.meta().rv();
            if sent_rv != 0 {
                compare = Compare::ModRevision(sent_rv);
            }
            if sub == "status" {
                with_status_of(current, &body)
            } else {
                update_main(current, body, status_subresource)
            }
        }
        (Verb::Patch, sub) => {
            let patch =
                req.patch.clone().ok_or_else(|| Status::bad_request("the body of the request was empty".into()))?;
            let patched = merge_patch(current, &patch)?;
            // A resourceVersion in the patch is a precondition, as in an update.
            if let Some(rv) = patch.pointer("/metadata/resourceVersion").and_then(|v| v.as_str()) {
                compare = Compare::ModRevision(rv.parse().unwrap_or(0));
            }
            if sub == "status" {
                with_status_of(current, &patched)
            } else {
                update_main(current, patched, status_subresource)
            }
        }
        (Verb::Create, "binding") => bind(req, current, now)?,
        (Verb::Delete, _) => return Ok(delete_plan(req, current, key, compare, now)),
        // The Eviction API: a graceful delete; its PodDisruptionBudget check runs at the
        // validation stage (apiserver/eviction.rs).
        (Verb::Create, "eviction") => return Ok(delete_plan(req, current, key, compare, now)),
        _ => return Err(Status::bad_request(format!("unsupported request {}", req.line()))),
    };
    // The last finalizer of a marked object removed: it goes now (ShouldDeleteDuringUpdate).
    let released = !current.meta().finalizers.is_empty() && next.meta().finalizers.is_empty();
    if released && next.meta().deletion_timestamp.is_some() {
        return Ok(Plan {
            txn: Txn { key: key.into(), compare, action: TxnAction::Delete, lease: 0 },
            object: next,
            code: 200,
        });
    }
    Ok(put_plan(key, compare, next))
}

/// The same write with another object (a custom object pruned to its schema).
pub fn rewrite(plan: Plan, object: Object) -> Plan {
    let code = plan.code;
    Plan { code, ..put_plan(plan.txn.key, plan.txn.compare, object) }
}

/// The write of `object` (stored without its resourceVersion, which etcd's revision sets).
fn put_plan(key: impl Into<std::sync::Arc<str>>, compare: Compare, object: Object) -> Plan {
    let mut stored = object.clone();
    stored.meta_mut().resource_version.clear();
    Plan {
        txn: Txn { key: key.into(), compare, action: TxnAction::Put(crate::sim::storage::encode(&stored)), lease: 0 },
        object,
        code: 200,
    }
}

/// SetDefaults_Job, for a Job and a CronJob's template.
fn default_job_spec(spec: &mut crate::sim::api::JobSpec) {
    spec.completions.get_or_insert(1);
    spec.parallelism.get_or_insert(1);
    spec.backoff_limit.get_or_insert(6);
    let restart = std::mem::take(&mut spec.template.spec.restart_policy);
    default_pod_spec(&mut spec.template.spec);
    // A Job's pods must say OnFailure or Never; validation reports a missing one.
    spec.template.spec.restart_policy = restart;
}

/// Whether the kind's strategy keeps metadata.generation (the workloads, webhook
/// configurations, CRDs and custom objects do; Services, Leases, Nodes, RBAC objects do not).
fn tracks_generation(o: &Object) -> bool {
    matches!(
        o,
        Object::Pod(_)
            | Object::Deployment(_)
            | Object::ReplicaSet(_)
            | Object::DaemonSet(_)
            | Object::Job(_)
            | Object::CronJob(_)
            | Object::StatefulSet(_)
            | Object::PodDisruptionBudget(_)
            | Object::CustomResourceDefinition(_)
            | Object::MutatingWebhookConfiguration(_)
            | Object::ValidatingWebhookConfiguration(_)
            | Object::Custom(_)
    )
}

/// The main resource keeps its status; a spec change bumps metadata.generation.
fn update_main(current: &Object, mut next: Object, status_subresource: bool) -> Object {
    let keep = current.meta().clone();
    {
        let m = next.meta_mut();
        m.uid = keep.uid.clone();
        m.creation_timestamp = keep.creation_timestamp;
        m.namespace = keep.namespace.clone();
        m.deletion_timestamp = keep.deletion_timestamp;
        m.deletion_grace_period_seconds = keep.deletion_grace_period_seconds;
        m.generation = keep.generation;
    }
    // What counts for metadata.generation: the spec, or without a status subresource
    // everything but the metadata.
    let (kept, spec_changed) = match status_subresource {
        true => {
            let kept = with_status_of(&next, current);
            let changed = strip_meta(strip_status(&kept)) != strip_meta(strip_status(current));
            (kept, changed)
        }
        false => {
            let changed = strip_meta(next.clone()) != strip_meta(current.clone());
            (next, changed)
        }
    };
    let mut next = kept;
    if spec_changed && tracks_generation(&next) {
        next.meta_mut().generation = keep.generation + 1;
    }
    next
}

/// `base` with the status of `from` (the status subresource's strategy).
fn with_status_of(base: &Object, from: &Object) -> Object {
    let mut out = base.clone();
    match (&mut out, from) {
        (Object::Pod(a), Object::Pod(b)) => a.status = b.status.clone(),
        (Object::Node(a), Object::Node(b)) => a.status = b.status.clone(),
        (Object::Deployment(a), Object::Deployment(b)) => a.status = b.status.clone(),
        (Object::ReplicaSet(a), Object::ReplicaSet(b)) => a.status = b.status.clone(),
        (Object::DaemonSet(a), Object::DaemonSet(b)) => a.status = b.status.clone(),
        (Object::PodDisruptionBudget(a), Object::PodDisruptionBudget(b)) => a.status = b.status.clone(),
        (Object::Namespace(a), Object::Namespace(b)) => a.status = b.status.clone(),
        (Object::Job(a), Object::Job(b)) => a.status = b.status.clone(),
        (Object::CronJob(a), Object::CronJob(b)) => a.status = b.status.clone(),
        (Object::HorizontalPodAutoscaler(a), Object::HorizontalPodAutoscaler(b)) => a.status = b.status.clone(),
        (Object::StatefulSet(a), Object::StatefulSet(b)) => a.status = b.status.clone(),
        (Object::ResourceQuota(a), Object::ResourceQuota(b)) => a.status = b.status.clone(),
        (Object::Service(a), Object::Service(b)) => a.status = b.status.clone(),
        (Object::PersistentVolumeClaim(a), Object::PersistentVolumeClaim(b)) => a.status = b.status.clone(),
        (Object::PersistentVolume(a), Object::PersistentVolume(b)) => a.status = b.status.clone(),
        (Object::VolumeAttachment(a), Object::VolumeAttachment(b)) => a.status = b.status.clone(),
        (Object::Custom(a), Object::Custom(b)) => match b.fields.get("status") {
            Some(status) => {
                a.fields.insert("status".into(), status.clone());
            }
            None => {
                a.fields.remove("status");
            }
        },
        _ => {}
    }
    out
}

fn strip_status(o: &Object) -> Object {
    with_status_of(o, &blank_status(o))
}

/// Without the metadata a write may change freely.
fn strip_meta(mut o: Object) -> Object {
    let m = o.meta_mut();
    m.resource_version.clear();
    m.generation = 0;
    m.labels.clear();
    m.annotations.clear();
    o
}

fn blank_status(o: &Object) -> Object {
    let mut b = o.clone();
    match &mut b {
        Object::Pod(p) => p.status = Default::default(),
        Object::Node(n) => n.status = Default::default(),
        Object::Deployment(d) => d.status = Default::default(),
        Object::ReplicaSet(r) => r.status = Default::default(),
        Object::DaemonSet(ds) => ds.status = Default::default(),
        Object::PodDisruptionBudget(pdb) => pdb.status = Default::default(),
        Object::Namespace(n) => n.status = Default::default(),
        Object::Job(j) => j.status = Default::default(),
        Object::CronJob(c) => c.status = Default::default(),
        Object::HorizontalPodAutoscaler(h) => h.status = Default::default(),
        Object::StatefulSet(s) => s.status = Default::default(),
        Object::ResourceQuota(q) => q.status = Default::default(),
        Object::Service(s) => s.status = Default::default(),
        Object::PersistentVolumeClaim(c) => c.status = Default::default(),
        Object::PersistentVolume(v) => v.status = Default::default(),
        Object::VolumeAttachment(a) => a.status = Default::default(),
        Object::Custom(c) => {
            c.fields.remove("status");
        }
        _ => {}
    }
    b
}

/// RFC 7386 JSON merge patch on the object's JSON form.
pub fn merge_patch(current: &Object, patch: &serde_json::Value) -> Result<Object, Status> {
    let mut doc = current.to_json_value();
    merge(&mut doc, patch);
    let bytes = serde_json::to_vec(&doc).map_err(|e| Status::internal(e.to_string()))?;
    Object::from_json(&bytes).map_err(|e| Status::invalid(current.kind(), &current.meta().name, &[e]))
}

fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// pods/binding: sets spec.nodeName once, and the PodScheduled condition.
fn bind(req: &ApiRequest, current: &Object, now: SimTime) -> Result<Object, Status> {
    let node = req.target_node.clone().unwrap_or_default();
    let Object::Pod(pod) = current else {
        return Err(Status::bad_request("binding is only for pods".into()));
    };
    if !pod.spec.node_name.is_empty() {
        return Err(Status {
            causes: vec![],
            code: 409,
            reason: "Conflict",
            message: format!(
                "Operation cannot be fulfilled on pods/binding \"{}\": pod {} is already assigned to node \"{}\"",
                req.name, req.name, pod.spec.node_name
            ),
        });
    }
    let mut pod = pod.clone();
    pod.spec.node_name = node;
    pod.status.conditions.retain(|c| c.type_ != "PodScheduled");
    pod.status.conditions.push(Condition {
        type_: "PodScheduled".into(),
        status: "True".into(),
        last_transition_time: Some(Time::at(now)),
        ..Default::default()
    });
    Ok(Object::Pod(pod))
}

/// Pods bound to a node are deleted gracefully: the kubelet stops them, then deletes for good.
fn delete_plan(req: &ApiRequest, current: &Object, key: String, compare: Compare, now: SimTime) -> Plan {
    if let Object::Pod(pod) = current {
        let grace = req.grace_period_seconds.or(pod.spec.termination_grace_period_seconds).unwrap_or(30);
        if !pod.spec.node_name.is_empty() && grace > 0 && !pod.is_terminal() {
            let mut next = pod.clone();
            if next.metadata.deletion_timestamp.is_none() {
                next.metadata.deletion_timestamp = Some(Time::at(now.plus(grace as u64 * crate::sim::time::SECONDS)));
                next.metadata.deletion_grace_period_seconds = Some(grace);
            }
            return put_plan(key, compare, Object::Pod(next));
        }
    }
    // Foreground and Orphan deletion are finalizers the garbage collector works off.
    let mut current = current.clone();
    let finalizer = match req.propagation_policy.as_deref() {
        Some("Foreground") => Some(FOREGROUND_FINALIZER),
        Some("Orphan") => Some(ORPHAN_FINALIZER),
        _ => None,
    };
    if let Some(f) = finalizer.filter(|f| !current.meta().finalizers.iter().any(|x| x == f)) {
        current.meta_mut().finalizers.push(f.to_string());
    }
    let current = &current;
    if !current.meta().finalizers.is_empty() {
        // Finalizers hold the object: it is only marked, and goes once the last is removed.
        let mut next = current.clone();
        next.meta_mut().deletion_timestamp.get_or_insert(Time::at(now));
        next.meta_mut().deletion_grace_period_seconds.get_or_insert(0);
        return put_plan(key, compare, next);
    }
    if let Object::Namespace(ns) = current {
        if !ns.spec.finalizers.is_empty() {
            let mut next = ns.clone();
            next.metadata.deletion_timestamp.get_or_insert(Time::at(now));
            next.status.phase = "Terminating".into();
            return put_plan(key, compare, Object::Namespace(next));
        }
    }
    Plan {
        txn: Txn { key: key.into(), compare, action: TxnAction::Delete, lease: 0 },
        object: current.clone(),
        code: 200,
    }
}

/// DeleteOptions.propagationPolicy=Foreground: the owner goes after its dependents.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
/// propagationPolicy=Orphan: the dependents lose their ownerReference and stay.
pub const ORPHAN_FINALIZER: &str = "orphan";

/// The finalizer the namespace controller removes once a deleted namespace is empty.
pub const NAMESPACE_FINALIZER: &str = "kubernetes";

/// The service CIDR (--service-cluster-ip-range 10.96.0.0/12). Dynamic allocation draws from
/// above the static band (the first 256 addresses, where 10.96.0.1 is the `kubernetes`
/// Service's and 10.96.0.10 kube-dns's), at random as the bitmap allocator does.
/// sessionAffinityConfig.clientIP.timeoutSeconds unless set: 3 hours.
pub const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS: i32 = 10_800;

pub fn allocate_cluster_ip(rng: &mut SimRng, used: &std::collections::BTreeSet<String>) -> Result<String, Status> {
    const SIZE: u64 = 1 << 20;
    const STATIC_BAND: u64 = 256;
    let start = rng.below(SIZE - STATIC_BAND - 2);
    for i in 0..SIZE - STATIC_BAND - 2 {
        let offset = STATIC_BAND + 1 + (start + i) % (SIZE - STATIC_BAND - 2);
        let ip = format!("10.{}.{}.{}", 96 + (offset >> 16), (offset >> 8) & 0xff, offset & 0xff);
        if !used.contains(&ip) {
            return Ok(ip);
        }
    }
    Err(Status::internal("failed to allocate a serviceIP: range is full".into()))
}

/// --service-node-port-range 30000-32767: a free port at random for each NodePort.
pub fn allocate_node_ports(
    rng: &mut SimRng,
    svc: &mut crate::sim::api::Service,
    used: &crate::sim::vecmap::VecSet<i32>,
) -> Result<(), Status> {
    const FIRST: i32 = 30000;
    const SIZE: i32 = 2768;
    let mut taken = used.clone();
    for p in svc.spec.ports.iter_mut().filter(|p| p.node_port == 0) {
        let start = rng.below(SIZE as u64) as i32;
        let port = (0..SIZE)
            .map(|i| FIRST + (start + i) % SIZE)
            .find(|port| !taken.contains(port))
            .ok_or_else(|| Status::internal("failed to allocate a nodePort: range is full".into()))?;
        p.node_port = port;
        taken.insert(port);
    }
    Ok(())
}
