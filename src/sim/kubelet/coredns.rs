//! CoreDNS, the cluster DNS add-on kubeadm installs (Deployment `coredns`, Service `kube-dns`
//! at 10.96.0.10): its `kubernetes` plugin lists and watches Services through the apiserver
//! with the pod's ServiceAccount and answers A queries for `<service>.<namespace>.svc.cluster.local`
//! with the ClusterIP. A pod's resolv.conf searches `<namespace>.svc.cluster.local`,
//! `svc.cluster.local` and `cluster.local` (ndots:5), so `web` in namespace default asks for
//! `web.default.svc.cluster.local`. Not modelled: headless Services' pod records, SRV and PTR
//! records, the cache and forward plugins (names outside the cluster are NXDOMAIN).

use super::program::{Core, Seen, Server};
use crate::sim::api::meta::cache_key;
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::Object;
use crate::sim::event::{Message, Timer};
use crate::sim::Ctx;

/// The program name in the image reference.
pub const PROGRAM: &str = "coredns";
/// The kube-dns Service's ClusterIP: the kubelet's clusterDNS, every pod's nameserver.
pub const CLUSTER_DNS: &str = "10.96.0.10";
const DOMAIN: &str = "cluster.local";

#[derive(Clone, Debug)]
pub struct CoreDns {
    pub core: Core,
}

impl CoreDns {
    pub fn start(ctx: &mut Ctx, pod_key: &str, apiserver: Server, token: String, slot: u8) -> Self {
        let resources = [ResourceInfo::of("services")];
        CoreDns { core: Core::start(ctx, PROGRAM, pod_key, apiserver, token, slot, &resources) }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: &Timer) {
        self.core.on_timer(ctx, timer);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        // The answers read the informer's store; nothing to reconcile.
        let _: Seen = self.core.on_message(ctx, msg);
    }

    /// The A record for `name` asked from a pod in `namespace`, through its search list.
    pub fn resolve(&self, name: &str, namespace: &str) -> Option<String> {
        let name = name.trim_end_matches('.');
        let search = [format!("{namespace}.svc.{DOMAIN}"), format!("svc.{DOMAIN}"), DOMAIN.to_string()];
        // ndots:5: a name with fewer dots tries the search list first, then itself.
        let mut candidates: Vec<String> = search.iter().map(|s| format!("{name}.{s}")).collect();
        candidates.push(name.to_string());
        let services = self.core.store("services")?;
        candidates.iter().find_map(|fqdn| {
            let rest = fqdn.strip_suffix(&format!(".svc.{DOMAIN}"))?;
            let (service, ns) = rest.split_once('.')?;
            match services.get(&cache_key(ns, service))? {
                Object::Service(s) if !s.spec.cluster_ip.is_empty() && s.spec.cluster_ip != "None" => {
                    Some(s.spec.cluster_ip.clone())
                }
                _ => None,
            }
        })
    }
}
