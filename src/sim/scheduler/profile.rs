//! A scheduling profile: which plugins run at each extension point, their score weights and
//! their args — the result of merging a KubeSchedulerConfiguration profile onto the default
//! plugins (pkg/scheduler/apis/config/v1/default_plugins.go).

use super::plugins::{
    coscheduling, default_preemption, inter_pod_affinity, node_affinity, node_resources_fit, pod_topology_spread,
    Plugin, Point,
};

#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub scheduler_name: String,
    pub pre_enqueue: Vec<Plugin>,
    pub queue_sort: Vec<Plugin>,
    pub pre_filter: Vec<Plugin>,
    pub filter: Vec<Plugin>,
    pub post_filter: Vec<Plugin>,
    pub pre_score: Vec<Plugin>,
    /// Score plugins with their weights.
    pub score: Vec<(Plugin, i64)>,
    pub permit: Vec<Plugin>,
    pub bind: Vec<Plugin>,
    /// percentageOfNodesToScore (the profile's, else the configuration's); None = adaptive.
    pub percentage_of_nodes_to_score: Option<i32>,
    pub fit: node_resources_fit::Args,
    /// NodeResourcesBalancedAllocationArgs.resources.
    pub balanced_resources: super::framework::WeightedResources,
    pub node_affinity: node_affinity::Args,
    pub spread: pod_topology_spread::Args,
    pub affinity: inter_pod_affinity::Args,
    pub preemption: default_preemption::Args,
    pub coscheduling: coscheduling::Args,
}

impl Default for Profile {
    /// The default profile: every in-tree plugin at every point it implements.
    fn default() -> Self {
        let at = |point| Plugin::ALL.into_iter().filter(|p| p.in_defaults() && p.implements(point)).collect::<Vec<_>>();
        Profile {
            scheduler_name: "default-scheduler".into(),
            pre_enqueue: at(Point::PreEnqueue),
            queue_sort: at(Point::QueueSort),
            pre_filter: at(Point::PreFilter),
            filter: at(Point::Filter),
            post_filter: at(Point::PostFilter),
            pre_score: at(Point::PreScore),
            score: at(Point::Score).into_iter().map(|p| (p, p.default_weight())).collect(),
            permit: at(Point::Permit),
            bind: at(Point::Bind),
            percentage_of_nodes_to_score: None,
            fit: Default::default(),
            balanced_resources: node_resources_fit::default_resources(),
            node_affinity: Default::default(),
            spread: Default::default(),
            affinity: Default::default(),
            preemption: Default::default(),
            coscheduling: Default::default(),
        }
    }
}

impl Profile {
    pub fn plugins_mut(&mut self, point: Point) -> Option<&mut Vec<Plugin>> {
        Some(match point {
            Point::PreEnqueue => &mut self.pre_enqueue,
            Point::QueueSort => &mut self.queue_sort,
            Point::PreFilter => &mut self.pre_filter,
            Point::Filter => &mut self.filter,
            Point::PostFilter => &mut self.post_filter,
            Point::PreScore => &mut self.pre_score,
            Point::Permit => &mut self.permit,
            Point::Bind => &mut self.bind,
            Point::Score | Point::Reserve | Point::PreBind | Point::PostBind => return None,
        })
    }

    pub fn runs(&self, plugin: Plugin, point: Point) -> bool {
        match point {
            Point::Score => self.score.iter().any(|(p, _)| *p == plugin),
            Point::PreEnqueue => self.pre_enqueue.contains(&plugin),
            Point::PreFilter => self.pre_filter.contains(&plugin),
            Point::Filter => self.filter.contains(&plugin),
            Point::PostFilter => self.post_filter.contains(&plugin),
            Point::PreScore => self.pre_score.contains(&plugin),
            Point::Permit => self.permit.contains(&plugin),
            _ => false,
        }
    }
}

/// numFeasibleNodesToFind: every node in small clusters, else a percentage (adaptive by
/// default: 50 − nodes/125, at least 5) and never fewer than 100.
pub fn num_feasible_nodes_to_find(percentage: Option<i32>, nodes: usize) -> usize {
    let pct = percentage.unwrap_or(0) as i64;
    if nodes < 100 || pct >= 100 {
        return nodes;
    }
    let n = nodes as i64;
    let p = if pct > 0 { pct } else { (50 - n / 125).max(5) };
    (n * p / 100).max(100) as usize
}
