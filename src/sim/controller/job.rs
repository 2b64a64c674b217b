//! The Job controller (pkg/controller/job): keeps `parallelism` pods running (never more than
//! the completions still missing), counts the pods that succeeded and failed, marks the Job
//! Complete once `completions` succeeded — or Failed, deleting what still runs, once more
//! than `backoffLimit` failed — and keeps the status (active, succeeded, failed, start and
//! completion time). Pods are labelled `batch.kubernetes.io/job-name` and owned by the Job.
//! Not modelled: indexed completion, pod failure policies, the failed-pod back-off delay,
//! activeDeadlineSeconds, TTL after finished, suspension.

use crate::sim::api::meta::Time;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Condition, Job, JobStatus, Object, ObjectMeta, OwnerReference, Pod};
use crate::sim::client::Informer;
use crate::sim::time::SimTime;

pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";

/// What a sync decided: the writes, and an event (reason, message, warning) to record.
pub struct Sync {
    pub requests: Vec<ApiRequest>,
    pub event: Option<(&'static str, String, bool)>,
    /// Pods created, for the expectations.
    pub creating: i32,
}

fn pod_from_template(job: &Job) -> Pod {
    let mut labels = job.spec.template.metadata.labels.clone();
    labels.insert(JOB_NAME_LABEL.into(), job.metadata.name.clone());
    labels.insert("job-name".into(), job.metadata.name.clone());
    let metadata = ObjectMeta {
        generate_name: format!("{}-", job.metadata.name),
        namespace: job.metadata.namespace.clone(),
        labels,
        owner_references: vec![OwnerReference {
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            name: job.metadata.name.clone(),
            uid: job.metadata.uid.clone(),
            controller: true,
        }],
        ..Default::default()
    };
    Pod { metadata, spec: job.spec.template.spec.clone(), status: Default::default() }
}

fn condition(type_: &str, reason: &str, message: &str, now: SimTime) -> Condition {
    Condition {
        type_: type_.into(),
        status: "True".into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: Some(Time::at(now)),
    }
}

pub fn sync(
    key: &str,
    jobs: &Informer,
    pods: &Informer,
    expectations: &super::expectations::Expectations,
    now: SimTime,
) -> Sync {
    let mut out = Sync { requests: vec![], event: None, creating: 0 };
    let Some(Object::Job(job)) = jobs.get(key) else { return out };
    let finished = job.condition("Complete").is_some() || job.condition("Failed").is_some();
    if job.metadata.deletion_timestamp.is_some() {
        return out;
    }
    let owned: Vec<&Pod> = pods.owned_by(&job.metadata.uid).filter_map(|o| o.as_pod()).collect();
    let active: Vec<&Pod> =
        owned.iter().copied().filter(|p| !p.is_terminal() && p.metadata.deletion_timestamp.is_none()).collect();
    let succeeded = owned.iter().filter(|p| p.status.phase == "Succeeded").count() as i32;
    let failed = owned.iter().filter(|p| p.status.phase == "Failed").count() as i32;
    let completions = job.spec.completions.unwrap_or(1);
    let mut status = JobStatus {
        active: active.len() as i32,
        succeeded,
        failed,
        start_time: job.status.start_time.or(Some(Time::at(now))),
        ..job.status.clone()
    };
    if !finished {
        if failed > job.spec.backoff_limit.unwrap_or(6) {
            let message = "Job has reached the specified backoff limit";
            status.conditions.push(condition("Failed", "BackoffLimitExceeded", message, now));
            for p in &active {
                out.requests.push(ApiRequest::new(
                    Verb::Delete,
                    ResourceInfo::of("pods"),
                    &p.metadata.namespace,
                    &p.metadata.name,
                ));
            }
            out.event = Some(("BackoffLimitExceeded", message.into(), true));
        } else if succeeded >= completions {
            status.conditions.push(condition("Complete", "", "", now));
            status.completion_time = Some(Time::at(now));
            out.event = Some(("Completed", "Job completed".into(), false));
        } else if expectations.satisfied(key, now) {
            let want = job.spec.parallelism.unwrap_or(1).min(completions - succeeded);
            for _ in active.len() as i32..want {
                let pod = Object::Pod(Box::new(pod_from_template(job)));
                out.requests.push(
                    ApiRequest::new(Verb::Create, ResourceInfo::of("pods"), &job.metadata.namespace, "").with_body(pod),
                );
                out.creating += 1;
            }
        }
    }
    if status != job.status {
        let mut next = job.clone();
        next.status = status;
        out.requests.extend(ApiRequest::update_status(Object::Job(next)));
    }
    out
}
