//! Object validation (pkg/apis/*/validation), the checks the skeleton's objects need, with the
//! upstream field paths and messages.

use crate::sim::api::Object;

const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// The characters of an RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
fn label_chars(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_label(s: &str) -> bool {
    s.len() <= 63 && label_chars(s)
}

pub fn is_dns1123_subdomain(s: &str) -> bool {
    // As upstream's regex: the parts between dots have no length limit of their own.
    s.len() <= 253 && s.split('.').all(label_chars)
}

/// Returns the field errors of an object, empty when valid.
pub fn validate(obj: &Object) -> Vec<String> {
    let mut errs = validate_meta(obj);
    validate_spec(obj, &mut errs);
    errs
}

/// The checks of a `/status` update: the status strategies (ValidatePodStatusUpdate,
/// ValidateDeploymentStatusUpdate, …) look at the metadata and the status, never at the spec,
/// which the update keeps from the stored object.
pub fn validate_meta(obj: &Object) -> Vec<String> {
    let mut errs = Vec::new();
    let meta = obj.meta();
    if meta.name.is_empty() {
        errs.push("metadata.name: Required value: name or generateName is required".to_string());
    } else if matches!(obj, Object::Namespace(_)) && !is_label(&meta.name) {
        errs.push(format!("metadata.name: Invalid value: \"{}\": {DNS1123_LABEL_MSG}", meta.name));
    } else if !is_dns1123_subdomain(&meta.name) {
        errs.push(format!("metadata.name: Invalid value: \"{}\": {DNS1123_SUBDOMAIN_MSG}", meta.name));
    }
    errs
}

fn validate_spec(obj: &Object, errs: &mut Vec<String>) {
    match obj {
        Object::Pod(p) => validate_pod_spec(&p.spec, "spec", errs),
        Object::Deployment(d) => {
            validate_replicas(d.spec.replicas, errs);
            validate_selector(&d.spec.selector.match_labels, &d.spec.template.metadata.labels, errs);
            validate_pod_spec(&d.spec.template.spec, "spec.template.spec", errs);
        }
        Object::Job(j) => validate_job_spec(&j.spec, "spec", errs),
        Object::StatefulSet(s) => {
            validate_replicas(s.spec.replicas, errs);
            validate_selector(&s.spec.selector.match_labels, &s.spec.template.metadata.labels, errs);
            let policy = s.spec.pod_management_policy.as_str();
            if !["OrderedReady", "Parallel"].contains(&policy) {
                errs.push(format!(
                    "spec.podManagementPolicy: Unsupported value: \"{policy}\": supported values: \"OrderedReady\", \"Parallel\""
                ));
            }
            validate_pod_spec(&s.spec.template.spec, "spec.template.spec", errs);
        }
        Object::CronJob(c) => {
            if let Err(e) = crate::sim::cron::Schedule::parse(&c.spec.schedule) {
                errs.push(format!("spec.schedule: Invalid value: \"{}\": {e}", c.spec.schedule));
            }
            if let Some(tz) = c.spec.time_zone.as_deref().filter(|tz| !["UTC", "Etc/UTC"].contains(tz)) {
                // Upstream reads the tz database; the simulation keeps every clock in UTC.
                errs.push(format!(
                    "spec.timeZone: Unsupported value: \"{tz}\": supported values: \"Etc/UTC\", \"UTC\""
                ));
            }
            let policy = c.spec.concurrency_policy.as_str();
            if !["Allow", "Forbid", "Replace"].contains(&policy) {
                errs.push(format!(
                    "spec.concurrencyPolicy: Unsupported value: \"{policy}\": supported values: \"Allow\", \"Forbid\", \"Replace\""
                ));
            }
            validate_job_spec(&c.spec.job_template.spec, "spec.jobTemplate.spec", errs);
        }
        Object::ReplicaSet(r) => {
            validate_replicas(r.spec.replicas, errs);
            validate_selector(&r.spec.selector.match_labels, &r.spec.template.metadata.labels, errs);
            validate_pod_spec(&r.spec.template.spec, "spec.template.spec", errs);
        }
        Object::PodDisruptionBudget(pdb) if pdb.spec.min_available.is_some() && pdb.spec.max_unavailable.is_some() => {
            errs.push(
                "spec: Invalid value: \"minAvailable\": minAvailable and maxUnavailable cannot be both set".into(),
            );
        }
        Object::DaemonSet(ds) => {
            validate_selector(&ds.spec.selector.match_labels, &ds.spec.template.metadata.labels, errs);
            validate_pod_spec(&ds.spec.template.spec, "spec.template.spec", errs);
            let policy = ds.spec.template.spec.restart_policy.as_str();
            if policy != "Always" {
                errs.push(format!(
                    "spec.template.spec.restartPolicy: Unsupported value: \"{policy}\": supported values: \"Always\""
                ));
            }
        }
        Object::Service(svc) => validate_service_spec(&svc.spec, errs),
        Object::MutatingWebhookConfiguration(c) | Object::ValidatingWebhookConfiguration(c) => {
            for (i, hook) in c.webhooks.iter().enumerate() {
                validate_client_config(&hook.client_config, &format!("webhooks[{i}].clientConfig"), errs);
            }
        }
        _ => {}
    }
}

/// ValidateWebhookClientConfig: a Service or an https URL with a host, neither both nor none.
fn validate_client_config(c: &crate::sim::api::webhook::WebhookClientConfig, path: &str, errs: &mut Vec<String>) {
    match (&c.url, &c.service) {
        (Some(_), Some(_)) | (None, None) => {
            errs.push(format!("{path}: Required value: exactly one of url or service is required"))
        }
        (Some(url), None) => {
            let bad = |why: &str| format!("{path}.url: Invalid value: \"{url}\": {why}");
            match url.split_once("://") {
                Some(("https", rest)) => {
                    if rest.split(['/', '?', '#']).next().unwrap_or_default().is_empty() {
                        errs.push(bad("host must be specified"));
                    }
                    if rest.contains('#') {
                        errs.push(bad("fragments are not permitted"));
                    }
                    if rest.contains('?') {
                        errs.push(bad("query parameters are not permitted"));
                    }
                }
                _ => errs.push(bad("'https' is the only allowed URL scheme")),
            }
        }
        (None, Some(_)) => {}
    }
}

/// Session affinity and the traffic policies (after defaulting; objects written before it,
/// as the bootstrap's, leave them empty).
fn validate_service_spec(spec: &crate::sim::api::ServiceSpec, errs: &mut Vec<String>) {
    let unsupported = |field: &str, value: &str, supported: &str| {
        format!("spec.{field}: Unsupported value: \"{value}\": supported values: {supported}")
    };
    if !["", "ClientIP", "None"].contains(&spec.session_affinity.as_str()) {
        errs.push(unsupported("sessionAffinity", &spec.session_affinity, "\"ClientIP\", \"None\""));
    }
    if let Some(cfg) = &spec.session_affinity_config {
        let t = cfg.client_ip.timeout_seconds;
        if !(1..=86_400).contains(&t) {
            errs.push(format!(
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: {t}: must be greater than 0 and less than 86400"
            ));
        }
    }
    let external = spec.type_ == "NodePort" || spec.type_ == "LoadBalancer";
    let etp = spec.external_traffic_policy.as_str();
    if !external && !etp.is_empty() {
        errs.push(format!(
            "spec.externalTrafficPolicy: Invalid value: \"{etp}\": may only be set for externally-accessible services"
        ));
    } else if external && !["", "Cluster", "Local"].contains(&etp) {
        errs.push(unsupported("externalTrafficPolicy", etp, "\"Cluster\", \"Local\""));
    }
    let td = spec.traffic_distribution.as_str();
    if !td.is_empty() && td != "PreferClose" {
        errs.push(unsupported("trafficDistribution", td, "\"PreferClose\""));
    }
    let itp = spec.internal_traffic_policy.as_str();
    if !["", "Cluster", "Local"].contains(&itp) {
        errs.push(unsupported("internalTrafficPolicy", itp, "\"Cluster\", \"Local\""));
    }
}

fn validate_replicas(replicas: Option<i32>, errs: &mut Vec<String>) {
    if let Some(r) = replicas.filter(|r| *r < 0) {
        errs.push(format!("spec.replicas: Invalid value: {r}: must be greater than or equal to 0"));
    }
}

fn validate_selector(selector: &crate::sim::api::Labels, labels: &crate::sim::api::Labels, errs: &mut Vec<String>) {
    if selector.is_empty() {
        errs.push("spec.selector: Invalid value: \"null\": empty selector is invalid for deployment".to_string());
    } else if !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
        errs.push(format!(
            "spec.template.metadata.labels: Invalid value: map[string]string{{{}}}: `selector` does not match template `labels`",
            shown.join(", ")
        ));
    }
}

fn validate_job_spec(spec: &crate::sim::api::JobSpec, path: &str, errs: &mut Vec<String>) {
    let policy = spec.template.spec.restart_policy.as_str();
    if policy != "OnFailure" && policy != "Never" {
        errs.push(format!(
            "{path}.template.spec.restartPolicy: Unsupported value: \"{policy}\": supported values: \"OnFailure\", \"Never\""
        ));
    }
    validate_pod_spec(&spec.template.spec, &format!("{path}.template.spec"), errs);
}

fn validate_pod_spec(spec: &crate::sim::api::PodSpec, path: &str, errs: &mut Vec<String>) {
    if spec.containers.is_empty() {
        errs.push(format!("{path}.containers: Required value"));
    }
    for (i, c) in spec.containers.iter().enumerate() {
        if c.name.is_empty() {
            errs.push(format!("{path}.containers[{i}].name: Required value"));
        } else if !is_label(&c.name) {
            errs.push(format!("{path}.containers[{i}].name: Invalid value: \"{}\": {DNS1123_LABEL_MSG}", c.name));
        }
        if c.image.trim().is_empty() {
            errs.push(format!("{path}.containers[{i}].image: Required value"));
        }
        for (res, q) in c.resources.requests.iter().chain(c.resources.limits.iter()) {
            if let Err(e) = crate::sim::api::quantity::parse_milli(q) {
                errs.push(format!("{path}.containers[{i}].resources.requests[{res}]: Invalid value: \"{q}\": {e}"));
            }
        }
        let probes = [
            ("livenessProbe", &c.liveness_probe),
            ("readinessProbe", &c.readiness_probe),
            ("startupProbe", &c.startup_probe),
        ];
        for (field, probe) in probes {
            if let Some(p) = probe {
                validate_probe(p, field, &format!("{path}.containers[{i}].{field}"), errs);
            }
        }
        if let Some(hook) = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()) {
            validate_hook(hook, &format!("{path}.containers[{i}].lifecycle.preStop"), errs);
        }
        if !c.restart_policy.is_empty() {
            errs.push(format!(
                "{path}.containers[{i}].restartPolicy: Forbidden: may not be set for non-init containers"
            ));
        }
    }
    for (i, c) in spec.init_containers.iter().enumerate() {
        if !c.restart_policy.is_empty() && !c.is_sidecar() {
            errs.push(format!(
                "{path}.initContainers[{i}].restartPolicy: Unsupported value: \"{}\": supported values: \"Always\"",
                c.restart_policy
            ));
        }
    }
}

/// validateHandler for lifecycle hooks: exactly one handler; sleep is not negative.
fn validate_hook(h: &crate::sim::api::probe::LifecycleHandler, path: &str, errs: &mut Vec<String>) {
    match [h.exec.is_some(), h.http_get.is_some(), h.sleep.is_some()].iter().filter(|x| **x).count() {
        0 => errs.push(format!("{path}: Required value: must specify a handler type")),
        1 => {}
        _ => errs.push(format!("{path}: Forbidden: may not specify more than 1 handler type")),
    }
    if let Some(s) = h.sleep.as_ref().filter(|s| s.seconds < 0) {
        errs.push(format!("{path}.sleep.seconds: Invalid value: {}: must be greater than or equal to 0", s.seconds));
    }
}

/// validateProbe: exactly one handler; liveness and startup probes succeed once.
fn validate_probe(p: &crate::sim::api::probe::Probe, field: &str, path: &str, errs: &mut Vec<String>) {
    let handlers = [p.exec.is_some(), p.http_get.is_some(), p.tcp_socket.is_some(), p.grpc.is_some()];
    match handlers.iter().filter(|h| **h).count() {
        0 => errs.push(format!("{path}: Required value: must specify a handler type")),
        1 => {}
        _ => errs.push(format!("{path}: Forbidden: may not specify more than 1 handler type")),
    }
    if field != "readinessProbe" && p.success_threshold != 1 {
        errs.push(format!("{path}.successThreshold: Invalid value: {}: must be 1", p.success_threshold));
    }
    for (name, v) in [
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("periodSeconds", p.period_seconds),
        ("successThreshold", p.success_threshold),
        ("failureThreshold", p.failure_threshold),
    ] {
        if v < 0 {
            errs.push(format!("{path}.{name}: Invalid value: {v}: must be greater than or equal to 0"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(is_dns1123_subdomain("web-7d4b9c8f6-abcde"));
        assert!(is_dns1123_subdomain("a.b"));
        assert!(!is_dns1123_subdomain("Web"));
        assert!(!is_dns1123_subdomain("-web"));
        assert!(!is_dns1123_subdomain(""));
    }
}
