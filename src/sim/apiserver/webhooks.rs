//! MutatingAdmissionWebhook and ValidatingAdmissionWebhook (k8s.io/apiserver/pkg/admission/
//! plugin/webhook): the configurations whose rules, namespaceSelector and objectSelector match
//! a request are called in turn — mutating ones after the built-in mutating plugins, their
//! JSONPatch applied to the object; validating ones after validation — over the network to a
//! ready endpoint of the webhook's Service, or to the pod a `url` config's address reaches.
//! A denial is the webhook's answer; a failed call
//! (no endpoints, refused, past timeoutSeconds) fails the request or is ignored, by
//! failurePolicy.
//! A mutating webhook with `reinvocationPolicy: IfNeeded` is called once more, after the
//! others, when a webhook called after it changed the object.
//! Simplified: validating webhooks are called one after the other (upstream calls them in
//! parallel); the built-in mutating plugins are not run again on reinvocation; matchConditions
//! (CEL) are not modelled.

use super::metrics::operation;
use super::*;
use crate::sim::api::webhook::{AdmissionRequest, AdmissionResponse, Webhook};
use crate::sim::api::LabelSelector;
use serde_json::Value;

/// What the configurations ask to be called for this request, in name order.
pub(super) fn matching(
    configs: &[&Object],
    mutating: bool,
    req: &ApiRequest,
    object: Option<&Object>,
    namespace_labels: Option<&crate::sim::api::Labels>,
) -> Vec<Webhook> {
    // Webhooks never gate their own configurations (they could lock themselves out).
    if req.resource.group == "admissionregistration.k8s.io" {
        return vec![];
    }
    let operation = operation(req.verb);
    let resource = if req.subresource.is_empty() {
        req.resource.plural.to_string()
    } else {
        format!("{}/{}", req.resource.plural, req.subresource)
    };
    let mut out = Vec::new();
    for c in configs {
        let hooks = match (c, mutating) {
            (Object::MutatingWebhookConfiguration(w), true) | (Object::ValidatingWebhookConfiguration(w), false) => {
                &w.webhooks
            }
            _ => continue,
        };
        for h in hooks {
            let rule_matches = h.rules.iter().any(|r| {
                let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
                any(&r.operations, operation)
                    && any(&r.api_groups, req.resource.group)
                    && any(&r.api_versions, req.resource.version)
                    && r.resources.iter().any(|x| {
                        x == "*" && req.subresource.is_empty()
                            || *x == resource
                            || x.strip_suffix("/*")
                                .is_some_and(|p| p == req.resource.plural && !req.subresource.is_empty())
                    })
            });
            let selects = |sel: &Option<LabelSelector>, labels: Option<&crate::sim::api::Labels>| {
                sel.as_ref().is_none_or(|s| labels.is_none_or(|l| s.matches(l)))
            };
            let object_labels = object.map(|o| &o.meta().labels);
            if rule_matches
                && selects(&h.namespace_selector, namespace_labels)
                && selects(&h.object_selector, object_labels)
            {
                out.push(h.clone());
            }
        }
    }
    out
}

/// timeoutSeconds: 10 by default, 1 to 30.
fn timeout_seconds(hook: &Webhook) -> i64 {
    hook.timeout_seconds.unwrap_or(10).clamp(1, 30)
}

/// Where the apiserver posts the review, as its errors name it.
fn url(hook: &Webhook) -> String {
    match &hook.client_config.service {
        Some(s) => format!(
            "https://{}.{}.svc:{}{}?timeout={}s",
            s.name,
            s.namespace,
            s.port.unwrap_or(443),
            s.path.as_deref().unwrap_or(""),
            timeout_seconds(hook)
        ),
        None => format!("{}?timeout={}s", hook.client_config.url.as_deref().unwrap_or_default(), timeout_seconds(hook)),
    }
}

/// RFC 6902 on a JSON document: add, replace and remove (what webhooks send).
pub fn apply_json_patch(doc: &mut Value, patch: &Value) -> Result<(), String> {
    for op in patch.as_array().ok_or("the JSONPatch is not a list")? {
        let path = op.get("path").and_then(Value::as_str).ok_or("a JSONPatch operation has no path")?;
        let (parent, last) = path.rsplit_once('/').ok_or_else(|| format!("invalid path {path}"))?;
        let key = last.replace("~1", "/").replace("~0", "~");
        let target = doc.pointer_mut(parent).ok_or_else(|| format!("doc is missing path: \"{parent}\""))?;
        let kind = op.get("op").and_then(Value::as_str).unwrap_or_default();
        match (kind, target) {
            ("add" | "replace", Value::Object(map)) => {
                if kind == "replace" && !map.contains_key(&key) {
                    return Err(format!("replace operation does not apply: doc is missing key: {path}"));
                }
                map.insert(key, op.get("value").cloned().unwrap_or(Value::Null));
            }
            ("add", Value::Array(items)) if key == "-" => items.push(op.get("value").cloned().unwrap_or(Value::Null)),
            ("remove", Value::Object(map)) => {
                map.remove(&key)
                    .ok_or_else(|| format!("remove operation does not apply: doc is missing key: {path}"))?;
            }
            _ => return Err(format!("unsupported JSONPatch operation {kind} at {path}")),
        }
    }
    Ok(())
}

impl ApiServer {
    /// Starts the webhooks of a phase; `mutating` after admission, else after validation.
    pub(super) fn webhooks(&mut self, ctx: &mut Ctx, token: u64, mutating: bool) {
        let Some(f) = self.inflight.get(&token) else { return };
        let object = f.plan.as_ref().map(|p| &p.object);
        let namespace_labels = self.namespace(&f.req.namespace).map(|n| &n.metadata.labels);
        let prefix = if mutating {
            "/registry/mutatingwebhookconfigurations/"
        } else {
            "/registry/validatingwebhookconfigurations/"
        };
        let hooks = matching(&self.under(prefix), mutating, &f.req, object, namespace_labels);
        if let Some(f) = self.inflight.get_mut(&token) {
            f.hooks = hooks;
            f.mutating_hooks = mutating;
        }
        self.next_webhook(ctx, token);
    }

    /// Calls the next webhook, or moves on when none is left.
    fn next_webhook(&mut self, ctx: &mut Ctx, token: u64) {
        let Some(f) = self.inflight.get_mut(&token) else { return };
        if f.hooks.is_empty() && f.mutating_hooks && !f.reinvoking {
            // Reinvocation: the IfNeeded webhooks whose view of the object a later one changed.
            let changes = f.webhook_changes;
            let again: Vec<Webhook> = std::mem::take(&mut f.if_needed)
                .into_iter()
                .filter(|(_, seen)| *seen < changes)
                .map(|(h, _)| h)
                .collect();
            f.reinvoking = true;
            if !again.is_empty() {
                let names: Vec<&str> = again.iter().map(|h| h.name.as_str()).collect();
                ctx.phase("webhook", format!("reinvoking {} (IfNeeded: changed after it ran)", names.join(", ")));
                f.hooks = again;
            }
        }
        if f.hooks.is_empty() {
            return if f.mutating_hooks {
                self.enter(ctx, token, Stage::Validation)
            } else {
                self.charge_or_store(ctx, token)
            };
        }
        let hook = f.hooks.remove(0);
        let request = AdmissionRequest {
            uid: format!("{token}"),
            operation: operation(f.req.verb),
            resource: f.req.resource.plural.to_string(),
            namespace: f.req.namespace.clone(),
            name: f.req.name.clone(),
            object: f.plan.as_ref().map(|p| p.object.clone()),
        };
        f.stage = Stage::Webhook;
        f.stages.push(("webhook", ctx.now));
        f.hook = Some((hook.clone(), ctx.now));
        let timeout = timeout_seconds(&hook);
        let url = url(&hook);
        let endpoint = match &hook.client_config.service {
            Some(svc) => self
                .webhook_endpoint(&hook)
                .ok_or_else(|| format!("no endpoints available for service \"{}\"", svc.name)),
            None => self.url_endpoint(&url),
        };
        let (pod_ip, kubelet) = match endpoint {
            Ok(e) => e,
            Err(why) => return self.webhook_failed(ctx, token, &hook, &format!("Post \"{url}\": {why}")),
        };
        self.next_call += 1;
        let call_id = self.next_call;
        self.calls.insert(call_id, token);
        ctx.phase("webhook", format!("calling {} ({url})", hook.name));
        self.call_pod(ctx, call_id, pod_ip, kubelet, request, format!("admission webhook {}", hook.name));
        ctx.timer(timeout as u64 * crate::sim::time::SECONDS, Timer::WebhookTimeout { call_id });
    }

    /// A ready endpoint of the webhook's Service, and the kubelet of its node.
    fn webhook_endpoint(&self, hook: &Webhook) -> Option<(String, ComponentId)> {
        let svc = hook.client_config.service.as_ref()?;
        let slices = self.under(&format!("/registry/endpointslices/{}/", svc.namespace));
        slices.into_iter().find_map(|o| match o {
            Object::EndpointSlice(es) if es.metadata.labels.get("kubernetes.io/service-name") == Some(&svc.name) => {
                es.endpoints.iter().filter(|e| e.conditions.ready == Some(true)).find_map(|e| {
                    let kubelet = self.kubelets.get(&e.node_name)?;
                    Some((e.addresses.first()?.clone(), *kubelet))
                })
            }
            _ => None,
        })
    }

    /// The pod a `url` webhook's address reaches, and its node's kubelet. kube-apiserver
    /// resolves names with its node's resolver, not the cluster DNS, so only addresses reach
    /// the cluster: a running pod's IP (or a node's, for a host-network pod).
    fn url_endpoint(&self, url: &str) -> Result<(String, ComponentId), String> {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let (host, port) = authority.rsplit_once(':').unwrap_or((authority, "443"));
        if host.parse::<std::net::Ipv4Addr>().is_err() {
            return Err(format!("dial tcp: lookup {host} on 127.0.0.53:53: no such host"));
        }
        let pods = self.under("/registry/pods/");
        let serving = pods.into_iter().find_map(|o| match o {
            Object::Pod(p) if p.status.pod_ip == host && p.status.phase == "Running" => {
                self.kubelets.get(&p.spec.node_name).map(|k| (host.to_string(), *k))
            }
            _ => None,
        });
        serving.ok_or_else(|| format!("dial tcp {host}:{port}: connect: no route to host"))
    }

    /// A webhook answered.
    pub(super) fn on_webhook_result(&mut self, ctx: &mut Ctx, call_id: u64, result: Result<AdmissionResponse, String>) {
        let Some(token) = self.calls.remove(&call_id) else { return };
        let Some((hook, started)) = self.inflight.get_mut(&token).and_then(|f| f.hook.take()) else { return };
        let response = match result {
            Err(e) => return self.webhook_failed(ctx, token, &hook, &format!("Post \"{}\": {e}", url(&hook))),
            Ok(r) => r,
        };
        let Some(f) = self.inflight.get(&token) else { return };
        let (req, mutating) = (f.req.clone(), f.mutating_hooks);
        let kind = if mutating { "admit" } else { "validating" };
        let seconds = ctx.now.since(started) as f64 / crate::sim::time::SECONDS as f64;
        self.metrics.webhook(&hook.name, &req, kind, !response.allowed, seconds);
        if !response.allowed {
            let message = format!("admission webhook \"{}\" denied the request: {}", hook.name, response.message);
            ctx.phase("webhook", format!("denied: {message}"));
            let reason = if response.code == 403 { "Forbidden" } else { "BadRequest" };
            return self.finish(ctx, token, Err(Status { code: response.code, reason, message, causes: vec![] }));
        }
        if let (true, Some(patch)) = (mutating, &response.patch) {
            let Some(plan) = self.inflight.get(&token).and_then(|f| f.plan.clone()) else { return };
            let mut doc = plan.object.to_json_value();
            let patched = apply_json_patch(&mut doc, patch)
                .and_then(|_| serde_json::to_vec(&doc).map_err(|e| e.to_string()))
                .and_then(|b| Object::from_json(&b));
            match patched {
                Ok(mut object) => {
                    object.meta_mut().resource_version = plan.object.meta().resource_version.clone();
                    ctx.phase("webhook", format!("{} patched the object", hook.name));
                    if let Some(f) = self.inflight.get_mut(&token) {
                        if object != plan.object {
                            f.webhook_changes += 1;
                        }
                        f.plan = Some(Arc::new(registry::rewrite(Arc::unwrap_or_clone(plan), object)));
                    }
                }
                Err(e) => {
                    let status = Status::internal(format!(
                        "Internal error occurred: JSON Patch from webhook \"{}\" could not be applied: {e}",
                        hook.name
                    ));
                    return self.finish(ctx, token, Err(status));
                }
            }
        }
        if let Some(f) = self.inflight.get_mut(&token).filter(|f| f.mutating_hooks && !f.reinvoking) {
            if hook.reinvocation_policy.as_deref() == Some("IfNeeded") {
                f.if_needed.push((hook, f.webhook_changes));
            }
        }
        self.next_webhook(ctx, token);
    }

    /// No answer within timeoutSeconds.
    pub(super) fn on_webhook_timeout(&mut self, ctx: &mut Ctx, call_id: u64) {
        if self.calls.contains_key(&call_id) {
            self.on_webhook_result(ctx, call_id, Err("context deadline exceeded".into()));
        }
    }

    /// failurePolicy: Fail turns the call's failure into the request's; Ignore goes on.
    fn webhook_failed(&mut self, ctx: &mut Ctx, token: u64, hook: &Webhook, why: &str) {
        let message = format!("failed calling webhook \"{}\": failed to call webhook: {why}", hook.name);
        if hook.failure_policy.as_deref() == Some("Ignore") {
            ctx.phase("webhook", format!("ignored: {message}"));
            return self.next_webhook(ctx, token);
        }
        ctx.phase("webhook", format!("500: {message}"));
        self.finish(ctx, token, Err(Status::internal(format!("Internal error occurred: {message}"))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_patch_adds_replaces_and_removes() {
        let mut doc = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1]}});
        let patch = json!([
            {"op": "add", "path": "/metadata/labels/x~1y", "value": "2"},
            {"op": "replace", "path": "/metadata/labels/a", "value": "3"},
            {"op": "add", "path": "/spec/list/-", "value": 2},
            {"op": "remove", "path": "/spec/list"}
        ]);
        apply_json_patch(&mut doc, &patch).unwrap();
        assert_eq!(doc, json!({"metadata": {"labels": {"a": "3", "x/y": "2"}}, "spec": {}}));
        assert!(apply_json_patch(&mut doc, &json!([{"op": "add", "path": "/nope/x", "value": 1}])).is_err());
    }
}
