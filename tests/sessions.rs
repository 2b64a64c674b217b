//! Sessions, share links and lessons: a link replays exactly what its sender saw, however
//! the sender's frames sliced time; every built-in lesson reaches its end; links made by
//! earlier builds keep opening.

use kube_playground::scenario::action::{Do, Fault};
use kube_playground::scenario::session::{Said, Session};
use kube_playground::scenario::{link, presets, Scenario};
use kube_playground::sim::time::{SimTime, SECONDS};

/// Drives a session the way the page does: frames of `frame_us` simulated µs with at most
/// `budget` events each, doing `acts` at their times.
fn play(session: &mut Session, until: SimTime, frame_us: u64, budget: u64, acts: &[(u64, Do)]) {
    let mut next = 0;
    let mut target = 0;
    while session.sim.now() < until {
        target = (target + frame_us).min(until.0);
        while !session.advance(SimTime(target), budget) {}
        while next < acts.len() && acts[next].0 <= session.sim.now().0 {
            session.act(acts[next].1.clone());
            next += 1;
        }
    }
}

fn console(session: &mut Session) -> Vec<String> {
    session.take_said().into_iter().map(|(_, t)| t).collect()
}

#[test]
fn a_shared_session_replays_exactly() {
    let acts = vec![
        (1_000_000, Do::Run("kubectl create deployment web --image=nginx --replicas=3".into())),
        (3_000_000, Do::Run("kubectl describe deployment web".into())),
        (3_500_000, Do::Run("kubectl get pods -w".into())),
        (4_200_000, Do::Fault { target: "etcd-leader".into(), fault: Fault::Crash }),
        (6_000_000, Do::Interrupt),
        (6_100_000, Do::Run("kubectl rollout status deployment web".into())),
        (7_000_000, Do::Apply(r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}"#.into())),
        (8_000_000, Do::Run("kubectl get nosuchthing".into())),
    ];
    let until = SimTime::from_secs(12);
    // The sender: 60 frames a second at 1×, and small event budgets that stop mid-instant.
    let mut sender = Session::new(Scenario::default()).unwrap();
    play(&mut sender, until, 16_667, 7, &acts);
    let sent_console = console(&mut sender);
    let shared = sender.shared();
    assert_eq!(shared.actions.len(), acts.len() - 1, "the refused command is not recorded");
    // The recipient opens the link and catches up in big slices.
    let fragment = link::share(&shared, sender.sim.now());
    let opened = link::open(&fragment).unwrap();
    assert_eq!(opened.at, Some(until));
    let mut recipient = Session::new(opened.scenario).unwrap();
    while !recipient.advance(until, 50_000) {}
    assert_eq!(recipient.sim.trace.hash(), sender.sim.trace.hash());
    let got = console(&mut recipient);
    let sent: Vec<&String> = sent_console.iter().filter(|l| !l.contains("nosuchthing")).collect();
    let got: Vec<&String> = got.iter().collect();
    assert_eq!(got, sent);
    assert!(got.iter().any(|l| l.contains("deployment \"web\" successfully rolled out")), "{got:#?}");
    println!("share link for 7 actions: {} characters", fragment.len());
}

/// Client-side refusals (`error: …`, `fault: …`) mean the lesson itself is wrong; the
/// server's refusals (403, admission denials, timeouts) are often the point of a step.
fn lesson_mistakes(said: &[(Said, String)]) -> Vec<&String> {
    said.iter()
        .filter(|(k, t)| *k == Said::Error && (t.starts_with("error:") || t.starts_with("fault:")))
        .map(|(_, t)| t)
        .collect()
}

#[test]
fn every_lesson_reaches_its_end() {
    for (name, title, _) in presets::lessons() {
        let scenario = presets::get(name).unwrap();
        let steps = scenario.lesson.as_ref().unwrap().steps.len();
        let mut s = Session::new(scenario).unwrap();
        let mut said = Vec::new();
        while !s.can_start() {
            assert!(s.sim.now() < SimTime::from_secs(60), "{name}: the cluster never became ready to start");
            let t = s.sim.now().plus(100_000);
            while !s.advance(t, 100_000) {}
        }
        for n in 0..steps {
            assert!(s.act(Do::Lesson(n)), "{name}: step {n}");
            let limit = s.sim.now().plus(600 * SECONDS);
            while !s.step_done() {
                let until = s.lesson_step().unwrap().1.until.clone();
                said.extend(s.take_said());
                assert!(s.sim.now() < limit, "{title}: step {} never met {until:?}; console: {said:#?}", n + 1);
                let t = s.sim.now().plus(100_000);
                while !s.advance(t, 100_000) {}
            }
            // A reader takes a moment before the next step.
            let t = s.sim.now().plus(SECONDS);
            while !s.advance(t, 100_000) {}
            said.extend(s.take_said());
            assert!(lesson_mistakes(&said).is_empty(), "{name} step {}: {said:#?}", n + 1);
        }
        if std::env::var("LESSON_CONSOLE").is_ok_and(|v| v == name) {
            for (_, line) in &said {
                println!("{line}");
            }
        }
        let link = link::share(&s.shared(), s.sim.now());
        println!(
            "{name}: {steps} steps, done at t = {}; share link at the end: {} characters",
            s.sim.now(),
            link.len()
        );
    }
}

#[test]
fn frozen_links_keep_opening() {
    let text = std::fs::read_to_string("tests/golden/links.txt").unwrap();
    let links: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
    assert!(!links.is_empty());
    for url in links {
        let fragment = url.split_once('#').map_or(url, |(_, f)| f);
        let opened = link::open(fragment).unwrap_or_else(|e| panic!("{url}: {e}"));
        let mut s = Session::new(opened.scenario).unwrap();
        let until = opened.at.unwrap_or(SimTime::from_secs(5));
        while !s.advance(until, 100_000) {}
        assert!(!s.replaying(), "{url}: actions left");
        // The cluster may answer with errors (a write during an election times out); what
        // matters is that every action is still understood.
        let refused = s.refused;
        assert_eq!(refused, 0, "{url}: {:?}", s.take_said());
    }
}
