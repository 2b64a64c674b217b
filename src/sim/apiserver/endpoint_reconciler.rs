//! The master endpoint reconciler (pkg/controlplane/reconcilers, `--endpoint-reconciler-type=
//! lease`, the default): every 10 s each kube-apiserver renews its master lease — the key
//! `/registry/masterleases/<its address>` on a 15 s etcd lease — and sets the `kubernetes`
//! Service's Endpoints and EndpointSlice to the addresses of every master lease that has not
//! expired. An apiserver that dies drops out of them within 15 s, once its lease runs out and
//! another apiserver reconciles.

use super::*;
use crate::sim::api::{Endpoint, EndpointAddress, EndpointSubset, Endpoints, ObjectMeta};

/// --endpoint-reconciler's interval and the master lease's TTL (DefaultEndpointReconcilerTTL).
const INTERVAL_US: u64 = 10 * super::super::time::SECONDS;
const MASTER_LEASE_TTL_S: i64 = 15;
const MASTER_LEASES: &str = "/registry/masterleases/";

impl ApiServer {
    /// One round: a lease for this apiserver's key first; the rest follows its grant.
    pub(super) fn reconcile_endpoints(&mut self, ctx: &mut Ctx) {
        ctx.timer(INTERVAL_US, Timer::ReconcileEndpoints);
        if !self.ready {
            return;
        }
        let label = format!("LeaseGrant (master lease, TTL {MASTER_LEASE_TTL_S} s)");
        self.etcd_call(ctx, 0, EtcdOp::LeaseGrant { ttl_s: MASTER_LEASE_TTL_S }, EtcdWait::MasterLease, label);
    }

    /// The lease is granted: renew this apiserver's master lease on it, and point the
    /// `kubernetes` Service at every apiserver that holds one.
    pub(super) fn master_lease_granted(&mut self, ctx: &mut Ctx, lease: i64) {
        let ip = self.advertise_address.clone();
        let key = format!("{MASTER_LEASES}{ip}");
        let mine = Endpoints { metadata: ObjectMeta::named("", &ip), subsets: vec![subset(&[ip.as_str()])] };
        self.put(ctx, key, Object::Endpoints(mine), lease, "renew master lease");
        let mut ips: Vec<String> = self.cached_under(MASTER_LEASES).map(|o| o.meta().name.clone()).collect();
        if !ips.contains(&ip) {
            ips.push(ip);
        }
        crate::sim::sort::sort_by_key(&mut ips, |ip| ip.parse::<std::net::Ipv4Addr>().ok());
        let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
        let endpoints = ResourceInfo::of("endpoints").key("default", "kubernetes");
        if let Some(Object::Endpoints(ep)) = self.cached_at(&endpoints) {
            let current: Vec<&str> = ep.subsets.iter().flat_map(|s| &s.addresses).map(|a| a.ip.as_str()).collect();
            if current != ips {
                let mut next = ep.clone();
                let ports = ep.subsets.first().map(|s| s.ports.clone()).unwrap_or_default();
                next.subsets = vec![EndpointSubset { ports, ..subset(&ips) }];
                self.put(ctx, endpoints, Object::Endpoints(next), 0, "kubernetes endpoints");
            }
        }
        let slices = ResourceInfo::of("endpointslices").key("default", "kubernetes");
        if let Some(Object::EndpointSlice(slice)) = self.cached_at(&slices) {
            let current: Vec<&str> = slice.endpoints.iter().flat_map(|e| &e.addresses).map(String::as_str).collect();
            if current != ips {
                let mut next = slice.clone();
                let ready = slice.endpoints.first().map(|e| e.conditions.clone()).unwrap_or_default();
                next.endpoints = ips
                    .iter()
                    .map(|ip| Endpoint {
                        addresses: vec![ip.to_string()],
                        conditions: ready.clone(),
                        ..Default::default()
                    })
                    .collect();
                self.put(ctx, slices, Object::EndpointSlice(next), 0, "kubernetes endpointslice");
            }
        }
    }
}

/// One subset with these addresses (ports filled in by the caller where they matter).
fn subset(ips: &[&str]) -> EndpointSubset {
    let addresses = ips.iter().map(|ip| EndpointAddress { ip: ip.to_string(), ..Default::default() }).collect();
    EndpointSubset { addresses, ..Default::default() }
}
