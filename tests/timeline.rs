//! The page's timeline: scrubbing back restores a snapshot and replays to the very state the
//! moment had; acting in the past forks the history.

use kube_playground::scenario::action::{Do, Fault};
use kube_playground::scenario::session::Session;
use kube_playground::scenario::timeline::Timeline;
use kube_playground::scenario::Scenario;
use kube_playground::sim::component::Component;
use kube_playground::sim::marks::MarkKind;
use kube_playground::sim::time::SimTime;

/// Drives the session as the page's frames do: 100 ms of simulated time per frame, one
/// second of wall time apart (so every due snapshot is taken), acting at the given moments.
fn play(session: &mut Session, timeline: &mut Timeline, until_s: u64, acts: &[(u64, Do)], wall: &mut f64) {
    while session.sim.now() < SimTime::from_secs(until_s) {
        let target = SimTime(session.sim.now().0 / 100_000 * 100_000 + 100_000);
        while !session.advance(target, 50) {}
        for (at, what) in acts {
            if *at == session.sim.now().0 {
                timeline.fork(session);
                session.act(what.clone());
            }
        }
        *wall += 1000.0;
        timeline.observe(session, *wall);
    }
}

/// Restores the timeline's session for `t` (if it has a better one) and replays to `t`.
fn scrub(session: &mut Session, timeline: &Timeline, t: u64) {
    if let Some(back) = timeline.rewind(session, SimTime::from_secs(t)).unwrap() {
        *session = back;
    }
    while !session.advance(SimTime::from_secs(t), 1000) {}
}

fn acts() -> Vec<(u64, Do)> {
    vec![
        (2_000_000, Do::Run("kubectl create deployment web --image=nginx --replicas=3".into())),
        (9_000_000, Do::Fault { target: "etcd-leader".into(), fault: Fault::Crash }),
        (14_000_000, Do::Run("kubectl scale deployment web --replicas=5".into())),
    ]
}

/// The default cluster played for 20 s with `acts`, its timeline, and the wall clock then.
fn played_20s() -> (Session, Timeline, f64) {
    let mut session = Session::new(Scenario::default()).unwrap();
    let mut timeline = Timeline::new(&session);
    let mut wall = 0.0;
    play(&mut session, &mut timeline, 20, &acts(), &mut wall);
    (session, timeline, wall)
}

#[test]
fn scrubbing_back_and_forth_gives_identical_state() {
    let (mut session, mut timeline, mut wall) = played_20s();
    let hash_20 = session.sim.trace.hash();
    play(&mut session, &mut timeline, 30, &[], &mut wall);
    let hash_30 = session.sim.trace.hash();
    assert_eq!(timeline.horizon(), SimTime::from_secs(30));
    assert!(timeline.snapshot_times().count() >= 4, "a snapshot every 5 s of new ground");
    let kinds: Vec<_> = timeline.marks().iter().map(|m| (m.kind, m.at)).collect();
    assert!(kinds.iter().any(|(k, at)| *k == MarkKind::Fault && *at == SimTime(9_000_000)), "{kinds:?}");
    assert!(
        kinds.iter().filter(|(k, _)| *k == MarkKind::Leader).count() >= 2,
        "first election and the one after the crash: {kinds:?}"
    );

    // Back before the fault, then forward: the same history, the crash replayed at its moment.
    scrub(&mut session, &timeline, 7);
    assert_eq!(session.sim.now(), SimTime::from_secs(7));
    assert!(session.sim.etcd_leader().is_some());
    scrub(&mut session, &timeline, 20);
    assert_eq!(session.sim.trace.hash(), hash_20);
    // Back to the very start (before any snapshot but the first), then to the horizon.
    scrub(&mut session, &timeline, 1);
    scrub(&mut session, &timeline, 30);
    assert_eq!(session.sim.trace.hash(), hash_30);
    assert_eq!(session.shared().actions.len(), 3);
    // Forward from a moment reached by replay also matches: no snapshot needed.
    scrub(&mut session, &timeline, 12);
    scrub(&mut session, &timeline, 13);
    scrub(&mut session, &timeline, 30);
    assert_eq!(session.sim.trace.hash(), hash_30);
}

#[test]
fn acting_in_the_past_forks_the_history() {
    let (mut session, mut timeline, mut wall) = played_20s();
    scrub(&mut session, &timeline, 5);
    // A different command at 5 s: the crash at 9 s and the scale at 14 s are gone.
    timeline.fork(&mut session);
    assert!(session.act(Do::Run("kubectl create namespace team-a".into())));
    assert_eq!(timeline.horizon(), SimTime::from_secs(5));
    assert!(timeline.marks().iter().all(|m| m.at <= SimTime::from_secs(5)));
    let actions: Vec<_> = session.shared().actions.into_iter().map(|a| a.what).collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(matches!(&actions[1], Do::Run(l) if l.contains("team-a")));
    play(&mut session, &mut timeline, 12, &[], &mut wall);
    assert!(timeline.marks().iter().all(|m| m.kind != MarkKind::Fault), "no crash on this branch");
    let up = session.sim.components.iter().filter(|c| matches!(c, Component::Etcd(m) if m.up)).count();
    assert_eq!(up, 3);
    // A fault at the horizon itself (paused at the latest moment) is marked at once.
    assert!(session.act(Do::Fault { target: "etcd-1".into(), fault: Fault::Crash }));
    timeline.observe(&mut session, wall + 1.0);
    let last = timeline.marks().last().unwrap();
    assert_eq!((last.kind, last.at), (MarkKind::Fault, SimTime::from_secs(12)));
}
