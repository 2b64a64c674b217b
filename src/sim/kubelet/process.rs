//! What a container's process does once started. A container without a command runs its
//! image's server for ever (nginx, redis, …). With a command, a small reading of the shell
//! script decides: statements run in order, `sleep N` takes N seconds (`sleep infinity` and
//! `while` loops never end), `touch F`, `echo … > F` and `rm F` create and remove files at
//! that moment (what exec probes such as `cat /tmp/healthy` look at), and the script ends
//! with `exit N`'s code or its last statement's (1 for `false`). A script that never sleeps
//! takes about a second. `stress --vm-bytes 250M` (the docs' memory example) holds that much
//! memory until its `--timeout`; `stress --cpu N` (or vish/stress's `-cpus N`, the docs' CPU
//! example) keeps N cores busy. A loop around `wget`/`curl` of a URL (`while true; do wget
//! -qO- http://10.96.0.20; sleep 1; done`) is a load generator: a request every sleep.
//! `echo` lines are the container's log. A simulation stand-in for real processes.

use crate::sim::api::Container;
use crate::sim::time::SECONDS;

/// The course of a container's process, read from its command.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    /// How long it runs (µs) and its exit code; None when it runs for ever.
    pub ends: Option<(u64, i32)>,
    /// Files the script touches: path, created at, removed at (µs since start).
    files: Vec<(String, u64, Option<u64>)>,
    /// The memory it holds, bytes, when known.
    pub memory: Option<u64>,
    /// The cores it keeps busy, when it burns CPU.
    pub cpu: Option<f64>,
    /// A request loop: the URL and the pause between requests (µs).
    pub load: Option<(String, u64)>,
    /// What it prints (echo).
    pub output: Vec<String>,
}

/// Shells and the words that only introduce the script.
const PREAMBLE: [&str; 8] = ["sh", "/bin/sh", "bash", "/bin/bash", "-c", "-ec", "do", "then"];

impl Script {
    pub fn of(c: &Container) -> Script {
        if c.command.is_empty() && (c.args.is_empty() || server_entrypoint(&c.image)) {
            return Script::default();
        }
        let text = c.command.iter().chain(&c.args).cloned().collect::<Vec<_>>().join(" ");
        let mut t = 0u64;
        let mut code = 0;
        let mut files: Vec<(String, u64, Option<u64>)> = Vec::new();
        let mut memory = None;
        let mut cpu = None;
        let mut output = Vec::new();
        for statement in text.split(['\n', ';']).flat_map(|s| s.split("&&")).flat_map(|s| s.split("||")) {
            let words: Vec<&str> = statement.split_whitespace().skip_while(|w| PREAMBLE.contains(w)).collect();
            let Some(&verb) = words.first() else { continue };
            code = 0;
            match verb {
                "while" | "until" => {
                    let rest = &text[text.find(verb).unwrap_or(0)..];
                    return Script { ends: None, files, memory, cpu, load: load_loop(rest), output };
                }
                "echo" => {
                    let line = words[1..].iter().take_while(|w| !w.starts_with('>')).copied().collect::<Vec<_>>();
                    if !words.iter().any(|w| w.starts_with('>')) {
                        output.push(line.join(" ").trim_matches(['"', '\'']).to_string());
                    }
                }
                "stress" | "-cpus" => {
                    let flag = |name: &str| words.windows(2).find(|w| w[0] == name).map(|w| w[1]);
                    memory = flag("--vm-bytes").and_then(stress_bytes);
                    cpu = ["--cpu", "-c", "-cpus"].iter().find_map(|f| flag(f)).and_then(|n| n.parse::<f64>().ok());
                    match flag("--timeout").and_then(|s| s.trim_end_matches('s').parse::<u64>().ok()) {
                        Some(secs) => t += secs * SECONDS,
                        None => return Script { ends: None, files, memory, cpu, load: None, output },
                    }
                }
                "sleep" => match words.get(1) {
                    Some(&"infinity") => return Script { ends: None, files, memory, cpu, load: None, output },
                    Some(n) => t += n.parse::<f64>().map_or(0, |s| (s * SECONDS as f64) as u64),
                    None => code = 1,
                },
                "touch" => words[1..].iter().for_each(|f| files.push((f.to_string(), t, None))),
                "rm" => {
                    for f in words[1..].iter().filter(|w| !w.starts_with('-')) {
                        for file in files.iter_mut().filter(|(p, _, gone)| p == f && gone.is_none()) {
                            file.2 = Some(t);
                        }
                    }
                }
                "exit" => {
                    code = words.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                    break;
                }
                "false" => code = 1,
                _ => {}
            }
            if let Some(i) = words.iter().position(|w| *w == ">" || *w == ">>") {
                if let Some(f) = words.get(i + 1) {
                    files.push((f.to_string(), t, None));
                }
            }
        }
        Script { ends: Some((t.max(SECONDS), code)), files, memory, cpu, load: None, output }
    }

    /// Whether `path` exists `at` µs after the process started.
    pub fn file_exists(&self, path: &str, at: u64) -> bool {
        self.files.iter().any(|(p, created, removed)| p == path && *created <= at && removed.is_none_or(|r| at < r))
    }
}

/// The URL a `while` loop fetches with wget or curl, and its sleep (1 s without one; at
/// least 10 ms).
fn load_loop(body: &str) -> Option<(String, u64)> {
    let words: Vec<&str> = body.split(|c: char| c.is_whitespace() || c == ';').filter(|w| !w.is_empty()).collect();
    words.iter().find(|w| matches!(**w, "wget" | "curl"))?;
    let url = words.iter().find(|w| w.starts_with("http://") || w.starts_with("https://"))?;
    let pause = words
        .windows(2)
        .find(|w| w[0] == "sleep")
        .and_then(|w| w[1].parse::<f64>().ok())
        .map_or(SECONDS, |s| (s * SECONDS as f64) as u64);
    Some((url.trim_matches(['"', '\'']).to_string(), pause.max(10 * crate::sim::time::MILLIS)))
}

/// stress's sizes: a number with an optional b, k, m or g suffix (powers of 1024).
fn stress_bytes(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let (digits, shift) = match lower.as_bytes().last()? {
        b'k' => (&lower[..lower.len() - 1], 10),
        b'm' => (&lower[..lower.len() - 1], 20),
        b'g' => (&lower[..lower.len() - 1], 30),
        b'b' => (&lower[..lower.len() - 1], 0),
        _ => (lower.as_str(), 0),
    };
    digits.parse::<u64>().ok().map(|n| n << shift)
}

/// Images whose ENTRYPOINT is a server that takes `args` as its own arguments (agnhost's
/// subcommands, the playground's programs' flags), rather than a shell that runs them.
fn server_entrypoint(image: &str) -> bool {
    super::images::base_name(image) == "agnhost" || super::program::Program::of_image(image).is_some()
}

/// Whether SIGTERM ends the process. A server (the image's own entrypoint) exits on it; a
/// shell or `sleep` run as PID 1 has no handler, and PID 1 ignores the signals it does not
/// handle: only SIGKILL at the end of the grace period stops it.
pub fn handles_sigterm(c: &Container) -> bool {
    c.command.is_empty() && (c.args.is_empty() || server_entrypoint(&c.image))
}

/// How long the process runs (µs) and its exit code; None when it serves for ever.
pub fn run(c: &Container) -> Option<(u64, i32)> {
    Script::of(c).ends
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(cmd: &[&str]) -> Container {
        Container { command: cmd.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }

    #[test]
    fn commands_decide_how_long_and_how_it_ends() {
        assert_eq!(run(&container(&[])), None, "servers run for ever");
        assert_eq!(run(&container(&["sh", "-c", "sleep 30"])), Some((30 * SECONDS, 0)));
        assert_eq!(run(&container(&["echo", "hello"])), Some((SECONDS, 0)));
        assert_eq!(run(&container(&["sh", "-c", "sleep 2; exit 3"])), Some((2 * SECONDS, 3)));
        assert_eq!(run(&container(&["false"])), Some((SECONDS, 1)));
        assert_eq!(run(&container(&["sh", "-c", "while true; do sleep 5; done"])), None);
        assert_eq!(run(&container(&["sleep", "infinity"])), None);
    }

    #[test]
    fn a_wget_loop_is_a_load_generator_and_echo_is_the_log() {
        let c = container(&["sh", "-c", "while true; do wget -q -O- http://10.96.0.20; sleep 0.5; done"]);
        let s = Script::of(&c);
        assert_eq!(s.ends, None);
        assert_eq!(s.load, Some(("http://10.96.0.20".to_string(), SECONDS / 2)));
        let echo = Script::of(&container(&["sh", "-c", "echo The app is running! && sleep 3600"]));
        assert_eq!(echo.output, ["The app is running!"]);
        assert_eq!(Script::of(&container(&["sh", "-c", "while true; do sleep 5; done"])).load, None);
    }

    #[test]
    fn stress_holds_its_memory_until_its_timeout() {
        let c = container(&["stress", "--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]);
        let s = Script::of(&c);
        assert_eq!((s.ends, s.memory), (None, Some(250 << 20)));
        let timed = Script::of(&container(&["stress", "--vm-bytes", "64k", "--timeout", "10s"]));
        assert_eq!((timed.ends, timed.memory), (Some((10 * SECONDS, 0)), Some(64 << 10)));
    }

    #[test]
    fn the_liveness_exec_example_removes_its_file_after_30_seconds() {
        // The container of the "Configure Liveness, Readiness and Startup Probes" task.
        let c = container(&["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]);
        let s = Script::of(&c);
        assert_eq!(s.ends, Some((630 * SECONDS, 0)));
        assert!(s.file_exists("/tmp/healthy", 0));
        assert!(s.file_exists("/tmp/healthy", 29 * SECONDS));
        assert!(!s.file_exists("/tmp/healthy", 30 * SECONDS));
        assert!(!s.file_exists("/tmp/other", 5 * SECONDS));
        let echo = Script::of(&container(&["sh", "-c", "sleep 5; echo ok > /tmp/ready; sleep 3600"]));
        assert!(!echo.file_exists("/tmp/ready", 4 * SECONDS));
        assert!(echo.file_exists("/tmp/ready", 5 * SECONDS));
    }
}
