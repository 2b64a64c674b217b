//! HTTP/1.0, HTTP/1.1, HTTP/2 and HTTP/3 loading the same requests over one seeded link, to
//! compare them: connections and handshakes, header compression, multiplexing, and where a
//! lost packet stalls whom (TCP delivers a connection's bytes in order; QUIC each stream's).
//!
//! - HTTP/1.0: a new TCP connection and TLS 1.3 handshake per request, at most `connections`
//!   at once (browsers open six per host).
//! - HTTP/1.1: six persistent connections; with pipelining a connection's requests all go out
//!   at once and its responses come back in order (head-of-line blocking in the application).
//! - HTTP/2: one connection, every request a stream, DATA frames of the ready streams
//!   interleaved round-robin; HPACK headers.
//! - HTTP/3: QUIC over UDP, its handshake (TLS inside) in one RTT, none on resumption
//!   (0-RTT); streams independent; QPACK headers.
//!
//! Packet sizes: TCP carries 1,448 bytes (MSS with timestamps) of which a TLS record takes 22;
//! QUIC datagrams carry 1,252 bytes after IP and UDP, of which its header, AEAD tag and STREAM
//! frame take 31. TLS handshake flights are estimates (a 4 KB certificate flight).

pub mod headers;
pub mod streams;
pub mod wire;

use headers::Compressor;
use serde::{Deserialize, Serialize};
use wire::{Link, Wire, INITIAL_WINDOW};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    Http10,
    Http11,
    Http2,
    Http3,
}

impl Protocol {
    pub const ALL: [Protocol; 4] = [Protocol::Http10, Protocol::Http11, Protocol::Http2, Protocol::Http3];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http10 => "HTTP/1.0",
            Protocol::Http11 => "HTTP/1.1",
            Protocol::Http2 => "HTTP/2",
            Protocol::Http3 => "HTTP/3",
        }
    }

    fn quic(self) -> bool {
        self == Protocol::Http3
    }

    fn multiplexed(self) -> bool {
        matches!(self, Protocol::Http2 | Protocol::Http3)
    }

    /// Wire bytes per full data packet, and response bytes it carries.
    fn packet(self) -> (usize, usize) {
        match self {
            Protocol::Http3 => (1280, 1221),
            // HTTP/2 writes one DATA frame (9-byte header) per packet.
            Protocol::Http2 => (1500, 1417),
            _ => (1500, 1426),
        }
    }

    /// Bytes on the wire around a packet's payload.
    fn overhead(self) -> usize {
        let (wire, payload) = self.packet();
        wire - payload
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub requests: usize,
    pub response_bytes: usize,
    /// The server's time to produce each response.
    pub server_us: u64,
    /// HTTP/1.x connections per host.
    pub connections: usize,
    /// HTTP/1.1 pipelining (off in every browser; on to show its head-of-line blocking).
    pub pipelining: bool,
    /// A resumed session: QUIC sends the first request with its handshake (0-RTT).
    pub resumed: bool,
    /// The first response names the others (a page and what it embeds; a list and the
    /// objects to fetch): they are asked for only once it has arrived.
    pub discover: bool,
    /// HTTP/2 server push, with `discover`: the server promises the others (PUSH_PROMISE)
    /// with the first response and sends them unasked. Chrome removed it in 2022;
    /// kube-apiserver never pushes.
    pub push: bool,
    /// Stream priorities on HTTP/2 and HTTP/3: the first response is urgent (weight 256
    /// against the default 16), so its frames go first.
    pub priorities: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            requests: 12,
            response_bytes: 20_000,
            server_us: 2_000,
            connections: 6,
            pipelining: false,
            resumed: false,
            discover: false,
            push: false,
            priorities: false,
        }
    }
}

/// One request's life, in microseconds from the start.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    pub conn: usize,
    /// It opened its connection (or, multiplexed, went out as soon as that was ready): the
    /// handshake ran from `opened` to `sent`. Otherwise it reused a connection.
    pub handshake_from: Option<u64>,
    /// The client sends it (after its connection's handshake); for a pushed response, when
    /// the client asked for the first one.
    pub sent: u64,
    /// The first response byte the client's application can read.
    pub first_byte: u64,
    pub done: u64,
    /// Its bytes waited for a retransmission: its own lost packet, or with TCP any earlier
    /// lost packet on the connection (transport head-of-line blocking).
    pub stalled: bool,
    /// The request's header block as sent (0 for a pushed response: the client sent none).
    pub header_bytes: usize,
    pub pushed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub protocol: Protocol,
    pub requests: Vec<Timing>,
    pub connections: usize,
    /// The first connection's time from opening to sending a request.
    pub handshake_us: u64,
    /// All request header blocks.
    pub header_bytes: usize,
    pub bytes: u64,
    pub packets: u64,
    /// Response packets (first transmissions; the order `Link::lose` counts in).
    pub data_packets: usize,
    pub retransmits: u64,
    pub total_us: u64,
}

struct Conn {
    opened: u64,
    ready: u64,
    /// HTTP/1.0 closed it after its response.
    closed: bool,
    packets: usize,
    /// When each packet's ACK reaches the server (slow start releases two packets per ACK).
    acks: Vec<u64>,
    /// TCP: the in-order delivery point of the connection's bytes.
    delivered: u64,
    requests: Compressor,
    responses: Compressor,
}

struct Stream {
    conn: usize,
    remaining: usize,
    /// When the server may start sending the response.
    avail: u64,
    served: u64,
    /// Its share of the connection (RFC 9113 weights, 1–256; 16 by default).
    weight: u64,
    first: Option<u64>,
    last: u64,
}

impl Stream {
    /// The order a multiplexed connection serves its ready streams in: least served for
    /// its weight first (weighted round-robin), then the oldest.
    fn turn(&self, i: usize) -> (u64, usize) {
        (self.served * 256 / self.weight, i)
    }
}

/// Go's net/http server buffers 2 KB of a response before sending its head: a body that fits
/// gets a Content-Length, a larger one is sent chunked over HTTP/1.1 (kube-apiserver sets no
/// Content-Length). Each write is one chunk: its size in hex, CRLF, the bytes, CRLF; then
/// the last chunk `0` CRLF CRLF.
const CHUNKING_AFTER: usize = 2048;

fn chunk_framing(body: usize) -> usize {
    format!("{body:x}").len() + 4 + 5
}

struct Engine {
    protocol: Protocol,
    opts: Options,
    wire: Wire,
    conns: Vec<Conn>,
    streams: Vec<Stream>,
    timings: Vec<Timing>,
    next_request: usize,
    /// Requests the client knows it needs so far.
    wanted: usize,
}

/// Loads `opts.requests` responses of `opts.response_bytes` over `link` with `protocol`.
pub fn run(protocol: Protocol, link: Link, opts: Options) -> Outcome {
    let n = opts.requests;
    let mut e = Engine {
        protocol,
        wire: Wire::new(link),
        conns: Vec::new(),
        streams: Vec::new(),
        timings: Vec::new(),
        next_request: 0,
        wanted: if opts.discover { n.min(1) } else { n },
        opts,
    };
    e.fill(0);
    e.pump();
    let total_us = e.timings.iter().map(|t| t.done).max().unwrap_or(0);
    let handshake_us = e.conns.first().map_or(0, |c| c.ready - c.opened);
    Outcome {
        protocol,
        header_bytes: e.timings.iter().map(|t| t.header_bytes).sum(),
        requests: e.timings,
        connections: e.conns.len(),
        handshake_us,
        bytes: e.wire.bytes,
        packets: e.wire.packets,
        data_packets: e.wire.sent,
        retransmits: e.wire.retransmits,
        total_us,
    }
}

impl Engine {
    /// Sends what the client knows it needs and has a connection for, at `at` or when the
    /// connection is ready: every request as a stream on the one multiplexed connection;
    /// HTTP/1.x a request per idle connection, opening them up to the per-host limit
    /// (pipelining: every request at once, round-robin over the connections).
    fn fill(&mut self, at: u64) {
        let limit = self.opts.connections.max(1);
        while self.next_request < self.wanted {
            let c = if self.protocol.multiplexed() {
                match self.conns.is_empty() {
                    true => self.open(at),
                    false => 0,
                }
            } else if self.opts.pipelining && self.protocol == Protocol::Http11 {
                let k = limit.min(self.wanted);
                while self.conns.len() < k {
                    self.open(at);
                }
                self.next_request % k
            } else {
                let idle = (0..self.conns.len()).find(|c| !self.conns[*c].closed && !self.busy(*c));
                let live = self.conns.iter().filter(|c| !c.closed).count();
                match idle {
                    Some(c) if self.protocol == Protocol::Http11 => c,
                    _ if live < limit => self.open(at),
                    _ => return,
                }
            };
            self.request(c, at.max(self.conns[c].ready));
        }
    }

    fn busy(&self, c: usize) -> bool {
        self.streams.iter().any(|s| s.conn == c && s.remaining > 0)
    }

    /// Opens a connection at `at`: TCP then TLS 1.3 (two RTTs), or QUIC (one, or none when
    /// resumed). Returns its index.
    fn open(&mut self, at: u64) -> usize {
        let ready = if self.protocol.quic() {
            if self.opts.resumed {
                // The ClientHello and the first request share the first flight.
                self.wire.flight(at, 1252);
                at
            } else {
                let hello = self.wire.flight(at, 1252);
                self.wire.flight(hello, 4_000)
            }
        } else {
            let syn = self.wire.flight(at, 60);
            let syn_ack = self.wire.flight(syn, 60);
            let client_hello = self.wire.flight(syn_ack, 300);
            self.wire.flight(client_hello, 4_000)
        };
        let (requests, responses) = match self.protocol {
            Protocol::Http3 => (Compressor::qpack(), Compressor::qpack()),
            _ => (Compressor::hpack(), Compressor::hpack()),
        };
        self.conns.push(Conn {
            opened: at,
            ready,
            closed: false,
            packets: 0,
            acks: Vec::new(),
            delivered: 0,
            requests,
            responses,
        });
        self.conns.len() - 1
    }

    /// The response head's bytes, and the body's with any framing around it.
    fn response(&mut self, c: usize, i: usize) -> (usize, usize) {
        let body = self.opts.response_bytes;
        let mut head = headers::response(body, i as u64);
        let chunked = self.protocol == Protocol::Http11 && body > CHUNKING_AFTER;
        if chunked {
            head.retain(|(k, _)| k != "content-length");
            head.push(("transfer-encoding".into(), "chunked".into()));
        }
        let conn = &mut self.conns[c];
        let head = match self.protocol {
            Protocol::Http10 => headers::http1(&head, "HTTP/1.0"),
            Protocol::Http11 => headers::http1(&head, "HTTP/1.1"),
            // A HEADERS frame: 9-byte frame header around the HPACK block.
            Protocol::Http2 => 9 + conn.responses.block(&head),
            // HEADERS and DATA frames: type and length varints (about 3 bytes each).
            Protocol::Http3 => 6 + conn.responses.block(&head),
        };
        (head, if chunked { body + chunk_framing(body) } else { body })
    }

    /// Sends the next request on connection `c` at `at`; with server push, the first
    /// request brings the server's promises of all the others.
    fn request(&mut self, c: usize, at: u64) {
        let i = self.next_request;
        self.next_request += 1;
        let path = format!("/api/v1/namespaces/default/configmaps/page-{i}");
        let req = headers::request(&path);
        let conn = &mut self.conns[c];
        let header_bytes = match self.protocol {
            Protocol::Http10 => headers::http1(&req, "HTTP/1.0"),
            Protocol::Http11 => headers::http1(&req, "HTTP/1.1"),
            Protocol::Http2 => 9 + conn.requests.block(&req),
            Protocol::Http3 => 3 + conn.requests.block(&req),
        };
        let handshake_from = (at == conn.ready).then_some(conn.opened);
        let arrival = self.wire.flight(at, header_bytes + self.protocol.overhead());
        let avail = arrival + self.opts.server_us;
        let (head, body) = self.response(c, i);
        let push = self.opts.push && self.opts.discover && self.protocol == Protocol::Http2 && i == 0;
        let mut promises = 0;
        if push {
            // A PUSH_PROMISE per other response (frame header, promised stream id, the
            // request's header block), sent before the first response's data.
            for j in 1..self.opts.requests {
                let promised = headers::request(&format!("/api/v1/namespaces/default/configmaps/page-{j}"));
                promises += 9 + 4 + self.conns[c].responses.block(&promised);
            }
        }
        self.stream(c, i, avail, head + body + promises, at, handshake_from, header_bytes, false);
        if push {
            for j in 1..self.opts.requests {
                let (head, body) = self.response(c, j);
                self.stream(c, j, avail, head + body, at, None, 0, true);
            }
            self.next_request = self.opts.requests;
            self.wanted = self.opts.requests;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn stream(
        &mut self,
        conn: usize,
        i: usize,
        avail: u64,
        bytes: usize,
        sent: u64,
        handshake_from: Option<u64>,
        header_bytes: usize,
        pushed: bool,
    ) {
        let weight = if self.opts.priorities && i == 0 { 256 } else { 16 };
        self.streams.push(Stream { conn, remaining: bytes, avail, served: 0, weight, first: None, last: 0 });
        let (first_byte, done, stalled) = (0, 0, false);
        self.timings.push(Timing { conn, handshake_from, sent, first_byte, done, stalled, header_bytes, pushed });
    }

    /// When connection `c` may send its next packet (slow start).
    fn gate(&self, c: usize) -> u64 {
        let conn = &self.conns[c];
        match conn.packets.checked_sub(INITIAL_WINDOW) {
            Some(k) => conn.acks.get(k / 2).copied().unwrap_or(u64::MAX),
            None => 0,
        }
    }

    /// The stream connection `c` sends from next, and when.
    fn pick(&self, c: usize) -> Option<(usize, u64)> {
        let gate = self.gate(c);
        let mut active = self.streams.iter().enumerate().filter(|(_, s)| s.conn == c && s.remaining > 0);
        if !self.protocol.multiplexed() {
            // HTTP/1.x: one response at a time, in request order.
            let (i, s) = active.next()?;
            return Some((i, gate.max(s.avail)));
        }
        let active: Vec<(usize, &Stream)> = active.collect();
        let earliest = active.iter().map(|(_, s)| s.avail).min()?;
        let t = gate.max(earliest);
        let (i, _) = active.iter().filter(|(_, s)| s.avail <= t).min_by_key(|(i, s)| s.turn(*i))?;
        Some((*i, t))
    }

    /// Sends packets, earliest first across connections, until every response is delivered.
    fn pump(&mut self) {
        loop {
            let mut conns: Vec<usize> = self.streams.iter().filter(|s| s.remaining > 0).map(|s| s.conn).collect();
            conns.dedup();
            let next = conns.into_iter().filter_map(|c| self.pick(c).map(|(s, t)| (t, c, s))).min();
            let Some((t, c, s)) = next else { break };
            self.send(t, c, s);
        }
    }

    /// Sends one packet from stream `s` at `t`; a multiplexed connection fills what room is
    /// left with frames of its other ready streams.
    fn send(&mut self, t: u64, c: usize, s: usize) {
        let (_, payload) = self.protocol.packet();
        let mut parts = vec![(s, self.streams[s].remaining.min(payload))];
        let mut room = payload - parts[0].1;
        // A frame header per extra frame: HTTP/2 DATA 9 bytes, a QUIC STREAM frame about 4.
        let frame = if self.protocol.quic() { 4 } else { 9 };
        while self.protocol.multiplexed() && room > frame {
            let next = (0..self.streams.len())
                .filter(|i| parts.iter().all(|(p, _)| p != i))
                .filter(|i| self.streams[*i].conn == c && self.streams[*i].remaining > 0 && self.streams[*i].avail <= t)
                .min_by_key(|i| self.streams[*i].turn(*i));
            let Some(i) = next else { break };
            let chunk = self.streams[i].remaining.min(room - frame);
            parts.push((i, chunk));
            room -= chunk + frame;
        }
        let used = payload - room;
        let wire::Sent { arrival, on_time, .. } = self.wire.send(t, used + self.protocol.overhead());
        let half = self.wire.half_rtt();
        let conn = &mut self.conns[c];
        conn.packets += 1;
        conn.acks.push(on_time + half);
        // TCP hands bytes to the application in connection order; QUIC in stream order.
        if !self.protocol.quic() {
            conn.delivered = arrival.max(conn.delivered);
        }
        let tcp_delivered = conn.delivered;
        for (i, chunk) in parts {
            let stream = &mut self.streams[i];
            let delivered = if self.protocol.quic() { arrival.max(stream.last) } else { tcp_delivered };
            stream.remaining -= chunk;
            stream.served += 1;
            stream.first.get_or_insert(delivered);
            stream.last = stream.last.max(delivered);
            self.timings[i].stalled |= delivered > on_time;
            if stream.remaining == 0 {
                self.finished(c, i);
            }
        }
    }

    /// Stream `s` on connection `c` is delivered whole: HTTP/1.0 closes the connection; the
    /// first response names the rest (with `discover`); idle connections take what is left.
    fn finished(&mut self, c: usize, s: usize) {
        let stream = &self.streams[s];
        let done = stream.last;
        let timing = &mut self.timings[s];
        timing.first_byte = stream.first.unwrap_or(done);
        timing.done = done;
        if self.protocol == Protocol::Http10 {
            self.conns[c].closed = true;
        }
        if s == 0 {
            self.wanted = self.opts.requests;
        }
        self.fill(done);
    }
}

/// The comparison table's columns, and one protocol's row (kubesim and the page print both).
pub const COLUMNS: [&str; 7] = ["version", "conns", "handshake", "headers", "on wire", "resent", "total"];

pub fn row(o: &Outcome) -> [String; 7] {
    let ms = |us: u64| format!("{:.1} ms", us as f64 / 1000.0);
    [
        o.protocol.name().to_string(),
        o.connections.to_string(),
        ms(o.handshake_us),
        format!("{} B", o.header_bytes),
        format!("{:.1} KB", o.bytes as f64 / 1000.0),
        o.retransmits.to_string(),
        ms(o.total_us),
    ]
}

/// The same object's size as JSON (REST, what kubectl sends and reads) and as protobuf
/// (`application/vnd.kubernetes.protobuf`, what the controllers and etcd use; gRPC adds a
/// 5-byte frame: a compressed flag and the length).
pub fn encodings(object: &crate::sim::api::Object) -> (usize, usize) {
    let json = serde_json::to_vec(object).map(|b| b.len()).unwrap_or(0);
    let proto = crate::sim::protobuf::encode(&object.to_json_value()).map(|b| b.len()).unwrap_or(0);
    (json, proto)
}

/// A running nginx Pod, for comparing the encodings.
pub fn sample_pod() -> crate::sim::api::Object {
    crate::sim::api::Object::from_json(include_bytes!("sample_pod.json"))
        .unwrap_or_else(|_| crate::sim::api::Object::Pod(Default::default()))
}

/// Lines comparing the sample Pod's encodings: the object, then one watch event of it on
/// each kind of stream.
pub fn encodings_lines() -> [String; 2] {
    let pod = sample_pod();
    let (json, proto) = encodings(&pod);
    let events: Vec<String> =
        streams::watch_event_bytes(&pod).iter().map(|(name, bytes)| format!("{name} {bytes} B")).collect();
    [
        format!("one Pod: REST/JSON {json} bytes, gRPC/protobuf {} bytes ({proto} + the 5-byte frame)", proto + 5),
        format!("one watch event of it: {}", events.join(" · ")),
    ]
}
