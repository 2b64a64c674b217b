//! Pod traffic on the kubelet's side. A container whose script loops over `wget`/`curl` of a
//! URL is a load generator: each request leaves the pod for the node's Service rules
//! (kube-proxy's component stands for the node's netfilter/IPVS), which send it on to the
//! chosen pod's node; the kubelet there answers for the pod's server (see
//! [`super::prober::http_get`]) and the answer comes straight back (conntrack). What the
//! loop prints — each answer, or busybox wget's error — is the container's log
//! (`kubectl logs`). A host name is first asked of the cluster DNS (kube-dns at 10.96.0.10,
//! through the same rules to a CoreDNS pod — see [`super::coredns`]); without an answer the
//! loop says `wget: bad address`, as busybox does.

use super::process::Script;
use super::worker::Step;
use super::{prober, Kubelet};
use crate::sim::api::Pod;
use crate::sim::event::{MsgKind, Packet, PacketReply, Payload, Timer};
use crate::sim::Ctx;
use std::collections::VecDeque;

/// How many lines of a load generator's output the kubelet keeps.
const LOG_LINES: usize = 200;

#[derive(Clone, Debug)]
pub struct LoadGen {
    pub uid: String,
    namespace: String,
    run: u64,
    url: String,
    every_us: u64,
    pub log: VecDeque<String>,
}

/// `http://host[:port][/path]` → (host, port, path).
fn parse_url(url: &str) -> (String, i32, String) {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).unwrap_or(url);
    let (hostport, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let default_port = if url.starts_with("https://") { 443 } else { 80 };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().unwrap_or(default_port)),
        None => (hostport, default_port),
    };
    (host.to_string(), port, path.to_string())
}

impl Kubelet {
    /// The containers run: start the load loops among them.
    pub(super) fn start_loads(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str, run: u64) {
        self.loads.retain(|l| l.uid != uid);
        for c in &pod.spec.containers {
            if let Some((url, every_us)) = Script::of(c).load {
                self.loads.push(LoadGen {
                    uid: uid.into(),
                    namespace: pod.metadata.namespace.clone(),
                    run,
                    url,
                    every_us,
                    log: VecDeque::new(),
                });
                ctx.timer(every_us, Timer::Traffic { uid: uid.into(), run });
            }
        }
    }

    /// The loop's next request.
    pub(super) fn load_tick(&mut self, ctx: &mut Ctx, uid: &str, run: u64) {
        let running = self.workers.get(uid).is_some_and(|w| w.step == Step::Running && w.run == run);
        let Some(load) = self.loads.iter_mut().find(|l| l.uid == uid && l.run == run) else { return };
        if !running {
            return;
        }
        ctx.timer(load.every_us, Timer::Traffic { uid: uid.into(), run });
        let (host, port, path) = parse_url(&load.url);
        let namespace = load.namespace.clone();
        if host.parse::<std::net::Ipv4Addr>().is_ok() {
            self.send_packet(ctx, uid, format!("{host}:{port}"), path, None);
        } else {
            // Ask kube-dns first; the answer sends the request on.
            let dst = format!("{}:53", super::coredns::CLUSTER_DNS);
            self.send_packet(ctx, uid, dst, path, Some((host, namespace)));
        }
    }

    fn send_packet(&mut self, ctx: &mut Ctx, uid: &str, dst: String, path: String, dns: Option<(String, String)>) {
        let Some(proxy) = self.proxy else { return };
        self.next_packet += 1;
        let id = self.next_packet;
        self.in_flight.insert(id, (uid.to_string(), dns.is_some()));
        let label = match &dns {
            Some((name, _)) => format!("DNS A {name}?"),
            None => format!("GET {path}"),
        };
        let src = self.workers.get(uid).map(|w| w.ip.clone()).unwrap_or_default();
        let packet = Packet { id, client: ctx.me, src, dst: dst.clone(), to: dst, path, dns };
        ctx.send(proxy, MsgKind::Traffic, label, Payload::Packet(Box::new(packet)));
    }

    /// A request for a pod on this node: its server answers, straight back to the client.
    pub(super) fn serve_packet(&mut self, ctx: &mut Ctx, packet: Packet) {
        let (ip, port) =
            packet.to.rsplit_once(':').map_or((packet.to.as_str(), 0), |(ip, p)| (ip, p.parse().unwrap_or(0)));
        let worker = self.workers.values().find(|w| w.ip == ip && w.step == Step::Running);
        let dns_server = worker.and_then(|w| {
            self.programs.iter().find_map(|p| match p {
                super::program::Program::Dns(d) if d.core.pod_key == w.key => Some(d),
                _ => None,
            })
        });
        let result = match (worker.and_then(|w| Some((w, self.pods.get(&w.key)?.as_pod()?))), &packet.dns) {
            (None, _) => Err("No route to host".to_string()),
            (Some(_), Some((name, namespace))) => match dns_server {
                Some(d) => d.resolve(name, namespace).map(|ip| (0, ip)).ok_or_else(|| "NXDOMAIN".to_string()),
                None => Err("Connection refused".into()),
            },
            (Some((w, pod)), None) => {
                // The first container that serves the port answers; else the first refusal.
                let up = ctx.now.since(w.running_since);
                let mut answers =
                    pod.spec.containers.iter().map(|c| prober::http_get(c, port, &packet.path, up, &pod.metadata.name));
                let first = answers.next().unwrap_or_else(|| Err("Connection refused".into()));
                if first.is_ok() {
                    first
                } else {
                    answers.find(Result::is_ok).unwrap_or(first)
                }
            }
        };
        let label = match (&result, &packet.dns) {
            (Ok((_, ip)), Some(_)) => format!("A {ip}"),
            (Err(e), Some(_)) => e.clone(),
            (Ok((status, _)), None) => format!("HTTP {status}"),
            (Err(_), None) => "RST".into(),
        };
        ctx.phase("serve", format!("{} {} → {label}", packet.to, packet.path));
        let reply = PacketReply { id: packet.id, result };
        ctx.send(packet.client, MsgKind::Traffic, &label, Payload::PacketReply(Box::new(reply)));
    }

    /// An answer for one of this node's load loops: a line of its log.
    pub(super) fn packet_answered(&mut self, ctx: &mut Ctx, reply: PacketReply) {
        let Some((uid, dns)) = self.in_flight.remove(&reply.id) else { return };
        let Some(load) = self.loads.iter_mut().find(|l| l.uid == uid) else { return };
        let (host, port, path) = parse_url(&load.url);
        if dns {
            match reply.result {
                Ok((_, ip)) => self.send_packet(ctx, &uid, format!("{ip}:{port}"), path, None),
                Err(_) => {
                    push(&mut load.log, format!("wget: bad address '{host}'"));
                }
            }
            return;
        }
        let line = match reply.result {
            Ok((200..=299, body)) => body,
            Ok((status, _)) => {
                format!("wget: server returned error: HTTP/1.1 {status} {}", reason(status))
            }
            Err(e) => {
                format!("wget: can't connect to remote host ({host}): {e}")
            }
        };
        push(&mut load.log, line);
    }

    /// What `kubectl logs` shows of the pod: its echo lines, then its load loop's output.
    pub fn logs(&self, uid: &str) -> Option<Vec<String>> {
        let w = self.workers.get(uid)?;
        let pod = self.pods.get(&w.key)?.as_pod()?;
        let mut lines: Vec<String> = pod.spec.containers.iter().flat_map(|c| Script::of(c).output).collect();
        if let Some(load) = self.loads.iter().find(|l| l.uid == uid) {
            lines.extend(load.log.iter().cloned());
        }
        Some(lines)
    }
}

fn push(log: &mut VecDeque<String>, line: String) {
    if log.len() == LOG_LINES {
        log.pop_front();
    }
    log.push_back(line);
}

fn reason(status: u16) -> &'static str {
    match status {
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}
