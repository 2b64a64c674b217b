//! How kube-apiserver turns objects into etcd values and back, including encryption at rest
//! (apiserver/pkg/storage/value/encrypt). Built-in types are stored as protobuf (`k8s\0` and
//! a runtime.Unknown, see sim/protobuf), custom resources as JSON, as upstream does.
//! Encrypted values carry upstream's `k8s:enc:<provider>:v1:<key name>:` prefix.

use super::api::Object;
use super::etcd::mvcc::Value;
use super::rng::{Draw, SimRng};
use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use serde::{Deserialize, Serialize};

pub fn encode(o: &Object) -> Value {
    if matches!(o, Object::Custom(_)) {
        return serde_json::to_vec(o).unwrap_or_default().into();
    }
    match super::protobuf::encode(&o.to_json_value()) {
        Ok(bytes) => {
            // Whatever the schema cannot carry back is a bug; the tests check every write.
            #[cfg(debug_assertions)]
            match decode(&bytes) {
                Ok(back) => debug_assert!(back == *o, "protobuf round trip of {}:\n{o:?}\n{back:?}", o.kind()),
                Err(e) => debug_assert!(false, "protobuf round trip of {}: {e}", o.kind()),
            }
            bytes.into()
        }
        Err(e) => {
            // A field of ours that upstream's schema lacks: a bug, caught by the tests; the
            // page keeps working on the JSON form.
            debug_assert!(false, "protobuf encoding of {}: {e}", o.kind());
            serde_json::to_vec(o).unwrap_or_default().into()
        }
    }
}

pub fn decode(bytes: &[u8]) -> Result<Object, String> {
    let bad = |e: String| format!("unable to decode stored object: {e}");
    if bytes.starts_with(super::protobuf::MAGIC) {
        let json = super::protobuf::decode_json(bytes).map_err(bad)?;
        return Object::from_json(&json).map_err(bad);
    }
    Object::from_json(bytes).map_err(bad)
}

/// An EncryptionConfiguration (apiserver.config.k8s.io/v1) with one key of the `aescbc` or
/// `secretbox` provider for a set of resources; the identity provider stays as the fallback
/// for reading plaintext.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncryptionConfig {
    /// `aescbc` (AES-256-CBC, PKCS#7) or `secretbox` (XSalsa20-Poly1305).
    #[serde(default = "default_provider")]
    pub provider: String,
    /// Resources to encrypt, e.g. `secrets`.
    pub resources: Vec<String>,
    /// The key's name (`key1`).
    pub key_name: String,
    /// A 32-byte AES key, base64 as in the configuration file.
    pub secret: String,
}

fn default_provider() -> String {
    "aescbc".into()
}

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

impl EncryptionConfig {
    pub fn validate(&self) -> Result<[u8; 32], String> {
        if !matches!(self.provider.as_str(), "aescbc" | "secretbox") {
            return Err(format!("EncryptionConfiguration: unknown provider \"{}\" (aescbc, secretbox)", self.provider));
        }
        let key = base64::engine::general_purpose::STANDARD
            .decode(&self.secret)
            .map_err(|e| format!("EncryptionConfiguration: key \"{}\": {e}", self.key_name))?;
        key.try_into().map_err(|k: Vec<u8>| {
            format!(
                "EncryptionConfiguration: {} key \"{}\" must be 32 bytes, got {}",
                self.provider,
                self.key_name,
                k.len()
            )
        })
    }

    fn prefix(&self) -> String {
        format!("k8s:enc:{}:v1:{}:", self.provider, self.key_name)
    }

    /// Encrypts the value of `resource` if the configuration covers it.
    pub fn to_storage(&self, resource: &str, plain: Vec<u8>, rng: &mut SimRng) -> Vec<u8> {
        let Ok(key) = self.validate() else { return plain };
        if !self.resources.iter().any(|r| r == resource) {
            return plain;
        }
        let mut out = self.prefix().into_bytes();
        if self.provider == "secretbox" {
            // A random 24-byte nonce, then NaCl's secretbox (tag first), as upstream.
            let nonce: [u8; 24] = std::array::from_fn(|_| rng.below(256) as u8);
            let Ok(sealed) = XSalsa20Poly1305::new(&key.into()).encrypt(&nonce.into(), plain.as_slice()) else {
                return plain;
            };
            out.extend_from_slice(&nonce);
            out.extend_from_slice(&sealed);
            return out;
        }
        let iv: [u8; 16] = std::array::from_fn(|_| rng.below(256) as u8);
        let sealed = Aes256CbcEnc::new(&key.into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(&plain);
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts a stored value; plaintext (identity) passes through.
    pub fn from_storage(&self, stored: &[u8]) -> Result<Vec<u8>, String> {
        let prefix = self.prefix();
        let Some(rest) = stored.strip_prefix(prefix.as_bytes()) else {
            return Ok(stored.to_vec());
        };
        let key = self.validate()?;
        if self.provider == "secretbox" {
            if rest.len() < 24 {
                return Err("the stored data was shorter than the required size".into());
            }
            let (nonce, body) = rest.split_at(24);
            let nonce: [u8; 24] = nonce.try_into().map_err(|_| "bad nonce".to_string())?;
            return XSalsa20Poly1305::new(&key.into())
                .decrypt(&nonce.into(), body)
                .map_err(|_| "output array was not large enough for encryption".to_string());
        }
        if rest.len() < 16 {
            return Err("the stored data was shorter than the required size".into());
        }
        let (iv, body) = rest.split_at(16);
        let iv: [u8; 16] = iv.try_into().map_err(|_| "bad IV".to_string())?;
        Aes256CbcDec::new(&key.into(), &iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(body)
            .map_err(|_| "invalid PKCS7 data (empty or not padded)".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::fork;

    fn config() -> EncryptionConfig {
        EncryptionConfig {
            provider: "aescbc".into(),
            resources: vec!["secrets".into()],
            key_name: "key1".into(),
            secret: base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
        }
    }

    #[test]
    fn aescbc_round_trip_with_the_upstream_prefix() {
        let c = config();
        let plain = b"{\"kind\":\"Secret\"}".to_vec();
        let stored = c.to_storage("secrets", plain.clone(), &mut fork(1, "x"));
        assert!(stored.starts_with(b"k8s:enc:aescbc:v1:key1:"));
        assert!(!stored.windows(plain.len()).any(|w| w == plain.as_slice()), "no plaintext at rest");
        assert_eq!(c.from_storage(&stored).unwrap(), plain);
        assert_eq!(c.to_storage("configmaps", plain.clone(), &mut fork(1, "x")), plain, "other resources stay plain");
        assert_eq!(c.from_storage(&plain).unwrap(), plain, "identity fallback reads plaintext");
    }

    #[test]
    fn secretbox_round_trip_and_tamper_detection() {
        let c = EncryptionConfig { provider: "secretbox".into(), ..config() };
        let plain = b"{\"kind\":\"Secret\"}".to_vec();
        let mut stored = c.to_storage("secrets", plain.clone(), &mut fork(2, "x"));
        assert!(stored.starts_with(b"k8s:enc:secretbox:v1:key1:"));
        assert_eq!(c.from_storage(&stored).unwrap(), plain);
        let last = stored.len() - 1;
        stored[last] ^= 1;
        assert!(c.from_storage(&stored).is_err(), "Poly1305 rejects a changed byte");
    }

    #[test]
    fn bad_keys_are_rejected_in_upstream_words() {
        let mut c = config();
        c.secret = base64::engine::general_purpose::STANDARD.encode([1u8; 10]);
        assert_eq!(c.validate().unwrap_err(), "EncryptionConfiguration: aescbc key \"key1\" must be 32 bytes, got 10");
    }
}
