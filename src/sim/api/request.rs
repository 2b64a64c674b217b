//! Requests to kube-apiserver and their answers: verbs, credentials, the `Status` error body
//! with upstream reasons and messages, and watch events.

use super::objects::Object;
use super::resource::ResourceInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
}

impl Verb {
    /// The RBAC verb name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }
    pub fn http_method(self) -> &'static str {
        match self {
            Verb::Get | Verb::List | Verb::Watch => "GET",
            Verb::Create => "POST",
            Verb::Update => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// How a client proves who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A client certificate signed by the cluster CA: CN is the user, O the groups.
    ClientCert { common_name: String, organizations: Vec<String> },
    /// `Authorization: Bearer …`: a ServiceAccount token (a JWT) or a static token.
    Bearer(String),
    /// An authenticating proxy: its client certificate (signed by the front-proxy CA), and the
    /// user it vouches for in `X-Remote-User` / `X-Remote-Group`.
    FrontProxy { proxy_cn: String, user: String, groups: Vec<String> },
    /// No credential at all: `system:anonymous` when anonymous auth is on.
    None,
}

/// user.Info: who a request acts as once authenticated (and impersonated).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    pub fn new(name: &str, groups: &[&str]) -> Self {
        UserInfo { name: name.into(), uid: String::new(), groups: groups.iter().map(|g| g.to_string()).collect() }
    }
}

pub use super::fields::FieldSelector;

#[derive(Clone, Debug, PartialEq)]
pub struct ApiRequest {
    pub verb: Verb,
    pub resource: &'static ResourceInfo,
    /// `status`, `binding`, `scale`, or empty.
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    pub body: Option<Box<Object>>,
    /// A JSON merge patch (RFC 7386) for PATCH.
    pub patch: Option<serde_json::Value>,
    pub field_selector: Option<FieldSelector>,
    /// `labelSelector=` on lists and watches.
    pub label_selector: Option<super::LabelSelector>,
    /// A watch's `resourceVersion=`: resume after this revision instead of starting with the
    /// current state.
    pub resource_version: Option<i64>,
    /// Binding target for `pods/binding`.
    pub target_node: Option<String>,
    /// DELETE grace period override (`--grace-period`, or 0 from the kubelet's final delete).
    pub grace_period_seconds: Option<i64>,
    /// DeleteOptions.propagationPolicy: `Foreground`, `Background` or `Orphan`.
    pub propagation_policy: Option<String>,
    /// `Impersonate-User` / `Impersonate-Group` headers (`kubectl --as`, `--as-group`).
    pub impersonate: Option<UserInfo>,
    /// A non-resource request's path (`/healthz`, `/metrics`, `/version`); empty otherwise.
    pub path: String,
}

impl ApiRequest {
    pub fn new(verb: Verb, resource: &'static ResourceInfo, namespace: &str, name: &str) -> Self {
        ApiRequest {
            verb,
            resource,
            subresource: String::new(),
            namespace: if resource.namespaced { namespace.to_string() } else { String::new() },
            name: name.to_string(),
            body: None,
            patch: None,
            field_selector: None,
            label_selector: None,
            resource_version: None,
            target_node: None,
            grace_period_seconds: None,
            propagation_policy: None,
            impersonate: None,
            path: String::new(),
        }
    }

    /// `GET /healthz` and the like: authorized by nonResourceURLs rules.
    pub fn non_resource(path: &str) -> Self {
        let mut req = ApiRequest::new(Verb::Get, &super::resource::NON_RESOURCE, "", "");
        req.path = path.to_string();
        req
    }

    pub fn with_body(mut self, body: Object) -> Self {
        self.body = Some(Box::new(body));
        self
    }

    /// A controller's write of `object`'s status (PUT …/status, compare-and-swap on its
    /// resourceVersion).
    pub fn update_status(object: Object) -> Option<Self> {
        let res = ResourceInfo::by_kind(object.kind())?;
        let m = object.meta();
        let req = ApiRequest::new(Verb::Update, res, &m.namespace, &m.name);
        Some(req.with_subresource("status").with_body(object))
    }

    pub fn with_subresource(mut self, sub: &str) -> Self {
        self.subresource = sub.to_string();
        self
    }

    /// The request line as it would appear in an audit log: `POST /api/v1/namespaces/default/pods`.
    pub fn line(&self) -> String {
        if !self.path.is_empty() {
            return format!("GET {}", self.path);
        }
        let name = if self.verb == Verb::Create && self.subresource.is_empty() { "" } else { &self.name };
        let mut path = self.resource.path(&self.namespace, name);
        if !self.subresource.is_empty() {
            path.push('/');
            path.push_str(&self.subresource);
        }
        if self.verb == Verb::Watch {
            path.push_str("?watch=true");
        }
        format!("{} {}", self.verb.http_method(), path)
    }
}

/// metav1.Status for failures, with the upstream HTTP code, reason and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// The field errors of a 422 (details.causes), which kubectl lists one per line.
    pub causes: Vec<String>,
}

impl Status {
    pub fn not_found(res: &ResourceInfo, name: &str) -> Self {
        Status {
            code: 404,
            reason: "NotFound",
            message: format!("{} \"{name}\" not found", res.qualified()),
            causes: vec![],
        }
    }
    /// A path the apiserver does not serve (an unknown resource or subresource).
    pub fn no_such_path() -> Self {
        let message = "the server could not find the requested resource".to_string();
        Status { code: 404, reason: "NotFound", message, causes: vec![] }
    }
    pub fn already_exists(res: &ResourceInfo, name: &str) -> Self {
        Status {
            code: 409,
            reason: "AlreadyExists",
            message: format!("{} \"{name}\" already exists", res.qualified()),
            causes: vec![],
        }
    }
    pub fn conflict(res: &ResourceInfo, name: &str) -> Self {
        Status {
            causes: vec![],
            code: 409,
            reason: "Conflict",
            message: format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                res.qualified()
            ),
        }
    }
    pub fn invalid(kind: &str, name: &str, causes: &[String]) -> Self {
        let shown = match causes {
            [one] => one.clone(),
            _ => format!("[{}]", causes.join(", ")),
        };
        let message = format!("{kind} \"{name}\" is invalid: {shown}");
        Status { code: 422, reason: "Invalid", message, causes: causes.to_vec() }
    }
    pub fn forbidden(message: String) -> Self {
        Status { code: 403, reason: "Forbidden", message, causes: vec![] }
    }
    pub fn unauthorized() -> Self {
        Status { code: 401, reason: "Unauthorized", message: "Unauthorized".to_string(), causes: vec![] }
    }
    /// What a client sees when nothing listens on the apiserver's port (code 0: no HTTP
    /// answer at all).
    pub fn connection_refused() -> Self {
        let message = format!("dial tcp {}:6443: connect: connection refused", crate::sim::cluster::APISERVER_ADDRESS);
        Status { code: 0, reason: "ConnectionRefused", message, causes: vec![] }
    }
    /// What a client sees when kube-apiserver dies with its request in flight: the kernel
    /// resets the connection.
    pub fn connection_reset() -> Self {
        let message =
            format!("read tcp {}:6443: read: connection reset by peer", crate::sim::cluster::APISERVER_ADDRESS);
        Status { code: 0, reason: "ConnectionReset", message, causes: vec![] }
    }
    /// No HTTP answer at all: the connection was refused or reset.
    pub fn is_connection_error(&self) -> bool {
        self.code == 0
    }
    /// API Priority and Fairness turned the request away (Retry-After: 1).
    pub fn too_many_requests() -> Self {
        let message = "Too many requests, please try again later.".to_string();
        Status { code: 429, reason: "TooManyRequests", message, causes: vec![] }
    }
    /// A watch from a resourceVersion the watch cache no longer holds events after.
    pub fn expired(rv: i64, oldest: i64) -> Self {
        let message = format!("too old resource version: {rv} ({oldest})");
        Status { code: 410, reason: "Expired", message, causes: vec![] }
    }
    pub fn method_not_allowed() -> Self {
        let message = "the server does not allow this method on the requested resource".to_string();
        Status { code: 405, reason: "MethodNotAllowed", message, causes: vec![] }
    }
    pub fn bad_request(message: String) -> Self {
        Status { code: 400, reason: "BadRequest", message, causes: vec![] }
    }
    pub fn internal(message: String) -> Self {
        Status { code: 500, reason: "InternalError", message, causes: vec![] }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ApiBody {
    Object(Object),
    /// The items are the watch cache's own objects, shared, not copied per reader.
    List {
        items: Vec<std::sync::Arc<Object>>,
        resource_version: i64,
    },
    /// The watch was established with the current state as initial events (WatchList
    /// semantics: `sendInitialEvents=true`); live events follow as separate messages.
    WatchStarted {
        items: Vec<std::sync::Arc<Object>>,
        resource_version: i64,
        /// False for a watch resumed from a resourceVersion: no initial state, the missed
        /// events follow.
        initial: bool,
    },
    /// A non-resource answer: `ok`, the metrics text, the version JSON.
    Raw(String),
}

pub type ApiResponse = Result<ApiBody, Status>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchType {
    Added,
    Modified,
    Deleted,
}

impl WatchType {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchType::Added => "ADDED",
            WatchType::Modified => "MODIFIED",
            WatchType::Deleted => "DELETED",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct WatchEvent {
    /// The client's request id of the watch this event belongs to.
    pub watch_id: u64,
    pub type_: WatchType,
    /// Shared with the apiserver's watch cache and every other watcher: a watch event's
    /// object is immutable, so fan-out costs a reference count, not a copy per watcher.
    pub object: std::sync::Arc<Object>,
}
