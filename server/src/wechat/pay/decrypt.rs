//! `resource` of a notification: AEAD_AES_256_GCM with the 32-byte APIv3 key
//! (its ASCII bytes), a 12-byte ASCII nonce and `associated_data`; the
//! base64 `ciphertext` is ciphertext ‖ 16-byte tag.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use serde::{Deserialize, Serialize};

use super::{b64, unb64};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
    #[serde(default)]
    pub original_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("unsupported algorithm {0}")]
    Algorithm(String),
    #[error("the APIv3 key must be 32 bytes")]
    Key,
    #[error("malformed resource")]
    Malformed,
    #[error("authentication failed")]
    Auth,
}

fn cipher(api_v3_key: &str) -> Result<Aes256Gcm, DecryptError> {
    if api_v3_key.len() != 32 {
        return Err(DecryptError::Key);
    }
    Aes256Gcm::new_from_slice(api_v3_key.as_bytes()).map_err(|_| DecryptError::Key)
}

pub fn decrypt(api_v3_key: &str, r: &Resource) -> Result<Vec<u8>, DecryptError> {
    if r.algorithm != "AEAD_AES_256_GCM" {
        return Err(DecryptError::Algorithm(r.algorithm.clone()));
    }
    let c = cipher(api_v3_key)?;
    if r.nonce.len() != 12 {
        return Err(DecryptError::Malformed);
    }
    let msg = unb64(&r.ciphertext).ok_or(DecryptError::Malformed)?;
    c.decrypt(
        Nonce::from_slice(r.nonce.as_bytes()),
        Payload {
            msg: &msg,
            aad: r.associated_data.as_bytes(),
        },
    )
    .map_err(|_| DecryptError::Auth)
}

/// WeChat's side (the fake): seal a plaintext the way notifications are.
pub fn encrypt(
    api_v3_key: &str,
    nonce: &str,
    associated_data: &str,
    original_type: &str,
    plaintext: &[u8],
) -> Result<Resource, DecryptError> {
    let c = cipher(api_v3_key)?;
    if nonce.len() != 12 {
        return Err(DecryptError::Malformed);
    }
    let sealed = c
        .encrypt(
            Nonce::from_slice(nonce.as_bytes()),
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| DecryptError::Malformed)?;
    Ok(Resource {
        algorithm: "AEAD_AES_256_GCM".into(),
        ciphertext: b64(&sealed),
        associated_data: associated_data.into(),
        nonce: nonce.into(),
        original_type: original_type.into(),
    })
}
