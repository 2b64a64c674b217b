//! The Raft safety checker: an etcd cluster alone with a client that keeps writing, under a
//! seeded random schedule of faults (crash/restart, partitions, dropped, duplicated and
//! reordered messages, slow disks). After every event it checks election safety, log
//! matching and state-machine safety (committed entries never differ), leader completeness,
//! and at the end that every acknowledged write is in every member's store and that the
//! healed cluster serves writes again.

use super::raft::Role;
use super::{Compare, EtcdMember, EtcdOp, EtcdResult, Mvcc, RaftTiming, Txn, TxnAction};
use crate::sim::api::{Namespace, Object, ObjectMeta};
use crate::sim::component::{Component, ComponentInfo, Role as CompRole};
use crate::sim::event::{ComponentId, Message, MsgKind, Payload, Timer};
use crate::sim::network::{Chaos, Network, NetworkConfig};
use crate::sim::rng::{fork, Draw, SimRng};
use crate::sim::time::{SimTime, MILLIS, SECONDS};
use crate::sim::{Ctx, Simulation};
use std::collections::{BTreeMap, BTreeSet};

/// Kinds of fault the schedule may inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Crash,
    Partition,
    Drop,
    Dup,
    Reorder,
    SlowDisk,
}

impl Fault {
    pub const ALL: [Fault; 6] =
        [Fault::Crash, Fault::Partition, Fault::Drop, Fault::Dup, Fault::Reorder, Fault::SlowDisk];

    pub fn parse(s: &str) -> Result<Fault, String> {
        Ok(match s {
            "crash" => Fault::Crash,
            "partition" => Fault::Partition,
            "drop" => Fault::Drop,
            "dup" => Fault::Dup,
            "reorder" => Fault::Reorder,
            "slowdisk" => Fault::SlowDisk,
            other => return Err(format!("unknown fault \"{other}\" (crash, partition, drop, dup, reorder, slowdisk)")),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Fault::Crash => "crash",
            Fault::Partition => "partition",
            Fault::Drop => "drop",
            Fault::Dup => "dup",
            Fault::Reorder => "reorder",
            Fault::SlowDisk => "slowdisk",
        }
    }
}

/// Keeps writing keys `/check/N` to the members in turn; a write is acknowledged when a member
/// answers its transaction.
#[derive(Clone, Debug)]
pub struct KvClient {
    members: Vec<ComponentId>,
    next: u64,
    pending: BTreeMap<u64, (u64, SimTime)>,
    pub acked: BTreeSet<u64>,
    pub last_ack: Option<SimTime>,
    pub every_us: u64,
    rng: SimRng,
}

/// A client gives up on a request after this long and tries the next member.
const CLIENT_TIMEOUT_US: u64 = 1_000 * MILLIS;

impl KvClient {
    pub fn new(members: Vec<ComponentId>, every_us: u64, rng: SimRng) -> Self {
        KvClient { members, next: 1, pending: BTreeMap::new(), acked: BTreeSet::new(), last_ack: None, every_us, rng }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if !matches!(timer, Timer::Start | Timer::Work) {
            return;
        }
        self.pending.retain(|_, (_, sent)| ctx.now.since(*sent) < CLIENT_TIMEOUT_US);
        let n = self.next;
        self.next += 1;
        let to = self.members[self.rng.below(self.members.len() as u64) as usize];
        let key = format!("/check/{n}");
        let obj =
            Object::Namespace(Namespace { metadata: ObjectMeta::named("", &format!("w{n}")), ..Default::default() });
        let op = EtcdOp::Txn(Txn {
            key: key.as_str().into(),
            compare: Compare::Absent,
            action: TxnAction::Put(crate::sim::storage::encode(&obj)),
            lease: 0,
        });
        self.pending.insert(n, (n, ctx.now));
        ctx.send(to, MsgKind::EtcdGrpc, format!("Txn {key}"), Payload::Etcd { req_id: n, op: Box::new(op) });
        ctx.timer(self.every_us, Timer::Work);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if let Payload::EtcdResp { req_id, result } = msg.payload {
            if let (Some((n, _)), EtcdResult::Txn(_)) = (self.pending.remove(&req_id), *result) {
                self.acked.insert(n);
                self.last_ack = Some(ctx.now);
            }
        }
    }
}

/// An etcd cluster of `members` with a writing client; the client is the last component.
pub fn build(members: usize, seed: u64, timing: RaftTiming, fsync_us: u64) -> Simulation {
    let mut network = Network::new(NetworkConfig::default(), fork(seed, "network"));
    let peers: Vec<ComponentId> = (0..members as ComponentId).collect();
    let mut components = Vec::new();
    let mut infos = Vec::new();
    let store = Mvcc::default();
    for i in 0..members {
        let name = format!("etcd-{i}");
        let mut m = EtcdMember::new(i, peers.clone(), timing, fsync_us, fork(seed, &name), &store);
        // Snapshot often, so that compaction and MsgSnap are exercised under faults too.
        m.snapshot_count = 100;
        network.place(i as ComponentId, 1 + i as u32);
        components.push(Component::Etcd(Box::new(m)));
        infos.push(ComponentInfo {
            name,
            role: CompRole::Etcd,
            host: 1 + i as u32,
            node: String::new(),
            start_at: Default::default(),
        });
    }
    let client = members as ComponentId;
    network.place(client, 100);
    components.push(Component::KvClient(Box::new(KvClient::new(peers, 20 * MILLIS, fork(seed, "client")))));
    infos.push(ComponentInfo {
        name: "etcd-client".into(),
        role: CompRole::User,
        host: 100,
        node: String::new(),
        start_at: Default::default(),
    });
    Simulation::from_parts(seed, network, components, infos)
}

#[derive(Clone, Debug, Default)]
pub struct CheckResult {
    pub violations: Vec<String>,
    /// Leaderless intervals that ended with a new leader, in µs.
    pub elections_us: Vec<u64>,
    pub acked_writes: usize,
}

/// Watches a run for safety violations; `observe` after every step.
#[derive(Default)]
pub struct Audit {
    leaders: BTreeMap<u64, usize>,
    /// The committed log as first observed: index → (term, key).
    committed: BTreeMap<u64, (u64, Option<String>)>,
    was_leader: Vec<bool>,
    /// Per member, the committed index already compared with `committed`.
    checked: Vec<u64>,
    leaderless_since: Option<SimTime>,
    result: CheckResult,
}

impl Audit {
    pub fn violations(&self) -> &[String] {
        &self.result.violations
    }

    pub fn observe(&mut self, sim: &Simulation) {
        let now = sim.now();
        let ms = sim.etcd_members().collect::<Vec<_>>();
        if self.was_leader.is_empty() {
            self.was_leader = vec![false; ms.len()];
            self.checked = vec![0; ms.len()];
        }
        let mut has_leader = false;
        for m in &ms {
            let r = &m.raft;
            // Election safety.
            if r.role == Role::Leader {
                if let Some(other) = self.leaders.insert(r.term, r.id) {
                    if other != r.id {
                        self.violate(now, format!("two leaders in term {}: etcd-{other} and etcd-{}", r.term, r.id));
                    }
                }
                has_leader |= m.up && ms.iter().filter(|o| o.up && o.raft.term <= r.term).count() * 2 > ms.len();
            }
            // State machine safety and log matching: committed entries never change.
            let upto = r.commit.min(r.last_index());
            // Entries at or below the log's offset live in the snapshot (log[0] is a placeholder).
            for i in (self.checked[r.id] + 1).max(r.offset() + 1)..=upto {
                let Some(e) = r.entry(i) else { break };
                let here = (e.term, e.data.as_ref().and_then(|p| p.op.key().map(str::to_string)));
                match self.committed.get(&i) {
                    Some(seen) if *seen != here => {
                        let msg = format!(
                            "etcd-{} committed {:?} at index {i}, but {:?} was committed there",
                            r.id, here, seen
                        );
                        self.violate(now, msg);
                        break;
                    }
                    Some(_) => {}
                    None => {
                        self.committed.insert(i, here);
                    }
                }
            }
            self.checked[r.id] = self.checked[r.id].max(upto);
            // Leader completeness: a new leader holds every committed entry.
            let leader_now = r.role == Role::Leader;
            if leader_now && !self.was_leader[r.id] {
                for (&i, seen) in self.committed.range(r.offset() + 1..) {
                    let e = r.entry(i);
                    if e.map(|e| (e.term, e.data.as_ref().and_then(|p| p.op.key().map(str::to_string))))
                        != Some(seen.clone())
                    {
                        self.violate(now, format!("leader etcd-{} of term {} lacks committed entry {i}", r.id, r.term));
                        break;
                    }
                }
            }
            self.was_leader[r.id] = leader_now;
        }
        match (has_leader, self.leaderless_since) {
            (false, None) => self.leaderless_since = Some(now),
            (true, Some(since)) => {
                self.result.elections_us.push(now.since(since));
                self.leaderless_since = None;
            }
            _ => {}
        }
    }

    fn violate(&mut self, at: SimTime, what: String) {
        if self.result.violations.len() < 5 {
            self.result.violations.push(format!("t={at}: {what}"));
        }
    }
}

/// Runs one seed: faults for `fault_s` seconds, then heal everything and check that service
/// comes back and no acknowledged write was lost.
pub fn check_seed(members_n: usize, seed: u64, faults: &[Fault], timing: RaftTiming, fault_s: u64) -> CheckResult {
    let mut sim = build(members_n, seed, timing, 500);
    sim.trace.set_recording(false);
    let mut rng = fork(seed, "fault-schedule");
    let mut checker = Audit::default();
    let fault_end = SimTime::from_secs(fault_s);
    let mut next_fault = SimTime::from_millis(rng.between(300, 1500));
    // Pending recoveries: (time, what).
    let mut recoveries: Vec<(SimTime, Recovery)> = Vec::new();
    let end = fault_end.plus(10 * SECONDS);
    while sim.now() < end {
        if sim.now() >= next_fault && sim.now() < fault_end && !faults.is_empty() {
            let f = faults[rng.below(faults.len() as u64) as usize];
            inject(&mut sim, &mut rng, f, members_n, &mut recoveries);
            next_fault = sim.now().plus(rng.between(200, 1500) * MILLIS);
        }
        if sim.now() >= fault_end {
            heal_all(&mut sim, members_n, &mut recoveries);
        }
        recoveries.sort_by_key(|(t, _)| *t);
        while recoveries.first().is_some_and(|(t, _)| *t <= sim.now()) {
            let (_, r) = recoveries.remove(0);
            recover(&mut sim, r);
        }
        if !sim.step() {
            break;
        }
        checker.observe(&sim);
    }
    finish(&sim, &mut checker, fault_end);
    checker.result
}

#[derive(Clone, Copy, Debug)]
enum Recovery {
    Restart(ComponentId),
    Heal,
    Calm,
    Disk(ComponentId),
}

fn inject(sim: &mut Simulation, rng: &mut SimRng, f: Fault, n: usize, recoveries: &mut Vec<(SimTime, Recovery)>) {
    let now = sim.now();
    let later = |rng: &mut SimRng, lo: u64, hi: u64| now.plus(rng.between(lo, hi) * MILLIS);
    match f {
        Fault::Crash => {
            let id = rng.below(n as u64) as ComponentId;
            if sim.crash(id) {
                recoveries.push((later(rng, 100, 3000), Recovery::Restart(id)));
            }
        }
        Fault::Partition => {
            // Split the members into two random groups (the client stays reachable by all).
            let side: Vec<bool> = (0..n).map(|_| rng.chance(0.5)).collect();
            for a in 0..n {
                for b in 0..n {
                    if a < b && side[a] != side[b] {
                        sim.network.partition(1 + a as u32, 1 + b as u32);
                    }
                }
            }
            recoveries.push((later(rng, 300, 3000), Recovery::Heal));
        }
        Fault::Drop | Fault::Dup | Fault::Reorder => {
            let c = &mut sim.network.chaos;
            match f {
                Fault::Drop => c.drop = 0.05 + rng.below(20) as f64 / 100.0,
                Fault::Dup => c.duplicate = 0.05 + rng.below(20) as f64 / 100.0,
                _ => {
                    c.reorder = 0.1 + rng.below(30) as f64 / 100.0;
                    c.reorder_us = rng.between(1, 50) * MILLIS;
                }
            }
            recoveries.push((later(rng, 300, 3000), Recovery::Calm));
        }
        Fault::SlowDisk => {
            let id = rng.below(n as u64) as ComponentId;
            if let Some(Component::Etcd(m)) = sim.components.get_mut(id as usize) {
                m.fsync_us = rng.between(10, 150) * MILLIS;
            }
            recoveries.push((later(rng, 300, 3000), Recovery::Disk(id)));
        }
    }
}

fn recover(sim: &mut Simulation, r: Recovery) {
    match r {
        Recovery::Restart(id) => sim.restart(id),
        Recovery::Heal => sim.network.heal(),
        Recovery::Calm => sim.network.chaos = Chaos::default(),
        Recovery::Disk(id) => {
            if let Some(Component::Etcd(m)) = sim.components.get_mut(id as usize) {
                m.fsync_us = 500;
            }
        }
    }
}

fn heal_all(sim: &mut Simulation, n: usize, recoveries: &mut Vec<(SimTime, Recovery)>) {
    if recoveries.is_empty() && sim.network.chaos == Chaos::default() {
        return;
    }
    for (_, r) in std::mem::take(recoveries) {
        recover(sim, r);
    }
    sim.network.heal();
    sim.network.chaos = Chaos::default();
    for id in 0..n as ComponentId {
        if matches!(sim.components.get(id as usize), Some(Component::Etcd(m)) if !m.up) {
            sim.restart(id);
        }
    }
}

fn finish(sim: &Simulation, checker: &mut Audit, fault_end: SimTime) {
    let ms = sim.etcd_members().collect::<Vec<_>>();
    let Some(Component::KvClient(client)) = sim.components.last() else { return };
    checker.result.acked_writes = client.acked.len();
    // Service is back: writes were acknowledged after the faults ended.
    if client.last_ack.is_none_or(|t| t <= fault_end.plus(SECONDS)) {
        checker.violate(sim.now(), "no write acknowledged in the 10 s after all faults healed".into());
    }
    // No acknowledged write is lost: every member's store has every acknowledged key.
    for m in &ms {
        if let Some(missing) = client.acked.iter().find(|n| m.mvcc.get(&format!("/check/{n}")).is_none()) {
            let why = format!("acknowledged write /check/{missing} is missing from etcd-{}'s store", m.raft.id);
            checker.violate(sim.now(), why);
            break;
        }
    }
}
