//! CNI IPAM (the host-local plugin's role): hands out pod IPs from the node's podCIDR, a /24
//! carved from the cluster CIDR 10.244.0.0/16. .0 is the network, .1 the bridge gateway.

#[derive(Clone, Debug)]
pub struct Ipam {
    /// The first three octets of the node's /24.
    prefix: [u8; 3],
    used: crate::sim::vecmap::VecSet<u8>,
}

impl Ipam {
    pub fn new(node_index: u8) -> Self {
        Ipam { prefix: [10, 244, node_index], used: crate::sim::vecmap::VecSet::new() }
    }

    pub fn pod_cidr(&self) -> String {
        format!("{}.{}.{}.0/24", self.prefix[0], self.prefix[1], self.prefix[2])
    }

    /// CNI ADD: the lowest free address from .2 to .254.
    pub fn allocate(&mut self) -> Option<String> {
        let host = (2..=254u8).find(|h| !self.used.contains(h))?;
        self.used.insert(host);
        Some(format!("{}.{}.{}.{host}", self.prefix[0], self.prefix[1], self.prefix[2]))
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
        let mut ipam = Ipam::new(1);
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
