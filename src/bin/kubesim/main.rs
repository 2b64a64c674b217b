//! kubesim: the simulation engine on the command line, for tests, benchmarks and power users.
//!
//! kubesim run [--seed N] [--until 60s] [--script FILE]   (a script's `kubectl edit` opens $KUBE_EDITOR)
//! kubesim metrics [--seed N] [--until 60s] [--script FILE] [--component kube-apiserver|etcd-0|kubelet/worker-1|…]
//! kubesim bench [--minutes 10]
//! kubesim bench cluster [--preset large|envelope|openai-7500] [--nodes N] [--until 30m]
//! kubesim bench join [--nodes 500] [--spread SECONDS]
//! kubesim bench disk [--fsync-us 2000] [--pods 200]
//! kubesim bench endpoints [--nodes 1000] [--endpoints 1000]
//! kubesim bench schedule --nodes 5000 --pods 10000 [--workload basic|…]
//! kubesim schedule -f CLUSTER.yaml [--config SCHED.yaml] [-o json]
//! kubesim auth can-i VERB RESOURCE[/NAME] [-n NS] --as USER [--as-group G]… -f RBAC.yaml
//! kubesim apply -f FILE [-f FILE]… [--as USER] [--as-group G]…
//! kubesim transports [--requests 12] [--size 20000] [--rtt-ms 40] [--mbit 50] [--loss 0.01] [--seed 1] [--pipelining] [--resumed] [--discover] [--push] [--priorities]
//! kubesim link encode SCENARIO.json [--objects APP.yaml] [--t SECONDS] [--base URL] · kubesim link decode URL

mod apply;
mod auth;
mod editor;
mod link;
mod manifest;
mod quota;
mod schedule;

use kube_playground::kubectl;
use kube_playground::scenario::script::{self, Line};
use kube_playground::scenario::session::Session;
use kube_playground::scenario::{scale, Scenario};
use kube_playground::sim::component::Component;
use kube_playground::sim::etcd::checker::{check_seed, Fault};
use kube_playground::sim::etcd::{ETCD_TIMING, PAPER_TIMING};
use kube_playground::sim::event::{ComponentId, Timer};
use kube_playground::sim::time::{parse_duration, SimTime, SECONDS};
use kube_playground::sim::Simulation;
use std::process::ExitCode;

const USAGE: &str = "usage:
  kubesim run [--seed N] [--until DURATION] [--script FILE]
  kubesim metrics [--seed N] [--until DURATION] [--script FILE] [--component kube-apiserver|etcd-N|kube-scheduler|kube-controller-manager|kubelet/NODE|cadvisor/NODE|kube-proxy/NODE]
  kubesim bench [--minutes N]
  kubesim bench cluster [--preset large|envelope|openai-7500] [--nodes N] [--until DURATION]
  kubesim bench join [--nodes N] [--spread SECONDS]
  kubesim bench disk [--fsync-us MICROSECONDS] [--pods N]
  kubesim bench endpoints [--nodes N] [--endpoints N]
  kubesim bench quota [--nodes N] [--quota-mb MIB] [--until DURATION]
  kubesim bench schedule [--nodes N] [--pods N] [--workload basic|node-affinity|topology-spread|pod-anti-affinity|preemption]
  kubesim schedule -f CLUSTER.yaml [--config SCHED.yaml] [-o json] [--seed N]
  kubesim auth can-i VERB RESOURCE[/NAME] [--subresource S] [-n NS] [--as USER] [--as-group G]... [-f RBAC.yaml]
  kubesim apply -f FILE [-f FILE]... [--as USER] [--as-group G]...
  kubesim link encode SCENARIO.json [--objects APP.yaml] [--t SECONDS] [--base URL]
  kubesim link decode URL
  kubesim transports [--requests N] [--size BYTES] [--rtt-ms MS] [--mbit MBIT/S] [--loss P] [--seed N] [--pipelining] [--resumed] [--discover] [--push] [--priorities]
  kubesim raft check [--members N] [--seeds N] [--from SEED] [--faults crash,partition,drop,dup,reorder,slowdisk]
                     [--timing paper|etcd] [--fault-seconds S]";

/// How long a console command may wait for its answer.
const COMMAND_TIMEOUT_US: u64 = 30 * SECONDS;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("metrics") => metrics(&args[1..]),
        Some("bench") if args.get(1).map(String::as_str) == Some("schedule") => bench_schedule(&args[2..]),
        Some("bench") if args.get(1).map(String::as_str) == Some("cluster") => bench_cluster(&args[2..]),
        Some("bench") if args.get(1).map(String::as_str) == Some("join") => bench_join(&args[2..]),
        Some("bench") if args.get(1).map(String::as_str) == Some("disk") => bench_disk(&args[2..]),
        Some("bench") if args.get(1).map(String::as_str) == Some("endpoints") => bench_endpoints(&args[2..]),
        Some("bench") if args.get(1).map(String::as_str) == Some("quota") => quota::bench(&args[2..]),
        Some("bench") => bench(&args[1..]),
        Some("schedule") => schedule_cmd(&args[1..]),
        Some("raft") if args.get(1).map(String::as_str) == Some("check") => raft_check(&args[2..]),
        Some("auth") if args.get(1).map(String::as_str) == Some("can-i") => {
            return answer(auth::can_i(&args[2..]));
        }
        Some("link") if args.get(1).map(String::as_str) == Some("encode") => {
            link::encode(&args[2..]).map(|l| println!("{l}"))
        }
        Some("link") if args.get(1).map(String::as_str) == Some("decode") => {
            link::decode(&args[2..]).map(|l| println!("{l}"))
        }
        Some("transports") => transports(&args[1..]),
        Some("apply") => {
            let files: Vec<&str> =
                args[1..].windows(2).filter(|w| w[0] == "-f" || w[0] == "--filename").map(|w| w[1].as_str()).collect();
            return answer(apply::apply(&files, &identity_flags(&args[1..])));
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a kubectl-style answer; exit 0 for success (or `yes`), 1 otherwise.
fn answer(result: Result<(String, bool), String>) -> ExitCode {
    match result {
        Ok((out, ok)) => {
            println!("{out}");
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `--as X` / `--as-group G` with their values, for kubectl's identity parser.
fn identity_flags(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--as" || a == "--as-group" {
            out.push(a.clone());
            if let Some(v) = args.get(i + 1) {
                out.push(v.clone());
            }
            i += 1;
        } else if a.starts_with("--as=") || a.starts_with("--as-group=") {
            out.push(a.clone());
        }
        i += 1;
    }
    out
}

fn flag<'a>(args: &'a [String], name: &str) -> Result<Option<&'a str>, String> {
    for (i, a) in args.iter().enumerate() {
        if a == name {
            return args.get(i + 1).map(|v| Some(v.as_str())).ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        }
        if let Some(v) = a.strip_prefix(&format!("{name}=")) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// A cluster run from `--seed` through `--script` to `--until`, printing what the script's
/// commands print when `echo` is set.
fn scripted(args: &[String], echo: bool) -> Result<Simulation, String> {
    let seed = match flag(args, "--seed")? {
        Some(s) => s.parse().map_err(|_| format!("invalid --seed \"{s}\""))?,
        None => 7,
    };
    let until = parse_duration(flag(args, "--until")?.unwrap_or("60s"))?;
    let lines = match flag(args, "--script")? {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {path}: {e}"))?;
            script::parse(&text)?
        }
        None => vec![],
    };
    let scenario = Scenario { seed, ..Scenario::default() };
    let mut sim = scenario.build()?;
    for line in lines {
        match line {
            Line::Wait(us) => {
                let t = sim.now().plus(us);
                sim.run_until(t);
                if echo {
                    println!("# wait → t={}", sim.now());
                }
            }
            Line::Command(cmd) => {
                let out = if editor::is_edit(&cmd) {
                    kubectl::edit_with(&mut sim, &cmd, COMMAND_TIMEOUT_US, editor::edit)
                } else {
                    kubectl::run(&mut sim, &cmd, COMMAND_TIMEOUT_US)
                };
                if echo {
                    println!("$ {cmd}   # t={}\n{out}", sim.now());
                }
            }
        }
    }
    sim.run_until(SimTime(until.max(sim.now().0)));
    Ok(sim)
}

fn run(args: &[String]) -> Result<(), String> {
    let sim = scripted(args, true)?;
    println!("trace-hash: {:016x}", sim.trace.hash());
    Ok(())
}

/// One component's Prometheus text exposition at the end of the run, as its /metrics serves
/// it: kube-apiserver (default), etcd-N, kube-scheduler, kube-controller-manager,
/// kubelet/NODE (cadvisor/NODE: its /metrics/cadvisor) or kube-proxy/NODE.
fn metrics(args: &[String]) -> Result<(), String> {
    let component = flag(args, "--component")?.unwrap_or("kube-apiserver");
    let sim = scripted(args, false)?;
    let text = kubectl::curl::scrape(&sim, component)?;
    if !text.starts_with("# HELP") {
        return Err(format!("{component}: {text}"));
    }
    // The exposition format ends every line, the last one too.
    println!("{}", text.trim_end());
    Ok(())
}

// A benchmark measures wall time on purpose; the simulation itself never reads the clock.
#[allow(clippy::disallowed_methods)]
fn bench(args: &[String]) -> Result<(), String> {
    let minutes: u64 = match flag(args, "--minutes")? {
        Some(m) => m.parse().map_err(|_| format!("invalid --minutes \"{m}\""))?,
        None => 10,
    };
    let mut sim = Scenario::default().build()?;
    let started = std::time::Instant::now();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", COMMAND_TIMEOUT_US);
    sim.run_until(SimTime(minutes * 60 * SECONDS));
    let wall = started.elapsed().as_secs_f64();
    println!("simulated: {minutes} min of the default cluster with a 3-replica deployment");
    println!("events: {}", sim.steps());
    println!("trace records: {}", sim.trace.total());
    println!("wall time: {wall:.3} s");
    println!("events per second: {:.0}", sim.steps() as f64 / wall.max(1e-9));
    println!("speed-up over real time: {:.0}x", (minutes * 60) as f64 / wall.max(1e-9));
    Ok(())
}

fn schedule_cmd(args: &[String]) -> Result<(), String> {
    let file =
        flag(args, "-f")?.or(flag(args, "--filename")?).ok_or_else(|| format!("error: -f is required\n{USAGE}"))?;
    match flag(args, "-o")? {
        None | Some("json") => {}
        Some(other) => {
            return Err(format!(
            "error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: json"
        ))
        }
    }
    println!("{}", schedule::schedule(file, flag(args, "--config")?, number(args, "--seed", 1)?)?);
    Ok(())
}

fn bench_schedule(args: &[String]) -> Result<(), String> {
    let nodes = number(args, "--nodes", 5000usize)?;
    let pods = number(args, "--pods", 10000usize)?;
    let workload = flag(args, "--workload")?.unwrap_or("basic");
    let r = schedule::bench(nodes, pods, workload)?;
    println!("workload: {workload}, nodes: {nodes}, pods: {pods}");
    println!("scheduled: {}, unschedulable: {}, preemptions: {}", r.scheduled, r.unschedulable, r.preemptions);
    println!("wall time: {:.3} s", r.seconds);
    println!("pods/s: {:.0}", pods as f64 / r.seconds.max(1e-9));
    Ok(())
}

/// HTTP/1.0, 1.1, 2 and 3 loading the same responses over the same seeded link: the table.
fn transports(args: &[String]) -> Result<(), String> {
    use kube_playground::sim::transport::{row, run, wire::Link, Options, Protocol, COLUMNS};
    let link = Link {
        rtt_us: number::<u64>(args, "--rtt-ms", 40)? * 1000,
        bandwidth: number::<u64>(args, "--mbit", 50)? * 1_000_000 / 8,
        loss: number(args, "--loss", 0.0)?,
        seed: number(args, "--seed", 1)?,
        lose: Vec::new(),
    };
    if !(0.0..1.0).contains(&link.loss) {
        return Err("--loss is a probability in [0, 1)".into());
    }
    let opts = Options {
        requests: number(args, "--requests", 12)?,
        response_bytes: number(args, "--size", 20_000)?,
        pipelining: args.iter().any(|a| a == "--pipelining"),
        resumed: args.iter().any(|a| a == "--resumed"),
        discover: args.iter().any(|a| a == "--discover"),
        push: args.iter().any(|a| a == "--push"),
        priorities: args.iter().any(|a| a == "--priorities"),
        ..Options::default()
    };
    println!(
        "{} responses of {} bytes, RTT {} ms, {} Mbit/s, loss {}",
        opts.requests,
        opts.response_bytes,
        link.rtt_us / 1000,
        link.bandwidth * 8 / 1_000_000,
        link.loss
    );
    let rows: Vec<[String; 7]> = Protocol::ALL.iter().map(|p| row(&run(*p, link.clone(), opts.clone()))).collect();
    let widths: Vec<usize> = (0..COLUMNS.len())
        .map(|i| rows.iter().map(|r| r[i].len()).chain([COLUMNS[i].len()]).max().unwrap_or(0))
        .collect();
    let line =
        |cells: Vec<&str>| cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ");
    println!("{}", line(COLUMNS.to_vec()));
    for r in &rows {
        println!("{}", line(r.iter().map(String::as_str).collect()));
    }
    for line in kube_playground::sim::transport::encodings_lines() {
        println!("{line}");
    }
    Ok(())
}

fn number<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match flag(args, name)? {
        Some(v) => v.parse().map_err(|_| format!("invalid {name} \"{v}\"")),
        None => Ok(default),
    }
}

/// Seeded random fault schedules against an etcd cluster; prints failing seeds and the
/// election-time distribution.
fn raft_check(args: &[String]) -> Result<(), String> {
    let members: usize = number(args, "--members", 5)?;
    let seeds: u64 = number(args, "--seeds", 100)?;
    let from: u64 = number(args, "--from", 1)?;
    let fault_s: u64 = number(args, "--fault-seconds", 10)?;
    if !(1..=7).contains(&members) {
        return Err("--members must be between 1 and 7".into());
    }
    let faults_arg = flag(args, "--faults")?.unwrap_or("crash,partition,drop,dup,reorder,slowdisk");
    let faults: Vec<Fault> = if faults_arg == "none" {
        vec![]
    } else {
        faults_arg.split(',').map(Fault::parse).collect::<Result<_, _>>()?
    };
    let timing = match flag(args, "--timing")?.unwrap_or("paper") {
        "paper" => PAPER_TIMING,
        "etcd" => ETCD_TIMING,
        other => return Err(format!("unknown --timing \"{other}\" (paper, etcd)")),
    };
    let mut elections: Vec<u64> = Vec::new();
    let mut violations = 0;
    for seed in from..from + seeds {
        let r = check_seed(members, seed, &faults, timing, fault_s);
        elections.extend(r.elections_us);
        if !r.violations.is_empty() {
            violations += 1;
            println!("seed {seed}: {}", r.violations.join("; "));
            println!(
                "  replay: kubesim raft check --members {members} --seeds 1 --from {seed} --faults {faults_arg} --timing {} --fault-seconds {fault_s}",
                timing.name
            );
        }
    }
    elections.sort_unstable();
    let pct = |p: f64| -> f64 {
        if elections.is_empty() {
            return 0.0;
        }
        let i = ((elections.len() as f64 - 1.0) * p).round() as usize;
        elections[i] as f64 / 1000.0
    };
    println!(
        "violations: {violations}, seeds: {seeds}, p50-election-ms: {:.0}, p99-election-ms: {:.0}, max-election-ms: {:.0}",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    if violations > 0 {
        return Err(format!("{violations} seed(s) violated Raft safety"));
    }
    Ok(())
}
/// The newest phase in the trace, as `component: phase detail` (what the last event did).
fn last_phase(sim: &Simulation) -> String {
    sim.trace
        .recent()
        .rev()
        .find_map(|r| match r {
            kube_playground::sim::trace::TraceRecord::Phase { at, component, phase, detail } => {
                let name = sim.infos.get(*component as usize).map_or("?", |i| i.name.as_str());
                Some(format!("{name} at {at}: {phase} {detail}"))
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Pods the apiserver knows and how many of them are Running.
fn pods_running(sim: &kube_playground::sim::Simulation) -> (usize, usize) {
    let Some(api) = sim.apiserver() else { return (0, 0) };
    let pods = api.cached_under("/registry/pods/").filter_map(|o| o.as_pod());
    pods.fold((0, 0), |(all, running), p| (all + 1, running + usize::from(p.status.phase == "Running")))
}

/// The process's peak resident memory (VmHWM), MiB; Linux only.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

/// How many of the longest events `bench cluster` names.
const LONGEST_SHOWN: usize = 5;
/// How many cluster views `bench cluster` times (`--views`).
const VIEWS_TIMED: u32 = 20;
/// Simulated time between two pictures when the bench times the later ones (the page takes
/// one no sooner than every 250 ms of wall time, which is about this much simulated time at
/// 7,500 nodes).
const VIEW_EVERY_US: u64 = 250 * kube_playground::sim::time::MILLIS;

// A benchmark measures wall time on purpose; the simulation itself never reads the clock.
#[allow(clippy::disallowed_methods)]
fn bench_cluster(args: &[String]) -> Result<(), String> {
    let name = flag(args, "--preset")?.unwrap_or("large");
    let shape = scale::SHAPES
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| format!("unknown scale preset \"{name}\" (large, envelope, openai-7500)"))?;
    let nodes = number(args, "--nodes", shape.nodes)?;
    let limit = SimTime(parse_duration(flag(args, "--until")?.unwrap_or("30m"))?);
    let views = number(args, "--views", VIEWS_TIMED)?.max(1);
    let scenario = shape.scenario(Some(nodes));
    let want = shape.replicas * nodes / shape.nodes + nodes * shape.daemonsets.len();
    println!("preset: {name}, nodes: {nodes}, pods: {want}");
    let started = std::time::Instant::now();
    let mut session = Session::new(scenario)?;
    // The page builds the cluster before its first frame, in one task.
    println!("cluster built in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    let (mut all, mut running) = (0, 0);
    // The longest single events: what a page running the simulation in slices cannot split.
    let mut longest: Vec<(f64, String)> = Vec::new();
    while running < want && session.sim.now() < limit {
        let t = session.sim.now().plus(SECONDS);
        loop {
            let next = session.sim.next_event().map(|(to, what)| (to, what.map_err(Timer::clone)));
            let step = std::time::Instant::now();
            let reached = session.advance(t, 1);
            let took = step.elapsed().as_secs_f64();
            if longest.len() < LONGEST_SHOWN || longest.last().is_some_and(|l| took > l.0) {
                let what = match next {
                    Some((to, what)) => {
                        let name = session.sim.infos.get(to as usize).map_or("?", |i| i.name.as_str());
                        match what {
                            Ok(kind) => format!("{name} handling a {kind:?} message"),
                            Err(timer) => format!("{name} handling its timer {timer:?}"),
                        }
                    }
                    None => String::new(),
                };
                longest.push((took, format!("{what} (after {})", last_phase(&session.sim))));
                longest.sort_by(|a, b| b.0.total_cmp(&a.0));
                longest.truncate(LONGEST_SHOWN);
            }
            if reached {
                break;
            }
        }
        (all, running) = pods_running(&session.sim);
    }
    let wall = started.elapsed().as_secs_f64();
    let sim = &session.sim;
    // Every apiserver's /metrics together.
    let apiservers = sim.infos.iter().filter(|i| i.name.starts_with("kube-apiserver"));
    let metrics: String =
        apiservers.filter_map(|i| kubectl::curl::scrape(sim, &i.name).ok()).collect::<Vec<_>>().join("\n");
    let total = |name: &str| -> f64 { sum_by(&metrics, name, "kind").iter().map(|(_, n)| n).sum() };
    println!("pods: {all} created, {running} Running at simulated {}", sim.now());
    println!(
        "watch events sent: {:.0} ({:.1} MiB)",
        total("apiserver_watch_events_total"),
        total("apiserver_watch_events_sizes_sum") / 1048576.0
    );
    if let Ok(kcm) = kubectl::curl::scrape(sim, "kube-controller-manager") {
        let mut syncs = sum_by(&kcm, "workqueue_work_duration_seconds_count", "name");
        sort_desc(&mut syncs);
        let top: Vec<String> = syncs.iter().take(4).map(|(q, n)| format!("{q} {n:.0}")).collect();
        println!("controller syncs: {}", top.join(", "));
    }
    for (i, (took, phase)) in longest.iter().enumerate() {
        let which = if i == 0 { "longest single event" } else { "  next" };
        println!("{which}: {:.1} ms, {phase}", took * 1e3);
    }
    // The page takes this picture of the cluster every 250 ms past 12 workers: whole at
    // first, then again only where something changed.
    let view_started = std::time::Instant::now();
    let view = sim.view();
    for _ in 1..views {
        std::hint::black_box(sim.view());
    }
    println!(
        "cluster view: {:.1} ms, mean of {views} ({} nodes, {} pods drawn)",
        view_started.elapsed().as_secs_f64() * 1e3 / f64::from(views),
        view.nodes.len(),
        view.nodes.iter().map(|n| n.pods.len()).sum::<usize>()
    );
    let steps = sim.steps();
    let (mut again_s, mut last, mut kubelets_again) = (0.0, view, 0);
    for _ in 0..views {
        let until = session.sim.now().plus(VIEW_EVERY_US);
        session.sim.run_until(until);
        let sim = &session.sim;
        let changed = |id: usize| sim.changed_since(id as ComponentId, last.steps);
        kubelets_again += sim
            .components
            .iter()
            .enumerate()
            .filter(|(i, c)| matches!(c, Component::Kubelet(_)) && changed(*i))
            .count();
        let started = std::time::Instant::now();
        last = sim.view_after(Some(last));
        again_s += started.elapsed().as_secs_f64();
    }
    println!(
        "cluster view again after {} ms simulated: {:.1} ms, mean of {views} ({} nodes taken again on average)",
        VIEW_EVERY_US / 1000,
        again_s * 1e3 / f64::from(views),
        kubelets_again / views as usize
    );
    println!("events: {steps}");
    println!("wall time to all Running: {wall:.3} s");
    println!("simulated events per second: {:.0}", steps as f64 / wall.max(1e-9));
    match peak_memory_mib() {
        Some(mib) => println!("peak memory: {mib:.0} MiB"),
        None => println!("peak memory: unknown (no /proc/self/status)"),
    }
    if running < want {
        // What is stuck, as an operator would look.
        for cmd in ["kubectl get deployments", "kubectl get replicasets", "kubectl get daemonsets -n kube-system"] {
            println!("$ {cmd}\n{}", kubectl::run(&mut session.sim, cmd, COMMAND_TIMEOUT_US));
        }
        return Err(format!("only {running} of {want} pods Running by {}", session.sim.now()));
    }
    Ok(())
}

/// One pod of a big Service replaced, with kube-proxy watching EndpointSlices and then v1
/// Endpoints (as before 1.19): what kube-apiserver's watch fan-out sends for it, by kind.
fn bench_endpoints(args: &[String]) -> Result<(), String> {
    let nodes = number(args, "--nodes", 1000usize)?;
    let endpoints = number(args, "--endpoints", 1000usize)?;
    let shape = scale::SHAPES.iter().find(|s| s.name == "large").ok_or("no large preset")?;
    println!("nodes: {nodes}, one Service with {endpoints} endpoints; one of its pods is deleted and replaced");
    for source in ["endpointslices", "endpoints"] {
        let mut scenario = shape.scenario(Some(nodes));
        scenario.cluster.proxy_endpoints = source.into();
        for doc in &mut scenario.objects {
            if doc["kind"] == "Deployment" {
                doc["spec"]["replicas"] = endpoints.into();
            }
        }
        let service = r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"work","namespace":"default"},
            "spec":{"selector":{"app":"work"},"ports":[{"port":80}]}}"#;
        scenario.objects.push(serde_json::from_str(service).map_err(|e| e.to_string())?);
        let want = endpoints + nodes * shape.daemonsets.len();
        let mut session = Session::new(scenario)?;
        while pods_running(&session.sim).1 < want && session.sim.now() < SimTime::from_secs(1800) {
            let t = session.sim.now().plus(SECONDS);
            session.advance(t, u64::MAX);
        }
        let sim = &mut session.sim;
        sim.run_until(sim.now().plus(30 * SECONDS));
        let sent = |sim: &mut kube_playground::sim::Simulation| {
            let m = kubectl::run(sim, "kubectl get --raw /metrics", COMMAND_TIMEOUT_US);
            let by = |name: &str| sum_by(&m, name, "kind");
            (by("apiserver_watch_events_total"), by("apiserver_watch_events_sizes_sum"))
        };
        let (events0, bytes0) = sent(sim);
        let pods = kubectl::run(sim, "kubectl get pods -l app=work", COMMAND_TIMEOUT_US);
        let pod = pods.lines().nth(1).and_then(|l| l.split_whitespace().next()).ok_or("no pod")?.to_string();
        kubectl::run(sim, &format!("kubectl delete pod {pod} --wait=false"), COMMAND_TIMEOUT_US);
        sim.run_until(sim.now().plus(60 * SECONDS));
        let (events1, bytes1) = sent(sim);
        let delta = |after: &[(String, f64)], before: &[(String, f64)], kind: &str| {
            let get = |v: &[(String, f64)]| v.iter().find(|(k, _)| k == kind).map_or(0.0, |(_, n)| *n);
            get(after) - get(before)
        };
        let kind = if source == "endpoints" { "Endpoints" } else { "EndpointSlice" };
        println!(
            "kube-proxy watching {source}: {:.0} {kind} watch events, {:.1} MiB sent for the one pod",
            delta(&events1, &events0, kind),
            delta(&bytes1, &bytes0, kind) / 1048576.0
        );
    }
    Ok(())
}

/// The sum over every series of `name` in a Prometheus text exposition, by one label's value
/// (e.g. `le` of a histogram, `code` of a counter).
/// Largest first.
fn sort_desc(v: &mut [(String, f64)]) {
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

fn sum_by(text: &str, name: &str, label: &str) -> Vec<(String, f64)> {
    sum_by_where(text, name, label, |_| true)
}

/// `sum_by` over the series whose labels `keep` accepts.
fn sum_by_where(text: &str, name: &str, label: &str, keep: impl Fn(&str) -> bool) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with(&format!("{name}{{")) && keep(l)) {
        let Some((labels, value)) = line.rsplit_once(' ') else { continue };
        let key = format!("{label}=\"");
        let Some(v) = labels.split_once(&key).and_then(|(_, rest)| rest.split('"').next()) else { continue };
        let value: f64 = value.parse().unwrap_or(0.0);
        match out.iter_mut().find(|(k, _)| k == v) {
            Some((_, total)) => *total += value,
            None => out.push((v.to_string(), value)),
        }
    }
    out
}

/// A node join storm: N workers boot at once (or over `--spread` seconds) against kubeadm's
/// default apiserver limits. Prints how long until every node is Ready, the 429s, and the
/// apiserver's request latency.
fn bench_join(args: &[String]) -> Result<(), String> {
    let nodes = number(args, "--nodes", 500usize)?;
    let spread = number(args, "--spread", 0u64)?;
    let mut scenario = Scenario::default();
    scenario.cluster.set_workers(nodes);
    scenario.cluster.pod_subnet = "10.128.0.0/14".into();
    scenario.cluster.node_join_spread_s = spread;
    let mut sim = scenario.build()?;
    let ready = kube_playground::scenario::lesson::Until::Ready;
    while !ready.met(&sim, SimTime::ZERO) && sim.now() < SimTime::from_secs(300) {
        let t = sim.now().plus(SECONDS / 10);
        sim.run_until(t);
    }
    let at = sim.now();
    let metrics = kubectl::run(&mut sim, "kubectl get --raw /metrics", COMMAND_TIMEOUT_US);
    let throttled: f64 =
        sum_by(&metrics, "apiserver_request_total", "code").iter().filter(|(c, _)| c == "429").map(|(_, n)| n).sum();
    let total: f64 = sum_by(&metrics, "apiserver_request_total", "code").iter().map(|(_, n)| n).sum();
    let p99 = quantile_bound(&sum_by(&metrics, "apiserver_request_duration_seconds_bucket", "le"), 0.99);
    println!(
        "nodes: {nodes}, joining over {spread} s, --max-requests-inflight 400 / --max-mutating-requests-inflight 200"
    );
    println!("all nodes Ready at: {at}");
    println!("API requests: {}, answered 429: {}", total as u64, throttled as u64);
    println!("request latency p99: <= {p99} s");
    Ok(())
}

/// The upper bound of the histogram bucket holding quantile `q`, from cumulative `le` buckets.
fn quantile_bound(buckets: &[(String, f64)], q: f64) -> String {
    let count = buckets.iter().find(|(le, _)| le == "+Inf").map_or(0.0, |(_, n)| *n);
    buckets.iter().find(|(_, n)| *n >= q * count).map_or("?".to_string(), |(le, _)| le.clone())
}

/// etcd's disk under the API: the same writes with a given WAL fsync latency; prints the
/// fsync and backend commit latencies etcd reports and the apiserver's write latency.
fn bench_disk(args: &[String]) -> Result<(), String> {
    let fsync_us = number(args, "--fsync-us", 2000u64)?;
    let pods = number(args, "--pods", 200usize)?;
    let mut scenario = Scenario::default();
    scenario.cluster.etcd_fsync_us = fsync_us;
    let mut sim = scenario.build()?;
    sim.run_until(SimTime::from_secs(2));
    let start = sim.now();
    kubectl::run(
        &mut sim,
        &format!("kubectl create deployment web --image=nginx --replicas={pods}"),
        COMMAND_TIMEOUT_US,
    );
    let all =
        kube_playground::scenario::lesson::Until::Pods { prefix: "web-".into(), status: "Running".into(), count: pods };
    while !all.met(&sim, start) && sim.now() < SimTime::from_secs(300) {
        let t = sim.now().plus(SECONDS / 10);
        sim.run_until(t);
    }
    let took = sim.now().since(start) as f64 / 1e6;
    let api = kubectl::run(&mut sim, "kubectl get --raw /metrics", COMMAND_TIMEOUT_US);
    let etcd = kubectl::run(&mut sim, "curl -s http://etcd-0:2381/metrics", COMMAND_TIMEOUT_US);
    let writes = |l: &str| ["POST", "PUT", "PATCH", "DELETE"].iter().any(|v| l.contains(&format!("verb=\"{v}\"")));
    let api_writes = sum_by_where(&api, "apiserver_request_duration_seconds_bucket", "le", writes);
    let fsync = sum_by(&etcd, "etcd_disk_wal_fsync_duration_seconds_bucket", "le");
    let commit = sum_by(&etcd, "etcd_disk_backend_commit_duration_seconds_bucket", "le");
    println!("etcd WAL fsync: {fsync_us} µs; {pods} pods");
    println!("etcd_disk_wal_fsync_duration_seconds p99: <= {} s", quantile_bound(&fsync, 0.99));
    println!("etcd_disk_backend_commit_duration_seconds p99: <= {} s", quantile_bound(&commit, 0.99));
    println!(
        "apiserver write latency p50: <= {} s, p99: <= {} s",
        quantile_bound(&api_writes, 0.5),
        quantile_bound(&api_writes, 0.99)
    );
    println!("all {pods} pods Running after: {took:.1} s");
    Ok(())
}
