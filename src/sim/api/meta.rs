//! ObjectMeta (k8s.io/apimachinery/pkg/apis/meta/v1), the fields the simulation uses.

use crate::sim::time::{parse_rfc3339, parse_rfc3339_micros, rfc3339, rfc3339_micros, SimTime, SECONDS};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Labels, annotations, selectors and the other small string maps of the API types: a sorted
/// Vec (same order and JSON as a BTreeMap), since every object carries a few and the
/// scheduler and controllers look them up in every node and pod they visit.
pub type Labels = crate::sim::vecmap::VecMap<String, String>;

/// A timestamp on an object (metav1.Time): second precision, serialized as RFC 3339.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(pub SimTime);

impl Time {
    /// Truncates to whole seconds, as the real API does.
    pub fn at(t: SimTime) -> Self {
        Time(SimTime(t.0 / SECONDS * SECONDS))
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_rfc3339(&text).map(Time).map_err(serde::de::Error::custom)
    }
}

/// metav1.MicroTime: a timestamp with microseconds (`2027-01-01T00:00:05.250000Z`), as Leases
/// carry their acquire and renew times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct MicroTime(pub SimTime);

impl Serialize for MicroTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339_micros(self.0))
    }
}

impl<'de> Deserialize<'de> for MicroTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_rfc3339_micros(&text).map(MicroTime).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    #[serde(default)]
    pub controller: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generation: i64,
    #[serde(default)]
    pub creation_timestamp: Time,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub annotations: Labels,
    #[serde(default, deserialize_with = "exact", skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
    /// Keys that must be removed before a deleted object goes (its deletionTimestamp is set
    /// meanwhile): `service.kubernetes.io/load-balancer-cleanup`, `foregroundDeletion`, …
    #[serde(default, deserialize_with = "exact", skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl ObjectMeta {
    pub fn named(namespace: &str, name: &str) -> Self {
        ObjectMeta { name: name.to_string(), namespace: namespace.to_string(), ..Default::default() }
    }

    /// The controlling owner, as `metav1.GetControllerOf`.
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.owner_references.iter().find(|o| o.controller)
    }

    pub fn rv(&self) -> i64 {
        self.resource_version.parse().unwrap_or(0)
    }
}

/// `namespace/name`, or `name` for cluster-scoped objects: the cache key used by informers.
pub fn cache_key(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}/{name}")
    }
}

/// Reads a list into a Vec no longer than the list. JSON does not say how long a list is, so
/// serde grows the Vec from room for 4: a pod's one container (hundreds of bytes) would carry
/// room for three more in every decoded copy the apiservers and informers keep.
pub(super) fn exact<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    let mut v = Vec::<T>::deserialize(d)?;
    v.shrink_to_fit();
    Ok(v)
}
