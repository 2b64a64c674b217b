//! Admission control. The skeleton runs NamespaceLifecycle; the other default plugins
//! (LimitRanger, ServiceAccount, ResourceQuota, webhooks, …) come with the apiserver issue.

pub mod namespace_lifecycle;
