//! A pod's quality-of-service class (pkg/apis/core/helper/qos): what the kubelet's cgroups,
//! the OOM killer's scores and node-pressure eviction order go by.

use super::quantity;
use super::Pod;

impl Pod {
    /// Guaranteed when every container's cpu and memory limits are set and equal to its
    /// requests, BestEffort with no requests or limits at all, else Burstable.
    pub fn qos_class(&self) -> &'static str {
        let mut any = false;
        let mut guaranteed = true;
        for c in self.spec.init_containers.iter().chain(&self.spec.containers) {
            let (req, lim) = (&c.resources.requests, &c.resources.limits);
            any |= ["cpu", "memory"].iter().any(|r| req.contains_key(*r) || lim.contains_key(*r));
            for r in ["cpu", "memory"] {
                let limit = lim.get(r).and_then(|q| quantity::parse_value(q).ok());
                let request = req.get(r).and_then(|q| quantity::parse_value(q).ok()).or(limit);
                guaranteed &= limit.is_some() && limit == request;
            }
        }
        match (any, guaranteed) {
            (false, _) => "BestEffort",
            (true, true) => "Guaranteed",
            (true, false) => "Burstable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Container;
    use super::*;

    #[test]
    fn qos_classes_follow_requests_and_limits() {
        let mut p = Pod::default();
        p.spec.containers.push(Container::default());
        assert_eq!(p.qos_class(), "BestEffort");
        p.spec.containers[0].resources.requests.insert("cpu".into(), "100m".into());
        assert_eq!(p.qos_class(), "Burstable");
        for r in ["cpu", "memory"] {
            p.spec.containers[0].resources.limits.insert(r.into(), "1".into());
        }
        p.spec.containers[0].resources.requests.clear();
        assert_eq!(p.qos_class(), "Guaranteed");
    }
}
