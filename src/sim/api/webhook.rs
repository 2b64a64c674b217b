//! admissionregistration.k8s.io/v1: MutatingWebhookConfiguration and
//! ValidatingWebhookConfiguration, and the AdmissionReview a webhook call carries.

use super::meta::ObjectMeta;
use super::objects::Object;
use super::scheduling::LabelSelector;
use serde::{Deserialize, Serialize};

/// Both configuration kinds have the same shape; `mutating` tells them apart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfiguration {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub name: String,
    pub client_config: WebhookClientConfig,
    #[serde(default)]
    pub rules: Vec<RuleWithOperations>,
    /// Fail (default) or Ignore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_policy: Option<String>,
    /// 1–30, default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_selector: Option<LabelSelector>,
    /// Never (default) or IfNeeded: called again when a later webhook changed the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reinvocation_policy: Option<String>,
    #[serde(default)]
    pub side_effects: String,
    #[serde(default)]
    pub admission_review_versions: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookClientConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceReference {
    pub namespace: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleWithOperations {
    #[serde(default)]
    pub operations: Vec<String>,
    #[serde(default)]
    pub api_groups: Vec<String>,
    #[serde(default)]
    pub api_versions: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
}

/// The request half of an AdmissionReview, as the apiserver sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct AdmissionRequest {
    pub uid: String,
    pub operation: &'static str,
    pub resource: String,
    pub namespace: String,
    pub name: String,
    pub object: Option<Object>,
}

/// The webhook's answer: allowed or not, why, and for a mutating webhook a JSONPatch.
#[derive(Clone, Debug, PartialEq)]
pub struct AdmissionResponse {
    pub allowed: bool,
    pub code: u16,
    pub message: String,
    pub patch: Option<serde_json::Value>,
}
