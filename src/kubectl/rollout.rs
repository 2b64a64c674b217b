//! `kubectl rollout status|history|undo` for Deployments, from the Deployment and the
//! ReplicaSets it owns (their `deployment.kubernetes.io/revision` annotations), with
//! kubectl's messages.

use crate::sim::api::{Deployment, Object, ReplicaSet};
use crate::sim::controller::deployment::REVISION;

/// DeploymentStatusViewer: the line for the current state, and whether the rollout is done.
/// DaemonSetStatusViewer: the line for a DaemonSet's rollout, and whether it is done.
pub fn daemonset_status_line(ds: &crate::sim::api::DaemonSet) -> (String, bool) {
    let name = &ds.metadata.name;
    let s = &ds.status;
    if ds.spec.update_strategy.type_ != "RollingUpdate" {
        return ("rollout status is only available for RollingUpdate strategy type".into(), true);
    }
    if ds.metadata.generation > s.observed_generation {
        return ("Waiting for daemon set spec update to be observed...".into(), false);
    }
    if s.updated_number_scheduled < s.desired_number_scheduled {
        let line = format!(
            "Waiting for daemon set \"{name}\" rollout to finish: {} out of {} new pods have been updated...",
            s.updated_number_scheduled, s.desired_number_scheduled
        );
        return (line, false);
    }
    if s.number_available < s.desired_number_scheduled {
        let line = format!(
            "Waiting for daemon set \"{name}\" rollout to finish: {} of {} updated pods are available...",
            s.number_available, s.desired_number_scheduled
        );
        return (line, false);
    }
    (format!("daemon set \"{name}\" successfully rolled out"), true)
}

pub fn status_line(d: &Deployment) -> (String, bool) {
    let name = &d.metadata.name;
    let s = &d.status;
    if d.metadata.generation > s.observed_generation {
        return ("Waiting for deployment spec update to be observed...".into(), false);
    }
    let want = d.spec.replicas.unwrap_or(1);
    if s.updated_replicas < want {
        let line = format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} out of {want} new replicas have been updated...",
            s.updated_replicas
        );
        return (line, false);
    }
    if s.replicas > s.updated_replicas {
        let line = format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
            s.replicas - s.updated_replicas
        );
        return (line, false);
    }
    if s.available_replicas < s.updated_replicas {
        let line = format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} of {} updated replicas are available...",
            s.available_replicas, s.updated_replicas
        );
        return (line, false);
    }
    (format!("deployment \"{name}\" successfully rolled out"), true)
}

/// The ReplicaSets the Deployment controls, by revision.
fn revisions<'a>(d: &Deployment, items: &'a [Object]) -> Vec<(i64, &'a ReplicaSet)> {
    let mut out: Vec<(i64, &ReplicaSet)> = items
        .iter()
        .filter_map(|o| match o {
            Object::ReplicaSet(rs) if rs.metadata.controller_ref().is_some_and(|r| r.uid == d.metadata.uid) => {
                Some((rs.metadata.annotations.get(REVISION)?.parse().ok()?, &**rs))
            }
            _ => None,
        })
        .collect();
    crate::sim::sort::sort_by_key(&mut out, |(r, _)| *r);
    out
}

pub fn history(d: &Deployment, items: &[Object]) -> String {
    let mut rows = vec![vec!["REVISION".to_string(), "CHANGE-CAUSE".to_string()]];
    for (r, rs) in revisions(d, items) {
        let cause = rs.metadata.annotations.get("kubernetes.io/change-cause").cloned().unwrap_or("<none>".into());
        rows.push(vec![r.to_string(), cause]);
    }
    format!("deployment.apps/{}\n{}", d.metadata.name, super::printers::table(&rows))
}

/// The Deployment with the pod template of revision `to` (default: the one before the
/// current) put back; the controller then rolls to it.
pub fn undo(d: &Deployment, items: &[Object], to: Option<i64>) -> Result<Deployment, String> {
    let revs = revisions(d, items);
    let target = match to {
        Some(r) => revs
            .iter()
            .find(|(n, _)| *n == r)
            .ok_or_else(|| format!("error: unable to find specified revision {r} in history"))?,
        None if revs.len() >= 2 => &revs[revs.len() - 2],
        None => return Err(format!("error: no rollout history found for deployment \"{}\"", d.metadata.name)),
    };
    let mut template = target.1.spec.template.clone();
    template.metadata.labels.remove("pod-template-hash");
    let mut next = d.clone();
    next.spec.template = template;
    Ok(next)
}
