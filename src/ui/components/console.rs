//! The kubectl console: an output log and an input line with history (↑/↓). Commands are
//! parsed by `crate::kubectl`; a bad one prints kubectl's error and changes nothing.

use crate::scenario::action::Do;
use crate::scenario::session::Said;
use crate::ui::engine::Shared;
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Command,
    Output,
    Error,
    Info,
    /// `kubectl edit`'s text for the editor: not shown here, the edit panel opens with it.
    Editor,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleLine {
    pub id: u64,
    pub kind: LineKind,
    pub text: String,
}

thread_local! {
    static NEXT_LINE: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

impl ConsoleLine {
    pub fn new(kind: LineKind, text: &str) -> Self {
        let id = NEXT_LINE.with(|n| {
            let v = n.get();
            n.set(v + 1);
            v
        });
        ConsoleLine { id, kind, text: text.to_string() }
    }
}

/// Lines kept in the console.
const MAX_LINES: usize = 400;

const HELP: &str = "Commands (kubectl):
  kubectl create deployment NAME --image=IMAGE [--replicas=N] [--port=P]
  kubectl run NAME --image=IMAGE
  kubectl create namespace NAME
  kubectl get pods|nodes|deployments|replicasets|daemonsets|namespaces|leases [NAME] [-o wide|name|json|yaml|jsonpath=…|custom-columns=…] [-l SELECTOR] [--field-selector F=V] [-n NS|-A]
  kubectl scale deployment NAME --replicas=N
  kubectl delete pod|deployment|replicaset|daemonset|namespace NAME
  kubectl describe pod|node|deployment|service|daemonset|pdb NAME
  kubectl cordon|uncordon|drain NODE
  kubectl auth can-i VERB RESOURCE · kubectl auth whoami · --as=USER --as-group=G --token=T
  kubectl create serviceaccount|token|role|rolebinding|clusterrole|clusterrolebinding|quota|priorityclass|pdb
  kubectl edit TYPE NAME (opens the object's YAML in an editor; Save patches it)
  kubectl label|annotate TYPE NAME k=v · kubectl get pods -l app=web --show-labels · kubectl api-resources
  kubectl get pods -w (Ctrl+C in the empty input line stops it)
  kubectl config set-credentials|set-context|use-context|get-contexts|current-context
  kubectl get --raw /metrics · curl -k https://10.0.0.10:6443/healthz (anonymous)
  curl -k -H \"Authorization: Bearer TOKEN\" https://10.0.0.10:6443/api/v1/namespaces/default/pods
  ssh control-plane cat /etc/kubernetes/manifests/kube-apiserver.yaml
  Apply… in the toolbar: YAML or JSON manifests, as kubectl apply -f · kubectl get TYPE NAME -o yaml
  curl http://10.0.0.11:NODEPORT/ (from the laptop) · ssh worker-1 crictl stats
  etcdctl endpoint status -w table · etcdctl endpoint health · etcdctl member list
  etcdctl get /registry/ --prefix --keys-only · curl -s http://etcd-0:2381/metrics
  clear · help";

pub fn submit(engine: &Shared, console: RwSignal<Vec<ConsoleLine>>, line: &str) {
    let line = line.trim();
    match line {
        "" => {}
        "clear" => console.set(vec![]),
        "help" => {
            append(console, vec![ConsoleLine::new(LineKind::Command, "$ help"), ConsoleLine::new(LineKind::Info, HELP)])
        }
        _ => {
            let mut e = engine.borrow_mut();
            e.act(Do::Run(line.to_string()));
            let mut out = said_lines(e.session.take_said());
            if !e.playing && e.session.waiting() > 0 {
                out.push(ConsoleLine::new(
                    LineKind::Info,
                    "(paused: the request is sent when time runs — press play or step)",
                ));
            }
            drop(e);
            append(console, out);
        }
    }
}

/// The session's console lines as the console shows them.
pub fn said_lines(said: Vec<(Said, String)>) -> Vec<ConsoleLine> {
    said.into_iter()
        .map(|(kind, text)| {
            let kind = match kind {
                Said::Command => LineKind::Command,
                Said::Output => LineKind::Output,
                Said::Error => LineKind::Error,
                Said::Info => LineKind::Info,
                Said::Editor => LineKind::Editor,
            };
            ConsoleLine::new(kind, &text)
        })
        .collect()
}

/// Adds lines to the console, keeping the last `MAX_LINES`.
pub fn append(console: RwSignal<Vec<ConsoleLine>>, lines: Vec<ConsoleLine>) {
    console.update(|c| {
        c.extend(lines);
        let excess = c.len().saturating_sub(MAX_LINES);
        c.drain(..excess);
    });
}

#[component]
pub fn Console(engine: Shared, console: RwSignal<Vec<ConsoleLine>>) -> impl IntoView {
    let input = RwSignal::new(String::new());
    let history = RwSignal::new(Vec::<String>::new());
    let cursor = RwSignal::new(None::<usize>);
    let log_ref = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        console.track();
        if let Some(el) = log_ref.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let interrupt_engine = engine.clone();
    let on_key = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        // Ctrl+C ends what is still printing (kubectl get -w), as in a terminal.
        "c" if ev.ctrl_key() && input.get_untracked().is_empty() => {
            let mut e = interrupt_engine.borrow_mut();
            if e.session.streaming() {
                ev.prevent_default();
                e.act(Do::Interrupt);
                let out = said_lines(e.session.take_said());
                drop(e);
                append(console, out);
            }
        }
        "Enter" => {
            let line = input.get_untracked();
            if !line.trim().is_empty() {
                history.update(|h| h.push(line.clone()));
            }
            cursor.set(None);
            submit(&engine, console, &line);
            input.set(String::new());
        }
        "ArrowUp" | "ArrowDown" => {
            ev.prevent_default();
            let h = history.get_untracked();
            if h.is_empty() {
                return;
            }
            let next = match (ev.key().as_str(), cursor.get_untracked()) {
                ("ArrowUp", None) => Some(h.len() - 1),
                ("ArrowUp", Some(i)) => Some(i.saturating_sub(1)),
                ("ArrowDown", Some(i)) if i + 1 < h.len() => Some(i + 1),
                _ => None,
            };
            cursor.set(next);
            input.set(next.map(|i| h[i].clone()).unwrap_or_default());
        }
        _ => {}
    };
    view! {
        <section class="console" aria-label="kubectl console">
            <div class="log" node_ref=log_ref data-testid="console-log">
                <For each=move || console.get().into_iter().filter(|l| l.kind != LineKind::Editor) key=|l| l.id let:line>
                    <pre class=move || match line.kind {
                        LineKind::Command => "line cmd",
                        LineKind::Output => "line out",
                        LineKind::Error => "line err",
                        LineKind::Info | LineKind::Editor => "line info",
                    }>{line.text.clone()}</pre>
                </For>
            </div>
            <div class="prompt">
                <span>"$"</span>
                <input
                    type="text"
                    spellcheck="false"
                    autocomplete="off"
                    aria-label="kubectl command"
                    placeholder="kubectl create deployment web --image=nginx --replicas=3"
                    prop:value=move || input.get()
                    on:input=move |ev| input.set(event_target_value(&ev))
                    on:keydown=on_key
                />
            </div>
        </section>
    }
}
