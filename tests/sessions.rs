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

/// A random action with text from a wide alphabet (quotes, unicode, markup).
fn random_action(rng: &mut kube_playground::sim::rng::SimRng) -> Do {
    use kube_playground::sim::rng::Draw;
    const ALPHABET: &[&str] = &["a", "Z", "0", " ", "\"", "\\", "<script>", "é", "☸", "&t=", "#s=", "\n", "{}", "%"];
    let mut text = String::new();
    for _ in 0..rng.below(40) {
        text.push_str(ALPHABET[rng.below(ALPHABET.len() as u64) as usize]);
    }
    match rng.below(5) {
        0 => Do::Run(text),
        1 => Do::Apply(text),
        2 => Do::Interrupt,
        3 => Do::Lesson(rng.below(20) as usize),
        _ => Do::Fault { target: text, fault: Fault::Fsync(rng.below(1_000_000)) },
    }
}

#[test]
fn links_round_trip_any_scenario_and_never_panic_on_garbage() {
    use kube_playground::scenario::action::Action;
    use kube_playground::sim::rng::{fork, Draw};
    let mut rng = fork(2026, "link-property");
    for case in 0..300 {
        let mut s = Scenario { seed: rng.below(u64::MAX), ..Scenario::default() };
        s.cluster.etcd_members = 1 + 2 * rng.below(4) as usize;
        s.cluster.informer_list_period_s = rng.below(3) * 5;
        let (mut at, mut step) = (0, 0);
        for _ in 0..rng.below(12) {
            at += rng.below(5_000_000);
            step += rng.below(10_000);
            s.actions.push(Action { at, step, what: random_action(&mut rng) });
        }
        let t = SimTime(rng.below(86_400_000_000));
        let opened = link::open(&link::share(&s, t)).unwrap_or_else(|e| panic!("case {case}: {e}"));
        assert_eq!(opened.scenario, s, "case {case}");
        assert_eq!(opened.at, Some(t), "case {case}");
    }
    // Garbage in any position is an error in words, never a panic.
    let good = link::share(&Scenario::default(), SimTime(1));
    for case in 0..300 {
        let mut bytes = good.clone().into_bytes();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(bytes.len() as u64) as usize;
            bytes[i] = b"AZaz09-_=&%#."[rng.below(13) as usize];
        }
        let mangled = String::from_utf8(bytes).unwrap();
        if let Err(e) = link::open(&mangled) {
            assert!(!e.is_empty(), "case {case}");
        }
    }
}

#[test]
fn initial_objects_are_applied_once_the_cluster_is_ready_and_replay_exactly() {
    let deployment = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
    let scenario = Scenario { objects: vec![deployment], ..Scenario::default() };
    let until = SimTime::from_secs(10);
    let mut sender = Session::new(scenario).unwrap();
    play(&mut sender, until, 16_667, 50, &[]);
    let said = console(&mut sender);
    assert_eq!(said[..2], ["$ kubectl apply -f manifest.yaml".to_string(), "deployment.apps/web created".to_string()]);
    let shared = sender.shared();
    assert!(shared.objects.is_empty() && shared.actions.len() == 1, "{shared:?}");
    // Before the objects went in, a link carries them; after, the recorded action does.
    for s in [Scenario { actions: vec![], ..shared.clone() }, shared] {
        let mut objects_first = Scenario { objects: sender.scenario.objects.clone(), ..s };
        if !objects_first.actions.is_empty() {
            objects_first.objects.clear();
        }
        let mut r = Session::new(objects_first).unwrap();
        while !r.advance(until, 100_000) {}
        assert_eq!(r.sim.trace.hash(), sender.sim.trace.hash());
    }
}
