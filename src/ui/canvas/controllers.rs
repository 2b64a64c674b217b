//! kube-controller-manager's controllers under its box: one chip per control loop, lit while
//! its worker syncs a key, with the depth of its workqueue when keys wait — so a burst of work
//! (a scale-up, a node failure) shows which loops it goes through.

use super::draw::{rounded, text, Frame, Phases};
use super::layout::Rect;
use super::palette;
use crate::sim::view::ComponentView;

/// Chips per row.
const COLUMNS: usize = 5;
/// Wall seconds a chip stays lit after its controller synced a key.
pub const GLOW_WALL_S: f64 = 1.0;

/// The chip's label: kubectl's short names where there is one.
fn short(controller: &str) -> &str {
    match controller {
        "deployment" => "deploy",
        "replicaset" => "rs",
        "garbagecollector" => "gc",
        "taint-eviction-controller" => "taint",
        "namespace" => "ns",
        "endpointslice" => "slices",
        "endpoint" => "ep",
        "serviceaccount" => "sa",
        "clusterrole-aggregation" => "roles",
        "resourcequota" => "quota",
        "daemonset" => "ds",
        "disruption" => "pdb",
        "cronjob" => "cj",
        "statefulset" => "sts",
        "horizontal-pod-autoscaler" => "hpa",
        "persistentvolume-binder" => "pv",
        "attachdetach" => "attach",
        "persistentvolumeclaim-protection" => "pvc-prot",
        other => other,
    }
}

pub fn draw(f: &Frame, phases: &Phases, c: &ComponentView, r: &Rect) {
    let mut lit: Vec<Option<f64>> = vec![None; c.queues.len()];
    phases.of(c.id, GLOW_WALL_S, |phase, _, age| {
        if let Some(i) = c.queues.iter().position(|(name, _)| *name == phase) {
            lit[i].get_or_insert(age);
        }
    });
    let ctx = f.ctx;
    let color = palette::role(c.role);
    let (gap, h) = (3.0, 14.0);
    let w = (r.w - gap * (COLUMNS as f64 - 1.0)) / COLUMNS as f64;
    let font = "600 8px system-ui, sans-serif";
    for (i, (name, depth)) in c.queues.iter().enumerate() {
        let chip = Rect {
            x: r.x + (i % COLUMNS) as f64 * (w + gap),
            y: r.y + r.h + 4.0 + (i / COLUMNS) as f64 * (h + gap),
            w,
            h,
        };
        rounded(ctx, &chip, 3.0);
        ctx.set_fill_style_str(palette::panel());
        ctx.fill();
        if let Some(age) = lit[i] {
            ctx.set_global_alpha(0.25 + 0.75 * (1.0 - age).max(0.0));
            ctx.set_fill_style_str(color);
            ctx.fill();
            ctx.set_global_alpha(1.0);
        }
        ctx.set_stroke_style_str(color);
        ctx.set_line_width(1.0);
        ctx.stroke();
        if !f.legible(8.0) {
            continue;
        }
        let label = match depth {
            0 => short(name).to_string(),
            n => format!("{} {n}", short(name)),
        };
        ctx.set_font(font);
        let tw = ctx.measure_text(&label).map(|m| m.width()).unwrap_or(0.0);
        text(ctx, &label, chip.x + (w - tw) / 2.0, chip.y + 10.0, font, palette::ink());
    }
}
