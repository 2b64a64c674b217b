//! `kubectl apply -f` in the page: a YAML manifest (documents between `---`) or a JSON one in
//! a text area, applied in order through the same code as kubesim's apply; the answers go to
//! the console.

use super::console::{append, said_lines, ConsoleLine};
use crate::scenario::action::Do;
use crate::ui::engine::Shared;
use leptos::prelude::*;

/// Ready-made manifests to start from.
const EXAMPLES: [(&str, &str); 8] = [
    (
        "LimitRange and ResourceQuota",
        r#"apiVersion: v1
kind: LimitRange
metadata:
  name: limits
spec:
  limits:
  - type: Container
    default:
      cpu: 200m
      memory: 256Mi
    defaultRequest:
      cpu: 100m
      memory: 128Mi
    max:
      cpu: "1"
      memory: 1Gi
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
spec:
  hard:
    pods: "4"
    requests.cpu: "1"
    limits.memory: 2Gi
"#,
    ),
    (
        "A Role and RoleBinding for alice",
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
rules:
- apiGroups:
  - ""
  resources:
  - pods
  - pods/log
  verbs:
  - get
  - list
  - watch
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-reads-pods
subjects:
- kind: User
  name: alice
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-reader
"#,
    ),
    (
        "CustomResourceDefinition widgets.example.com",
        r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames:
    - wd
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required:
            - size
            properties:
              size:
                type: integer
                minimum: 1
                maximum: 10
              color:
                type: string
                enum:
                - red
                - blue
"#,
    ),
    (
        "Widgets (after the CRD; one is invalid)",
        r#"apiVersion: example.com/v1
kind: Widget
metadata:
  name: small
spec:
  size: 2
  color: red
  shape: "pruned: not in the schema"
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: huge
spec:
  size: 20
  color: green
"#,
    ),
    (
        "A webhook server (Deployment and Service)",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: deny-latest
spec:
  replicas: 1
  selector:
    matchLabels:
      app: deny-latest
  template:
    metadata:
      labels:
        app: deny-latest
    spec:
      containers:
      - name: server
        image: kube-playground/webhook-deny-latest:1.0
        ports:
        - containerPort: 8443
---
apiVersion: v1
kind: Service
metadata:
  name: deny-latest
spec:
  selector:
    app: deny-latest
  ports:
  - port: 443
    targetPort: 8443
"#,
    ),
    (
        "ValidatingWebhookConfiguration (after the server)",
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: deny-latest
webhooks:
- name: deny-latest.example.com
  failurePolicy: Fail
  timeoutSeconds: 5
  sideEffects: None
  admissionReviewVersions:
  - v1
  clientConfig:
    service:
      namespace: default
      name: deny-latest
      path: /validate
  rules:
  - operations:
    - CREATE
    apiGroups:
    - ""
    apiVersions:
    - v1
    resources:
    - pods
  objectSelector:
    matchExpressions:
    - key: app
      operator: NotIn
      values:
      - deny-latest
"#,
    ),
    (
        "A DaemonSet (one pod per node)",
        r#"apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  selector:
    matchLabels:
      app: node-agent
  template:
    metadata:
      labels:
        app: node-agent
    spec:
      containers:
      - name: agent
        image: fluent/fluent-bit:3.1
        resources:
          requests:
            cpu: 50m
            memory: 64Mi
"#,
    ),
    (
        "A Deployment",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
      - name: api
        image: nginx:1.27
        resources:
          requests:
            cpu: 100m
          limits:
            memory: 128Mi
"#,
    ),
];

/// Applies `text` as the admin's kubectl would; the answer arrives in the console.
fn run(engine: &Shared, console: RwSignal<Vec<ConsoleLine>>, text: &str) {
    let mut e = engine.borrow_mut();
    e.act(Do::Apply(text.to_string()));
    let out = said_lines(e.session.take_said());
    drop(e);
    append(console, out);
}

#[component]
pub fn ApplyPanel(engine: Shared, console: RwSignal<Vec<ConsoleLine>>) -> impl IntoView {
    let engine = StoredValue::new_local(engine);
    let text = RwSignal::new(EXAMPLES[0].1.to_string());
    view! {
        <div class="apply-panel" data-testid="apply-panel">
            <h3>
                "kubectl apply -f"
                <select aria-label="Example manifests" on:change=move |ev| {
                    if let Some((_, m)) = event_target_value(&ev).parse::<usize>().ok().and_then(|i| EXAMPLES.get(i)) {
                        text.set(m.to_string());
                    }
                }>
                    {EXAMPLES.iter().enumerate().map(|(i, (name, _))| view! { <option value=i.to_string()>{*name}</option> }).collect_view()}
                </select>
            </h3>
            <textarea aria-label="Manifest (YAML or JSON)" spellcheck="false" prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <button data-testid="apply-run" on:click=move |_| engine.with_value(|e| run(e, console, &text.get_untracked()))>
                "Apply"
            </button>
        </div>
    }
}
