//! Under the chart: the scalability SLIs against their SLOs, and a Prometheus tab — any
//! component's /metrics exposition as a scrape would read it now (the same text `kubesim
//! metrics` prints and promtool checks). Refreshed by the app four times a second; written as HTML
//! strings (bundle size).

use super::scheduler_panel::esc;
use super::{more_nodes, NODES_LISTED};
use crate::sim::Simulation;
use leptos::prelude::*;

/// The Prometheus tab's choices: every control-plane target, and the first nodes' kubelet,
/// cAdvisor and kube-proxy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Targets {
    pub listed: Vec<String>,
    /// Nodes whose targets are left out.
    pub more_nodes: usize,
}

impl Targets {
    pub fn of(sim: &Simulation) -> Targets {
        let all = crate::kubectl::curl::scrape_targets(sim);
        let mut first: Vec<&str> = Vec::new();
        let mut listed = Vec::new();
        for t in &all {
            // A node's targets are `kubelet/NODE`, `cadvisor/NODE` and `kube-proxy/NODE`.
            if let Some((_, node)) = t.split_once('/') {
                if !first.contains(&node) {
                    if first.len() == NODES_LISTED {
                        continue;
                    }
                    first.push(node);
                }
            }
            listed.push(t.clone());
        }
        let nodes = all.iter().filter(|t| t.starts_with("kubelet/")).count();
        Targets { listed, more_nodes: nodes.saturating_sub(first.len()) }
    }
}

/// The SLI table's HTML.
pub fn slis_html(slis: Vec<crate::sim::slo::Sli>) -> String {
    let mut h = String::from(
        "<table class=\"tr-table\" data-testid=\"slis\"><tr><th>SLI (p99, 5 min)</th><th>now</th><th>SLO</th><th></th></tr>",
    );
    for s in slis {
        let (value, verdict, class) = match (s.p99_s, s.met()) {
            (Some(p), Some(true)) => (format!("{:.3} s", p), "met", "ok"),
            (Some(p), _) => (format!("{:.3} s", p), "missed", "bad"),
            (None, _) => ("–".to_string(), "", ""),
        };
        h.push_str(&format!(
            "<tr title=\"{}\"><td>{}</td><td>{value}</td><td>≤ {} s</td><td class=\"{class}\">{verdict}</td></tr>",
            esc(&s.detail),
            esc(s.name),
            s.objective_s
        ));
    }
    h.push_str("</table>");
    h
}

/// `target`'s exposition, or the scrape's error.
pub fn exposition(sim: &Simulation, target: &str) -> String {
    crate::kubectl::curl::scrape(sim, target).unwrap_or_else(|e| e)
}

/// `slis`: [`slis_html`]; `targets`: what can be scraped; `target` the chosen one and `text`
/// its exposition — all kept fresh by the app.
#[component]
pub fn MetricsPanel(
    slis: RwSignal<String>,
    targets: RwSignal<Targets>,
    target: RwSignal<String>,
    text: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="metrics-panel" data-testid="metrics-panel">
            <div inner_html=move || slis.get()></div>
            <label class="prom-pick">"Prometheus: "
                <select data-testid="scrape-target" prop:value=move || target.get()
                    on:change=move |ev| target.set(event_target_value(&ev))>
                    {move || {
                        let t = targets.get();
                        let more = more_nodes(t.more_nodes, "curl -k https://NODE:10250/metrics in the console");
                        let options = t
                            .listed
                            .into_iter()
                            .map(|t| view! { <option value=t.clone()>{t.clone()}</option> })
                            .collect::<Vec<_>>();
                        (options, more.map(|m| view! { <option value="" disabled=true>{m}</option> }))
                    }}
                </select>
                " /metrics"
            </label>
            <pre class="prom-text" data-testid="exposition">{move || text.get()}</pre>
        </div>
    }
}
