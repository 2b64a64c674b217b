//! A client's connections to kube-apiserver, as Go's net/http transport under client-go
//! keeps them. Over HTTP/2 (the default) every request is a stream on one connection; over
//! HTTP/1.1 a request takes an idle connection or opens another, and a watch holds its
//! connection for its life (so a controller with twenty informers holds twenty); over HTTP/1.0
//! each request opens its own. A new connection costs TCP's handshake and TLS 1.3's, two
//! round trips, drawn as messages: SYN, SYN-ACK, ClientHello, the server's flight.
//!
//! Simplified: after kube-apiserver restarts, a client learns its connections are gone from a
//! closed watch or a refused request, not from a reset of an idle connection.

use super::event::{ComponentId, MsgKind, Payload};
use super::transport::Protocol;
use super::Ctx;

/// A client's HTTP version towards kube-apiserver, from the scenario: "2" (the default),
/// "1.1" or "1.0". `who` names the client in the error.
pub fn http_version(text: &str, who: &str) -> Result<Protocol, String> {
    match text {
        "" | "2" | "h2" => Ok(Protocol::Http2),
        "1.1" | "http/1.1" => Ok(Protocol::Http11),
        "1.0" | "http/1.0" => Ok(Protocol::Http10),
        "3" | "h3" => Err(format!("{who} and kube-apiserver do not speak HTTP/3 (client-go has no QUIC)")),
        other => Err(format!("unknown HTTP version \"{other}\" for {who} (2, 1.1 or 1.0)")),
    }
}

#[derive(Clone, Debug)]
struct Conn {
    /// The id of the request that opened it (unique within the client, so a node's kubelet can
    /// hand a handshake to the program in a pod that asked for it).
    id: u64,
    ready: bool,
    /// Requests in flight on it (a watch stays until it ends).
    busy: Vec<u64>,
    /// Requests waiting for its handshake.
    waiting: Vec<u64>,
}

/// What a handshake message changed.
pub enum Handshaken {
    Continue,
    /// The connection is ready: these requests go out on it now.
    Ready(Vec<u64>),
    /// Nothing listens on 6443: these requests fail with "connection refused".
    Refused(Vec<u64>),
}

#[derive(Clone, Debug)]
pub struct Transport {
    pub protocol: Protocol,
    conns: Vec<Conn>,
    /// Connections opened so far.
    pub opened: u64,
}

impl Transport {
    pub fn new(protocol: Protocol) -> Self {
        Transport { protocol, conns: Vec::new(), opened: 0 }
    }

    /// Connections open now (or being opened).
    pub fn open(&self) -> usize {
        self.conns.len()
    }

    /// "HTTP/2 · 1 conn", for the views.
    pub fn summary(&self) -> String {
        let open = self.open();
        format!("{} · {open} conn{}", self.protocol.name(), if open == 1 { "" } else { "s" })
    }

    /// Request `req_id` is to leave in `delay_us`: true when a ready connection takes it now.
    /// Otherwise it waits for a connection being opened, or opens one (sending the SYN).
    pub fn route(&mut self, ctx: &mut Ctx, apiserver: ComponentId, req_id: u64, delay_us: u64) -> bool {
        let reuse = match self.protocol {
            Protocol::Http2 | Protocol::Http3 => self.conns.first_mut(),
            Protocol::Http11 => self.conns.iter_mut().find(|c| c.ready && c.busy.is_empty()),
            Protocol::Http10 => None,
        };
        match reuse {
            Some(conn) if conn.ready => {
                conn.busy.push(req_id);
                true
            }
            Some(conn) => {
                conn.waiting.push(req_id);
                false
            }
            None => {
                self.opened += 1;
                self.conns.push(Conn { id: req_id, ready: false, busy: Vec::new(), waiting: vec![req_id] });
                let what = format!("new connection #{} to 10.0.0.10:6443 ({})", self.opened, self.protocol.name());
                ctx.phase("connect", what);
                let syn = Payload::Handshake { conn: req_id, step: 1 };
                ctx.send_after(delay_us, apiserver, MsgKind::ApiRequest, "TCP SYN", syn);
                false
            }
        }
    }

    /// The server's side of a handshake arrived.
    pub fn on_handshake(&mut self, ctx: &mut Ctx, apiserver: ComponentId, conn: u64, step: u8) -> Handshaken {
        let Some(i) = self.conns.iter().position(|c| c.id == conn) else { return Handshaken::Continue };
        match step {
            2 => {
                let hello = Payload::Handshake { conn, step: 3 };
                ctx.send(apiserver, MsgKind::ApiRequest, "TLS ClientHello", hello);
                Handshaken::Continue
            }
            4 => {
                let c = &mut self.conns[i];
                c.ready = true;
                let ready = std::mem::take(&mut c.waiting);
                c.busy.extend(&ready);
                Handshaken::Ready(ready)
            }
            _ => Handshaken::Refused(self.conns.remove(i).waiting),
        }
    }

    /// Request `req_id`'s exchange ended: its connection is free again (HTTP/1.0 closes it).
    pub fn release(&mut self, req_id: u64) {
        let Some(i) = self.conns.iter().position(|c| c.busy.contains(&req_id)) else { return };
        self.conns[i].busy.retain(|r| *r != req_id);
        if self.protocol == Protocol::Http10 && self.conns[i].busy.is_empty() {
            self.conns.remove(i);
        }
    }

    /// The server's end is gone (its process died): so is every connection.
    pub fn reset(&mut self) {
        self.conns.retain(|c| !c.ready);
    }

    /// A fresh transport of the same protocol (a restarted process), keeping the count.
    pub fn restarted(&self) -> Self {
        Transport { protocol: self.protocol, conns: Vec::new(), opened: self.opened }
    }
}
