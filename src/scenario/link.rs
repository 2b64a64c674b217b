//! Share links. The page's URL fragment carries a scenario and how to show it:
//!
//! - `#s=` + base64url(deflate(scenario JSON)): a whole scenario with everything done so far.
//!   A scenario opened from a built-in is written as `{"version":1,"preset":NAME,"actions":[…]}`.
//! - `#preset=NAME`: a built-in scenario or lesson.
//! - `&t=SECONDS`: open at that simulated moment (the actions up to it replay first).
//! - `&embed`, `&autoplay`, `&present`, `&speed=N`,
//!   `&view=cluster|raft|scheduler|requests|network|transports`, `&theme=light|dark`: how the
//!   page shows it.
//! - the cluster keys of [`super::fragment`] (`members=5`, `seed=42`, …).
//!
//! Everything from a link is data: nothing in it is ever interpreted as HTML or script.

use super::{presets, Scenario, CURRENT_VERSION};
use crate::sim::time::SimTime;
use base64::Engine as _;

/// Longer fragments are refused before decoding.
pub const MAX_LINK_BYTES: usize = 64 * 1024;
/// A decompressed scenario may not exceed this (a small link must not inflate to gigabytes).
const MAX_SCENARIO_BYTES: usize = 1024 * 1024;

/// How the page shows what a link opens.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Show {
    pub embed: bool,
    pub autoplay: bool,
    pub present: bool,
    pub speed: Option<f64>,
    pub view: Option<String>,
    /// `&theme=light` or `dark` (an embed matching its host page); else the reader's choice.
    pub light: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Opened {
    pub scenario: Scenario,
    /// `&t=`: the moment to open at.
    pub at: Option<SimTime>,
    pub show: Show,
}

/// Reads a URL fragment (with or without its `#`). Errors are sentences for the page.
pub fn open(fragment: &str) -> Result<Opened, String> {
    let fragment = fragment.trim_start_matches('#');
    if fragment.len() > MAX_LINK_BYTES {
        return Err(format!(
            "This link is too long ({} KB; links hold at most {} KB).",
            fragment.len() / 1024,
            MAX_LINK_BYTES / 1024
        ));
    }
    let mut scenario = Scenario::default();
    let mut at = None;
    let mut show = Show::default();
    let mut cluster_keys = Vec::new();
    for pair in fragment.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "s" => scenario = decode(value)?,
            "preset" => scenario = presets::get(value)?,
            "t" => {
                let secs: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
                    .ok_or_else(|| format!("invalid link: t={value} (expected seconds, up to 86400)"))?;
                at = Some(SimTime((secs * 1e6).round() as u64));
            }
            "embed" => show.embed = true,
            "autoplay" => show.autoplay = value != "false",
            "present" => show.present = true,
            "speed" => {
                let s: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0 && *s <= 1000.0)
                    .ok_or_else(|| format!("invalid link: speed={value} (expected a number up to 1000)"))?;
                show.speed = Some(s);
            }
            "view" => show.view = Some(value.to_string()),
            "theme" => {
                show.light = match value {
                    "light" => Some(true),
                    "dark" => Some(false),
                    _ => return Err(format!("invalid link: theme={value} (light or dark)")),
                }
            }
            _ => cluster_keys.push(pair),
        }
    }
    if !cluster_keys.is_empty() {
        let before = scenario.cluster.clone();
        scenario = super::fragment::apply(&cluster_keys.join("&"), scenario)?;
        if scenario.cluster != before {
            // No longer the built-in: links write it out whole.
            scenario.preset = None;
        }
    }
    Ok(Opened { scenario, at, show })
}

/// The `s=` value for a scenario.
pub fn encode(s: &Scenario) -> String {
    let json = match &s.preset {
        Some(name) => serde_json::json!({"version": s.version, "preset": name, "actions": s.actions}),
        None => {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            // Cluster settings left at their defaults are left out: they come back on reading.
            let defaults = serde_json::to_value(crate::sim::cluster::ClusterSpec::default()).unwrap_or_default();
            if let (Some(c), Some(d)) = (v.get_mut("cluster").and_then(|c| c.as_object_mut()), defaults.as_object()) {
                c.retain(|k, value| d.get(k) != Some(value));
            }
            v
        }
    }
    .to_string();
    let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed)
}

/// The fragment of a share link: the scenario and the moment, `s=…&t=12.5`.
pub fn share(s: &Scenario, at: SimTime) -> String {
    format!("s={}&t={}", encode(s), format_seconds(at))
}

/// Seconds with at most microsecond precision and no trailing zeros.
fn format_seconds(t: SimTime) -> String {
    let text = format!("{}.{:06}", t.0 / 1_000_000, t.0 % 1_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads an `s=` value.
pub fn decode(value: &str) -> Result<Scenario, String> {
    let damaged = |why: String| format!("This link is damaged ({why}). Ask for a fresh copy of it.");
    let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|e| damaged(format!("not base64url: {e}")))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_SCENARIO_BYTES).map_err(|e| {
        if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
            format!("This link's scenario is larger than {} KB.", MAX_SCENARIO_BYTES / 1024)
        } else {
            damaged(format!("not deflate data: {e}"))
        }
    })?;
    // The version first, so that a newer link is told apart from a damaged one. Everything
    // goes through `from_slice`, the one JSON deserializer the page already has.
    #[derive(serde::Deserialize)]
    struct Version {
        #[serde(default)]
        version: u64,
    }
    let version =
        serde_json::from_slice::<Version>(&json).map_err(|e| damaged(format!("not a scenario: {e}")))?.version;
    if version > u64::from(CURRENT_VERSION) {
        return Err(format!(
            "This link was made by a newer Kube Playground (scenario version {version}; this page reads version {CURRENT_VERSION}). Reload to get the latest page."
        ));
    }
    let s: Scenario = serde_json::from_slice(&json).map_err(|e| damaged(format!("not a scenario: {e}")))?;
    match &s.preset {
        Some(name) => Ok(Scenario { actions: s.actions, ..presets::get(name)? }),
        None => Ok(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::action::{Action, Do};

    #[test]
    fn a_scenario_survives_the_round_trip() {
        let mut s = Scenario { seed: 42, ..Scenario::default() };
        s.cluster.etcd_members = 5;
        s.actions.push(Action { at: 2_000_000, step: 900, what: Do::Run("kubectl get pods".into()) });
        let opened = open(&format!("#{}", share(&s, SimTime(12_500_000)))).unwrap();
        assert_eq!(opened.scenario, s);
        assert_eq!(opened.at, Some(SimTime(12_500_000)));
    }

    #[test]
    fn presets_travel_by_name() {
        let mut s = presets::get("default").unwrap();
        s.actions.push(Action { at: 1, step: 1, what: Do::Interrupt });
        let value = encode(&s);
        assert!(value.len() < 100, "{value}");
        assert_eq!(decode(&value).unwrap(), s);
    }

    #[test]
    fn show_flags_and_cluster_keys() {
        let o = open("#preset=default&embed&autoplay&speed=5&view=raft&theme=light&members=5").unwrap();
        assert_eq!(
            o.show,
            Show {
                embed: true,
                autoplay: true,
                present: false,
                speed: Some(5.0),
                view: Some("raft".into()),
                light: Some(true)
            }
        );
        assert_eq!(o.scenario.cluster.etcd_members, 5);
        assert_eq!(o.scenario.preset, None, "changed cluster: no longer the built-in");
        assert_eq!(format_seconds(SimTime(12_000_000)), "12");
        assert_eq!(format_seconds(SimTime(1_250_000)), "1.25");
    }

    #[test]
    fn bad_links_say_what_is_wrong() {
        assert!(open("#s=%%%").unwrap_err().starts_with("This link is damaged (not base64url"));
        assert!(open("#s=AAAA").unwrap_err().starts_with("This link is damaged"));
        let garbage = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(miniz_oxide::deflate::compress_to_vec(b"{\"version\":1,\"seed\":\"x\"}", 9));
        assert!(open(&format!("s={garbage}")).unwrap_err().contains("not a scenario"));
        let future = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(miniz_oxide::deflate::compress_to_vec(b"{\"version\":9,\"seed\":1}", 9));
        assert!(open(&format!("s={future}")).unwrap_err().contains("newer Kube Playground (scenario version 9"));
        let bomb = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(miniz_oxide::deflate::compress_to_vec(&vec![b' '; 2 * MAX_SCENARIO_BYTES], 9));
        assert!(open(&format!("s={bomb}")).unwrap_err().contains("larger than 1024 KB"));
        assert!(open(&"a".repeat(MAX_LINK_BYTES + 1)).unwrap_err().starts_with("This link is too long"));
        assert!(open("#t=-1").is_err() && open("#speed=0").is_err());
        assert_eq!(open("#theme=pink").unwrap_err(), "invalid link: theme=pink (light or dark)");
        assert!(open("#preset=nope").unwrap_err().starts_with("unknown preset \"nope\""));
    }
}
