//! The console's API (`/admin/api/*`, docs/admin-api.md). Every route belongs
//! to a console page ([`Page`]); its handler takes [`Staff<P>`] for that page,
//! which signs the caller in (the session cookie, with the CSRF header on
//! every write, or `X-Merchant-Token` acting as the owner) and refuses roles
//! the page does not allow. Routes are registered with `Access::Staff(page)`,
//! so the OpenAPI document lists their roles; a test calls each route as each
//! role and checks the two agree.

pub mod after_sales;
pub mod bargains;
pub mod delivery;
pub mod distribution;
pub mod exports;
pub mod groups;
pub mod marketing;
pub mod member_campaigns;
pub mod member_tags;
pub mod members;
pub mod openapi;
pub mod orders;
pub mod products;
pub mod session;
pub mod settings;
pub mod stats;
pub mod stream;
pub mod uploads;

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};

use crate::crypto::sha256_hex;
use crate::http::error::ApiError;
use crate::http::extract::MERCHANT_HEADER;
use crate::http::Api;
use crate::staff::{self, StaffMember};
pub use crate::staff::{Page, Role};
use crate::state::AppState;

/// The session cookie.
pub const COOKIE: &str = "mall_staff";
/// The header every write carries (the session's CSRF token).
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn routes(api: Api) -> Api {
    let api = session::routes(api.tag("admin-session"));
    let api = products::routes(api.tag("admin-products"));
    let api = orders::routes(api.tag("admin-orders"));
    let api = exports::routes(api.tag("admin-exports"));
    let api = after_sales::routes(api.tag("admin-after-sales"));
    let api = stats::routes(api.tag("admin-stats"));
    let api = stream::routes(api.tag("admin-stream"));
    let api = uploads::routes(api.tag("admin-uploads"));
    let api = members::routes(api.tag("admin-members"));
    let api = delivery::routes(api.tag("admin-delivery"));
    let api = marketing::routes(api.tag("admin-marketing"));
    let api = groups::routes(api.tag("admin-marketing"));
    let api = bargains::routes(api.tag("admin-bargains"));
    let api = member_campaigns::routes(api.tag("admin-member-campaigns"));
    let api = member_tags::routes(api.tag("admin-members"));
    let api = distribution::routes(api.tag("admin-distribution"));
    settings::routes(api.tag("admin-settings"))
}

/// A console page as a type, for [`Staff`].
pub trait PageMarker: Send + Sync + 'static {
    const PAGE: Page;
}

/// Page markers: `Staff<page::Orders>` is a caller allowed on 订单.
pub mod page {
    use super::{Page, PageMarker};
    macro_rules! pages {
        ($($name:ident),*) => {$(
            pub struct $name;
            impl PageMarker for $name { const PAGE: Page = Page::$name; }
        )*};
    }
    pages!(
        Overview,
        Products,
        Orders,
        AfterSales,
        Marketing,
        Distribution,
        Members,
        Delivery,
        Data,
        Settings
    );
}

/// A signed-in staff member allowed on page `P`.
pub struct Staff<P: PageMarker> {
    pub member: StaffMember,
    _page: PhantomData<P>,
}

impl<P: PageMarker> std::ops::Deref for Staff<P> {
    type Target = StaffMember;
    fn deref(&self) -> &StaffMember {
        &self.member
    }
}

impl<P: PageMarker> FromRequestParts<AppState> for Staff<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SignedIn { member, .. } = SignedIn::from_request_parts(parts, state).await?;
        if !P::PAGE.allows(member.role) {
            return Err(ApiError::StaffForbidden {
                role: member.role,
                allowed: P::PAGE.roles(),
            });
        }
        Ok(Staff {
            member,
            _page: PhantomData,
        })
    }
}

/// Any signed-in staff member (whatever the role), with the session's CSRF
/// token (none for the merchant token, which has no session).
pub struct SignedIn {
    pub member: StaffMember,
    pub csrf: Option<String>,
}

/// The value of the cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut conn = state.db.pool.acquire().await?;
        if let Some(given) = parts.headers.get(MERCHANT_HEADER) {
            // Automation: the merchant token is the owner (no cookie, no CSRF).
            let given = given.to_str().unwrap_or("");
            if sha256_hex(given) != sha256_hex(&state.config.merchant_token) {
                return Err(ApiError::MerchantOnly);
            }
            return Ok(SignedIn {
                member: staff::automation_owner(&mut conn).await?,
                csrf: None,
            });
        }
        let token = cookie(&parts.headers, COOKIE).ok_or(ApiError::StaffUnauthorized)?;
        let (member, csrf) = staff::session(&mut conn, token, crate::db::now())
            .await?
            .ok_or(ApiError::StaffUnauthorized)?;
        if !is_read(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            // Compare digests, so timing says nothing about the token.
            if sent.map(sha256_hex) != Some(sha256_hex(&csrf)) {
                return Err(ApiError::StaffCsrf);
            }
        }
        Ok(SignedIn {
            member,
            csrf: Some(csrf),
        })
    }
}
