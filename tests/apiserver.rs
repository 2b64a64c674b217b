//! The apiserver's request chain end to end, through kubectl in the simulated cluster:
//! authentication (401), impersonation and RBAC (403), access reviews, ServiceAccount tokens,
//! admission (ResourceQuota charged and given back, LimitRanger defaults), optimistic
//! concurrency (409) and validation (422).

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::api::request::{ApiBody, ApiRequest, Verb};
use kube_playground::sim::api::resource::ResourceInfo;
use kube_playground::sim::api::Object;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn cluster() -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    sim
}

fn k(sim: &mut Simulation, line: &str) -> String {
    kubectl::run(sim, line, TIMEOUT)
}

fn settle(sim: &mut Simulation, secs: u64) {
    sim.run_until(sim.now().plus(secs * SECONDS));
}

#[test]
fn rbac_decides_for_impersonated_users_and_groups() {
    let mut sim = cluster();
    assert_eq!(
        k(&mut sim, "kubectl --as=alice get pods"),
        "Error from server (Forbidden): pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
    );
    assert_eq!(k(&mut sim, "kubectl --as=alice auth can-i list pods"), "no");
    k(&mut sim, "kubectl create rolebinding alice-view --clusterrole=view --user=alice");
    settle(&mut sim, 1);
    // view is aggregated by the controller from system:aggregate-to-view.
    assert_eq!(k(&mut sim, "kubectl --as=alice auth can-i list pods"), "yes");
    assert_eq!(k(&mut sim, "kubectl --as=alice auth can-i get secrets"), "no");
    assert_eq!(k(&mut sim, "kubectl --as=alice get pods"), "No resources found in default namespace.");
    // The admin may impersonate groups too: alice in system:masters can read secrets.
    assert_eq!(k(&mut sim, "kubectl --as=alice --as-group=system:masters auth can-i get secrets"), "yes");
    k(&mut sim, "kubectl create clusterrolebinding bob-view --clusterrole=view --user=bob");
    settle(&mut sim, 1);
    let whoami = k(&mut sim, "kubectl --as=bob --as-group=devs auth whoami");
    assert_eq!(whoami, "ATTRIBUTE   VALUE\nUsername    bob\nGroups      [devs system:authenticated]");
}

#[test]
fn a_non_admin_cannot_impersonate() {
    let mut sim = cluster();
    k(&mut sim, "kubectl create serviceaccount ci");
    settle(&mut sim, 1);
    let token = k(&mut sim, "kubectl create token ci");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    assert_eq!(
        k(&mut sim, &format!("kubectl --token={token} --as=kubernetes-admin get pods")),
        "Error from server (Forbidden): users \"kubernetes-admin\" is forbidden: User \"system:serviceaccount:default:ci\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
    );
}

#[test]
fn service_account_tokens_authenticate_until_the_account_goes() {
    let mut sim = cluster();
    k(&mut sim, "kubectl create serviceaccount ci");
    k(&mut sim, "kubectl create role pod-reader --verb=get,list,watch --resource=pods");
    k(&mut sim, "kubectl create rolebinding ci-reads --role=pod-reader --serviceaccount=default:ci");
    settle(&mut sim, 1);
    let token = k(&mut sim, "kubectl create token ci --duration=10m");
    let as_ci = |sim: &mut Simulation, cmd: &str| k(sim, &format!("kubectl --token={token} {cmd}"));
    assert_eq!(as_ci(&mut sim, "get pods"), "No resources found in default namespace.");
    assert!(as_ci(&mut sim, "auth whoami").contains("system:serviceaccount:default:ci"));
    assert!(as_ci(&mut sim, "get secrets").contains("User \"system:serviceaccount:default:ci\" cannot list"));
    // A tampered token, and one whose account was deleted, are 401s.
    let unauthorized = "error: You must be logged in to the server (Unauthorized)";
    let tampered = format!("{}x", &token);
    assert_eq!(k(&mut sim, &format!("kubectl --token={tampered} get pods")), unauthorized);
    k(&mut sim, "kubectl delete serviceaccount ci");
    settle(&mut sim, 1);
    assert_eq!(as_ci(&mut sim, "get pods"), unauthorized);
}

#[test]
fn tokens_expire() {
    let mut sim = cluster();
    k(&mut sim, "kubectl create serviceaccount ci");
    settle(&mut sim, 1);
    let token = k(&mut sim, "kubectl create token ci --duration=1m");
    assert!(k(&mut sim, &format!("kubectl --token={token} auth whoami")).contains("system:serviceaccount:default:ci"));
    settle(&mut sim, 61);
    assert_eq!(
        k(&mut sim, &format!("kubectl --token={token} auth whoami")),
        "error: You must be logged in to the server (Unauthorized)"
    );
}

#[test]
fn quota_is_charged_at_admission_and_given_back_on_delete() {
    let mut sim = cluster();
    k(&mut sim, "kubectl create quota pods --hard=pods=2");
    settle(&mut sim, 1);
    assert_eq!(k(&mut sim, "kubectl run a --image=nginx"), "pod/a created");
    assert_eq!(k(&mut sim, "kubectl run b --image=nginx"), "pod/b created");
    assert_eq!(
        k(&mut sim, "kubectl run c --image=nginx"),
        "Error from server (Forbidden): pods \"c\" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2"
    );
    assert!(k(&mut sim, "kubectl get quota").contains("pods: 2/2"));
    k(&mut sim, "kubectl delete pod a");
    settle(&mut sim, 40);
    assert!(k(&mut sim, "kubectl get quota").contains("pods: 1/2"), "{}", k(&mut sim, "kubectl get quota"));
    assert_eq!(k(&mut sim, "kubectl run c --image=nginx"), "pod/c created");
}

#[test]
fn a_refused_replicaset_pod_is_a_failed_create_event_and_retried() {
    let mut sim = cluster();
    k(&mut sim, "kubectl create quota pods --hard=pods=1");
    settle(&mut sim, 1);
    k(&mut sim, "kubectl create deployment web --image=nginx --replicas=2");
    settle(&mut sim, 5);
    let events = k(&mut sim, "kubectl get events");
    assert!(events.contains("FailedCreate"), "{events}");
    assert!(events.contains("exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1"), "{events}");
    // Raise the quota: the ReplicaSet's retries get the second pod in.
    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("resourcequotas"), "default", "pods");
    req.patch = Some(serde_json::json!({"spec": {"hard": {"pods": "3"}}}));
    sim.submit(req);
    settle(&mut sim, 30);
    let pods = k(&mut sim, "kubectl get pods");
    assert_eq!(pods.lines().filter(|l| l.starts_with("web-")).count(), 2, "{pods}");
}

#[test]
fn a_stale_update_is_a_conflict() {
    let mut sim = cluster();
    k(&mut sim, "kubectl create namespace team");
    settle(&mut sim, 1);
    let handle = sim.submit(ApiRequest::new(Verb::Get, ResourceInfo::of("namespaces"), "", "team"));
    settle(&mut sim, 1);
    let Some(Ok(ApiBody::Object(Object::Namespace(ns)))) = sim.take_response(handle) else { panic!() };
    let mut stale = ns.clone();
    stale.metadata.labels.insert("team".into(), "a".into());
    k(&mut sim, "kubectl create serviceaccount unrelated -n team");
    let mut newer = ns;
    newer.metadata.labels.insert("team".into(), "b".into());
    let update =
        |o| ApiRequest::new(Verb::Update, ResourceInfo::of("namespaces"), "", "team").with_body(Object::Namespace(o));
    let first = sim.submit(update(newer));
    settle(&mut sim, 1);
    assert!(matches!(sim.take_response(first), Some(Ok(_))));
    let second = sim.submit(update(stale));
    settle(&mut sim, 1);
    let Some(Err(status)) = sim.take_response(second) else { panic!("the stale update went through") };
    assert_eq!(status.code, 409);
    assert_eq!(
        status.message,
        "Operation cannot be fulfilled on namespaces \"team\": the object has been modified; please apply your changes to the latest version and try again"
    );
}

#[test]
fn pods_get_their_service_account_priority_and_default_tolerations() {
    let mut sim = cluster();
    k(&mut sim, "kubectl create priorityclass high --value=1000");
    settle(&mut sim, 1);
    k(&mut sim, "kubectl run a --image=nginx");
    let json = k(&mut sim, "kubectl get pod a -o json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["spec"]["serviceAccountName"], "default");
    assert_eq!(v["spec"]["priority"], 0);
    assert_eq!(v["spec"]["preemptionPolicy"], "PreemptLowerPriority");
    let tolerations = v["spec"]["tolerations"].as_array().unwrap();
    assert_eq!(tolerations.len(), 2, "{json}");
    assert_eq!(tolerations[0]["tolerationSeconds"], 300);
    k(&mut sim, "kubectl create namespace fresh");
    // Until the serviceaccount controller has made `default` there, pods are refused.
    let early = k(&mut sim, "kubectl run b --image=nginx -n fresh");
    let later = {
        settle(&mut sim, 1);
        k(&mut sim, "kubectl run c --image=nginx -n fresh")
    };
    assert!(early.contains("error looking up service account fresh/default") || early == "pod/b created", "{early}");
    assert_eq!(later, "pod/c created");
}

#[test]
fn anonymous_requests_see_only_public_info_and_metrics_count_every_request() {
    let mut sim = cluster();
    assert_eq!(k(&mut sim, "curl -k https://10.0.0.10:6443/healthz"), "ok");
    let denied = k(&mut sim, "curl -sk https://10.0.0.10:6443/metrics");
    assert!(
        denied.contains("\"message\": \"forbidden: User \\\"system:anonymous\\\" cannot get path \\\"/metrics\\\"\""),
        "{denied}"
    );
    assert!(denied.contains("\"code\": 403"), "{denied}");
    assert!(k(&mut sim, "curl -k https://10.0.0.10:6443/version").contains("\"gitVersion\": \"v1.35.0\""));
    k(&mut sim, "kubectl --as=alice get pods");
    k(&mut sim, "kubectl run a --image=nginx");
    let metrics = k(&mut sim, "kubectl get --raw /metrics");
    assert!(metrics.contains("apiserver_request_total{code=\"403\",component=\"apiserver\",group=\"\",resource=\"pods\",scope=\"namespace\",subresource=\"\",verb=\"LIST\",version=\"v1\"} 1"), "{metrics}");
    assert!(metrics.contains("apiserver_admission_controller_admission_duration_seconds_count{name=\"ServiceAccount\",operation=\"CREATE\",rejected=\"false\",type=\"admit\"}"), "{metrics}");
    assert!(metrics.contains("apiserver_current_inflight_requests{request_kind=\"readOnly\"} 1"), "{metrics}");
}

#[test]
fn scenario_flags_reach_the_apiserver_and_its_manifest() {
    let mut scenario = Scenario::default();
    scenario.cluster.apiserver.anonymous_auth = false;
    scenario.cluster.apiserver.disable_admission_plugins = vec!["ResourceQuota".into()];
    scenario.cluster.apiserver.token_auth_file = "s3cret,carol,1001,\"devs,ops\"".into();
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    assert_eq!(
        k(&mut sim, "curl -k https://10.0.0.10:6443/healthz"),
        "{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \"status\": \"Failure\",\n  \"message\": \"Unauthorized\",\n  \"reason\": \"Unauthorized\",\n  \"details\": {},\n  \"code\": 401\n}"
    );
    let whoami = k(&mut sim, "kubectl --token=s3cret auth whoami");
    assert_eq!(
        whoami,
        "ATTRIBUTE   VALUE\nUsername    carol\nUID         1001\nGroups      [devs ops system:authenticated]"
    );
    // Without ResourceQuota admission a quota is only counted, never enforced.
    k(&mut sim, "kubectl create quota pods --hard=pods=1");
    settle(&mut sim, 1);
    assert_eq!(k(&mut sim, "kubectl run a --image=nginx"), "pod/a created");
    assert_eq!(k(&mut sim, "kubectl run b --image=nginx"), "pod/b created");
    let manifest = k(&mut sim, "ssh control-plane cat /etc/kubernetes/manifests/kube-apiserver.yaml");
    for flag in [
        "--anonymous-auth=false",
        "--disable-admission-plugins=ResourceQuota",
        "--enable-admission-plugins=NodeRestriction",
        "--token-auth-file=/etc/kubernetes/tokens.csv",
    ] {
        assert!(manifest.contains(&format!("    - {flag}\n")), "{flag} missing:\n{manifest}");
    }
    let mut bad = Scenario::default();
    bad.cluster.apiserver.enable_admission_plugins = vec!["Frobnicate".into()];
    assert_eq!(bad.build().err().unwrap(), "enable-admission-plugins plugin \"Frobnicate\" is unknown");
}

#[test]
fn with_the_apiserver_down_kubectl_is_refused_pods_keep_running_and_watches_resume() {
    let mut sim = cluster();
    k(&mut sim, "kubectl create deployment web --image=nginx --replicas=2");
    settle(&mut sim, 20);
    let api = sim.component_by_name("kube-apiserver").unwrap();
    assert!(sim.crash(api));
    assert_eq!(
        k(&mut sim, "kubectl get pods"),
        "The connection to the server 10.0.0.10:6443 was refused - did you specify the right host or port?"
    );
    assert_eq!(
        k(&mut sim, "curl -k https://10.0.0.10:6443/healthz"),
        "curl: (7) Failed to connect to 10.0.0.10 port 6443 after 0 ms: Couldn't connect to server"
    );
    // The kubelets keep their containers running through the outage.
    settle(&mut sim, 30);
    let running: usize = sim
        .components
        .iter()
        .map(|c| match c {
            kube_playground::sim::component::Component::Kubelet(k) => k.workers.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(running, 5, "two pods, the two CoreDNS pods and the CSI driver's controller");
    sim.restart(api);
    settle(&mut sim, 40);
    // Informers listed and watched again: a new deployment is reconciled and scheduled.
    k(&mut sim, "kubectl scale deployment web --replicas=3");
    settle(&mut sim, 20);
    let pods = k(&mut sim, "kubectl get pods");
    assert_eq!(pods.lines().filter(|l| l.contains(" Running ")).count(), 3, "{pods}");
}

#[test]
fn priority_and_fairness_queues_then_rejects_a_flood() {
    let mut scenario = Scenario::default();
    scenario.cluster.apiserver.max_requests_inflight = 4;
    scenario.cluster.apiserver.max_mutating_requests_inflight = 2;
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    // The admin's kubectl is global-default (kubeadm:cluster-admins is not system:masters):
    // one seat at this server size, and its flow's hand of queues fills up.
    let handles: Vec<u64> =
        (0..500).map(|_| sim.submit(ApiRequest::new(Verb::List, ResourceInfo::of("pods"), "default", ""))).collect();
    settle(&mut sim, 20);
    // Turned away with 429, each request is sent again after Retry-After (client-go retries
    // up to 10 times), so every one is answered in the end.
    let ok = handles.into_iter().filter(|h| matches!(sim.take_response(*h), Some(Ok(_)))).count();
    assert_eq!(ok, 500);
    let metrics = k(&mut sim, "kubectl get --raw /metrics");
    assert!(
        metrics.contains("apiserver_flowcontrol_nominal_limit_seats{priority_level=\"global-default\"} 1"),
        "{metrics}"
    );
    let rejected: u64 = metrics
        .lines()
        .find(|l| l.starts_with("apiserver_flowcontrol_rejected_requests_total{flow_schema=\"global-default\",priority_level=\"global-default\",reason=\"queue-full\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0);
    assert!(rejected > 0, "the flood was throttled:\n{metrics}");
    // The rest of the cluster, on other levels, keeps working.
    k(&mut sim, "kubectl create deployment web --image=nginx --replicas=2");
    settle(&mut sim, 20);
    let pods = k(&mut sim, "kubectl get pods");
    assert_eq!(pods.lines().filter(|l| l.contains(" Running ")).count(), 2, "{pods}");
    let manifest = k(&mut sim, "ssh control-plane cat /etc/kubernetes/manifests/kube-apiserver.yaml");
    assert!(manifest.contains("    - --max-requests-inflight=4\n"), "{manifest}");
}

#[test]
fn watches_resume_from_a_revision_and_410_when_it_is_too_old() {
    let mut sim = cluster();
    let before = sim.apiserver().unwrap().cache_revision();
    k(&mut sim, "kubectl create namespace team");
    let mut watch = ApiRequest::new(Verb::Watch, ResourceInfo::of("namespaces"), "", "");
    watch.resource_version = Some(before);
    let h = sim.submit(watch.clone());
    settle(&mut sim, 1);
    match sim.take_response(h) {
        Some(Ok(ApiBody::WatchStarted { items, initial, .. })) => assert!(items.is_empty() && !initial),
        other => panic!("{other:?}"),
    }
    // After a restart the watch cache starts at etcd's current revision: older is gone.
    let api = sim.component_by_name("kube-apiserver").unwrap();
    sim.crash(api);
    sim.restart(api);
    settle(&mut sim, 2);
    let h = sim.submit(watch);
    settle(&mut sim, 1);
    let Some(Err(status)) = sim.take_response(h) else { panic!("a resumed watch from before the restart") };
    assert_eq!((status.code, status.reason), (410, "Expired"));
    assert!(status.message.starts_with(&format!("too old resource version: {before} (")), "{}", status.message);
    // The components' reflectors got the same 410 and listed again: the cluster still works.
    k(&mut sim, "kubectl create deployment web --image=nginx --replicas=2");
    settle(&mut sim, 30);
    let pods = k(&mut sim, "kubectl get pods");
    assert_eq!(pods.lines().filter(|l| l.contains(" Running ")).count(), 2, "{pods}");
}

#[test]
fn an_object_over_etcds_request_limit_is_refused() {
    let mut sim = cluster();
    let big = "x".repeat(1_600_000);
    let out = k(&mut sim, &format!("kubectl create secret generic big --from-literal=blob={big}"));
    assert_eq!(out, "Error from server: etcdserver: request is too large");
    assert_eq!(k(&mut sim, "kubectl get secret big"), "Error from server (NotFound): secrets \"big\" not found");
}

#[test]
fn curl_reaches_the_rest_api_with_a_token_or_through_the_authenticating_proxy() {
    let mut sim = cluster();
    k(&mut sim, "kubectl run web --image=nginx");
    k(&mut sim, "kubectl create serviceaccount ci");
    k(&mut sim, "kubectl create rolebinding ci-view --clusterrole=view --serviceaccount=default:ci");
    settle(&mut sim, 1);
    let token = k(&mut sim, "kubectl create token ci");
    let list = k(
        &mut sim,
        &format!("curl -k -H \"Authorization: Bearer {token}\" https://10.0.0.10:6443/api/v1/namespaces/default/pods"),
    );
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(v["kind"], "PodList");
    assert_eq!(v["items"][0]["metadata"]["name"], "web");
    let proxy = "curl -k --cert /etc/kubernetes/pki/front-proxy-client.crt";
    let as_alice = k(
        &mut sim,
        &format!("{proxy} -H 'X-Remote-User: alice' https://10.0.0.10:6443/api/v1/namespaces/default/pods"),
    );
    assert!(as_alice.contains("User \\\"alice\\\" cannot list resource \\\"pods\\\""), "{as_alice}");
    let as_admin = k(&mut sim, &format!(
        "{proxy} -H 'X-Remote-User: bob' -H 'X-Remote-Group: system:masters' https://10.0.0.10:6443/api/v1/namespaces/default/pods/web"
    ));
    assert!(as_admin.contains("\"kind\": \"Pod\""), "{as_admin}");
    let no_user = k(&mut sim, &format!("{proxy} https://10.0.0.10:6443/api/v1/namespaces/default/pods"));
    assert!(no_user.contains("\"code\": 401"), "{no_user}");
    assert_eq!(
        k(&mut sim, "curl -k --cert /tmp/mine.crt https://10.0.0.10:6443/version"),
        "curl: (58) could not load PEM client certificate from /tmp/mine.crt"
    );
}

/// Seconds until `replicas` pods run, and the apiserver's request count by then.
fn rollout(list_period_s: u64) -> (f64, u64) {
    let mut scenario = Scenario::default();
    scenario.cluster.informer_list_period_s = list_period_s;
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(12));
    let start = sim.now();
    k(&mut sim, "kubectl create deployment web --image=nginx --replicas=3");
    while k(&mut sim, "kubectl get pods").matches(" Running ").count() < 3 {
        assert!(sim.now().since(start) < 300 * SECONDS, "never rolled out");
        settle(&mut sim, 1);
    }
    let requests = sim.apiserver().map_or(0, |a| a.requests_total);
    (sim.now().since(start) as f64 / SECONDS as f64, requests)
}

#[test]
fn periodic_lists_cost_more_requests_and_react_later_than_watches() {
    let (watch_s, watch_requests) = rollout(0);
    let (list_s, list_requests) = rollout(5);
    println!(
        "watch: {watch_s:.1} s, {watch_requests} requests; list every 5 s: {list_s:.1} s, {list_requests} requests"
    );
    assert!(list_s > watch_s, "listing every 5 s reacts later: {list_s} s vs {watch_s} s");
    assert!(list_requests > watch_requests, "and costs more requests: {list_requests} vs {watch_requests}");
}

#[test]
fn the_inspector_keeps_each_requests_stages() {
    let mut sim = cluster();
    k(&mut sim, "kubectl --as=alice get pods");
    k(&mut sim, "kubectl run web --image=nginx");
    let api = sim.apiserver().unwrap().clone();
    let mine: Vec<_> = api.recent.iter().filter(|r| r.client == 0).collect();
    let denied = mine.iter().find(|r| r.user == "alice").unwrap();
    assert_eq!(denied.code, 403);
    assert_eq!(denied.stages.iter().map(|s| s.0).collect::<Vec<_>>(), ["authentication", "authorization"]);
    let created = mine.iter().find(|r| r.line == "POST /api/v1/namespaces/default/pods").unwrap();
    assert_eq!(created.code, 201);
    let names: Vec<&str> = created.stages.iter().map(|s| s.0).collect();
    assert_eq!(names, ["authentication", "authorization", "admission", "validation", "etcd"]);
    assert_eq!(created.stages.iter().map(|s| s.1).sum::<u64>(), created.total_us);
    // kubectl's bodies as JSON: the pod it sent, the defaulted pod it got back (larger);
    // the 403 is a Status. The components' requests are not sized.
    let (sent, got) = created.json_bytes.unwrap();
    assert!(sent > 100 && got > sent, "{sent} {got}");
    assert!(denied.json_bytes.unwrap().1 > 150);
    assert!(api.recent.iter().filter(|r| r.client != 0).all(|r| r.json_bytes.is_none()));
}

/// Every watch event sent is counted with its size, by kind: the fan-out an operator watches.
#[test]
fn watch_events_are_counted_with_their_sizes() {
    // Only the one pod's events (no add-on pods starting beside it).
    let mut scenario = Scenario::default();
    scenario.cluster.cluster_dns = false;
    scenario.cluster.csi_driver = false;
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    k(&mut sim, "kubectl run a --image=nginx");
    settle(&mut sim, 10);
    let metrics = k(&mut sim, "kubectl get --raw /metrics");
    let value = |prefix: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix}\n{metrics}"));
        line.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or(0.0)
    };
    // The pod's create, binding and status updates reach the scheduler, the controller
    // manager and the node's kubelet: a handful of events each.
    let pods = value("apiserver_watch_events_total{group=\"\",kind=\"Pod\",version=\"v1\"}");
    assert!((9.0..=40.0).contains(&pods), "{pods}");
    assert_eq!(value("apiserver_watch_events_sizes_count{group=\"\",kind=\"Pod\",version=\"v1\"}"), pods);
    // Sizes are the protobuf bytes watchers receive: a scheduled pod is several hundred.
    let sum = value("apiserver_watch_events_sizes_sum{group=\"\",kind=\"Pod\",version=\"v1\"}");
    let small = value("apiserver_watch_events_sizes_bucket{group=\"\",kind=\"Pod\",version=\"v1\",le=\"1024\"}");
    assert_eq!(small, pods, "every event is under the first bucket (1 KiB)");
    assert!((300.0..1024.0).contains(&(sum / pods)), "mean {} bytes", sum / pods);
}
