//! `kubesim link encode FILE.json [--objects APP.yaml]` and `kubesim link decode URL`: share
//! links for tools and tests, through the page's own codec.

use kube_playground::scenario::{link, Scenario};
use kube_playground::sim::time::SimTime;

/// Where the page is published; `--base` overrides it.
const DEFAULT_BASE: &str = "https://kube-playground.dev/";

pub fn encode(args: &[String]) -> Result<String, String> {
    let file = args
        .iter()
        .find(|a| !a.starts_with("--") && !is_flag_value(args, a))
        .ok_or("error: a scenario file is required")?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("error: cannot read {file}: {e}"))?;
    let mut scenario: Scenario =
        serde_json::from_str(&text).map_err(|e| format!("error: {file} is not a scenario: {e}"))?;
    // Initial objects as Kubernetes YAML (the page itself reads JSON only).
    if let Some(path) = super::flag(args, "--objects")? {
        scenario.objects.extend(super::manifest::documents(&super::manifest::read(path)?)?);
    }
    // The same checks as opening the link would make.
    scenario.build()?;
    let base = super::flag(args, "--base")?.unwrap_or(DEFAULT_BASE);
    let fragment = match super::flag(args, "--t")? {
        Some(t) => {
            let secs: f64 = t.parse().map_err(|_| format!("invalid --t \"{t}\""))?;
            link::share(&scenario, SimTime((secs * 1e6) as u64))
        }
        None => format!("s={}", link::encode(&scenario)),
    };
    Ok(format!("{base}#{fragment}"))
}

fn is_flag_value(args: &[String], a: &String) -> bool {
    args.windows(2).any(|w| w[1] == *a && matches!(w[0].as_str(), "--base" | "--t" | "--objects"))
}

pub fn decode(args: &[String]) -> Result<String, String> {
    let url = args.first().ok_or("error: a link is required")?;
    let fragment = url.split_once('#').map_or(url.as_str(), |(_, f)| f);
    let opened = link::open(fragment)?;
    let mut out = serde_json::to_string_pretty(&opened.scenario).map_err(|e| e.to_string())?;
    if let Some(t) = opened.at {
        out.push_str(&format!("\n# opens at t = {t}"));
    }
    Ok(out)
}
