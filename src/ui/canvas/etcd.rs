//! An etcd member on the canvas: role, term and vote, the election timer as a draining arc,
//! the newest log entries coloured by term (hollow until fsync'd, faded until committed)
//! with the commit index, and a stopped member greyed out.

use super::draw::{fit, rounded, text};
use super::layout::Rect;
use super::palette;
use crate::sim::etcd::raft::Role;
use crate::sim::view::{ComponentView, EtcdView};
use web_sys::CanvasRenderingContext2d as Ctx2d;

/// Entry colours cycle through the palette by term, so a new term is visibly new.
const TERM_COLOURS: [&str; 6] = ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#D55E00"];

pub fn term_colour(term: u64) -> &'static str {
    TERM_COLOURS[(term % TERM_COLOURS.len() as u64) as usize]
}

/// `labels`: whether its text is large enough on screen to be drawn; when not, the member is
/// its box alone (the title, timer and log strip are smaller still).
pub fn draw_member(
    ctx: &Ctx2d,
    c: &ComponentView,
    e: &EtcdView,
    r: &Rect,
    phase: Option<&str>,
    peer_names: &[String],
    labels: bool,
) {
    let colour = if e.up { palette::role(c.role) } else { palette::stopped() };
    rounded(ctx, r, 8.0);
    ctx.set_fill_style_str(if e.up { palette::panel() } else { palette::stopped_fill() });
    ctx.fill();
    ctx.set_stroke_style_str(colour);
    ctx.set_line_width(if e.role == Role::Leader && e.up { 4.0 } else { 2.0 });
    ctx.stroke();
    if !labels {
        return;
    }
    let badge = match (e.up, e.role) {
        (false, _) => "✖ stopped",
        (true, Role::Leader) => "★ leader",
        (true, Role::Candidate) => "? candidate",
        (true, Role::PreCandidate) => "? pre-candidate",
        (true, Role::Follower) => "· follower",
    };
    let title_font = "600 15px system-ui, sans-serif";
    ctx.set_font(title_font);
    let title = fit(ctx, &format!("{} {badge}", c.name), r.w - 44.0);
    text(ctx, &title, r.x + 8.0, r.y + 19.0, title_font, if e.up { palette::ink() } else { palette::muted() });
    if e.up && e.role != Role::Leader {
        election_arc(ctx, r.x + r.w - 18.0, r.y + 16.0, e.election_progress, colour);
    }
    let vote = e.vote.and_then(|v| peer_names.get(v)).map_or("—".to_string(), |n| n.clone());
    let line2 = match phase {
        Some(p) => format!("▶ {p}"),
        // A slow disk is what an operator would look for first when elections churn.
        None if e.fsync_ms >= 10.0 => format!("term {} · slow disk: fsync {:.0} ms", e.term, e.fsync_ms),
        None => format!("term {} · vote {vote} · rev {}", e.term, e.revision),
    };
    let small = "12px system-ui, sans-serif";
    ctx.set_font(small);
    let line2 = fit(ctx, &line2, r.w - 16.0);
    text(ctx, &line2, r.x + 8.0, r.y + 38.0, small, if phase.is_some() && e.up { colour } else { palette::muted() });
    log_strip(ctx, e, r);
}

/// The timer drains as the election timeout approaches; a full ring just after a heartbeat.
fn election_arc(ctx: &Ctx2d, x: f64, y: f64, progress: f64, colour: &str) {
    let left = (1.0 - progress).clamp(0.0, 1.0);
    ctx.set_line_width(3.0);
    ctx.set_stroke_style_str(palette::link());
    ctx.begin_path();
    let _ = ctx.arc(x, y, 9.0, 0.0, std::f64::consts::TAU);
    ctx.stroke();
    ctx.set_stroke_style_str(colour);
    ctx.begin_path();
    let start = -std::f64::consts::FRAC_PI_2;
    let _ = ctx.arc(x, y, 9.0, start, start + left * std::f64::consts::TAU);
    ctx.stroke();
}

fn log_strip(ctx: &Ctx2d, e: &EtcdView, r: &Rect) {
    let (w, h, gap) = (11.0, 16.0, 3.0);
    let y = r.y + r.h - h - 10.0;
    let label = format!("commit {}/{}", e.commit, e.last_index);
    let small = "12px system-ui, sans-serif";
    ctx.set_font(small);
    let label_w = ctx.measure_text(&label).map(|m| m.width()).unwrap_or(80.0) + 14.0;
    let fits = (((r.w - 16.0 - label_w) + gap) / (w + gap)).floor().max(0.0) as usize;
    let tail = &e.tail[e.tail.len().saturating_sub(fits)..];
    for (i, (index, term, durable)) in tail.iter().enumerate() {
        let x = r.x + 8.0 + i as f64 * (w + gap);
        let cell = Rect { x, y, w, h };
        let colour = if e.up { term_colour(*term) } else { "#3a434c" };
        rounded(ctx, &cell, 2.0);
        if *durable {
            ctx.set_global_alpha(if *index <= e.commit { 1.0 } else { 0.45 });
            ctx.set_fill_style_str(colour);
            ctx.fill();
            ctx.set_global_alpha(1.0);
        }
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(1.5);
        ctx.stroke();
        if *index == e.commit {
            // The commit index: a tick under the last committed entry.
            ctx.set_fill_style_str(palette::ink());
            ctx.fill_rect(x, y + h + 2.0, w, 2.0);
        }
    }
    text(ctx, &label, r.x + r.w - label_w + 6.0, y + 12.0, small, palette::muted());
}
