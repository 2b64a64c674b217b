//! Lessons: a scenario with narrated steps. Each step can run actions when it begins and can
//! wait for a condition of the cluster (`pods web- Running=3`, `leader`, `after 10s`) before
//! the lesson moves on.

use super::action::Do;
use crate::sim::api::resource::ResourceInfo;
use crate::sim::component::Component;
use crate::sim::etcd::raft::Role;
use crate::sim::time::{parse_duration, SimTime};
use crate::sim::Simulation;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    pub title: String,
    /// One or two sentences for the lesson picker.
    pub summary: String,
    /// The condition before the first step may begin (default `ready`: the cluster has
    /// booted, so the first commands find a leader and Ready nodes).
    #[serde(default = "ready", skip_serializing_if = "is_ready")]
    pub start_when: String,
    pub steps: Vec<Step>,
}

fn ready() -> String {
    "ready".into()
}

fn is_ready(s: &String) -> bool {
    s == "ready"
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub title: String,
    /// Narration in Markdown (paragraphs, `- ` lists, **bold**, *italic*, `code`). It is shown
    /// as text: raw HTML stays literal.
    pub text: String,
    /// The component the camera zooms to (`etcd-1`, `kube-scheduler`, `kubelet/worker-2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<String>,
    /// The picture for the step: `cluster`, `raft`, `scheduler`, `requests`, `network` or
    /// `transports`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// Components drawn highlighted during the step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlight: Vec<String>,
    /// Run when the step begins.
    #[serde(default, rename = "do", skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Do>,
    /// What must be true before the lesson goes on (see [`Until`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<Question>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub ask: String,
    pub answers: Vec<String>,
    /// Index of the right answer.
    pub correct: usize,
    /// Shown once answered.
    pub why: String,
}

/// A step's wait condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Until {
    /// `leader`: an etcd member that is up leads.
    Leader,
    /// `no leader`.
    NoLeader,
    /// `pods [PREFIX] STATUS=N`: N pods whose name starts with PREFIX show STATUS as kubectl
    /// prints it (Running, Pending, ContainerCreating, Terminating…; `*` for any; `Ready` for
    /// Running with every container ready).
    Pods { prefix: String, status: String, count: usize },
    /// `node NAME Ready|NotReady|Unknown`: the Ready condition the control plane sees.
    Node { name: String, ready: String },
    /// `apiserver up` / `apiserver down`.
    ApiServer { up: bool },
    /// `after 10s`: this long after the step began.
    After(u64),
    /// `ready`: etcd has a leader, kube-apiserver is up, kube-scheduler and
    /// kube-controller-manager hold their leases and every node is Ready.
    Ready,
    /// `loadbalancer [NAMESPACE/]NAME`: the Service has its load balancer's address.
    LoadBalancer { key: String },
    /// `lease kube-scheduler|kube-controller-manager`: a running replica holds the Lease.
    Lease { role: crate::sim::component::Role },
    /// `gone RESOURCE [NAMESPACE/]NAME`: the object is not in kube-apiserver's cache
    /// (`gone namespaces team-a`, `gone pods default/web`).
    Gone { key: String },
    /// `bound [NAMESPACE/]NAME`: the PersistentVolumeClaim is Bound.
    Bound { key: String },
}

impl Until {
    pub fn parse(text: &str) -> Result<Until, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let bad = || {
            format!("unknown wait condition \"{text}\" (ready, leader, no leader, pods [PREFIX] STATUS=N, node NAME READY, apiserver up|down, lease kube-scheduler|kube-controller-manager, loadbalancer [NS/]NAME, bound [NS/]NAME, gone RESOURCE [NS/]NAME, after DURATION)")
        };
        Ok(match words.as_slice() {
            ["leader"] => Until::Leader,
            ["no", "leader"] => Until::NoLeader,
            ["pods", rest @ ..] if !rest.is_empty() && rest.len() <= 2 => {
                let (prefix, want) = if rest.len() == 2 { (rest[0], rest[1]) } else { ("", rest[0]) };
                let (status, n) = want.split_once('=').ok_or_else(bad)?;
                Until::Pods { prefix: prefix.into(), status: status.into(), count: n.parse().map_err(|_| bad())? }
            }
            ["node", name, ready @ ("Ready" | "NotReady" | "Unknown")] => {
                Until::Node { name: (*name).into(), ready: ready.replace("Ready", "True").replace("NotTrue", "False") }
            }
            ["apiserver", "up"] => Until::ApiServer { up: true },
            ["apiserver", "down"] => Until::ApiServer { up: false },
            ["after", d] => Until::After(parse_duration(d)?),
            ["ready"] => Until::Ready,
            ["loadbalancer", name] => {
                let (ns, name) = name.split_once('/').unwrap_or(("default", name));
                Until::LoadBalancer { key: format!("{}{name}", ResourceInfo::of("services").list_prefix(ns)) }
            }
            ["bound", name] => {
                let (ns, name) = name.split_once('/').unwrap_or(("default", name));
                Until::Bound { key: format!("{}{name}", ResourceInfo::of("persistentvolumeclaims").list_prefix(ns)) }
            }
            ["lease", "kube-scheduler"] => Until::Lease { role: crate::sim::component::Role::Scheduler },
            ["lease", "kube-controller-manager"] => {
                Until::Lease { role: crate::sim::component::Role::ControllerManager }
            }
            ["gone", resource, name] => {
                let r = ResourceInfo::lookup(resource).ok_or_else(bad)?;
                let (ns, name) = name.split_once('/').unwrap_or(("", name));
                Until::Gone { key: format!("{}{name}", r.list_prefix(ns)) }
            }
            _ => return Err(bad()),
        })
    }

    /// Whether it holds now, for a step that began at `since`.
    pub fn met(&self, sim: &Simulation, since: SimTime) -> bool {
        match self {
            Until::Leader | Until::NoLeader => {
                let leads = sim.etcd_members().any(|m| m.up && m.raft.role == Role::Leader);
                leads == (*self == Until::Leader)
            }
            Until::Pods { prefix, status, count } => {
                let view = sim.view();
                let any = status == "*";
                let shows = |p: &&crate::sim::view::PodView| match status.as_str() {
                    "*" => true,
                    "Ready" => p.status == "Running" && p.ready,
                    s => p.status == s,
                };
                let on_nodes = view.nodes.iter().flat_map(|n| &n.pods).filter(shows);
                let placed = on_nodes.filter(|p| p.name().starts_with(prefix.as_str())).count();
                let waiting = if any || status == "Pending" {
                    // The scheduler's queue names pods `namespace/name`.
                    let name = |p: &String| p.rsplit('/').next().unwrap_or_default().to_string();
                    view.pending.iter().filter(|p| name(p).starts_with(prefix.as_str())).count()
                } else {
                    0
                };
                placed + waiting == *count
            }
            Until::Node { name, ready } => sim.view().nodes.iter().any(|n| n.name == *name && n.ready == *ready),
            Until::ApiServer { up } => {
                sim.components.iter().any(|c| matches!(c, Component::ApiServer(a) if a.up == *up))
            }
            Until::After(us) => sim.now().0 >= since.0 + us,
            Until::Gone { key } => sim.apiserver().is_some_and(|a| a.cached_at(key).is_none()),
            Until::Lease { role } => sim.lease_holder(*role).is_some(),
            Until::Bound { key } => sim.apiserver().and_then(|a| a.cached_at(key)).is_some_and(
                |o| matches!(o, crate::sim::api::Object::PersistentVolumeClaim(c) if c.status.phase == "Bound"),
            ),
            Until::LoadBalancer { key } => sim.apiserver().and_then(|a| a.cached_at(key)).is_some_and(
                |o| matches!(o, crate::sim::api::Object::Service(s) if !s.status.load_balancer.ingress.is_empty()),
            ),
            Until::Ready => {
                use crate::sim::component::Role;
                Until::Leader.met(sim, since)
                    && Until::ApiServer { up: true }.met(sim, since)
                    && [Role::Scheduler, Role::ControllerManager, Role::CloudControllerManager]
                        .iter()
                        .all(|r| sim.lease_holder(*r).is_some() || !sim.infos.iter().any(|i| i.role == *r))
                    && !uninitialised_nodes(sim)
                    && sim.view().nodes.iter().all(|n| n.ready == "True")
            }
        }
    }
}

/// Whether a node still waits for the cloud-controller-manager (its taint keeps pods off).
fn uninitialised_nodes(sim: &Simulation) -> bool {
    let Some(api) = sim.apiserver() else { return false };
    let taint = crate::sim::cloudcontroller::node::UNINITIALIZED_TAINT;
    api.cached_under(ResourceInfo::of("nodes").list_prefix(""))
        .filter_map(|o| o.as_node())
        .any(|n| n.spec.taints.iter().any(|t| t.key == taint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse() {
        assert_eq!(
            Until::parse("pods web- Running=3"),
            Ok(Until::Pods { prefix: "web-".into(), status: "Running".into(), count: 3 })
        );
        assert_eq!(
            Until::parse("pods Pending=1"),
            Ok(Until::Pods { prefix: "".into(), status: "Pending".into(), count: 1 })
        );
        assert_eq!(
            Until::parse("node worker-1 NotReady"),
            Ok(Until::Node { name: "worker-1".into(), ready: "False".into() })
        );
        assert_eq!(
            Until::parse("node worker-1 Ready"),
            Ok(Until::Node { name: "worker-1".into(), ready: "True".into() })
        );
        assert_eq!(Until::parse("after 1.5s"), Ok(Until::After(1_500_000)));
        assert!(Until::parse("pods web Running").unwrap_err().starts_with("unknown wait condition"));
        assert!(Until::parse("soon").is_err());
        assert_eq!(Until::parse("gone ns team-a"), Ok(Until::Gone { key: "/registry/namespaces/team-a".into() }));
        assert_eq!(Until::parse("gone pods default/web"), Ok(Until::Gone { key: "/registry/pods/default/web".into() }));
    }

    #[test]
    fn conditions_follow_the_cluster() {
        let mut sim = crate::scenario::Scenario::default().build().unwrap();
        assert!(Until::NoLeader.met(&sim, SimTime::ZERO));
        assert!(!Until::Ready.met(&sim, SimTime::ZERO));
        sim.run_until(SimTime::from_secs(3));
        assert!(Until::Leader.met(&sim, SimTime::ZERO));
        assert!(Until::Node { name: "worker-1".into(), ready: "True".into() }.met(&sim, SimTime::ZERO));
        assert!(Until::ApiServer { up: true }.met(&sim, SimTime::ZERO));
        assert!(Until::Ready.met(&sim, SimTime::ZERO));
        assert!(!Until::After(5_000_000).met(&sim, SimTime::ZERO));
        assert!(!Until::parse("gone namespaces default").unwrap().met(&sim, SimTime::ZERO));
        assert!(Until::parse("gone namespaces nowhere").unwrap().met(&sim, SimTime::ZERO));
    }
}
