//! `kubesim auth can-i`: `kubectl auth can-i` against a cluster holding the bootstrap RBAC
//! policy plus the RBAC objects of a file — decided by the apiserver's own authorizers
//! (Node, then RBAC), with aggregated ClusterRoles filled as the controller would.

use super::manifest::{documents, object, read};
use kube_playground::kubectl::parse::{self, Command};
use kube_playground::sim::api::request::UserInfo;
use kube_playground::sim::api::{ClusterRole, Object};
use kube_playground::sim::apiserver::authz::{self, node::node_rules, rbac::PolicyObjects, Attributes, Decision};
use kube_playground::sim::apiserver::bootstrap_policy;
use kube_playground::sim::controller::clusterroleaggregation::aggregated_rules;

/// Returns kubectl's output and whether the answer is yes.
pub fn can_i(args: &[String]) -> Result<(String, bool), String> {
    let mut file = None;
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-f" | "--filename" => {
                file = Some(args.get(i + 1).ok_or("error: flag needs an argument: 'f' in -f")?.clone());
                i += 1;
            }
            a if a.starts_with("--filename=") => file = Some(a["--filename=".len()..].to_string()),
            a => rest.push(format!("'{}'", a.replace('\'', ""))),
        }
        i += 1;
    }
    let line = format!("kubectl auth can-i {}", rest.join(" "));
    let Command::CanI { attributes, warning } = parse::parse(&line)? else {
        return Err("usage: kubesim auth can-i VERB RESOURCE[/NAME] --as USER [-f RBAC.yaml]".into());
    };
    let mut objects = bootstrap_policy::objects();
    if let Some(path) = file {
        for (n, doc) in documents(&read(&path)?)?.into_iter().enumerate() {
            objects.push(object(&doc).map_err(|e| format!("error: {path}: document {}: {e}", n + 1))?);
        }
    }
    aggregate(&mut objects);
    let user = match parse::identity(&line)?.impersonate {
        Some(mut u) => {
            if u.name != "system:anonymous" {
                u.groups.push("system:authenticated".into());
            }
            u
        }
        None => UserInfo::new("kubernetes-admin", &["kubeadm:cluster-admins", "system:authenticated"]),
    };
    let attrs = Attributes::of_review(&user, &attributes);
    let allowed = authz::authorize(&attrs, &node_rules(), &PolicyObjects(objects)) == Decision::Allow;
    let answer = if allowed { "yes" } else { "no" };
    Ok((warning.map_or(answer.to_string(), |w| format!("{w}\n{answer}")), allowed))
}

/// What the clusterrole-aggregation controller would have written.
fn aggregate(objects: &mut [Object]) {
    let roles: Vec<ClusterRole> = objects
        .iter()
        .filter_map(|o| match o {
            Object::ClusterRole(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    for o in objects.iter_mut() {
        if let Object::ClusterRole(r) = o {
            if let Some(rules) = aggregated_rules(r, roles.iter()) {
                r.rules = rules;
            }
        }
    }
}
