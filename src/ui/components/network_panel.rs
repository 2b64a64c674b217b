//! The network view: the last connection a node's kube-proxy routed, walked through that
//! node's rules (`sim::proxy::walk`) — each rule as iptables-save prints it, the ones that
//! matched highlighted, the random picks not taken dimmed — or, in IPVS mode, the virtual
//! server's real servers with the one the scheduler chose. "Follow the next packet" pauses
//! the simulation when the next connection is routed. Written as one HTML string.

use super::scheduler_panel::esc;
use crate::sim::proxy::walk::Verdict;
use crate::sim::proxy::Routed;
use crate::sim::Simulation;
use crate::ui::engine::{Follow, Shared};
use leptos::prelude::*;

/// The panel's HTML for the simulation's current state.
pub fn snapshot(sim: &Simulation) -> String {
    let Some((proxy, r)) = sim.last_routed() else {
        return "<p class=\"hint\">No connection has crossed a node's Service rules yet. Expose a Deployment and \
                send it traffic from a pod, for example:</p><pre>kubectl create deployment web --image=nginx --replicas=3\n\
                kubectl expose deployment web --port=80\n\
                kubectl run load --image=busybox -- sh -c \"while true; do wget -q -O- http://web; sleep 1; done\"</pre>"
            .into();
    };
    let mut out = header(&proxy.node, r, proxy.mode.name());
    for line in proxy.walk(r) {
        let class = match line.verdict {
            Verdict::Matched => "wl-hit",
            Verdict::Skipped => "wl-skip",
            Verdict::NotTaken => "wl-not",
            Verdict::Note => "wl-note",
        };
        let mark = match line.verdict {
            Verdict::Matched => "✔ ",
            Verdict::NotTaken => "✗ ",
            _ => "",
        };
        out.push_str(&format!("<div class=\"wl {class}\">{mark}{}</div>", esc(&line.text)));
    }
    out
}

fn header(node: &str, r: &Routed, mode: &str) -> String {
    let what = match &r.dns {
        Some(name) => format!("UDP: DNS query for {name}"),
        None => format!("TCP: GET {}", r.path),
    };
    format!(
        "<div class=\"walk-head\"><b>{}</b> → <b>{}</b> <span class=\"muted\">{} · kube-proxy on {} ({mode}) · t = {}</span></div>",
        esc(&r.src),
        esc(&r.dst),
        esc(&what),
        esc(node),
        r.at
    )
}

#[component]
/// `html` is refreshed from the simulation four times a second by the page.
pub fn NetworkPanel(engine: Shared, html: RwSignal<String>, playing: RwSignal<bool>) -> impl IntoView {
    let follow = move |_| {
        engine.borrow_mut().follow_next(Follow::next_packet);
        playing.set(true);
    };
    view! {
        <div class="sched-panel net-panel" data-testid="network-panel">
            <h3>"Network: one connection through kube-proxy's rules"</h3>
            <div class="net-actions">
                <button data-testid="follow-packet" title="Play until the next connection is routed, then pause on it" on:click=follow>
                    "Follow the next packet"
                </button>
                <span class="legend-inline"><span class="wl-hit">"✔ matched"</span>" "<span class="wl-not">"✗ not taken"</span>" "<span class="wl-skip">"no match"</span></span>
            </div>
            <div class="walk" inner_html=move || html.get()></div>
        </div>
    }
}
