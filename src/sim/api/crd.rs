//! CustomResourceDefinition (apiextensions.k8s.io/v1) and the objects it serves: a custom
//! object keeps its metadata typed and every other field as JSON, as the apiserver's
//! unstructured objects do.

use super::meta::ObjectMeta;
use super::objects::Condition;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomResourceDefinition {
    pub metadata: ObjectMeta,
    pub spec: CrdSpec,
    #[serde(default)]
    pub status: CrdStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrdSpec {
    pub group: String,
    pub names: CrdNames,
    /// Namespaced or Cluster.
    pub scope: String,
    pub versions: Vec<CrdVersion>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrdNames {
    pub plural: String,
    #[serde(default)]
    pub singular: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub list_kind: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrdVersion {
    pub name: String,
    #[serde(default)]
    pub served: bool,
    #[serde(default)]
    pub storage: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<CrdValidation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subresources: Option<CrdSubresources>,
}

/// `subresources.status: {}` serves `/status`; `scale` is accepted and kept, not served.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CrdSubresources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CrdValidation {
    #[serde(rename = "openAPIV3Schema")]
    pub open_api_v3_schema: Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrdStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

impl CustomResourceDefinition {
    /// The version the resource is served and stored at.
    pub fn storage_version(&self) -> Option<&CrdVersion> {
        self.spec
            .versions
            .iter()
            .find(|v| v.storage && v.served)
            .or_else(|| self.spec.versions.iter().find(|v| v.served))
    }
}

/// An object of a custom resource: apiVersion, kind and metadata, and the rest as JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomObject {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub fields: Map<String, Value>,
}

impl CustomObject {
    /// Decodes an object whose kind is not built in. Only kinds of a non-core API group
    /// (`example.com/v1`) can be custom.
    pub fn from_json(bytes: &[u8]) -> Result<CustomObject, String> {
        let mut fields: Map<String, Value> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        let kind = text(fields.remove("kind"));
        let api_version = text(fields.remove("apiVersion"));
        let group = api_version.split_once('/').map_or("", |(g, _)| g);
        if !group.contains('.') || group.ends_with(".k8s.io") {
            return Err(format!("no kind \"{kind}\" is registered for version \"{api_version}\""));
        }
        // Through bytes, so ObjectMeta keeps the one deserializer the page already has.
        let meta = fields.remove("metadata").unwrap_or(Value::Object(Map::new()));
        let metadata = serde_json::from_slice(&serde_json::to_vec(&meta).map_err(|e| e.to_string())?)
            .map_err(|e| format!("metadata: {e}"))?;
        Ok(CustomObject { api_version, kind, metadata, fields })
    }
}

impl Serialize for CustomObject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.fields.len() + 3))?;
        m.serialize_entry("apiVersion", &self.api_version)?;
        m.serialize_entry("kind", &self.kind)?;
        m.serialize_entry("metadata", &self.metadata)?;
        for (k, v) in &self.fields {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
