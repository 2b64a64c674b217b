//! ServiceAccount tokens (pkg/serviceaccount): bound tokens from the TokenRequest API, JWTs
//! with upstream's claims (`iss`, `sub` = `system:serviceaccount:NS:NAME`, `aud`, `exp`,
//! `kubernetes.io.serviceaccount`). Upstream signs them RS256 with `sa.key`; the playground
//! signs HS256 with a key drawn from the seed, which keeps the bundle free of RSA while the
//! token still only verifies when untampered and unexpired.

use crate::sim::api::request::UserInfo;
use crate::sim::time::{unix_nanos, SimTime};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// --service-account-issuer as kubeadm sets it.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// TokenRequest's default expirationSeconds (1 hour).
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub aud: Vec<String>,
    pub exp: u64,
    pub iat: u64,
    pub iss: String,
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: KubernetesClaims,
    pub nbf: u64,
    pub sub: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KubernetesClaims {
    pub namespace: String,
    pub serviceaccount: ObjectRef,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectRef {
    pub name: String,
    pub uid: String,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn unix_secs(t: SimTime) -> u64 {
    unix_nanos(t) / 1_000_000_000
}

fn signature(key: &[u8], signing_input: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Issues a token for the service account `namespace/name` (uid) valid for `seconds`.
pub fn issue(key: &[u8], namespace: &str, name: &str, uid: &str, now: SimTime, seconds: i64) -> String {
    let iat = unix_secs(now);
    let claims = Claims {
        aud: vec![ISSUER.into()],
        exp: iat + seconds.max(0) as u64,
        iat,
        iss: ISSUER.into(),
        kubernetes: KubernetesClaims {
            namespace: namespace.into(),
            serviceaccount: ObjectRef { name: name.into(), uid: uid.into() },
        },
        nbf: iat,
        sub: format!("system:serviceaccount:{namespace}:{name}"),
    };
    let payload = serde_json::to_vec(&claims).unwrap_or_default();
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(payload));
    let sig = URL_SAFE_NO_PAD.encode(signature(key, &input));
    format!("{input}.{sig}")
}

/// Checks signature, issuer and expiry; returns the claims of a valid token.
pub fn verify(key: &[u8], token: &str, now: SimTime) -> Result<Claims, &'static str> {
    let (input, sig) = token.rsplit_once('.').ok_or("not a JWT")?;
    let (_, payload) = input.split_once('.').ok_or("not a JWT")?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| "malformed signature")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| "bad key")?;
    mac.update(input.as_bytes());
    mac.verify_slice(&sig).map_err(|_| "invalid signature")?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| "malformed payload")?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| "malformed claims")?;
    if claims.iss != ISSUER {
        return Err("token issuer is not trusted");
    }
    if claims.exp <= unix_secs(now) {
        return Err("token has expired");
    }
    Ok(claims)
}

/// The user a ServiceAccount authenticates as (serviceaccount.UserInfo).
pub fn user_info(namespace: &str, name: &str, uid: &str) -> UserInfo {
    UserInfo {
        name: format!("system:serviceaccount:{namespace}:{name}"),
        uid: uid.into(),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_until_it_expires_or_is_altered() {
        let key = b"0123456789abcdef0123456789abcdef";
        let t = issue(key, "default", "ci", "uid-1", SimTime::ZERO, 3600);
        let c = verify(key, &t, SimTime::from_secs(10)).unwrap();
        assert_eq!(c.sub, "system:serviceaccount:default:ci");
        assert_eq!(verify(key, &t, SimTime::from_secs(3600)), Err("token has expired"));
        assert_eq!(verify(b"another key", &t, SimTime::ZERO), Err("invalid signature"));
        let mut forged = t.clone();
        forged.insert(forged.len() - 5, 'A');
        assert!(verify(key, &forged, SimTime::ZERO).is_err());
    }
}
