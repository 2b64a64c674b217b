//! What the apiserver answers itself, without storage: its own paths (`/healthz`, `/livez`,
//! `/readyz`, `/version`, `/metrics`, discovery) and the review kinds — SelfSubjectAccessReview,
//! SelfSubjectReview and TokenRequest.

use super::*;

impl ApiServer {
    /// The apiserver's own endpoints.
    pub(super) fn non_resource(&self, path: &str) -> ApiResponse {
        match path {
            "/healthz" | "/livez" | "/readyz" => Ok(ApiBody::Raw("ok".into())),
            "/metrics" => Ok(ApiBody::Raw(self.metrics_text())),
            "/version" => Ok(ApiBody::Raw(version_json())),
            // Discovery: the API groups this apiserver serves.
            "/api" | "/apis" => {
                let mut groups: Vec<&str> = crate::sim::api::resource::RESOURCES.iter().map(|r| r.group).collect();
                groups.dedup();
                Ok(ApiBody::Raw(groups.join("\n")))
            }
            _ => Err(Status { code: 404, reason: "NotFound", message: "404 page not found".into(), causes: vec![] }),
        }
    }

    /// /metrics: requests, admission, watch and priority-and-fairness metrics.
    pub fn metrics_text(&self) -> String {
        let (read_only, mutating) = self.inflight.values().fold((0, 0), |(r, m), f| match f.req.verb {
            Verb::Get | Verb::List | Verb::Watch => (r + 1, m),
            _ => (r, m + 1),
        });
        let mut text = self.metrics.text(read_only, mutating);
        let mut e = crate::sim::metrics::Exposition::default();
        self.flow.metrics(&mut e);
        text.push_str(&e.finish());
        text
    }

    /// The kinds answered without storage: SelfSubjectAccessReview, SelfSubjectReview and
    /// TokenRequest (`serviceaccounts/NAME/token`).
    pub(super) fn review(&mut self, ctx: &mut Ctx, f: &InFlight, user: &UserInfo) -> ApiResponse {
        if f.req.verb != Verb::Create {
            return Err(Status::method_not_allowed());
        }
        match f.req.body.as_deref().cloned() {
            Some(Object::SelfSubjectAccessReview(mut r)) => {
                let attrs = Attributes::of_review(user, &r.spec);
                r.status.allowed = self.authorize(&attrs) == Decision::Allow;
                ctx.phase("access review", format!("{} → allowed={}", attrs.forbidden_message(), r.status.allowed));
                Ok(ApiBody::Object(Object::SelfSubjectAccessReview(r)))
            }
            Some(Object::SelfSubjectReview(mut r)) => {
                r.status.user_info = crate::sim::api::UserInfoJson {
                    username: user.name.clone(),
                    uid: user.uid.clone(),
                    groups: user.groups.clone(),
                };
                Ok(ApiBody::Object(Object::SelfSubjectReview(r)))
            }
            Some(Object::TokenRequest(mut r)) if f.req.resource.plural == "serviceaccounts" => {
                let sa = self.current(&f.req)?;
                let seconds = if r.spec.expiration_seconds > 0 {
                    r.spec.expiration_seconds
                } else {
                    authn::serviceaccount::DEFAULT_EXPIRATION_SECONDS
                };
                let (ns, name, uid) = (&f.req.namespace, &f.req.name, &sa.meta().uid);
                r.status.token = authn::serviceaccount::issue(&self.authn.sa_key, ns, name, uid, ctx.now, seconds);
                r.status.expiration_timestamp =
                    crate::sim::api::meta::Time::at(ctx.now.plus(seconds as u64 * crate::sim::time::SECONDS));
                r.spec.expiration_seconds = seconds;
                r.spec.audiences = vec![authn::serviceaccount::ISSUER.into()];
                r.metadata.name = name.clone();
                r.metadata.namespace = ns.clone();
                ctx.phase("token", format!("issued a token for system:serviceaccount:{ns}:{name}, valid {seconds}s"));
                Ok(ApiBody::Object(Object::TokenRequest(r)))
            }
            _ => Err(Status::bad_request(format!(
                "the body of the request does not hold a {}",
                if f.req.subresource == "token" { "TokenRequest" } else { f.req.resource.kind }
            ))),
        }
    }
}

/// `/version`, as this cluster's kube-apiserver reports it.
fn version_json() -> String {
    let v = crate::sim::kubelet::KUBELET_VERSION;
    let minor = v.split('.').nth(1).unwrap_or_default();
    format!(
        "{{\n  \"major\": \"1\",\n  \"minor\": \"{minor}\",\n  \"gitVersion\": \"{v}\",\n  \"goVersion\": \"go1.25.5\",\n  \"compiler\": \"gc\",\n  \"platform\": \"linux/amd64\"\n}}"
    )
}
