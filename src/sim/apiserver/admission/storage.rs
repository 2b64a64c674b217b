//! DefaultStorageClass (a claim that names no class gets the default one) and
//! StorageObjectInUseProtection (claims and volumes get the finalizers that keep them while
//! in use: kubernetes.io/pvc-protection and kubernetes.io/pv-protection).

use crate::sim::api::{Object, StorageClass};

pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";

/// The default StorageClass, if exactly one… upstream picks the newest of several; so do we.
pub fn default_class<'a>(classes: impl Iterator<Item = &'a StorageClass>) -> Option<&'a StorageClass> {
    classes.filter(|c| c.is_default()).max_by(|a, b| {
        (a.metadata.creation_timestamp, &a.metadata.name).cmp(&(b.metadata.creation_timestamp, &b.metadata.name))
    })
}

pub fn default_storage_class<'a>(obj: &mut Object, classes: impl Iterator<Item = &'a StorageClass>) {
    if let Object::PersistentVolumeClaim(c) = obj {
        if c.spec.storage_class_name.is_none() {
            if let Some(class) = default_class(classes) {
                c.spec.storage_class_name = Some(class.metadata.name.clone());
            }
        }
    }
}

pub fn in_use_protection(obj: &mut Object) {
    let finalizer = match obj {
        Object::PersistentVolumeClaim(_) => PVC_PROTECTION,
        Object::PersistentVolume(_) => PV_PROTECTION,
        _ => return,
    };
    let m = obj.meta_mut();
    if !m.finalizers.iter().any(|f| f == finalizer) {
        m.finalizers.push(finalizer.into());
    }
}
