//! The scheduler's latest decision on the canvas: as the attempt plays out, nodes that a
//! Filter plugin rejected dim with the plugin and its reason, the feasible nodes grow a score
//! bar, and the chosen node lights up in the scheduler's colour. Wall-clock paced, so a cycle
//! that takes a millisecond of simulated time stays readable.

use super::draw::{fit, rounded, text, Frame};
use super::layout::Rect;
use super::palette;
use crate::sim::component::Role;

/// Wall seconds for the filter reveal, then for the score bars to grow; the whole picture
/// stays up for `SHOW_S`.
const FILTER_S: f64 = 0.6;
const SCORE_S: f64 = 0.8;
const SHOW_S: f64 = 4.0;
const REJECTED: &str = "#ff7b72";

pub fn draw(f: &Frame) {
    let Some(s) = &f.view.scheduling else { return };
    let age = f.now.since(s.at) as f64 / 1e6 / f.speed.max(1e-9);
    if age > SHOW_S || f.layout.node_rects.is_empty() {
        return;
    }
    // Reduced motion: the final picture at once.
    let t = if f.reduced_motion { FILTER_S + SCORE_S } else { age };
    let ctx = f.ctx;
    ctx.set_global_alpha(((SHOW_S - age) / 0.8).clamp(0.0, 1.0));
    let max_total = s.rows.iter().map(|r| r.total).max().unwrap_or(0).max(1) as f64;
    let order: Vec<&String> = f.layout.node_rects.keys().collect();
    let color = palette::role(Role::Scheduler);
    for row in &s.rows {
        let Some(r) = f.layout.node_rects.get(&row.node) else { continue };
        let i = order.iter().position(|n| **n == row.node).unwrap_or(0) as f64;
        if t < FILTER_S * (i + 1.0) / order.len() as f64 {
            continue;
        }
        match &row.rejected {
            Some((plugin, reason)) => {
                rounded(ctx, r, 14.0);
                ctx.set_fill_style_str(palette::shade());
                ctx.fill();
                let (cx, cy) = r.center();
                let backdrop = Rect { x: r.x + 8.0, y: cy - 26.0, w: r.w - 16.0, h: 48.0 };
                rounded(ctx, &backdrop, 8.0);
                ctx.set_fill_style_str(palette::panel());
                ctx.fill();
                ctx.set_text_align("center");
                ctx.set_font("600 15px system-ui, sans-serif");
                let head = fit(ctx, &format!("✗ {plugin}"), r.w - 24.0);
                text(ctx, &head, cx, cy - 6.0, "600 15px system-ui, sans-serif", REJECTED);
                ctx.set_font("13px system-ui, sans-serif");
                let why = fit(ctx, reason, r.w - 24.0);
                text(ctx, &why, cx, cy + 14.0, "13px system-ui, sans-serif", palette::ink());
                ctx.set_text_align("start");
            }
            None => {
                let grow = ((t - FILTER_S) / SCORE_S).clamp(0.0, 1.0);
                let badge = Rect { x: r.x + r.w - 118.0, y: r.y + r.h - 26.0, w: 106.0, h: 20.0 };
                rounded(ctx, &badge, 5.0);
                ctx.set_fill_style_str(palette::panel());
                ctx.fill();
                let bar = Rect { w: badge.w * grow * row.total as f64 / max_total, ..badge };
                if bar.w > 1.0 {
                    rounded(ctx, &bar, 5.0);
                    ctx.set_fill_style_str(color);
                    ctx.set_global_alpha(ctx.global_alpha() * 0.55);
                    ctx.fill();
                    ctx.set_global_alpha(((SHOW_S - age) / 0.8).clamp(0.0, 1.0));
                }
                let label = format!("score {}", (row.total as f64 * grow).round());
                text(ctx, &label, badge.x + 6.0, badge.y + 15.0, "600 12px system-ui, sans-serif", palette::ink());
                if row.selected && grow >= 1.0 {
                    rounded(ctx, r, 14.0);
                    ctx.set_stroke_style_str(color);
                    ctx.set_line_width(3.0);
                    ctx.stroke();
                    let pod = s.pod.rsplit('/').next().unwrap_or(&s.pod);
                    ctx.set_font("600 13px system-ui, sans-serif");
                    let l = fit(ctx, &format!("✓ {pod}"), r.w - 130.0);
                    text(ctx, &l, r.x + 14.0, r.y + r.h - 10.0, "600 13px system-ui, sans-serif", color);
                }
            }
        }
    }
    ctx.set_global_alpha(1.0);
}
