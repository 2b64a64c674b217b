//! In-tree plugins, one file per upstream plugin, with upstream names, default weights and the
//! extension points each implements. The framework dispatches on [`Plugin`].

pub mod coscheduling;
pub mod default_preemption;
pub mod image_locality;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod priority_sort;
pub mod scheduling_gates;
pub mod taint_toleration;
pub mod volume_binding;

/// An extension point of the scheduling framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    PreEnqueue,
    QueueSort,
    PreFilter,
    Filter,
    PostFilter,
    PreScore,
    Score,
    Reserve,
    Permit,
    PreBind,
    Bind,
    PostBind,
}

impl Point {
    pub const ALL: [Point; 12] = [
        Point::PreEnqueue,
        Point::QueueSort,
        Point::PreFilter,
        Point::Filter,
        Point::PostFilter,
        Point::PreScore,
        Point::Score,
        Point::Reserve,
        Point::Permit,
        Point::PreBind,
        Point::Bind,
        Point::PostBind,
    ];

    /// The field name in KubeSchedulerConfiguration's `plugins`.
    pub fn config_name(self) -> &'static str {
        match self {
            Point::PreEnqueue => "preEnqueue",
            Point::QueueSort => "queueSort",
            Point::PreFilter => "preFilter",
            Point::Filter => "filter",
            Point::PostFilter => "postFilter",
            Point::PreScore => "preScore",
            Point::Score => "score",
            Point::Reserve => "reserve",
            Point::Permit => "permit",
            Point::PreBind => "preBind",
            Point::Bind => "bind",
            Point::PostBind => "postBind",
        }
    }
}

/// The in-tree plugins the simulator models, in the default profile's multiPoint order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Plugin {
    SchedulingGates,
    PrioritySort,
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    VolumeBinding,
    PodTopologySpread,
    InterPodAffinity,
    DefaultPreemption,
    NodeResourcesBalancedAllocation,
    ImageLocality,
    DefaultBinder,
    /// Out of tree (scheduler-plugins); only in profiles that enable it.
    Coscheduling,
}

/// Default plugins about volumes and DRA that are not modelled (VolumeBinding is): they would
/// Skip or pass the simulated pods; a configuration may name them.
pub const VOLUME_PLUGINS: [&str; 4] = ["VolumeRestrictions", "NodeVolumeLimits", "VolumeZone", "DynamicResources"];

impl Plugin {
    pub const ALL: [Plugin; 16] = [
        Plugin::SchedulingGates,
        Plugin::PrioritySort,
        Plugin::NodeUnschedulable,
        Plugin::NodeName,
        Plugin::TaintToleration,
        Plugin::NodeAffinity,
        Plugin::NodePorts,
        Plugin::NodeResourcesFit,
        Plugin::VolumeBinding,
        Plugin::PodTopologySpread,
        Plugin::InterPodAffinity,
        Plugin::DefaultPreemption,
        Plugin::NodeResourcesBalancedAllocation,
        Plugin::ImageLocality,
        Plugin::DefaultBinder,
        Plugin::Coscheduling,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Plugin::SchedulingGates => "SchedulingGates",
            Plugin::PrioritySort => "PrioritySort",
            Plugin::NodeUnschedulable => "NodeUnschedulable",
            Plugin::NodeName => "NodeName",
            Plugin::TaintToleration => "TaintToleration",
            Plugin::NodeAffinity => "NodeAffinity",
            Plugin::NodePorts => "NodePorts",
            Plugin::NodeResourcesFit => "NodeResourcesFit",
            Plugin::VolumeBinding => "VolumeBinding",
            Plugin::PodTopologySpread => "PodTopologySpread",
            Plugin::InterPodAffinity => "InterPodAffinity",
            Plugin::DefaultPreemption => "DefaultPreemption",
            Plugin::NodeResourcesBalancedAllocation => "NodeResourcesBalancedAllocation",
            Plugin::ImageLocality => "ImageLocality",
            Plugin::DefaultBinder => "DefaultBinder",
            Plugin::Coscheduling => "Coscheduling",
        }
    }

    pub fn from_name(name: &str) -> Option<Plugin> {
        Plugin::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Score weight in the default profile (0 for plugins that do not score).
    pub fn default_weight(self) -> i64 {
        match self {
            Plugin::TaintToleration => 3,
            Plugin::NodeAffinity | Plugin::PodTopologySpread | Plugin::InterPodAffinity => 2,
            Plugin::NodeResourcesFit | Plugin::NodeResourcesBalancedAllocation | Plugin::ImageLocality => 1,
            _ => 0,
        }
    }

    /// Whether the default profile (multiPoint) enables the plugin.
    pub fn in_defaults(self) -> bool {
        self != Plugin::Coscheduling
    }

    /// Whether the plugin implements an extension point (what multiPoint expands to).
    pub fn implements(self, point: Point) -> bool {
        use Plugin::*;
        use Point as P;
        match point {
            P::PreEnqueue => self == SchedulingGates,
            P::QueueSort => self == PrioritySort,
            P::PreFilter => {
                matches!(
                    self,
                    NodeAffinity | NodePorts | NodeResourcesFit | VolumeBinding | PodTopologySpread | InterPodAffinity
                )
            }
            P::Filter => matches!(
                self,
                NodeUnschedulable
                    | NodeName
                    | TaintToleration
                    | NodeAffinity
                    | NodePorts
                    | NodeResourcesFit
                    | PodTopologySpread
                    | InterPodAffinity
            ),
            P::PostFilter => self == DefaultPreemption,
            P::PreScore => matches!(
                self,
                TaintToleration
                    | NodeAffinity
                    | NodeResourcesFit
                    | PodTopologySpread
                    | InterPodAffinity
                    | NodeResourcesBalancedAllocation
            ),
            P::Score => self.default_weight() > 0,
            P::Bind => self == DefaultBinder,
            P::Permit => self == Coscheduling,
            P::Reserve | P::PreBind | P::PostBind => false,
        }
    }

    /// A bit for sets of plugins in CycleState.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}
