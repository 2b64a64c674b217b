//! CNI IPAM (the host-local plugin's role): hands out pod IPs from the node's podCIDR, a /24
//! of the cluster's pod subnet (see `sim::addressing`). .0 is the network, .1 the bridge gateway.

use crate::sim::addressing::ip;

#[derive(Clone, Debug)]
pub struct Ipam {
    /// The network address of the node's /24.
    network: u32,
    used: crate::sim::vecmap::VecSet<u8>,
}

impl Ipam {
    pub fn new(network: u32) -> Self {
        Ipam { network, used: crate::sim::vecmap::VecSet::new() }
    }

    pub fn pod_cidr(&self) -> String {
        format!("{}/24", ip(self.network))
    }

    /// CNI ADD: the lowest free address from .2 to .254.
    pub fn allocate(&mut self) -> Option<String> {
        let host = (2..=254u8).find(|h| !self.used.contains(h))?;
        self.used.insert(host);
        Some(ip(self.network + u32::from(host)))
    }

    /// CNI DEL: returns the address to the pool.
    pub fn release(&mut self, ip: &str) {
        if let Some(host) = ip.rsplit('.').next().and_then(|h| h.parse::<u8>().ok()) {
            self.used.remove(&host);
        }
    }

    pub fn in_use(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_unique_addresses_and_reuses_released_ones() {
        let mut ipam = Ipam::new(u32::from(std::net::Ipv4Addr::new(10, 244, 1, 0)));
        assert_eq!(ipam.pod_cidr(), "10.244.1.0/24");
        let a = ipam.allocate().unwrap();
        let b = ipam.allocate().unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("10.244.1.2", "10.244.1.3"));
        ipam.release(&a);
        assert_eq!(ipam.allocate().as_deref(), Some("10.244.1.2"));
        for _ in 0..251 {
            ipam.allocate();
        }
        assert_eq!(ipam.allocate(), None, "a /24 holds 253 pods");
    }
}
