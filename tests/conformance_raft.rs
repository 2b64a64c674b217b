//! etcd Raft against the etcd-io/raft test vectors (tests/conformance/raft.json), through the
//! same `Raft` state machine the etcd members run. Ids in the vectors are 1-based; the model's
//! are 0-based. The harness persists every entry at once, like upstream's MemoryStorage.

use kube_playground::sim::etcd::raft::{committed_index, Config, Entry, Id, Message, MsgType, Raft, Role};
use kube_playground::sim::rng::fork;
use serde_json::Value;
use std::collections::{BTreeSet, VecDeque};

type R = Raft<String>;
type M = Message<String>;

/// newTestRaft: electionTick 10, heartbeatTick 1, no PreVote or CheckQuorum, no size limits.
const TEST: Config = Config {
    election_tick: 10,
    heartbeat_tick: 1,
    pre_vote: false,
    check_quorum: false,
    max_size_per_msg: u64::MAX,
    max_committed_size_per_ready: u64::MAX,
};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/raft.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn case(section: &str, name: &str) -> Value {
    vectors()[section][name].clone()
}

fn node(id1: u64, size: usize) -> R {
    node_cfg(id1, size, TEST)
}

fn node_cfg(id1: u64, size: usize, cfg: Config) -> R {
    Raft::new(id1 as usize - 1, size, cfg, fork(id1, "raft-test"))
}

/// A log from `[{"index","term"}]`.
fn log_of(v: &Value) -> Vec<Entry<String>> {
    let mut log = vec![Entry { term: 0, index: 0, data: None }];
    for e in v.as_array().into_iter().flatten() {
        log.push(Entry { index: e["index"].as_u64().unwrap(), term: e["term"].as_u64().unwrap(), data: None });
    }
    log
}

fn with_log(mut r: R, log: Vec<Entry<String>>) -> R {
    r.log = log;
    r.stable = r.last_index();
    r
}

fn persist(r: &mut R) {
    let (i, t) = (r.last_index(), r.last_term());
    r.persisted(i, t);
}

fn msg(t: MsgType, from1: u64, to1: u64, term: u64) -> M {
    Message::new(t, from1 as Id - 1, to1 as Id - 1, term)
}

fn state(r: &R) -> &'static str {
    match r.role {
        Role::Follower => "Follower",
        Role::PreCandidate => "PreCandidate",
        Role::Candidate => "Candidate",
        Role::Leader => "Leader",
    }
}

fn role_of(s: &str) -> Role {
    match s {
        "Follower" => Role::Follower,
        "PreCandidate" => Role::PreCandidate,
        "Candidate" => Role::Candidate,
        _ => Role::Leader,
    }
}

/// Step and persist at once; return what the node sent.
fn step(r: &mut R, m: M) -> Vec<M> {
    r.step(m);
    persist(r);
    r.take_msgs()
}

fn elect(r: &mut R) {
    step(r, msg(MsgType::Hup, r.id as u64 + 1, r.id as u64 + 1, 0));
    for peer in 0..r.size as u64 {
        if r.role != Role::Leader && peer as usize != r.id {
            let (to, term) = (r.id as u64 + 1, r.term);
            step(r, msg(MsgType::VoteResp, peer + 1, to, term));
        }
    }
    assert_eq!(r.role, Role::Leader);
    r.take_msgs();
}

/// newNetwork: None is a black hole (nopStepper).
struct Net {
    peers: Vec<Option<R>>,
    cut: BTreeSet<(Id, Id)>,
    ignored: BTreeSet<u8>,
}

impl Net {
    fn new(peers: Vec<Option<R>>) -> Self {
        Net { peers, cut: BTreeSet::new(), ignored: BTreeSet::new() }
    }
    fn of(n: usize, cfg: Config) -> Self {
        Net::new((1..=n as u64).map(|i| Some(node_cfg(i, n, cfg))).collect())
    }
    fn send(&mut self, m: M) {
        let mut q = VecDeque::from([m]);
        while let Some(m) = q.pop_front() {
            if self.cut.contains(&(m.from.min(m.to), m.from.max(m.to))) || self.ignored.contains(&(m.type_ as u8)) {
                continue;
            }
            if let Some(Some(r)) = self.peers.get_mut(m.to) {
                q.extend(step(r, m));
            }
        }
    }
    fn hup(&mut self, id1: u64) {
        self.send(msg(MsgType::Hup, id1, id1, 0));
    }
    fn prop(&mut self, id1: u64) {
        let mut m = msg(MsgType::Prop, id1, id1, 0);
        m.entries = vec![Entry { term: 0, index: 0, data: Some("somedata".into()) }];
        self.send(m);
    }
    fn cut(&mut self, a1: u64, b1: u64) {
        let (a, b) = (a1 as usize - 1, b1 as usize - 1);
        self.cut.insert((a.min(b), a.max(b)));
    }
    fn recover(&mut self) {
        self.cut.clear();
        self.ignored.clear();
    }
    fn get(&self, id1: u64) -> &R {
        self.peers[id1 as usize - 1].as_ref().unwrap()
    }
}

#[test]
fn leader_election_in_one_round_rpc() {
    let c = case("election", "TestLeaderElectionInOneRoundRPC");
    for tc in c["cases"].as_array().unwrap() {
        let size = tc["size"].as_u64().unwrap() as usize;
        let mut r = node(1, size);
        step(&mut r, msg(MsgType::Hup, 1, 1, 0));
        for (id, vote) in tc["votes"].as_object().unwrap() {
            let term = r.term;
            let mut m = msg(MsgType::VoteResp, id.parse().unwrap(), 1, term);
            m.reject = !vote.as_bool().unwrap();
            step(&mut r, m);
        }
        assert_eq!(state(&r), tc["state"], "{tc}");
        assert_eq!(r.term, 1, "{tc}");
    }
}

#[test]
fn follower_vote() {
    for tc in case("election", "TestFollowerVote")["cases"].as_array().unwrap() {
        let mut r = node(1, 3);
        r.term = 1;
        r.vote = match tc["vote"].as_u64().unwrap() {
            0 => None,
            v => Some(v as usize - 1),
        };
        let out = step(&mut r, msg(MsgType::Vote, tc["nvote"].as_u64().unwrap(), 1, 1));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].type_, MsgType::VoteResp);
        assert_eq!(out[0].reject, tc["reject"].as_bool().unwrap(), "{tc}");
    }
}

#[test]
fn candidate_fallback() {
    for tc in case("election", "TestCandidateFallback")["cases"].as_array().unwrap() {
        let mut r = node(1, 3);
        step(&mut r, msg(MsgType::Hup, 1, 1, 0));
        assert_eq!(r.role, Role::Candidate);
        step(&mut r, msg(MsgType::App, 2, 1, tc["msgapp_term"].as_u64().unwrap()));
        assert_eq!(state(&r), tc["expected_state"]);
        assert_eq!(r.term, tc["expected_term"].as_u64().unwrap());
    }
}

#[test]
fn nonleader_start_election() {
    let c = case("election", "testNonleaderStartElection");
    for as_candidate in [false, true] {
        let mut r = node(1, 3);
        if as_candidate {
            step(&mut r, msg(MsgType::Hup, 1, 1, 0));
        } else {
            r.become_follower(1, Some(1));
        }
        for _ in 0..2 * 10 - 1 {
            r.tick();
        }
        persist(&mut r);
        let e = &c["expected"];
        assert_eq!(r.term, e["term"].as_u64().unwrap());
        assert_eq!(state(&r), e["state"]);
        assert_eq!(r.vote, Some(0), "votes for itself");
        let mut out = r.take_msgs();
        out.sort_by_key(|m| m.to);
        let want = e["messages"].as_array().unwrap();
        assert_eq!(out.len(), want.len());
        for (m, w) in out.iter().zip(want) {
            assert_eq!((m.to + 1) as u64, w["to"].as_u64().unwrap());
            assert_eq!(m.type_.name(), w["type"].as_str().unwrap());
            assert_eq!(
                (m.term, m.index, m.log_term),
                (w["term"].as_u64().unwrap(), w["index"].as_u64().unwrap(), w["logTerm"].as_u64().unwrap())
            );
        }
    }
}

#[test]
fn update_term_from_message() {
    for start in ["Follower", "Candidate", "Leader"] {
        let mut r = node(1, 3);
        match start {
            "Follower" => r.become_follower(1, Some(1)),
            "Candidate" => {
                step(&mut r, msg(MsgType::Hup, 1, 1, 0));
            }
            _ => elect(&mut r),
        }
        assert_eq!(r.term, 1);
        step(&mut r, msg(MsgType::App, 2, 1, 2));
        assert_eq!((r.term, r.role), (2, Role::Follower), "{start}");
    }
}

#[test]
fn leader_bcast_beat() {
    let c = case("election", "TestLeaderBcastBeat");
    let mut r = node(1, 3);
    elect(&mut r);
    for _ in 0..10 {
        r.propose("x".into());
        persist(&mut r);
    }
    r.take_msgs();
    r.tick();
    let mut out = r.take_msgs();
    out.sort_by_key(|m| m.to);
    let want = c["expected_messages"].as_array().unwrap();
    assert_eq!(out.len(), want.len());
    for (m, w) in out.iter().zip(want) {
        assert_eq!(m.type_.name(), w["type"].as_str().unwrap());
        assert_eq!(((m.from + 1) as u64, (m.to + 1) as u64), (w["from"].as_u64().unwrap(), w["to"].as_u64().unwrap()));
        assert_eq!((m.term, m.commit), (w["term"].as_u64().unwrap(), w["commit"].as_u64().unwrap()));
    }
}

#[test]
fn voter() {
    for tc in case("election", "TestVoter")["cases"].as_array().unwrap() {
        let mut r = with_log(node(1, 2), log_of(&tc["log"]));
        let mut m = msg(MsgType::Vote, 2, 1, 3);
        m.log_term = tc["logterm"].as_u64().unwrap();
        m.index = tc["index"].as_u64().unwrap();
        let out = step(&mut r, m);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].reject, tc["reject"].as_bool().unwrap(), "{tc}");
    }
}

#[test]
fn recv_msg_vote_and_prevote() {
    for t in [MsgType::Vote, MsgType::PreVote] {
        for tc in case("election", "TestRecvMsgVote")["cases"].as_array().unwrap() {
            let log = log_of(&serde_json::json!([{"index": 1, "term": 2}, {"index": 2, "term": 2}]));
            let mut r = with_log(node(1, 2), log);
            r.role = role_of(tc["state"].as_str().unwrap());
            let log_term = tc["logTerm"].as_u64().unwrap();
            r.term = log_term.max(2);
            r.vote = match tc["voteFor"].as_u64().unwrap() {
                0 => None,
                v => Some(v as usize - 1),
            };
            let mut m = msg(t, 2, 1, r.term);
            m.index = tc["index"].as_u64().unwrap();
            m.log_term = log_term;
            let out = step(&mut r, m);
            assert_eq!(out.len(), 1, "{tc}");
            assert_eq!(out[0].reject, tc["reject"].as_bool().unwrap(), "{t:?} {tc}");
        }
    }
}

/// entsWithConfig(terms…): a node whose log has those terms and whose term is the last one.
fn peer_of(kind: &str, id1: u64, n: usize, cfg: Config) -> Option<R> {
    match kind {
        "nop" => None,
        "raft" => Some(node_cfg(id1, n, cfg)),
        k => {
            let inner = k.trim_start_matches("entsWithConfig(").trim_end_matches(')');
            let terms: Vec<u64> = inner.split(',').map(|t| t.trim().parse().unwrap()).collect();
            let mut log = vec![Entry { term: 0, index: 0, data: None }];
            for (i, t) in terms.iter().enumerate() {
                log.push(Entry { index: i as u64 + 1, term: *t, data: None });
            }
            let mut r = with_log(node_cfg(id1, n, cfg), log);
            r.term = *terms.last().unwrap();
            Some(r)
        }
    }
}

#[test]
fn leader_election_with_and_without_prevote() {
    let c = case("election", "TestLeaderElection");
    for pre_vote in [false, true] {
        let cfg = Config { pre_vote, ..TEST };
        for (i, tc) in c["cases"].as_array().unwrap().iter().enumerate() {
            let kinds: Vec<&str> = tc["peers"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
            let n = kinds.len();
            let mut net = Net::new(kinds.iter().enumerate().map(|(j, k)| peer_of(k, j as u64 + 1, n, cfg)).collect());
            net.hup(1);
            let (want_state, want_term) = if pre_vote && (i == 2 || i == 3) {
                ("PreCandidate", 0)
            } else {
                (tc["state"].as_str().unwrap(), tc["term"].as_u64().unwrap())
            };
            assert_eq!((state(net.get(1)), net.get(1).term), (want_state, want_term), "prevote={pre_vote} {tc}");
        }
    }
}

#[test]
fn dueling_candidates() {
    let c = case("election", "TestDuelingCandidates");
    let mut net = Net::of(3, TEST);
    net.cut(1, 3);
    net.hup(1);
    net.hup(3);
    assert_eq!(net.get(1).role, Role::Leader);
    assert_eq!(net.get(3).role, Role::Candidate);
    net.recover();
    net.hup(3);
    for e in c["expected"].as_array().unwrap() {
        let r = net.get(e["node"].as_u64().unwrap());
        assert_eq!(state(r), e["state"], "{e}");
        assert_eq!(r.term, e["term"].as_u64().unwrap(), "{e}");
        assert_eq!(r.last_index(), e["lastIndex"].as_u64().unwrap(), "{e}");
    }
}

#[test]
fn single_node_candidate_and_commit() {
    let mut net = Net::of(1, TEST);
    net.hup(1);
    assert_eq!(net.get(1).role, Role::Leader);
    net.prop(1);
    net.prop(1);
    let want = case("replication_and_commit", "TestSingleNodeCommit")["committed"].as_u64().unwrap();
    assert_eq!(net.get(1).commit, want);
}

/// A leader of `size` whose empty entry is committed, with followers answering everything.
fn leader_with_noop_committed(size: usize) -> R {
    let mut r = node(1, size);
    let mut out = step(&mut r, msg(MsgType::Hup, 1, 1, 0));
    for p in 2..=size as u64 {
        if r.role != Role::Leader {
            let term = r.term;
            out = step(&mut r, msg(MsgType::VoteResp, p, 1, term));
        }
    }
    for m in out.into_iter().filter(|m| m.type_ == MsgType::App) {
        let mut resp = msg(MsgType::AppResp, m.to as u64 + 1, 1, m.term);
        resp.index = m.index + m.entries.len() as u64;
        step(&mut r, resp);
    }
    r.take_msgs();
    assert_eq!(r.commit, r.last_index());
    r
}

#[test]
fn leader_acknowledge_commit() {
    for tc in case("replication_and_commit", "TestLeaderAcknowledgeCommit")["cases"].as_array().unwrap() {
        let mut r = leader_with_noop_committed(tc["size"].as_u64().unwrap() as usize);
        let li = r.last_index();
        r.propose("some data".into());
        persist(&mut r);
        let acceptors: Vec<u64> = serde_json::from_value(tc["acceptors"].clone()).unwrap();
        for m in r.take_msgs() {
            if m.type_ == MsgType::App && acceptors.contains(&(m.to as u64 + 1)) {
                let mut resp = msg(MsgType::AppResp, m.to as u64 + 1, 1, m.term);
                resp.index = m.index + m.entries.len() as u64;
                step(&mut r, resp);
            }
        }
        assert_eq!(r.commit > li, tc["committed"].as_bool().unwrap(), "{tc}");
    }
}

#[test]
fn leader_start_replication() {
    let mut r = leader_with_noop_committed(3);
    let li = r.last_index();
    r.propose("some data".into());
    persist(&mut r);
    assert_eq!((r.last_index(), r.commit), (li + 1, li));
    let mut out = r.take_msgs();
    out.sort_by_key(|m| m.to);
    let got: Vec<(Id, u64, u64, u64, usize)> =
        out.iter().map(|m| (m.to, m.index, m.log_term, m.commit, m.entries.len())).collect();
    assert_eq!(got, vec![(1, li, 1, li, 1), (2, li, 1, li, 1)]);
    assert!(out.iter().all(|m| m.type_ == MsgType::App && m.entries[0].index == li + 1 && m.entries[0].term == 1));
}

#[test]
fn leader_commit_preceding_entries() {
    for tc in case("replication_and_commit", "TestLeaderCommitPrecedingEntries")["cases"].as_array().unwrap() {
        let mut r = with_log(node(1, 3), log_of(&tc["initial_log"]));
        r.term = 2;
        step(&mut r, msg(MsgType::Hup, 1, 1, 0));
        let mut pending: VecDeque<M> = step(&mut r, msg(MsgType::VoteResp, 2, 1, 3)).into();
        assert_eq!((r.role, r.term), (Role::Leader, 3));
        r.propose("some data".into());
        persist(&mut r);
        // Every follower accepts everything, until nothing is left to send.
        pending.extend(r.take_msgs());
        while let Some(m) = pending.pop_front() {
            if m.type_ == MsgType::App {
                let mut resp = msg(MsgType::AppResp, m.to as u64 + 1, 1, m.term);
                resp.index = m.index + m.entries.len() as u64;
                pending.extend(step(&mut r, resp));
            }
        }
        let got: Vec<(u64, u64, bool)> =
            r.committed_to_apply().iter().map(|e| (e.index, e.term, e.data.is_some())).collect();
        let want: Vec<(u64, u64, bool)> = tc["committed_entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["index"].as_u64().unwrap(), e["term"].as_u64().unwrap(), e.get("data").is_some()))
            .collect();
        assert_eq!(got, want, "{tc}");
    }
}

fn entries(n: u64, term: u64) -> Vec<Entry<String>> {
    (1..=n).map(|i| Entry { index: i, term, data: Some(format!("e{i}")) }).collect()
}

#[test]
fn follower_commit_entry() {
    for tc in case("replication_and_commit", "TestFollowerCommitEntry")["cases"].as_array().unwrap() {
        let mut r = node(1, 3);
        r.become_follower(1, Some(1));
        let mut m = msg(MsgType::App, 2, 1, 1);
        m.entries = entries(tc["n_entries"].as_u64().unwrap(), 1);
        m.commit = tc["commit"].as_u64().unwrap();
        step(&mut r, m);
        assert_eq!(r.commit, tc["expected_committed"].as_u64().unwrap(), "{tc}");
    }
}

fn follower_with_two_entries() -> R {
    let mut r = with_log(node(1, 3), log_of(&serde_json::json!([{"index": 1, "term": 1}, {"index": 2, "term": 2}])));
    r.become_follower(2, Some(1));
    r
}

#[test]
fn follower_check_msg_app() {
    for tc in case("replication_and_commit", "TestFollowerCheckMsgApp")["cases"].as_array().unwrap() {
        let mut r = follower_with_two_entries();
        r.commit = 1;
        let mut m = msg(MsgType::App, 2, 1, 2);
        m.log_term = tc["term"].as_u64().unwrap();
        m.index = tc["index"].as_u64().unwrap();
        let out = step(&mut r, m);
        assert_eq!(out.len(), 1);
        let resp = &out[0];
        assert_eq!(
            (resp.type_, resp.index, resp.reject),
            (MsgType::AppResp, tc["resp_index"].as_u64().unwrap(), tc["reject"].as_bool().unwrap()),
            "{tc}"
        );
        if resp.reject {
            assert_eq!(
                (resp.reject_hint, resp.log_term),
                (tc["rejectHint"].as_u64().unwrap(), tc["resp_logTerm"].as_u64().unwrap()),
                "{tc}"
            );
        }
    }
}

fn terms(log: &[Entry<String>]) -> Vec<(u64, u64)> {
    log.iter().skip(1).map(|e| (e.index, e.term)).collect()
}

fn pairs(v: &Value) -> Vec<(u64, u64)> {
    v.as_array().unwrap().iter().map(|e| (e["index"].as_u64().unwrap(), e["term"].as_u64().unwrap())).collect()
}

#[test]
fn follower_append_entries() {
    for tc in case("replication_and_commit", "TestFollowerAppendEntries")["cases"].as_array().unwrap() {
        let mut r = follower_with_two_entries();
        let mut m = msg(MsgType::App, 2, 1, 2);
        m.log_term = tc["term"].as_u64().unwrap();
        m.index = tc["index"].as_u64().unwrap();
        m.entries = log_of(&tc["entries"]).into_iter().skip(1).collect();
        r.step(m);
        assert_eq!(terms(&r.log), pairs(&tc["resulting_log"]), "{tc}");
        let unstable: Vec<(u64, u64)> = r.unstable().iter().map(|e| (e.index, e.term)).collect();
        assert_eq!(unstable, pairs(&tc["unstable"]), "{tc}");
    }
}

#[test]
fn leader_sync_follower_log() {
    let c = case("replication_and_commit", "TestLeaderSyncFollowerLog");
    let lead_terms: Vec<u64> = serde_json::from_value(c["leader_log_terms_from_index0"].clone()).unwrap();
    let term = c["leader_term"].as_u64().unwrap();
    let from_terms = |ts: &[u64]| -> Vec<Entry<String>> {
        ts.iter().enumerate().map(|(i, t)| Entry { index: i as u64, term: *t, data: None }).collect()
    };
    for follower_terms in c["follower_logs_terms_from_index0"].as_array().unwrap() {
        let ft: Vec<u64> = serde_json::from_value(follower_terms.clone()).unwrap();
        let mut lead = with_log(node(1, 3), from_terms(&lead_terms));
        lead.commit = lead.last_index();
        lead.term = term;
        let mut follower = with_log(node(2, 3), from_terms(&ft));
        follower.term = term - 1;
        let mut net = Net::new(vec![Some(lead), Some(follower), None]);
        net.hup(1);
        net.send(msg(MsgType::VoteResp, 3, 1, term + 1));
        let mut p = msg(MsgType::Prop, 1, 1, 0);
        p.entries = vec![Entry { term: 0, index: 0, data: None }];
        net.send(p);
        assert_eq!(net.get(1).role, Role::Leader);
        assert_eq!(terms(&net.get(2).log), terms(&net.get(1).log), "follower {ft:?}");
    }
}

#[test]
fn leader_only_commits_log_from_current_term() {
    for tc in case("replication_and_commit", "TestLeaderOnlyCommitsLogFromCurrentTerm")["cases"].as_array().unwrap() {
        let mut r =
            with_log(node(1, 2), log_of(&serde_json::json!([{"index": 1, "term": 1}, {"index": 2, "term": 2}])));
        r.term = 2;
        step(&mut r, msg(MsgType::Hup, 1, 1, 0));
        step(&mut r, msg(MsgType::VoteResp, 2, 1, 3));
        assert_eq!((r.role, r.term), (Role::Leader, 3));
        r.propose("x".into());
        persist(&mut r);
        r.take_msgs();
        let mut resp = msg(MsgType::AppResp, 2, 1, 3);
        resp.index = tc["ack_index"].as_u64().unwrap();
        step(&mut r, resp);
        assert_eq!(r.commit, tc["committed"].as_u64().unwrap(), "{tc}");
    }
}

#[test]
fn commit() {
    for tc in case("replication_and_commit", "TestCommit")["cases"].as_array().unwrap() {
        let matches: Vec<u64> = serde_json::from_value(tc["matches"].clone()).unwrap();
        let mut r = with_log(node(1, matches.len()), log_of(&tc["log"]));
        r.term = tc["term"].as_u64().unwrap();
        for (p, m) in r.progress.iter_mut().zip(&matches) {
            p.matched = *m;
        }
        r.maybe_commit();
        assert_eq!(r.commit, tc["committed"].as_u64().unwrap(), "{tc}");
    }
}

#[test]
fn handle_msg_app() {
    for tc in case("replication_and_commit", "TestHandleMsgApp")["cases"].as_array().unwrap() {
        let mut r = follower_with_two_entries();
        r.leader = None;
        let v = &tc["m"];
        let mut m = msg(MsgType::App, 2, 1, v["term"].as_u64().unwrap());
        m.log_term = v["logTerm"].as_u64().unwrap();
        m.index = v["index"].as_u64().unwrap();
        m.commit = v["commit"].as_u64().unwrap();
        m.entries = log_of(&v["entries"]).into_iter().skip(1).collect();
        r.handle_append(m);
        let out = r.take_msgs();
        assert_eq!(r.last_index(), tc["lastIndex"].as_u64().unwrap(), "{tc}");
        assert_eq!(r.commit, tc["committed"].as_u64().unwrap(), "{tc}");
        assert_eq!(out[0].reject, tc["reject"].as_bool().unwrap(), "{tc}");
    }
}

#[test]
fn log_replication() {
    let c = case("replication_and_commit", "TestLogReplication");
    let cases = c["cases"].as_array().unwrap();
    let mut net = Net::of(3, TEST);
    net.hup(1);
    net.prop(1);
    for id in 1..=3 {
        assert_eq!(net.get(id).commit, cases[0]["all_nodes_committed"].as_u64().unwrap());
    }
    let mut net = Net::of(3, TEST);
    net.hup(1);
    net.prop(1);
    net.hup(2);
    net.prop(2);
    for id in 1..=3 {
        assert_eq!(net.get(id).commit, cases[1]["all_nodes_committed"].as_u64().unwrap());
    }
}

#[test]
fn cannot_commit_without_new_term_entry_and_commit_with_one() {
    for recover_plainly in [false, true] {
        let mut net = Net::of(5, TEST);
        net.hup(1);
        net.cut(1, 3);
        net.cut(1, 4);
        net.cut(1, 5);
        net.prop(1);
        net.prop(1);
        assert_eq!(net.get(1).commit, 1);
        net.recover();
        if !recover_plainly {
            net.ignored.insert(MsgType::App as u8);
        }
        net.hup(2);
        if recover_plainly {
            let want =
                case("replication_and_commit", "TestCommitWithoutNewTermEntry")["expected_committed"].as_u64().unwrap();
            assert_eq!(net.get(1).commit, want);
            continue;
        }
        assert_eq!(net.get(2).commit, 1);
        net.recover();
        net.send(msg(MsgType::Beat, 2, 2, 0));
        net.prop(2);
        let want = case("replication_and_commit", "TestCannotCommitWithoutNewTermEntry")["expected_committed_after"]
            .as_u64()
            .unwrap();
        assert_eq!(net.get(2).commit, want);
    }
}

#[test]
fn quorum_majority_commit() {
    for tc in case("replication_and_commit", "quorum_majority_commit")["cases"].as_array().unwrap() {
        let acked: Vec<u64> = tc["idx"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap_or(0)).collect();
        assert_eq!(committed_index(&acked), tc["committed"].as_u64().unwrap(), "{tc}");
    }
}

/// Not from the vectors: ReadIndex (etcd's linearizable reads). A follower's read is answered
/// with the leader's commit index after a heartbeat quorum; a leader cut off from the quorum
/// cannot answer at all, so a stale leader never serves a stale read.
#[test]
fn read_index_needs_a_quorum() {
    let mut net = Net::of(3, TEST);
    net.hup(1);
    net.prop(1);
    let commit = net.get(1).commit;
    // From a follower: forwarded to the leader, confirmed, answered.
    let mut m = msg(MsgType::ReadIndex, 2, 1, 0);
    m.context = 8;
    net.send(m);
    assert_eq!(net.peers[1].as_mut().unwrap().read_states, vec![(8, commit)]);
    // A leader without its quorum stays silent.
    net.cut(1, 2);
    net.cut(1, 3);
    let mut m = msg(MsgType::ReadIndex, 1, 1, 0);
    m.context = 9;
    net.send(m);
    assert!(net.get(1).read_states.is_empty());
    net.recover();
    let mut m = msg(MsgType::ReadIndex, 1, 1, 0);
    m.context = 10;
    net.send(m);
    let states: Vec<u64> = net.get(1).read_states.iter().map(|s| s.0).collect();
    assert!(states.contains(&10), "{states:?}");
}

/// etcd's size limits (MaxSizePerMsg, MaxCommittedSizePerReady), here 2,500 bytes: a leader
/// holding five entries of 1,000 bytes sends a follower that caught up two, two and one per
/// append, and hands them to apply in batches that fit too (the leader's empty entry weighs
/// nothing); every batch has at least one entry, whatever its size.
#[test]
fn appends_and_applies_are_bounded_in_bytes() {
    let cfg = Config { max_size_per_msg: 2_500, max_committed_size_per_ready: 2_500, ..TEST };
    let mut r = node_cfg(1, 3, cfg);
    elect(&mut r);
    persist(&mut r);
    for _ in 0..5 {
        r.propose("x".repeat(1_000));
    }
    persist(&mut r);
    r.take_msgs();
    // Follower 2 acknowledges the empty entry: it replicates from index 2 on.
    let mut ack = msg(MsgType::AppResp, 2, 1, r.term);
    ack.index = 1;
    let sent: Vec<Vec<u64>> = step(&mut r, ack)
        .into_iter()
        .filter(|m| m.type_ == MsgType::App && m.to == 1)
        .map(|m| m.entries.iter().map(|e| e.index).collect())
        .filter(|e: &Vec<u64>| !e.is_empty())
        .collect();
    assert_eq!(sent, [vec![2, 3], vec![4, 5], vec![6]]);

    let mut ack = msg(MsgType::AppResp, 2, 1, r.term);
    ack.index = 6;
    step(&mut r, ack);
    assert_eq!(r.commit, 6);
    let mut batches = vec![];
    while r.has_committed_to_apply() {
        batches.push(r.committed_to_apply().iter().map(|e| e.index).collect::<Vec<_>>());
    }
    assert_eq!(batches, [vec![1, 2, 3], vec![4, 5], vec![6]]);

    let one = Config { max_size_per_msg: 10, max_committed_size_per_ready: 10, ..TEST };
    let mut r = node_cfg(1, 1, one);
    elect(&mut r);
    r.propose("x".repeat(1_000));
    persist(&mut r);
    assert_eq!(r.committed_to_apply().len(), 1);
    assert_eq!(r.committed_to_apply().len(), 1, "an entry over the limit still goes alone");
    assert!(!r.has_committed_to_apply());
}
