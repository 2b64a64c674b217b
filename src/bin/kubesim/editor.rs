//! The editor `kubectl edit` opens in a script, as kubectl picks it: `$KUBE_EDITOR`, else
//! `$EDITOR`, else `vi`, run through the shell on a temporary file that holds the object.

use std::path::PathBuf;
use std::process::Command;

/// Whether a script line is a `kubectl edit` (which needs an editor).
pub fn is_edit(line: &str) -> bool {
    let mut words = line.split_whitespace();
    matches!(words.next(), Some("kubectl" | "k")) && words.next() == Some("edit")
}

/// Writes `text` to a temporary file, runs the editor on it and reads the file back.
pub fn edit(text: &str) -> Result<String, String> {
    let editor = ["KUBE_EDITOR", "EDITOR"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    let path = temp_file();
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .map_err(|e| format!("unable to launch the editor \"{editor}\": {e}"));
    let edited = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    let _ = std::fs::remove_file(&path);
    match status? {
        s if s.success() => edited,
        s => Err(format!("there was a problem with the editor \"{editor}\": {s}")),
    }
}

/// `kubectl-edit-<pid>-<n>.yaml` in the temporary directory, as kubectl names its file.
fn temp_file() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("kubectl-edit-{}-{n}.yaml", std::process::id()))
}
