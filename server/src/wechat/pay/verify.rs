//! WeChat Pay's signatures on notifications and API responses:
//! SHA256withRSA over `timestamp\nnonce\n<raw body>\n`, verified with the
//! public key chosen by `Wechatpay-Serial`: a platform certificate's serial
//! (uppercase hex) or a WeChat Pay public key's `PUB_KEY_ID_…`. Both kinds are
//! configured at once, because WeChat switches between them while a merchant
//! migrates. Timestamps more than 5 minutes off and `WECHATPAY/SIGNTEST/`
//! probes are rejected before any key is used.

use std::collections::BTreeMap;

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use axum::http::HeaderMap;
use x509_cert::der::{Decode, DecodePem};
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use super::{pem_der, unb64};

/// The largest accepted clock difference, seconds.
pub const MAX_SKEW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
    /// `Wechatpay-Signature-Type`; absent means RSA.
    pub signature_type: Option<String>,
}

/// The one signature type this server verifies.
pub const SIGNATURE_TYPE: &str = "WECHATPAY2-SHA256-RSA2048";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("signature test probe")]
    SignTest,
    #[error("timestamp out of range")]
    Stale,
    #[error("unknown serial {0}")]
    UnknownSerial(String),
    #[error("bad signature")]
    BadSignature,
    #[error("unsupported signature type {0}")]
    UnsupportedSignatureType(String),
}

impl NotifyHeaders {
    pub fn from_headers(h: &HeaderMap) -> Result<NotifyHeaders, VerifyError> {
        let get = |name: &'static str| -> Result<String, VerifyError> {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(VerifyError::MissingHeader(name))
        };
        Ok(NotifyHeaders {
            timestamp: get("wechatpay-timestamp")?,
            nonce: get("wechatpay-nonce")?,
            signature: get("wechatpay-signature")?,
            serial: get("wechatpay-serial")?,
            signature_type: get("wechatpay-signature-type").ok(),
        })
    }
}

/// `timestamp\nnonce\nbody\n` (the raw body bytes, never re-serialised).
pub fn message(ts: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + ts.len() + nonce.len() + 3);
    m.extend_from_slice(ts.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(nonce.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// A serial as a key: certificate serials are hex numbers, compared as
/// numbers (case and leading zeros do not matter); `PUB_KEY_ID_…` ids are
/// compared exactly.
pub fn serial_key(serial: &str) -> String {
    if !serial.is_empty() && serial.chars().all(|c| c.is_ascii_hexdigit()) {
        let t = serial.trim_start_matches('0').to_ascii_uppercase();
        if t.is_empty() {
            "0".into()
        } else {
            t
        }
    } else {
        serial.to_string()
    }
}

/// The serial of a certificate as WeChat writes it: uppercase hex.
pub fn cert_serial(cert: &Certificate) -> String {
    let bytes = cert.tbs_certificate.serial_number.as_bytes();
    // DER may carry a leading zero to keep the integer positive.
    let bytes = match bytes {
        [0, rest @ ..] if !rest.is_empty() && rest[0] & 0x80 != 0 => rest,
        b => b,
    };
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[derive(Debug, Clone, Default)]
pub struct PlatformVerifier {
    /// PKCS#1 RSAPublicKey DER by serial / public-key id.
    keys: BTreeMap<String, Vec<u8>>,
}

impl PlatformVerifier {
    pub fn new() -> PlatformVerifier {
        PlatformVerifier::default()
    }

    /// A platform certificate (PEM); its serial selects it.
    pub fn add_certificate(&mut self, pem: &str) -> anyhow::Result<String> {
        let cert = Certificate::from_pem(pem.trim().as_bytes())
            .map_err(|e| anyhow::anyhow!("platform certificate: {e}"))?;
        let serial = cert_serial(&cert);
        let key = cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
            .to_vec();
        self.keys.insert(serial_key(&serial), key);
        Ok(serial)
    }

    /// A WeChat Pay public key (SPKI PEM) with its `PUB_KEY_ID_…`.
    pub fn add_public_key(&mut self, id: &str, pem: &str) -> anyhow::Result<()> {
        let der = pem_der(pem, "PUBLIC KEY")?;
        let spki = SubjectPublicKeyInfoOwned::from_der(&der)
            .map_err(|e| anyhow::anyhow!("WeChat Pay public key: {e}"))?;
        self.keys
            .insert(serial_key(id), spki.subject_public_key.raw_bytes().to_vec());
        Ok(())
    }

    pub fn serials(&self) -> Vec<String> {
        self.keys.keys().cloned().collect()
    }

    /// Verify a notification or response.
    pub fn verify(&self, h: &NotifyHeaders, body: &[u8], now: i64) -> Result<(), VerifyError> {
        if let Some(t) = &h.signature_type {
            if t != SIGNATURE_TYPE {
                return Err(VerifyError::UnsupportedSignatureType(t.clone()));
            }
        }
        if h.signature.starts_with("WECHATPAY/SIGNTEST/") {
            return Err(VerifyError::SignTest);
        }
        let ts: i64 = h.timestamp.parse().map_err(|_| VerifyError::Stale)?;
        if (now - ts).abs() > MAX_SKEW_SECS {
            return Err(VerifyError::Stale);
        }
        let key = self
            .keys
            .get(&serial_key(&h.serial))
            .ok_or_else(|| VerifyError::UnknownSerial(h.serial.clone()))?;
        let sig = unb64(&h.signature).ok_or(VerifyError::BadSignature)?;
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(&message(&h.timestamp, &h.nonce, body), &sig)
            .map_err(|_| VerifyError::BadSignature)
    }
}
