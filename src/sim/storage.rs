//! How kube-apiserver turns objects into etcd values and back, including encryption at rest
//! (apiserver/pkg/storage/value/encrypt). Built-in types are stored as protobuf upstream; this
//! build stores their JSON encoding (as kube-apiserver does for custom resources) — the
//! protobuf encoder is still to come. Encrypted values carry upstream's
//! `k8s:enc:<provider>:v1:<key name>:` prefix.

use super::api::Object;
use super::rng::{Draw, SimRng};
use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use serde::{Deserialize, Serialize};

pub fn encode(o: &Object) -> Vec<u8> {
    serde_json::to_vec(o).unwrap_or_default()
}

pub fn decode(bytes: &[u8]) -> Result<Object, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("unable to decode stored object: {e}"))
}

/// An EncryptionConfiguration (apiserver.config.k8s.io/v1) with one aescbc key for a set of
/// resources; the identity provider stays as the fallback for reading plaintext.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncryptionConfig {
    /// Resources to encrypt, e.g. `secrets`.
    pub resources: Vec<String>,
    /// The key's name (`key1`).
    pub key_name: String,
    /// A 32-byte AES key, base64 as in the configuration file.
    pub secret: String,
}

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

impl EncryptionConfig {
    pub fn validate(&self) -> Result<[u8; 32], String> {
        let key = base64::engine::general_purpose::STANDARD
            .decode(&self.secret)
            .map_err(|e| format!("EncryptionConfiguration: key \"{}\": {e}", self.key_name))?;
        key.try_into().map_err(|k: Vec<u8>| {
            format!("EncryptionConfiguration: aescbc key \"{}\" must be 32 bytes, got {}", self.key_name, k.len())
        })
    }

    fn prefix(&self) -> String {
        format!("k8s:enc:aescbc:v1:{}:", self.key_name)
    }

    /// Encrypts the value of `resource` if the configuration covers it.
    pub fn to_storage(&self, resource: &str, plain: Vec<u8>, rng: &mut SimRng) -> Vec<u8> {
        let Ok(key) = self.validate() else { return plain };
        if !self.resources.iter().any(|r| r == resource) {
            return plain;
        }
        let iv: [u8; 16] = std::array::from_fn(|_| rng.below(256) as u8);
        let sealed = Aes256CbcEnc::new(&key.into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(&plain);
        let mut out = self.prefix().into_bytes();
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
    fn bad_keys_are_rejected_in_upstream_words() {
        let mut c = config();
        c.secret = base64::engine::general_purpose::STANDARD.encode([1u8; 10]);
        assert_eq!(c.validate().unwrap_err(), "EncryptionConfiguration: aescbc key \"key1\" must be 32 bytes, got 10");
    }
}
