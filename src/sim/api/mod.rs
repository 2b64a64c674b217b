//! Kubernetes API objects (the subset the simulation models), resource quantities, the
//! resource table that maps kinds to REST paths and etcd keys, and request/response types.

pub mod access;
pub mod crd;
pub mod fields;
pub mod meta;
pub mod objects;
pub mod policy;
pub mod probe;
pub mod qos;
pub mod quantity;
pub mod request;
pub mod resource;
pub mod scheduling;
pub mod storage;
pub mod webhook;

pub use meta::{Labels, MicroTime, ObjectMeta, OwnerReference};
pub use objects::*;
pub use scheduling::*;
pub use storage::*;
