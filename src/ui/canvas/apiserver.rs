//! kube-apiserver's handler chain under its box: authentication, priority and fairness,
//! authorization, admission, webhooks, validation and storage as a strip of stages. Each lights up as requests pass it and turns
//! red where a request was refused (a 401, a 429, a 403 from RBAC or admission, a 422), so a denial
//! shows where it happened.

use super::draw::{rounded, text, Frame, Phases};
use super::layout::Rect;
use super::palette;
use crate::sim::component::Role;

/// The strip's stages and the apiserver phases that belong to each.
const STAGES: [(&str, &[&str]); 7] = [
    ("authn", &["authentication"]),
    ("apf", &["flowcontrol"]),
    ("authz", &["authorization", "access review", "token"]),
    ("admit", &["admission"]),
    ("hook", &["webhook"]),
    ("valid", &["validation"]),
    ("etcd", &["etcd", "watch cache", "watch"]),
];
const DENIED: &str = "#ff7b72";
/// Wall seconds a stage stays lit after a request passed it.
pub const GLOW_WALL_S: f64 = 1.2;

/// Whether a phase's detail reports a refusal.
fn refused(detail: &str) -> bool {
    ["denied", "401", "422", "429", "500"].iter().any(|p| detail.starts_with(p))
}

pub fn draw_pipeline(f: &Frame, phases: &Phases, id: u32, r: &Rect) {
    // Per stage: how recently it was lit (0 = just now), and whether that was a refusal.
    let mut lit: [Option<(f64, bool)>; 7] = [None; 7];
    phases.of(id, GLOW_WALL_S, |phase, detail, age| {
        if let Some(i) = STAGES.iter().position(|(_, phases)| phases.contains(&phase)) {
            lit[i].get_or_insert((age, refused(detail)));
        }
    });
    let ctx = f.ctx;
    let color = palette::role(Role::ApiServer);
    let (gap, h) = (3.0, 15.0);
    let w = (r.w - gap * (STAGES.len() as f64 - 1.0)) / STAGES.len() as f64;
    for (i, (label, _)) in STAGES.iter().enumerate() {
        let chip = Rect { x: r.x + i as f64 * (w + gap), y: r.y + r.h + 4.0, w, h };
        rounded(ctx, &chip, 4.0);
        ctx.set_fill_style_str(palette::panel());
        ctx.fill();
        let tint = match lit[i] {
            Some((age, true)) => Some((DENIED, 1.0 - age)),
            Some((age, false)) => Some((color, 1.0 - age)),
            None => None,
        };
        if let Some((c, strength)) = tint {
            ctx.set_global_alpha(0.25 + 0.75 * strength.max(0.0));
            ctx.set_fill_style_str(c);
            ctx.fill();
            ctx.set_global_alpha(1.0);
        }
        ctx.set_stroke_style_str(if matches!(lit[i], Some((_, true))) { DENIED } else { color });
        ctx.set_line_width(1.0);
        ctx.stroke();
        if !f.legible(9.0) {
            continue;
        }
        let font = "600 9px system-ui, sans-serif";
        ctx.set_font(font);
        let tw = ctx.measure_text(label).map(|m| m.width()).unwrap_or(0.0);
        text(ctx, label, chip.x + (w - tw) / 2.0, chip.y + 11.0, font, palette::ink());
    }
}
