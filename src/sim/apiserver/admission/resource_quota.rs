//! ResourceQuota (plugin/pkg/admission/resourcequota): a create is checked against every quota
//! of its namespace whose scopes select it; containers must state what a quota tracks; usage
//! plus the object's own must stay within `hard`. On success the new usage is charged to the
//! quotas at once (the apiserver writes their status before storing the object). A quota whose
//! usage the controller has not computed yet admits nothing it tracks.

use crate::sim::api::{Object, ResourceQuota};
use crate::sim::quota::{matches_scopes, missing, required_by, usage, Amount};

/// The quotas with their new `status.used`, or the denial text.
pub fn admit(obj: &Object, quotas: &[&ResourceQuota]) -> Result<Vec<ResourceQuota>, String> {
    let delta = usage(obj);
    let mut charged = Vec::new();
    for q in quotas.iter().filter(|q| matches_scopes(q, obj)) {
        if let Object::Pod(pod) = obj {
            let missing = missing(pod, &required_by(q));
            if !missing.is_empty() {
                return Err(format!("failed quota: {}: must specify {}", q.metadata.name, missing.join(",")));
            }
        }
        let tracked: Vec<(&String, &String)> = q.spec.hard.iter().filter(|(r, _)| delta.contains_key(*r)).collect();
        if tracked.is_empty() {
            continue;
        }
        let unknown: Vec<&str> =
            tracked.iter().filter(|(r, _)| !q.status.used.contains_key(*r)).map(|(r, _)| r.as_str()).collect();
        if !unknown.is_empty() {
            // The controller has not computed usage yet (hasUsageStats).
            return Err(format!("status unknown for quota: {}, resources: {}", q.metadata.name, unknown.join(",")));
        }
        let (mut requested, mut used_shown, mut limited) = (Vec::new(), Vec::new(), Vec::new());
        let mut next = (*q).clone();
        for (r, hard) in tracked {
            let Some(&add) = delta.get(r.as_str()) else { continue };
            let used = q.status.used.get(r).map_or(Amount::default(), |u| Amount::parse(u));
            let total = used.plus(add);
            if total.milli > Amount::parse(hard).milli {
                requested.push(format!("{r}={}", add.text()));
                used_shown.push(format!("{r}={}", q.status.used.get(r).cloned().unwrap_or_else(|| "0".into())));
                limited.push(format!("{r}={hard}"));
            }
            next.status.used.insert(r.clone(), total.text());
        }
        if !requested.is_empty() {
            return Err(format!(
                "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                q.metadata.name,
                requested.join(","),
                used_shown.join(","),
                limited.join(",")
            ));
        }
        charged.push(next);
    }
    Ok(charged)
}
