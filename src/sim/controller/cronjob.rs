//! The CronJob controller (pkg/controller/cronjob, the v2 controller): at each time the
//! schedule names it creates a Job `<cronjob>-<scheduled time in Unix minutes>` from the
//! template, owned by the CronJob; keeps status.active and the last schedule and success
//! times; honours concurrencyPolicy (Allow, Forbid, Replace), startingDeadlineSeconds and
//! suspend; and deletes finished Jobs beyond the history limits. It wakes itself at the next
//! scheduled time. Clocks are UTC (spec.timeZone accepts only UTC here).

use crate::sim::api::meta::Time;
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{CronJob, Job, Object, ObjectMeta, OwnerReference};
use crate::sim::client::Informer;
use crate::sim::cron::Schedule;
use crate::sim::recorder;
use crate::sim::time::{rfc3339, SimTime, EPOCH_UNIX_SECS, MILLIS, SECONDS};

/// The annotation on each Job: the time it was scheduled for.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// More missed start times than this and the controller warns (TooManyMissedTimes).
const MISSED_TIMES_WARNING: usize = 100;

/// What a sync decided: writes, events (reason, message, warning), and when to look again.
#[derive(Debug, Default)]
pub struct Sync {
    pub requests: Vec<ApiRequest>,
    pub events: Vec<(&'static str, String, bool)>,
    pub requeue_after_us: Option<u64>,
    /// A Job is being created (for the expectations).
    pub creating: bool,
}

fn reference(job: &Job) -> crate::sim::api::ObjectReference {
    recorder::reference("Job", &job.metadata)
}

/// `<name>-<scheduled time in minutes since the Unix epoch>` (getJobName).
pub fn job_name(cronjob: &str, scheduled: SimTime) -> String {
    format!("{cronjob}-{}", (EPOCH_UNIX_SECS + scheduled.0 / SECONDS) / 60)
}

fn job_from_template(cj: &CronJob, scheduled: SimTime) -> Job {
    let template = &cj.spec.job_template;
    let mut metadata = ObjectMeta::named(&cj.metadata.namespace, &job_name(&cj.metadata.name, scheduled));
    metadata.labels = template.metadata.labels.clone();
    metadata.annotations = template.metadata.annotations.clone();
    metadata.annotations.insert(SCHEDULED_TIMESTAMP.into(), rfc3339(scheduled));
    metadata.owner_references = vec![OwnerReference {
        api_version: "batch/v1".into(),
        kind: "CronJob".into(),
        name: cj.metadata.name.clone(),
        uid: cj.metadata.uid.clone(),
        controller: true,
    }];
    Job { metadata, spec: template.spec.clone(), status: Default::default() }
}

fn delete_job(job: &Job) -> ApiRequest {
    ApiRequest::new(Verb::Delete, ResourceInfo::of("jobs"), &job.metadata.namespace, &job.metadata.name)
}

pub fn sync(
    key: &str,
    cronjobs: &Informer,
    jobs: &Informer,
    expectations: &super::expectations::Expectations,
    now: SimTime,
) -> Sync {
    let mut out = Sync::default();
    let Some(Object::CronJob(cj)) = cronjobs.get(key) else { return out };
    // Deleted, or the Job it created last is not in the cache yet: nothing to decide on.
    if cj.metadata.deletion_timestamp.is_some() || !expectations.satisfied(key, now) {
        return out;
    }
    let mut owned: Vec<&Job> = jobs
        .owned_by(&cj.metadata.uid)
        .filter_map(|o| match o {
            Object::Job(j) if j.metadata.deletion_timestamp.is_none() => Some(&**j),
            _ => None,
        })
        .collect();
    // Oldest first, by the time each was scheduled for (its name sorts the same way).
    owned.sort_by(|a, b| {
        (a.metadata.creation_timestamp, &a.metadata.name).cmp(&(b.metadata.creation_timestamp, &b.metadata.name))
    });
    let mut status = cj.status.clone();
    for job in &owned {
        let was_active = cj.status.active.iter().any(|r| r.name == job.metadata.name);
        if let (true, Some(condition)) = (was_active, job.finished()) {
            out.events.push((
                "SawCompletedJob",
                format!("Saw completed job: {}, condition: {condition}", job.metadata.name),
                false,
            ));
        }
        if job.finished() == Some("Complete") {
            status.last_successful_time = status.last_successful_time.max(job.status.completion_time);
        }
    }
    let running: Vec<&Job> = owned.iter().copied().filter(|j| j.finished().is_none()).collect();
    status.active = running.iter().map(|j| reference(j)).collect();
    // History limits: the oldest finished Jobs beyond them go.
    for (condition, limit) in [
        ("Complete", cj.spec.successful_jobs_history_limit.unwrap_or(3)),
        ("Failed", cj.spec.failed_jobs_history_limit.unwrap_or(1)),
    ] {
        let done: Vec<&&Job> = owned.iter().filter(|j| j.finished() == Some(condition)).collect();
        let excess = done.len().saturating_sub(limit.max(0) as usize);
        out.requests.extend(done.iter().take(excess).map(|j| delete_job(j)));
    }
    if !cj.spec.suspend.unwrap_or(false) {
        schedule(cj, &owned, &running, &mut status, now, &mut out);
    }
    if status != cj.status {
        let mut next = cj.clone();
        next.status = status;
        out.requests.extend(ApiRequest::update_status(Object::CronJob(next)));
    }
    out
}

/// The scheduling half of a sync: start the Job for the most recent missed time, if any.
fn schedule(
    cj: &CronJob,
    owned: &[&Job],
    running: &[&Job],
    status: &mut crate::sim::api::CronJobStatus,
    now: SimTime,
    out: &mut Sync,
) {
    let sched = match Schedule::parse(&cj.spec.schedule) {
        Ok(s) => s,
        Err(e) => {
            out.events.push(("UnparseableSchedule", format!("unparseable schedule: {}: {e}", cj.spec.schedule), true));
            return;
        }
    };
    // Look again just after the next scheduled time.
    out.requeue_after_us = sched.next_after(now).map(|next| next.since(now) + 100 * MILLIS);
    let mut earliest = cj.status.last_schedule_time.unwrap_or(cj.metadata.creation_timestamp).0;
    if let Some(deadline) = cj.spec.starting_deadline_seconds {
        earliest = earliest.max(SimTime(now.0.saturating_sub(deadline.max(0) as u64 * SECONDS)));
    }
    let Some(scheduled) = sched.latest_at_or_before(now).filter(|t| *t > earliest) else { return };
    let mut missed = 0;
    let mut t = earliest;
    while let Some(next) = sched.next_after(t).filter(|n| *n <= now && missed <= MISSED_TIMES_WARNING) {
        missed += 1;
        t = next;
    }
    if missed > MISSED_TIMES_WARNING {
        out.events.push((
            "TooManyMissedTimes",
            "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew".into(),
            true,
        ));
    }
    if let Some(deadline) = cj.spec.starting_deadline_seconds {
        if scheduled.0 + deadline.max(0) as u64 * SECONDS < now.0 {
            out.events.push((
                "MissSchedule",
                format!("Missed scheduled time to start a job: {}", rfc3339(scheduled)),
                true,
            ));
            return;
        }
    }
    let name = job_name(&cj.metadata.name, scheduled);
    if owned.iter().any(|j| j.metadata.name == name) {
        status.last_schedule_time = Some(Time::at(scheduled));
        return;
    }
    match cj.spec.concurrency_policy.as_str() {
        "Forbid" if !running.is_empty() => {
            out.events.push((
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid".into(),
                false,
            ));
            return;
        }
        "Replace" => {
            out.requests.extend(running.iter().map(|j| delete_job(j)));
            status.active.clear();
        }
        _ => {}
    }
    let job = job_from_template(cj, scheduled);
    status.active.push(reference(&job));
    status.last_schedule_time = Some(Time::at(scheduled));
    out.creating = true;
    out.requests.push(
        ApiRequest::new(Verb::Create, ResourceInfo::of("jobs"), &cj.metadata.namespace, "")
            .with_body(Object::Job(Box::new(job))),
    );
}
