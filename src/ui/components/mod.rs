//! The controls around the canvas.

pub mod apply_panel;
pub mod console;
pub mod fault_menu;
pub mod legend;
pub mod scheduler_panel;
pub mod toolbar;
