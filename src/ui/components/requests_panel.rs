//! The request inspector: kube-apiserver's last requests, newest first (and the user's own
//! last ones, however much background traffic came after) — who sent them, as whom,
//! the request line, the status code, and a waterfall of the time spent in each stage of the
//! handler chain (authentication, priority queue, authorization, admission, webhooks,
//! validation, quota, etcd or the watch cache). Written as one HTML string (bundle size).

use super::scheduler_panel::esc;
use crate::sim::apiserver::RequestRecord;
use crate::sim::time::human_duration;
use crate::sim::Simulation;
use crate::ui::engine::{Follow, Shared};
use leptos::prelude::*;

/// How many finished requests the panel lists, and how many in flight.
const SHOWN: usize = 40;
const SHOWN_IN_FLIGHT: usize = 8;

/// The panel's HTML for the simulation's current state: the requests in flight (the journey
/// under way, its current stage growing with the animation), then the finished ones.
pub fn snapshot(sim: &Simulation) -> String {
    let Some(api) = sim.apiserver() else {
        return String::new();
    };
    let mut out = String::new();
    for r in api.in_flight(sim.now()).iter().rev().take(SHOWN_IN_FLIGHT) {
        out.push_str(&row(sim, r, true));
    }
    let mut shown = 0;
    for r in api.recent.iter().rev() {
        let mine = r.client == crate::sim::cluster::USER;
        if shown >= SHOWN && !mine {
            continue;
        }
        shown += 1;
        out.push_str(&row(sim, r, false));
    }
    out
}

/// One request: who, the code (… while in flight), the line, and its stages' waterfall.
fn row(sim: &Simulation, r: &RequestRecord, in_flight: bool) -> String {
    let client = sim.infos.get(r.client as usize).map_or("?", |i| i.name.as_str());
    let who = if client == "kubectl" { format!("kubectl as {}", r.user) } else { client.to_string() };
    let code_class = if r.code < 400 { "ok" } else { "bad" };
    let mut bars = String::new();
    for (stage, us) in &r.stages {
        let pct = (*us as f64 / r.total_us.max(1) as f64 * 100.0).max(1.5);
        bars.push_str(&format!(
            "<span class=\"st st-{}\" style=\"width:{pct:.1}%\" title=\"{}: {} µs\"></span>",
            stage.replace(' ', "-"),
            esc(stage),
            us
        ));
    }
    let sizes = r.json_bytes.map_or(String::new(), |(sent, got)| {
        format!(
            " <span class=\"sz\" title=\"request and response bodies as JSON\">↑{} ↓{}</span>",
            bytes(sent),
            bytes(got)
        )
    });
    let (code, state) = match (in_flight, r.stages.last()) {
        (true, Some((stage, _))) => ("…".to_string(), format!(" <span class=\"at\">in {stage}</span>")),
        (true, None) => ("…".to_string(), String::new()),
        (false, _) => (r.code.to_string(), String::new()),
    };
    let class = match (in_flight, client == "kubectl") {
        (true, _) => " inflight",
        (false, true) => " mine",
        (false, false) => "",
    };
    format!(
        "<div class=\"req{class}\"><div class=\"req-head\"><span class=\"{code_class}\">{code}</span> <b>{}</b> {}{sizes}{state} <span class=\"at\">t={:.3}s</span></div><div class=\"req-line\">{}</div><div class=\"waterfall\">{bars}</div></div>",
        latency(r.total_us),
        esc(&who),
        r.at.as_secs_f64(),
        esc(&r.line),
    )
}

fn bytes(n: usize) -> String {
    if n < 1000 {
        format!("{n} B")
    } else {
        format!("{:.1} KB", n as f64 / 1000.0)
    }
}

fn latency(us: u64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.2} ms", us as f64 / 1000.0)
    } else {
        human_duration(us)
    }
}

#[component]
/// `html` is refreshed from the simulation four times a second by the page.
pub fn RequestsPanel(engine: Shared, html: RwSignal<String>, playing: RwSignal<bool>) -> impl IntoView {
    let follow = move |_| {
        engine.borrow_mut().follow_next(Follow::next_request);
        playing.set(true);
    };
    view! {
        <div class="sched-panel req-panel" data-testid="requests-panel">
            <h3>"kube-apiserver: the last requests and their stages"</h3>
            <div class="net-actions">
                <button data-testid="follow-request" title="Play until the next request reaches kube-apiserver, then pause on it: step (→) or play slowly to watch its stages" on:click=follow>
                    "Follow the next request"
                </button>
            </div>
            <div class="req-legend">
                <span class="st st-authentication"></span>"authn "
                <span class="st st-priority-queue"></span>"APF queue "
                <span class="st st-authorization"></span>"authz "
                <span class="st st-admission"></span>"admission "
                <span class="st st-webhook"></span>"webhook "
                <span class="st st-validation"></span>"validation "
                <span class="st st-quota"></span>"quota "
                <span class="st st-etcd"></span>"etcd "
                <span class="st st-watch-cache"></span>"watch cache"
            </div>
            <div inner_html=move || html.get()></div>
        </div>
    }
}
