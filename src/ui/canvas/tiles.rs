//! Large clusters: every worker a tile of a heat map, coloured by how many pods it runs against
//! the fullest node, outlined red when the control plane does not see it Ready. Zoomed in far
//! enough, a tile shows its pods as small squares in their state's colour (clickable), and
//! then its name.
//!
//! Zoomed out, the heat map is an image painted pixel by pixel once per picture of the
//! cluster and copied onto the canvas every frame: one copy instead of thousands of
//! rectangles, so that 7,500 tiles cost a frame no more than 75 do. Zoomed in, only the tiles
//! in view are drawn.

use super::draw::{text, Frame, PodHits};
use super::layout::{Rect, TileGrid};
use super::palette;
use crate::sim::view::NodeView;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// Heat levels between an empty node and the fullest.
const LEVELS: usize = 8;
/// A tile this many CSS pixels wide shows its pods…
const PODS_FROM_PX: f64 = 48.0;
/// …and from this width its name.
const NAME_FROM_PX: f64 = 110.0;
/// Image pixels per grid cell: the tile 7, the gap 1, as the layout's 40 and 6.
const CELL_PX: usize = 8;

/// The zoomed-out heat map as an image, and the picture of the cluster it shows.
#[derive(Default)]
pub struct HeatMap {
    image: Option<(HtmlCanvasElement, CanvasRenderingContext2d)>,
    /// The picture and the theme (light?) it was painted for.
    painted: Option<(u64, bool)>,
    /// Each grid cell's node, row by row: an index into the view's nodes.
    cells: Vec<Option<usize>>,
    /// Each view node's cell with the name it was found for, and the grid and node count
    /// they are for: pictures list the nodes in the same order, so each is looked up once
    /// rather than on every picture (7,500 searches by name).
    node_cells: Vec<(String, Option<usize>)>,
    node_cells_for: Option<(TileGrid, usize)>,
}

pub fn draw(f: &Frame, heat: &mut HeatMap) -> PodHits {
    let Some(grid) = f.layout.grid else { return PodHits::new() };
    let key = (f.picture, palette::is_light());
    if heat.painted != Some(key) {
        heat.paint(f, &grid);
        heat.painted = Some(key);
    }
    let px = super::layout::TILE * f.camera.zoom;
    if px < PODS_FROM_PX {
        heat.copy(f, &grid);
        return PodHits::new();
    }
    let mut hits = PodHits::new();
    for (n, r) in visible(f, &grid, &heat.cells) {
        draw_tile(f, n, &r, px, &mut hits);
    }
    hits
}

impl HeatMap {
    /// Paints every tile into the image: a pixel buffer written once, then put whole.
    fn paint(&mut self, f: &Frame, grid: &TileGrid) {
        self.cells = vec![None; grid.cols * grid.rows];
        let (w, h) = (grid.cols * CELL_PX, grid.rows * CELL_PX);
        let mut pixels = vec![0u8; w * h * 4];
        let workers = f.view.nodes.iter().filter(|n| !n.control_plane);
        let fullest = workers.map(|n| n.pods.len()).max().unwrap_or(0).max(1);
        let (panel, pod, stopped, not_ready) =
            (rgb(palette::panel()), rgb(palette::POD), rgb(palette::stopped_fill()), rgb(palette::NOT_READY));
        let layout_key = Some((*grid, f.layout.node_rects.len()));
        if self.node_cells_for != layout_key {
            self.node_cells.clear();
            self.node_cells_for = layout_key;
        }
        for (i, n) in f.view.nodes.iter().enumerate() {
            let Some(cell) = self.node_cell(f, grid, i, &n.name) else { continue };
            let Some(slot) = self.cells.get_mut(cell) else { continue };
            *slot = Some(i);
            let fill = match (n.powered, n.pods.len()) {
                (false, _) => stopped,
                (true, 0) => panel,
                (true, pods) => {
                    let level = (pods * LEVELS / fullest).clamp(1, LEVELS);
                    blend(panel, pod, 0.2 + 0.8 * level as f64 / LEVELS as f64)
                }
            };
            let ring = n.ready != "True";
            let (x0, y0) = ((cell % grid.cols) * CELL_PX, (cell / grid.cols) * CELL_PX);
            for y in 0..CELL_PX - 1 {
                for x in 0..CELL_PX - 1 {
                    let edge = x == 0 || y == 0 || x == CELL_PX - 2 || y == CELL_PX - 2;
                    let [r, g, b] = if ring && edge { not_ready } else { fill };
                    let at = ((y0 + y) * w + x0 + x) * 4;
                    if let Some(p) = pixels.get_mut(at..at + 4) {
                        p.copy_from_slice(&[r, g, b, 255]);
                    }
                }
            }
        }
        let Some((canvas, ctx)) = self.image.take().or_else(new_canvas) else { return };
        if canvas.width() != w as u32 || canvas.height() != h as u32 {
            canvas.set_width(w as u32);
            canvas.set_height(h as u32);
        }
        if let Ok(data) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), w as u32, h as u32) {
            let _ = ctx.put_image_data(&data, 0.0, 0.0);
        }
        self.image = Some((canvas, ctx));
    }

    /// The grid cell of the view's `i`th node, `name`.
    fn node_cell(&mut self, f: &Frame, grid: &TileGrid, i: usize, name: &str) -> Option<usize> {
        if let Some((known, cell)) = self.node_cells.get(i) {
            if known == name {
                return *cell;
            }
        }
        let cell = f.layout.node_rects.get(name).map(|r| grid.cell(r));
        // The nodes are asked for in order, so `i` is at most one past the end.
        self.node_cells.truncate(i);
        self.node_cells.push((name.to_string(), cell));
        cell
    }

    /// Copies the image onto the grid: smoothed when shrunk, crisp pixels when enlarged.
    fn copy(&self, f: &Frame, grid: &TileGrid) {
        let Some((canvas, _)) = &self.image else { return };
        let screen_px_per_cell = grid.pitch * f.camera.zoom * f.dpr;
        f.ctx.set_image_smoothing_enabled(screen_px_per_cell < CELL_PX as f64);
        let (w, h) = (grid.cols as f64 * grid.pitch, grid.rows as f64 * grid.pitch);
        let _ = f.ctx.draw_image_with_html_canvas_element_and_dw_and_dh(canvas, grid.x, grid.y, w, h);
        f.ctx.set_image_smoothing_enabled(true);
    }
}

/// The tiles in the camera's view: their node and rectangle.
fn visible<'a>(
    f: &'a Frame,
    grid: &TileGrid,
    cells: &'a [Option<usize>],
) -> impl Iterator<Item = (&'a NodeView, Rect)> + 'a {
    let cam = f.camera;
    let span = |from: f64, length: f64, count: usize| {
        let first = ((from / grid.pitch).floor().max(0.0) as usize).min(count);
        let last = (((from + length) / grid.pitch).ceil().max(0.0) as usize).min(count);
        first..last
    };
    let cols = span(cam.x - grid.x, f.css_w / cam.zoom, grid.cols);
    let rows = span(cam.y - grid.y, f.css_h / cam.zoom, grid.rows);
    let grid = *grid;
    rows.flat_map(move |row| cols.clone().map(move |col| row * grid.cols + col)).filter_map(move |cell| {
        let n = f.view.nodes.get(cells.get(cell).copied().flatten()?)?;
        Some((n, f.layout.node_rects.get(&n.name).copied()?))
    })
}

/// One tile close up: its pods as chips in their state's colour, and its name when wide enough.
fn draw_tile(f: &Frame, n: &NodeView, r: &Rect, px: f64, hits: &mut PodHits) {
    let ctx = f.ctx;
    let fill = if n.powered { palette::panel() } else { palette::stopped_fill() };
    ctx.set_fill_style_str(fill);
    ctx.fill_rect(r.x, r.y, r.w, r.h);
    if n.ready != "True" {
        ctx.set_stroke_style_str(palette::NOT_READY);
        ctx.set_line_width(4.0);
        ctx.stroke_rect(r.x + 2.0, r.y + 2.0, r.w - 4.0, r.h - 4.0);
    }
    let Some(area) = f.layout.pod_areas.get(&n.name) else { return };
    ctx.set_line_width(0.6);
    ctx.set_stroke_style_str(palette::POD);
    // At least four to a row, so one pod is a chip, not the whole tile.
    let per_row = (n.pods.len() as f64).sqrt().ceil().max(4.0);
    let cell = area.w / per_row;
    for (i, p) in n.pods.iter().enumerate() {
        let (row, col) = ((i as f64 / per_row).floor(), i as f64 % per_row);
        let chip = Rect { x: area.x + col * cell + 0.5, y: area.y + row * cell + 0.5, w: cell - 1.0, h: cell - 1.0 };
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

/// An off-screen canvas for the image.
fn new_canvas() -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let canvas: HtmlCanvasElement = web_sys::window()?.document()?.create_element("canvas").ok()?.dyn_into().ok()?;
    let ctx = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    Some((canvas, ctx))
}

/// A palette colour ("#rrggbb") as bytes; black if it is not one.
fn rgb(hex: &str) -> [u8; 3] {
    let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
    [byte(1), byte(3), byte(5)]
}

/// `over` laid on `under` at opacity `alpha`.
fn blend(under: [u8; 3], over: [u8; 3], alpha: f64) -> [u8; 3] {
    let mix = |u: u8, o: u8| (f64::from(u) * (1.0 - alpha) + f64::from(o) * alpha).round() as u8;
    [mix(under[0], over[0]), mix(under[1], over[1]), mix(under[2], over[2])]
}
