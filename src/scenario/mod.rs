//! Scenarios: the one serialisable input of a run — seed, cluster shape and timed console
//! commands. Presets and (later) lessons and share links are scenarios.

pub mod fragment;
pub mod reference;
pub mod script;

use crate::sim::cluster::{build, ClusterSpec};
use crate::sim::Simulation;
use serde::{Deserialize, Serialize};

pub const CURRENT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub version: u32,
    pub seed: u64,
    pub cluster: ClusterSpec,
    /// Console lines in the kubesim script dialect (`wait 30s`, `kubectl …`).
    #[serde(default)]
    pub script: Vec<String>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario { version: CURRENT_VERSION, seed: 7, cluster: ClusterSpec::default(), script: vec![] }
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
