//! The scheduler panel: the scheduling queue (activeQ, backoffQ, unschedulable pool, gated)
//! with the pods in each, and for any recent attempt the kube-scheduler-simulator style table
//! — each node's Filter verdict, its weighted score per plugin and the total — with the
//! upstream FailedScheduling message when no node fit.

use crate::sim::component::Component;
use crate::sim::scheduler::explain::{self, NodeRow};
use crate::sim::scheduler::queue::Place;
use crate::sim::Simulation;
use crate::ui::canvas::draw::short_pod;
use leptos::prelude::*;

/// Pods listed per queue.
const LIST: usize = 6;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PanelData {
    /// Queue name, pod count and the first few pods.
    pub queues: Vec<(&'static str, usize, Vec<String>)>,
    /// Pods with a recent attempt, newest first.
    pub attempts: Vec<String>,
    /// The attempt shown: pod, simulated time, rows, score columns, message.
    pub pod: String,
    pub at: String,
    pub rows: Vec<NodeRow>,
    pub columns: Vec<String>,
    pub message: Option<String>,
    /// Why Permit holds the pod, when it does.
    pub permit: Option<String>,
}

/// What the panel shows of the simulation; `pick` chooses the attempt (else the newest).
pub fn snapshot(sim: &Simulation, pick: Option<&str>) -> PanelData {
    // The leader's queue and attempts (a standby schedules nothing), or the first replica's.
    let leader = sim.lease_holder(crate::sim::component::Role::Scheduler).map(|id| id as usize);
    let Some(s) =
        sim.components.iter().enumerate().filter(|(i, _)| leader.is_none_or(|l| l == *i)).find_map(|(_, c)| match c {
            Component::Scheduler(s) => Some(s),
            _ => None,
        })
    else {
        return PanelData::default();
    };
    let mut queues: Vec<(&'static str, usize, Vec<String>)> =
        ["activeQ", "backoffQ", "unschedulable", "gated"].iter().map(|q| (*q, 0, Vec::new())).collect();
    for (key, place) in s.queue.entries() {
        let i = match place {
            Place::Active | Place::InFlight => 0,
            Place::Backoff(_) => 1,
            Place::Unschedulable(_) => 2,
            Place::Gated => 3,
        };
        queues[i].1 += 1;
        if queues[i].2.len() < LIST {
            queues[i].2.push(short_pod(key.rsplit('/').next().unwrap_or(key)));
        }
    }
    let attempts: Vec<String> = s.attempts.iter().rev().map(|(k, _)| k.clone()).collect();
    let chosen = pick.and_then(|p| s.attempts.iter().find(|(k, _)| k == p)).or(s.attempts.back());
    let mut data = PanelData { queues, attempts, ..Default::default() };
    if let Some((pod, a)) = chosen {
        data.rows = explain::rows(&a.explain, usize::MAX);
        data.columns = explain::score_columns(&data.rows);
        data.pod = pod.clone();
        data.at = format!("t = {}", a.at);
        data.message = a.message.clone();
        data.permit = a.permit.clone();
    }
    data
}

/// Column headers short enough for the panel; the full plugin name is the tooltip.
fn short(plugin: &str) -> &str {
    match plugin {
        "NodeResourcesFit" => "Fit",
        "NodeResourcesBalancedAllocation" => "Balanced",
        "PodTopologySpread" => "Spread",
        "InterPodAffinity" => "PodAffinity",
        "TaintToleration" => "Taint",
        "NodeAffinity" => "NodeAffinity",
        "ImageLocality" => "Image",
        other => other,
    }
}

/// Escapes text for HTML (pod names, plugin reasons).
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The queues as HTML. The panel is written as HTML strings rather than a reactive view per
/// cell: far less code in the bundle, and the panel refreshes as a whole anyway.
fn queue_html(d: &PanelData) -> String {
    let mut h = String::from("<h3>Scheduling queue</h3><div class=\"queues\">");
    for (q, n, pods) in &d.queues {
        let more = if *n > LIST { format!(" +{} more", n - LIST) } else { String::new() };
        let names: String = pods.iter().map(|p| format!("<span class=\"qpod\">{}</span>", esc(p))).collect();
        h += &format!("<div class=\"queue\"><div class=\"qhead\"><span>{q}</span><b>{n}</b></div><div class=\"qpods\">{names}{more}</div></div>");
    }
    h + "</div>"
}

/// The verdict and the explain table of the chosen attempt, as HTML.
fn attempt_html(d: &PanelData) -> String {
    let (class, verdict) = match (&d.message, d.rows.iter().find(|r| r.selected)) {
        (Some(m), _) => ("fail", format!("FailedScheduling: {m}")),
        (None, Some(_)) if d.permit.is_some() => {
            ("ok", format!("Reserved, waiting at Permit: {}", d.permit.clone().unwrap_or_default()))
        }
        (None, Some(r)) => ("ok", format!("Bound to {} (score {})", r.node, r.total)),
        (None, None) if d.pod.is_empty() => ("", "No attempt yet: create a pod.".to_string()),
        (None, None) => ("", String::new()),
    };
    let mut h = format!("<p class=\"verdict {class}\">{}</p>", esc(&verdict));
    h += "<table class=\"explain\" data-testid=\"explain-table\"><thead><tr><th>Node</th><th>Filter</th>";
    for c in &d.columns {
        h += &format!("<th title=\"{c}\">{}</th>", short(c));
    }
    h += "<th>Total</th></tr></thead><tbody>";
    for r in &d.rows {
        let class = if r.selected {
            "selected"
        } else if r.rejected.is_some() {
            "rejected"
        } else {
            ""
        };
        let filter = match &r.rejected {
            Some((p, why)) => format!("✗ {p}: {why}"),
            None if r.nominated => "✓ passed (nominated)".into(),
            None => "✓ passed".into(),
        };
        h += &format!("<tr class=\"{class}\"><td>{}</td><td class=\"why\">{}</td>", esc(&r.node), esc(&filter));
        for c in &d.columns {
            let cell = r.scores.iter().find(|(p, _)| p == c).map_or(String::new(), |(_, s)| s.to_string());
            h += &format!("<td class=\"num\">{cell}</td>");
        }
        let total = if r.rejected.is_some() { String::new() } else { r.total.to_string() };
        h += &format!("<td class=\"num total\">{total}</td></tr>");
    }
    h + "</tbody></table>"
}

#[component]
/// `data` is refreshed from the simulation four times a second by the page; picking an attempt
/// sets `pick`, which the next refresh follows.
pub fn SchedulerPanel(data: RwSignal<PanelData>, pick: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <div class="sched-panel" data-testid="scheduler-panel">
            <div inner_html=move || queue_html(&data.get())></div>
            <h3>"Attempt "
                <select aria-label="Scheduling attempt" data-testid="attempt" on:change=move |ev| {
                    pick.set(Some(event_target_value(&ev)));
                }>
                    {move || {
                        let d = data.get();
                        d.attempts.into_iter().map(|k| {
                            let sel = k == d.pod;
                            view! { <option value=k.clone() selected=sel>{k.clone()}</option> }
                        }).collect_view()
                    }}
                </select>
                <span class="at">{move || data.get().at}</span>
            </h3>
            <div inner_html=move || attempt_html(&data.get())></div>
        </div>
    }
}
