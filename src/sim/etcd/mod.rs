//! One etcd member: the gRPC KV/Watch server kube-apiserver talks to, Raft for replication
//! (ticked every `tick_us`), a WAL on a disk that fsyncs one batch at a time and gates every
//! acknowledgement, and the MVCC store that applies committed entries. Followers forward
//! proposals to the leader, as etcd does. A member can crash (losing everything not fsync'd)
//! and restart from its WAL.

pub mod checker;
pub mod grpc;
mod history;
pub mod mvcc;
pub mod raft;

use super::event::{AdminOp, ComponentId, Message, MsgKind, Payload, Timer};
use super::metrics::{Exposition, Histogram};
use super::rng::{Draw, SimRng};
use super::time::{SimTime, SECONDS};
use super::Ctx;
use crate::sim::vecmap::VecMap;
pub use mvcc::{Compare, EventType, KeyValue, KvOp, Mvcc, MvccEvent, Txn, TxnAction, TxnResult};
use raft::{Config, Entry, HardState, MsgType, PayloadSize, Raft, Role};
use std::collections::BTreeMap;

pub type RaftMessage = raft::Message<Proposal>;

/// A request kube-apiserver sends over gRPC.
#[derive(Clone, Debug, PartialEq)]
pub enum EtcdOp {
    /// KV.Range over a prefix, served from this member's state (serializable read).
    Range { prefix: String },
    /// A linearizable read of the current revision (a Range with limit 1, as kube-apiserver
    /// issues before serving a consistent list from its cache): ReadIndex through the leader.
    CurrentRevision,
    /// KV.Txn, replicated through Raft.
    Txn(Txn),
    /// KV.Compact, replicated through Raft.
    Compact { revision: i64 },
    /// Watch.Watch on a prefix: every change from `start_revision` (or from now) is streamed.
    Watch { prefix: String, start_revision: Option<i64> },
    /// Lease.LeaseGrant, replicated through Raft.
    LeaseGrant { ttl_s: i64 },
}

#[derive(Clone, Debug, PartialEq)]
pub enum EtcdResult {
    Range {
        kvs: Vec<KeyValue>,
        revision: i64,
    },
    Txn(TxnResult),
    Revision(i64),
    WatchCreated,
    LeaseGranted {
        id: i64,
    },
    /// A gRPC error: `etcdserver: request timed out`, or `connection refused` from the host
    /// of a crashed member.
    Error(String),
}

pub const CONNECTION_REFUSED: &str = "connection refused";
/// --max-request-bytes: etcd refuses a request over 1.5 MiB (which is why an object must stay
/// under it).
pub const MAX_REQUEST_BYTES: usize = 1_572_864;
pub const REQUEST_TOO_LARGE: &str = "etcdserver: request is too large";
/// etcd's default --snapshot-count.
pub const DEFAULT_SNAPSHOT_COUNT: u64 = 10_000;
pub const REQUEST_TIMED_OUT: &str = "etcdserver: request timed out";

/// The payload of a Raft log entry: a client transaction and where its answer goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    pub member: usize,
    pub client: ComponentId,
    pub req_id: u64,
    pub op: KvOp,
    /// The entry's data size: a transaction's TxnRequest bytes (the InternalRaftRequest's
    /// few header bytes aside), what Raft's size limits count.
    size: u64,
}

impl Proposal {
    pub fn new(member: usize, client: ComponentId, req_id: u64, op: KvOp) -> Self {
        let size = match &op {
            KvOp::Txn(t) => grpc::txn_request_len(t) as u64,
            // A compaction, a lease grant or revoke: a revision, TTL or ID.
            _ => 8,
        };
        Proposal { member, client, req_id, op, size }
    }
}

impl PayloadSize for Proposal {
    fn payload_size(&self) -> u64 {
        self.size
    }
}

/// Raft timing: how long a tick lasts and the tick counts of the Raft config.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RaftTiming {
    pub name: &'static str,
    pub tick_us: u64,
    pub config: Config,
}

/// The Raft paper's timing: elections after 150–300 ms, heartbeats every 45 ms.
pub const PAPER_TIMING: RaftTiming =
    RaftTiming { name: "paper", tick_us: 15_000, config: Config { heartbeat_tick: 3, ..Config::ETCD } };

/// etcd's defaults: --heartbeat-interval=100ms, --election-timeout=1000ms.
pub const ETCD_TIMING: RaftTiming = RaftTiming { name: "etcd", tick_us: 100_000, config: Config::ETCD };

/// etcd's readIndexRetryTime.
const READ_INDEX_RETRY_US: u64 = 500 * super::time::MILLIS;

/// What an operator reads from the member's /metrics (etcd's metric names and buckets).
#[derive(Clone, Debug, PartialEq)]
pub struct EtcdMetrics {
    pub leader_changes_seen_total: u64,
    pub proposals_failed_total: u64,
    /// etcd_disk_wal_fsync_duration_seconds: ExponentialBuckets(0.001, 2, 14).
    pub wal_fsync: Histogram,
    /// etcd_network_peer_round_trip_time_seconds per peer: ExponentialBuckets(0.0001, 2, 16).
    pub peer_rtt: Vec<Histogram>,
    /// etcd_disk_backend_commit_duration_seconds: ExponentialBuckets(0.001, 2, 14).
    pub backend_commit: Histogram,
}

impl EtcdMetrics {
    fn new(peers: usize) -> Self {
        EtcdMetrics {
            leader_changes_seen_total: 0,
            proposals_failed_total: 0,
            wal_fsync: Histogram::exponential(0.001, 2.0, 14),
            peer_rtt: vec![Histogram::exponential(0.0001, 2.0, 16); peers],
            backend_commit: Histogram::exponential(0.001, 2.0, 14),
        }
    }
}

#[derive(Clone, Debug)]
pub struct EtcdMember {
    pub raft: Raft<Proposal>,
    /// The backend (etcd's bbolt file): on disk, so a restart finds it as it was.
    pub mvcc: Mvcc,
    /// Component ids of all members, indexed by Raft id.
    pub peers: Vec<ComponentId>,
    pub timing: RaftTiming,
    /// WAL fsync latency of this member's disk, in µs.
    pub fsync_us: u64,
    /// False while crashed.
    pub up: bool,
    /// Incremented at every restart so that timers of an earlier life are ignored.
    life: u64,
    /// The fsync in progress: the entry it makes durable and the messages waiting for it.
    syncing: Option<(u64, u64, Vec<RaftMessage>)>,
    /// Messages waiting for the next fsync.
    held: Vec<RaftMessage>,
    /// An `ApplyNext` is set: committed entries wait beyond the batch just applied.
    apply_next: bool,
    /// Watch streams: client, the watch's request id, key prefix.
    watchers: Vec<(ComponentId, u64, String)>,
    /// --snapshot-count: entries applied between snapshots.
    pub snapshot_count: u64,
    /// Proposals received while no leader is known.
    waiting: Vec<Proposal>,
    last_leader: Option<usize>,
    last_commit: u64,
    /// Client transactions and reads this member is serving, with their deadline (etcd's
    /// ReqTimeout).
    pending: VecMap<(ComponentId, u64), SimTime>,
    /// Linearizable reads by ReadIndex context: who asked, and the read index once known.
    reads: VecMap<u64, (ComponentId, u64, Option<u64>)>,
    next_read: u64,
    /// When reads still without a read index ask again (etcd's readIndexRetryTime): a
    /// ReadIndex sent while no leader was known is dropped, not queued.
    read_retry_at: SimTime,
    rng_seed: SimRng,
    pub metrics: EtcdMetrics,
    /// When the last heartbeat left for each peer, to measure round trips.
    heartbeat_sent: Vec<Option<SimTime>>,
    /// fsync latency varies ±25 % around the disk's figure.
    disk_rng: SimRng,
    /// When the fsync in progress started.
    sync_started: SimTime,
    /// Applied writes not yet in a backend (bbolt) commit, and when the last one ran.
    backend_dirty: bool,
    last_backend_commit: SimTime,
    /// The lessor's clock, kept by the leader only: when each lease runs out. Not replicated;
    /// a new leader gives every lease its whole TTL again (etcd's Promote).
    lease_expiry: BTreeMap<i64, SimTime>,
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
        let peers_len = peers.len();
        EtcdMember {
            raft: Raft::new(id, peers.len(), timing.config, rng.clone()),
            mvcc: bootstrap.clone(),
            peers,
            timing,
            fsync_us,
            up: true,
            life: 0,
            syncing: None,
            apply_next: false,
            held: Vec::new(),
            watchers: Vec::new(),
            snapshot_count: DEFAULT_SNAPSHOT_COUNT,
            waiting: Vec::new(),
            last_leader: None,
            last_commit: 0,
            pending: VecMap::new(),
            reads: VecMap::new(),
            next_read: 1,
            read_retry_at: SimTime::ZERO,
            rng_seed: rng,
            metrics: EtcdMetrics::new(peers_len),
            heartbeat_sent: vec![None; peers_len],
            disk_rng: super::rng::fork(id as u64, "etcd-disk"),
            sync_started: SimTime::ZERO,
            backend_dirty: false,
            last_backend_commit: SimTime::ZERO,
            lease_expiry: BTreeMap::new(),
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if !self.up {
            // A crashed process accepts no connections: its host's kernel refuses clients.
            if let Payload::Etcd { req_id, .. } = msg.payload {
                let result = Box::new(EtcdResult::Error(CONNECTION_REFUSED.into()));
                ctx.send(msg.from, MsgKind::EtcdGrpc, "connection refused", Payload::EtcdResp { req_id, result });
            }
            return;
        }
        match msg.payload {
            Payload::RaftSnapshot { msg, data } => {
                let index = msg.index;
                self.raft.step(*msg);
                if self.raft.offset() == index && self.raft.snapshot.0 == index && self.raft.applied == index {
                    self.install(ctx, *data, index);
                }
                self.drive(ctx);
            }
            Payload::Raft(m) => {
                if m.type_ == MsgType::HeartbeatResp {
                    if let Some(sent) = self.heartbeat_sent.get_mut(m.from).and_then(Option::take) {
                        self.metrics.peer_rtt[m.from].observe(ctx.now.since(sent) as f64 / 1e6);
                    }
                }
                self.raft.step(*m);
                self.drive(ctx);
            }
            Payload::Etcd { req_id, op } => self.serve(ctx, msg.from, req_id, *op),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::Start => {
                self.up = true;
                ctx.timer(self.timing.tick_us, Timer::RaftTick { life: self.life });
            }
            Timer::RaftTick { life } if life == self.life && self.up => {
                let before = (self.raft.role, self.raft.term);
                self.raft.tick();
                if self.raft.role != before.0 && self.raft.role != Role::Leader {
                    let why = match self.raft.role {
                        Role::PreCandidate => format!("election timeout: PreVote for term {}", self.raft.term + 1),
                        Role::Candidate => format!("campaign for term {}", self.raft.term),
                        _ => format!("stepped down in term {} (CheckQuorum)", self.raft.term),
                    };
                    ctx.phase("campaign", why);
                }
                self.retry_reads(ctx.now);
                self.revoke_expired(ctx.now);
                self.drive(ctx);
                self.expire(ctx);
                self.backend_commit(ctx.now);
                ctx.timer(self.timing.tick_us, Timer::RaftTick { life });
            }
            Timer::WalSynced { life } if life == self.life && self.up => self.synced(ctx),
            Timer::ApplyNext { life } if life == self.life && self.up => {
                self.apply_next = false;
                self.drive(ctx);
            }
            Timer::Restart if !self.up => self.restart(ctx),
            Timer::EtcdAdmin(op) if self.up => {
                let op = match op {
                    AdminOp::Compact(rev) => KvOp::Compact(rev),
                    AdminOp::DisarmNospace => KvOp::Disarm,
                };
                self.raft.propose(Proposal::new(self.raft.id, ctx.me, 0, op));
                self.drive(ctx);
            }
            Timer::TransferLeader { to } if self.up => {
                ctx.phase("transfer leadership", format!("to etcd-{to}"));
                self.raft.transfer_leader(to as usize);
                self.drive(ctx);
            }
            _ => {}
        }
    }

    /// Kills the process: everything not in the WAL is lost.
    pub fn crash(&mut self) {
        self.up = false;
        self.life += 1;
        let hard =
            HardState { term: self.raft.term, vote: self.raft.vote, commit: self.raft.commit.min(self.raft.stable) };
        let keep = self.raft.stable.saturating_sub(self.raft.offset()) as usize;
        let durable: Vec<Entry<Proposal>> = self.raft.log[..=keep].to_vec();
        let snapshot = self.raft.snapshot;
        self.raft = Raft::restart(
            self.raft.id,
            self.peers.len(),
            self.timing.config,
            self.rng_seed.clone(),
            hard,
            snapshot,
            durable,
        );
        self.syncing = None;
        self.apply_next = false;
        self.held.clear();
        self.watchers.clear();
        self.waiting.clear();
        self.last_leader = None;
        self.last_commit = 0;
        self.pending.clear();
        self.reads.clear();
        self.lease_expiry.clear();
    }

    /// The new leader's lessor: every lease gets its whole TTL from now.
    fn promote_lessor(&mut self, now: SimTime) {
        self.lease_expiry =
            self.mvcc.leases().iter().map(|(id, l)| (*id, now.plus(l.ttl_s.max(0) as u64 * SECONDS))).collect();
    }

    /// The leader proposes the revocation of every lease whose TTL has run out.
    fn revoke_expired(&mut self, now: SimTime) {
        if self.raft.role != Role::Leader {
            return;
        }
        let expired: Vec<i64> = self.lease_expiry.iter().filter(|(_, at)| **at <= now).map(|(id, _)| *id).collect();
        for id in expired {
            self.lease_expiry.remove(&id);
            let me = self.peers[self.raft.id];
            self.raft.propose(Proposal::new(self.raft.id, me, 0, KvOp::LeaseRevoke(id)));
        }
    }

    /// Asks again for the read index of reads that have none yet, every 500 ms.
    fn retry_reads(&mut self, now: SimTime) {
        if now < self.read_retry_at {
            return;
        }
        let waiting: Vec<u64> = self.reads.iter().filter(|(_, r)| r.2.is_none()).map(|(c, _)| *c).collect();
        for context in &waiting {
            self.raft.read_index(*context);
        }
        self.read_retry_at = now.plus(READ_INDEX_RETRY_US);
    }

    /// etcd's ReqTimeout: 5 s plus two election timeouts.
    fn request_timeout_us(&self) -> u64 {
        5 * SECONDS + 2 * u64::from(self.timing.config.election_tick) * self.timing.tick_us
    }

    /// Answers proposals that have waited too long with `etcdserver: request timed out`.
    fn expire(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let overdue: Vec<(ComponentId, u64)> =
            self.pending.iter().filter(|(_, d)| **d <= now).map(|(k, _)| *k).collect();
        for (client, req_id) in overdue {
            self.pending.remove(&(client, req_id));
            self.reads.retain(|_, r| (r.0, r.1) != (client, req_id));
            self.metrics.proposals_failed_total += 1;
            let result = Box::new(EtcdResult::Error(REQUEST_TIMED_OUT.into()));
            ctx.send(client, MsgKind::EtcdGrpc, REQUEST_TIMED_OUT, Payload::EtcdResp { req_id, result });
        }
    }

    /// Starts the process again (etcd's restart path): the backend as it was on disk, then the
    /// WAL's committed entries past it.
    fn restart(&mut self, ctx: &mut Ctx) {
        let consistent_index = self.raft.applied;
        // Fork a new stream per life so the next election timeout differs.
        self.raft = Raft::restart(
            self.raft.id,
            self.peers.len(),
            self.timing.config,
            super::rng::fork(self.life, &format!("etcd-{}-life", self.raft.id)),
            self.raft.hard_state(),
            self.raft.snapshot,
            self.raft.log.clone(),
        );
        // The backend is on disk: replay the WAL after the snapshot, skipping the entries the
        // backend already holds (at or below its consistent index), as etcd does.
        while self.raft.has_committed_to_apply() {
            for e in self.raft.committed_to_apply() {
                if let Some(p) = e.data.filter(|_| e.index > consistent_index) {
                    let _ = self.mvcc.apply(&p.op);
                }
            }
        }
        ctx.phase("restart", format!("replayed WAL to index {} (term {})", self.raft.applied, self.raft.term));
        self.on_timer(ctx, Timer::Start);
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
            EtcdOp::Watch { prefix, start_revision } => {
                let past = match start_revision {
                    Some(rev) => self.mvcc.changes_since(&prefix, rev),
                    None => Ok(vec![]),
                };
                let result = Box::new(match &past {
                    Ok(_) => EtcdResult::WatchCreated,
                    Err(e) => EtcdResult::Error(e.clone()),
                });
                ctx.send(client, MsgKind::EtcdGrpc, "WatchResponse (created)", Payload::EtcdResp { req_id, result });
                if let Ok(events) = past {
                    if !events.is_empty() {
                        ctx.send(client, MsgKind::EtcdGrpc, "WatchResponse (history)", Payload::EtcdWatch { events });
                    }
                    self.watchers.push((client, req_id, prefix));
                }
            }
            EtcdOp::CurrentRevision => {
                self.pending.insert((client, req_id), ctx.now.plus(self.request_timeout_us()));
                let context = self.next_read;
                self.next_read += 1;
                if !self.reads.values().any(|r| r.2.is_none()) {
                    self.read_retry_at = ctx.now.plus(READ_INDEX_RETRY_US);
                }
                self.reads.insert(context, (client, req_id, None));
                self.raft.read_index(context);
                self.drive(ctx);
            }
            EtcdOp::Txn(Txn { action: TxnAction::Put(bytes), .. }) if bytes.len() > MAX_REQUEST_BYTES => {
                let result = Box::new(EtcdResult::Error(REQUEST_TOO_LARGE.into()));
                ctx.send(client, MsgKind::EtcdGrpc, REQUEST_TOO_LARGE, Payload::EtcdResp { req_id, result });
            }
            EtcdOp::Txn(_) | EtcdOp::Compact { .. } | EtcdOp::LeaseGrant { .. } => {
                let op = match op {
                    EtcdOp::Txn(t) => KvOp::Txn(t),
                    EtcdOp::Compact { revision } => KvOp::Compact(revision),
                    EtcdOp::LeaseGrant { ttl_s } => KvOp::LeaseGrant { ttl_s },
                    _ => return,
                };
                self.pending.insert((client, req_id), ctx.now.plus(self.request_timeout_us()));
                let proposal = Proposal::new(self.raft.id, client, req_id, op);
                if self.raft.role == Role::Leader {
                    let what = match &proposal.op {
                        KvOp::LeaseGrant { ttl_s } => format!("lease grant (TTL {ttl_s} s)"),
                        op => op.key().unwrap_or("compaction").to_string(),
                    };
                    ctx.phase("propose", format!("append {what}"));
                }
                if !self.raft.propose(proposal.clone()) {
                    self.waiting.push(proposal);
                }
                self.drive(ctx);
            }
        }
    }

    /// Carries out what Raft asked for: sends messages (responses only after the WAL fsync),
    /// starts fsyncs, applies committed entries.
    fn drive(&mut self, ctx: &mut Ctx) {
        if self.raft.leader != self.last_leader {
            if let Some(l) = self.raft.leader {
                self.metrics.leader_changes_seen_total += 1;
                if l == self.raft.id {
                    ctx.phase("leader", format!("elected leader for term {}", self.raft.term));
                    self.promote_lessor(ctx.now);
                }
            }
            self.last_leader = self.raft.leader;
        }
        if self.raft.commit > self.last_commit {
            self.last_commit = self.raft.commit;
            if self.raft.role == Role::Leader {
                ctx.phase("commit", format!("commit index {} (quorum acknowledged)", self.raft.commit));
            }
        }
        for m in self.raft.take_msgs() {
            if m.type_.needs_persistence() {
                self.held.push(m);
            } else {
                self.send_raft(ctx, m);
            }
        }
        if self.raft.leader.is_some() && !self.waiting.is_empty() {
            for p in std::mem::take(&mut self.waiting) {
                if !self.raft.propose(p.clone()) {
                    self.waiting.push(p);
                }
            }
            for m in self.raft.take_msgs() {
                self.send_raft(ctx, m);
            }
        }
        self.start_fsync(ctx);
        self.apply(ctx);
        self.serve_reads(ctx);
    }

    fn start_fsync(&mut self, ctx: &mut Ctx) {
        let dirty = !self.raft.unstable().is_empty() || !self.held.is_empty();
        if self.syncing.is_some() || !dirty {
            return;
        }
        let (index, term) = (self.raft.last_index(), self.raft.last_term());
        self.syncing = Some((index, term, std::mem::take(&mut self.held)));
        self.sync_started = ctx.now;
        let jitter = self.fsync_us / 4;
        let us = self.fsync_us - jitter + self.disk_rng.below(2 * jitter + 1);
        ctx.timer(us, Timer::WalSynced { life: self.life });
    }

    fn synced(&mut self, ctx: &mut Ctx) {
        let Some((index, term, msgs)) = self.syncing.take() else { return };
        self.metrics.wal_fsync.observe(ctx.now.since(self.sync_started) as f64 / 1e6);
        let valid = self.raft.persisted(index, term);
        if index > 0 {
            ctx.phase("wal fsync", format!("entries ≤ {index} durable"));
        }
        for m in msgs {
            // An acknowledgement for entries since overwritten must not be sent.
            if valid || m.type_ != MsgType::AppResp {
                self.send_raft(ctx, m);
            }
        }
        self.drive(ctx);
    }

    /// bbolt commits applied writes in batches every --backend-batch-interval (100 ms); each
    /// commit fsyncs the database file.
    fn backend_commit(&mut self, now: SimTime) {
        if self.backend_dirty && now.since(self.last_backend_commit) >= 100 * super::time::MILLIS {
            self.backend_dirty = false;
            self.last_backend_commit = now;
            let jitter = self.fsync_us / 4;
            let us = self.fsync_us - jitter + self.disk_rng.below(2 * jitter + 1);
            self.metrics.backend_commit.observe(us as f64 / 1e6);
        }
    }

    /// Answers linearizable reads whose read index this member has applied.
    fn serve_reads(&mut self, ctx: &mut Ctx) {
        for (context, index) in std::mem::take(&mut self.raft.read_states) {
            if let Some(r) = self.reads.get_mut(&context) {
                r.2 = Some(index);
            }
        }
        let applied = self.raft.applied;
        let ready: Vec<u64> =
            self.reads.iter().filter(|(_, r)| r.2.is_some_and(|i| i <= applied)).map(|(c, _)| *c).collect();
        for context in ready {
            let Some((client, req_id, _)) = self.reads.remove(&context) else { continue };
            if self.pending.remove(&(client, req_id)).is_some() {
                let result = Box::new(EtcdResult::Revision(self.mvcc.revision()));
                ctx.send(
                    client,
                    MsgKind::EtcdGrpc,
                    "RangeResponse (linearizable)",
                    Payload::EtcdResp { req_id, result },
                );
            }
        }
    }

    /// A snapshot from the leader replaced the log: the store becomes the snapshot's, and
    /// watch streams that would miss the changes in between are cancelled as compacted.
    fn install(&mut self, ctx: &mut Ctx, data: Mvcc, index: u64) {
        ctx.phase("snapshot", format!("installed the leader's snapshot at index {index}"));
        self.mvcc = data;
        for (client, req_id, _) in std::mem::take(&mut self.watchers) {
            let result = Box::new(EtcdResult::Error(mvcc::ERR_COMPACTED.into()));
            ctx.send(
                client,
                MsgKind::EtcdGrpc,
                "WatchResponse (canceled: compacted)",
                Payload::EtcdResp { req_id, result },
            );
        }
    }

    /// Every --snapshot-count applied entries: take a Raft snapshot and compact the log,
    /// keeping half as many entries for followers that are slightly behind
    /// (SnapshotCatchUpEntries). The keys need no copy: etcd v3's snapshot file holds only
    /// Raft's metadata, the keys live in the backend on disk (and a copy of the store at each
    /// snapshot was 25 ms at 7,500 nodes).
    fn maybe_snapshot(&mut self, ctx: &mut Ctx) {
        let applied = self.raft.applied;
        if applied < self.raft.snapshot.0 + self.snapshot_count {
            return;
        }
        let compact_to = applied.saturating_sub(self.snapshot_count / 2);
        self.raft.snapshot_taken(applied, compact_to);
        ctx.phase("snapshot", format!("snapshot at index {applied}; log compacted to {}", self.raft.offset()));
    }

    fn send_raft(&mut self, ctx: &mut Ctx, m: RaftMessage) {
        let Some(&to) = self.peers.get(m.to) else { return };
        if m.type_ == MsgType::Snap {
            // etcd merges the snapshot it sends: the backend as it is now, at the applied
            // index, in place of the Raft snapshot's own (createMergedSnapshotMessage).
            let mut m = m;
            let applied = self.raft.applied;
            let Some(term) = self.raft.term_at(applied) else { return };
            (m.index, m.log_term) = (applied, term);
            let data = Box::new(self.mvcc.clone());
            let label = format!("MsgSnap (index {})", m.index);
            ctx.send(to, MsgKind::RaftAppend, label, Payload::RaftSnapshot { msg: Box::new(m), data });
            return;
        }
        if m.type_ == MsgType::Heartbeat {
            self.heartbeat_sent[m.to] = Some(ctx.now);
        }
        let kind = if m.type_.is_election() { MsgKind::RaftVote } else { MsgKind::RaftAppend };
        let label = m.label();
        ctx.send(to, kind, label, Payload::Raft(Box::new(m)));
    }

    fn apply(&mut self, ctx: &mut Ctx) {
        let entries = self.raft.committed_to_apply();
        if let Some(last) = entries.last() {
            ctx.phase("apply", format!("applied through index {}", last.index));
        }
        for entry in entries {
            let Some(p) = entry.data else { continue };
            self.backend_dirty = true;
            let applied = match self.mvcc.apply(&p.op) {
                Ok(r) => r,
                Err(e) => {
                    if p.member == self.raft.id && self.pending.remove(&(p.client, p.req_id)).is_some() {
                        let result = Box::new(EtcdResult::Error(e.clone()));
                        ctx.send(p.client, MsgKind::EtcdGrpc, e, Payload::EtcdResp { req_id: p.req_id, result });
                    }
                    continue;
                }
            };
            match &p.op {
                KvOp::LeaseGrant { ttl_s } => {
                    if let Some(id) = applied.granted {
                        self.lease_expiry.insert(id, ctx.now.plus(*ttl_s as u64 * SECONDS));
                    }
                }
                KvOp::LeaseRevoke(id) => {
                    self.lease_expiry.remove(id);
                    ctx.phase("lease", format!("lease {id:016x} revoked: {} key(s) deleted", applied.events.len()));
                }
                _ => {}
            }
            if p.member == self.raft.id && self.pending.remove(&(p.client, p.req_id)).is_some() {
                let (label, result) = match applied.granted {
                    Some(id) => ("LeaseGrantResponse", EtcdResult::LeaseGranted { id }),
                    None if applied.result.succeeded => ("TxnResponse", EtcdResult::Txn(applied.result)),
                    None => ("TxnResponse (compare failed)", EtcdResult::Txn(applied.result)),
                };
                let payload = Payload::EtcdResp { req_id: p.req_id, result: Box::new(result) };
                ctx.send(p.client, MsgKind::EtcdGrpc, label, payload);
            }
            for ev in applied.events {
                for (client, _, prefix) in &self.watchers {
                    if ev.kv.key.starts_with(prefix.as_str()) {
                        let label = format!("WatchResponse {:?} {}", ev.type_, ev.kv.key);
                        ctx.send(*client, MsgKind::EtcdGrpc, label, Payload::EtcdWatch { events: vec![ev.clone()] });
                    }
                }
            }
        }
        self.maybe_snapshot(ctx);
        if self.raft.has_committed_to_apply() && !self.apply_next {
            self.apply_next = true;
            ctx.timer(0, Timer::ApplyNext { life: self.life });
        }
    }
}

impl EtcdMember {
    /// GET /metrics on the member's metrics port (2381 under kubeadm).
    pub fn metrics_text(&self, peer_names: &[String]) -> String {
        let mut e = Exposition::default();
        let b = |v: bool| if v { 1.0 } else { 0.0 };
        e.gauge(
            "etcd_server_has_leader",
            "Whether or not a leader exists. 1 is existence, 0 is not.",
            b(self.raft.leader.is_some()),
        );
        e.gauge(
            "etcd_server_is_leader",
            "Whether or not this member is a leader. 1 if is, 0 otherwise.",
            b(self.raft.role == Role::Leader),
        );
        e.counter(
            "etcd_server_leader_changes_seen_total",
            "The number of leader changes seen.",
            self.metrics.leader_changes_seen_total as f64,
        );
        e.gauge(
            "etcd_server_proposals_committed_total",
            "The total number of consensus proposals committed.",
            self.raft.commit as f64,
        );
        e.gauge(
            "etcd_server_proposals_applied_total",
            "The total number of consensus proposals applied.",
            self.raft.applied as f64,
        );
        e.gauge(
            "etcd_server_proposals_pending",
            "The current number of pending proposals to commit.",
            self.pending.len() as f64,
        );
        e.counter(
            "etcd_server_proposals_failed_total",
            "The total number of failed proposals seen.",
            self.metrics.proposals_failed_total as f64,
        );
        e.gauge(
            "etcd_mvcc_db_total_size_in_bytes",
            "Total size of the underlying database physically allocated in bytes.",
            self.mvcc.db_size() as f64,
        );
        e.gauge(
            "etcd_mvcc_db_total_size_in_use_in_bytes",
            "Total size of the underlying database logically in use in bytes.",
            self.mvcc.in_use() as f64,
        );
        e.gauge(
            "etcd_server_quota_backend_bytes",
            "Current backend storage quota size in bytes.",
            self.mvcc.quota_bytes as f64,
        );
        e.histograms(
            "etcd_disk_wal_fsync_duration_seconds",
            "The latency distributions of fsync called by WAL.",
            &[(vec![], &self.metrics.wal_fsync)],
        );
        e.histograms(
            "etcd_disk_backend_commit_duration_seconds",
            "The latency distributions of commit called by backend.",
            &[(vec![], &self.metrics.backend_commit)],
        );
        let series: Vec<(Vec<(&str, &str)>, &Histogram)> = self
            .metrics
            .peer_rtt
            .iter()
            .enumerate()
            .filter(|(i, h)| *i != self.raft.id && h.count > 0)
            .map(|(i, h)| (vec![("To", peer_names.get(i).map_or("", |s| s.as_str()))], h))
            .collect();
        e.histograms("etcd_network_peer_round_trip_time_seconds", "Round-Trip-Time histogram between peers", &series);
        e.finish()
    }
}
