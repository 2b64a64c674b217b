//! Built-in scenarios, opened with `#preset=NAME`: the default cluster, the lessons and the
//! scale presets. A lesson is a scenario file in `src/scenario/lessons/`, compiled into the
//! page; a scale preset is generated (see [`super::scale`]).

use super::Scenario;

/// Lessons in the picker's order: (name, scenario JSON).
const LESSONS: &[(&str, &str)] = &[
    ("request-journey", include_str!("lessons/request-journey.json")),
    ("rbac", include_str!("lessons/rbac.json")),
    ("webhooks", include_str!("lessons/webhooks.json")),
    ("crds", include_str!("lessons/crds.json")),
    ("operator", include_str!("lessons/operator.json")),
    ("watch-vs-list", include_str!("lessons/watch-vs-list.json")),
    ("raft-election", include_str!("lessons/raft-election.json")),
    ("quorum-loss", include_str!("lessons/quorum-loss.json")),
    ("encryption-at-rest", include_str!("lessons/encryption-at-rest.json")),
    ("scheduling-cycle", include_str!("lessons/scheduling-cycle.json")),
    ("preemption", include_str!("lessons/preemption.json")),
    ("node-failure", include_str!("lessons/node-failure.json")),
    ("drain", include_str!("lessons/drain.json")),
    ("namespaces-gc", include_str!("lessons/namespaces-gc.json")),
    ("daemonsets", include_str!("lessons/daemonsets.json")),
    ("pod-lifecycle", include_str!("lessons/pod-lifecycle.json")),
    ("probes", include_str!("lessons/probes.json")),
    ("storage", include_str!("lessons/storage.json")),
    ("services", include_str!("lessons/services.json")),
    ("service-traffic", include_str!("lessons/service-traffic.json")),
    ("control-plane-down", include_str!("lessons/control-plane-down.json")),
    ("leader-election", include_str!("lessons/leader-election.json")),
    ("load-balancer", include_str!("lessons/load-balancer.json")),
    ("transports", include_str!("lessons/transports.json")),
    ("eviction", include_str!("lessons/eviction.json")),
];

/// The built-in scenario called `name`.
pub fn get(name: &str) -> Result<Scenario, String> {
    let mut s = match (name, super::scale::get(name)) {
        ("default", _) => Scenario::default(),
        (_, Some(scale)) => scale,
        _ => {
            let (_, json) = LESSONS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                let scale = super::scale::SHAPES.iter().map(|s| s.name);
                let names: Vec<&str> =
                    std::iter::once("default").chain(LESSONS.iter().map(|(n, _)| *n)).chain(scale).collect();
                format!("unknown preset \"{name}\" (one of: {})", names.join(", "))
            })?;
            serde_json::from_slice(json.as_bytes()).map_err(|e| format!("preset \"{name}\" is broken: {e}"))?
        }
    };
    s.preset = Some(name.to_string());
    Ok(s)
}

/// Every lesson: (name, title, summary), for the picker.
pub fn lessons() -> Vec<(&'static str, String, String)> {
    LESSONS
        .iter()
        .filter_map(|(name, _)| {
            let lesson = get(name).ok()?.lesson?;
            Some((*name, lesson.title, lesson.summary))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_parses_and_builds() {
        for (name, _) in LESSONS {
            let s = get(name).unwrap();
            assert!(s.lesson.as_ref().is_some_and(|l| !l.steps.is_empty()), "{name}");
            s.build().unwrap();
        }
        assert_eq!(lessons().len(), LESSONS.len());
    }
}
