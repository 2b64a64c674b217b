//! The controls around the canvas.

pub mod apply_panel;
pub mod console;
pub mod edit_panel;
pub mod fault_menu;
pub mod inspect_panel;
pub mod legend;
pub mod lesson_panel;
pub mod lesson_picker;
pub mod metrics_panel;
pub mod network_panel;
pub mod requests_panel;
pub mod scheduler_panel;
pub mod share_panel;
pub mod timeline_bar;
pub mod toolbar;
pub mod transport_panel;

/// Nodes a drop-down lists by name: past this many (a 7,500-node cluster would be 22,500
/// options, 200 ms of building the page's DOM) the rest are reached on the canvas or in the
/// console, as the list's last line says.
pub const NODES_LISTED: usize = 20;

/// The drop-down's last line when `more` nodes are left out, telling where they are.
pub fn more_nodes(more: usize, where_: &str) -> Option<String> {
    (more > 0).then(|| format!("… {} more nodes: {where_}", thousands(more)))
}

/// 7500 → "7,500".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the side panel shows above the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Chart,
    Scheduler,
    Apply,
    Requests,
    Lessons,
    Share,
    /// HTTP/1.0, 1.1, 2 and 3 compared.
    Transports,
    /// One connection's walk through a node's kube-proxy rules.
    Network,
    /// What was clicked on the canvas.
    Inspect,
    /// `kubectl edit`'s editor.
    Edit,
}
