//! `kubectl logs POD [-n NS] [--tail=N]`: what the pod's containers printed — their `echo`
//! lines and a load loop's answers. Simplified: read from the pod's kubelet directly (upstream
//! goes through the apiserver's pods/log proxy to the kubelet's port 10250), and kube-apiserver's
//! watch cache finds the pod; no `-f`, `-c` picks nothing (the lines of every container).

use super::parse::tokenize;
use crate::sim::api::resource::ResourceInfo;
use crate::sim::component::Component;
use crate::sim::Simulation;

pub fn run(sim: &mut Simulation, line: &str) -> Result<String, String> {
    let words = tokenize(line)?;
    let mut namespace = sim.kubeconfig().map(|c| c.current().1).unwrap_or_else(|| "default".into());
    let mut tail: Option<usize> = None;
    let mut name = None;
    let mut it = words.iter().skip(2);
    while let Some(w) = it.next() {
        match w.as_str() {
            "-n" | "--namespace" => namespace = it.next().cloned().unwrap_or_default(),
            "-c" | "--container" => {
                it.next();
            }
            _ if w.starts_with("--namespace=") => namespace = w["--namespace=".len()..].to_string(),
            _ if w.starts_with("--tail=") => {
                let n = &w["--tail=".len()..];
                tail = Some(n.parse().map_err(|_| format!("error: invalid argument \"{n}\" for \"--tail\" flag"))?);
            }
            _ if w.starts_with('-') => return Err(format!("error: unknown flag: {w}")),
            _ if name.is_none() => name = Some(w.trim_start_matches("pod/").to_string()),
            _ => return Err("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.".into()),
        }
    }
    let name = name.ok_or("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.")?;
    if !sim.apiserver().is_some_and(|a| a.up) {
        return Err(format!(
            "The connection to the server {}:6443 was refused - did you specify the right host or port?",
            crate::sim::cluster::APISERVER_ADDRESS
        ));
    }
    let key = format!("{}{name}", ResourceInfo::of("pods").list_prefix(&namespace));
    let Some(pod) = sim.apiserver().and_then(|a| a.cached_at(&key)).and_then(|o| o.as_pod()) else {
        return Err(format!("Error from server (NotFound): pods \"{name}\" not found"));
    };
    let lines = sim.components.iter().find_map(|c| match c {
        Component::Kubelet(k) if k.config.name == pod.spec.node_name => k.logs(&pod.metadata.uid),
        _ => None,
    });
    let Some(lines) = lines else {
        let container = pod.spec.containers.first().map_or("", |c| c.name.as_str());
        let waiting = super::printers::pod_status(pod);
        return Err(format!(
            "Error from server (BadRequest): container \"{container}\" in pod \"{name}\" is waiting to start: {waiting}"
        ));
    };
    let skip = tail.map_or(0, |n| lines.len().saturating_sub(n));
    Ok(lines[skip..].join("\n"))
}
