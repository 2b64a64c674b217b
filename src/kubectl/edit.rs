//! `kubectl edit TYPE NAME`: reads the object and opens it in an editor (the page's edit
//! panel) as YAML under kubectl's header; saving turns the edit into a JSON merge patch from
//! the object as opened — so a field the edit left alone is not in it, and a status written
//! meanwhile does not conflict; an edited resourceVersion is, and a stale one is a 409
//! Conflict — and PATCHes it: `deployment.apps/web edited`, or
//! `Edit cancelled, no changes made.`. When the apiserver refuses, the editor reopens with the
//! failures as comments above the edit, as kubectl reopens it.

use super::parse::Command;
use super::{printers, render, Pending, Started};
use crate::sim::api::request::{ApiBody, ApiRequest, ApiResponse, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::Object;
use crate::sim::Simulation;
use serde_json::{Map, Value};

/// A save: the editor's text as it opened (the object the patch starts from, as kubectl keeps
/// it) and as saved.
#[derive(Clone, Debug, PartialEq)]
pub struct Saved {
    pub original: String,
    pub text: String,
}

/// What kubectl writes above the object.
pub const HEADER: &str = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n\
# and an empty file will abort the edit. If an error occurs while saving this file will be\n\
# reopened with the relevant failures.\n#\n";

/// The editor's text: kubectl's header, then the object as `-o yaml` prints it.
pub fn editor_text(res: &ResourceInfo, o: &Object) -> String {
    format!("{HEADER}{}\n", printers::yaml(&printers::to_json(res, o)))
}

/// Which object an editor's text is about, as `TYPE/NAME -n NAMESPACE` (the save's target):
/// from the text's own apiVersion, kind and metadata.
pub fn target(text: &str) -> Option<String> {
    let doc: Value = serde_yaml_ng::from_str(text).ok()?;
    let kind = doc.get("kind")?.as_str()?;
    // A custom kind as `kind.version.group`, which kubectl resolves through discovery.
    let qualified = match ResourceInfo::by_kind(kind) {
        Some(res) => res.qualified(),
        None => {
            let (group, version) = doc.get("apiVersion")?.as_str()?.split_once('/')?;
            format!("{}.{version}.{group}", kind.to_ascii_lowercase())
        }
    };
    let name = doc.pointer("/metadata/name")?.as_str()?;
    let ns = doc.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
    Some(if ns.is_empty() { format!("{qualified}/{name}") } else { format!("{qualified}/{name} -n {ns}") })
}

/// The edit's answers: the read that opens the editor, or the save's PATCH.
pub fn step(sim: &mut Simulation, pending: &mut Pending, resp: ApiResponse) -> Option<String> {
    let Command::Edit { resource, edited, name, .. } = pending.command.clone() else { return None };
    match (resp, edited) {
        // Opening: the object goes to the editor; kubectl prints nothing meanwhile.
        (Ok(ApiBody::Object(o)), None) => {
            pending.editor = Some(editor_text(resource, &o));
            Some(String::new())
        }
        (Ok(ApiBody::Object(o)), Some(_)) => Some(format!("{} edited", printers::name_of(resource, &o))),
        (Err(s), Some(saved)) if s.code == 422 || s.code == 409 => {
            let reasons = if s.causes.is_empty() { vec![s.message.clone()] } else { s.causes.clone() };
            let name = format!("{} \"{name}\"", resource.qualified());
            let comments: String = reasons.iter().map(|r| format!("# * {r}\n")).collect();
            pending.editor = Some(format!("# {name} was not valid:\n{comments}#\n{}", strip_comments(&saved.text)));
            Some(format!("error: {name} is invalid"))
        }
        (other, _) => Some(render(&pending.command, other, sim.now())),
    }
}

/// Saves an edit: the merge patch from the text as opened to the text as saved, sent as one
/// PATCH — or kubectl's answer when there is nothing to send.
pub fn save(sim: &mut Simulation, mut pending: Pending) -> Started {
    let Command::Edit { resource, name, namespace, edited: Some(saved) } = pending.command.clone() else {
        return Started::Done(String::new());
    };
    let changed: Value = match serde_yaml_ng::from_str::<Value>(&saved.text) {
        Ok(Value::Null) => return Started::Done("Edit cancelled, no changes made.".into()),
        Ok(v) => v,
        Err(e) => {
            let why = format!("error converting YAML to JSON: {e}");
            let text = strip_comments(&saved.text);
            pending.editor = Some(format!("# The edited file had a syntax error: {why}\n#\n{text}"));
            pending.answer = Some(format!("error: {why}"));
            return Started::Waiting(pending);
        }
    };
    // The opened text is kubectl's own printing of the object: it parses.
    let original: Value = serde_yaml_ng::from_str(&saved.original).unwrap_or(Value::Null);
    let same = |k: &str| changed.pointer(k) == original.pointer(k);
    if !(same("/apiVersion") && same("/kind") && same("/metadata/name")) {
        return Started::Done("error: At least one of apiVersion, kind and name was changed".into());
    }
    let Some(patch) = merge_patch(&original, &changed) else {
        return Started::Done("Edit cancelled, no changes made.".into());
    };
    let mut req = ApiRequest::new(Verb::Patch, resource, &namespace, &name);
    req.patch = Some(patch);
    pending.send(sim, req);
    Started::Waiting(pending)
}

/// The text without its comment lines (a reopened editor writes its own above).
pub(super) fn strip_comments(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with('#')).map(|l| format!("{l}\n")).collect()
}

/// RFC 7386: the merge patch that turns `from` into `to` (None when they are equal). Objects
/// are compared key by key — a key gone is `null` — anything else is replaced whole.
pub fn merge_patch(from: &Value, to: &Value) -> Option<Value> {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let mut patch = Map::new();
            for (k, old) in a {
                match b.get(k) {
                    None => {
                        patch.insert(k.clone(), Value::Null);
                    }
                    Some(new) => {
                        if let Some(p) = merge_patch(old, new) {
                            patch.insert(k.clone(), p);
                        }
                    }
                }
            }
            for (k, new) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                patch.insert(k.clone(), new.clone());
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        (a, b) if a == b => None,
        (_, b) => Some(b.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patches_carry_only_the_changes() {
        let from = json!({"spec": {"replicas": 3, "paused": false, "template": {"x": [1, 2]}}, "status": {"a": 1}});
        let to = json!({"spec": {"replicas": 5, "template": {"x": [1, 2, 3]}}, "status": {"a": 1}, "new": "y"});
        assert_eq!(
            merge_patch(&from, &to),
            Some(json!({"spec": {"replicas": 5, "paused": null, "template": {"x": [1, 2, 3]}}, "new": "y"}))
        );
        assert_eq!(merge_patch(&from, &from), None);
    }

    #[test]
    fn the_target_is_read_from_the_text() {
        let text =
            format!("{HEADER}apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n");
        assert_eq!(target(&text).as_deref(), Some("deployments.apps/web -n default"));
        assert_eq!(target("kind: Nope").as_deref(), None);
        assert_eq!(target("{{{").as_deref(), None);
    }
}
