//! Under the chart: the scalability SLIs against their SLOs, and a Prometheus tab — any
//! component's /metrics exposition as a scrape would read it now (the same text `kubesim
//! metrics` prints and promtool checks). Refreshed by the app four times a second; written as HTML
//! strings (bundle size).

use super::scheduler_panel::esc;
use crate::sim::Simulation;
use leptos::prelude::*;

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
    targets: RwSignal<Vec<String>>,
    target: RwSignal<String>,
    text: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="metrics-panel" data-testid="metrics-panel">
            <div inner_html=move || slis.get()></div>
            <label class="prom-pick">"Prometheus: "
                <select data-testid="scrape-target" prop:value=move || target.get()
                    on:change=move |ev| target.set(event_target_value(&ev))>
                    {move || targets.get().into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect::<Vec<_>>()}
                </select>
                " /metrics"
            </label>
            <pre class="prom-text" data-testid="exposition">{move || text.get()}</pre>
        </div>
    }
}
