//! ImageLocality (pkg/scheduler/framework/plugins/imagelocality): favours nodes that already
//! hold the pod's images, scaled by how widely each image is spread (so a single node with a
//! popular image does not attract everything). Score only, no NormalizeScore, weight 1.

use crate::sim::api::Pod;
use crate::sim::scheduler::framework::{NodeInfo, MAX_NODE_SCORE};
use std::collections::BTreeMap;

pub const NAME: &str = "ImageLocality";
const MB: i64 = 1024 * 1024;
const MIN_THRESHOLD: i64 = 23 * MB;
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// normalizedImageName: `:latest` when the reference has no tag.
pub fn normalized_image_name(name: &str) -> String {
    if name.rfind(':').unwrap_or(0) <= name.rfind('/').unwrap_or(0) {
        format!("{name}:latest")
    } else {
        name.to_string()
    }
}

/// The normalized image of every init container and container, computed once per cycle.
pub fn pod_images(pod: &Pod) -> Vec<String> {
    pod.spec.init_containers.iter().chain(&pod.spec.containers).map(|c| normalized_image_name(&c.image)).collect()
}

pub fn score(images: &[String], node: &NodeInfo, image_nodes: &BTreeMap<String, i64>, total_nodes: usize) -> i64 {
    let mut sum = 0i64;
    if !node.images.is_empty() {
        for name in images {
            if let Some(size) = node.images.get(name) {
                let spread = *image_nodes.get(name).unwrap_or(&0) as f64 / total_nodes.max(1) as f64;
                sum += (*size as f64 * spread) as i64;
            }
        }
    }
    let max_threshold = MAX_CONTAINER_THRESHOLD * images.len() as i64;
    let sum = sum.clamp(MIN_THRESHOLD, max_threshold.max(MIN_THRESHOLD));
    if max_threshold <= MIN_THRESHOLD {
        return 0;
    }
    MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}
