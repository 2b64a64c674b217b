//! One colour per role and per message kind, everywhere (Okabe–Ito, colour-blind safe).

use crate::sim::component::Role;
use crate::sim::event::MsgKind;

thread_local! {
    static LIGHT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The light theme on or off (the toolbar's toggle; at first the system's preference).
pub fn set_light(on: bool) {
    LIGHT.with(|l| l.set(on));
}

pub fn is_light() -> bool {
    LIGHT.with(|l| l.get())
}

fn themed(dark: &'static str, light: &'static str) -> &'static str {
    if is_light() {
        light
    } else {
        dark
    }
}

pub fn background() -> &'static str {
    themed("#0f1419", "#f6f8fa")
}
pub fn panel() -> &'static str {
    themed("#171d24", "#ffffff")
}
pub fn region() -> &'static str {
    themed("#1b232c", "#e8ecf0")
}
/// Text on the background, regions and boxes.
pub fn ink() -> &'static str {
    themed("#e6edf3", "#1f2328")
}
pub fn muted() -> &'static str {
    themed("#8b98a5", "#57606a")
}
/// A stopped process's outline and fill.
pub fn stopped() -> &'static str {
    themed("#5c6670", "#8c959f")
}
pub fn stopped_fill() -> &'static str {
    themed("#101418", "#eaeef2")
}
/// The lines between components.
pub fn link() -> &'static str {
    themed("#2a3440", "#c4ccd4")
}
/// A veil over what is out of service (a powered-off node, nodes filtered out).
pub fn shade() -> &'static str {
    themed("rgba(15, 20, 25, 0.58)", "rgba(246, 248, 250, 0.7)")
}
/// Text on a coloured fill (pods, tags): white in both themes.
pub const ON_FILL: &str = "#ffffff";
/// Okabe–Ito's yellow, darkened on white where it would vanish.
fn yellow() -> &'static str {
    themed("#F0E442", "#B59F00")
}

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
        Role::KubeProxy => yellow(),
    }
}

pub fn message(k: MsgKind) -> &'static str {
    match k {
        MsgKind::ApiRequest => "#56B4E9",
        MsgKind::ApiResponse => "#0072B2",
        MsgKind::WatchEvent => "#CC79A7",
        MsgKind::RaftVote => "#E69F00",
        MsgKind::RaftAppend => "#009E73",
        MsgKind::EtcdGrpc => yellow(),
        MsgKind::Cloud => "#D55E00",
        MsgKind::Traffic => themed("#E8E8E8", "#424a53"),
    }
}

pub const POD: &str = "#D55E00";
/// What a lesson step points at.
pub fn highlight() -> &'static str {
    yellow()
}
/// What the inspector shows.
pub fn selected() -> &'static str {
    themed("#ffffff", "#1f2328")
}
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
