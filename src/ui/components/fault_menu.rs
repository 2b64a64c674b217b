//! The operator's context menu (right-click): on an etcd member, stop or restart it, cut it
//! off the network or heal, slow its disk, hand it leadership; on a worker node's kubelet,
//! power the node off or on, cordon, uncordon or drain it (as the console's kubectl), make its
//! webhook servers hang; stop
//! kube-apiserver and start it again; on a link between two components, drop, delay or
//! duplicate the next message either way.

use crate::scenario::action::{Do, Fault};
use crate::sim::component::Component;
use crate::sim::etcd::raft::Role;
use crate::sim::event::ComponentId;
use crate::sim::network::LinkFault;
use crate::ui::components::{more_nodes, NODES_LISTED};
use crate::ui::engine::Shared;
use leptos::prelude::*;

/// Nodes carrying it run the control plane: powering them off is not offered (yet).
const CONTROL_PLANE_LABEL: &str = "node-role.kubernetes.io/control-plane";

/// A slow disk: network-attached storage under load.
const SLOW_FSYNC_US: u64 = 100_000;
/// The cluster's usual disk (the scenario default).
const NORMAL_FSYNC_US: u64 = 800;

#[derive(Clone, Debug, PartialEq)]
pub struct MenuAt {
    pub x: f64,
    pub y: f64,
    pub id: ComponentId,
    /// A link's other end: the menu is the link's.
    pub peer: Option<ComponentId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// A one-shot fault on the next message from one component to another.
    Link(ComponentId, ComponentId, LinkFault),
    Stop,
    Restart,
    Isolate,
    Heal,
    SlowDisk,
    FastDisk,
    TakeLeadership,
    PowerOff,
    PowerOn,
    /// `kubectl cordon`, `uncordon`, `drain --ignore-daemonsets` on the kubelet's node.
    Cordon,
    Uncordon,
    Drain,
    /// Its pods' admission webhook servers stop answering, or answer again.
    HangWebhooks,
    AnswerWebhooks,
    /// kube-apiserver comes back (the kubelet restarts its static pod).
    Start,
}

impl Action {
    fn label(self, names: &[String]) -> String {
        if let Action::Link(from, to, fault) = self {
            let name = |id: ComponentId| names.get(id as usize).map_or("?", |s| s.as_str());
            let (from, to) = (name(from), name(to));
            return match fault {
                LinkFault::Drop => format!("Drop the next message {from} → {to}"),
                LinkFault::Delay(_) => format!("Delay the next message {from} → {to} by 500 ms"),
                LinkFault::Duplicate => format!("Duplicate the next message {from} → {to}"),
            };
        }
        match self {
            Action::Link(..) => unreachable!(),
            Action::Stop => "Stop (crash the process)",
            Action::Restart => "Restart from the WAL",
            Action::Isolate => "Partition from the network",
            Action::Heal => "Heal all partitions",
            Action::SlowDisk => "Slow disk (fsync 100 ms)",
            Action::FastDisk => "Normal disk (fsync 0.8 ms)",
            Action::TakeLeadership => "Transfer leadership here",
            Action::PowerOff => "Power off the node (kubelet and containers stop)",
            Action::PowerOn => "Power the node on again",
            Action::Cordon => "Cordon (kubectl cordon)",
            Action::Uncordon => "Uncordon (kubectl uncordon)",
            Action::Drain => "Drain (kubectl drain --ignore-daemonsets)",
            Action::HangWebhooks => "Make its webhook servers hang (calls time out)",
            Action::AnswerWebhooks => "Let its webhook servers answer again",
            Action::Start => "Start it again",
        }
        .to_string()
    }
}

/// The one-shot faults on a link, both ways.
fn link_actions(a: ComponentId, b: ComponentId) -> Vec<Action> {
    let faults = [LinkFault::Drop, LinkFault::Delay(500_000), LinkFault::Duplicate];
    [(a, b), (b, a)].into_iter().flat_map(|(x, y)| faults.map(|f| Action::Link(x, y, f))).collect()
}

/// The actions that make sense for this component (or link) now.
fn actions(engine: &Shared, at: &MenuAt) -> (String, Vec<Action>) {
    let e = engine.borrow();
    let id = at.id;
    let name = e.session.sim.infos.get(id as usize).map(|i| i.name.clone()).unwrap_or_default();
    if let Some(peer) = at.peer {
        let other = e.session.sim.infos.get(peer as usize).map(|i| i.name.clone()).unwrap_or_default();
        return (format!("{name} ↔ {other}"), link_actions(id, peer));
    }
    let m = match e.session.sim.components.get(id as usize) {
        Some(Component::Etcd(m)) => m,
        Some(Component::ApiServer(a)) => return (name, vec![if a.up { Action::Stop } else { Action::Start }]),
        Some(Component::Kubelet(k)) if !k.config.labels.contains_key(CONTROL_PLANE_LABEL) => {
            let cordoned = e.session.sim.apiserver().is_some_and(|a| {
                a.cached_under(crate::sim::api::resource::ResourceInfo::of("nodes").list_prefix(""))
                    .filter_map(|o| o.as_node())
                    .any(|n| n.metadata.name == k.config.name && n.spec.unschedulable)
            });
            let list = vec![
                if k.up { Action::PowerOff } else { Action::PowerOn },
                if cordoned { Action::Uncordon } else { Action::Cordon },
                Action::Drain,
                if k.webhooks_hang { Action::AnswerWebhooks } else { Action::HangWebhooks },
            ];
            return (format!("node {}", k.config.name), list);
        }
        _ => return (String::new(), vec![]),
    };
    let mut list = vec![if m.up { Action::Stop } else { Action::Restart }, Action::Isolate, Action::Heal];
    list.push(if m.fsync_us >= SLOW_FSYNC_US { Action::FastDisk } else { Action::SlowDisk });
    if m.up && m.raft.role != Role::Leader {
        list.push(Action::TakeLeadership);
    }
    for p in m.peers.iter().filter(|p| **p != id) {
        list.extend(link_actions(id, *p).into_iter().filter(|a| matches!(a, Action::Link(from, ..) if *from == id)));
    }
    (name, list)
}

/// The recorded fault for a menu action on component `id`.
fn fault(engine: &Shared, id: ComponentId, a: Action) -> Option<Do> {
    let e = engine.borrow();
    let name = |id: ComponentId| e.session.sim.infos.get(id as usize).map(|i| i.name.clone());
    let node = || match e.session.sim.components.get(id as usize) {
        Some(Component::Kubelet(k)) => Some(k.config.name.clone()),
        _ => None,
    };
    let fault = match a {
        Action::Cordon => return Some(Do::Run(format!("kubectl cordon {}", node()?))),
        Action::Uncordon => return Some(Do::Run(format!("kubectl uncordon {}", node()?))),
        Action::Drain => return Some(Do::Run(format!("kubectl drain {} --ignore-daemonsets", node()?))),
        Action::Stop | Action::PowerOff => Fault::Crash,
        Action::Restart | Action::PowerOn | Action::Start => Fault::Restart,
        Action::Isolate => Fault::Isolate,
        Action::Heal => Fault::Heal,
        Action::SlowDisk => Fault::Fsync(SLOW_FSYNC_US),
        Action::FastDisk => Fault::Fsync(NORMAL_FSYNC_US),
        Action::TakeLeadership => Fault::TakeLeadership,
        Action::HangWebhooks => Fault::HangWebhooks(true),
        Action::AnswerWebhooks => Fault::HangWebhooks(false),
        Action::Link(from, to, f) => {
            return Some(Do::Fault { target: name(from)?, fault: Fault::Link { to: name(to)?, fault: f } })
        }
    };
    Some(Do::Fault { target: name(id)?, fault })
}

#[component]
pub fn FaultMenu(engine: Shared, menu: RwSignal<Option<MenuAt>>) -> impl IntoView {
    // Reactive closures must be Send; the engine stays on this thread in the arena.
    let engine = StoredValue::new_local(engine);
    move || {
        let at = menu.get()?;
        let (name, list) = engine.with_value(|e| actions(e, &at));
        let names: Vec<String> =
            engine.with_value(|e| e.borrow().session.sim.infos.iter().map(|i| i.name.clone()).collect());
        if list.is_empty() {
            return None;
        }
        let buttons = list
            .into_iter()
            .map(|a| {
                let id = at.id;
                view! {
                    <button on:click=move |_| {
                        engine.with_value(|e| {
                            if let Some(d) = fault(e, id, a) {
                                e.borrow_mut().act(d);
                            }
                        });
                        menu.set(None);
                    }>{a.label(&names)}</button>
                }
            })
            .collect_view();
        Some(view! {
            <div class="ctxmenu" data-testid="fault-menu" role="menu" style=format!("left:{}px;top:{}px", at.x, at.y)>
                <div class="ctxmenu-title">{name}</div>
                {buttons}
            </div>
        })
    }
}

/// The keyboard way to the same menu: pick kube-apiserver, an etcd member or a worker node in
/// the toolbar.
#[component]
pub fn FaultPicker(engine: Shared, menu: RwSignal<Option<MenuAt>>) -> impl IntoView {
    let (members, more) = {
        let e = engine.borrow();
        let sim = &e.session.sim;
        let control_plane = sim.components.iter().enumerate().filter_map(|(i, c)| match c {
            Component::Etcd(_) | Component::ApiServer(_) => Some((i as ComponentId, sim.infos[i].name.clone())),
            _ => None,
        });
        let mut members: Vec<(ComponentId, String)> = control_plane.collect();
        let nodes = sim.components.iter().enumerate().filter_map(|(i, c)| match c {
            Component::Kubelet(k) if !k.config.labels.contains_key(CONTROL_PLANE_LABEL) => Some((i, k)),
            _ => None,
        });
        let workers = nodes.clone().count();
        let named = nodes.take(NODES_LISTED).map(|(i, k)| (i as ComponentId, format!("node {}", k.config.name)));
        let more = more_nodes(workers.saturating_sub(NODES_LISTED), "right-click one on the canvas");
        members.extend(named);
        (members, more)
    };
    view! {
        <select
            data-testid="fault-target"
            aria-label="Faults"
            title="Faults on an etcd member or a node (or right-click it)"
            on:change=move |ev| {
                let id = event_target_value(&ev).parse::<ComponentId>().ok();
                menu.set(id.map(|id| MenuAt { x: 12.0, y: 12.0, id, peer: None }));
            }
        >
            <option value="" selected=true>"Faults…"</option>
            {members.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
            {more.map(|m| view! { <option value="" disabled=true>{m}</option> })}
        </select>
    }
}
