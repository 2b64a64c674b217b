//! `kubectl config`: the user's kubeconfig — `get-contexts`, `current-context`,
//! `use-context`, `set-context NAME|--current [--user] [--namespace]`, and `set-credentials
//! NAME --token=T`. Answered locally, as kubectl does: no request leaves the laptop.

use super::parse::tokenize;
use super::printers::table;
use crate::sim::Simulation;

pub fn run(sim: &mut Simulation, line: &str) -> Result<String, String> {
    let tokens = tokenize(line)?;
    let config = sim.kubeconfig().ok_or("error: no kubeconfig")?;
    let words: Vec<&str> = tokens.iter().skip(2).map(String::as_str).filter(|w| !w.starts_with("--")).collect();
    let flag = |name: &str| tokens.iter().find_map(|t| t.strip_prefix(&format!("--{name}=")).map(str::to_string));
    match words.as_slice() {
        ["current-context"] => Ok(config.current.clone()),
        ["get-contexts"] => {
            let mut rows = vec![["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"].map(String::from).to_vec()];
            for (name, (user, ns)) in config.contexts.iter() {
                let star = if *name == config.current { "*" } else { "" };
                rows.push(vec![star.into(), name.clone(), "kubernetes".into(), user.clone(), ns.clone()]);
            }
            Ok(table(&rows))
        }
        ["use-context", name] => {
            if !config.contexts.contains_key(*name) {
                return Err(format!("error: no context exists with the name: \"{name}\""));
            }
            config.current = name.to_string();
            Ok(format!("Switched to context \"{name}\"."))
        }
        ["set-credentials", name] => {
            let token = flag("token").ok_or("error: this console sets token credentials: --token=TOKEN")?;
            config.users.insert(name.to_string(), Some(token));
            Ok(format!("User \"{name}\" set."))
        }
        ["set-context", rest @ ..] => {
            let current = tokens.iter().any(|t| t == "--current");
            let name = match (rest, current) {
                ([], true) => config.current.clone(),
                ([name], false) => name.to_string(),
                _ => return Err("error: you must specify a non-empty context name or --current".into()),
            };
            let user = flag("user");
            if let Some(u) = user.as_ref().filter(|u| !config.users.contains_key(u.as_str())) {
                return Err(format!("error: no user exists with the name: \"{u}\""));
            }
            let existed = config.contexts.contains_key(&name);
            let entry = config.contexts.get_or_insert_with(name.clone(), || ("kubernetes-admin".into(), String::new()));
            if let Some(u) = user {
                entry.0 = u;
            }
            if let Some(ns) = flag("namespace") {
                entry.1 = ns;
            }
            Ok(format!("Context \"{name}\" {}.", if existed { "modified" } else { "created" }))
        }
        _ => Err("error: this console knows kubectl config get-contexts, current-context, use-context, set-context, set-credentials".into()),
    }
}
