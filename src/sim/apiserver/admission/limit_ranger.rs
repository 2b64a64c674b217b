//! LimitRanger (plugin/pkg/admission/limitranger): on pod create, fills missing container
//! requests and limits from the namespace's LimitRange defaults (and says so in the
//! `kubernetes.io/limit-ranger` annotation), then enforces min, max and
//! maxLimitRequestRatio per Container and per Pod, with upstream's messages.

use crate::sim::api::quantity::parse_milli;
use crate::sim::api::{Container, LimitRange, LimitRangeItem, Pod, ResourceList};
use crate::sim::quota::{limits, pod_total, requests, Amount};

pub const ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// SetDefaults_LimitRangeItem: the API's defaulting of a Container item, applied when the
/// LimitRange is stored — default from max, defaultRequest from default, then from min.
pub fn default_item(item: &mut LimitRangeItem) {
    if item.type_ != "Container" {
        return;
    }
    for (r, q) in &item.max {
        item.default.entry(r.clone()).or_insert_with(|| q.clone());
    }
    for (r, q) in &item.default {
        item.default_request.entry(r.clone()).or_insert_with(|| q.clone());
    }
    for (r, q) in &item.min {
        item.default_request.entry(r.clone()).or_insert_with(|| q.clone());
    }
}

/// Fills one container from the defaults; returns the annotation parts it earned.
fn default_container(c: &mut Container, item: &LimitRangeItem, prefix: &str) -> Vec<String> {
    let fill = |have: &mut ResourceList, from: &ResourceList| -> Vec<String> {
        let mut set = Vec::new();
        for (r, q) in from {
            if !have.contains_key(r) {
                have.insert(r.clone(), q.clone());
                set.push(r.clone());
            }
        }
        set
    };
    let set_requests = fill(&mut c.resources.requests, &item.default_request);
    let set_limits = fill(&mut c.resources.limits, &item.default);
    let mut parts = Vec::new();
    if !set_requests.is_empty() {
        parts.push(format!("{} request for {prefix} {}", set_requests.join(", "), c.name));
    }
    if !set_limits.is_empty() {
        parts.push(format!("{} limit for {prefix} {}", set_limits.join(", "), c.name));
    }
    parts
}

/// The mutating half: defaults for every container and init container.
pub fn default_pod(pod: &mut Pod, lr: &LimitRange) {
    let mut parts = Vec::new();
    for item in lr.spec.limits.iter().filter(|i| i.type_ == "Container") {
        for c in &mut pod.spec.containers {
            parts.extend(default_container(c, item, "container"));
        }
        for c in &mut pod.spec.init_containers {
            parts.extend(default_container(c, item, "init container"));
        }
    }
    if !parts.is_empty() {
        pod.metadata.annotations.insert(ANNOTATION.into(), format!("LimitRanger plugin set: {}", parts.join("; ")));
    }
}

/// The validating half: every violation of every item, in upstream's words.
pub fn validate_pod(pod: &Pod, lr: &LimitRange) -> Vec<String> {
    let mut errs = Vec::new();
    for item in &lr.spec.limits {
        match item.type_.as_str() {
            "Container" => {
                for c in pod.spec.containers.iter().chain(&pod.spec.init_containers) {
                    let amount = |list: &ResourceList, r: &str| list.get(r).map(|q| Amount::parse(q));
                    check(
                        item,
                        "Container",
                        &|r| amount(&c.resources.requests, r),
                        &|r| amount(&c.resources.limits, r),
                        &mut errs,
                    );
                }
            }
            "Pod" => check(item, "Pod", &|r| pod_total(pod, r, requests), &|r| pod_total(pod, r, limits), &mut errs),
            _ => {}
        }
    }
    errs
}

type Get<'a> = &'a dyn Fn(&str) -> Option<Amount>;

fn check(item: &LimitRangeItem, t: &str, request: Get, limit: Get, errs: &mut Vec<String>) {
    let enforced = |q: &String| Amount::parse(q);
    for (r, q) in &item.min {
        let min = enforced(q);
        match (request(r), limit(r)) {
            (None, _) => errs.push(format!("minimum {r} usage per {t} is {}.  No request is specified", min.text())),
            (Some(req), _) if req.milli < min.milli => {
                errs.push(format!("minimum {r} usage per {t} is {}, but request is {}", min.text(), req.text()))
            }
            (_, Some(lim)) if lim.milli < min.milli => {
                errs.push(format!("minimum {r} usage per {t} is {}, but limit is {}", min.text(), lim.text()))
            }
            _ => {}
        }
    }
    for (r, q) in &item.max {
        let max = enforced(q);
        match (request(r), limit(r)) {
            (_, None) => errs.push(format!("maximum {r} usage per {t} is {}.  No limit is specified", max.text())),
            (_, Some(lim)) if lim.milli > max.milli => {
                errs.push(format!("maximum {r} usage per {t} is {}, but limit is {}", max.text(), lim.text()))
            }
            (Some(req), _) if req.milli > max.milli => {
                errs.push(format!("maximum {r} usage per {t} is {}, but request is {}", max.text(), req.text()))
            }
            _ => {}
        }
    }
    for (r, q) in &item.max_limit_request_ratio {
        let ratio = enforced(q);
        let head = format!("{r} max limit to request ratio per {t} is {}", ratio.text());
        match (request(r).filter(|a| a.milli != 0), limit(r).filter(|a| a.milli != 0)) {
            (None, _) => errs.push(format!("{head}, but no request is specified or request is 0")),
            (_, None) => errs.push(format!("{head}, but no limit is specified or limit is 0")),
            (Some(req), Some(lim)) => {
                // Compared in millis, as upstream does when the values fit.
                if lim.milli * 1000 / req.milli > ratio.milli {
                    let shown = lim.milli as f64 / req.milli as f64;
                    errs.push(format!("{head}, but provided ratio is {shown:.6}"));
                }
            }
        }
    }
}

/// Whether a LimitRange's quantities parse (validation of the LimitRange itself).
pub fn invalid_quantities(lr: &LimitRange) -> Vec<String> {
    let mut errs = Vec::new();
    for (i, item) in lr.spec.limits.iter().enumerate() {
        let lists = [
            ("max", &item.max),
            ("min", &item.min),
            ("default", &item.default),
            ("defaultRequest", &item.default_request),
            ("maxLimitRequestRatio", &item.max_limit_request_ratio),
        ];
        for (field, list) in lists {
            for (r, q) in list {
                if let Err(e) = parse_milli(q) {
                    errs.push(format!("spec.limits[{i}].{field}[{r}]: Invalid value: \"{q}\": {e}"));
                }
            }
        }
        if !["Container", "Pod", "PersistentVolumeClaim"].contains(&item.type_.as_str()) {
            errs.push(format!(
                "spec.limits[{i}].type: Unsupported value: \"{}\": supported values: \"Container\", \"PersistentVolumeClaim\", \"Pod\"",
                item.type_
            ));
        }
    }
    errs
}
