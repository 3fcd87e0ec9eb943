//! Known vectors for the WeChat Pay v3 algorithms. AES-GCM: a vector computed
//! independently (Python `cryptography`). RSA: signatures made by `aws-lc-rs` are
//! checked by the independent `rsa` implementation and vice versa, over the
//! exact message layouts WeChat specifies.

use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::RsaPrivateKey;
use sha2::Sha256;

use super::decrypt::{decrypt, encrypt, DecryptError, Resource};
use super::keys::DemoPayKeys;
use super::sign::{parse_authorization, pay_sign_message, request_message};
use super::verify::serial_key;
use super::verify::{message, NotifyHeaders, PlatformVerifier, VerifyError};
use super::{b64, unb64, MerchantSigner};

const KEY: &str = "0123456789abcdefghijklmnopqrstuv";

#[test]
fn message_layouts_are_exactly_wechats() {
    assert_eq!(
        request_message(
            "POST",
            "/v3/pay/transactions/jsapi",
            1554208460,
            "593BEC0C930BF1AFEB40B4A08C8FB242",
            "{\"a\":1}"
        ),
        "POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{\"a\":1}\n"
    );
    assert_eq!(
        request_message("GET", "/v3/certificates", 1, "n", ""),
        "GET\n/v3/certificates\n1\nn\n\n"
    );
    assert_eq!(
        pay_sign_message("wx8888888888888888", "1414561699", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "prepay_id=wx201410272009395522657a690389285100"),
        "wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n"
    );
    assert_eq!(message("1", "n", b""), b"1\nn\n\n");
    assert_eq!(message("1", "n", b"{}"), b"1\nn\n{}\n");
}

#[test]
fn aes_gcm_resource_decrypts_an_independent_vector() {
    let r = Resource {
        algorithm: "AEAD_AES_256_GCM".into(),
        ciphertext:
            "vEKBieFhZE3y3Yg3F+vPNx1j14IpypQXfECRG5mhOC6KDpYugtx+d34Xk1LwK562aBVO8Nh1a+UygDn+"
                .into(),
        associated_data: "transaction".into(),
        nonce: "abcdefghijkl".into(),
        original_type: "transaction".into(),
    };
    assert_eq!(
        decrypt(KEY, &r).unwrap(),
        b"{\"out_trade_no\":\"T1\",\"amount\":{\"total\":100}}"
    );
    // Our own sealing gives the same bytes.
    let mine = encrypt(
        KEY,
        "abcdefghijkl",
        "transaction",
        "transaction",
        &decrypt(KEY, &r).unwrap(),
    )
    .unwrap();
    assert_eq!(mine.ciphertext, r.ciphertext);
    // Any change is an authentication failure.
    let mut bad = r.clone();
    bad.associated_data = "refund".into();
    assert_eq!(decrypt(KEY, &bad), Err(DecryptError::Auth));
    let mut bad = r.clone();
    bad.nonce = "abcdefghijkm".into();
    assert_eq!(decrypt(KEY, &bad), Err(DecryptError::Auth));
    let mut raw = unb64(&r.ciphertext).unwrap();
    raw[3] ^= 1;
    let mut bad = r.clone();
    bad.ciphertext = b64(&raw);
    assert_eq!(decrypt(KEY, &bad), Err(DecryptError::Auth));
    assert_eq!(
        decrypt("vutsrqponmlkjihgfedcba9876543210", &r),
        Err(DecryptError::Auth)
    );
    assert_eq!(decrypt("short", &r), Err(DecryptError::Key));
    let mut bad = r;
    bad.algorithm = "AEAD_AES_128_GCM".into();
    assert!(matches!(
        decrypt(KEY, &bad),
        Err(DecryptError::Algorithm(_))
    ));
}

#[test]
fn merchant_signatures_verify_with_the_independent_rsa_implementation() {
    let k = DemoPayKeys::for_tests();
    let signer = MerchantSigner::new(&k.mchid, &k.merchant_serial, &k.merchant_key_pem).unwrap();
    let private = RsaPrivateKey::from_pkcs8_pem(&k.merchant_key_pem).unwrap();
    let verifying = VerifyingKey::<Sha256>::new(private.to_public_key());

    // The Authorization header over the exact request message.
    let body = "{\"appid\":\"wx\"}";
    let auth =
        signer.authorization_with("POST", "/v3/pay/transactions/jsapi", body, 1554208460, "N1");
    let f = parse_authorization(&auth).unwrap();
    assert_eq!(f["mchid"], k.mchid);
    assert_eq!(f["serial_no"], k.merchant_serial);
    assert_eq!(f["timestamp"], "1554208460");
    assert_eq!(f["nonce_str"], "N1");
    assert!(auth.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\""));
    let sig = Signature::try_from(unb64(&f["signature"]).unwrap().as_slice()).unwrap();
    let msg = request_message("POST", "/v3/pay/transactions/jsapi", 1554208460, "N1", body);
    verifying.verify(msg.as_bytes(), &sig).unwrap();
    assert!(verifying.verify(b"POST\n/other\n", &sig).is_err());

    // paySign over appId\ntimeStamp\nnonceStr\npackage\n.
    let p = signer.request_payment_with("wx-app", "wx2014", "1414561699", "NONCE");
    assert_eq!(p.package, "prepay_id=wx2014");
    assert_eq!(p.sign_type, "RSA");
    let sig = Signature::try_from(unb64(&p.pay_sign).unwrap().as_slice()).unwrap();
    verifying
        .verify(b"wx-app\n1414561699\nNONCE\nprepay_id=wx2014\n", &sig)
        .unwrap();
    // PKCS#1 v1.5 is deterministic: both implementations give the same bytes.
    let theirs =
        SigningKey::<Sha256>::new(private).sign(b"wx-app\n1414561699\nNONCE\nprepay_id=wx2014\n");
    assert_eq!(b64(&theirs.to_bytes()), p.pay_sign);
}

fn headers(ts: i64, nonce: &str, sig: String, serial: &str) -> NotifyHeaders {
    NotifyHeaders {
        timestamp: ts.to_string(),
        nonce: nonce.into(),
        signature: sig,
        serial: serial.into(),
        signature_type: None,
    }
}

#[test]
fn notifications_verify_under_either_key_and_every_attack_fails() {
    let k = DemoPayKeys::for_tests();
    let mut v = PlatformVerifier::new();
    assert_eq!(
        v.add_certificate(&k.platform_cert_pem).unwrap(),
        k.platform_serial
    );
    v.add_public_key(&k.public_key_id, &k.public_key_pem)
        .unwrap();
    let now = 1_700_000_000;
    let body = br#"{"id":"EV-1","event_type":"TRANSACTION.SUCCESS"}"#;
    // Signed by the independent implementation, as WeChat would.
    let sign = |pem: &str, m: &[u8]| {
        let key = RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
        b64(&SigningKey::<Sha256>::new(key).sign(m).to_bytes())
    };
    let platform_sig = sign(&k.platform_key_pem, &message(&now.to_string(), "N", body));
    let pubkey_sig = sign(
        &k.public_key_private_pem,
        &message(&now.to_string(), "N", body),
    );
    v.verify(
        &headers(now, "N", platform_sig.clone(), &k.platform_serial),
        body,
        now,
    )
    .unwrap();
    v.verify(
        &headers(now, "N", pubkey_sig.clone(), &k.public_key_id),
        body,
        now + 300,
    )
    .unwrap();
    // Wrong key for the serial.
    assert_eq!(
        v.verify(
            &headers(now, "N", pubkey_sig.clone(), &k.platform_serial),
            body,
            now
        ),
        Err(VerifyError::BadSignature)
    );
    // One byte of the body changed.
    let mut changed = body.to_vec();
    changed[10] ^= 1;
    assert_eq!(
        v.verify(
            &headers(now, "N", pubkey_sig.clone(), &k.public_key_id),
            &changed,
            now
        ),
        Err(VerifyError::BadSignature)
    );
    // Another nonce.
    assert_eq!(
        v.verify(
            &headers(now, "M", pubkey_sig.clone(), &k.public_key_id),
            body,
            now
        ),
        Err(VerifyError::BadSignature)
    );
    // More than 5 minutes off, either way.
    assert_eq!(
        v.verify(
            &headers(now, "N", pubkey_sig.clone(), &k.public_key_id),
            body,
            now + 301
        ),
        Err(VerifyError::Stale)
    );
    assert_eq!(
        v.verify(
            &headers(now, "N", pubkey_sig.clone(), &k.public_key_id),
            body,
            now - 301
        ),
        Err(VerifyError::Stale)
    );
    // Probes and unknown serials.
    assert_eq!(
        v.verify(
            &headers(
                now,
                "N",
                format!("WECHATPAY/SIGNTEST/{pubkey_sig}"),
                &k.public_key_id
            ),
            body,
            now
        ),
        Err(VerifyError::SignTest)
    );
    assert!(matches!(
        v.verify(
            &headers(now, "N", pubkey_sig, "PUB_KEY_ID_OTHER"),
            body,
            now
        ),
        Err(VerifyError::UnknownSerial(_))
    ));
    assert_eq!(
        v.verify(
            &headers(now, "N", "not base64!".into(), &k.public_key_id),
            body,
            now
        ),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn only_the_rsa_signature_type_verifies_and_serials_compare_as_numbers() {
    let k = DemoPayKeys::for_tests();
    let mut v = PlatformVerifier::new();
    v.add_certificate(&k.platform_cert_pem).unwrap();
    let now = 1_700_000_000;
    let body = br#"{"id":"EV-2"}"#;
    let key = RsaPrivateKey::from_pkcs8_pem(&k.platform_key_pem).unwrap();
    let sig = b64(&SigningKey::<Sha256>::new(key)
        .sign(&message(&now.to_string(), "N", body))
        .to_bytes());
    let mut h = headers(now, "N", sig, &k.platform_serial);
    h.signature_type = Some("WECHATPAY2-SHA256-RSA2048".into());
    v.verify(&h, body, now).unwrap();
    // The serial in lower case and with leading zeros is the same number.
    let mut lower = h.clone();
    lower.serial = format!("00{}", k.platform_serial.to_lowercase());
    v.verify(&lower, body, now).unwrap();
    // SM2 (or anything else) is refused, not ignored.
    let mut sm2 = h.clone();
    sm2.signature_type = Some("WECHATPAY2-SM2-WITH-SM3".into());
    assert!(matches!(
        v.verify(&sm2, body, now),
        Err(VerifyError::UnsupportedSignatureType(_))
    ));
    assert_eq!(serial_key("000ABc"), "ABC");
    assert_eq!(serial_key("PUB_KEY_ID_0114"), "PUB_KEY_ID_0114");
}

#[test]
fn missing_headers_are_named() {
    let mut h = axum::http::HeaderMap::new();
    h.insert("wechatpay-timestamp", "1".parse().unwrap());
    h.insert("wechatpay-nonce", "n".parse().unwrap());
    h.insert("wechatpay-serial", "s".parse().unwrap());
    assert_eq!(
        NotifyHeaders::from_headers(&h),
        Err(VerifyError::MissingHeader("wechatpay-signature"))
    );
}
