//! What a user does to a running cluster, with the moment it happened, so that a share link
//! can replay it exactly: console lines, applied manifests, Ctrl+C, faults, lesson steps.

use crate::sim::component::{Component, Role};
use crate::sim::event::ComponentId;
use crate::sim::network::LinkFault;
use crate::sim::Simulation;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Simulated time, µs.
    pub at: u64,
    /// Events the simulation had handled by then. A frame can stop in the middle of an
    /// instant (several events at one time); the count pins the moment exactly.
    pub step: u64,
    #[serde(rename = "do")]
    pub what: Do,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Do {
    /// A console line: kubectl, etcdctl, curl or ssh.
    Run(String),
    /// `kubectl apply -f` of JSON manifests, as the admin.
    Apply(String),
    /// Ctrl+C: ends the streaming commands (`kubectl get -w`).
    Interrupt,
    /// `kubectl edit` saved: the object it was opened on (`TYPE/NAME -n NS`) and the
    /// edited text.
    Edit { target: String, text: String },
    /// An operator's fault on a component, by name (`etcd-1`, `kube-apiserver`,
    /// `kubelet/worker-2`), or for lessons `etcd-leader` (the member leading now),
    /// `etcd-stopped` (the first member that is down), `kube-scheduler-leader` and
    /// `kube-controller-manager-leader` (the replica holding the Lease now).
    Fault { target: String, fault: Fault },
    /// The lesson moved to this step (0-based) and ran the step's actions.
    Lesson(usize),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Kill the process (a kubelet: power its node off).
    Crash,
    /// Start it again (etcd replays its WAL; kube-apiserver's static pod comes back).
    Restart,
    /// Cut its host off from every other host.
    Isolate,
    /// Heal every partition.
    Heal,
    /// Set an etcd member's WAL fsync latency, µs.
    Fsync(u64),
    /// Ask the etcd leader to hand leadership to this member.
    TakeLeadership,
    /// A one-shot fault on the next message to the member `to`.
    Link { to: String, fault: LinkFault },
    /// A kubelet's node: its pods' admission webhook servers stop answering (true) or answer
    /// again (false).
    HangWebhooks(bool),
}

impl Fault {
    /// Applies the fault to the component `target`; an unknown name is an error in words.
    pub fn apply(&self, sim: &mut Simulation, target: &str) -> Result<(), String> {
        let id = resolve(sim, target)?;
        match self {
            Fault::Crash => {
                sim.crash(id);
            }
            Fault::Restart => sim.restart(id),
            Fault::Isolate => sim.isolate(id),
            Fault::Heal => sim.heal(),
            Fault::Fsync(us) => sim.set_fsync(id, *us),
            Fault::TakeLeadership => sim.transfer_leadership(id),
            Fault::HangWebhooks(on) => sim.hang_webhooks(id, *on)?,
            Fault::Link { to, fault } => {
                let to_id = resolve(sim, to)?;
                sim.network.fault_next(id, to_id, *fault);
                sim.note(id, "fault", &format!("next message to {to}: {fault:?}"));
            }
        }
        Ok(())
    }
}

fn resolve(sim: &Simulation, name: &str) -> Result<ComponentId, String> {
    let found = match name {
        "etcd-leader" => sim.etcd_leader(),
        "kube-scheduler-leader" => sim.lease_holder(Role::Scheduler),
        "kube-controller-manager-leader" => sim.lease_holder(Role::ControllerManager),
        "etcd-stopped" => {
            sim.components.iter().position(|c| matches!(c, Component::Etcd(m) if !m.up)).map(|i| i as ComponentId)
        }
        _ => sim.component_by_name(name),
    };
    found.ok_or_else(|| format!("fault: no component named \"{name}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_serialise_compactly() {
        let a = Action { at: 1_500_000, step: 42, what: Do::Run("kubectl get pods".into()) };
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"at":1500000,"step":42,"do":{"run":"kubectl get pods"}}"#);
        let f = Do::Fault {
            target: "etcd-0".into(),
            fault: Fault::Link { to: "etcd-1".into(), fault: LinkFault::Delay(500_000) },
        };
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, r#"{"fault":{"target":"etcd-0","fault":{"link":{"to":"etcd-1","fault":{"delay":500000}}}}}"#);
        assert_eq!(serde_json::from_str::<Do>(&json).unwrap(), f);
        assert_eq!(serde_json::to_string(&Do::Interrupt).unwrap(), r#""interrupt""#);
    }

    #[test]
    fn unknown_targets_are_errors() {
        let mut sim = crate::scenario::Scenario::default().build().unwrap();
        assert_eq!(Fault::Crash.apply(&mut sim, "etcd-9"), Err("fault: no component named \"etcd-9\"".into()));
        assert!(Fault::Crash.apply(&mut sim, "etcd-1").is_ok());
    }
}
