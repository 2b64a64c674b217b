//! Scenario settings in the page's URL fragment:
//! `#members=5&timing=etcd&seed=42&workers=4&encryption=aescbc` (encryption uses a fixed demo
//! key: anyone with the link can decrypt, which is the point of a playground), and for the
//! apiserver lessons `inflight=N` (--max-requests-inflight + --max-mutating-requests-inflight,
//! split 2:1), `anonymous=false` and `list=SECONDS` (informers list periodically instead of
//! watching), `proxy=ipvs` (kube-proxy's mode) with `ipvs-scheduler=lc`, `storage=false`
//! (no CSI driver add-on), `dns=false` (no CoreDNS), `apiservers=N` (an HA control plane of N
//! machines: kube-apiservers behind its load balancer, scheduler and controller-manager
//! replicas electing their leaders), `events-etcd=N` (Events in an etcd cluster of
//! their own, N members).
//! The rest of a link (`#s=`, `#preset=`, `&t=`, the show flags) is read by [`super::link`],
//! which hands the remaining keys here. Unknown keys are ignored; a bad value is an error in
//! plain words and the default is used.

use super::Scenario;

pub fn apply(fragment: &str, mut s: Scenario) -> Result<Scenario, String> {
    for pair in fragment.trim_start_matches('#').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = |max: u64| -> Result<u64, String> {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("invalid link: {key}={value} (expected a number up to {max})"))
        };
        match key {
            "members" => s.cluster.etcd_members = number(7)? as usize,
            "apiservers" => {
                // Each control-plane machine of kubeadm's stacked HA runs an apiserver, a
                // scheduler and a controller-manager.
                s.cluster.apiservers = number(7)? as usize;
                s.cluster.leader_elected_replicas = s.cluster.apiservers;
            }
            "events-etcd" => s.cluster.events_etcd_members = number(7)? as usize,
            "seed" => s.seed = number(u64::MAX)?,
            "timing" => s.cluster.raft_timing = value.to_string(),
            "encryption" => {
                s.cluster.encryption = Some(crate::sim::storage::EncryptionConfig {
                    provider: value.to_string(),
                    resources: vec!["secrets".into()],
                    key_name: "key1".into(),
                    // base64 of 32 bytes: "kube-playground-demo-key-32bytes"
                    secret: "a3ViZS1wbGF5Z3JvdW5kLWRlbW8ta2V5LTMyYnl0ZXM=".into(),
                })
            }
            "inflight" => {
                let n = number(10_000)? as usize;
                if n < 3 {
                    return Err(format!("invalid link: inflight={value} (at least 3)"));
                }
                s.cluster.apiserver.max_mutating_requests_inflight = n / 3;
                s.cluster.apiserver.max_requests_inflight = n - n / 3;
            }
            "anonymous" => s.cluster.apiserver.anonymous_auth = value != "false",
            "list" => s.cluster.informer_list_period_s = number(600)?,
            "workers" => s.cluster.set_workers(number(12)? as usize),
            "proxy" => s.cluster.proxy_mode = value.to_string(),
            "proxy-endpoints" => s.cluster.proxy_endpoints = value.to_string(),
            "kubectl" => s.cluster.kubectl_http = value.to_string(),
            "components-http" => s.cluster.components_http = value.to_string(),
            "ipvs-scheduler" => s.cluster.ipvs_scheduler = value.to_string(),
            "storage" => s.cluster.csi_driver = value != "false",
            "dns" => s.cluster.cluster_dns = value != "false",
            _ => {}
        }
    }
    s.cluster.validate().map_err(|e| format!("invalid link: {e}"))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_set_the_cluster_shape() {
        let s = apply("#members=5&timing=etcd&seed=42&workers=4&embed", Scenario::default()).unwrap();
        assert_eq!(
            (s.cluster.etcd_members, s.cluster.raft_timing.as_str(), s.seed, s.cluster.workers.len()),
            (5, "etcd", 42, 4)
        );
        assert_eq!(s.cluster.workers[3].name, "worker-4");
        let e = apply("#encryption=secretbox", Scenario::default()).unwrap().cluster.encryption.unwrap();
        assert_eq!((e.provider.as_str(), e.validate().map(|k| k.len())), ("secretbox", Ok(32)));
        assert!(apply("#encryption=rot13", Scenario::default()).unwrap_err().contains("unknown provider \"rot13\""));
    }

    #[test]
    fn fragments_set_apiserver_lessons() {
        let s = apply("#inflight=12&anonymous=false&list=5", Scenario::default()).unwrap();
        let a = &s.cluster.apiserver;
        assert_eq!((a.max_requests_inflight, a.max_mutating_requests_inflight, a.anonymous_auth), (8, 4, false));
        assert_eq!(s.cluster.informer_list_period_s, 5);
        assert!(apply("#inflight=2", Scenario::default()).is_err());
    }

    #[test]
    fn bad_values_are_reported_not_applied() {
        assert_eq!(
            apply("#members=9", Scenario::default()).unwrap_err(),
            "invalid link: members=9 (expected a number up to 7)"
        );
        assert_eq!(
            apply("#members=0", Scenario::default()).unwrap_err(),
            "invalid link: etcd members must be between 1 and 7, got 0"
        );
        assert_eq!(
            apply("#timing=warp", Scenario::default()).unwrap_err(),
            "invalid link: unknown Raft timing \"warp\" (paper, etcd)"
        );
        assert!(apply("", Scenario::default()).is_ok());
    }
}
