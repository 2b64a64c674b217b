//! The running simulation and the presentation state around it (play/pause, speed, camera,
//! commands waiting for their answer, metric history). Shared by the run loop and the controls.

use crate::kubectl::Pending;
use crate::scenario::Scenario;
use crate::sim::Simulation;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    /// World coordinate at the canvas' top-left corner.
    pub x: f64,
    pub y: f64,
    pub zoom: f64,
}

/// One point of the metric charts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub t: f64,
    pub running_pods: usize,
    pub api_rps: f64,
}

pub struct Engine {
    pub scenario: Scenario,
    pub sim: Simulation,
    pub playing: bool,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Where the simulation clock should be, in µs; the loop catches up in bounded slices.
    pub target_us: f64,
    pub pending: Vec<Pending>,
    pub camera: Option<Camera>,
    /// Fixed once per cluster and view, so nothing moves when objects come and go.
    pub layout: Option<crate::ui::canvas::layout::Layout>,
    pub mode: crate::ui::canvas::layout::ViewMode,
    pub history: Vec<Sample>,
    last_sample: (f64, u64),
    /// Wall-clock ms of the last animation frame.
    pub last_frame: Option<f64>,
    pub drag: Option<(f64, f64)>,
}

pub type Shared = Rc<RefCell<Engine>>;

/// Samples kept for the charts.
const HISTORY: usize = 600;
/// Simulated seconds between chart samples.
const SAMPLE_EVERY_S: f64 = 0.5;

impl Engine {
    pub fn new(scenario: Scenario) -> Result<Self, String> {
        let sim = scenario.build()?;
        Ok(Engine {
            scenario,
            sim,
            playing: true,
            speed: 1.0,
            target_us: 0.0,
            pending: Vec::new(),
            camera: None,
            layout: None,
            mode: Default::default(),
            history: Vec::new(),
            last_sample: (0.0, 0),
            last_frame: None,
            drag: None,
        })
    }

    /// Back to t = 0 with the same scenario.
    /// Switches the picture; layout and camera are recomputed for it.
    pub fn set_mode(&mut self, mode: crate::ui::canvas::layout::ViewMode) {
        self.mode = mode;
        self.layout = None;
        self.camera = None;
    }

    /// The component whose box is under a point of the canvas (CSS pixels).
    pub fn hit(&self, x: f64, y: f64) -> Option<crate::sim::event::ComponentId> {
        let (cam, layout) = (self.camera?, self.layout.as_ref()?);
        let (wx, wy) = (cam.x + x / cam.zoom, cam.y + y / cam.zoom);
        layout
            .boxes
            .iter()
            .position(|b| b.is_some_and(|r| wx >= r.x && wx <= r.x + r.w && wy >= r.y && wy <= r.y + r.h))
            .map(|i| i as u32)
    }

    pub fn reset(&mut self) {
        if let Ok(sim) = self.scenario.build() {
            self.sim = sim;
        }
        self.target_us = 0.0;
        self.pending.clear();
        self.history.clear();
        self.last_sample = (0.0, 0);
    }

    /// Records a chart sample from this frame's view when enough simulated time has passed.
    pub fn sample(&mut self, view: &crate::sim::view::ClusterView) {
        let t = self.sim.now().as_secs_f64();
        if t - self.last_sample.0 < SAMPLE_EVERY_S && !self.history.is_empty() {
            return;
        }
        let dt = (t - self.last_sample.0).max(1e-9);
        let api_rps = view.api_requests.saturating_sub(self.last_sample.1) as f64 / dt;
        self.last_sample = (t, view.api_requests);
        if self.history.len() == HISTORY {
            self.history.remove(0);
        }
        self.history.push(Sample { t, running_pods: view.running_pods, api_rps });
    }
}
