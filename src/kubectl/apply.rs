//! `kubectl apply -f`: every document of a manifest, in order — read the object, create it
//! when absent, else patch it with what the manifest says (`unchanged` when that would change
//! nothing). Like kubectl, it keeps the manifest it applied in the object's
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, and a three-way merge
//! removes the fields the last manifest set and this one leaves out. The manifest is merged
//! into the live object the strategic way — lists such as `containers`, `ports` and `env`
//! merge item by item on their key, so fields the apiserver defaulted and items others added
//! (a sidecar a webhook injected) stay, while items and fields the last manifest had and this
//! one drops go — and the difference goes as a JSON merge patch.
//! Manifests are YAML or JSON, in the page as in kubesim.

use super::parse::{Command, Identity};
use super::{printers, render, Pending, Started};
use crate::sim::api::request::{ApiBody, ApiRequest, ApiResponse, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::Object;
use crate::sim::Simulation;
use serde_json::Value;

/// One document: its resource, the decoded object and the manifest as written — or kubectl's
/// error for it.
pub type Doc = Result<Applied, String>;

#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub resource: &'static ResourceInfo,
    pub object: Box<Object>,
    pub patch: Box<Value>,
}

/// The documents of a manifest, YAML (`---` between documents) or JSON (one object or an
/// array of them), as kubectl reads them; a v1 List contributes its items.
pub fn documents(text: &str, source: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let v: Value = serde::Deserialize::deserialize(doc)
            .map_err(|e| format!("error: error parsing {source}: error converting YAML to JSON: {e}"))?;
        match v {
            Value::Null => {}
            Value::Array(items) => out.extend(items),
            Value::Object(ref o) if o.get("kind").and_then(Value::as_str) == Some("List") => {
                out.extend(o.get("items").and_then(Value::as_array).cloned().unwrap_or_default())
            }
            v => out.push(v),
        }
    }
    Ok(out)
}

/// Checks a document the way kubectl does before sending it: kind and apiVersion set, a kind
/// the server serves, a body that decodes.
pub fn prepare(doc: &Value, source: &str, discovered: &[&'static ResourceInfo]) -> Doc {
    let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let (kind, version) = (text("kind"), text("apiVersion"));
    if kind.is_empty() || version.is_empty() {
        let missing = if kind.is_empty() { "kind" } else { "apiVersion" };
        return Err(format!("error: error validating \"{source}\": error validating data: {missing} not set"));
    }
    let served = |r: &&'static ResourceInfo| r.api_version() == version && !r.etcd_prefix.is_empty();
    let custom = discovered.iter().copied().find(|r| r.kind == kind && served(r));
    let Some(res) = ResourceInfo::by_kind(&kind).filter(served).or(custom) else {
        let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let ns = doc.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
        return Err(format!(
            "error: resource mapping not found for name: \"{name}\" namespace: \"{ns}\" from \"{source}\": no matches for kind \"{kind}\" in version \"{version}\"\nensure CRDs are installed first"
        ));
    };
    let bytes = serde_json::to_vec(doc).map_err(|e| e.to_string())?;
    let mut object = Object::from_json(&bytes)
        .map_err(|e| format!("error: error validating \"{source}\": error validating data: {e}"))?;
    if object.meta().namespace.is_empty() && res.namespaced {
        object.meta_mut().namespace = "default".into();
    }
    object.meta_mut().annotations.insert(LAST_APPLIED.into(), last_applied(doc));
    Ok(Applied { resource: res, object: Box::new(object), patch: Box::new(doc.clone()) })
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The annotation's value: the manifest as JSON (without the annotation), and a newline.
fn last_applied(doc: &Value) -> String {
    let mut doc = doc.clone();
    if let Some(a) = doc.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
        a.remove(LAST_APPLIED);
    }
    format!("{doc}\n")
}

/// What the last applied manifest set and this one no longer does, as `null`s to merge in —
/// key by key inside maps, so fields others set there (the server's annotations) stay; item
/// by item in keyed lists, a dropped item as a `$patch: delete` directive.
fn removals(last: &Value, new: &Value) -> Option<Value> {
    let (Value::Object(last), Value::Object(new)) = (last, new) else { return None };
    let mut out = serde_json::Map::new();
    for (k, was) in last {
        let gone = match (new.get(k), was) {
            (None, Value::Object(_)) => removals(was, &Value::Object(Default::default())),
            (None, _) => Some(Value::Null),
            (Some(Value::Array(now)), Value::Array(was)) => merge_key(k).and_then(|key| item_removals(key, was, now)),
            (Some(now), _) => removals(was, now),
        };
        if let Some(g) = gone {
            out.insert(k.clone(), g);
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// The removals inside a keyed list: items the last manifest had and this one drops, and
/// fields gone from the items both have.
fn item_removals(key: &str, was: &[Value], now: &[Value]) -> Option<Value> {
    let directives: Vec<Value> = was
        .iter()
        .filter_map(|item| {
            let id = item.get(key)?;
            let mut directive = match now.iter().find(|n| n.get(key) == Some(id)) {
                Some(kept) => removals(item, kept)?,
                None => serde_json::json!({PATCH_DIRECTIVE: "delete"}),
            };
            directive.as_object_mut()?.insert(key.into(), id.clone());
            Some(directive)
        })
        .collect();
    (!directives.is_empty()).then_some(Value::Array(directives))
}

/// Starts applying `docs` in order, as `identity`.
pub fn start(sim: &mut Simulation, docs: Vec<Doc>, identity: Identity) -> Started {
    let mut pending = Pending::new(Command::Apply { docs }, identity);
    match next(sim, &mut pending) {
        Some(out) => Started::Done(out),
        None => Started::Waiting(pending),
    }
}

/// `kubectl apply -f SOURCE` of a JSON manifest's text, with the resources discovery knows.
pub fn start_manifest(sim: &mut Simulation, text: &str, source: &str, identity: Identity) -> Result<Started, String> {
    let docs = documents(text, source)?;
    let discovered = sim.discovery();
    let prepared = docs.iter().map(|d| prepare(d, source, &discovered)).collect();
    Ok(start(sim, prepared, identity))
}

/// Whether every line of an apply's output is a success.
pub fn succeeded(out: &str) -> bool {
    out.lines().all(|l| l.ends_with(" created") || l.ends_with(" configured") || l.ends_with(" unchanged"))
}

/// Records the errors of documents that cannot be sent, then reads the next one; the whole
/// output once none is left.
fn next(sim: &mut Simulation, pending: &mut Pending) -> Option<String> {
    let Command::Apply { docs } = &pending.command else { return None };
    while let Some(doc) = docs.get(pending.lines.len()) {
        match doc {
            Err(e) => pending.lines.push(e.clone()),
            Ok(Applied { resource, object, .. }) => {
                let req = ApiRequest::new(Verb::Get, resource, &object.meta().namespace, &object.meta().name);
                pending.first = None;
                pending.send(sim, req);
                return None;
            }
        }
    }
    Some(pending.lines.join("\n"))
}

/// One answer for the current document.
pub(super) fn step(sim: &mut Simulation, pending: &mut Pending, resp: ApiResponse) -> Option<String> {
    let Command::Apply { docs } = &pending.command else { return None };
    let Some(Ok(Applied { resource: res, object, patch })) = docs.get(pending.lines.len()).cloned() else {
        return None;
    };
    let (ns, name) = (object.meta().namespace.clone(), object.meta().name.clone());
    let done =
        |verb: &str| format!("{}/{name} {verb}", printers::name_of(res, &object).split('/').next().unwrap_or(""));
    let line = match (pending.first.take(), resp) {
        (None, Err(s)) if s.code == 404 => {
            pending.first = Some(vec![]);
            pending.send(sim, ApiRequest::new(Verb::Create, res, &ns, "").with_body(*object));
            return None;
        }
        (None, Ok(ApiBody::Object(current))) => {
            let live = current.to_json_value();
            let mut wanted = live.clone();
            // The three-way part: drop what the last apply set and this manifest does not.
            let last = current.meta().annotations.get(LAST_APPLIED).and_then(|t| serde_json::from_str(t).ok());
            if let Some(gone) = last.and_then(|last: Value| removals(&last, &patch)) {
                strategic_merge(&mut wanted, &gone);
            }
            // Type information, not fields to change (the live object may not spell it out).
            let mut fields = *patch;
            if let Some(o) = fields.as_object_mut() {
                o.remove("apiVersion");
                o.remove("kind");
            }
            let annotation = serde_json::json!({"metadata": {"annotations": {LAST_APPLIED: object.meta().annotations.get(LAST_APPLIED)}}});
            strategic_merge(&mut wanted, &annotation);
            strategic_merge(&mut wanted, &fields);
            if wanted == live {
                done("unchanged")
            } else {
                let mut req = ApiRequest::new(Verb::Patch, res, &ns, &name);
                req.patch = Some(merge_diff(&live, &wanted));
                pending.first = Some(vec![current]);
                pending.send(sim, req);
                return None;
            }
        }
        (Some(before), Ok(_)) => done(if before.is_empty() { "created" } else { "configured" }),
        (_, other) => render(&pending.command, other, sim.now()),
    };
    pending.lines.push(line);
    next(sim, pending)
}

/// Lists that strategic merge patches merge item by item, and the field that keys their items
/// (the `patchMergeKey` of the core types).
const MERGE_KEYS: &[(&str, &str)] = &[
    ("containers", "name"),
    ("initContainers", "name"),
    ("ports", "containerPort"),
    ("env", "name"),
    ("volumeMounts", "mountPath"),
    ("volumes", "name"),
];

/// The directive key a strategic merge patch item uses (`$patch: delete` removes the item).
const PATCH_DIRECTIVE: &str = "$patch";

fn merge_key(field: &str) -> Option<&'static str> {
    MERGE_KEYS.iter().find(|(f, _)| *f == field).map(|(_, key)| *key)
}

/// Merges `patch` into `target`: objects field by field, anything else replaced, `null`
/// removes a field. Keyed lists merge item by item: each patch item into the live item with
/// its key (or added), `$patch: delete` items removed, live items the patch does not name
/// kept. The patch's items come first, in its order (kubectl sends the manifest's order), then
/// the live items it does not name.
fn strategic_merge(target: &mut Value, patch: &Value) {
    let (Value::Object(t), Value::Object(p)) = (&mut *target, patch) else {
        *target = patch.clone();
        return;
    };
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (merge_key(k), v) {
            (Some(key), Value::Array(items)) => {
                let live = t.entry(k.clone()).or_insert_with(|| Value::Array(vec![]));
                match live {
                    Value::Array(live) => merge_items(key, live, items),
                    other => *other = v.clone(),
                }
            }
            _ => match t.get_mut(k) {
                Some(existing) => strategic_merge(existing, v),
                None => {
                    t.insert(k.clone(), v.clone());
                }
            },
        }
    }
}

/// One keyed list's strategic merge (see `strategic_merge`).
fn merge_items(key: &str, live: &mut Vec<Value>, items: &[Value]) {
    let named = |l: &Value| items.iter().any(|i| i.get(key).is_some() && i.get(key) == l.get(key));
    let mut merged = Vec::with_capacity(live.len() + items.len());
    for item in items {
        if item.get(PATCH_DIRECTIVE).and_then(Value::as_str) == Some("delete") {
            continue;
        }
        let found = live.iter().find(|l| l.get(key) == item.get(key)).cloned();
        let mut base = found.unwrap_or_else(|| Value::Object(Default::default()));
        strategic_merge(&mut base, item);
        merged.push(base);
    }
    merged.extend(live.iter().filter(|l| !named(l)).cloned());
    *live = merged;
}

/// The JSON merge patch that turns `from` into `to`.
fn merge_diff(from: &Value, to: &Value) -> Value {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = serde_json::Map::new();
            for (k, v) in b {
                match a.get(k) {
                    Some(old) if old == v => {}
                    Some(old) => {
                        out.insert(k.clone(), merge_diff(old, v));
                    }
                    None => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                out.insert(k.clone(), Value::Null);
            }
            Value::Object(out)
        }
        _ => to.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keyed_lists_merge_item_by_item_and_keep_defaults() {
        let mut live = json!({"spec": {"replicas": 2, "containers": [
            {"name": "web", "image": "nginx:1.26", "imagePullPolicy": "IfNotPresent"},
            {"name": "side", "image": "busybox"}]}});
        let before = live.clone();
        strategic_merge(
            &mut live,
            &json!({"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}, {"name": "side", "image": "busybox"}]}}),
        );
        assert_eq!(live, before, "an unchanged manifest changes nothing");
        // A patch naming one item leaves the others (only the three-way removals delete).
        strategic_merge(&mut live, &json!({"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}));
        let containers = json!([
            {"name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"},
            {"name": "side", "image": "busybox"}
        ]);
        assert_eq!(live["spec"]["containers"], containers);
        assert_eq!(merge_diff(&before, &live), json!({"spec": {"containers": containers}}));
    }

    /// The live object after applying `new` over `live`, whose last manifest was `last`.
    fn three_way(live: &Value, last: &Value, new: &Value) -> Value {
        let mut wanted = live.clone();
        if let Some(gone) = removals(last, new) {
            strategic_merge(&mut wanted, &gone);
        }
        strategic_merge(&mut wanted, new);
        wanted
    }

    #[test]
    fn items_others_added_stay_and_items_the_manifest_dropped_go() {
        let last = json!({"spec": {"containers": [
            {"name": "web", "image": "nginx", "args": ["-g", "daemon off;"]},
            {"name": "log", "image": "busybox"}]}});
        let live = json!({"spec": {"containers": [
            {"name": "web", "image": "nginx", "args": ["-g", "daemon off;"], "imagePullPolicy": "Always"},
            {"name": "log", "image": "busybox"},
            {"name": "istio-proxy", "image": "proxyv2"}]}});
        let new = json!({"spec": {"containers": [{"name": "web", "image": "nginx"}]}});
        assert_eq!(
            three_way(&live, &last, &new)["spec"]["containers"],
            json!([
                {"name": "web", "image": "nginx", "imagePullPolicy": "Always"},
                {"name": "istio-proxy", "image": "proxyv2"}
            ]),
            "args and the log container go (the last manifest had them), the injected sidecar and the default stay"
        );
    }

    #[test]
    fn the_manifest_order_wins_and_new_lists_take_no_directives() {
        let live = json!({"spec": {"containers": [{"name": "b"}, {"name": "a"}]}});
        let new = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}], "volumes": [{"name": "data"}]}});
        let last = json!({"spec": {"containers": [{"name": "b"}, {"name": "a"}], "volumes": [{"name": "old"}]}});
        let got = three_way(&live, &last, &new);
        assert_eq!(got["spec"]["containers"], json!([{"name": "a"}, {"name": "b"}]));
        assert_eq!(got["spec"]["volumes"], json!([{"name": "data"}]));
    }
}
