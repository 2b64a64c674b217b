//! DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds): a pod that does
//! not already tolerate them tolerates the not-ready and unreachable NoExecute taints for
//! 300 s (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds),
//! so taint-based eviction waits five minutes after a node is lost.

use crate::sim::api::{Pod, Taint, Toleration};

pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const DEFAULT_SECONDS: i64 = 300;

pub fn admit(pod: &mut Pod) {
    for key in [NOT_READY, UNREACHABLE] {
        let taint = Taint { key: key.into(), effect: "NoExecute".into(), ..Default::default() };
        if !pod.spec.tolerations.iter().any(|t| t.tolerates(&taint)) {
            pod.spec.tolerations.push(Toleration {
                key: key.into(),
                operator: "Exists".into(),
                effect: "NoExecute".into(),
                toleration_seconds: Some(DEFAULT_SECONDS),
                ..Default::default()
            });
        }
    }
}
