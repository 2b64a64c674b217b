//! What travels through the event queue: messages between components and timers.

use super::api::request::{ApiRequest, ApiResponse, Credential, WatchEvent};
use super::etcd::RaftMessage;
use super::etcd::{EtcdOp, EtcdResult, MvccEvent};
use serde::Serialize;

pub type ComponentId = u32;

/// The kind of a message, which decides its colour on the canvas and its row in the legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum MsgKind {
    ApiRequest,
    ApiResponse,
    WatchEvent,
    RaftVote,
    RaftAppend,
    EtcdGrpc,
    /// The cloud-controller-manager and the cloud provider's API.
    Cloud,
    /// Application traffic between pods, through the nodes' Service rules.
    Traffic,
}

impl MsgKind {
    pub const ALL: [MsgKind; 8] = [
        MsgKind::ApiRequest,
        MsgKind::ApiResponse,
        MsgKind::WatchEvent,
        MsgKind::RaftVote,
        MsgKind::RaftAppend,
        MsgKind::EtcdGrpc,
        MsgKind::Cloud,
        MsgKind::Traffic,
    ];
    pub fn label(self) -> &'static str {
        match self {
            MsgKind::ApiRequest => "API request",
            MsgKind::ApiResponse => "API response",
            MsgKind::WatchEvent => "watch event",
            MsgKind::RaftVote => "Raft vote",
            MsgKind::RaftAppend => "Raft append / heartbeat",
            MsgKind::EtcdGrpc => "etcd gRPC",
            MsgKind::Cloud => "cloud API",
            MsgKind::Traffic => "pod traffic",
        }
    }
}

#[derive(Clone, Debug)]
pub enum Payload {
    /// HTTP/2 request from a client (kubectl, controller, kubelet…) to kube-apiserver.
    Api {
        req_id: u64,
        cred: Credential,
        req: Box<ApiRequest>,
    },
    ApiResp {
        req_id: u64,
        resp: Box<ApiResponse>,
    },
    Watch(Box<WatchEvent>),
    /// The apiserver's end of a watch went away (its process died): the client's reflector
    /// must list and watch again.
    WatchClosed {
        watch_id: u64,
    },
    /// kube-apiserver calls an admission webhook served by the pod with this IP.
    WebhookCall {
        call_id: u64,
        pod_ip: String,
        request: Box<super::api::webhook::AdmissionRequest>,
    },
    /// The webhook's answer, or why the call failed.
    WebhookResult {
        call_id: u64,
        result: Box<Result<super::api::webhook::AdmissionResponse, String>>,
    },
    /// Opening a connection to kube-apiserver: 1 SYN, 2 SYN-ACK, 3 TLS ClientHello, 4 the
    /// server's TLS flight (the connection is ready); 0 a reset (nothing listens).
    Handshake {
        conn: u64,
        step: u8,
    },
    /// kube-apiserver opening an HTTPS connection to a webhook's pod, through the kubelet of
    /// its node: the steps of `Handshake`.
    PodHandshake {
        conn: u64,
        step: u8,
        pod_ip: String,
    },
    /// The client closed its watch (kubectl get -w interrupted).
    WatchCancel {
        watch_id: u64,
    },
    /// A BOOKMARK: nothing changed for this watch up to `revision`.
    Bookmark {
        watch_id: u64,
        revision: i64,
    },
    /// gRPC from kube-apiserver to an etcd member (KV Range/Txn, Watch).
    Etcd {
        req_id: u64,
        op: Box<EtcdOp>,
    },
    EtcdResp {
        req_id: u64,
        result: Box<EtcdResult>,
    },
    EtcdWatch {
        events: Vec<MvccEvent>,
    },
    /// cloud-controller-manager → the cloud provider's API.
    Cloud {
        call_id: u64,
        op: Box<super::cloud::CloudOp>,
    },
    CloudResp {
        call_id: u64,
        result: Box<super::cloud::CloudResult>,
    },
    /// An HTTP request between pods (one message each way): to the node's kube-proxy rules,
    /// then to the pod they chose.
    Packet(Box<Packet>),
    PacketReply(Box<PacketReply>),
    /// Peer traffic between etcd members.
    Raft(Box<RaftMessage>),
    /// MsgSnap with the snapshot's data (the store as of the snapshot index).
    RaftSnapshot {
        msg: Box<RaftMessage>,
        data: Box<super::etcd::Mvcc>,
    },
}

/// A request from a pod to an address (a ClusterIP, a NodePort, a pod IP).
#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    pub id: u64,
    /// The kubelet of the client pod's node: where the answer goes (conntrack undoes the DNAT).
    pub client: ComponentId,
    /// The client's address (its pod's IP, or one outside the cluster).
    pub src: String,
    /// `ip:port` as the client sent it, and after the rules' DNAT.
    pub dst: String,
    pub to: String,
    pub path: String,
    /// A DNS query instead of an HTTP request: the name, and the asking pod's namespace (its
    /// search list).
    pub dns: Option<(String, String)>,
}

/// The answer: the body (status, text), or why the connection failed.
#[derive(Clone, Debug, PartialEq)]
pub struct PacketReply {
    pub id: u64,
    pub result: Result<(u16, String), String>,
}

#[derive(Clone, Debug)]
pub struct Message {
    pub id: u64,
    pub from: ComponentId,
    pub to: ComponentId,
    pub kind: MsgKind,
    pub payload: Payload,
}

/// Timers a component sets for itself. Stale timers are recognised by the epoch they carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    Start,
    /// One Raft tick of an etcd member (`life` tells a restarted member's timers apart).
    RaftTick {
        life: u64,
    },
    /// An etcd member's WAL fsync finished.
    WalSynced {
        life: u64,
    },
    /// An etcd member applied a batch of committed entries (MaxCommittedSizePerReady): the
    /// next batch, in a Ready of its own.
    ApplyNext {
        life: u64,
    },
    /// Start a crashed process again.
    Restart,
    /// A reflector's back-off is over: list and watch `resource` again.
    Rewatch {
        resource: &'static str,
    },
    /// kube-apiserver's compactor (--etcd-compaction-interval, 5 min).
    Compact,
    /// An operator's etcdctl write reaching the etcd leader.
    EtcdAdmin(AdminOp),
    /// The operator asks this etcd leader to hand leadership to member `to`.
    TransferLeader {
        to: u32,
    },
    /// kube-apiserver's etcd call `req_id` is overdue: the endpoint is presumed dead.
    EtcdDeadline {
        req_id: u64,
    },
    /// kube-apiserver sends its watchers a bookmark.
    Bookmark,
    /// kube-apiserver's endpoint reconciler renews its master lease.
    ReconcileEndpoints,
    /// kube-apiserver renews its identity Lease, and collects expired ones.
    RenewIdentityLease,
    CollectIdentityLeases,
    /// An admission webhook call reached its timeoutSeconds.
    WebhookTimeout {
        call_id: u64,
    },
    /// A request queued by API Priority and Fairness reached its wait limit.
    FlowTimeout {
        token: u64,
    },
    /// A request finished one stage of the kube-apiserver handler chain.
    ApiStage {
        token: u64,
    },
    /// A component's single worker (the scheduler, kube-proxy's sync, a client) may go on.
    Work,
    /// The worker of kube-controller-manager's controller number `controller` (its index in
    /// `Loop::ALL`) is free to take the next key.
    ControllerWork {
        controller: u8,
    },
    /// The scheduling queue's backoff expiry or unschedulable-pod flush is due.
    QueueFlush,
    /// The event sink's sleep after a failed write is over: send Event request `req_id` again.
    ResendEvent {
        req_id: u64,
    },
    /// A kubelet pod worker finished its current step (`seq` tells stale steps apart).
    PodStep {
        uid: String,
        seq: u64,
    },
    /// A probe worker's tick: probe `index` of the pod's containers while they run as
    /// `run` (a restarted container's probes start over).
    Probe {
        uid: String,
        run: u64,
        index: usize,
    },
    /// A load loop's next request, for the pod worker's run `run`.
    Traffic {
        uid: String,
        run: u64,
    },
    /// The kubelet's lease renewal and node status tick (`life` tells a restarted kubelet's
    /// timers apart).
    LeaseRenew {
        life: u64,
    },
    /// kube-controller-manager's informers hand their event handlers the next batch of changes
    /// (a large list is handed over in batches).
    Notify,
    /// The node lifecycle controller's monitorNodeHealth pass (--node-monitor-period).
    NodeMonitor,
    /// The next try of the leader election loop (acquire or renew).
    LeaderElection,
    /// The HorizontalPodAutoscaler controller's periodic pass.
    HorizontalPodAutoscalerSync,
    Retry {
        token: u64,
    },
    /// A pod waiting at the scheduler's Permit reached its timeout.
    PermitTimeout {
        pod: String,
    },
}

/// etcdctl writes that go through Raft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminOp {
    Compact(i64),
    DisarmNospace,
}

#[derive(Clone, Debug)]
pub enum Event {
    Deliver(Box<Message>),
    /// `life`: the incarnation of the process that set it (see `Ctx::exit`).
    Timer {
        to: ComponentId,
        timer: Timer,
        life: u32,
    },
}
