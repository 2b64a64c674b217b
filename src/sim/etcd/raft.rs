//! Raft for one etcd member, after etcd-io/raft (raft.go, log.go, tracker/progress.go,
//! quorum/majority.go): tick-driven timers with a randomized election timeout, PreVote and
//! CheckQuorum (etcd's defaults), the up-to-date vote check, MsgApp with the consistency check
//! and conflict-term rejection hints, probe/replicate progress, heartbeats carrying
//! min(match, commit), commit by quorum of entries of the current term only, and leadership
//! transfer (MsgTransferLeader → MsgTimeoutNow), log compaction behind a snapshot and MsgSnap
//! for followers that fell behind it, and ReadIndex for linearizable reads (the leader confirms
//! it still leads with a heartbeat round before answering). Appends and the entries handed to
//! apply at once are bounded in bytes (MaxSizePerMsg, MaxCommittedSizePerReady). Not
//! modelled: learners and membership changes, the inflight-message limit, lease-based reads.
//!
//! The host calls [`Raft::tick`], [`Raft::step`] and [`Raft::propose`], then drains
//! `msgs`, persists `unstable()` entries and reports them with [`Raft::persisted`], and
//! applies [`Raft::committed_to_apply`]. Member ids are 0-based indices.

use super::super::rng::{Draw, SimRng};
use crate::sim::vecmap::VecMap;
use serde::Serialize;

pub type Id = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Role {
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MsgType {
    /// Local: start an election.
    Hup,
    /// Local: the leader's heartbeat tick.
    Beat,
    Prop,
    App,
    AppResp,
    Vote,
    VoteResp,
    PreVote,
    PreVoteResp,
    Heartbeat,
    HeartbeatResp,
    TransferLeader,
    TimeoutNow,
    /// A snapshot for a follower whose next entry was compacted away (`index`/`log_term`
    /// name the snapshot; the host carries its data).
    Snap,
    /// A linearizable read: asks the leader for its commit index (`context` names the read).
    ReadIndex,
    ReadIndexResp,
}

impl MsgType {
    /// The upstream name (`MsgApp`, `MsgVote`, …).
    pub fn name(self) -> &'static str {
        match self {
            MsgType::Hup => "MsgHup",
            MsgType::Beat => "MsgBeat",
            MsgType::Prop => "MsgProp",
            MsgType::App => "MsgApp",
            MsgType::AppResp => "MsgAppResp",
            MsgType::Vote => "MsgVote",
            MsgType::VoteResp => "MsgVoteResp",
            MsgType::PreVote => "MsgPreVote",
            MsgType::PreVoteResp => "MsgPreVoteResp",
            MsgType::Heartbeat => "MsgHeartbeat",
            MsgType::HeartbeatResp => "MsgHeartbeatResp",
            MsgType::TransferLeader => "MsgTransferLeader",
            MsgType::TimeoutNow => "MsgTimeoutNow",
            MsgType::Snap => "MsgSnap",
            MsgType::ReadIndex => "MsgReadIndex",
            MsgType::ReadIndexResp => "MsgReadIndexResp",
        }
    }

    pub fn is_election(self) -> bool {
        matches!(
            self,
            MsgType::Vote | MsgType::VoteResp | MsgType::PreVote | MsgType::PreVoteResp | MsgType::TimeoutNow
        )
    }

    /// Responses that may only leave after the WAL holds what they promise.
    pub fn needs_persistence(self) -> bool {
        matches!(self, MsgType::AppResp | MsgType::VoteResp)
    }
}

/// What an entry's payload weighs: the bytes the size limits count (raft's PayloadSize, the
/// length of the entry's data).
pub trait PayloadSize {
    fn payload_size(&self) -> u64;
}

impl PayloadSize for String {
    fn payload_size(&self) -> u64 {
        self.len() as u64
    }
}

impl<T: PayloadSize> Entry<T> {
    fn payload_size(&self) -> u64 {
        self.data.as_ref().map_or(0, T::payload_size)
    }
}

/// How many of `entries` fit in `max` payload bytes: at least one, as raft's limitSize keeps
/// one entry whatever its size.
fn fitting<T: PayloadSize>(entries: &[Entry<T>], max: u64) -> usize {
    let mut total = 0u64;
    let over = entries.iter().position(|e| {
        total = total.saturating_add(e.payload_size());
        total > max
    });
    over.unwrap_or(entries.len()).max(1).min(entries.len())
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry<T> {
    pub term: u64,
    pub index: u64,
    /// None for the empty entry a new leader appends in its term.
    pub data: Option<T>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message<T> {
    pub type_: MsgType,
    pub to: Id,
    pub from: Id,
    pub term: u64,
    pub log_term: u64,
    pub index: u64,
    pub entries: Vec<Entry<T>>,
    pub commit: u64,
    pub reject: bool,
    pub reject_hint: u64,
    /// A campaign started by leadership transfer (etcd's campaignTransfer context).
    pub transfer: bool,
    /// Read request id carried by MsgReadIndex, its heartbeat round and the answers.
    pub context: u64,
}

impl<T> Message<T> {
    pub fn new(type_: MsgType, from: Id, to: Id, term: u64) -> Self {
        Message {
            type_,
            to,
            from,
            term,
            log_term: 0,
            index: 0,
            entries: Vec::new(),
            commit: 0,
            reject: false,
            reject_hint: 0,
            transfer: false,
            context: 0,
        }
    }

    /// A label for traces: `MsgApp (2 entries)`, `MsgVoteResp (rejected)`.
    pub fn label(&self) -> String {
        let mut s = self.type_.name().to_string();
        if !self.entries.is_empty() {
            s.push_str(&format!(" ({} entr{})", self.entries.len(), if self.entries.len() == 1 { "y" } else { "ies" }));
        }
        if self.reject {
            s.push_str(" (rejected)");
        }
        s
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressState {
    Probe,
    Replicate,
    /// A snapshot is on its way; nothing else is sent until it is acknowledged.
    Snapshot,
}

/// tracker.Progress: what the leader knows of one follower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub matched: u64,
    pub next: u64,
    pub state: ProgressState,
    pub paused: bool,
    pub recent_active: bool,
}

impl Progress {
    fn new(next: u64) -> Self {
        Progress { matched: 0, next, state: ProgressState::Probe, paused: false, recent_active: false }
    }

    fn maybe_update(&mut self, n: u64) -> bool {
        let updated = self.matched < n;
        if updated {
            self.matched = n;
            self.paused = false;
        }
        self.next = self.next.max(n + 1);
        updated
    }

    fn maybe_decr_to(&mut self, rejected: u64, match_hint: u64) -> bool {
        if self.state == ProgressState::Replicate {
            if rejected <= self.matched {
                return false;
            }
            self.next = self.matched + 1;
            return true;
        }
        if self.next.saturating_sub(1) != rejected {
            return false;
        }
        self.next = rejected.min(match_hint + 1).max(self.matched + 1);
        self.paused = false;
        true
    }

    fn become_probe(&mut self) {
        self.state = ProgressState::Probe;
        self.next = self.matched + 1;
        self.paused = false;
    }

    fn become_replicate(&mut self) {
        self.state = ProgressState::Replicate;
        self.next = self.matched + 1;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub election_tick: u32,
    pub heartbeat_tick: u32,
    pub pre_vote: bool,
    pub check_quorum: bool,
    /// MaxSizePerMsg: the payload bytes one append carries (at least one entry).
    pub max_size_per_msg: u64,
    /// MaxCommittedSizePerReady: the payload bytes of committed entries handed to apply at
    /// once (at least one entry); the rest follow once those are applied.
    pub max_committed_size_per_ready: u64,
}

/// etcd's maxSizePerMsg (1 MiB); MaxCommittedSizePerReady defaults to it.
pub const ETCD_MAX_SIZE_PER_MSG: u64 = 1024 * 1024;

impl Config {
    /// etcd's defaults: PreVote and CheckQuorum on, election 10 ticks, heartbeat 1 tick,
    /// 1 MiB per append and per batch to apply.
    pub const ETCD: Config = Config {
        election_tick: 10,
        heartbeat_tick: 1,
        pre_vote: true,
        check_quorum: true,
        max_size_per_msg: ETCD_MAX_SIZE_PER_MSG,
        max_committed_size_per_ready: ETCD_MAX_SIZE_PER_MSG,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteResult {
    Won,
    Lost,
    Pending,
}

/// quorum.MajorityConfig.CommittedIndex: sort the acknowledged indexes and take the one a
/// majority has reached; voters that have not answered count as 0.
pub fn committed_index(acked: &[u64]) -> u64 {
    if acked.is_empty() {
        return u64::MAX;
    }
    let mut sorted = acked.to_vec();
    crate::sim::sort::sort(&mut sorted);
    sorted[acked.len() - (acked.len() / 2 + 1)]
}

#[derive(Clone, Debug)]
pub struct Raft<T> {
    pub id: Id,
    pub size: usize,
    pub config: Config,
    pub term: u64,
    pub vote: Option<Id>,
    pub role: Role,
    pub leader: Option<Id>,
    /// log[0] is a dummy entry at the index and term where the log was last compacted (index
    /// 0, term 0 before any compaction), as in etcd-io/raft.
    pub log: Vec<Entry<T>>,
    /// The newest snapshot: (index, term). Entries up to it are in the host's snapshot data.
    pub snapshot: (u64, u64),
    pub commit: u64,
    pub applied: u64,
    /// Highest index durable in this member's WAL.
    pub stable: u64,
    pub progress: Vec<Progress>,
    votes: VecMap<Id, bool>,
    pub election_elapsed: u32,
    heartbeat_elapsed: u32,
    pub randomized_election_timeout: u32,
    pub lead_transferee: Option<Id>,
    pub msgs: Vec<Message<T>>,
    /// Reads waiting for a quorum of heartbeat acks: (context, read index, requester, acks).
    pending_reads: Vec<(u64, u64, Id, crate::sim::vecmap::VecSet<Id>)>,
    /// Reads this member may serve once it has applied `index`: (context, index).
    pub read_states: Vec<(u64, u64)>,
    rng: SimRng,
}

impl<T: Clone + PayloadSize> Raft<T> {
    pub fn new(id: Id, size: usize, config: Config, rng: SimRng) -> Self {
        let mut r = Raft {
            id,
            size,
            config,
            term: 0,
            vote: None,
            role: Role::Follower,
            leader: None,
            log: vec![Entry { term: 0, index: 0, data: None }],
            snapshot: (0, 0),
            commit: 0,
            applied: 0,
            stable: 0,
            progress: vec![Progress::new(1); size],
            votes: VecMap::new(),
            election_elapsed: 0,
            heartbeat_elapsed: 0,
            randomized_election_timeout: config.election_tick,
            lead_transferee: None,
            msgs: Vec::new(),
            pending_reads: Vec::new(),
            read_states: Vec::new(),
            rng,
        };
        r.reset_randomized_election_timeout();
        r
    }

    /// Rebuilds a member from what its WAL holds after a crash: the hard state (term, vote,
    /// commit) and the durable entries. Everything else starts afresh, as a follower.
    pub fn restart(
        id: Id,
        size: usize,
        config: Config,
        rng: SimRng,
        hard: HardState,
        snapshot: (u64, u64),
        log: Vec<Entry<T>>,
    ) -> Self {
        let mut r = Raft::new(id, size, config, rng);
        r.term = hard.term;
        r.vote = hard.vote;
        r.log = log;
        r.snapshot = snapshot;
        r.stable = r.last_index();
        r.commit = hard.commit.clamp(snapshot.0, r.last_index());
        r.applied = snapshot.0;
        r
    }

    /// The index of log[0]: entries at or below it are compacted away.
    pub fn offset(&self) -> u64 {
        self.log[0].index
    }

    pub fn entry(&self, index: u64) -> Option<&Entry<T>> {
        index.checked_sub(self.offset()).and_then(|i| self.log.get(i as usize))
    }

    fn pos(&self, index: u64) -> usize {
        index.saturating_sub(self.offset()) as usize
    }

    /// Records a snapshot the host took at `index` (≤ applied) and drops the log before
    /// `compact_to` (≤ index), keeping entries for followers that are a little behind.
    pub fn snapshot_taken(&mut self, index: u64, compact_to: u64) {
        let Some(term) = self.term_at(index) else { return };
        if index > self.applied || index <= self.snapshot.0 {
            return;
        }
        self.snapshot = (index, term);
        let to = compact_to.min(index);
        if to > self.offset() {
            let Some(t) = self.term_at(to) else { return };
            let keep = self.log.split_off(self.pos(to) + 1);
            self.log = std::iter::once(Entry { index: to, term: t, data: None }).chain(keep).collect();
        }
    }

    pub fn hard_state(&self) -> HardState {
        HardState { term: self.term, vote: self.vote, commit: self.commit }
    }

    pub fn last_index(&self) -> u64 {
        self.offset() + self.log.len() as u64 - 1
    }

    pub fn last_term(&self) -> u64 {
        self.log.last().map_or(0, |e| e.term)
    }

    pub fn term_at(&self, index: u64) -> Option<u64> {
        self.entry(index).map(|e| e.term)
    }

    fn peers(&self) -> Vec<Id> {
        (0..self.size).filter(|p| *p != self.id).collect()
    }

    fn quorum(&self) -> usize {
        self.size / 2 + 1
    }

    fn send(&mut self, mut m: Message<T>) {
        m.from = self.id;
        self.msgs.push(m);
    }

    fn reset_randomized_election_timeout(&mut self) {
        let et = u64::from(self.config.election_tick);
        self.randomized_election_timeout = (et + self.rng.below(et)) as u32;
    }

    fn reset(&mut self, term: u64) {
        if self.term != term {
            self.term = term;
            self.vote = None;
        }
        self.leader = None;
        self.election_elapsed = 0;
        self.heartbeat_elapsed = 0;
        self.reset_randomized_election_timeout();
        self.lead_transferee = None;
        self.votes.clear();
        self.pending_reads.clear();
        let last = self.last_index();
        self.progress = vec![Progress::new(last + 1); self.size];
        self.progress[self.id].matched = self.stable.min(last);
    }

    pub fn become_follower(&mut self, term: u64, leader: Option<Id>) {
        self.reset(term);
        self.leader = leader;
        self.role = Role::Follower;
    }

    fn become_candidate(&mut self) {
        self.reset(self.term + 1);
        self.vote = Some(self.id);
        self.role = Role::Candidate;
    }

    fn become_pre_candidate(&mut self) {
        self.votes.clear();
        self.leader = None;
        self.role = Role::PreCandidate;
    }

    fn become_leader(&mut self) {
        self.reset(self.term);
        self.leader = Some(self.id);
        self.role = Role::Leader;
        self.progress[self.id].become_replicate();
        // A new leader appends an empty entry of its own term (raft.go becomeLeader).
        self.append(vec![None]);
    }

    /// One logical clock tick.
    pub fn tick(&mut self) {
        if self.role == Role::Leader {
            self.tick_heartbeat();
        } else {
            self.election_elapsed += 1;
            if self.election_elapsed >= self.randomized_election_timeout {
                self.election_elapsed = 0;
                self.step(Message::new(MsgType::Hup, self.id, self.id, 0));
            }
        }
    }

    fn tick_heartbeat(&mut self) {
        self.heartbeat_elapsed += 1;
        self.election_elapsed += 1;
        if self.election_elapsed >= self.config.election_tick {
            self.election_elapsed = 0;
            if self.config.check_quorum && !self.quorum_active() {
                // CheckQuorum: a leader that has not heard from a majority steps down.
                self.become_follower(self.term, None);
                return;
            }
            for (i, p) in self.progress.iter_mut().enumerate() {
                p.recent_active = i == self.id;
            }
            self.lead_transferee = None;
        }
        if self.heartbeat_elapsed >= self.config.heartbeat_tick {
            self.heartbeat_elapsed = 0;
            self.bcast_heartbeat();
        }
    }

    fn quorum_active(&self) -> bool {
        let active = self.progress.iter().enumerate().filter(|(i, p)| *i == self.id || p.recent_active).count();
        active >= self.quorum()
    }

    /// Proposes client data; returns false when this member cannot take proposals (it then
    /// forwards to a known leader, or drops as ErrProposalDropped).
    pub fn propose(&mut self, data: T) -> bool {
        let mut m = Message::new(MsgType::Prop, self.id, self.id, 0);
        m.entries = vec![Entry { term: 0, index: 0, data: Some(data) }];
        let (last, sent) = (self.last_index(), self.msgs.len());
        self.step(m);
        self.last_index() > last || self.msgs[sent..].iter().any(|m| m.type_ == MsgType::Prop)
    }

    /// Starts a linearizable read named `context`; its answer appears in `read_states`.
    pub fn read_index(&mut self, context: u64) {
        let mut m = Message::new(MsgType::ReadIndex, self.id, self.id, 0);
        m.context = context;
        match self.role {
            Role::Leader => self.step_leader(m),
            Role::Follower => {
                if let Some(l) = self.leader {
                    m.to = l;
                    self.send(m);
                }
            }
            _ => {} // dropped: no leader to ask
        }
    }

    /// Asks the cluster to hand leadership to `to` (the message comes "from" the transferee,
    /// as upstream's MsgTransferLeader).
    pub fn transfer_leader(&mut self, to: Id) {
        self.step_local(Message::new(MsgType::TransferLeader, to, self.id, 0));
    }

    fn step_local(&mut self, m: Message<T>) {
        match self.role {
            Role::Leader => self.step_leader(m),
            Role::Follower => self.step_follower(m),
            _ => {}
        }
    }

    pub fn step(&mut self, m: Message<T>) {
        if m.term > self.term {
            if matches!(m.type_, MsgType::Vote | MsgType::PreVote) {
                let in_lease = self.config.check_quorum
                    && self.leader.is_some()
                    && self.election_elapsed < self.config.election_tick;
                if !m.transfer && in_lease {
                    return;
                }
            }
            match m.type_ {
                MsgType::PreVote => {}
                MsgType::PreVoteResp if !m.reject => {}
                MsgType::App | MsgType::Heartbeat | MsgType::Snap => self.become_follower(m.term, Some(m.from)),
                _ => self.become_follower(m.term, None),
            }
        } else if m.term < self.term && m.term != 0 {
            if (self.config.check_quorum || self.config.pre_vote)
                && matches!(m.type_, MsgType::Heartbeat | MsgType::App)
            {
                // Tell a stale leader about the new term.
                let term = self.term;
                self.send(Message::new(MsgType::AppResp, self.id, m.from, term));
            } else if m.type_ == MsgType::PreVote {
                let mut r = Message::new(MsgType::PreVoteResp, self.id, m.from, self.term);
                r.reject = true;
                self.send(r);
            }
            return;
        }
        match m.type_ {
            MsgType::Hup => {
                if self.config.pre_vote {
                    self.campaign(true, false);
                } else {
                    self.campaign(false, false);
                }
            }
            MsgType::Vote | MsgType::PreVote => {
                let can_vote = self.vote == Some(m.from)
                    || (self.vote.is_none() && self.leader.is_none())
                    || (m.type_ == MsgType::PreVote && m.term > self.term);
                let up_to_date =
                    m.log_term > self.last_term() || (m.log_term == self.last_term() && m.index >= self.last_index());
                let resp_type = if m.type_ == MsgType::Vote { MsgType::VoteResp } else { MsgType::PreVoteResp };
                if can_vote && up_to_date {
                    self.send(Message::new(resp_type, self.id, m.from, m.term));
                    if m.type_ == MsgType::Vote {
                        self.election_elapsed = 0;
                        self.vote = Some(m.from);
                    }
                } else {
                    let mut r = Message::new(resp_type, self.id, m.from, self.term);
                    r.reject = true;
                    self.send(r);
                }
            }
            _ => match self.role {
                Role::Leader => self.step_leader(m),
                Role::Candidate | Role::PreCandidate => self.step_candidate(m),
                Role::Follower => self.step_follower(m),
            },
        }
    }

    fn campaign(&mut self, pre: bool, transfer: bool) {
        if self.role == Role::Leader {
            return;
        }
        let (vote_type, term) = if pre {
            self.become_pre_candidate();
            (MsgType::PreVote, self.term + 1)
        } else {
            self.become_candidate();
            (MsgType::Vote, self.term)
        };
        if self.poll(self.id, true) == VoteResult::Won {
            // A single-member cluster wins at once.
            if pre {
                self.campaign(false, transfer);
            } else {
                self.become_leader();
            }
            return;
        }
        let (index, log_term) = (self.last_index(), self.last_term());
        for peer in self.peers() {
            let mut m = Message::new(vote_type, self.id, peer, term);
            m.index = index;
            m.log_term = log_term;
            m.transfer = transfer;
            self.send(m);
        }
    }

    fn poll(&mut self, from: Id, granted: bool) -> VoteResult {
        self.votes.entry(from).or_insert(granted);
        let yes = self.votes.values().filter(|v| **v).count();
        let no = self.votes.values().filter(|v| !**v).count();
        let missing = self.size - yes - no;
        if yes >= self.quorum() {
            VoteResult::Won
        } else if yes + missing < self.quorum() {
            VoteResult::Lost
        } else {
            VoteResult::Pending
        }
    }

    fn step_candidate(&mut self, m: Message<T>) {
        let my_resp = if self.role == Role::PreCandidate { MsgType::PreVoteResp } else { MsgType::VoteResp };
        match m.type_ {
            MsgType::App => {
                self.become_follower(m.term, Some(m.from));
                self.handle_append(m);
            }
            MsgType::Heartbeat => {
                self.become_follower(m.term, Some(m.from));
                self.handle_heartbeat(m);
            }
            MsgType::Snap => {
                self.become_follower(m.term, Some(m.from));
                self.handle_snapshot(m);
            }
            t if t == my_resp => match self.poll(m.from, !m.reject) {
                VoteResult::Won => {
                    if self.role == Role::PreCandidate {
                        self.campaign(false, false);
                    } else {
                        self.become_leader();
                    }
                }
                VoteResult::Lost => self.become_follower(self.term, None),
                VoteResult::Pending => {}
            },
            _ => {}
        }
    }

    fn step_follower(&mut self, m: Message<T>) {
        match m.type_ {
            MsgType::Prop => {
                if let Some(l) = self.leader {
                    let mut fwd = m;
                    fwd.to = l;
                    self.send(fwd);
                }
            }
            MsgType::App | MsgType::Heartbeat | MsgType::Snap => {
                // Anything from the leader resets the election timer.
                self.election_elapsed = 0;
                self.leader = Some(m.from);
                match m.type_ {
                    MsgType::App => self.handle_append(m),
                    MsgType::Heartbeat => self.handle_heartbeat(m),
                    _ => self.handle_snapshot(m),
                }
            }
            MsgType::TransferLeader => {
                if let Some(l) = self.leader {
                    let mut fwd = m;
                    fwd.to = l;
                    self.msgs.push(fwd);
                }
            }
            // Leadership transfer skips PreVote and the lease check.
            MsgType::TimeoutNow => self.campaign(false, true),
            MsgType::ReadIndexResp => self.read_states.push((m.context, m.index)),
            _ => {}
        }
    }

    fn step_leader(&mut self, m: Message<T>) {
        match m.type_ {
            MsgType::Beat => self.bcast_heartbeat(),
            MsgType::Prop => {
                if self.lead_transferee.is_some() {
                    return; // ErrProposalDropped while leadership moves
                }
                self.append(m.entries.into_iter().map(|e| e.data).collect());
            }
            MsgType::AppResp => {
                let from = m.from;
                self.progress[from].recent_active = true;
                if m.reject {
                    let mut next_probe = m.reject_hint;
                    if m.log_term > 0 {
                        next_probe = self.find_conflict_by_term(m.reject_hint, m.log_term).0;
                    }
                    if self.progress[from].maybe_decr_to(m.index, next_probe) {
                        if self.progress[from].state == ProgressState::Replicate {
                            self.progress[from].become_probe();
                        }
                        self.send_append(from);
                    }
                } else {
                    let was_paused = self.progress[from].paused;
                    if self.progress[from].maybe_update(m.index) {
                        if self.progress[from].state == ProgressState::Snapshot {
                            self.progress[from].become_probe();
                        }
                        if self.progress[from].state == ProgressState::Probe {
                            self.progress[from].become_replicate();
                        }
                        if self.maybe_commit() {
                            self.bcast_append();
                        } else if was_paused {
                            self.send_append(from);
                        }
                        // Replicating: send the rest, a message of up to MaxSizePerMsg at a time.
                        while self.progress[from].state == ProgressState::Replicate
                            && self.progress[from].next <= self.last_index()
                        {
                            self.send_append(from);
                        }
                        if self.lead_transferee == Some(from) && self.progress[from].matched == self.last_index() {
                            self.send_timeout_now(from);
                        }
                    }
                }
            }
            MsgType::ReadIndex => {
                // Only a leader that has committed an entry of its term knows the commit index.
                if self.term_at(self.commit) != Some(self.term) {
                    return;
                }
                let mut acks = crate::sim::vecmap::VecSet::new();
                acks.insert(self.id);
                if self.quorum() == 1 {
                    self.answer_read(m.context, self.commit, m.from);
                } else {
                    self.pending_reads.push((m.context, self.commit, m.from, acks));
                    self.bcast_heartbeat_with(m.context);
                }
            }
            MsgType::HeartbeatResp => {
                let from = m.from;
                if m.context != 0 {
                    self.ack_read(m.context, from);
                }
                self.progress[from].recent_active = true;
                self.progress[from].paused = false;
                if self.progress[from].state == ProgressState::Snapshot {
                    // The snapshot may have been lost: offer it again (MsgSnapStatus's role).
                    self.progress[from].become_probe();
                }
                if self.progress[from].matched < self.last_index() {
                    self.send_append(from);
                }
            }
            MsgType::TransferLeader => {
                let to = m.from;
                if to == self.id || self.lead_transferee == Some(to) {
                    return;
                }
                self.election_elapsed = 0;
                self.lead_transferee = Some(to);
                if self.progress[to].matched == self.last_index() {
                    self.send_timeout_now(to);
                } else {
                    self.send_append(to);
                }
            }
            _ => {}
        }
    }

    fn send_timeout_now(&mut self, to: Id) {
        let term = self.term;
        self.send(Message::new(MsgType::TimeoutNow, self.id, to, term));
    }

    fn append(&mut self, data: Vec<Option<T>>) {
        for d in data {
            let index = self.last_index() + 1;
            self.log.push(Entry { term: self.term, index, data: d });
        }
        self.bcast_append();
    }

    fn bcast_append(&mut self) {
        for peer in self.peers() {
            self.send_append(peer);
        }
    }

    fn bcast_heartbeat(&mut self) {
        self.bcast_heartbeat_with(0);
    }

    fn bcast_heartbeat_with(&mut self, context: u64) {
        for peer in self.peers() {
            let commit = self.progress[peer].matched.min(self.commit);
            let mut m = Message::new(MsgType::Heartbeat, self.id, peer, self.term);
            m.commit = commit;
            m.context = context;
            self.send(m);
        }
    }

    /// A heartbeat round for read `context` was acknowledged by `from`; a quorum confirms
    /// leadership, so this read and every earlier one may be answered.
    fn ack_read(&mut self, context: u64, from: Id) {
        let Some(pos) = self.pending_reads.iter().position(|r| r.0 == context) else { return };
        self.pending_reads[pos].3.insert(from);
        if self.pending_reads[pos].3.len() < self.quorum() {
            return;
        }
        let ready: Vec<(u64, u64, Id, crate::sim::vecmap::VecSet<Id>)> = self.pending_reads.drain(..=pos).collect();
        for (ctx, index, to, _) in ready {
            self.answer_read(ctx, index, to);
        }
    }

    fn answer_read(&mut self, context: u64, index: u64, to: Id) {
        if to == self.id {
            self.read_states.push((context, index));
        } else {
            let mut m = Message::new(MsgType::ReadIndexResp, self.id, to, self.term);
            m.index = index;
            m.context = context;
            self.send(m);
        }
    }

    fn send_append(&mut self, to: Id) {
        let pr = &self.progress[to];
        if (pr.state == ProgressState::Probe && pr.paused) || pr.state == ProgressState::Snapshot {
            return;
        }
        let next = pr.next.clamp(1, self.last_index() + 1);
        let prev = next - 1;
        if prev < self.offset() {
            // The entries this follower needs are compacted: send the snapshot instead.
            let (index, log_term) = self.snapshot;
            let mut m = Message::new(MsgType::Snap, self.id, to, self.term);
            m.index = index;
            m.log_term = log_term;
            self.progress[to].state = ProgressState::Snapshot;
            self.send(m);
            return;
        }
        let unsent = &self.log[self.pos(next)..];
        let entries: Vec<Entry<T>> = unsent[..fitting(unsent, self.config.max_size_per_msg)].to_vec();
        let mut m = Message::new(MsgType::App, self.id, to, self.term);
        m.index = prev;
        m.log_term = self.term_at(prev).unwrap_or(0);
        m.commit = self.commit;
        if !entries.is_empty() {
            let last = entries[entries.len() - 1].index;
            let pr = &mut self.progress[to];
            match pr.state {
                ProgressState::Replicate => pr.next = last + 1,
                ProgressState::Probe => pr.paused = true,
                ProgressState::Snapshot => {}
            }
        }
        m.entries = entries;
        self.send(m);
    }

    /// maybeCommit: advance to the quorum index if that entry is from the current term.
    pub fn maybe_commit(&mut self) -> bool {
        let acked: Vec<u64> = self.progress.iter().map(|p| p.matched).collect();
        let q = committed_index(&acked);
        if q > self.commit && self.term_at(q) == Some(self.term) {
            self.commit = q;
            return true;
        }
        false
    }

    /// findConflictByTerm: the largest index ≤ `index` whose term is ≤ `term`.
    pub fn find_conflict_by_term(&self, index: u64, term: u64) -> (u64, u64) {
        if index > self.last_index() {
            return (index, 0);
        }
        let mut i = index;
        while i > self.offset() {
            let t = self.term_at(i).unwrap_or(0);
            if t <= term {
                return (i, t);
            }
            i -= 1;
        }
        (i, self.term_at(i).unwrap_or(0))
    }

    /// A follower installs a leader's snapshot: its log restarts at the snapshot.
    fn handle_snapshot(&mut self, m: Message<T>) {
        let term = self.term;
        let mut r = Message::new(MsgType::AppResp, self.id, m.from, term);
        if m.index <= self.commit {
            r.index = self.commit;
        } else if self.term_at(m.index) == Some(m.log_term) {
            // Our log already holds the snapshot's last entry: just commit up to it (restore()
            // fast-forwards instead of discarding entries we may have acknowledged).
            self.commit_to(m.index);
            r.index = self.commit;
        } else {
            self.log = vec![Entry { index: m.index, term: m.log_term, data: None }];
            self.snapshot = (m.index, m.log_term);
            self.commit = m.index;
            self.applied = m.index;
            self.stable = m.index;
            r.index = m.index;
        }
        self.send(r);
    }

    fn handle_heartbeat(&mut self, m: Message<T>) {
        self.commit_to(m.commit);
        let mut r = Message::new(MsgType::HeartbeatResp, self.id, m.from, self.term);
        r.context = m.context;
        self.send(r);
    }

    fn commit_to(&mut self, c: u64) {
        if c > self.commit {
            self.commit = c.min(self.last_index());
        }
    }

    pub fn handle_append(&mut self, m: Message<T>) {
        let term = self.term;
        if m.index < self.commit {
            let mut r = Message::new(MsgType::AppResp, self.id, m.from, term);
            r.index = self.commit;
            self.send(r);
            return;
        }
        if self.term_at(m.index) == Some(m.log_term) {
            let last_new = m.index + m.entries.len() as u64;
            let conflict = m.entries.iter().find(|e| self.term_at(e.index) != Some(e.term)).map(|e| e.index);
            if let Some(ci) = conflict {
                self.log.truncate(self.pos(ci));
                self.stable = self.stable.min(ci - 1);
                let skip = (ci - (m.index + 1)) as usize;
                self.log.extend(m.entries.into_iter().skip(skip));
            }
            self.commit_to(m.commit.min(last_new));
            let mut r = Message::new(MsgType::AppResp, self.id, m.from, term);
            r.index = last_new;
            self.send(r);
            return;
        }
        let hint = m.index.min(self.last_index());
        let (hint_index, hint_term) = self.find_conflict_by_term(hint, m.log_term);
        let mut r = Message::new(MsgType::AppResp, self.id, m.from, term);
        r.index = m.index;
        r.reject = true;
        r.reject_hint = hint_index;
        r.log_term = hint_term;
        self.send(r);
    }

    /// Entries not yet durable in the WAL.
    pub fn unstable(&self) -> &[Entry<T>] {
        &self.log[self.pos(self.stable + 1).min(self.log.len())..]
    }

    /// The WAL has fsync'd entries up to `index` written in `term`. Returns false when the log
    /// changed meanwhile (the entry was overwritten), so acknowledgements must not go out.
    pub fn persisted(&mut self, index: u64, term: u64) -> bool {
        if self.term_at(index) != Some(term) {
            return false;
        }
        if index > self.stable {
            self.stable = index;
            if self.role == Role::Leader && self.progress[self.id].maybe_update(index) && self.maybe_commit() {
                self.bcast_append();
            }
        }
        true
    }

    /// Committed, durable entries not yet applied, up to MaxCommittedSizePerReady; marks them
    /// applied. [`Raft::has_committed_to_apply`] tells whether more wait.
    pub fn committed_to_apply(&mut self) -> Vec<Entry<T>> {
        if !self.has_committed_to_apply() {
            return Vec::new();
        }
        let upto = self.commit.min(self.stable);
        let ready = &self.log[self.pos(self.applied + 1)..=self.pos(upto)];
        let out = ready[..fitting(ready, self.config.max_committed_size_per_ready)].to_vec();
        self.applied += out.len() as u64;
        out
    }

    /// Whether committed, durable entries wait to be applied.
    pub fn has_committed_to_apply(&self) -> bool {
        self.commit.min(self.stable) > self.applied
    }

    pub fn take_msgs(&mut self) -> Vec<Message<T>> {
        std::mem::take(&mut self.msgs)
    }
}

/// What survives a crash besides the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HardState {
    pub term: u64,
    pub vote: Option<Id>,
    pub commit: u64,
}
