//! What a container's process does once started. A container without a command runs its
//! image's server for ever (nginx, redis, …). With a command, a small reading of the shell
//! script decides: statements run in order, `sleep N` takes N seconds (`sleep infinity` and
//! `while` loops never end), `touch F`, `echo … > F` and `rm F` create and remove files at
//! that moment (what exec probes such as `cat /tmp/healthy` look at), and the script ends
//! with `exit N`'s code or its last statement's (1 for `false`). A script that never sleeps
//! takes about a second. A simulation stand-in for real processes.

use crate::sim::api::Container;
use crate::sim::time::SECONDS;

/// The course of a container's process, read from its command.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    /// How long it runs (µs) and its exit code; None when it runs for ever.
    pub ends: Option<(u64, i32)>,
    /// Files the script touches: path, created at, removed at (µs since start).
    files: Vec<(String, u64, Option<u64>)>,
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
        for statement in text.split(['\n', ';']).flat_map(|s| s.split("&&")).flat_map(|s| s.split("||")) {
            let words: Vec<&str> = statement.split_whitespace().skip_while(|w| PREAMBLE.contains(w)).collect();
            let Some(&verb) = words.first() else { continue };
            code = 0;
            match verb {
                "while" | "until" => return Script { ends: None, files },
                "sleep" => match words.get(1) {
                    Some(&"infinity") => return Script { ends: None, files },
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
        Script { ends: Some((t.max(SECONDS), code)), files }
    }

    /// Whether `path` exists `at` µs after the process started.
    pub fn file_exists(&self, path: &str, at: u64) -> bool {
        self.files.iter().any(|(p, created, removed)| p == path && *created <= at && removed.is_none_or(|r| at < r))
    }
}

/// Images whose ENTRYPOINT is a server that takes `args` as its own arguments (agnhost's
/// subcommands, the playground's programs' flags), rather than a shell that runs them.
fn server_entrypoint(image: &str) -> bool {
    super::images::base_name(image) == "agnhost" || super::program::Program::of_image(image).is_some()
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
