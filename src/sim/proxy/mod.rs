//! kube-proxy: watches Services and keeps the node's service rules in step. The walking
//! skeleton has no EndpointSlices yet, so a sync renders the KUBE-SERVICES entries only; the
//! iptables/IPVS proxiers, endpoints and real traffic come with the worker-node issue.

pub mod topology;

use super::api::request::Credential;
use super::api::resource::ResourceInfo;
use super::client::{ApiClient, Informer};
use super::event::{ComponentId, Message, Payload, Timer};
use super::Ctx;

/// minSyncPeriod-like delay between a change and the rule sync, in µs.
const SYNC_DELAY_US: u64 = 1_000;

#[derive(Clone, Debug)]
pub struct KubeProxy {
    client: ApiClient<()>,
    pub services: Informer,
    pub rules_synced: u64,
    sync_pending: bool,
}

impl KubeProxy {
    pub fn new(apiserver: ComponentId) -> Self {
        let cred = Credential::ClientCert { common_name: "system:kube-proxy".into(), organizations: vec![] };
        KubeProxy {
            client: ApiClient::new(apiserver, cred),
            services: Informer::new(ResourceInfo::by_plural("services").expect("services"), None),
            rules_synced: 0,
            sync_pending: false,
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::Start => self.services.start(ctx, &mut self.client, ()),
            Timer::Work => {
                self.sync_pending = false;
                self.rules_synced += 1;
                let n = self.services.store.len();
                ctx.phase("syncProxyRules", format!("iptables: {n} service(s) in KUBE-SERVICES"));
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        let changed = match msg.payload {
            Payload::ApiResp { req_id, resp } => match (self.client.complete(req_id), *resp) {
                (Some(()), Ok(body)) => {
                    self.services.on_started(body);
                    true
                }
                _ => false,
            },
            Payload::Watch(ev) => self.services.apply(&ev).is_some(),
            _ => false,
        };
        if changed && !self.sync_pending {
            self.sync_pending = true;
            ctx.timer(SYNC_DELAY_US, Timer::Work);
        }
    }
}
