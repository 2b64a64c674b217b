//! KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1): profiles selected by
//! schedulerName, plugins enabled or disabled per extension point and through multiPoint
//! (`*` disables every default), pluginConfig args and percentageOfNodesToScore — merged onto
//! the default plugins the way kube-scheduler expands them.

use super::framework::{ResourceName, WeightedResources};
use super::plugins::node_resources_fit::{scale_shape, Strategy};
use super::plugins::{Plugin, Point, VOLUME_PLUGINS};
use super::profile::Profile;
use serde_json::Value;

pub const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";

/// Every profile in the configuration; the default profile when there are none.
pub fn parse(config: &Value) -> Result<Vec<Profile>, String> {
    if config.get("kind").and_then(Value::as_str) != Some("KubeSchedulerConfiguration") {
        return Err("no kind \"KubeSchedulerConfiguration\" in the scheduler configuration".into());
    }
    let version = config.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    if version != API_VERSION {
        return Err(format!("no kind \"KubeSchedulerConfiguration\" is registered for version \"{version}\""));
    }
    let global = percentage(config)?;
    let profiles = config.get("profiles").and_then(Value::as_array).cloned().unwrap_or_default();
    if profiles.is_empty() {
        return Ok(vec![Profile { percentage_of_nodes_to_score: global, ..Profile::default() }]);
    }
    let mut out: Vec<Profile> = Vec::new();
    for p in &profiles {
        let mut profile = profile(p)?;
        profile.percentage_of_nodes_to_score = percentage(p)?.or(global);
        if out.iter().any(|o| o.scheduler_name == profile.scheduler_name) {
            return Err(format!("duplicate profile with scheduler name \"{}\"", profile.scheduler_name));
        }
        out.push(profile);
    }
    Ok(out)
}

fn percentage(v: &Value) -> Result<Option<i32>, String> {
    match v.get("percentageOfNodesToScore").and_then(Value::as_i64) {
        Some(p) if !(0..=100).contains(&p) => {
            Err(format!("percentageOfNodesToScore: Invalid value: {p}: not in valid range [0-100]"))
        }
        p => Ok(p.map(|p| p as i32)),
    }
}

/// (name, weight) pairs of a PluginSet's enabled or disabled list.
fn names(set: Option<&Value>, field: &str) -> Vec<(String, i64)> {
    let list = set.and_then(|s| s.get(field)).and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .map(|p| {
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            (name, p.get("weight").and_then(Value::as_i64).unwrap_or(0))
        })
        .collect()
}

fn known(name: &str) -> Result<Option<Plugin>, String> {
    match Plugin::from_name(name) {
        Some(p) => Ok(Some(p)),
        None if VOLUME_PLUGINS.contains(&name) || name == "*" => Ok(None),
        None => Err(format!("plugin \"{name}\" does not exist")),
    }
}

fn profile(p: &Value) -> Result<Profile, String> {
    let mut profile = Profile {
        scheduler_name: p.get("schedulerName").and_then(Value::as_str).unwrap_or("default-scheduler").to_string(),
        ..Profile::default()
    };
    let plugins = p.get("plugins");
    // multiPoint: the defaults, minus what is disabled, plus what is enabled (with weights).
    let mut multi: Vec<(Plugin, i64)> =
        Plugin::ALL.iter().filter(|p| p.in_defaults()).map(|p| (*p, p.default_weight())).collect();
    let set = plugins.and_then(|s| s.get("multiPoint"));
    for (name, _) in names(set, "disabled") {
        known(&name)?;
        multi.retain(|(p, _)| name != "*" && p.name() != name);
    }
    for (name, weight) in names(set, "enabled") {
        let Some(plugin) = known(&name)? else { continue };
        match multi.iter_mut().find(|(p, _)| *p == plugin) {
            Some(entry) if weight > 0 => entry.1 = weight,
            Some(_) => {}
            None => multi.push((plugin, if weight > 0 { weight } else { plugin.default_weight().max(1) })),
        }
    }
    for point in Point::ALL {
        let set = plugins.and_then(|s| s.get(point.config_name()));
        let disabled = names(set, "disabled");
        for (name, _) in &disabled {
            known(name)?;
        }
        let off = |p: Plugin| disabled.iter().any(|(n, _)| n == "*" || n == p.name());
        let base: Vec<(Plugin, i64)> = multi.iter().copied().filter(|(p, _)| p.implements(point) && !off(*p)).collect();
        let mut explicit: Vec<(Plugin, i64)> = Vec::new();
        for (name, weight) in names(set, "enabled") {
            let Some(plugin) = known(&name)? else { continue };
            if !plugin.implements(point) {
                return Err(format!("plugin \"{name}\" does not extend {} plugin", point.config_name()));
            }
            explicit.push((plugin, weight));
        }
        // Overrides keep their configured order, then the rest of multiPoint, then additions.
        let mut list: Vec<(Plugin, i64)> = Vec::new();
        for (p, w) in explicit.iter().filter(|(p, _)| base.iter().any(|(b, _)| b == p)) {
            let bw = base.iter().find(|(b, _)| b == p).map_or(0, |(_, w)| *w);
            list.push((*p, if *w > 0 { *w } else { bw }));
        }
        list.extend(base.iter().filter(|(b, _)| !explicit.iter().any(|(p, _)| p == b)));
        list.extend(explicit.iter().filter(|(p, _)| !base.iter().any(|(b, _)| b == p)));
        match profile.plugins_mut(point) {
            Some(v) => *v = list.into_iter().map(|(p, _)| p).collect(),
            None if point == Point::Score => {
                profile.score = list.into_iter().map(|(p, w)| (p, if w > 0 { w } else { 1 })).collect()
            }
            None => {}
        }
    }
    for pc in p.get("pluginConfig").and_then(Value::as_array).into_iter().flatten() {
        let name = pc.get("name").and_then(Value::as_str).unwrap_or_default();
        let args = pc.get("args").cloned().unwrap_or(Value::Null);
        plugin_args(&mut profile, name, &args).map_err(|e| format!("pluginConfig[{name}]: {e}"))?;
    }
    Ok(profile)
}

fn resources(v: Option<&Value>) -> Result<Option<WeightedResources>, String> {
    let Some(list) = v.and_then(Value::as_array) else { return Ok(None) };
    let mut out = Vec::new();
    for r in list {
        let name = r.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        let weight = r.get("weight").and_then(Value::as_i64).unwrap_or(1);
        if !(1..=100).contains(&weight) {
            return Err(format!(
                "resources[{}].weight: Invalid value: {weight}: resource weight of {name} not in valid range [1, 100]",
                out.len()
            ));
        }
        out.push((ResourceName::parse(&name), weight));
    }
    Ok(Some(out))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(|s| s.as_str().map(String::from)).collect()
}

/// An API type inside the configuration, read from its JSON bytes: the same deserializer the
/// object store uses, so the page carries no second copy of these types' parsers.
fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
    serde_json::from_slice(v.to_string().as_bytes()).map_err(|e| e.to_string())
}

fn plugin_args(profile: &mut Profile, name: &str, args: &Value) -> Result<(), String> {
    let int = |field: &str| args.get(field).and_then(Value::as_i64);
    match name {
        "NodeResourcesFit" => {
            let fit = &mut profile.fit;
            fit.ignored_resources = strings(args.get("ignoredResources"));
            fit.ignored_resource_groups = strings(args.get("ignoredResourceGroups"));
            if let Some(s) = args.get("scoringStrategy") {
                if let Some(r) = resources(s.get("resources"))? {
                    fit.resources = r;
                }
                fit.strategy = match s.get("type").and_then(Value::as_str).unwrap_or("LeastAllocated") {
                    "LeastAllocated" => Strategy::LeastAllocated,
                    "MostAllocated" => Strategy::MostAllocated,
                    "RequestedToCapacityRatio" => {
                        let shape = s.pointer("/requestedToCapacityRatio/shape").and_then(Value::as_array);
                        let points: Vec<(i64, i64)> = shape
                            .into_iter()
                            .flatten()
                            .map(|p| {
                                (
                                    p.get("utilization").and_then(Value::as_i64).unwrap_or(0),
                                    p.get("score").and_then(Value::as_i64).unwrap_or(0),
                                )
                            })
                            .collect();
                        if points.is_empty() {
                            return Err("scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified".into());
                        }
                        Strategy::RequestedToCapacityRatio(scale_shape(&points))
                    }
                    other => return Err(format!("scoringStrategy.type: Unsupported value: \"{other}\"")),
                };
            }
        }
        "NodeResourcesBalancedAllocation" => {
            if let Some(r) = resources(args.get("resources"))? {
                profile.balanced_resources = r;
            }
        }
        "NodeAffinity" => {
            if let Some(a) = args.get("addedAffinity") {
                profile.node_affinity.added_affinity = Some(typed(a)?);
            }
        }
        "PodTopologySpread" => {
            if let Some(c) = args.get("defaultConstraints") {
                profile.spread.default_constraints = typed(c)?;
            }
            let listed = !profile.spread.default_constraints.is_empty();
            match args.get("defaultingType").and_then(Value::as_str) {
                None => profile.spread.system_defaulting = !listed,
                Some("System") if listed => {
                    return Err(
                        "defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty".into()
                    )
                }
                Some("System") => profile.spread.system_defaulting = true,
                Some("List") => profile.spread.system_defaulting = false,
                Some(other) => return Err(format!("defaultingType: Unsupported value: \"{other}\"")),
            }
        }
        "InterPodAffinity" => {
            if let Some(w) = int("hardPodAffinityWeight") {
                if !(0..=100).contains(&w) {
                    return Err(format!("hardPodAffinityWeight: Invalid value: {w}: not in valid range [0, 100]"));
                }
                profile.affinity.hard_pod_affinity_weight = w;
            }
            if let Some(b) = args.get("ignorePreferredTermsOfExistingPods").and_then(Value::as_bool) {
                profile.affinity.ignore_preferred_terms_of_existing_pods = b;
            }
        }
        "Coscheduling" => {
            if let Some(t) = int("permitWaitingTimeSeconds") {
                if t <= 0 {
                    return Err(format!("permitWaitingTimeSeconds: Invalid value: {t}: must be greater than 0"));
                }
                profile.coscheduling.permit_waiting_time_seconds = t;
            }
        }
        "DefaultPreemption" => {
            if let Some(p) = int("minCandidateNodesPercentage") {
                profile.preemption.min_candidate_nodes_percentage = p;
            }
            if let Some(a) = int("minCandidateNodesAbsolute") {
                profile.preemption.min_candidate_nodes_absolute = a;
            }
        }
        other => {
            known(other)?;
        }
    }
    Ok(())
}
