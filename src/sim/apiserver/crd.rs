//! Custom resources (apiextensions-apiserver): a CustomResourceDefinition, once stored, serves
//! a new resource under `/apis/<group>/<version>/…`, stored at `/registry/<group>/<plural>/…`.
//! Objects are pruned to their structural schema (unknown fields dropped unless
//! `x-kubernetes-preserve-unknown-fields`) and validated against its openAPIV3Schema with
//! kube-openapi's messages: type, required, enum, minimum/maximum, minLength/maxLength, items.
//! With `subresources.status`, `/status` is served and the main endpoint keeps the stored
//! status (a create drops it), metadata.generation counting spec changes only.
//! Every served version is served (kubectl picks the preferred one); objects are stored at the
//! storage version and converted by apiVersion alone (strategy `None`). With
//! `subresources.scale`, `/scale` patches the field `specReplicasPath` names.
//! Simplified: no `pattern`, no CEL rules, no conversion webhooks, no GET of `/scale`, and
//! deleting a definition stops serving its objects without deleting them.

use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{CrdVersion, CustomObject, CustomResourceDefinition, Object};
use serde_json::{Map, Value};

/// The versions a definition serves, the preferred one first (the one kubectl picks for
/// `kubectl get widgets`).
fn served_versions(crd: &CustomResourceDefinition) -> Vec<&str> {
    let mut versions: Vec<&str> = crd.spec.versions.iter().filter(|v| v.served).map(|v| v.name.as_str()).collect();
    crate::sim::sort::sort_by_key(&mut versions, |v| std::cmp::Reverse(version_priority(v)));
    versions
}

/// The resource a definition serves at one version. Its strings are leaked to get the
/// `'static` lifetime the resource table has; a definition is rarely created, so this stays
/// small.
fn resource(crd: &CustomResourceDefinition, version: &str) -> &'static ResourceInfo {
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let names = &crd.spec.names;
    let singular = if names.singular.is_empty() { names.kind.to_ascii_lowercase() } else { names.singular.clone() };
    let short: Vec<&'static str> = names.short_names.iter().map(|s| leak(s)).collect();
    Box::leak(Box::new(ResourceInfo {
        plural: leak(&names.plural),
        singular: leak(&singular),
        short: Box::leak(short.into_boxed_slice()),
        kind: leak(&names.kind),
        group: leak(&crd.spec.group),
        version: leak(version),
        namespaced: crd.spec.scope == "Namespaced",
        etcd_prefix: leak(&format!("/registry/{}/{}", crd.spec.group, names.plural)),
    }))
}

/// Kubernetes' version priority (apimachinery's CompareKubeAwareVersionStrings): GA before
/// beta before alpha, a higher major then minor first (v2 > v1 > v1beta2 > v1beta1 >
/// v1alpha1), and names of another shape last, in reverse alphabetical order of this key.
fn version_priority(v: &str) -> (u8, u32, u32, std::cmp::Reverse<&str>) {
    let other = (0, 0, 0, std::cmp::Reverse(v));
    let Some(rest) = v.strip_prefix('v') else { return other };
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let Ok(major) = rest[..digits].parse::<u32>() else { return other };
    let (stage, minor) = match &rest[digits..] {
        "" => (3, 0),
        tail => {
            match tail.strip_prefix("beta").map(|m| (2, m)).or_else(|| tail.strip_prefix("alpha").map(|m| (1, m))) {
                Some((stage, m)) => match m.parse::<u32>() {
                    Ok(minor) => (stage, minor),
                    Err(_) => return other,
                },
                None => return other,
            }
        }
    };
    (stage, major, minor, std::cmp::Reverse(""))
}

/// Whether a served resource matches one of a definition's served versions (so it need not
/// be rebuilt).
pub fn serves(r: &ResourceInfo, crd: &CustomResourceDefinition) -> bool {
    let names = &crd.spec.names;
    r.plural == names.plural
        && r.group == crd.spec.group
        && r.kind == names.kind
        && r.namespaced == (crd.spec.scope == "Namespaced")
        && crd.spec.versions.iter().any(|v| v.served && v.name == r.version)
}

/// Converts a custom object to the version a client asked for. Every version's schema
/// describes the same fields here (conversion strategy `None`, as most definitions use), so
/// conversion is the apiVersion: objects are stored at the storage version and served at the
/// version of the request's path.
pub fn served_as(obj: &mut Object, r: &ResourceInfo) {
    if let Object::Custom(c) = obj {
        if c.api_version.split_once('/').is_some_and(|(group, _)| group == r.group) {
            c.api_version = r.api_version();
        }
    }
}

/// The version of `d` a custom object says it is written in (else the storage version).
fn written_in<'a>(d: &'a CustomResourceDefinition, c: &CustomObject) -> Option<&'a CrdVersion> {
    let name = c.api_version.split_once('/').map_or("", |(_, v)| v);
    d.spec.versions.iter().find(|v| v.name == name).or_else(|| d.storage_version())
}

/// ValidateCustomResourceDefinition, the checks a user meets first.
pub fn validate_definition(crd: &CustomResourceDefinition) -> Vec<String> {
    let mut errs = Vec::new();
    let (spec, names) = (&crd.spec, &crd.spec.names);
    let want = format!("{}.{}", names.plural, spec.group);
    if crd.metadata.name != want {
        errs.push(format!(
            "metadata.name: Invalid value: \"{}\": must be spec.names.plural+\".\"+spec.group",
            crd.metadata.name
        ));
    }
    if !spec.group.contains('.') {
        errs.push(format!("spec.group: Invalid value: \"{}\": should be a domain with at least one dot", spec.group));
    }
    if names.plural.is_empty() {
        errs.push("spec.names.plural: Required value".into());
    }
    if names.kind.is_empty() {
        errs.push("spec.names.kind: Required value".into());
    }
    if spec.scope != "Namespaced" && spec.scope != "Cluster" {
        errs.push(format!(
            "spec.scope: Unsupported value: \"{}\": supported values: \"Cluster\", \"Namespaced\"",
            spec.scope
        ));
    }
    if spec.versions.iter().filter(|v| v.storage).count() != 1 {
        errs.push("spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion: must have exactly one version marked as storage version".into());
    }
    errs
}

/// Prunes the object to its schema and returns the validation errors.
pub fn check(obj: &mut CustomObject, schema: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let props = schema.get("properties").and_then(Value::as_object);
    let preserve = preserves_unknown(schema);
    obj.fields.retain(|k, _| preserve || props.is_some_and(|p| p.contains_key(k)));
    for field in required(schema) {
        if field != "metadata" && field != "apiVersion" && field != "kind" && !obj.fields.contains_key(field) {
            errs.push(format!("{field}: Required value"));
        }
    }
    for (k, v) in obj.fields.iter_mut() {
        if let Some(s) = props.and_then(|p| p.get(k)) {
            walk(v, s, k, &mut errs);
        }
    }
    errs
}

fn preserves_unknown(schema: &Value) -> bool {
    schema.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true)
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The JSON type name kube-openapi reports.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

fn walk(v: &mut Value, schema: &Value, path: &str, errs: &mut Vec<String>) {
    if let Some(want) = schema.get("type").and_then(Value::as_str) {
        let have = type_of(v);
        let ok = have == want || (want == "number" && have == "integer");
        if !ok {
            errs.push(format!(
                "{path}: Invalid value: \"{have}\": {path} in body must be of type {want}: {}",
                shown(v)
            ));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(v) {
            let list: Vec<String> = allowed.iter().map(shown).collect();
            errs.push(format!("{path}: Unsupported value: {}: supported values: {}", shown(v), list.join(", ")));
        }
    }
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(n) = v.as_f64() {
        if let Some(min) = bound("minimum").filter(|m| n < *m) {
            errs.push(format!("{path}: Invalid value: {v}: {path} in body should be greater than or equal to {min}"));
        }
        if let Some(max) = bound("maximum").filter(|m| n > *m) {
            errs.push(format!("{path}: Invalid value: {v}: {path} in body should be less than or equal to {max}"));
        }
    }
    if let Some(s) = v.as_str() {
        let len = s.chars().count() as f64;
        if let Some(min) = bound("minLength").filter(|m| len < *m) {
            errs.push(format!("{path}: Invalid value: \"{s}\": {path} in body should be at least {min} chars long"));
        }
        if let Some(max) = bound("maxLength").filter(|m| len > *m) {
            errs.push(format!("{path}: Invalid value: \"{s}\": {path} in body should be at most {max} chars long"));
        }
    }
    match v {
        Value::Object(map) => walk_object(map, schema, path, errs),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item, item_schema, &format!("{path}[{i}]"), errs);
                }
            }
        }
        _ => {}
    }
}

fn walk_object(map: &mut Map<String, Value>, schema: &Value, path: &str, errs: &mut Vec<String>) {
    let props = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties");
    if props.is_some() && !preserves_unknown(schema) {
        map.retain(|k, _| props.is_some_and(|p| p.contains_key(k)));
    }
    for field in required(schema) {
        if !map.contains_key(field) {
            errs.push(format!("{path}.{field}: Required value"));
        }
    }
    for (k, v) in map.iter_mut() {
        let child = format!("{path}.{k}");
        match (props.and_then(|p| p.get(k)), additional) {
            (Some(s), _) => walk(v, s, &child, errs),
            (None, Some(s)) if s.is_object() => walk(v, s, &child, errs),
            _ => {}
        }
    }
}

/// How the apiserver follows its definitions.
impl super::ApiServer {
    /// Built-in resources, and custom ones whose definition is in the cache.
    /// Whether a request's resource is served: by its path (group, version, plural), as the
    /// apiserver routes a URL — a client's idea of the short names does not matter.
    pub(super) fn serves(&self, r: &ResourceInfo) -> bool {
        let same = |s: &ResourceInfo| {
            (s.group, s.version, s.plural, s.namespaced) == (r.group, r.version, r.plural, r.namespaced)
        };
        crate::sim::api::resource::RESOURCES.iter().chain(self.custom.iter().copied()).any(same)
    }

    /// Follows the CustomResourceDefinitions in the cache: a new or changed one is served,
    /// a deleted one no longer.
    pub(super) fn refresh_custom(&mut self) {
        let crds: Vec<CustomResourceDefinition> = self
            .under("/registry/apiextensions.k8s.io/customresourcedefinitions/")
            .into_iter()
            .filter_map(|o| match o {
                Object::CustomResourceDefinition(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        let mut served = Vec::new();
        for c in &crds {
            for version in served_versions(c) {
                let known = self.custom.iter().find(|r| serves(r, c) && r.version == version);
                served.push(known.copied().unwrap_or_else(|| resource(c, version)));
            }
        }
        self.custom = served;
    }

    /// The definition of a custom object's kind, as served.
    fn definition_of(&self, c: &CustomObject) -> Option<&CustomResourceDefinition> {
        let group = c.api_version.split_once('/').map_or("", |(g, _)| g);
        self.under("/registry/apiextensions.k8s.io/customresourcedefinitions/").into_iter().find_map(|o| match o {
            Object::CustomResourceDefinition(d) if d.spec.group == group && d.spec.names.kind == c.kind => Some(d),
            _ => None,
        })
    }

    /// The version of its definition a custom object is written in (the stored ones: the
    /// storage version).
    fn version_of(&self, c: &CustomObject) -> Option<&CrdVersion> {
        written_in(self.definition_of(c)?, c)
    }

    /// Prunes and validates a custom object against the schema of the version it was written
    /// in, then converts it to the storage version.
    pub(super) fn check_custom(&self, obj: &mut Object) -> Vec<String> {
        let Object::Custom(c) = obj else { return vec![] };
        let Some(d) = self.definition_of(c) else { return vec![] };
        let errs = match written_in(d, c).and_then(|v| v.schema.as_ref()) {
            Some(s) => check(c, &s.open_api_v3_schema),
            None => vec![],
        };
        if let Some(storage) = d.storage_version() {
            c.api_version = format!("{}/{}", d.spec.group, storage.name);
        }
        errs
    }

    /// Whether the definition serves `/status`: then the main endpoint keeps the stored
    /// status, `/status` changes only the status, and a create starts without one.
    pub(super) fn custom_status_subresource(&self, c: &CustomObject) -> bool {
        self.version_of(c).is_some_and(|v| v.subresources.as_ref().is_some_and(|s| s.status.is_some()))
    }

    /// A `/scale` patch of a custom object (kubectl scale, the HPA), as the patch of the
    /// field its definition's `specReplicasPath` names; `None` when the definition serves no
    /// scale subresource (a 404).
    pub(super) fn custom_scale_patch(&self, c: &CustomObject, patch: &Value) -> Option<Value> {
        let scale = self.version_of(c)?.subresources.as_ref()?.scale.as_ref()?;
        let path = scale.get("specReplicasPath")?.as_str()?.strip_prefix('.')?;
        let replicas = patch.pointer("/spec/replicas")?.clone();
        let mut out = replicas;
        for field in path.rsplit('.') {
            out = Value::Object(Map::from_iter([(field.to_string(), out)]));
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn widget(fields: Value) -> CustomObject {
        let Value::Object(fields) = fields else { unreachable!() };
        CustomObject { api_version: "example.com/v1".into(), kind: "Widget".into(), fields, ..Default::default() }
    }

    #[test]
    fn prunes_unknown_fields_and_validates_with_openapi_messages() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "required": ["size"],
            "properties": {"size": {"type": "integer", "minimum": 1, "maximum": 10},
                           "color": {"type": "string", "enum": ["red", "blue"]},
                           "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}}}}}});
        let mut ok = widget(json!({"spec": {"size": 3, "color": "red", "extra": true}, "junk": 1}));
        assert!(check(&mut ok, &schema).is_empty());
        assert_eq!(ok.fields, *json!({"spec": {"size": 3, "color": "red"}}).as_object().unwrap());
        let mut bad = widget(json!({"spec": {"size": "big", "color": "green", "tags": ["long-tag"]}}));
        assert_eq!(
            check(&mut bad, &schema),
            [
                "spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"",
                "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"big\"",
                "spec.tags[0]: Invalid value: \"long-tag\": spec.tags[0] in body should be at most 3 chars long",
            ]
        );
        let mut missing = widget(json!({"spec": {"size": 11}}));
        assert_eq!(
            check(&mut missing, &schema),
            ["spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"]
        );
        let mut none = widget(json!({"spec": {}}));
        assert_eq!(check(&mut none, &schema), ["spec.size: Required value"]);
    }
}
