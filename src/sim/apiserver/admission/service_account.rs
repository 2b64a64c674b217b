//! ServiceAccount (plugin/pkg/admission/serviceaccount): a pod without a service account
//! runs as `default`, and the account must exist — which is why pods in a brand-new
//! namespace fail until the serviceaccount controller has created `default` there.
//! Simplified: the kube-api-access projected token volume is not added (volumes are not
//! modelled yet).

use crate::sim::api::Pod;

pub const DEFAULT: &str = "default";

pub fn admit(pod: &mut Pod, exists: impl Fn(&str) -> bool) -> Result<(), String> {
    if pod.spec.service_account_name.is_empty() {
        pod.spec.service_account_name = DEFAULT.into();
    }
    let name = &pod.spec.service_account_name;
    if !exists(name) {
        return Err(format!(
            "error looking up service account {}/{name}: serviceaccount \"{name}\" not found",
            pod.metadata.namespace
        ));
    }
    Ok(())
}
