//! Cluster addressing: the nodes' InternalIPs in the machines' network and each node's podCIDR,
//! a /24 (kube-controller-manager --node-cidr-mask-size=24) carved in order from the cluster's
//! pod subnet (kubeadm's networking.podSubnet, --cluster-cidr).

use std::net::Ipv4Addr;

/// kubeadm's pod subnet as flannel's manifest expects it; 256 nodes at most.
pub const DEFAULT_POD_SUBNET: &str = "10.244.0.0/16";
/// The per-node mask (--node-cidr-mask-size).
const NODE_MASK: u32 = 24;

/// A parsed IPv4 CIDR.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cidr {
    pub base: u32,
    pub prefix: u32,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || format!("invalid CIDR address: {text}");
        let (ip, prefix) = text.split_once('/').ok_or_else(bad)?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| bad())?;
        let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 32).ok_or_else(bad)?;
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        Ok(Cidr { base: u32::from(ip) & mask, prefix })
    }

    /// How many node /24s the subnet holds.
    pub fn node_cidrs(&self) -> u64 {
        if self.prefix > NODE_MASK {
            0
        } else {
            1u64 << (NODE_MASK - self.prefix)
        }
    }

    /// Whether the address `ip` (dotted quad) lies in this network.
    pub fn contains(&self, ip: &str) -> bool {
        let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) };
        ip.parse::<Ipv4Addr>().is_ok_and(|a| u32::from(a) & mask == self.base)
    }

    /// The network address of node `index`'s /24.
    pub fn node_network(&self, index: u32) -> u32 {
        self.base + (index << (32 - NODE_MASK))
    }
}

pub fn ip(addr: u32) -> String {
    Ipv4Addr::from(addr).to_string()
}

/// The address of an external etcd member with Raft id `id`, in 10.0.1.0/24: the main
/// cluster's from .0, the separate events etcd's from .16.
pub fn etcd_member_ip(id: usize, events: bool) -> String {
    format!("10.0.1.{}", id + if events { 16 } else { 0 })
}

/// The address of control-plane machine `r` (2, 3, …: an HA control plane's other machines,
/// with their kube-apiserver), in 10.0.1.0/24 beside the external etcd members.
pub fn control_plane_machine_ip(r: usize) -> String {
    format!("10.0.1.{}", 32 + r)
}

/// Node `index`'s InternalIP (0 is the control plane, 10.0.0.10): counting up in 10.0.0.0/16,
/// stepping over 10.0.1.0/24 where the external etcd members live.
pub fn node_ip(index: u32) -> String {
    let n = 10 + index;
    let n = if n >= 256 { n + 256 } else { n };
    ip(u32::from(Ipv4Addr::new(10, 0, 0, 0)) + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_cidrs_and_addresses() {
        let c = Cidr::parse(DEFAULT_POD_SUBNET).unwrap();
        assert_eq!(c.node_cidrs(), 256);
        assert_eq!(ip(c.node_network(3)), "10.244.3.0");
        let big = Cidr::parse("10.128.0.0/9").unwrap();
        assert_eq!(big.node_cidrs(), 32768);
        assert_eq!(ip(big.node_network(7500)), "10.157.76.0");
        assert_eq!(
            (node_ip(0).as_str(), node_ip(245).as_str(), node_ip(246).as_str()),
            ("10.0.0.10", "10.0.0.255", "10.0.2.0")
        );
        assert_eq!(Cidr::parse("10.244.0.0").unwrap_err(), "invalid CIDR address: 10.244.0.0");
        assert!(Cidr::parse("10.300.0.0/16").is_err() && Cidr::parse("10.0.0.0/33").is_err());
    }
}
