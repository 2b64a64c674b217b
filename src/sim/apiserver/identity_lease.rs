//! kube-apiserver identity (APIServerIdentity, on by default): each apiserver keeps a Lease
//! `apiserver-<hash of its hostname>` in kube-system, labelled
//! `apiserver.kubernetes.io/identity=kube-apiserver`, renewed every 10 s for 3600 s; every hour
//! each apiserver deletes the identity leases that have run out (those of apiservers gone).
//! `kubectl get leases -n kube-system` shows one per apiserver.

use super::*;
use crate::sim::api::{Lease, LeaseSpec, MicroTime, ObjectMeta};
use crate::sim::time::{SimTime, SECONDS};
use sha2::{Digest, Sha256};

/// IdentityLeaseRenewIntervalPeriod, IdentityLeaseDurationSeconds and IdentityLeaseGCPeriod.
const RENEW_US: u64 = 10 * SECONDS;
const DURATION_S: i32 = 3600;
const GC_US: u64 = 3600 * SECONDS;
const IDENTITY_LABEL: &str = "apiserver.kubernetes.io/identity";

/// The lease's name: "apiserver-" and the lower-case base32 of the first 16 bytes of
/// sha256(hostname, "kube-apiserver"), each prefixed with its 16-bit length.
pub fn lease_name(hostname: &str) -> String {
    let mut data = Vec::new();
    for part in [hostname, "kube-apiserver"] {
        data.extend_from_slice(&(part.len() as u16).to_be_bytes());
        data.extend_from_slice(part.as_bytes());
    }
    let hash = Sha256::digest(&data);
    let encoded = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &hash[..16]);
    format!("apiserver-{}", encoded.to_lowercase())
}

impl ApiServer {
    /// Creates or renews this apiserver's identity lease.
    pub(super) fn renew_identity_lease(&mut self, ctx: &mut Ctx) {
        ctx.timer(RENEW_US, Timer::RenewIdentityLease);
        if !self.ready {
            return;
        }
        let name = lease_name(&self.hostname);
        let key = ResourceInfo::of("leases").key("kube-system", &name);
        let lease = match self.cached_at(&key) {
            Some(Object::Lease(current)) => {
                let mut next = current.clone();
                next.spec.renew_time = Some(MicroTime(ctx.now));
                next
            }
            _ => {
                let mut metadata = ObjectMeta::named("kube-system", &name);
                metadata.uid = registry::new_uid(&mut self.rng);
                metadata.creation_timestamp = crate::sim::api::meta::Time::at(ctx.now);
                metadata.labels = [
                    (IDENTITY_LABEL.to_string(), "kube-apiserver".to_string()),
                    ("kubernetes.io/hostname".into(), self.hostname.clone()),
                ]
                .into();
                let holder = format!("{name}_{}", registry::new_uid(&mut self.rng));
                let spec = LeaseSpec {
                    holder_identity: holder,
                    lease_duration_seconds: DURATION_S,
                    acquire_time: Some(MicroTime(ctx.now)),
                    renew_time: Some(MicroTime(ctx.now)),
                    lease_transitions: 0,
                };
                Lease { metadata, spec }
            }
        };
        self.put(ctx, key, Object::Lease(lease), 0, "identity lease");
    }

    /// Deletes the identity leases in kube-system whose time has run out.
    pub(super) fn collect_identity_leases(&mut self, ctx: &mut Ctx) {
        ctx.timer(GC_US, Timer::CollectIdentityLeases);
        let expired: Vec<(String, i64)> = self
            .cached_under(ResourceInfo::of("leases").list_prefix("kube-system"))
            .filter_map(|o| match o {
                Object::Lease(l) if l.metadata.labels.get(IDENTITY_LABEL).is_some_and(|v| v == "kube-apiserver") => {
                    let renewed = l.spec.renew_time.map_or(SimTime::ZERO, |t| t.0);
                    let ends = renewed.plus(l.spec.lease_duration_seconds.max(0) as u64 * SECONDS);
                    (ends <= ctx.now).then(|| (l.metadata.name.clone(), l.metadata.rv()))
                }
                _ => None,
            })
            .collect();
        for (name, rv) in expired {
            ctx.phase("identity lease gc", format!("deleting expired lease kube-system/{name}"));
            let key = ResourceInfo::of("leases").key("kube-system", &name);
            self.delete(ctx, key, rv, "identity lease gc");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_26_lower_case_base32_characters() {
        let name = super::lease_name("control-plane");
        assert!(name.starts_with("apiserver-") && name.len() == "apiserver-".len() + 26, "{name}");
        assert!(name[10..].chars().all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c)), "{name}");
        assert_ne!(name, super::lease_name("control-plane-2"));
    }
}
