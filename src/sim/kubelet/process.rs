//! What a container's process does once started, from its command: a container without a
//! command runs its image's server for ever (nginx, redis, …); with one, it runs for as long
//! as the command takes — `sleep N` for N seconds, anything else about a second — and exits
//! with `exit N`'s code, 1 for `false`, else 0. A simulation stand-in for real processes.

use crate::sim::api::Container;
use crate::sim::time::SECONDS;

/// How long the process runs (µs) and its exit code; None when it serves for ever.
pub fn run(c: &Container) -> Option<(u64, i32)> {
    if c.command.is_empty() && c.args.is_empty() {
        return None;
    }
    let words: Vec<&str> = c
        .command
        .iter()
        .chain(&c.args)
        .flat_map(|w| w.split(|ch: char| ch.is_whitespace() || ch == ';' || ch == '&' || ch == '|'))
        .filter(|w| !w.is_empty())
        .collect();
    let after = |key: &str| words.iter().position(|w| *w == key).and_then(|i| words.get(i + 1));
    let seconds = after("sleep").and_then(|n| n.parse::<u64>().ok()).unwrap_or(1);
    let code = match after("exit").and_then(|n| n.parse::<i32>().ok()) {
        Some(code) => code,
        None if words.contains(&"false") => 1,
        None => 0,
    };
    Some((seconds * SECONDS, code))
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
    }
}
