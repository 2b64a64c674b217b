//! kubectl's selection and metadata commands against the simulated cluster: `-l` selectors
//! filtered by the apiserver, `--show-labels`, `label` / `annotate` with kubectl's
//! `--overwrite` rule and outputs, `-o jsonpath` / `-o custom-columns`, and `api-resources`.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

fn k(sim: &mut Simulation, line: &str) -> String {
    kubectl::run(sim, line, 30 * SECONDS)
}

fn cluster_with_pods() -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    k(&mut sim, "kubectl create deployment web --image=nginx --replicas=2");
    k(&mut sim, "kubectl run solo --image=busybox --labels=app=solo,tier=db");
    sim.run_until(SimTime::from_secs(10));
    sim
}

fn names(out: &str) -> Vec<String> {
    out.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.split('-').next().unwrap_or(n).to_string())
        .collect()
}

#[test]
fn label_selectors_filter_on_the_server() {
    let mut sim = cluster_with_pods();
    assert_eq!(names(&k(&mut sim, "kubectl get pods -l app=web")), ["web", "web"]);
    assert_eq!(names(&k(&mut sim, "kubectl get pods -l 'app in (solo)'")), ["solo"]);
    assert_eq!(names(&k(&mut sim, "kubectl get pods -l '!tier'")), ["web", "web"]);
    assert_eq!(names(&k(&mut sim, "kubectl get pods -l tier!=db")), ["web", "web"]);
    assert_eq!(k(&mut sim, "kubectl get pods -l app=nothing"), "No resources found in default namespace.");
    let shown = k(&mut sim, "kubectl get pods -l app=solo --show-labels");
    assert!(shown.lines().next().unwrap().ends_with("LABELS"), "{shown}");
    assert!(shown.contains("app=solo,tier=db"), "{shown}");
    assert!(k(&mut sim, "kubectl get pods -l 'env in a'").starts_with("error: unable to parse requirement"));
    let bare = k(&mut sim, "kubectl get pods -l app=web --no-headers");
    assert_eq!(bare.lines().count(), 2, "{bare}");
    assert!(bare.lines().all(|l| l.starts_with("web-") && l.contains("Running")), "{bare}");
}

#[test]
fn field_selectors_filter_on_the_server() {
    let mut sim = cluster_with_pods();
    let running = k(&mut sim, "kubectl get pods --field-selector status.phase=Running,metadata.name!=solo");
    assert_eq!(names(&running), ["web", "web"], "{running}");
    let on_node = k(&mut sim, "kubectl get pods -o wide --field-selector spec.nodeName=worker-1");
    assert!(on_node.lines().skip(1).all(|l| l.contains(" worker-1 ")), "{on_node}");
    let events = k(&mut sim, "kubectl get events --field-selector involvedObject.name=solo,reason=Scheduled");
    assert_eq!(events.lines().count(), 2, "{events}");
    assert_eq!(
        k(&mut sim, "kubectl get nodes --field-selector status.phase=Ready"),
        "Error from server (BadRequest): Unable to find \"/v1, Resource=nodes\" that match label selector \"\", \
         field selector \"status.phase=Ready\": field label not supported: status.phase"
    );
    let apps = k(&mut sim, "kubectl get deployments -l app=web --field-selector spec.replicas=2");
    assert!(apps.contains("\"apps/v1, Resource=deployments\" that match label selector \"app=web\""), "{apps}");
    assert_eq!(
        k(&mut sim, "kubectl get pods --field-selector phase"),
        "Error from server (BadRequest): invalid selector: 'phase'; can't understand 'phase'"
    );
    assert_eq!(
        k(&mut sim, "kubectl get pods --field-selector status.phase=Failed"),
        "No resources found in default namespace."
    );
}

#[test]
fn jsonpath_and_custom_columns_read_the_served_objects() {
    let mut sim = cluster_with_pods();
    let names = k(&mut sim, "kubectl get pods -l app=web -o jsonpath='{.items[*].metadata.name}'");
    assert_eq!(names.split(' ').filter(|n| n.starts_with("web-")).count(), 2, "{names}");
    let rows = k(
        &mut sim,
        r#"kubectl get pods -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}'"#,
    );
    assert_eq!(rows.lines().count(), 3, "{rows}");
    assert!(rows.lines().all(|l| l.ends_with("\tRunning")), "{rows}");
    let ready =
        k(&mut sim, r#"kubectl get nodes -o jsonpath='{.items[*].status.conditions[?(@.type=="Ready")].status}'"#);
    assert_eq!(ready, "True True True True");
    assert_eq!(k(&mut sim, "kubectl get pod solo -o jsonpath='{.metadata.labels.tier}'"), "db");
    assert_eq!(k(&mut sim, "kubectl get pods -n empty -o jsonpath='{.items[*].metadata.name}'"), "");
    assert_eq!(k(&mut sim, "kubectl get pods -n empty -o name"), "");
    assert_eq!(k(&mut sim, "kubectl get pods -n empty -o custom-columns=NAME:.metadata.name"), "NAME");
    let empty = k(&mut sim, "kubectl get pods -n empty -o json");
    assert!(empty.contains("\"items\": []") && empty.contains("\"kind\": \"List\""), "{empty}");
    let table = k(&mut sim, "kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINT:.spec.taints[*].effect");
    assert_eq!(table.lines().next(), Some("NAME            TAINT"), "{table}");
    assert!(table.contains("control-plane   NoSchedule") && table.contains("worker-1        <none>"), "{table}");
    let bare = k(&mut sim, "kubectl get pod solo -o custom-columns=N:metadata.name --no-headers");
    assert_eq!(bare, "solo");
    assert_eq!(
        k(&mut sim, "kubectl get pods -o jsonpath='{.items[7]}'"),
        "error: error executing jsonpath \"{.items[7]}\": Error executing template: array index out of bounds: index 7, length 3"
    );
    assert!(k(&mut sim, "kubectl get pods -o 'jsonpath={.items['").starts_with("error: error parsing jsonpath"));
}

#[test]
fn label_and_annotate_follow_kubectls_overwrite_rule() {
    let mut sim = cluster_with_pods();
    assert_eq!(
        k(&mut sim, "kubectl label pod solo tier=cache"),
        "error: 'tier' already has a value (db), and --overwrite is false"
    );
    assert_eq!(k(&mut sim, "kubectl label pod solo tier=cache --overwrite"), "pod/solo labeled");
    assert_eq!(k(&mut sim, "kubectl label pod solo tier=cache"), "pod/solo not labeled");
    assert_eq!(k(&mut sim, "kubectl label pod solo tier-"), "pod/solo unlabeled");
    assert_eq!(k(&mut sim, "kubectl annotate deployment web owner=team-a"), "deployment.apps/web annotated");
    let json = k(&mut sim, "kubectl get deployment web -o json");
    assert!(json.contains("\"owner\": \"team-a\""), "{json}");
    assert_eq!(names(&k(&mut sim, "kubectl get pods -l tier")), Vec::<String>::new());
}

#[test]
fn api_resources_lists_the_served_kinds() {
    let mut sim = cluster_with_pods();
    let out = k(&mut sim, "kubectl api-resources");
    assert!(out.starts_with("NAME "), "{out}");
    let deploy: Vec<&str> = out.lines().find(|l| l.starts_with("deployments ")).unwrap().split_whitespace().collect();
    assert_eq!(deploy, ["deployments", "deploy", "apps/v1", "true", "Deployment"]);
    assert!(out
        .lines()
        .any(|l| l.starts_with("resourcequotas") && l.contains("quota") && l.ends_with("ResourceQuota")));
}

#[test]
fn get_watch_prints_the_table_then_a_row_per_change() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    k(&mut sim, "kubectl create deployment web --image=nginx --replicas=2");
    let out = kubectl::run(&mut sim, "kubectl get pods -w -l app=web", 20 * SECONDS);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].ends_with("AGE"), "{out}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("NAME")).count(), 1, "one header: {out}");
    assert!(lines.iter().skip(3).any(|l| l.contains(" Running ")), "{out}");
    // Interrupted at the timeout: the watch is closed, later changes print nothing.
    assert!(k(&mut sim, "kubectl get pods").contains("Running"));
    let before = watches(&sim);
    let _ = kubectl::run(&mut sim, "kubectl get pods -w", 2 * SECONDS);
    sim.run_until(sim.now().plus(SECONDS));
    let after = watches(&sim);
    assert_eq!(after, before, "the interrupted watch was closed on the apiserver");
}

fn watches(sim: &Simulation) -> usize {
    sim.apiserver().map_or(0, |a| a.watch_count())
}

#[test]
fn contexts_switch_who_kubectl_is_and_its_namespace() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    k(&mut sim, "kubectl create namespace dev");
    k(&mut sim, "kubectl create serviceaccount ci -n dev");
    k(&mut sim, "kubectl create rolebinding ci-edit --clusterrole=edit --serviceaccount=dev:ci -n dev");
    sim.run_until(sim.now().plus(SECONDS));
    let token = k(&mut sim, "kubectl create token ci -n dev");
    assert_eq!(k(&mut sim, &format!("kubectl config set-credentials ci --token={token}")), "User \"ci\" set.");
    assert_eq!(k(&mut sim, "kubectl config set-context ci --user=ci --namespace=dev"), "Context \"ci\" created.");
    assert_eq!(k(&mut sim, "kubectl config use-context ci"), "Switched to context \"ci\".");
    assert_eq!(k(&mut sim, "kubectl config current-context"), "ci");
    let contexts = k(&mut sim, "kubectl config get-contexts");
    assert!(contexts.lines().any(|l| l.starts_with('*') && l.contains("ci") && l.ends_with("dev")), "{contexts}");
    // As the service account, in dev: allowed there, nothing anywhere else.
    assert_eq!(k(&mut sim, "kubectl get pods"), "No resources found in dev namespace.");
    assert!(k(&mut sim, "kubectl auth whoami").contains("system:serviceaccount:dev:ci"));
    assert!(k(&mut sim, "kubectl get pods -n default").contains("cannot list resource \"pods\""));
    assert_eq!(k(&mut sim, "kubectl config use-context nope"), "error: no context exists with the name: \"nope\"");
    k(&mut sim, "kubectl config use-context kubernetes-admin@kubernetes");
    assert!(k(&mut sim, "kubectl auth whoami").contains("kubernetes-admin"));
}

#[test]
fn describe_deployment_shows_replicas_template_replicasets_and_events() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    k(&mut sim, "kubectl create deployment web --image=nginx:1.27 --replicas=3 --port=80");
    sim.run_until(sim.now().plus(10 * SECONDS));
    let out = k(&mut sim, "kubectl describe deployment web");
    assert!(out.starts_with("Name:                   web\nNamespace:              default\n"), "{out}");
    assert!(
        out.contains("Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable"),
        "{out}"
    );
    assert!(out.contains("RollingUpdateStrategy:  25% max unavailable, 25% max surge"), "{out}");
    assert!(out.contains("    Image:         nginx:1.27\n    Port:          80/TCP"), "{out}");
    assert!(out.contains("NewReplicaSet:     web-") && out.contains("(3/3 replicas created)"), "{out}");
    assert!(out.contains("deployment-controller  Scaled up replica set web-"), "{out}");
}

#[test]
fn describe_service_lists_its_ready_endpoints() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    k(&mut sim, "kubectl create deployment web --image=nginx:1.27 --replicas=2 --port=80");
    k(&mut sim, "kubectl expose deployment web --port=8080 --target-port=80 --type=NodePort");
    sim.run_until(sim.now().plus(10 * SECONDS));
    let out = k(&mut sim, "kubectl describe service web");
    assert!(out.contains("Type:                     NodePort"), "{out}");
    assert!(out.contains("Port:                     <unset>  8080/TCP\nTargetPort:               80/TCP"), "{out}");
    let endpoints = out.lines().find(|l| l.starts_with("Endpoints:")).unwrap();
    assert_eq!(endpoints.matches(":80").count(), 2, "{out}");
}

#[test]
fn manifests_may_be_yaml_and_objects_print_as_yaml() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: \"fast\"\n  retries: \"3\"\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n";
    let started = kubectl::apply::start_manifest(&mut sim, manifest, "app.yaml", Default::default()).unwrap();
    let out = kubectl::wait(&mut sim, started, 30 * SECONDS);
    assert_eq!(out, "configmap/settings created\nnamespace/team-a created");
    let yaml = k(&mut sim, "kubectl get configmap settings -o yaml");
    assert!(yaml.starts_with("apiVersion: v1\ndata:\n  mode: fast\n  retries: \"3\"\nkind: ConfigMap\nmetadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n"), "{yaml}");
    assert!(yaml.contains("\n  creationTimestamp: \"2027-"), "{yaml}");
    assert!(yaml.contains("  resourceVersion: \""), "{yaml}");
    let broken = kubectl::apply::start_manifest(&mut sim, "kind: [", "bad.yaml", Default::default()).err().unwrap();
    assert!(broken.starts_with("error: error parsing bad.yaml: error converting YAML to JSON:"), "{broken}");
}

#[test]
fn apply_removes_what_the_last_manifest_set_and_this_one_leaves_out() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let apply = |sim: &mut Simulation, text: &str| {
        let started = kubectl::apply::start_manifest(sim, text, "cm.yaml", Default::default()).unwrap();
        kubectl::wait(sim, started, 30 * SECONDS)
    };
    let first = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  labels:\n    tier: web\n    team: a\ndata:\n  mode: fast\n  retries: \"3\"\n";
    assert_eq!(apply(&mut sim, first), "configmap/app created");
    // Someone else labels it: the next apply leaves that label alone.
    k(&mut sim, "kubectl label configmap app owner=ops");
    let second =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  labels:\n    tier: web\ndata:\n  mode: fast\n";
    assert_eq!(apply(&mut sim, second), "configmap/app configured");
    let json: serde_json::Value = serde_json::from_str(&k(&mut sim, "kubectl get configmap app -o json")).unwrap();
    assert_eq!(json["data"], serde_json::json!({"mode": "fast"}));
    assert_eq!(json["metadata"]["labels"], serde_json::json!({"owner": "ops", "tier": "web"}));
    let last = json["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].as_str().unwrap();
    assert!(last.ends_with('\n') && !last.contains("retries"), "{last}");
    assert_eq!(apply(&mut sim, second), "configmap/app unchanged");
}
