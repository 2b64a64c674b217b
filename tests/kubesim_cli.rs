//! The kubesim command line as tools and graders use it: `kubesim auth can-i` prints yes or
//! no and exits 0 or 1 like `kubectl auth can-i`; `kubesim apply -f` prints kubectl's lines
//! and exits non-zero when a document fails; `kubesim link` encodes and decodes share links.

use std::process::Command;

fn kubesim(args: &[&str]) -> (String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubesim")).args(args).output().unwrap();
    (String::from_utf8_lossy(&out.stdout).trim_end().to_string(), out.status.success())
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn can_i_answers_from_the_file_and_the_bootstrap_policy() {
    let rbac = fixture("rbac.yaml");
    let ask = |q: &str| {
        let mut args = vec!["auth", "can-i"];
        args.extend(q.split(' '));
        args.extend(["-f", &rbac]);
        kubesim(&args)
    };
    assert_eq!(ask("list pods -n dev --as alice"), ("yes".into(), true));
    assert_eq!(ask("get pods --subresource log -n dev --as alice"), ("yes".into(), true));
    assert_eq!(ask("list pods -n default --as alice"), ("no".into(), false));
    assert_eq!(ask("delete pods -n dev --as alice"), ("no".into(), false));
    // bob is bound to the aggregated view role: reads most things, never secrets.
    assert_eq!(ask("list deployments -n kube-system --as bob"), ("yes".into(), true));
    assert_eq!(ask("list secrets -n dev --as bob"), ("no".into(), false));
    // A ClusterRole labelled aggregate-to-view extends view.
    assert_eq!(
        ask("get widgets.example.com --as bob").0,
        "Warning: the server doesn't have a resource type 'widgets'\nyes"
    );
    // Non-resource URLs and the bootstrap bindings of system:authenticated.
    assert_eq!(ask("get /healthz --as alice"), ("yes".into(), true));
    assert_eq!(ask("get /metrics --as alice"), ("no".into(), false));
    assert_eq!(ask("create selfsubjectaccessreviews --as alice"), ("yes".into(), true));
    // Kubelets through the Node authorizer.
    assert_eq!(ask("list nodes --as system:node:w1 --as-group system:nodes"), ("yes".into(), true));
}

#[test]
fn apply_prints_kubectls_lines_and_fails_on_a_refused_document() {
    let (out, ok) = kubesim(&["apply", "-f", &fixture("apply.yaml")]);
    assert_eq!(
        out,
        "limitrange/limits created\ndeployment.apps/web created\nError from server (Forbidden): pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2"
    );
    assert!(!ok);
    let (out, ok) = kubesim(&["apply", "-f", &fixture("rbac.yaml"), "--as", "alice"]);
    assert!(!ok);
    assert!(out.starts_with("Error from server (Forbidden): roles.rbac.authorization.k8s.io \"pod-reader\" is forbidden: User \"alice\" cannot get resource \"roles\""), "{out}");
    // Applying the same Deployment again changes nothing (its defaulted fields stay).
    let (out, _) = kubesim(&["apply", "-f", &fixture("apply.yaml"), "-f", &fixture("apply.yaml")]);
    assert!(out.contains("deployment.apps/web created\n") && out.contains("deployment.apps/web unchanged"), "{out}");
}

#[test]
fn link_encode_and_decode_round_trip_a_scenario_file() {
    let (url, ok) = kubesim(&["link", "encode", &fixture("scenario.json"), "--t", "10", "--base", "http://x/"]);
    assert!(ok && url.starts_with("http://x/#s=") && url.ends_with("&t=10"), "{url}");
    let (json, ok) = kubesim(&["link", "decode", &url]);
    assert!(ok, "{json}");
    assert!(json.contains("\"seed\": 11") && json.contains("\"etcd_members\": 5"), "{json}");
    assert!(json.contains("kubectl create deployment web") && json.ends_with("# opens at t = 10.000s"), "{json}");
    let (_, ok) = kubesim(&["link", "decode", "http://x/#s=broken"]);
    assert!(!ok);
    // Initial objects from YAML travel as JSON in the link.
    let (url, ok) = kubesim(&["link", "encode", &fixture("scenario.json"), "--objects", &fixture("apply.yaml")]);
    assert!(ok, "{url}");
    let (json, _) = kubesim(&["link", "decode", &url]);
    assert!(json.contains("\"objects\": [") && json.contains("\"kind\": \"LimitRange\""), "{json}");
}

/// A script's `kubectl edit` opens `$KUBE_EDITOR` on the object's YAML, saves the result, and
/// reopens it with the failures when the apiserver refuses (here a `sed` that always makes the
/// same invalid change, so the second round comes back unchanged and the edit is cancelled).
#[test]
fn a_scripts_kubectl_edit_runs_kube_editor() {
    let dir = std::env::temp_dir().join(format!("kubesim-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("edit.kubesim");
    std::fs::write(
        &script,
        "kubectl create deployment web --image=nginx\nwait 2s\nkubectl edit deployment web\nkubectl get deployment web -o json\n",
    )
    .unwrap();
    let run = |editor: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_kubesim"))
            .args(["run", "--until", "5s", "--script", script.to_str().unwrap()])
            .env("KUBE_EDITOR", editor)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let out = run("sed -i 's/replicas: 1/replicas: 3/'");
    assert!(out.contains("deployment.apps/web edited"), "{out}");
    assert!(out.contains("\"replicas\": 3"), "{out}");
    let out = run("sed -i 's/replicas: [0-9][0-9]*/replicas: -1/'");
    assert!(
        out.contains("error: deployments.apps \"web\" is invalid\nerror: Edit cancelled, no valid changes were saved."),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
