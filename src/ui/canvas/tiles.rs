//! Large clusters: every worker a tile of a heat map, coloured by how many pods it runs against
//! the fullest node, outlined red when the control plane does not see it Ready. Zoomed in far
//! enough, a tile shows its pods as small squares in their state's colour (clickable), and
//! then its name. Only the tiles in view are drawn.

use super::draw::{text, Frame, PodHits};
use super::layout::Rect;
use super::palette;

/// Heat levels: tiles of one level are filled in one path.
const LEVELS: usize = 8;
/// A tile this many CSS pixels wide shows its pods…
const PODS_FROM_PX: f64 = 48.0;
/// …and from this width its name.
const NAME_FROM_PX: f64 = 110.0;

pub fn draw(f: &Frame) -> PodHits {
    let ctx = f.ctx;
    let cam = f.camera;
    let view_rect = Rect { x: cam.x, y: cam.y, w: f.css_w / cam.zoom, h: f.css_h / cam.zoom };
    let visible = |r: &Rect| {
        r.x + r.w >= view_rect.x
            && r.x <= view_rect.x + view_rect.w
            && r.y + r.h >= view_rect.y
            && r.y <= view_rect.y + view_rect.h
    };
    let workers: Vec<(&crate::sim::view::NodeView, Rect)> =
        f.view.nodes.iter().filter_map(|n| f.layout.node_rects.get(&n.name).map(|r| (n, *r))).collect();
    let fullest = workers.iter().map(|(n, _)| n.pods.len()).max().unwrap_or(0).max(1);
    let shown: Vec<&(&crate::sim::view::NodeView, Rect)> = workers.iter().filter(|(_, r)| visible(r)).collect();
    let px = super::layout::TILE * cam.zoom;
    let detailed = px >= PODS_FROM_PX;
    ctx.set_fill_style_str(palette::panel());
    ctx.begin_path();
    for (_, r) in &shown {
        ctx.rect(r.x, r.y, r.w, r.h);
    }
    ctx.fill();
    // The heat map, one fill per level; zoomed in, the pods themselves instead.
    ctx.set_fill_style_str(palette::POD);
    for level in (1..=LEVELS).filter(|_| !detailed) {
        ctx.begin_path();
        let mut any = false;
        for (n, r) in &shown {
            let heat = n.pods.len() * LEVELS / fullest;
            if n.powered && !n.pods.is_empty() && heat.clamp(1, LEVELS) == level {
                ctx.rect(r.x, r.y, r.w, r.h);
                any = true;
            }
        }
        if any {
            ctx.set_global_alpha(0.2 + 0.8 * level as f64 / LEVELS as f64);
            ctx.fill();
        }
    }
    ctx.set_global_alpha(1.0);
    for (n, r) in &shown {
        if !n.powered {
            ctx.set_fill_style_str(palette::stopped_fill());
            ctx.fill_rect(r.x, r.y, r.w, r.h);
        }
        if n.ready != "True" {
            ctx.set_stroke_style_str(palette::NOT_READY);
            ctx.set_line_width(4.0);
            ctx.stroke_rect(r.x + 2.0, r.y + 2.0, r.w - 4.0, r.h - 4.0);
        }
    }
    let mut hits = PodHits::new();
    if detailed {
        ctx.set_line_width(0.6);
        ctx.set_stroke_style_str(palette::POD);
        for (n, r) in &shown {
            let Some(area) = f.layout.pod_areas.get(&n.name) else { continue };
            // At least four to a row, so one pod is a chip, not the whole tile.
            let per_row = (n.pods.len() as f64).sqrt().ceil().max(4.0);
            let cell = area.w / per_row;
            for (i, p) in n.pods.iter().enumerate() {
                let (row, col) = ((i as f64 / per_row).floor(), i as f64 % per_row);
                let chip =
                    Rect { x: area.x + col * cell + 0.5, y: area.y + row * cell + 0.5, w: cell - 1.0, h: cell - 1.0 };
                ctx.set_fill_style_str(palette::pod_state(p.status, p.ready).0);
                ctx.fill_rect(chip.x, chip.y, chip.w, chip.h);
                ctx.stroke_rect(chip.x, chip.y, chip.w, chip.h);
                hits.push((chip, p.namespace().to_string(), p.name().to_string()));
            }
            if px >= NAME_FROM_PX {
                // 12 CSS pixels, whatever the zoom.
                let size = 12.0 * super::layout::TILE / px;
                let font = format!("600 {size:.1}px system-ui, sans-serif");
                text(ctx, &n.name, r.x + 1.0, r.y - 1.5, &font, palette::muted());
            }
        }
    }
    hits
}
