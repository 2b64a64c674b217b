//! Manifest files for the kubesim commands: multi-document YAML or JSON, as kubectl reads them.

use kube_playground::sim::api::Object;
use serde_json::Value;

/// Documents of a multi-document YAML or JSON file; a v1 List contributes its items.
pub fn documents(text: &str) -> Result<Vec<Value>, String> {
    kube_playground::kubectl::apply::documents(text, "the manifest")
}

pub fn object(doc: &Value) -> Result<Object, String> {
    Object::from_json(&serde_json::to_vec(doc).map_err(|e| e.to_string())?)
}

pub fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("error: the path \"{path}\" does not exist ({e})"))
}
