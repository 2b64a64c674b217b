//! kube-apiserver's HTTPS connections to webhook servers. Its webhook clients are cached per
//! configuration and keep their connections (HTTP/2, negotiated by TLS ALPN), so only the first
//! call to a webhook pod pays TCP's and TLS's handshakes — drawn as messages to the pod's node
//! — and calls made meanwhile wait for that one dial. A pod that does not run refuses it.

use super::ApiServer;
use crate::sim::api::webhook::AdmissionRequest;
use crate::sim::event::{ComponentId, MsgKind, Payload};
use crate::sim::Ctx;

/// A dial under way: the pod, its node's kubelet, and the calls waiting for it.
#[derive(Clone, Debug)]
pub(super) struct Dial {
    pod_ip: String,
    kubelet: ComponentId,
    /// (call id, request, the message's label).
    calls: Vec<(u64, AdmissionRequest, String)>,
}

impl ApiServer {
    /// Sends webhook call `call_id` to the pod at `pod_ip` on its connection, dialing first if
    /// there is none.
    pub(super) fn call_pod(
        &mut self,
        ctx: &mut Ctx,
        call_id: u64,
        pod_ip: String,
        kubelet: ComponentId,
        request: AdmissionRequest,
        label: String,
    ) {
        if self.webhook_conns.contains(&pod_ip) {
            let payload = Payload::WebhookCall { call_id, pod_ip, request: Box::new(request) };
            ctx.send(kubelet, MsgKind::ApiRequest, label, payload);
            return;
        }
        if let Some(dial) = self.dials.values_mut().find(|d| d.pod_ip == pod_ip) {
            dial.calls.push((call_id, request, label));
            return;
        }
        // The dial is named after the call that starts it.
        let payload = Payload::PodHandshake { conn: call_id, step: 1, pod_ip: pod_ip.clone() };
        ctx.send(kubelet, MsgKind::ApiRequest, format!("TCP SYN to {pod_ip}"), payload);
        self.dials.insert(call_id, Dial { pod_ip, kubelet, calls: vec![(call_id, request, label)] });
    }

    /// The pod's side of a dial: continue, send the waiting calls, or fail them.
    pub(super) fn on_pod_handshake(&mut self, ctx: &mut Ctx, conn: u64, step: u8) {
        match step {
            2 => {
                let Some(dial) = self.dials.get(&conn) else { return };
                let payload = Payload::PodHandshake { conn, step: 3, pod_ip: dial.pod_ip.clone() };
                ctx.send(dial.kubelet, MsgKind::ApiRequest, "TLS ClientHello", payload);
            }
            4 => {
                let Some(dial) = self.dials.remove(&conn) else { return };
                self.webhook_conns.insert(dial.pod_ip.clone());
                for (call_id, request, label) in dial.calls {
                    let pod_ip = dial.pod_ip.clone();
                    let payload = Payload::WebhookCall { call_id, pod_ip, request: Box::new(request) };
                    ctx.send(dial.kubelet, MsgKind::ApiRequest, label, payload);
                }
            }
            _ => {
                let Some(dial) = self.dials.remove(&conn) else { return };
                let why = format!("dial tcp {}:443: connect: connection refused", dial.pod_ip);
                for (call_id, ..) in dial.calls {
                    self.on_webhook_result(ctx, call_id, Err(why.clone()));
                }
            }
        }
    }
}
