//! Manifest files for the kubesim commands: multi-document YAML or JSON, as kubectl reads them.

use kube_playground::sim::api::Object;
use serde_json::Value;

/// Documents of a multi-document YAML or JSON file; a v1 List contributes its items.
pub fn documents(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let v: Value =
            serde::Deserialize::deserialize(doc).map_err(|e| format!("error converting YAML to JSON: {e}"))?;
        match v {
            Value::Null => {}
            Value::Object(ref o) if o.get("kind").and_then(Value::as_str) == Some("List") => {
                out.extend(o.get("items").and_then(Value::as_array).cloned().unwrap_or_default())
            }
            v => out.push(v),
        }
    }
    Ok(out)
}

pub fn object(doc: &Value) -> Result<Object, String> {
    Object::from_json(&serde_json::to_vec(doc).map_err(|e| e.to_string())?)
}

pub fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("error: the path \"{path}\" does not exist ({e})"))
}
