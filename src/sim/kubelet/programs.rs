//! Programs that run in this node's pods and talk to the apiserver themselves — the
//! `website-operator` image (see [`super::operator`]) and the CSI driver's controller
//! (see [`super::csi`]). When such a container starts, the
//! kubelet asks for a token of the pod's ServiceAccount (TokenRequest, as a projected token
//! volume does) and starts the program with it; when the container stops, so does the program
//! and its watches. Its requests leave from this node, their answers come back here and are
//! handed to it by request id.

use super::program::{Program, Server, ID_BLOCK_BITS};
use super::{Kubelet, Step, Tag};
use crate::sim::api::request::{ApiBody, ApiRequest, ApiResponse, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Object, Pod, TokenRequest, TokenRequestSpec};
use crate::sim::event::{Message, Payload, Timer};
use crate::sim::Ctx;

/// Projected ServiceAccount tokens last an hour (3607 s, as the kubelet asks).
const TOKEN_SECONDS: i64 = 3607;

impl Kubelet {
    /// A pod's containers started: if it runs a program, get its token first.
    pub(super) fn start_program(&mut self, ctx: &mut Ctx, pod: &Pod) {
        if pod.spec.containers.first().and_then(|c| Program::of_image(&c.image)).is_none() {
            return;
        }
        let sa = if pod.spec.service_account_name.is_empty() { "default" } else { &pod.spec.service_account_name };
        let body = TokenRequest {
            spec: TokenRequestSpec { audiences: vec![], expiration_seconds: TOKEN_SECONDS },
            ..Default::default()
        };
        let req = ApiRequest::new(Verb::Create, ResourceInfo::of("serviceaccounts"), &pod.metadata.namespace, sa)
            .with_subresource("token")
            .with_body(Object::TokenRequest(body));
        let key = crate::sim::client::key_of(&Object::Pod(Box::new(pod.clone())));
        self.client.send(ctx, 0, req, Tag::Token { pod: key });
    }

    /// The token came: the program starts, if its container still runs.
    pub(super) fn on_token(&mut self, ctx: &mut Ctx, pod: &str, resp: ApiResponse) {
        let token = match resp {
            Ok(ApiBody::Object(Object::TokenRequest(t))) => t.status.token,
            Ok(_) => return,
            Err(s) => {
                ctx.phase("token", format!("{pod}: {}", s.message));
                return;
            }
        };
        if !self.running(pod) || self.programs.iter().any(|p| p.core().pod_key == pod) {
            return;
        }
        let image = self.pods.get(pod).and_then(|o| o.as_pod()).and_then(|p| p.spec.containers.first());
        let Some(program) = image.and_then(|c| Program::of_image(&c.image)) else { return };
        self.next_program = self.next_program.wrapping_add(1);
        let slot = self.next_program;
        let server = Server { id: self.client.apiserver, http: self.client.transport.protocol };
        self.programs.push(Program::start(ctx, program, pod, server, token, slot));
    }

    fn running(&self, pod: &str) -> bool {
        self.workers.values().any(|w| w.key == pod && w.step == Step::Running)
    }

    /// A message for one of the programs: handed over; otherwise returned for the kubelet.
    pub(super) fn hand_to_program(&mut self, ctx: &mut Ctx, msg: Message) -> Option<Message> {
        let id = match &msg.payload {
            Payload::ApiResp { req_id, .. } => *req_id,
            Payload::Watch(ev) => ev.watch_id,
            Payload::WatchClosed { watch_id } | Payload::Bookmark { watch_id, .. } => *watch_id,
            Payload::Handshake { conn, .. } => *conn,
            _ => return Some(msg),
        };
        if id >> ID_BLOCK_BITS == 0 {
            return Some(msg);
        }
        if let Some(p) = self.programs.iter_mut().find(|p| p.core().owns(id)) {
            p.on_message(ctx, msg);
        }
        None
    }

    /// [`Timer::ResendEvent`]: an Event write of the kubelet's own, or of one of its programs'.
    pub(super) fn resend_event(&mut self, ctx: &mut Ctx, req_id: u64) {
        if req_id >> ID_BLOCK_BITS == 0 {
            return self.client.resend_event(ctx, req_id);
        }
        if let Some(p) = self.programs.iter_mut().find(|p| p.core().owns(req_id)) {
            p.resend_event(ctx, req_id);
        }
    }

    /// A timer for the programs (their work and reflector back-offs).
    pub(super) fn program_timer(&mut self, ctx: &mut Ctx, timer: &Timer) {
        for p in &mut self.programs {
            p.on_timer(ctx, timer);
        }
    }

    /// Programs whose container no longer runs stop.
    pub(super) fn reap_programs(&mut self, ctx: &mut Ctx) {
        if self.programs.is_empty() {
            return;
        }
        let (keep, stop): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.programs).into_iter().partition(|p| self.running(&p.core().pod_key));
        for mut p in stop {
            ctx.phase(p.core().name, format!("{}: container stopped", p.core().pod_key));
            p.stop(ctx);
        }
        self.programs = keep;
    }
}
