//! `kubectl apply -f`: every document of a manifest, in order — read the object, create it
//! when absent, else patch it with what the manifest says (`unchanged` when that patch would
//! change nothing). Upstream computes a three-way patch from the last-applied annotation; a
//! JSON merge patch of the manifest is the same for adding and changing fields, not for
//! removing them. The page takes JSON (a YAML parser would cost more than 50 KB of bundle);
//! kubesim converts YAML first.

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

/// The documents of a JSON manifest: one object, an array of them, or a v1 List.
pub fn json_documents(text: &str, source: &str) -> Result<Vec<Value>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("error: error parsing {source}: {e}"))?;
    Ok(match v {
        Value::Array(items) => items,
        Value::Object(ref o) if o.get("kind").and_then(Value::as_str) == Some("List") => {
            o.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
        }
        v => vec![v],
    })
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
    let custom = discovered.iter().copied().find(|r| r.kind == kind);
    let Some(res) = ResourceInfo::by_kind(&kind).filter(served).or(custom.filter(served)) else {
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
    Ok(Applied { resource: res, object: Box::new(object), patch: Box::new(doc.clone()) })
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
pub fn start_json(sim: &mut Simulation, text: &str, source: &str, identity: Identity) -> Result<Started, String> {
    let docs = json_documents(text, source)?;
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
            let merged = crate::sim::apiserver::registry::merge_patch(&current, &patch);
            if merged.as_ref().is_ok_and(|m| *m == current) {
                done("unchanged")
            } else {
                let mut req = ApiRequest::new(Verb::Patch, res, &ns, &name);
                req.patch = Some(*patch);
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
