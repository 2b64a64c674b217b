//! `kubectl edit`: the editor opens on the object's YAML; saving patches what changed since it
//! opened (a write meanwhile does not conflict; an edited, stale resourceVersion does); a
//! refusal reopens the editor with the failures; an unchanged or emptied file changes nothing.

use kube_playground::kubectl;
use kube_playground::scenario::action::Do;
use kube_playground::scenario::session::{Said, Session};
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::SimTime;

/// Acts, then runs 3 simulated seconds and returns what was said.
fn act(s: &mut Session, what: Do) -> Vec<(Said, String)> {
    s.act(what);
    let until = SimTime(s.sim.now().0 + 3_000_000);
    while !s.advance(until, 100_000) {}
    s.take_said()
}

fn editor(said: &[(Said, String)]) -> String {
    said.iter().find(|(k, _)| *k == Said::Editor).map(|(_, t)| t.clone()).expect("the editor opens")
}

fn said(said: &[(Said, String)], kind: Said) -> Vec<String> {
    said.iter().filter(|(k, _)| *k == kind).map(|(_, t)| t.clone()).collect()
}

#[test]
fn edit_opens_patches_and_reopens_on_failure() {
    let mut s = Session::new(Scenario::default()).unwrap();
    while !s.advance(SimTime::from_secs(4), 100_000) {}
    act(&mut s, Do::Run("kubectl create deployment web --image=nginx --replicas=3".into()));
    let opened = act(&mut s, Do::Run("kubectl edit deployment web".into()));
    let text = editor(&opened);
    assert!(text.starts_with(kubectl::edit::HEADER), "{text}");
    assert!(text.contains("kind: Deployment") && text.contains("  replicas: 3\n"), "{text}");
    let target = kubectl::edit::target(&text).unwrap();
    assert_eq!(target, "deployments.apps/web -n default");

    // Unchanged: nothing sent.
    let same = act(&mut s, Do::Edit { target: target.clone(), text: text.clone() });
    assert_eq!(said(&same, Said::Output), ["Edit cancelled, no changes made."]);

    // A change is patched.
    let five = text.replacen("  replicas: 3\n", "  replicas: 5\n", 1);
    let saved = act(&mut s, Do::Edit { target: target.clone(), text: five.clone() });
    assert_eq!(said(&saved, Said::Output), ["deployment.apps/web edited"], "{saved:?}");
    let yaml = kubectl::run(&mut s.sim, "kubectl get deployment web -o yaml", 2_000_000);
    assert!(yaml.contains("  replicas: 5\n"), "{yaml}");

    // Opened, then written meanwhile: the save patches only what the edit changed.
    let opened = editor(&act(&mut s, Do::Run("kubectl edit deployment web".into())));
    act(&mut s, Do::Run("kubectl scale deployment web --replicas=4".into()));
    let labelled = opened.replacen("  labels:\n    app: web\n", "  labels:\n    app: web\n    tier: frontend\n", 1);
    let saved = act(&mut s, Do::Edit { target: target.clone(), text: labelled });
    assert_eq!(said(&saved, Said::Output), ["deployment.apps/web edited"], "{saved:?}");
    let yaml = kubectl::run(&mut s.sim, "kubectl get deployment web -o yaml", 2_000_000);
    assert!(yaml.contains("  replicas: 4\n") && yaml.contains("    tier: frontend\n"), "{yaml}");

    // A resourceVersion edited to a stale one is a precondition: a Conflict; the editor
    // reopens with it.
    let rv = opened.lines().find_map(|l| l.strip_prefix("  resourceVersion: ")).expect("a resourceVersion");
    let stale = opened.replacen(&format!("  resourceVersion: {rv}"), "  resourceVersion: \"1\"", 1);
    let refused = act(&mut s, Do::Edit { target: target.clone(), text: stale });
    assert_eq!(said(&refused, Said::Error), ["error: deployments.apps \"web\" is invalid"], "{refused:?}");
    let again = editor(&refused);
    assert!(again.starts_with("# deployments.apps \"web\" was not valid:\n# * "), "{again}");
    assert!(again.contains("the object has been modified"), "{again}");

    // An invalid value: the field error heads the reopened editor.
    let fresh = editor(&act(&mut s, Do::Run("kubectl edit deployment web".into())));
    let negative = fresh.replacen("  replicas: 4\n", "  replicas: -1\n", 1);
    let invalid = editor(&act(&mut s, Do::Edit { target: target.clone(), text: negative }));
    assert!(invalid.contains("# * spec.replicas: Invalid value: -1: must be greater than or equal to 0"), "{invalid}");

    // Bad YAML, a renamed object, an emptied file.
    let broken = act(&mut s, Do::Edit { target: target.clone(), text: "spec: [unclosed".into() });
    assert!(said(&broken, Said::Error)[0].starts_with("error: error converting YAML to JSON"), "{broken:?}");
    assert!(editor(&broken).starts_with("# The edited file had a syntax error"));
    let renamed = fresh.replacen("  name: web\n", "  name: other\n", 1);
    let out = act(&mut s, Do::Edit { target: target.clone(), text: renamed });
    assert_eq!(said(&out, Said::Error), ["error: At least one of apiVersion, kind and name was changed"]);
    let empty = act(&mut s, Do::Edit { target, text: "# nothing\n".into() });
    assert_eq!(said(&empty, Said::Output), ["Edit cancelled, no changes made."]);
    // Not found, in kubectl's words.
    let missing = act(&mut s, Do::Run("kubectl edit deployment nope".into()));
    assert_eq!(said(&missing, Said::Error), ["Error from server (NotFound): deployments.apps \"nope\" not found"]);
}

/// A custom object opens and saves too: its target names the kind with its version and group.
#[test]
fn a_custom_object_is_edited_through_discovery() {
    let mut s = Session::new(Scenario::default()).unwrap();
    while !s.advance(SimTime::from_secs(4), 100_000) {}
    let crd = r#"{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema":
                {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}"#;
    let widget =
        r#"{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}}"#;
    act(&mut s, Do::Apply(crd.into()));
    act(&mut s, Do::Apply(widget.into()));
    let text = editor(&act(&mut s, Do::Run("kubectl edit widget w".into())));
    let target = kubectl::edit::target(&text).unwrap();
    assert_eq!(target, "widget.v1.example.com/w -n default");
    let saved = act(&mut s, Do::Edit { target, text: text.replacen("size: 1", "size: 2", 1) });
    assert_eq!(said(&saved, Said::Output), ["widget.example.com/w edited"], "{saved:?}");
}
