//! The controls around the canvas.

pub mod console;
pub mod legend;
pub mod toolbar;
