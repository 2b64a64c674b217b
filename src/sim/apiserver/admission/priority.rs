//! Priority (plugin/pkg/admission/priority): resolves a pod's priorityClassName to its
//! integer priority and preemption policy — the globalDefault class, or 0, when it names none.

use crate::sim::api::{Pod, PriorityClass};

pub fn admit(pod: &mut Pod, classes: &[&PriorityClass]) -> Result<(), String> {
    let name = &pod.spec.priority_class_name;
    let class = if name.is_empty() {
        // The highest-valued globalDefault class, as upstream picks among several.
        classes.iter().filter(|c| c.global_default).max_by_key(|c| c.value).copied()
    } else {
        match classes.iter().find(|c| c.metadata.name == *name) {
            Some(c) => Some(*c),
            None => return Err(format!("no PriorityClass with name {name} was found")),
        }
    };
    let value = class.map_or(0, |c| c.value);
    if let Some(p) = pod.spec.priority.filter(|p| *p != value) {
        return Err(format!(
            "the integer value of priority ({p}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name"
        ));
    }
    if let Some(c) = class {
        pod.spec.priority_class_name = c.metadata.name.clone();
    }
    pod.spec.priority = Some(value);
    let policy = class.and_then(|c| c.preemption_policy.clone()).unwrap_or_else(|| "PreemptLowerPriority".into());
    pod.spec.preemption_policy = Some(policy);
    Ok(())
}
