//! A running scenario: the simulation, the commands still waiting for their answers, and the
//! log of everything the user did. The page and the tests drive it the same way, so a share
//! link replays a session exactly: actions are applied at their recorded moment, and
//! commands that send follow-up requests (describe, apply, rollout status) are polled after
//! every event — never at a frame boundary, which would differ from run to run.

use super::action::{Action, Do};
use super::lesson::{Step, Until};
use super::Scenario;
use crate::kubectl::{self, apply, Pending, Started};
use crate::sim::time::SimTime;
use crate::sim::Simulation;

/// What the Apply panel's manifests are called in the console (`kubectl apply -f …`).
pub const APPLY_SOURCE: &str = "manifest.yaml";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    /// The command as typed, `$ kubectl get pods`.
    Command,
    Output,
    Error,
    Info,
    /// `kubectl edit`'s editor text: the page opens its editor with it.
    Editor,
}

/// Cloning a session is a snapshot of it (the timeline keeps some to scrub back to).
#[derive(Clone)]
pub struct Session {
    /// The scenario as opened; its actions replay at their moments.
    pub scenario: Scenario,
    pub sim: Simulation,
    pending: Vec<Pending>,
    /// Everything done so far, replayed or the user's, in order.
    done: Vec<Action>,
    /// The next of the scenario's actions to replay.
    replay: usize,
    said: Vec<(Said, String)>,
    /// The lesson step showing, and when it began.
    lesson_at: Option<(usize, SimTime)>,
    /// Replayed actions that were refused (a link from a build that understood them).
    pub refused: usize,
    /// A lesson step's actions still to run: one at a time, each once the previous command
    /// has its answer, as a script would type them.
    queued: std::collections::VecDeque<Do>,
    /// The scenario's objects wait for the cluster to be ready: the next check, µs (checks
    /// fall on whole intervals of simulated time, so they are the same however frames run).
    objects_check: Option<u64>,
    /// Each edited object's editor text as `kubectl edit` opened it, by target: a save
    /// patches from it, as kubectl keeps the object it opened.
    opened: crate::sim::vecmap::VecMap<String, String>,
}

/// Trace records a snapshot keeps for the views (a few seconds of a busy cluster).
const SNAPSHOT_RECORDS: usize = 2_000;

/// How often a scenario's waiting objects look whether the cluster is ready.
const OBJECTS_CHECK_US: u64 = 100_000;

impl Session {
    pub fn new(scenario: Scenario) -> Result<Session, String> {
        let sim = scenario.build()?;
        let scenario_objects_empty = scenario.objects.is_empty();
        Ok(Session {
            scenario,
            sim,
            pending: vec![],
            done: vec![],
            replay: 0,
            said: vec![],
            lesson_at: None,
            refused: 0,
            queued: Default::default(),
            objects_check: (!scenario_objects_empty).then_some(0),
            opened: Default::default(),
        })
    }

    /// Handles events up to `target` (at most `max_steps` of them), replaying the scenario's
    /// actions on the way. Returns true when `target` was reached.
    pub fn advance(&mut self, target: SimTime, max_steps: u64) -> bool {
        let mut budget = max_steps;
        loop {
            let next = self.sim.next_event_time();
            if let Some(a) = self.scenario.actions.get(self.replay) {
                // Due once no event comes before its moment; among events of that very
                // instant, once the recorded number of events has been handled.
                let due = match next {
                    Some(t) if t.0 == a.at => self.sim.steps() >= a.step,
                    Some(t) => t.0 > a.at,
                    None => true,
                };
                if due && SimTime(a.at) <= target {
                    let (at, what) = (SimTime(a.at), a.what.clone());
                    self.replay += 1;
                    self.sim.advance_clock(at);
                    if !self.act(what) {
                        self.refused += 1;
                    }
                    continue;
                }
            }
            match next {
                Some(t) if t <= target => {
                    if budget == 0 {
                        return false;
                    }
                    if self.objects_check.is_some_and(|at| t.0 >= at) {
                        self.apply_objects_when_ready(t);
                    }
                    budget -= 1;
                    self.sim.step();
                    self.poll();
                }
                _ => {
                    self.sim.run_until(target);
                    return true;
                }
            }
        }
    }

    /// Applies the scenario's objects once the cluster is ready (checked before the first
    /// event of each interval).
    fn apply_objects_when_ready(&mut self, next_event: SimTime) {
        if Until::Ready.met(&self.sim, SimTime::ZERO) {
            self.objects_check = None;
            self.act(Do::Apply(self.objects_text()));
        } else {
            self.objects_check = Some((next_event.0 / OBJECTS_CHECK_US + 1) * OBJECTS_CHECK_US);
        }
    }

    /// The scenario's objects as the one apply that creates them.
    fn objects_text(&self) -> String {
        serde_json::Value::Array(self.scenario.objects.clone()).to_string()
    }

    /// Does `what` now and records it; false (and nothing recorded) when it was refused.
    pub fn act(&mut self, what: Do) -> bool {
        let at = self.sim.now().0;
        let step = self.sim.steps();
        let ok = self.perform(&what);
        if ok {
            self.done.push(Action { at, step, what });
        }
        ok
    }

    fn perform(&mut self, what: &Do) -> bool {
        match what {
            Do::Run(line) => {
                let started = kubectl::start(&mut self.sim, line);
                self.command(format!("$ {line}"), started)
            }
            Do::Apply(text) => {
                let started = apply::start_manifest(&mut self.sim, text, APPLY_SOURCE, Default::default());
                self.command(format!("$ kubectl apply -f {APPLY_SOURCE}"), started)
            }
            Do::Edit { target, text } => {
                let Some(original) = self.opened.get(target).cloned() else {
                    self.say(Said::Error, format!("error: no editor is open on {target}"));
                    return false;
                };
                let started = kubectl::save_edit(&mut self.sim, target, &original, text);
                self.started(started)
            }
            Do::Interrupt => {
                let before = self.pending.len();
                for p in self.pending.iter().filter(|p| p.is_streaming()) {
                    kubectl::interrupt(&mut self.sim, p);
                }
                self.pending.retain(|p| !p.is_streaming());
                let stopped = self.pending.len() < before;
                if stopped {
                    self.say(Said::Info, "^C".into());
                }
                stopped
            }
            Do::Fault { target, fault } => match fault.apply(&mut self.sim, target) {
                Ok(()) => true,
                Err(e) => {
                    self.say(Said::Error, e);
                    false
                }
            },
            Do::Lesson(n) => {
                let Some(step) = self.scenario.lesson.as_ref().and_then(|l| l.steps.get(*n)).cloned() else {
                    return false;
                };
                self.lesson_at = Some((*n, self.sim.now()));
                self.queued = step.actions.into_iter().filter(|d| !matches!(d, Do::Lesson(_))).collect();
                self.run_queued();
                true
            }
        }
    }

    /// Echoes a console command, then its answer or its error; false when it was refused.
    fn command(&mut self, echo: String, started: Result<Started, String>) -> bool {
        self.say(Said::Command, echo);
        self.started(started)
    }

    /// A command's answer, or its wait for one; false when it was refused.
    fn started(&mut self, started: Result<Started, String>) -> bool {
        match started {
            Ok(Started::Done(text)) => self.answer(text),
            Ok(Started::Waiting(p)) => self.pending.push(p),
            Err(e) => {
                self.say(Said::Error, e);
                return false;
            }
        }
        true
    }

    /// Runs the queued step actions while no command is waiting for its answer.
    fn run_queued(&mut self) {
        while self.pending.iter().all(|p| p.is_streaming()) {
            let Some(d) = self.queued.pop_front() else { break };
            self.perform(&d);
        }
    }

    /// Collects the answers that arrived with the last event.
    fn poll(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut still = Vec::with_capacity(self.pending.len());
        for mut p in std::mem::take(&mut self.pending) {
            let answer = kubectl::poll(&mut self.sim, &mut p);
            let editor = p.take_editor();
            let opens = p.opens_editor();
            // `get -w` keeps printing until Ctrl+C.
            if answer.is_none() || p.is_streaming() {
                still.push(p);
            }
            if let Some(text) = answer {
                self.answer(text);
            }
            if let Some(text) = editor {
                if let Some(target) = opens.then(|| kubectl::edit::target(&text)).flatten() {
                    self.opened.insert(target, text.clone());
                }
                self.say(Said::Editor, text);
            }
        }
        self.pending = still;
        if !self.queued.is_empty() {
            self.run_queued();
        }
    }

    fn answer(&mut self, text: String) {
        if text.is_empty() {
            return;
        }
        let kind = if text.starts_with("Error") || text.starts_with("error") { Said::Error } else { Said::Output };
        self.say(kind, text);
    }

    pub fn say(&mut self, kind: Said, text: String) {
        self.said.push((kind, text));
    }

    /// The console lines produced since the last call.
    pub fn take_said(&mut self) -> Vec<(Said, String)> {
        std::mem::take(&mut self.said)
    }

    /// Commands still waiting for an answer (or streaming).
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// True while `kubectl get -w` is printing.
    pub fn streaming(&self) -> bool {
        self.pending.iter().any(|p| p.is_streaming())
    }

    /// True until every action of the opened scenario has replayed.
    pub fn replaying(&self) -> bool {
        self.replay < self.scenario.actions.len()
    }

    /// A copy to come back to: the same state, with only the trace's latest records (what the
    /// views draw), which makes it a third lighter.
    pub fn snapshot(&mut self) -> Session {
        let trace = std::mem::take(&mut self.sim.trace);
        let mut copy = self.clone();
        copy.sim.trace = trace.tail(SNAPSHOT_RECORDS);
        self.sim.trace = trace;
        copy
    }

    /// Makes `actions` this session's whole history: those it has done stay done, the rest
    /// replay at their moments. (A snapshot taken earlier on the same branch, given the
    /// branch's actions, goes on to the same future.)
    pub fn set_history(&mut self, actions: Vec<Action>) {
        self.replay = self.done.len().min(actions.len());
        if self.objects_check.is_some() {
            // The branch applied the scenario's objects later: that apply is in its actions.
            let objects = Do::Apply(self.objects_text());
            if actions[self.replay..].iter().any(|a| a.what == objects) {
                self.objects_check = None;
            }
        }
        self.scenario.actions = actions;
    }

    /// Forgets the actions still to replay: what is done now starts a new branch of history.
    pub fn drop_future(&mut self) {
        self.scenario.actions.truncate(self.replay);
    }

    /// The scenario with everything done so far: what a share link carries.
    pub fn shared(&self) -> Scenario {
        let mut s = self.scenario.clone();
        s.actions = self.done.iter().chain(&self.scenario.actions[self.replay..]).cloned().collect();
        if self.objects_check.is_none() {
            // Applied: the recorded action carries them now.
            s.objects.clear();
        }
        s
    }

    /// The lesson step showing (index, step), if the scenario is a lesson that has begun.
    pub fn lesson_step(&self) -> Option<(usize, &Step)> {
        let (n, _) = self.lesson_at?;
        Some((n, self.scenario.lesson.as_ref()?.steps.get(n)?))
    }

    /// Whether the lesson's first step may begin (its `start_when` holds).
    pub fn can_start(&self) -> bool {
        let Some(lesson) = &self.scenario.lesson else { return false };
        Until::parse(&lesson.start_when).map_or(true, |u| u.met(&self.sim, SimTime::ZERO))
    }

    /// Whether the showing step's wait condition holds (true without one).
    pub fn step_done(&self) -> bool {
        let Some((n, since)) = self.lesson_at else { return true };
        let until = self.scenario.lesson.as_ref().and_then(|l| l.steps.get(n)).and_then(|s| s.until.as_deref());
        match until.map(Until::parse) {
            None => true,
            Some(Ok(u)) => u.met(&self.sim, since),
            Some(Err(_)) => true,
        }
    }
}
