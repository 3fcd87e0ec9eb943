//! WeChat Pay API v3, implemented from the published algorithms (wechat.md §3):
//!
//! - [`sign`]: the merchant's request signature (`METHOD\nPATH\nts\nnonce\nbody\n`,
//!   `Authorization: WECHATPAY2-SHA256-RSA2048 …`) and the mini-program's
//!   `paySign` over `appId\ntimeStamp\nnonceStr\npackage\n`;
//! - [`verify`]: notification and response signatures over `ts\nnonce\nbody\n`,
//!   the key chosen by `Wechatpay-Serial` (platform certificates and the WeChat
//!   Pay public key at once), ±5 minutes, `WECHATPAY/SIGNTEST/` probes rejected;
//! - [`decrypt`]: `resource` (AEAD_AES_256_GCM with the APIv3 key);
//! - [`client`]: JSAPI prepay, order query, close, refund;
//! - [`keys`]: demo/test key generation (never committed; generation only with
//!   the `demo` feature);
//! - `fake` (feature `demo`): WeChat's side, served by the loopback fake WeChat API.
//!
//! Crypto: `aws-lc-rs` signs (constant-time RSA PKCS#1 v1.5 SHA-256) and verifies.
//! The `rsa` crate is used only to *generate* demo keys and to issue the fake's
//! self-signed platform certificate — never for the merchant's signatures, so
//! RUSTSEC-2023-0071 (a timing side channel in `rsa`'s private-key operations)
//! does not reach a real merchant key.

pub mod client;
pub mod decrypt;
#[cfg(feature = "demo")]
pub mod fake;
pub mod keys;
pub mod sign;
pub mod verify;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;

pub use client::PayClient;
pub use sign::MerchantSigner;
pub use verify::{NotifyHeaders, PlatformVerifier, VerifyError};

/// A random 32-character alphanumeric nonce.
pub fn nonce() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    raw.iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn unb64(s: &str) -> Option<Vec<u8>> {
    B64.decode(s.trim()).ok()
}

/// Decode a PEM block into its DER bytes, checking the label.
pub fn pem_der(pem: &str, label: &str) -> anyhow::Result<Vec<u8>> {
    let (found, der) = x509_cert::der::pem::decode_vec(pem.trim().as_bytes())
        .map_err(|e| anyhow::anyhow!("not a PEM block: {e}"))?;
    if found != label {
        anyhow::bail!("expected a PEM {label}, found {found}");
    }
    Ok(der)
}

#[cfg(test)]
mod tests;
