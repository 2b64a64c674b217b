//! Container probes (core/v1 Probe): how the kubelet asks a container whether it has
//! started, is alive and is ready to serve.

use super::IntOrString;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_get: Option<HttpGetAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<TcpSocketAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc: Option<GrpcAction>,
    #[serde(default)]
    pub initial_delay_seconds: i32,
    /// Defaulted by the apiserver: timeoutSeconds 1, periodSeconds 10, successThreshold 1,
    /// failureThreshold 3.
    #[serde(default)]
    pub timeout_seconds: i32,
    #[serde(default)]
    pub period_seconds: i32,
    #[serde(default)]
    pub success_threshold: i32,
    #[serde(default)]
    pub failure_threshold: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecAction {
    #[serde(default)]
    pub command: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpGetAction {
    #[serde(default = "root_path")]
    pub path: String,
    pub port: IntOrString,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scheme: String,
}

fn root_path() -> String {
    "/".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TcpSocketAction {
    pub port: IntOrString,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrpcAction {
    pub port: i32,
}

impl Probe {
    /// The apiserver's defaults (SetDefaults_Probe).
    pub fn set_defaults(&mut self) {
        for (field, default) in [
            (&mut self.timeout_seconds, 1),
            (&mut self.period_seconds, 10),
            (&mut self.success_threshold, 1),
            (&mut self.failure_threshold, 3),
        ] {
            if *field == 0 {
                *field = default;
            }
        }
        if let Some(h) = &mut self.http_get {
            if h.scheme.is_empty() {
                h.scheme = "HTTP".into();
            }
        }
    }
}

/// A container's lifecycle hooks (core/v1 Lifecycle). The kubelet runs `preStop` before it
/// sends SIGTERM; its time counts against the pod's grace period. postStart is not modelled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_stop: Option<LifecycleHandler>,
}

/// One hook: exactly one of exec, httpGet or sleep (the PodLifecycleSleepAction, on by
/// default since v1.30).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHandler {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_get: Option<HttpGetAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep: Option<SleepAction>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SleepAction {
    pub seconds: i64,
}
