//! One etcd member: the gRPC KV/Watch server kube-apiserver talks to, Raft for replication,
//! a WAL whose fsync gates every acknowledgement, and the MVCC store that applies committed
//! entries. Followers forward proposals to the leader, as etcd does.

pub mod mvcc;
pub mod raft;

use super::event::{ComponentId, Message, MsgKind, Payload, Timer};
use super::rng::{Draw, SimRng};
use super::Ctx;
pub use mvcc::{Compare, EventType, KeyValue, Mvcc, MvccEvent, Txn, TxnAction, TxnResult};
use raft::{Raft, RaftMessage, RaftOutput, Role};

/// A request kube-apiserver sends over gRPC.
#[derive(Clone, Debug, PartialEq)]
pub enum EtcdOp {
    /// KV.Range over a prefix, served from this member's state (serializable read).
    Range { prefix: String },
    /// KV.Txn, replicated through Raft.
    Txn(Txn),
    /// Watch.Watch on a prefix: every later change is streamed back.
    Watch { prefix: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum EtcdResult {
    Range { kvs: Vec<KeyValue>, revision: i64 },
    Txn(TxnResult),
    WatchCreated,
}

/// The payload of a Raft log entry: a client transaction and where its answer goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    pub member: usize,
    pub client: ComponentId,
    pub req_id: u64,
    pub txn: Txn,
}

/// Raft timing. The "paper" preset: 150–300 ms elections, 50 ms heartbeats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RaftTiming {
    pub election_min_us: u64,
    pub election_max_us: u64,
    pub heartbeat_us: u64,
}

pub const PAPER_TIMING: RaftTiming =
    RaftTiming { election_min_us: 150_000, election_max_us: 300_000, heartbeat_us: 50_000 };

#[derive(Clone, Debug)]
pub struct EtcdMember {
    pub raft: Raft,
    pub mvcc: Mvcc,
    pub applied: u64,
    /// Component ids of all members, indexed by Raft id.
    pub peers: Vec<ComponentId>,
    timing: RaftTiming,
    /// WAL fsync latency of this member's disk, in µs.
    pub fsync_us: u64,
    election_epoch: u64,
    heartbeat_epoch: u64,
    watchers: Vec<(ComponentId, String)>,
    /// Proposals received while no leader is known.
    waiting: Vec<Proposal>,
    rng: SimRng,
}

impl EtcdMember {
    pub fn new(
        id: usize,
        peers: Vec<ComponentId>,
        timing: RaftTiming,
        fsync_us: u64,
        rng: SimRng,
        bootstrap: &Mvcc,
    ) -> Self {
        EtcdMember {
            raft: Raft::new(id, peers.len()),
            mvcc: bootstrap.clone(),
            applied: 0,
            peers,
            timing,
            fsync_us,
            election_epoch: 0,
            heartbeat_epoch: 0,
            watchers: Vec::new(),
            waiting: Vec::new(),
            rng,
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match msg.payload {
            Payload::Raft(m) => {
                self.raft.step(*m);
                self.drive(ctx);
            }
            Payload::Etcd { req_id, op } => self.serve(ctx, msg.from, req_id, *op),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::Start => self.reset_election_timer(ctx),
            Timer::ElectionTimeout { epoch } if epoch == self.election_epoch && self.raft.role != Role::Leader => {
                ctx.phase("campaign", format!("election timeout: term {} → {}", self.raft.term, self.raft.term + 1));
                self.raft.election_timeout();
                self.drive(ctx);
            }
            Timer::Heartbeat { epoch } if epoch == self.heartbeat_epoch && self.raft.role == Role::Leader => {
                self.raft.broadcast_append();
                self.drive(ctx);
                ctx.timer(self.timing.heartbeat_us, Timer::Heartbeat { epoch });
            }
            Timer::WalSynced { index, term, ack_peer } => {
                let valid = self.raft.persisted_to(index, term);
                ctx.phase("wal fsync", format!("entries ≤ {index} durable"));
                self.drive(ctx);
                if let (true, Some(to)) = (valid, ack_peer) {
                    let ack = RaftMessage::AppResp {
                        term: self.raft.term,
                        from: self.raft.id,
                        index,
                        reject: false,
                        hint: 0,
                    };
                    self.send_raft(ctx, to as usize, ack);
                }
            }
            _ => {}
        }
    }

    fn serve(&mut self, ctx: &mut Ctx, client: ComponentId, req_id: u64, op: EtcdOp) {
        match op {
            EtcdOp::Range { prefix } => {
                let result = EtcdResult::Range { kvs: self.mvcc.range(&prefix), revision: self.mvcc.revision() };
                ctx.send(
                    client,
                    MsgKind::EtcdGrpc,
                    "RangeResponse",
                    Payload::EtcdResp { req_id, result: Box::new(result) },
                );
            }
            EtcdOp::Watch { prefix } => {
                self.watchers.push((client, prefix));
                let result = Box::new(EtcdResult::WatchCreated);
                ctx.send(client, MsgKind::EtcdGrpc, "WatchResponse (created)", Payload::EtcdResp { req_id, result });
            }
            EtcdOp::Txn(txn) => {
                let proposal = Proposal { member: self.raft.id, client, req_id, txn };
                self.propose(ctx, proposal);
            }
        }
    }

    fn propose(&mut self, ctx: &mut Ctx, proposal: Proposal) {
        match self.raft.leader {
            Some(l) if l == self.raft.id => {
                ctx.phase("propose", format!("append {}", proposal.txn.key));
                self.raft.propose(proposal);
                self.drive(ctx);
            }
            Some(l) => self.send_raft(ctx, l, RaftMessage::Prop { from: self.raft.id, data: proposal }),
            None => self.waiting.push(proposal),
        }
    }

    fn reset_election_timer(&mut self, ctx: &mut Ctx) {
        self.election_epoch += 1;
        let timeout = self.rng.between(self.timing.election_min_us, self.timing.election_max_us);
        ctx.timer(timeout, Timer::ElectionTimeout { epoch: self.election_epoch });
    }

    fn send_raft(&mut self, ctx: &mut Ctx, to: usize, msg: RaftMessage) {
        let kind = if msg.is_vote() { MsgKind::RaftVote } else { MsgKind::RaftAppend };
        ctx.send(self.peers[to], kind, msg.name(), Payload::Raft(Box::new(msg)));
    }

    /// Carries out what Raft asked for, then applies newly committed entries.
    fn drive(&mut self, ctx: &mut Ctx) {
        for out in self.raft.take_output() {
            match out {
                RaftOutput::Send { to, msg } => self.send_raft(ctx, to, msg),
                RaftOutput::ResetElectionTimer => self.reset_election_timer(ctx),
                RaftOutput::BecameLeader => {
                    ctx.phase("leader", format!("elected leader for term {}", self.raft.term));
                    self.heartbeat_epoch += 1;
                    ctx.timer(self.timing.heartbeat_us, Timer::Heartbeat { epoch: self.heartbeat_epoch });
                }
                RaftOutput::Persist { index, term, then } => {
                    let ack_peer = then.map(|(to, _)| to as u32);
                    ctx.timer(self.fsync_us, Timer::WalSynced { index, term, ack_peer });
                }
                RaftOutput::Committed { index } => ctx.phase("commit", format!("commit index {index}")),
            }
        }
        if self.raft.leader.is_some() && !self.waiting.is_empty() {
            for p in std::mem::take(&mut self.waiting) {
                self.propose(ctx, p);
            }
        }
        self.apply(ctx);
    }

    fn apply(&mut self, ctx: &mut Ctx) {
        let upto = self.raft.commit.min(self.raft.last_index());
        while self.applied < upto {
            self.applied += 1;
            let Some(entry) = self.raft.log.get(self.applied as usize) else {
                break;
            };
            let Some(p) = entry.data.clone() else {
                continue;
            };
            let (result, event) = self.mvcc.txn(&p.txn);
            if p.member == self.raft.id {
                let label = if result.succeeded { "TxnResponse" } else { "TxnResponse (compare failed)" };
                let result = Box::new(EtcdResult::Txn(result));
                ctx.send(p.client, MsgKind::EtcdGrpc, label, Payload::EtcdResp { req_id: p.req_id, result });
            }
            if let Some(ev) = event {
                for (client, prefix) in &self.watchers {
                    if ev.kv.key.starts_with(prefix.as_str()) {
                        let label = format!("WatchResponse {:?} {}", ev.type_, ev.kv.key);
                        ctx.send(*client, MsgKind::EtcdGrpc, label, Payload::EtcdWatch { events: vec![ev.clone()] });
                    }
                }
            }
        }
    }
}
