//! The merchant's signatures: API requests and the mini-program's `paySign`.
//! SHA256withRSA (RSASSA-PKCS1-v1_5 with SHA-256) by `aws-lc-rs`, base64.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde::Serialize;

use super::{b64, nonce, pem_der};

/// `METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n` (an empty body for GET).
pub fn request_message(method: &str, path_query: &str, ts: i64, nonce: &str, body: &str) -> String {
    format!("{method}\n{path_query}\n{ts}\n{nonce}\n{body}\n")
}

/// `appId\ntimeStamp\nnonceStr\npackage\n`.
pub fn pay_sign_message(app_id: &str, ts: &str, nonce: &str, package: &str) -> String {
    format!("{app_id}\n{ts}\n{nonce}\n{package}\n")
}

/// An RSA private key that signs with aws-lc-rs (PKCS#8).
pub struct RsaSigner {
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl RsaSigner {
    pub fn from_pkcs8_pem(pem: &str) -> anyhow::Result<RsaSigner> {
        let der = pem_der(pem, "PRIVATE KEY")?;
        let key = RsaKeyPair::from_pkcs8(&der)
            .map_err(|e| anyhow::anyhow!("merchant key is not an RSA PKCS#8 key: {e}"))?;
        Ok(RsaSigner {
            key,
            rng: SystemRandom::new(),
        })
    }

    /// base64(SHA256withRSA(message)).
    pub fn sign(&self, message: &[u8]) -> String {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
            .expect("RSA signing with a valid key and buffer");
        b64(&sig)
    }
}

/// The merchant: mchid, its certificate serial and private key.
pub struct MerchantSigner {
    pub mchid: String,
    pub serial: String,
    signer: RsaSigner,
}

/// What `wx.requestPayment` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPayment {
    pub app_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    pub package: String,
    pub sign_type: &'static str,
    pub pay_sign: String,
}

impl MerchantSigner {
    pub fn new(mchid: &str, serial: &str, key_pem: &str) -> anyhow::Result<MerchantSigner> {
        Ok(MerchantSigner {
            mchid: mchid.to_string(),
            serial: serial.to_string(),
            signer: RsaSigner::from_pkcs8_pem(key_pem)?,
        })
    }

    /// The `Authorization` header for a request.
    pub fn authorization_with(
        &self,
        method: &str,
        path_query: &str,
        body: &str,
        ts: i64,
        nonce: &str,
    ) -> String {
        let sig = self
            .signer
            .sign(request_message(method, path_query, ts, nonce, body).as_bytes());
        format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{sig}\",timestamp=\"{ts}\",serial_no=\"{}\"",
            self.mchid, self.serial
        )
    }

    pub fn authorization(&self, method: &str, path_query: &str, body: &str, now: i64) -> String {
        self.authorization_with(method, path_query, body, now, &nonce())
    }

    /// The mini-program's payment parameters for a prepay id.
    pub fn request_payment(&self, app_id: &str, prepay_id: &str, now: i64) -> RequestPayment {
        self.request_payment_with(app_id, prepay_id, &now.to_string(), &nonce())
    }

    pub fn request_payment_with(
        &self,
        app_id: &str,
        prepay_id: &str,
        ts: &str,
        nonce: &str,
    ) -> RequestPayment {
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = self
            .signer
            .sign(pay_sign_message(app_id, ts, nonce, &package).as_bytes());
        RequestPayment {
            app_id: app_id.to_string(),
            time_stamp: ts.to_string(),
            nonce_str: nonce.to_string(),
            package,
            sign_type: "RSA",
            pay_sign,
        }
    }
}

/// Parse `WECHATPAY2-SHA256-RSA2048 k="v",…` into its fields.
pub fn parse_authorization(header: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let rest = header.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    let mut out = std::collections::BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        out.insert(k.to_string(), v.trim_matches('"').to_string());
    }
    Some(out)
}
