//! The prober (pkg/kubelet/prober): one worker per probe of a running container, probing
//! every periodSeconds once initialDelaySeconds have passed. A result flips after
//! successThreshold successes or failureThreshold failures in a row; every failure is a
//! Warning `Unhealthy` event. Readiness starts as failure and gates the container's
//! `ready`; liveness and readiness wait for the startup probe to succeed; a failed liveness
//! or startup probe gets the container killed and restarted.
//!
//! What the container answers comes from the simulation's idea of its process
//! ([`super::process`]): exec probes read the files its script touched, HTTP and TCP probes
//! reach the server its image runs (nginx on 80, agnhost's `liveness` server on 8080 that
//! fails /healthz after 10 s, …) or, for other images, the ports the container declares.

use super::process::Script;
use super::{Kubelet, Step};
use crate::sim::api::probe::Probe;
use crate::sim::api::{Container, IntOrString, Pod};
use crate::sim::event::Timer;
use crate::sim::recorder;
use crate::sim::rng::Draw;
use crate::sim::time::{SimTime, MILLIS, SECONDS};
use crate::sim::Ctx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Startup,
    Liveness,
    Readiness,
}

impl ProbeKind {
    /// As events spell it (`Liveness probe failed: …`) and prober_probe_total's probe_type.
    pub fn title(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
        }
    }

    pub fn of(self, c: &Container) -> Option<&Probe> {
        match self {
            ProbeKind::Startup => c.startup_probe.as_deref(),
            ProbeKind::Liveness => c.liveness_probe.as_deref(),
            ProbeKind::Readiness => c.readiness_probe.as_deref(),
        }
    }
}

/// One probe worker's state.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeState {
    pub container: usize,
    pub kind: ProbeKind,
    successes: i32,
    failures: i32,
    /// The current result: readiness and startup start failed, liveness succeeded.
    pub ok: bool,
}

/// What one probe outcome changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing the pod status shows.
    Same,
    /// The result flipped (ready or not, started).
    Flipped,
    /// Liveness or startup failed for good: kill the container.
    Kill,
}

impl ProbeState {
    /// The probe workers of a pod's containers, in container order: startup, liveness,
    /// readiness.
    pub fn for_containers(containers: &[Container]) -> Vec<ProbeState> {
        let kinds = [ProbeKind::Startup, ProbeKind::Liveness, ProbeKind::Readiness];
        containers
            .iter()
            .enumerate()
            .flat_map(|(i, c)| kinds.into_iter().filter(move |k| k.of(c).is_some()).map(move |k| (i, k)))
            .map(|(container, kind)| ProbeState {
                container,
                kind,
                successes: 0,
                failures: 0,
                ok: kind == ProbeKind::Liveness,
            })
            .collect()
    }

    /// Counts one result against the thresholds.
    pub fn record(&mut self, probe: &Probe, success: bool) -> Verdict {
        if success {
            self.failures = 0;
            self.successes += 1;
            if !self.ok && self.successes >= probe.success_threshold.max(1) {
                self.ok = true;
                return Verdict::Flipped;
            }
            return Verdict::Same;
        }
        self.successes = 0;
        self.failures += 1;
        if self.failures < probe.failure_threshold.max(1) {
            return Verdict::Same;
        }
        match self.kind {
            ProbeKind::Readiness if self.ok => {
                self.ok = false;
                Verdict::Flipped
            }
            ProbeKind::Readiness => Verdict::Same,
            ProbeKind::Liveness | ProbeKind::Startup => Verdict::Kill,
        }
    }
}

/// Whether all of a container's startup probes succeeded (true without one).
pub fn started(probes: &[ProbeState], container: usize) -> bool {
    probes.iter().filter(|p| p.container == container && p.kind == ProbeKind::Startup).all(|p| p.ok)
}

/// Whether a running container is ready: started, and its readiness probe succeeded.
pub fn ready(probes: &[ProbeState], container: usize) -> bool {
    probes.iter().filter(|p| p.container == container && p.kind != ProbeKind::Liveness).all(|p| p.ok)
}

/// What a server in the container answers.
enum Listener {
    /// An HTTP server: the status code for a path, `up` µs after the process started.
    Http(fn(&str, u64) -> u16),
    Tcp,
}

fn static_site(path: &str, _up: u64) -> u16 {
    if matches!(path, "/" | "/index.html") {
        200
    } else {
        404
    }
}

/// agnhost `liveness`: /healthz answers 200 for the first 10 seconds, then 500.
fn agnhost_liveness(path: &str, up: u64) -> u16 {
    match path {
        "/healthz" if up < 10 * SECONDS => 200,
        "/healthz" => 500,
        "/started" => 200,
        _ => 404,
    }
}

fn any_path(_path: &str, _up: u64) -> u16 {
    200
}

/// The server listening on `port` in the container, if any.
fn listener(c: &Container, port: i32) -> Option<Listener> {
    let first_arg = c.args.first().map(String::as_str).unwrap_or_default();
    if super::images::base_name(&c.image) == "coredns" {
        // DNS on 53, /health on 8080, /ready on 8181, metrics on 9153.
        return match port {
            8080 | 8181 | 9153 => Some(Listener::Http(any_path)),
            53 => Some(Listener::Tcp),
            _ => None,
        };
    }
    let known = match super::images::base_name(&c.image) {
        "nginx" | "httpd" => Some((80, Listener::Http(static_site))),
        "agnhost" if first_arg == "liveness" => Some((8080, Listener::Http(agnhost_liveness))),
        "agnhost" if first_arg == "netexec" => Some((8080, Listener::Http(any_path))),
        "agnhost" if first_arg == "serve-hostname" => Some((9376, Listener::Http(any_path))),
        "serve_hostname" => Some((9376, Listener::Http(any_path))),
        "goproxy" => Some((8080, Listener::Tcp)),
        "redis" => Some((6379, Listener::Tcp)),
        "postgres" => Some((5432, Listener::Tcp)),
        "mysql" => Some((3306, Listener::Tcp)),
        "memcached" => Some((11211, Listener::Tcp)),
        _ => None,
    };
    match known {
        Some((p, l)) => (p == port).then_some(l),
        // Another image serves what it declares, unless it runs a script instead.
        None if c.command.is_empty() => {
            c.ports.iter().any(|p| p.container_port == port).then_some(Listener::Http(any_path))
        }
        None => None,
    }
}

/// What the container's server answers an HTTP GET of `path` on `port`, `up` µs after it
/// started: status and body, or why the connection failed. serve_hostname answers with the
/// pod's hostname — what makes load balancing visible.
pub fn http_get(c: &Container, port: i32, path: &str, up: u64, hostname: &str) -> Result<(u16, String), String> {
    match listener(c, port) {
        None => Err("Connection refused".into()),
        Some(Listener::Tcp) => Err("Connection reset by peer".into()),
        Some(Listener::Http(answer)) => {
            let status = answer(path, up);
            let first_arg = c.args.first().map(String::as_str).unwrap_or_default();
            let body = match super::images::base_name(&c.image) {
                _ if status >= 400 => String::new(),
                "nginx" => "<title>Welcome to nginx!</title>".into(),
                "httpd" => "<html><body><h1>It works!</h1></body></html>".into(),
                "serve_hostname" => hostname.into(),
                "agnhost" if first_arg == "serve-hostname" || path == "/hostname" => hostname.into(),
                _ => "ok".into(),
            };
            Ok((status, body))
        }
    }
}

/// A probe's port: a number, or the name of one of the container's ports.
fn port_number(c: &Container, port: &IntOrString) -> Result<i32, String> {
    match port {
        IntOrString::Int(n) => Ok(*n as i32),
        IntOrString::String(name) => c
            .ports
            .iter()
            .find(|p| p.name == *name)
            .map(|p| p.container_port)
            .ok_or_else(|| format!("unable to find port \"{name}\"")),
    }
}

/// Runs one probe against the container, `up` µs after its process started at `ip`:
/// Ok, or the failure's output as the event reports it.
pub fn check(c: &Container, probe: &Probe, ip: &str, up: u64) -> Result<(), String> {
    let refused = |port: i32| format!("dial tcp {ip}:{port}: connect: connection refused");
    if let Some(exec) = &probe.exec {
        return exec_probe(&Script::of(c), &exec.command, up);
    }
    if let Some(http) = &probe.http_get {
        let port = port_number(c, &http.port)?;
        let scheme = http.scheme.to_lowercase();
        let url = format!("{}://{ip}:{port}{}", if scheme.is_empty() { "http" } else { &scheme }, http.path);
        return match listener(c, port) {
            Some(Listener::Http(answer)) => match answer(&http.path, up) {
                200..=399 => Ok(()),
                code => Err(format!("HTTP probe failed with statuscode: {code}")),
            },
            Some(Listener::Tcp) => Err(format!("Get \"{url}\": net/http: HTTP/1.x transport connection broken")),
            None => Err(format!("Get \"{url}\": {}", refused(port))),
        };
    }
    if let Some(tcp) = &probe.tcp_socket {
        let port = port_number(c, &tcp.port)?;
        return listener(c, port).map(|_| ()).ok_or_else(|| refused(port));
    }
    if let Some(grpc) = &probe.grpc {
        return listener(c, grpc.port).map(|_| ()).ok_or_else(|| {
            format!("timeout: failed to connect service \"{ip}:{}\" within {}s", grpc.port, probe.timeout_seconds)
        });
    }
    Err("missing probe handler".into())
}

/// An exec probe: `cat`, `ls` and `test -e|-f` look at the script's files; `false` and
/// `exit N` fail; anything else succeeds.
fn exec_probe(script: &Script, command: &[String], up: u64) -> Result<(), String> {
    let words: Vec<&str> = command.iter().flat_map(|w| w.split_whitespace()).collect();
    let file = words.iter().rev().find(|w| w.starts_with('/')).copied().unwrap_or_default();
    let missing = !script.file_exists(file, up);
    match words.iter().find(|w| !matches!(**w, "sh" | "/bin/sh" | "-c")).copied() {
        Some("cat") if missing => Err(format!("cat: can't open '{file}': No such file or directory")),
        Some("ls") if missing => Err(format!("ls: {file}: No such file or directory")),
        Some("test" | "[") if missing => Err(String::new()),
        Some("false") => Err(String::new()),
        Some("exit") if words.last() != Some(&"0") => Err(String::new()),
        _ => Ok(()),
    }
}

/// The next tick of a probe worker started at `base` with `period`, not before `earliest`.
fn next_tick(base: SimTime, period: u64, earliest: SimTime) -> SimTime {
    let ticks = earliest.since(base).div_ceil(period.max(1));
    SimTime(base.0 + ticks * period)
}

impl Kubelet {
    /// The containers run: each probe's worker ticks every periodSeconds from the pod's
    /// admission; the first probe waits for initialDelaySeconds.
    pub(super) fn start_probes(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str) {
        let Some(w) = self.workers.get(uid) else { return };
        for (index, state) in w.probes.iter().enumerate() {
            let Some(probe) = pod.spec.containers.get(state.container).and_then(|c| state.kind.of(c)) else {
                continue;
            };
            let period = probe.period_seconds.max(1) as u64 * SECONDS;
            let earliest = SimTime(ctx.now.0 + probe.initial_delay_seconds.max(0) as u64 * SECONDS);
            let at = next_tick(w.admitted, period, earliest);
            ctx.timer(at.since(ctx.now), Timer::Probe { uid: uid.into(), run: w.run, index });
        }
    }

    /// One tick of a probe worker: probe (unless the startup probe still gates it), count
    /// the result, report a flip, kill on a final liveness or startup failure.
    pub(super) fn probe_tick(&mut self, ctx: &mut Ctx, uid: &str, run: u64, index: usize) {
        let Some(pod) = self.pod_of(uid) else { return };
        let Some(w) = self.workers.get_mut(uid).filter(|w| w.run == run && w.step == Step::Running) else {
            return;
        };
        let Some(state) = w.probes.get(index).cloned() else { return };
        let Some(c) = pod.spec.containers.get(state.container) else { return };
        let Some(probe) = state.kind.of(c).cloned() else { return };
        let period = probe.period_seconds.max(1) as u64 * SECONDS;
        if state.kind != ProbeKind::Startup && !started(&w.probes, state.container) {
            ctx.timer(period, Timer::Probe { uid: uid.into(), run, index });
            return;
        }
        let result = check(c, &probe, &w.ip, ctx.now.since(w.running_since));
        let verdict = w.probes[index].record(&probe, result.is_ok());
        let key = w.key.clone();
        let done = state.kind == ProbeKind::Startup && w.probes[index].ok;
        let title = state.kind.title();
        let outcome = if result.is_ok() { "successful" } else { "failed" };
        let labels = (title, outcome, pod.metadata.namespace.clone(), pod.metadata.name.clone(), c.name.clone());
        *self.metrics.probes.entry(labels).or_insert(0) += 1;
        ctx.phase("prober", format!("{key}: {title} probe of {} {outcome}", c.name));
        if let Err(output) = result {
            let message = format!("{title} probe failed: {output}");
            self.container_event(ctx, &pod, state.container, recorder::WARNING, "Unhealthy", message);
        }
        match verdict {
            Verdict::Kill => return self.kill_for_restart(ctx, &pod, uid, state.container, state.kind),
            Verdict::Flipped => self.report(ctx, &pod, uid),
            Verdict::Same => {}
        }
        if !done {
            ctx.timer(period, Timer::Probe { uid: uid.into(), run, index });
        }
    }

    /// A liveness or startup probe failed for good: the kubelet stops the containers and
    /// the restart policy takes over. A shell script ignores SIGTERM and is killed (137);
    /// a server exits cleanly (0).
    fn kill_for_restart(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str, container: usize, kind: ProbeKind) {
        let Some(c) = pod.spec.containers.get(container) else { return };
        let what = kind.title().to_lowercase();
        let message = format!("Container {} failed {what} probe, will be restarted", c.name);
        self.container_event(ctx, pod, container, recorder::NORMAL, "Killing", message);
        let code = if Script::of(c).ends.is_some() { 137 } else { 0 };
        let seq = self.next_seq;
        self.next_seq += 1;
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.exit_code = Some(code);
        w.killed = true;
        w.run = 0;
        w.seq = seq;
        ctx.phase("StopContainer", format!("{}: {} (failed {what} probe)", w.key, c.name));
        *self.metrics.runtime_operations.entry("stop_container").or_insert(0) += 1;
        let stop = self.rng.between(100, 400) * MILLIS;
        ctx.timer(stop, Timer::PodStep { uid: uid.into(), seq });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::probe::{ExecAction, HttpGetAction, TcpSocketAction};

    fn probe(p: Probe) -> Probe {
        let mut p = p;
        p.set_defaults();
        p
    }

    #[test]
    fn exec_http_and_tcp_probes_answer_as_the_docs_examples_do() {
        let busybox = Container {
            image: "registry.k8s.io/busybox".into(),
            args: ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        let cat = probe(Probe {
            exec: Some(ExecAction { command: vec!["cat".into(), "/tmp/healthy".into()] }),
            ..Default::default()
        });
        assert_eq!(check(&busybox, &cat, "10.244.1.5", 5 * SECONDS), Ok(()));
        assert_eq!(
            check(&busybox, &cat, "10.244.1.5", 35 * SECONDS),
            Err("cat: can't open '/tmp/healthy': No such file or directory".into())
        );
        let agnhost = Container {
            image: "registry.k8s.io/e2e-test-images/agnhost:2.40".into(),
            args: vec!["liveness".into()],
            ..Default::default()
        };
        let healthz = probe(Probe {
            http_get: Some(HttpGetAction { path: "/healthz".into(), port: IntOrString::Int(8080), scheme: "".into() }),
            ..Default::default()
        });
        assert_eq!(check(&agnhost, &healthz, "10.244.1.5", 9 * SECONDS), Ok(()));
        assert_eq!(
            check(&agnhost, &healthz, "10.244.1.5", 12 * SECONDS),
            Err("HTTP probe failed with statuscode: 500".into())
        );
        let nginx = Container { image: "nginx".into(), ..Default::default() };
        let wrong_port = probe(Probe {
            http_get: Some(HttpGetAction { path: "/".into(), port: IntOrString::Int(8080), scheme: "".into() }),
            ..Default::default()
        });
        assert_eq!(
            check(&nginx, &wrong_port, "10.244.1.5", 0),
            Err("Get \"http://10.244.1.5:8080/\": dial tcp 10.244.1.5:8080: connect: connection refused".into())
        );
        let goproxy = Container { image: "registry.k8s.io/goproxy:0.1".into(), ..Default::default() };
        let tcp = |port| probe(Probe { tcp_socket: Some(TcpSocketAction { port }), ..Default::default() });
        assert_eq!(check(&goproxy, &tcp(IntOrString::Int(8080)), "10.244.1.5", 0), Ok(()));
        assert!(check(&goproxy, &tcp(IntOrString::String("http".into())), "10.244.1.5", 0).is_err());
    }

    #[test]
    fn results_flip_only_after_their_thresholds() {
        let p = probe(Probe { success_threshold: 2, ..Default::default() });
        let mut readiness = ProbeState::for_containers(&[Container {
            readiness_probe: Some(Box::new(p.clone())),
            liveness_probe: Some(Box::new(p.clone())),
            ..Default::default()
        }]);
        assert_eq!(readiness.iter().map(|s| s.kind).collect::<Vec<_>>(), [ProbeKind::Liveness, ProbeKind::Readiness]);
        let r = &mut readiness[1];
        assert!(!r.ok, "readiness starts failed");
        assert_eq!(r.record(&p, true), Verdict::Same);
        assert_eq!(r.record(&p, true), Verdict::Flipped, "ready after successThreshold 2");
        assert_eq!((r.record(&p, false), r.record(&p, false)), (Verdict::Same, Verdict::Same));
        assert_eq!(r.record(&p, false), Verdict::Flipped, "unready after failureThreshold 3");
        let l = &mut readiness[0];
        assert!(l.ok, "liveness starts succeeded");
        l.record(&p, false);
        l.record(&p, false);
        assert_eq!(l.record(&p, false), Verdict::Kill);
    }
}
