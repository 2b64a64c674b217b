//! Authentication (k8s.io/apiserver/pkg/authentication): turns a credential into a user. In
//! upstream's union order: the request-header authenticator (an authenticating proxy's
//! `X-Remote-User` / `X-Remote-Group`, believed only from `front-proxy-client`), x509 client
//! certificates (CN = user, O = groups), the static token file (`--token-auth-file`),
//! ServiceAccount tokens, then anonymous (`--anonymous-auth`, on by
//! default) for a request that carries no credential. A credential that is present but wrong
//! is a 401, never anonymous.

pub mod serviceaccount;

use crate::sim::api::request::{Credential, UserInfo};
use crate::sim::time::SimTime;
use crate::sim::vecmap::VecMap;

#[derive(Clone, Debug)]
pub struct Authenticator {
    /// Bearer token → user, from the token file.
    pub static_tokens: VecMap<String, UserInfo>,
    /// The service-account signing key.
    pub sa_key: Vec<u8>,
    pub anonymous: bool,
}

impl Authenticator {
    /// `lookup_sa(namespace, name)` gives the uid of a ServiceAccount that still exists: a
    /// token outlives nothing it was bound to.
    pub fn authenticate(
        &self,
        cred: &Credential,
        now: SimTime,
        lookup_sa: impl Fn(&str, &str) -> Option<String>,
    ) -> Result<UserInfo, &'static str> {
        match cred {
            Credential::ClientCert { common_name, organizations } if !common_name.is_empty() => {
                let mut groups = organizations.clone();
                groups.push("system:authenticated".to_string());
                Ok(UserInfo { name: common_name.clone(), uid: String::new(), groups })
            }
            Credential::ClientCert { .. } => Err("x509: certificate has no common name"),
            Credential::Bearer(token) => {
                if let Some(user) = self.static_tokens.get(token) {
                    let mut user = user.clone();
                    user.groups.push("system:authenticated".into());
                    return Ok(user);
                }
                let claims = serviceaccount::verify(&self.sa_key, token, now)?;
                let (ns, sa) = (&claims.kubernetes.namespace, &claims.kubernetes.serviceaccount);
                match lookup_sa(ns, &sa.name) {
                    Some(uid) if uid == sa.uid => Ok(serviceaccount::user_info(ns, &sa.name, &uid)),
                    Some(_) => Err("service account UID does not match the token"),
                    None => Err("service account not found"),
                }
            }
            // --requestheader-allowed-names=front-proxy-client: only that proxy is believed.
            Credential::FrontProxy { proxy_cn, user, groups } => {
                if proxy_cn != "front-proxy-client" {
                    return Err("request header client certificate is not in --requestheader-allowed-names");
                }
                if user.is_empty() {
                    return Err("no X-Remote-User header");
                }
                let mut groups = groups.clone();
                groups.push("system:authenticated".into());
                Ok(UserInfo { name: user.clone(), uid: String::new(), groups })
            }
            Credential::None if self.anonymous => Ok(UserInfo::new("system:anonymous", &["system:unauthenticated"])),
            Credential::None => Err("no credentials"),
        }
    }
}

/// Parses a `--token-auth-file`: CSV lines `token,user,uid[,"group1,group2"]`.
pub fn parse_token_file(text: &str) -> Result<VecMap<String, UserInfo>, String> {
    let mut out = VecMap::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (head, groups) = match line.split_once(",\"") {
            Some((h, g)) => (h, g.trim_end_matches('"')),
            None => (line, ""),
        };
        let fields: Vec<&str> = head.split(',').map(str::trim).collect();
        let [token, name, uid, ..] = fields[..] else {
            return Err(format!("token file line {}: expected token,user,uid[,groups]", i + 1));
        };
        let groups = groups.split(',').map(str::trim).filter(|g| !g.is_empty()).map(String::from).collect();
        out.insert(token.to_string(), UserInfo { name: name.into(), uid: uid.into(), groups });
    }
    Ok(out)
}
