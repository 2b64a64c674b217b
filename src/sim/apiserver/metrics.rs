//! kube-apiserver's /metrics: apiserver_request_total and apiserver_request_duration_seconds by
//! verb, group, resource, subresource, scope (and code), the admission plugins' latency
//! (apiserver_admission_controller_admission_duration_seconds, part of what operators call
//! admission controller duration), apiserver_current_inflight_requests, and the watch fan-out:
//! apiserver_watch_events_total and apiserver_watch_events_sizes (bytes sent to watchers).

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::metrics::{Exposition, Histogram, Series};

/// (verb, group, version, resource, subresource, scope).
type RequestKey = (&'static str, &'static str, &'static str, &'static str, String, &'static str);

#[derive(Clone, Debug, Default)]
pub struct ApiMetrics {
    requests: Series<(RequestKey, u16), u64>,
    durations: Series<RequestKey, Histogram>,
    /// (plugin, operation, rejected, type) — type is the validating or admitting step.
    admission: Series<(&'static str, &'static str, bool, &'static str), Histogram>,
    /// (webhook, operation, rejected, type).
    webhooks: Series<(String, &'static str, bool, &'static str), Histogram>,
    /// Watch events sent, and their sizes, by (group, kind, version).
    watch_events: Series<WatchKey, Histogram>,
}

type WatchKey = (&'static str, String, &'static str);

/// The watch event size buckets: 1 KiB doubling to 128 KiB.
fn watch_size_histogram() -> Histogram {
    Histogram::exponential(1024.0, 2.0, 8)
}

/// The verb label: LIST and WATCH are told apart from GET; POST, PUT, PATCH, DELETE.
fn verb_label(req: &ApiRequest) -> &'static str {
    match req.verb {
        Verb::Get if !req.path.is_empty() => "GET",
        Verb::Get => "GET",
        Verb::List => "LIST",
        Verb::Watch => "WATCH",
        Verb::Create => "POST",
        Verb::Update => "PUT",
        Verb::Patch => "PATCH",
        Verb::Delete => "DELETE",
    }
}

/// The admission operation of a request's verb.
pub(super) fn operation(verb: Verb) -> &'static str {
    match verb {
        Verb::Create => "CREATE",
        Verb::Delete => "DELETE",
        _ => "UPDATE",
    }
}

fn key(req: &ApiRequest) -> RequestKey {
    let scope = if !req.name.is_empty() && req.verb != Verb::Create {
        "resource"
    } else if !req.namespace.is_empty() {
        "namespace"
    } else {
        "cluster"
    };
    let r = req.resource;
    (verb_label(req), r.group, r.version, r.plural, req.subresource.clone(), scope)
}

/// requestLatencies' buckets.
const DURATION_BUCKETS: [f64; 23] = [
    0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0,
    45.0, 60.0,
];

/// The admission metrics' buckets.
const ADMISSION_BUCKETS: [f64; 6] = [0.005, 0.025, 0.1, 0.5, 1.0, 2.5];

impl ApiMetrics {
    /// The latency histograms of mutating calls by `VERB resource` (the mutating API latency
    /// SLI's pairs).
    pub fn mutating_latencies(&self) -> Vec<(String, Histogram)> {
        self.durations
            .0
            .iter()
            .filter(|((verb, ..), _)| matches!(*verb, "POST" | "PUT" | "PATCH" | "DELETE"))
            .map(|((verb, _, _, plural, sub, _), h)| {
                let resource = if sub.is_empty() { plural.to_string() } else { format!("{plural}/{sub}") };
                (format!("{verb} {resource}"), h.clone())
            })
            .collect()
    }

    /// A finished request (non-resource requests count under their path, as upstream).
    pub fn observe(&mut self, req: &ApiRequest, code: u16, seconds: f64) {
        let k = key(req);
        *self.requests.get_or((k.clone(), code), || 0) += 1;
        if req.verb != Verb::Watch {
            self.durations.get_or(k, || Histogram::new(DURATION_BUCKETS.to_vec())).observe(seconds);
        }
    }

    /// Every admission plugin's steps in one histogram (the chart's admission latency).
    pub fn admission_total(&self) -> Histogram {
        let mut all = Histogram::new(ADMISSION_BUCKETS.to_vec());
        for (_, h) in &self.admission.0 {
            all.merge(h);
        }
        all
    }

    /// One admission plugin's step: `kind` is "admit" (mutating) or "validate".
    pub fn admission(
        &mut self,
        plugin: &'static str,
        req: &ApiRequest,
        kind: &'static str,
        rejected: bool,
        seconds: f64,
    ) {
        self.admission
            .get_or((plugin, operation(req.verb), rejected, kind), || Histogram::new(ADMISSION_BUCKETS.to_vec()))
            .observe(seconds);
    }

    /// One admission webhook call: `kind` is "admit" (mutating) or "validating".
    pub fn webhook(&mut self, name: &str, req: &ApiRequest, kind: &'static str, rejected: bool, seconds: f64) {
        self.webhooks
            .get_or((name.to_string(), operation(req.verb), rejected, kind), || {
                Histogram::new(ADMISSION_BUCKETS.to_vec())
            })
            .observe(seconds);
    }

    /// One watch event of `bytes` sent to one watcher.
    pub fn watch_event(&mut self, group: &'static str, kind: &str, version: &'static str, bytes: usize) {
        let key = (group, kind.to_string(), version);
        self.watch_events.get_or(key, watch_size_histogram).observe(bytes as f64);
    }

    pub fn text(&self, read_only_inflight: usize, mutating_inflight: usize) -> String {
        let mut e = Exposition::default();
        let code_strings: Vec<String> = self.requests.0.iter().map(|((_, c), _)| c.to_string()).collect();
        let requests: Vec<_> = self
            .requests
            .0
            .iter()
            .zip(&code_strings)
            .map(|(((k, _), n), code)| (labels(k, Some(code)), *n as f64))
            .collect();
        e.labelled(
            "apiserver_request_total",
            "[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
            "counter",
            &requests,
        );
        let durations: Vec<_> = self.durations.0.iter().map(|(k, h)| (labels(k, None), h)).collect();
        e.histograms(
            "apiserver_request_duration_seconds",
            "[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
            &durations,
        );
        let admission: Vec<_> = self
            .admission
            .0
            .iter()
            .map(|((name, op, rejected, kind), h)| {
                let rejected = if *rejected { "true" } else { "false" };
                (vec![("name", *name), ("operation", *op), ("rejected", rejected), ("type", *kind)], h)
            })
            .collect();
        e.histograms(
            "apiserver_admission_controller_admission_duration_seconds",
            "[STABLE] Admission controller latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).",
            &admission,
        );
        let webhooks: Vec<_> = self
            .webhooks
            .0
            .iter()
            .map(|((name, op, rejected, kind), h)| {
                let rejected = if *rejected { "true" } else { "false" };
                (vec![("name", name.as_str()), ("operation", *op), ("rejected", rejected), ("type", *kind)], h)
            })
            .collect();
        e.histograms(
            "apiserver_admission_webhook_admission_duration_seconds",
            "[STABLE] Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).",
            &webhooks,
        );
        let watch: Vec<_> = self
            .watch_events
            .0
            .iter()
            .map(|((group, kind, version), h)| {
                (vec![("group", *group), ("kind", kind.as_str()), ("version", *version)], h)
            })
            .collect();
        let counts: Vec<_> = watch.iter().map(|(l, h)| (l.clone(), h.count as f64)).collect();
        e.labelled(
            "apiserver_watch_events_total",
            "[ALPHA] Number of events sent in watch clients",
            "counter",
            &counts,
        );
        e.histograms("apiserver_watch_events_sizes", "[ALPHA] Watch event size distribution in bytes", &watch);
        e.labelled(
            "apiserver_current_inflight_requests",
            "[STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.",
            "gauge",
            &[
                (vec![("request_kind", "mutating")], mutating_inflight as f64),
                (vec![("request_kind", "readOnly")], read_only_inflight as f64),
            ],
        );
        e.finish()
    }
}

fn labels<'a>(k: &'a RequestKey, code: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut l = Vec::new();
    if let Some(c) = code {
        l.push(("code", c));
    }
    l.extend([
        ("component", "apiserver"),
        ("group", k.1),
        ("resource", k.3),
        ("scope", k.5),
        ("subresource", k.4.as_str()),
        ("verb", k.0),
        ("version", k.2),
    ]);
    l
}
