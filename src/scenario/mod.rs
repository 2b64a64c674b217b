//! Scenarios: the one serialisable input of a run — seed, cluster shape, the actions done to
//! it with their moments, and for a lesson its narrated steps. Built-ins, lessons and share
//! links are all scenarios.

pub mod action;
pub mod fragment;
pub mod lesson;
pub mod link;
pub mod narration;
pub mod presets;
pub mod reference;
pub mod scale;
pub mod script;
pub mod session;
pub mod timeline;

use crate::sim::cluster::{build, ClusterSpec};
use crate::sim::Simulation;
use action::Action;
use lesson::Lesson;
use serde::{Deserialize, Serialize};

pub const CURRENT_VERSION: u32 = 1;

/// Version 1, as JSON: `{"version":1,"seed":7,"cluster":{…},"objects":[…],"actions":[…],
/// "lesson":{…}}`.
/// Every field but `version` may be left out; `cluster` fields left out take their defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub version: u32,
    /// The built-in this scenario is (see [`presets`]); a link then names it instead of
    /// carrying it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default, skip_serializing_if = "is_default")]
    pub cluster: ClusterSpec,
    /// Manifests (a JSON array of objects) the admin applies as soon as the cluster is ready
    /// — the scenario's initial objects. Applied, they become an action like any other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<serde_json::Value>,
    /// What was done to the cluster, in order, with the moments it was done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<Lesson>,
}

fn default_seed() -> u64 {
    7
}

fn is_default(c: &ClusterSpec) -> bool {
    *c == ClusterSpec::default()
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            version: CURRENT_VERSION,
            preset: None,
            seed: default_seed(),
            cluster: ClusterSpec::default(),
            objects: vec![],
            actions: vec![],
            lesson: None,
        }
    }
}

impl Scenario {
    pub fn build(&self) -> Result<Simulation, String> {
        if self.version != CURRENT_VERSION {
            return Err(format!(
                "unsupported scenario version {} (this build reads version {CURRENT_VERSION})",
                self.version
            ));
        }
        build(&self.cluster, self.seed)
    }
}
