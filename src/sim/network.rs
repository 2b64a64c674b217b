//! The simulated network between hosts: latency by link class with seeded jitter, loss and
//! partitions. Every message crosses it, so every hop can be delayed, dropped or cut.

use super::event::ComponentId;
use super::rng::{Draw, SimRng};
use crate::sim::vecmap::VecMap;
use serde::{Deserialize, Serialize};

/// A latency distribution: a base plus uniform jitter, in microseconds.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Latency {
    pub base_us: u64,
    pub jitter_us: u64,
}

impl Latency {
    fn sample(self, rng: &mut SimRng) -> u64 {
        self.base_us + rng.below(self.jitter_us + 1)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NetworkConfig {
    /// Between two processes on one host (loopback).
    pub loopback: Latency,
    /// Between hosts in the cluster's data centre network.
    pub cluster: Latency,
    /// From the user's laptop to the cluster's API endpoint.
    pub client: Latency,
    /// Probability that one message is lost.
    pub loss: f64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            loopback: Latency { base_us: 30, jitter_us: 20 },
            cluster: Latency { base_us: 250, jitter_us: 250 },
            client: Latency { base_us: 8_000, jitter_us: 4_000 },
            loss: 0.0,
        }
    }
}

/// Misbehaviour injected on every link between different hosts, for fault experiments.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Chaos {
    /// Probability that a message is dropped.
    pub drop: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
    /// Probability that a message is held back up to `reorder_us` and may overtake others.
    pub reorder: f64,
    pub reorder_us: u64,
}

/// A one-shot fault for the next message on one link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkFault {
    Drop,
    /// Hold it back this long; later messages overtake it (a reorder).
    Delay(u64),
    Duplicate,
}

#[derive(Clone, Debug)]
pub struct Network {
    pub config: NetworkConfig,
    /// Host of each component, indexed by ComponentId. The user's client is on host 0.
    hosts: Vec<u32>,
    /// Cut host pairs, stored with the smaller host first.
    partitions: crate::sim::vecmap::VecSet<(u32, u32)>,
    pub chaos: Chaos,
    /// What happens to the next message on a link (an operator's targeted fault).
    next_on_link: VecMap<(ComponentId, ComponentId), LinkFault>,
    rng: SimRng,
}

/// Where a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transit {
    /// Delivered after `after_us`; `in_order` unless reordering was injected; `copy_after_us`
    /// when a duplicate follows.
    Arrives {
        after_us: u64,
        in_order: bool,
        copy_after_us: Option<u64>,
    },
    Lost,
    Partitioned,
}

pub const CLIENT_HOST: u32 = 0;

impl Network {
    pub fn new(config: NetworkConfig, rng: SimRng) -> Self {
        Network {
            config,
            hosts: Vec::new(),
            partitions: crate::sim::vecmap::VecSet::new(),
            chaos: Chaos::default(),
            next_on_link: VecMap::new(),
            rng,
        }
    }

    pub fn place(&mut self, id: ComponentId, host: u32) {
        let idx = id as usize;
        if self.hosts.len() <= idx {
            self.hosts.resize(idx + 1, CLIENT_HOST);
        }
        self.hosts[idx] = host;
    }

    pub fn host_of(&self, id: ComponentId) -> u32 {
        self.hosts.get(id as usize).copied().unwrap_or(CLIENT_HOST)
    }

    pub fn partition(&mut self, a: u32, b: u32) {
        self.partitions.insert((a.min(b), a.max(b)));
    }

    pub fn heal(&mut self) {
        self.partitions.clear();
    }

    pub fn is_cut(&self, a: u32, b: u32) -> bool {
        self.partitions.contains(&(a.min(b), a.max(b)))
    }

    /// Applies `fault` to the next message sent from `from` to `to`.
    pub fn fault_next(&mut self, from: ComponentId, to: ComponentId, fault: LinkFault) {
        self.next_on_link.insert((from, to), fault);
    }

    pub fn transit(&mut self, from: ComponentId, to: ComponentId) -> Transit {
        let one_shot = self.next_on_link.remove(&(from, to));
        if one_shot == Some(LinkFault::Drop) {
            return Transit::Lost;
        }
        let (a, b) = (self.host_of(from), self.host_of(to));
        if a != b && self.partitions.contains(&(a.min(b), a.max(b))) {
            return Transit::Partitioned;
        }
        let latency = if a == b {
            self.config.loopback
        } else if a == CLIENT_HOST || b == CLIENT_HOST {
            self.config.client
        } else {
            self.config.cluster
        };
        let remote = a != b;
        if remote && self.config.loss > 0.0 && self.rng.chance(self.config.loss) {
            return Transit::Lost;
        }
        let chaos = self.chaos;
        if remote && chaos.drop > 0.0 && self.rng.chance(chaos.drop) {
            return Transit::Lost;
        }
        let mut after_us = latency.sample(&mut self.rng);
        let reordered = remote && chaos.reorder > 0.0 && self.rng.chance(chaos.reorder);
        if reordered {
            after_us += self.rng.below(chaos.reorder_us + 1);
        }
        let mut copy_after_us = (remote && chaos.duplicate > 0.0 && self.rng.chance(chaos.duplicate))
            .then(|| after_us + latency.sample(&mut self.rng));
        match one_shot {
            Some(LinkFault::Delay(us)) => {
                return Transit::Arrives { after_us: after_us + us, in_order: false, copy_after_us };
            }
            Some(LinkFault::Duplicate) => copy_after_us = Some(after_us + latency.sample(&mut self.rng)),
            _ => {}
        }
        Transit::Arrives { after_us, in_order: !reordered, copy_after_us }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::fork;

    #[test]
    fn partitions_cut_both_directions_and_heal() {
        let mut n = Network::new(NetworkConfig::default(), fork(1, "net"));
        n.place(1, 1);
        n.place(2, 2);
        n.partition(2, 1);
        assert_eq!(n.transit(1, 2), Transit::Partitioned);
        assert_eq!(n.transit(2, 1), Transit::Partitioned);
        n.heal();
        assert!(matches!(n.transit(1, 2), Transit::Arrives { .. }));
    }

    #[test]
    fn one_shot_link_faults_hit_exactly_the_next_message() {
        let mut n = Network::new(NetworkConfig::default(), fork(1, "net"));
        n.place(1, 1);
        n.place(2, 2);
        n.fault_next(1, 2, LinkFault::Drop);
        assert!(matches!(n.transit(2, 1), Transit::Arrives { .. }), "the other direction is untouched");
        assert_eq!(n.transit(1, 2), Transit::Lost);
        assert!(matches!(n.transit(1, 2), Transit::Arrives { copy_after_us: None, in_order: true, .. }));
        n.fault_next(1, 2, LinkFault::Duplicate);
        assert!(matches!(n.transit(1, 2), Transit::Arrives { copy_after_us: Some(_), .. }));
        n.fault_next(1, 2, LinkFault::Delay(500_000));
        let Transit::Arrives { after_us, in_order, .. } = n.transit(1, 2) else { panic!() };
        assert!(after_us >= 500_000 && !in_order, "held back and free to be overtaken");
    }

    #[test]
    fn loopback_is_faster_than_the_cluster_network() {
        let mut n = Network::new(NetworkConfig::default(), fork(1, "net"));
        n.place(1, 1);
        n.place(2, 1);
        n.place(3, 2);
        let Transit::Arrives { after_us: local, .. } = n.transit(1, 2) else { panic!() };
        let Transit::Arrives { after_us: remote, .. } = n.transit(1, 3) else { panic!() };
        assert!(local < remote);
    }
}
