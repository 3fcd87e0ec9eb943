//! The demo identities: the openid and phone number the fake WeChat API gives
//! for a login or phone code (the same code, the same user). The demo seed
//! uses them for its shopper, so they exist in every build.

use sha2::{Digest, Sha256};

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The openid the fake gives for a login code: the same code, the same user.
pub fn openid_for_code(code: &str) -> String {
    format!("o{}", &hex(&Sha256::digest(format!("openid:{code}")))[..27])
}

/// The phone the fake gives for a phone code: 138 and eight digits.
pub fn phone_for_code(code: &str) -> String {
    let d = Sha256::digest(format!("phone:{code}"));
    let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 100_000_000;
    format!("138{n:08}")
}
