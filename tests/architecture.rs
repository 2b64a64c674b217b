//! Architecture guard: the pure core (src/sim, src/scenario, src/kubectl) uses no browser
//! crate, no wall clock, no global RNG and no hash-ordered collection.

use std::path::Path;

const FORBIDDEN: [&str; 11] = [
    "web_sys",
    "js_sys",
    "leptos",
    "wasm_bindgen",
    "gloo",
    "Instant::now",
    "SystemTime::now",
    "thread_rng",
    "rand::random",
    "HashMap",
    "HashSet",
];

fn scan(dir: &Path, hits: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, hits);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for word in FORBIDDEN {
                    if code.contains(word) {
                        hits.push(format!("{}:{}: {word}", path.display(), n + 1));
                    }
                }
            }
        }
    }
}

#[test]
fn the_pure_core_stays_pure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut hits = Vec::new();
    for dir in ["sim", "scenario", "kubectl"] {
        scan(&root.join(dir), &mut hits);
    }
    assert!(hits.is_empty(), "the pure core touches forbidden APIs:\n{}", hits.join("\n"));
}

#[test]
fn the_guard_itself_catches_a_violation() {
    let dir = std::env::temp_dir().join(format!("kp-guard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.rs"), "use std::collections::HashMap; // ok in comment: HashSet\n").unwrap();
    let mut hits = Vec::new();
    scan(&dir, &mut hits);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
}
