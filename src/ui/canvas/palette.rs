//! One colour per role and per message kind, everywhere (Okabe–Ito, colour-blind safe).

use crate::sim::component::Role;
use crate::sim::event::MsgKind;

pub const BACKGROUND: &str = "#0f1419";
pub const PANEL: &str = "#171d24";
pub const REGION: &str = "#1b232c";
pub const TEXT: &str = "#e6edf3";
pub const MUTED: &str = "#8b98a5";
/// A stopped process's outline and fill.
pub const STOPPED: &str = "#5c6670";
pub const STOPPED_FILL: &str = "#101418";

pub fn role(r: Role) -> &'static str {
    match r {
        Role::User => "#bbbbbb",
        Role::ApiServer => "#0072B2",
        Role::Etcd => "#009E73",
        Role::Scheduler => "#E69F00",
        Role::ControllerManager => "#CC79A7",
        Role::CloudControllerManager => "#D55E00",
        Role::Cloud => "#D55E00",
        Role::Kubelet => "#56B4E9",
        Role::KubeProxy => "#F0E442",
    }
}

pub fn message(k: MsgKind) -> &'static str {
    match k {
        MsgKind::ApiRequest => "#56B4E9",
        MsgKind::ApiResponse => "#0072B2",
        MsgKind::WatchEvent => "#CC79A7",
        MsgKind::RaftVote => "#E69F00",
        MsgKind::RaftAppend => "#009E73",
        MsgKind::EtcdGrpc => "#F0E442",
        MsgKind::Cloud => "#D55E00",
        MsgKind::Traffic => "#E8E8E8",
    }
}

pub const POD: &str = "#D55E00";
/// What a lesson step points at.
pub const HIGHLIGHT: &str = "#F0E442";
/// What the inspector shows.
pub const SELECTED: &str = "#ffffff";
/// A node the control plane sees NotReady or Unknown.
pub const NOT_READY: &str = "#a23b2a";

/// Pod chip fill and a one-letter second cue for its state (a running pod that is not
/// ready — READY 0/1 — is dimmer, with a hollow cue).
pub fn pod_state(status: &str, ready: bool) -> (&'static str, &'static str) {
    match status {
        "Running" if ready => (POD, "R"),
        "Running" => ("#8a3d0c", "○"),
        "Terminating" => ("#5c6670", "T"),
        "Pulling" => ("#7a3e12", "↓"),
        "Completed" => ("#3a4450", "✓"),
        "Error" | "CrashLoopBackOff" | "CreateContainerConfigError" => ("#a23b2a", "!"),
        "Evicted" => ("#a23b2a", "E"),
        _ => ("#4a2a14", "…"),
    }
}
