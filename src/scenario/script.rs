//! The script dialect shared by the page's console and `kubesim run --script`: one command per
//! line, `#` starts a comment, `wait 30s` advances simulated time.

use crate::sim::time::parse_duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Wait(u64),
    Command(String),
}

/// Parses a script; errors name the line number.
pub fn parse(text: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("wait ") {
            out.push(Line::Wait(parse_duration(rest).map_err(|e| format!("line {}: {e}", i + 1))?));
        } else {
            out.push(Line::Command(line.to_string()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_waits_commands_and_comments() {
        let s = parse("# demo\nkubectl get pods  # list\n\nwait 1.5s\n").unwrap();
        assert_eq!(s, vec![Line::Command("kubectl get pods".into()), Line::Wait(1_500_000)]);
        assert!(parse("wait soon").unwrap_err().starts_with("line 1:"));
    }
}
