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
