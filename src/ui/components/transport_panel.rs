//! Transports side by side: HTTP/1.0, 1.1, 2 and 3 loading the same responses over the same
//! seeded link (sim/transport). Four lanes of per-request waterfalls on one time axis — the
//! handshake, the wait for the first byte, the download, a lost packet in red — and the same
//! figures as a table. The lanes are one HTML string (bundle size), redrawn on every change.

use super::scheduler_panel::esc;
use crate::sim::transport::{row, run, wire::Link, Options, Outcome, Protocol, COLUMNS};
use leptos::prelude::*;

/// The panel's HTML for these settings.
pub fn html(link: &Link, opts: &Options) -> String {
    let outcomes: Vec<Outcome> = Protocol::ALL.iter().map(|p| run(*p, link.clone(), opts.clone())).collect();
    let span = outcomes.iter().map(|o| o.total_us).max().unwrap_or(1).max(1) as f64;
    let pct = |us: u64| us as f64 / span * 100.0;
    let mut h = String::new();
    for o in &outcomes {
        h.push_str(&format!(
            "<div class=\"lane\" data-testid=\"lane\"><div class=\"lane-head\"><b>{}</b> {} connection{} · {:.0} ms</div>",
            o.protocol.name(),
            o.connections,
            if o.connections == 1 { "" } else { "s" },
            o.total_us as f64 / 1000.0
        ));
        for (i, t) in o.requests.iter().enumerate() {
            // Every request is wanted at 0: queued for a connection, its connection's
            // handshake, the wait for the first byte, the body (as a browser's waterfall).
            let start = t.handshake_from.unwrap_or(t.sent);
            h.push_str(&format!(
                "<div class=\"tr-row{}\" title=\"{} {} on connection {}: sent {:.1} ms, first byte {:.1} ms, done {:.1} ms{}\">\
                 <span class=\"tr-queue\" style=\"left:0;width:{:.2}%\"></span>\
                 <span class=\"tr-hs\" style=\"left:{:.2}%;width:{:.2}%\"></span>\
                 <span class=\"tr-wait\" style=\"left:{:.2}%;width:{:.2}%\"></span>\
                 <span class=\"tr-body\" style=\"left:{:.2}%;width:{:.2}%\"></span></div>",
                if t.stalled { " lost" } else { "" },
                if t.pushed { "pushed response" } else { "request" },
                i + 1,
                t.conn + 1,
                t.sent as f64 / 1000.0,
                t.first_byte as f64 / 1000.0,
                t.done as f64 / 1000.0,
                if t.stalled { ", waited for a retransmission" } else { "" },
                pct(start),
                pct(start),
                pct(t.sent - start),
                pct(t.sent),
                pct(t.first_byte.saturating_sub(t.sent)),
                pct(t.first_byte),
                pct(t.done.saturating_sub(t.first_byte)).max(0.4),
            ));
        }
        h.push_str("</div>");
    }
    h.push_str("<table class=\"tr-table\" data-testid=\"transport-table\"><tr>");
    for c in COLUMNS {
        h.push_str(&format!("<th>{}</th>", esc(c)));
    }
    h.push_str("</tr>");
    for o in &outcomes {
        h.push_str("<tr>");
        for cell in row(o) {
            h.push_str(&format!("<td>{}</td>", esc(&cell)));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    for line in crate::sim::transport::encodings_lines() {
        h.push_str(&format!("<p class=\"tr-note\">{}</p>", esc(&line)));
    }
    h
}

/// This cluster's clients and their connections to kube-apiserver, as a table.
pub fn cluster_html(sim: &crate::sim::Simulation) -> String {
    let mut h = String::from(
        "<table class=\"tr-table\" data-testid=\"cluster-connections\"><tr><th>client</th><th>HTTP</th><th>open</th><th>opened</th></tr>",
    );
    for r in sim.connections() {
        let who = if r.processes == 1 { r.client.clone() } else { format!("{} ×{}", r.client, r.processes) };
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&who),
            r.http,
            r.open,
            r.opened
        ));
    }
    h.push_str("</table>");
    h
}

/// One slider: label, value shown, range, and the signal it sets.
fn slider(
    label: &'static str,
    unit: &'static str,
    min: f64,
    max: f64,
    step: f64,
    value: RwSignal<f64>,
) -> impl IntoView {
    view! {
        <label class="tr-slider">
            <span>{label}" "<b>{move || format!("{}{unit}", value.get())}</b></span>
            <input type="range" min=min max=max step=step prop:value=move || value.get().to_string()
                on:input=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        value.set(v)
                    }
                } />
        </label>
    }
}

fn check(value: RwSignal<bool>, label: &'static str, title: &'static str) -> impl IntoView {
    view! {
        <label title=title><input type="checkbox" prop:checked=move || value.get()
            on:change=move |_| value.update(|v| *v = !*v) />" "{label}</label>
    }
}

/// `cluster`: [`cluster_html`] of the running simulation, refreshed by the app.
#[component]
pub fn TransportPanel(cluster: RwSignal<String>) -> impl IntoView {
    let requests = RwSignal::new(12.0);
    let size_kb = RwSignal::new(20.0);
    let rtt_ms = RwSignal::new(40.0);
    let mbit = RwSignal::new(50.0);
    let loss = RwSignal::new(0.0);
    let seed = RwSignal::new(1.0);
    let pipelining = RwSignal::new(false);
    let resumed = RwSignal::new(false);
    let discover = RwSignal::new(false);
    let push = RwSignal::new(false);
    let priorities = RwSignal::new(false);
    let lanes = Memo::new(move |_| {
        let link = Link {
            rtt_us: (rtt_ms.get() * 1000.0) as u64,
            bandwidth: (mbit.get() * 1_000_000.0 / 8.0) as u64,
            loss: loss.get() / 100.0,
            lose: Vec::new(),
            seed: seed.get() as u64,
        };
        let opts = Options {
            requests: requests.get() as usize,
            response_bytes: (size_kb.get() * 1000.0) as usize,
            pipelining: pipelining.get(),
            resumed: resumed.get(),
            discover: discover.get(),
            push: push.get(),
            priorities: priorities.get(),
            ..Options::default()
        };
        html(&link, &opts)
    });
    view! {
        <div class="sched-panel tr-panel" data-testid="transport-panel">
            <h3>"HTTP/1.0, 1.1, 2 and 3: the same responses, one link"</h3>
            <div class="tr-controls">
                {slider("requests", "", 1.0, 40.0, 1.0, requests)}
                {slider("response", " KB", 1.0, 200.0, 1.0, size_kb)}
                {slider("RTT", " ms", 1.0, 300.0, 1.0, rtt_ms)}
                {slider("bandwidth", " Mbit/s", 1.0, 1000.0, 1.0, mbit)}
                {slider("loss", " %", 0.0, 10.0, 0.5, loss)}
                {slider("seed", "", 1.0, 20.0, 1.0, seed)}
                <div class="tr-checks">
                {check(pipelining, "1.1 pipelining", "HTTP/1.1 sends every request at once on its connections")}
                {check(resumed, "0-RTT resume", "HTTP/3: a resumed QUIC session sends the first request with its handshake")}
                {check(discover, "discovered", "the first response names the others: they are asked for once it arrives")}
                {check(push, "server push", "HTTP/2, with discovered: the server pushes the others with the first")}
                {check(priorities, "priorities", "HTTP/2 and 3: the first stream is urgent (weight 256 against 16)")}
                </div>
            </div>
            <div class="tr-legend">
                <span class="tr-queue"></span>"queued "<span class="tr-hs"></span>"handshake "<span class="tr-wait"></span>"waiting "
                <span class="tr-body"></span>"receiving "<span class="tr-body lost"></span>"held by a lost packet"
            </div>
            <div inner_html=move || lanes.get()></div>
            <p class="tr-note">"Simulated: TCP + TLS 1.3 or QUIC handshakes, slow start from 10 packets, one bottleneck link; \
                HPACK and QPACK sizes from a real encoder. Six connections per host for HTTP/1.x, as browsers: \
                with large responses their six initial windows can beat one HTTP/2 connection ramping up alone; \
                small responses, high RTT or loss show the other side. HTTP/1.1 bodies over 2 KB go chunked, \
                as Go's server sends them. Server push is gone from browsers (Chrome 106) and kube-apiserver never pushes."</p>
            <h3>"This cluster's connections to kube-apiserver"</h3>
            <div inner_html=move || cluster.get()></div>
            <p class="tr-note">"client-go over HTTP/2 multiplexes every request and watch on one connection; \
                over HTTP/1.1 each open watch holds a connection of its own. Switch with "<code>"&components-http=1.1"</code>
                " or "<code>"&kubectl=1.1"</code>" in the link."</p>
        </div>
    }
}
