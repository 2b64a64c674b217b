//! The CronJob controller over simulated hours: Jobs at every scheduled time, named after it,
//! the history limits, and the concurrency policies.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::api::Object;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn cluster() -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    sim
}

fn cronjob(sim: &mut Simulation, name: &str) -> kube_playground::sim::api::CronJob {
    let out = kubectl::run(sim, &format!("kubectl get cronjob {name} -o json"), TIMEOUT);
    match Object::from_json(out.as_bytes()) {
        Ok(Object::CronJob(c)) => *c,
        other => panic!("{other:?}\n{out}"),
    }
}

fn job_lines(sim: &mut Simulation) -> Vec<String> {
    let out = kubectl::run(sim, "kubectl get jobs", TIMEOUT);
    out.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn a_cronjob_runs_every_half_hour_for_a_simulated_day() {
    // A small cluster (one etcd member, one worker): a simulated day of lease renewals is
    // most of the work.
    let mut scenario = Scenario::default();
    scenario.cluster.etcd_members = 1;
    scenario.cluster.set_workers(1);
    // The day's Events are counted at its end: keep them longer than --event-ttl's hour.
    scenario.cluster.apiserver.event_ttl_s = 2 * 24 * 3600;
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    let out = kubectl::run(
        &mut sim,
        "kubectl create cronjob report --image=busybox --schedule='*/30 * * * *' -- date",
        TIMEOUT,
    );
    assert_eq!(out, "cronjob.batch/report created");
    sim.run_until(SimTime::from_secs(24 * 3600 + 60));
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    let created = events.lines().filter(|l| l.contains("SuccessfulCreate") && l.contains("cronjob/report")).count();
    assert_eq!(created, 48, "00:30 … 24:00 is 48 times:\n{events}");
    // Only the last three successful Jobs are kept, the newest named after midnight.
    let jobs = job_lines(&mut sim);
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    assert!(jobs.iter().all(|l| l.contains("Complete")), "{jobs:?}");
    let midnight = (1_798_761_600 + 24 * 3600) / 60;
    assert!(jobs.iter().any(|l| l.starts_with(&format!("report-{midnight} "))), "{jobs:?}");
    let cj = cronjob(&mut sim, "report");
    assert_eq!(kube_playground::sim::time::rfc3339(cj.status.last_schedule_time.unwrap().0), "2027-01-02T00:00:00Z");
    assert!(cj.status.last_successful_time.is_some() && cj.status.active.is_empty(), "{:?}", cj.status);
    assert!(events.contains("Saw completed job: report-"), "{events}");
    let table = kubectl::run(&mut sim, "kubectl get cj", TIMEOUT);
    assert!(table.starts_with("NAME") && table.contains("*/30 * * * *") && table.contains("<none>"), "{table}");
}

#[test]
fn forbid_skips_a_run_while_the_previous_one_runs_and_replace_cancels_it() {
    let mut sim = cluster();
    for (name, policy) in [("slow-forbid", "Forbid"), ("slow-replace", "Replace")] {
        let manifest = format!(
            r#"{{"apiVersion":"batch/v1","kind":"CronJob","metadata":{{"name":"{name}"}},"spec":{{"schedule":"* * * * *","concurrencyPolicy":"{policy}","jobTemplate":{{"spec":{{"template":{{"spec":{{"restartPolicy":"Never","containers":[{{"name":"c","image":"busybox","command":["sleep","90"]}}]}}}}}}}}}}}}"#
        );
        let started = kubectl::apply::start_manifest(&mut sim, &manifest, "cronjob.json", Default::default()).unwrap();
        let out = kubectl::wait(&mut sim, started, TIMEOUT);
        assert!(out.contains("created"), "{out}");
    }
    sim.run_until(SimTime::from_secs(4 * 60 + 30));
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(
        events.contains("Not starting job because prior execution is running and concurrency policy is Forbid"),
        "{events}"
    );
    assert!(
        events.lines().any(|l| l.contains("cronjob/slow-replace") && l.contains("Deleted job slow-replace-")),
        "{events}"
    );
    // Forbid: 00:01 ran until 00:02:31, when the missed 00:02 started late (no
    // startingDeadlineSeconds); 00:03 and 00:04 found it running, 00:04 started at 00:04:01.
    // Replace: every minute, deleting the one before.
    let created = |who: &str| events.lines().filter(|l| l.contains("SuccessfulCreate") && l.contains(who)).count();
    assert_eq!(created("cronjob/slow-forbid"), 3, "{events}");
    assert_eq!(created("cronjob/slow-replace"), 4, "{events}");
    assert_eq!(cronjob(&mut sim, "slow-replace").status.active.len(), 1);
}

#[test]
fn schedules_are_validated() {
    let mut sim = cluster();
    let out = kubectl::run(&mut sim, "kubectl create cronjob bad --image=busybox --schedule='* * *'", TIMEOUT);
    assert_eq!(
        out,
        "The CronJob \"bad\" is invalid: spec.schedule: Invalid value: \"* * *\": expected exactly 5 fields, found 3: [* * *]"
    );
}
