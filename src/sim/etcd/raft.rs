//! Raft consensus for one etcd member, after etcd-io/raft (raft.go, log.go, tracker/).
//! Simplified for the walking skeleton: heartbeats are empty MsgApp (etcd sends MsgHeartbeat),
//! no PreVote, CheckQuorum, snapshots or membership changes yet. The rules that make Raft safe —
//! the up-to-date vote check, the log consistency check with repair, and committing only
//! entries of the current term by quorum — are as upstream.

use super::Proposal;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub term: u64,
    pub index: u64,
    /// None for the empty entry a new leader appends in its term.
    pub data: Option<Proposal>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RaftMessage {
    Vote {
        term: u64,
        from: usize,
        last_index: u64,
        last_term: u64,
    },
    VoteResp {
        term: u64,
        from: usize,
        granted: bool,
    },
    App {
        term: u64,
        from: usize,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: u64,
    },
    AppResp {
        term: u64,
        from: usize,
        index: u64,
        reject: bool,
        hint: u64,
    },
    /// A proposal forwarded by a follower to the leader (MsgProp).
    Prop {
        from: usize,
        data: Proposal,
    },
}

impl RaftMessage {
    /// The upstream message type name, for labels (`MsgVote`, `MsgApp`, …).
    pub fn name(&self) -> &'static str {
        match self {
            RaftMessage::Vote { .. } => "MsgVote",
            RaftMessage::VoteResp { .. } => "MsgVoteResp",
            RaftMessage::App { entries, .. } if entries.is_empty() => "MsgApp (heartbeat)",
            RaftMessage::App { .. } => "MsgApp",
            RaftMessage::AppResp { .. } => "MsgAppResp",
            RaftMessage::Prop { .. } => "MsgProp",
        }
    }
    pub fn is_vote(&self) -> bool {
        matches!(self, RaftMessage::Vote { .. } | RaftMessage::VoteResp { .. })
    }
}

/// What the state machine asks its host (the etcd member) to do.
#[derive(Clone, Debug, PartialEq)]
pub enum RaftOutput {
    Send {
        to: usize,
        msg: RaftMessage,
    },
    /// Restart the randomized election timer.
    ResetElectionTimer,
    /// Became leader: start sending heartbeats.
    BecameLeader,
    /// Entries up to `index` must reach the WAL (fsync) before `then` is sent / counted.
    Persist {
        index: u64,
        term: u64,
        then: Option<(usize, RaftMessage)>,
    },
    /// The commit index moved forward.
    Committed {
        index: u64,
    },
}

#[derive(Clone, Debug)]
pub struct Raft {
    pub id: usize,
    pub size: usize,
    pub term: u64,
    pub vote: Option<usize>,
    pub role: Role,
    pub leader: Option<usize>,
    /// log[0] is the dummy entry (index 0, term 0), as in etcd-io/raft.
    pub log: Vec<Entry>,
    pub commit: u64,
    /// Highest index this member has fsync'd to its own WAL.
    pub persisted: u64,
    next: Vec<u64>,
    matched: Vec<u64>,
    votes: Vec<Option<bool>>,
    pub out: Vec<RaftOutput>,
}

impl Raft {
    pub fn new(id: usize, size: usize) -> Self {
        Raft {
            id,
            size,
            term: 0,
            vote: None,
            role: Role::Follower,
            leader: None,
            log: vec![Entry { term: 0, index: 0, data: None }],
            commit: 0,
            persisted: 0,
            next: vec![1; size],
            matched: vec![0; size],
            votes: vec![None; size],
            out: Vec::new(),
        }
    }

    pub fn last_index(&self) -> u64 {
        self.log.len() as u64 - 1
    }

    pub fn last_term(&self) -> u64 {
        self.log.last().map_or(0, |e| e.term)
    }

    pub fn term_at(&self, index: u64) -> Option<u64> {
        self.log.get(index as usize).map(|e| e.term)
    }

    fn quorum(&self) -> usize {
        self.size / 2 + 1
    }

    fn send(&mut self, to: usize, msg: RaftMessage) {
        self.out.push(RaftOutput::Send { to, msg });
    }

    fn become_follower(&mut self, term: u64, leader: Option<usize>) {
        if term > self.term {
            self.term = term;
            self.vote = None;
        }
        self.role = Role::Follower;
        self.leader = leader;
        self.out.push(RaftOutput::ResetElectionTimer);
    }

    /// The election timer fired: campaign (MsgHup).
    pub fn election_timeout(&mut self) {
        if self.role == Role::Leader {
            return;
        }
        self.term += 1;
        self.role = Role::Candidate;
        self.vote = Some(self.id);
        self.leader = None;
        self.votes = vec![None; self.size];
        self.votes[self.id] = Some(true);
        self.out.push(RaftOutput::ResetElectionTimer);
        if self.granted() >= self.quorum() {
            self.become_leader();
            return;
        }
        let (last_index, last_term) = (self.last_index(), self.last_term());
        for peer in self.peers() {
            self.send(peer, RaftMessage::Vote { term: self.term, from: self.id, last_index, last_term });
        }
    }

    fn peers(&self) -> Vec<usize> {
        (0..self.size).filter(|&p| p != self.id).collect()
    }

    fn granted(&self) -> usize {
        self.votes.iter().filter(|v| **v == Some(true)).count()
    }

    fn become_leader(&mut self) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        let last = self.last_index();
        self.next = vec![last + 1; self.size];
        self.matched = vec![0; self.size];
        self.out.push(RaftOutput::BecameLeader);
        // A new leader appends an empty entry of its own term (raft.go becomeLeader).
        self.append(None);
    }

    /// Leader only: appends a proposal and replicates it. Returns false when not the leader.
    pub fn propose(&mut self, data: Proposal) -> bool {
        if self.role != Role::Leader {
            return false;
        }
        self.append(Some(data));
        true
    }

    fn append(&mut self, data: Option<Proposal>) {
        let index = self.last_index() + 1;
        self.log.push(Entry { term: self.term, index, data });
        self.out.push(RaftOutput::Persist { index, term: self.term, then: None });
        self.broadcast_append();
    }

    /// Sends every follower the entries it lacks (or an empty append as heartbeat).
    pub fn broadcast_append(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        for peer in self.peers() {
            self.send_append(peer);
        }
    }

    fn send_append(&mut self, peer: usize) {
        let next = self.next[peer].clamp(1, self.last_index() + 1);
        let prev_index = next - 1;
        let prev_term = self.term_at(prev_index).unwrap_or(0);
        let entries: Vec<Entry> = self.log[next as usize..].to_vec();
        // Optimistic replication: assume the entries arrive (the replicate state).
        self.next[peer] = self.last_index() + 1;
        let commit = self.commit;
        self.send(peer, RaftMessage::App { term: self.term, from: self.id, prev_index, prev_term, entries, commit });
    }

    /// The WAL has fsync'd entries up to `index` (written in `term`). Returns false when the
    /// log changed meanwhile, so a deferred acknowledgement must not be sent.
    pub fn persisted_to(&mut self, index: u64, term: u64) -> bool {
        if self.term_at(index) != Some(term) {
            return false;
        }
        if index > self.persisted {
            self.persisted = index;
            if self.role == Role::Leader {
                self.matched[self.id] = index;
                self.maybe_commit();
            }
        }
        true
    }

    pub fn step(&mut self, msg: RaftMessage) {
        let msg_term = match &msg {
            RaftMessage::Vote { term, .. }
            | RaftMessage::VoteResp { term, .. }
            | RaftMessage::App { term, .. }
            | RaftMessage::AppResp { term, .. } => *term,
            RaftMessage::Prop { .. } => self.term,
        };
        if msg_term > self.term {
            let leader = match &msg {
                RaftMessage::App { from, .. } => Some(*from),
                _ => None,
            };
            self.become_follower(msg_term, leader);
        } else if msg_term < self.term {
            // A stale leader learns the new term from our answer.
            if let RaftMessage::App { from, .. } = msg {
                let (term, id, index) = (self.term, self.id, self.last_index());
                self.send(from, RaftMessage::AppResp { term, from: id, index, reject: true, hint: index });
            }
            return;
        }
        match msg {
            RaftMessage::Vote { from, last_index, last_term, .. } => {
                let can_vote = self.vote == Some(from) || (self.vote.is_none() && self.leader.is_none());
                let up_to_date =
                    last_term > self.last_term() || (last_term == self.last_term() && last_index >= self.last_index());
                let granted = can_vote && up_to_date;
                if granted {
                    self.vote = Some(from);
                    self.out.push(RaftOutput::ResetElectionTimer);
                }
                let (term, id) = (self.term, self.id);
                self.send(from, RaftMessage::VoteResp { term, from: id, granted });
            }
            RaftMessage::VoteResp { from, granted, .. } => {
                if self.role != Role::Candidate {
                    return;
                }
                self.votes[from] = Some(granted);
                let rejected = self.votes.iter().filter(|v| **v == Some(false)).count();
                if self.granted() >= self.quorum() {
                    self.become_leader();
                } else if self.size - rejected < self.quorum() {
                    self.become_follower(self.term, None);
                }
            }
            RaftMessage::App { from, prev_index, prev_term, entries, commit, .. } => {
                if self.role != Role::Follower || self.leader != Some(from) {
                    self.become_follower(self.term, Some(from));
                } else {
                    self.out.push(RaftOutput::ResetElectionTimer);
                }
                self.handle_append(from, prev_index, prev_term, entries, commit);
            }
            RaftMessage::AppResp { from, index, reject, hint, .. } => {
                if self.role != Role::Leader {
                    return;
                }
                if reject {
                    // Probe from just after the follower's last index (log repair).
                    self.next[from] = (hint + 1).min(index).max(self.matched[from] + 1);
                    self.send_append(from);
                } else if index > self.matched[from] {
                    self.matched[from] = index;
                    self.next[from] = self.next[from].max(index + 1);
                    self.maybe_commit();
                }
            }
            RaftMessage::Prop { data, .. } => {
                self.propose(data);
            }
        }
    }

    fn handle_append(&mut self, from: usize, prev_index: u64, prev_term: u64, entries: Vec<Entry>, commit: u64) {
        let term = self.term;
        if prev_index < self.commit {
            let index = self.commit;
            self.send(from, RaftMessage::AppResp { term, from: self.id, index, reject: false, hint: 0 });
            return;
        }
        if self.term_at(prev_index) != Some(prev_term) {
            let hint = prev_index.min(self.last_index());
            self.send(from, RaftMessage::AppResp { term, from: self.id, index: prev_index, reject: true, hint });
            return;
        }
        let last_new = prev_index + entries.len() as u64;
        for e in entries {
            match self.term_at(e.index) {
                Some(t) if t == e.term => {}
                Some(_) => {
                    // Conflict: drop our suffix from here and take the leader's entries.
                    self.log.truncate(e.index as usize);
                    self.persisted = self.persisted.min(e.index - 1);
                    self.log.push(e);
                }
                None => self.log.push(e),
            }
        }
        let new_commit = commit.min(last_new);
        if new_commit > self.commit {
            self.commit = new_commit;
            self.out.push(RaftOutput::Committed { index: new_commit });
        }
        let ack = RaftMessage::AppResp { term, from: self.id, index: last_new, reject: false, hint: 0 };
        if last_new > self.persisted {
            // Acknowledge only after the WAL fsync (etcd's durability rule).
            let t = self.term_at(last_new).unwrap_or(term);
            self.out.push(RaftOutput::Persist { index: last_new, term: t, then: Some((from, ack)) });
        } else {
            self.send(from, ack);
        }
    }

    fn maybe_commit(&mut self) {
        let mut acked = self.matched.clone();
        acked.sort_unstable();
        let q = acked[self.size - self.quorum()];
        if q > self.commit && self.term_at(q) == Some(self.term) {
            self.commit = q;
            self.out.push(RaftOutput::Committed { index: q });
            // Tell followers at once (raft.go: maybeCommit → bcastAppend).
            self.broadcast_append();
        }
    }

    pub fn take_output(&mut self) -> Vec<RaftOutput> {
        std::mem::take(&mut self.out)
    }
}
