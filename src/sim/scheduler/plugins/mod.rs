//! In-tree plugins, one file per upstream plugin, with upstream names.

pub mod node_name;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod taint_toleration;
