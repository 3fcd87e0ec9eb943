//! Keys for the demo and the tests, generated at first start and kept in the
//! data dir's secrets file (never committed). A real merchant configures its
//! own (see `config::PayConfig`).
//!
//! `rsa` generates the key pairs (generation is not the timing-attack surface of
//! RUSTSEC-2023-0071) and issues the fake's self-signed platform certificate
//! (WeChat's side, demo only); every merchant signature is made by `aws-lc-rs`.

use serde::{Deserialize, Serialize};

/// Everything both sides of the demo need: the merchant's key (ours) and
/// WeChat Pay's keys (the fake's), plus the shared APIv3 key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoPayKeys {
    pub mchid: String,
    pub merchant_serial: String,
    pub merchant_key_pem: String,
    pub merchant_public_key_pem: String,
    /// WeChat's platform certificate (public, given to the merchant) and its key.
    pub platform_serial: String,
    pub platform_cert_pem: String,
    pub platform_key_pem: String,
    /// WeChat Pay public-key mode: the id, the public key and its private key.
    pub public_key_id: String,
    pub public_key_pem: String,
    pub public_key_private_pem: String,
    pub api_v3_key: String,
}

/// Generating keys and the fake's certificate: demo mode and tests only.
#[cfg(feature = "demo")]
mod generate {
    use std::str::FromStr;
    use std::time::Duration;

    use rand::RngCore;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use rsa::{RsaPrivateKey, RsaPublicKey};
    use sha2::Sha256;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::der::EncodePem;
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::Validity;

    use super::DemoPayKeys;

    fn rsa_pair() -> anyhow::Result<(RsaPrivateKey, String, String)> {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
        let private = key.to_pkcs8_pem(LineEnding::LF)?.to_string();
        let public = RsaPublicKey::from(&key).to_public_key_pem(LineEnding::LF)?;
        Ok((key, private, public))
    }

    fn hex_upper(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn random_bytes<const N: usize>() -> [u8; N] {
        let mut b = [0u8; N];
        rand::rngs::OsRng.fill_bytes(&mut b);
        b
    }

    /// 32 ASCII alphanumerics, like the key set in the merchant portal.
    pub fn random_api_v3_key() -> String {
        super::super::nonce()
    }

    /// A self-signed certificate for `key`, with a 20-byte serial.
    fn platform_certificate(key: &RsaPrivateKey) -> anyhow::Result<(String, String)> {
        let mut serial = random_bytes::<20>();
        serial[0] = (serial[0] & 0x3f) | 0x10;
        let spki = SubjectPublicKeyInfoOwned::from_key(RsaPublicKey::from(key))?;
        let signer = SigningKey::<Sha256>::new(key.clone());
        let builder = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::new(&serial)?,
            Validity::from_now(Duration::from_secs(5 * 365 * 24 * 3600))?,
            Name::from_str("CN=Tenpay.com Root CA (fake),O=Tenpay.com,C=CN")?,
            spki,
            &signer,
        )?;
        let cert = builder.build::<rsa::pkcs1v15::Signature>()?;
        Ok((hex_upper(&serial), cert.to_pem(LineEnding::LF)?))
    }

    impl DemoPayKeys {
        /// Three RSA-2048 pairs: a second or so.
        pub fn generate(mchid: &str) -> anyhow::Result<DemoPayKeys> {
            let (_, merchant_key_pem, merchant_public_key_pem) = rsa_pair()?;
            let (platform, platform_key_pem, _) = rsa_pair()?;
            let (platform_serial, platform_cert_pem) = platform_certificate(&platform)?;
            let (_, public_key_private_pem, public_key_pem) = rsa_pair()?;
            Ok(DemoPayKeys {
                mchid: mchid.to_string(),
                merchant_serial: hex_upper(&random_bytes::<20>()),
                merchant_key_pem,
                merchant_public_key_pem,
                platform_serial,
                platform_cert_pem,
                platform_key_pem,
                public_key_id: format!("PUB_KEY_ID_{}", hex_upper(&random_bytes::<12>())),
                public_key_pem,
                public_key_private_pem,
                api_v3_key: random_api_v3_key(),
            })
        }

        /// One set per process, for tests (RSA generation is slow in debug builds).
        pub fn for_tests() -> DemoPayKeys {
            static KEYS: std::sync::OnceLock<DemoPayKeys> = std::sync::OnceLock::new();
            KEYS.get_or_init(|| DemoPayKeys::generate("1900000109").expect("generating test keys"))
                .clone()
        }
    }
}
