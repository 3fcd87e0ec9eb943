//! Share tokens: every shareable thing (a product, a group, a bargain, the
//! shop itself, a coupon gift) gets a token that records who shared it and through which
//! channel. It fits WeChat's `scene` (≤ 32 characters of
//! `0-9A-Za-z!#$&'()*+,/:;=?@-._~`, no `%`), so the same token rides in a
//! share card's query and in a mini-program code. One token per (kind,
//! target, sharer, channel): sharing twice gives the same token.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// The longest token WeChat's `scene` carries.
pub const MAX_LEN: usize = 32;
/// Length of the tokens we issue: 16 characters of [0-9A-Za-z] (95 bits).
const ISSUED_LEN: usize = 16;
const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What can be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Product,
    Group,
    Bargain,
    /// The shop's home page (no target): a promoter's poster, whose code
    /// binds the shoppers who scan it to the promoter.
    Shop,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Product, Kind::Group, Kind::Bargain, Kind::Shop];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Product => "product",
            Kind::Group => "group",
            Kind::Bargain => "bargain",
            Kind::Shop => "shop",
        }
    }

    /// Whether it names a target (a product, group or bargain id); the shop
    /// has none (its target is stored as "").
    pub fn has_target(self) -> bool {
        self != Kind::Shop
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The mini-program page that opens it (checked against app.json).
    pub fn page(self) -> &'static str {
        match self {
            Kind::Product => "pages/product/index",
            Kind::Group => "pkg-activity/group/index",
            Kind::Bargain => "pkg-activity/bargain/index",
            Kind::Shop => "pages/home/index",
        }
    }

    /// A share card's path: the page with the target (none for the shop),
    /// the token and our channel parameter `ch` (which the mini-program
    /// reports with its events).
    pub fn path(self, target: &str, token: &str, channel: &str) -> String {
        if self.has_target() {
            format!("{}?id={target}&share={token}&ch={channel}", self.page())
        } else {
            format!("{}?share={token}&ch={channel}", self.page())
        }
    }
}

/// A token as WeChat's `scene` allows it; the reason when not.
pub fn check_token(token: &str) -> Result<(), String> {
    if token.is_empty() || token.len() > MAX_LEN {
        return Err(format!("1 to {MAX_LEN} characters"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$&'()*+,/:;=?@-._~".contains(c);
    if !token.chars().all(allowed) {
        return Err("only 0-9A-Za-z!#$&'()*+,/:;=?@-._~".into());
    }
    Ok(())
}

fn new_token() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..ISSUED_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Whether `id` is a `kind` one can share: a product on the shelf, a group
/// that has opened (its leader paid), any bargain; the shop always (its id
/// is not read).
pub async fn shareable(conn: &mut AnyConnection, kind: Kind, id: i64) -> sqlx::Result<bool> {
    let sql = match kind {
        Kind::Shop => return Ok(true),
        Kind::Product => "SELECT COUNT(*) FROM products WHERE id = $1 AND on_shelf = 1",
        Kind::Group => {
            "SELECT COUNT(*) FROM buy_groups WHERE id = $1 AND status <> 'pending' AND status <> 'cancelled'"
        }
        Kind::Bargain => "SELECT COUNT(*) FROM bargains WHERE id = $1",
    };
    let n: i64 = sqlx::query_scalar(sql).bind(id).fetch_one(conn).await?;
    Ok(n > 0)
}

/// The shopper's token for sharing `target` of `kind` through `channel`
/// (made on first use, the same afterwards).
pub async fn token_for(
    conn: &mut AnyConnection,
    sharer: i64,
    kind: Kind,
    target: &str,
    channel: &str,
    now: i64,
) -> sqlx::Result<String> {
    sqlx::query(
        "INSERT INTO share_tokens (token, kind, target, sharer_id, channel, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (kind, target, sharer_id, channel) DO NOTHING",
    )
    .bind(new_token())
    .bind(kind.as_str())
    .bind(target)
    .bind(sharer)
    .bind(channel)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar(
        "SELECT token FROM share_tokens WHERE kind = $1 AND target = $2 AND sharer_id = $3 AND channel = $4",
    )
    .bind(kind.as_str())
    .bind(target)
    .bind(sharer)
    .bind(channel)
    .fetch_one(conn)
    .await
}

/// What a token opens.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shared {
    pub token: String,
    pub kind: Kind,
    pub target: String,
    pub channel: String,
    pub sharer_nickname: String,
    /// The page to open, with its query (`?id=…&share=<token>&ch=<channel>`).
    pub path: String,
}

pub async fn resolve(conn: &mut AnyConnection, token: &str) -> sqlx::Result<Option<Shared>> {
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT t.kind, t.target, t.channel, u.nickname FROM share_tokens t
         JOIN users u ON u.id = t.sharer_id WHERE t.token = $1",
    )
    .bind(token)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(kind, target, channel, nickname)| {
        let kind = Kind::parse(&kind)?;
        Some(Shared {
            path: kind.path(&target, token, &channel),
            token: token.to_string(),
            kind,
            target,
            channel,
            sharer_nickname: nickname,
        })
    }))
}

/// Why a token's 小程序码 could not be given.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("no such share token")]
    NotFound,
    #[error(transparent)]
    WeChat(#[from] crate::wechat::WeChatError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

/// The 小程序码 of a token (a PNG or JPEG as WeChat made it): the page its
/// kind opens, with the token as `scene`. Made once per (token, page,
/// version) and kept in the media store, since WeChat limits how many codes
/// it makes a minute. Returns the stored name and the bytes.
pub async fn code(
    conn: &mut AnyConnection,
    wechat: &crate::wechat::WeChatClient,
    media: &dyn crate::media::MediaStore,
    env_version: &str,
    token: &str,
) -> Result<(String, Vec<u8>), CodeError> {
    let shared = resolve(conn, token).await?.ok_or(CodeError::NotFound)?;
    let page = shared.kind.page();
    let key = crate::crypto::sha256_hex(&format!("wxacode:{token}:{page}:{env_version}"));
    for ext in ["png", "jpg"] {
        let name = format!("{key}.{ext}");
        if let Some(bytes) = media.get(&name)? {
            return Ok((name, bytes));
        }
    }
    let bytes = wechat.unlimited_code(token, page, env_version).await?;
    let ext = match crate::media::sniff(&bytes) {
        Some(image::ImageFormat::Png) => "png",
        Some(image::ImageFormat::Jpeg) => "jpg",
        _ => return Err(anyhow::anyhow!("WeChat's 小程序码 is not a PNG or JPEG").into()),
    };
    let name = format!("{key}.{ext}");
    media.put(&name, &bytes)?;
    Ok((name, bytes))
}

/// Who shared `target` of `kind` with this token (None: another thing's
/// token, or no such token).
pub async fn sharer(
    conn: &mut AnyConnection,
    token: &str,
    kind: &str,
    target: Option<i64>,
) -> sqlx::Result<Option<i64>> {
    let Some(target) = target else {
        return Ok(None);
    };
    sqlx::query_scalar(
        "SELECT sharer_id FROM share_tokens WHERE token = $1 AND kind = $2 AND target = $3",
    )
    .bind(token)
    .bind(kind)
    .bind(target.to_string())
    .fetch_optional(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_fit_wechat_scene() {
        for _ in 0..100 {
            let t = new_token();
            assert_eq!(t.len(), ISSUED_LEN);
            check_token(&t).unwrap();
        }
    }

    /// Every shared kind opens a page the mini-program has.
    #[test]
    fn every_kind_opens_a_page_the_mini_program_has() {
        let pages = crate::testing::mini_program_pages();
        for kind in Kind::ALL {
            assert!(pages.iter().any(|p| p == kind.page()), "{}", kind.page());
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn the_shop_opens_the_home_page_without_an_id() {
        assert_eq!(
            Kind::Shop.path("", "Tok", "poster"),
            "pages/home/index?share=Tok&ch=poster"
        );
        assert_eq!(
            Kind::Product.path("3", "Tok", "share"),
            "pages/product/index?id=3&share=Tok&ch=share"
        );
    }

    #[test]
    fn percent_signs_spaces_and_long_tokens_are_refused() {
        assert!(check_token("a%20b").is_err());
        assert!(check_token("a b").is_err());
        assert!(check_token(&"a".repeat(33)).is_err());
        assert!(check_token("").is_err());
        check_token(&"a".repeat(32)).unwrap();
        check_token("g=12&s=ab~_.-").unwrap();
    }
}
