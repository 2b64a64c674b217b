//! Packets on one bottleneck link, server to client: serialization at the link's bandwidth,
//! half an RTT of propagation, seeded (or chosen) loss with a retransmission one RTT later
//! (fast retransmit after duplicate ACKs), and TCP slow start from an initial window of ten
//! packets (RFC 6928), each ACK opening room for two more.
//!
//! Simplified: no congestion avoidance or window cut after a loss, no RTO backoff, ACKs are
//! free; requests and handshake flights are never lost.

use crate::sim::rng::{fork, Draw, SimRng};

/// RFC 6928's initial congestion window, in packets.
pub const INITIAL_WINDOW: usize = 10;

#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub rtt_us: u64,
    /// Bytes per second of the bottleneck.
    pub bandwidth: u64,
    /// Probability that one server packet is lost.
    pub loss: f64,
    /// Server packets (in sending order, from 0) that are lost whatever `loss` says.
    pub lose: Vec<usize>,
    pub seed: u64,
}

impl Default for Link {
    fn default() -> Self {
        // A good home connection to a cloud region: 40 ms, 50 Mbit/s.
        Link { rtt_us: 40_000, bandwidth: 50_000_000 / 8, loss: 0.0, lose: Vec::new(), seed: 1 }
    }
}

/// What became of one data packet.
pub struct Sent {
    pub arrival: u64,
    pub on_time: u64,
    pub lost: bool,
}

/// The link's timeline and counters.
pub struct Wire {
    pub link: Link,
    rng: SimRng,
    /// When the bottleneck is free to start the next packet.
    free_at: u64,
    /// Server packets sent so far (retransmissions not counted), for `Link::lose`.
    pub sent: usize,
    pub bytes: u64,
    pub packets: u64,
    pub retransmits: u64,
}

impl Wire {
    pub fn new(link: Link) -> Wire {
        let rng = fork(link.seed, "transport");
        Wire { link, rng, free_at: 0, sent: 0, bytes: 0, packets: 0, retransmits: 0 }
    }

    pub fn half_rtt(&self) -> u64 {
        self.link.rtt_us / 2
    }

    fn serialize(&self, bytes: usize) -> u64 {
        (bytes as u64 * 1_000_000).div_ceil(self.link.bandwidth.max(1))
    }

    /// A handshake flight or a request, either way: when it arrives. Never lost, and sent
    /// in the gaps between data packets (it does not queue behind them).
    pub fn flight(&mut self, at: u64, bytes: usize) -> u64 {
        self.bytes += bytes as u64;
        self.packets += bytes.div_ceil(1500).max(1) as u64;
        at + self.serialize(bytes) + self.half_rtt()
    }

    /// One server data packet, ready to leave at `ready`: when it reaches the client (after
    /// any retransmissions), when it would have without loss (the later packets' selective
    /// ACKs keep the window growing on that clock), and whether it was lost at least once.
    pub fn send(&mut self, ready: u64, bytes: usize) -> Sent {
        let index = self.sent;
        self.sent += 1;
        let mut lost = self.link.lose.contains(&index) || self.rng.chance(self.link.loss);
        let start = ready.max(self.free_at);
        self.free_at = start + self.serialize(bytes);
        self.bytes += bytes as u64;
        self.packets += 1;
        let on_time = self.free_at + self.half_rtt();
        let (mut arrival, mut was_lost) = (on_time, false);
        while lost {
            // The later packets' duplicate ACKs tell the sender about one RTT after the
            // packet should have arrived; it sends the packet again, in the gaps between
            // new data (a retransmission does not hold up the link's queue).
            was_lost = true;
            self.retransmits += 1;
            self.bytes += bytes as u64;
            self.packets += 1;
            arrival += self.link.rtt_us + self.serialize(bytes);
            lost = self.rng.chance(self.link.loss);
        }
        Sent { arrival, on_time, lost: was_lost }
    }
}
