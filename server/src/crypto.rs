//! Field encryption at rest: AES-256-GCM with a random 96-bit nonce. A sealed
//! value is stored as `nonce || ciphertext+tag` next to the id of the key that
//! sealed it, so keys can rotate (old keys stay for reading). The associated
//! data binds a ciphertext to its owner (e.g. `address:42`), so a value copied
//! to another row does not decrypt.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{anyhow, Context};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub struct Keyring {
    active: String,
    keys: BTreeMap<String, Aes256Gcm>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

pub struct Sealed {
    pub key_id: String,
    pub blob: Vec<u8>,
}

impl Keyring {
    pub fn new(keys: &BTreeMap<String, [u8; 32]>, active: &str) -> anyhow::Result<Keyring> {
        let keys: BTreeMap<String, Aes256Gcm> = keys
            .iter()
            .map(|(id, k)| (id.clone(), Aes256Gcm::new(k.into())))
            .collect();
        if !keys.contains_key(active) {
            return Err(anyhow!("active data key {active} missing"));
        }
        Ok(Keyring {
            active: active.to_string(),
            keys,
        })
    }

    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> anyhow::Result<Sealed> {
        let cipher = &self.keys[&self.active];
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("encryption failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Ok(Sealed {
            key_id: self.active.clone(),
            blob,
        })
    }

    pub fn open(&self, key_id: &str, aad: &str, blob: &[u8]) -> anyhow::Result<Vec<u8>> {
        let cipher = self
            .keys
            .get(key_id)
            .with_context(|| format!("data key {key_id} is not configured"))?;
        if blob.len() < 12 + 16 {
            return Err(anyhow!("sealed value too short"));
        }
        let (nonce, ct) = blob.split_at(12);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("decryption failed (wrong key or tampered value)"))
    }

    pub fn seal_json<T: serde::Serialize>(&self, aad: &str, value: &T) -> anyhow::Result<Sealed> {
        self.seal(aad, &serde_json::to_vec(value)?)
    }

    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        key_id: &str,
        aad: &str,
        blob: &[u8],
    ) -> anyhow::Result<T> {
        Ok(serde_json::from_slice(&self.open(key_id, aad, blob)?)?)
    }
}

/// Hex SHA-256, for session tokens (only the hash is stored).
pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[&str], active: &str) -> Keyring {
        let keys = ids
            .iter()
            .map(|id| (id.to_string(), crate::config::random_key()))
            .collect();
        Keyring::new(&keys, active).unwrap()
    }

    #[test]
    fn sealed_value_opens_only_with_its_owner_as_associated_data() {
        let k = ring(&["k1"], "k1");
        let s = k.seal("address:1", b"13800000000").unwrap();
        assert!(!s.blob.windows(11).any(|w| w == b"13800000000"));
        assert_eq!(
            k.open(&s.key_id, "address:1", &s.blob).unwrap(),
            b"13800000000"
        );
        assert!(k.open(&s.key_id, "address:2", &s.blob).is_err());
    }

    #[test]
    fn old_key_still_opens_after_rotation() {
        let mut keys = BTreeMap::new();
        keys.insert("k1".to_string(), crate::config::random_key());
        let old = Keyring::new(&keys, "k1").unwrap();
        let s = old.seal("x", b"secret").unwrap();
        keys.insert("k2".to_string(), crate::config::random_key());
        let new = Keyring::new(&keys, "k2").unwrap();
        assert_eq!(new.open("k1", "x", &s.blob).unwrap(), b"secret");
        assert_eq!(new.seal("x", b"y").unwrap().key_id, "k2");
    }
}
