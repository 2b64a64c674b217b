//! The metrics chart (plotters-canvas): running pods over simulated time, against one more
//! production metric chosen under it (API requests per second by default). Redrawn a few
//! times a second, not every frame.

use super::canvas::palette;
use super::engine::Sample;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// A metric's value in a sample.
type Read = fn(&Sample) -> f64;

/// The second line's metric: (its name in the picker, its value in a sample).
pub const SERIES: [(&str, Read); 9] = [
    ("API requests/s", |s| s.api_rps),
    ("workqueue_depth", |s| s.gauges.workqueue_depth as f64),
    ("workqueue_adds_total", |s| s.gauges.workqueue_adds as f64),
    ("etcd_server_has_leader (members)", |s| s.gauges.has_leader as f64),
    ("etcd_server_leader_changes_seen_total", |s| s.gauges.leader_changes as f64),
    ("etcd peer round trip p99 (ms)", |s| s.gauges.peer_rtt_p99_ms),
    ("kubelet_pod_start_duration_seconds_count", |s| s.gauges.pod_starts as f64),
    ("kube-proxy rule syncs", |s| s.gauges.proxy_syncs as f64),
    ("admission controller duration p99 (ms)", |s| s.gauges.admission_p99_ms),
];

pub fn draw(canvas: HtmlCanvasElement, history: &[Sample], series: usize) {
    let value = SERIES.get(series).map_or(SERIES[0].1, |(_, f)| *f);
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (w, h) = (f64::from(canvas.client_width()) * dpr, f64::from(canvas.client_height()) * dpr);
    if w < 10.0 || h < 10.0 {
        return;
    }
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    let Some(backend) = CanvasBackend::with_canvas_object(canvas) else {
        return;
    };
    let root = backend.into_drawing_area();
    let _ = root.fill(&rgb(palette::panel()));
    let t0 = history.first().map_or(0.0, |s| s.t);
    let t1 = history.last().map_or(1.0, |s| s.t).max(t0 + 1.0);
    let max_pods = history.iter().map(|s| s.running_pods).max().unwrap_or(0).max(4) as f64;
    let max_rps = history.iter().map(value).fold(0.0, f64::max).max(if series == 0 { 10.0 } else { 4.0 });
    let font = ("sans-serif", 11.0 * dpr).into_font().color(&rgb(palette::muted()));
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin(6.0 * dpr)
        .x_label_area_size(18.0 * dpr)
        .y_label_area_size(30.0 * dpr)
        .right_y_label_area_size(34.0 * dpr)
        .build_cartesian_2d(t0..t1, 0.0..max_pods * 1.15)
        .map(|c| c.set_secondary_coord(t0..t1, 0.0..max_rps * 1.15))
    else {
        return;
    };
    let axis = rgb(palette::link());
    let _ = chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(axis)
        .label_style(font.clone())
        .x_labels(4)
        .y_labels(4)
        .x_label_formatter(&|t| if t1 - t0 < 4.0 { format!("{t:.1}s") } else { format!("{t:.0}s") })
        .y_label_formatter(&|v| short(*v))
        .draw();
    let _ = chart
        .configure_secondary_axes()
        .axis_style(axis)
        .label_style(font)
        .y_labels(4)
        .y_label_formatter(&|v| short(*v))
        .draw();
    let pods = RGBColor(0xD5, 0x5E, 0x00);
    let rps = RGBColor(0x56, 0xB4, 0xE9);
    let _ =
        chart.draw_series(LineSeries::new(history.iter().map(|s| (s.t, s.running_pods as f64)), pods.stroke_width(2)));
    let _ = chart.draw_secondary_series(LineSeries::new(history.iter().map(|s| (s.t, value(s))), rps.stroke_width(2)));
    let _ = root.present();
}

/// An axis value in at most four characters, as Grafana writes them: 950, 20k, 22.5k, 1.2M
/// (a 7,500-node cluster's 22,500 pods fit the label area).
fn short(v: f64) -> String {
    let (scaled, unit) = match v.abs() {
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => return format!("{v:.0}"),
    };
    if scaled.fract().abs() < 0.05 || scaled.abs() >= 100.0 {
        format!("{scaled:.0}{unit}")
    } else {
        format!("{scaled:.1}{unit}")
    }
}

/// `#rrggbb` as plotters' colour (the palette's themed colours).
fn rgb(hex: &str) -> RGBColor {
    let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
    RGBColor(byte(1), byte(3), byte(5))
}
