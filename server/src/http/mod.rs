//! The HTTP API. Every route is registered through [`Api`], which records its
//! method, path, summary and access level; the OpenAPI document served at
//! `/api/openapi.json` is generated from that record, so it cannot drift from
//! the routes (a test also probes every documented route).

pub mod addresses;
pub mod admin;
pub mod after_sales;
pub mod auth;
pub mod bargains;
pub mod body;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod codes;
pub mod console;
pub mod coupon_center;
pub mod distribution;
pub mod error;
pub mod events;
pub mod extract;
pub mod flash;
pub mod gifts;
pub mod groups;
pub mod input;
pub mod member;
pub mod merchant;
pub mod openapi;
pub mod orders;
pub mod pay;
pub mod recommend;
pub mod reviews;
pub mod schema;
pub mod search;
pub mod serve;
pub mod share;
pub mod signin;
pub mod subscriptions;

use std::time::Instant;

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Public, but personalised when signed in.
    OptionalUser,
    User,
    Merchant,
    /// The console: a staff member whose role may open this page.
    Staff(crate::staff::Page),
}

#[derive(Debug, Clone)]
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub access: Access,
}

/// A router that documents itself.
pub struct Api {
    router: Router<AppState>,
    pub routes: Vec<RouteDoc>,
    tag: &'static str,
}

macro_rules! verb {
    ($name:ident, $filter:expr, $m:literal) => {
        pub fn $name<H, T>(
            self,
            path: &'static str,
            access: Access,
            summary: &'static str,
            handler: H,
        ) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.add($filter, $m, path, access, summary, handler)
        }
    };
}

impl Api {
    fn new() -> Api {
        Api {
            router: Router::new(),
            routes: Vec::new(),
            tag: "misc",
        }
    }

    pub fn tag(mut self, tag: &'static str) -> Self {
        self.tag = tag;
        self
    }

    fn add<H, T>(
        mut self,
        filter: MethodFilter,
        method: &'static str,
        path: &'static str,
        access: Access,
        summary: &'static str,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter, handler));
        self.routes.push(RouteDoc {
            method,
            path,
            tag: self.tag,
            summary,
            access,
        });
        self
    }

    verb!(get, MethodFilter::GET, "get");
    verb!(post, MethodFilter::POST, "post");
    verb!(put, MethodFilter::PUT, "put");
    verb!(patch, MethodFilter::PATCH, "patch");
    verb!(delete, MethodFilter::DELETE, "delete");
}

/// Every route, documented.
pub fn api() -> Api {
    let api = Api::new()
        .tag("meta")
        .get(
            "/health",
            Access::Public,
            "Liveness and database check",
            health,
        )
        .get(
            "/api/openapi.json",
            Access::Public,
            "This OpenAPI document",
            openapi_json,
        );
    let api = auth::routes(api.tag("auth"));
    let api = catalog::routes(api.tag("catalog"));
    let api = reviews::routes(api.tag("reviews"));
    let api = search::routes(api.tag("search"));
    let api = recommend::routes(api.tag("recommendations"));
    let api = cart::routes(api.tag("cart"));
    let api = addresses::routes(api.tag("addresses"));
    let api = checkout::routes(api.tag("checkout"));
    let api = orders::routes(api.tag("orders"));
    let api = pay::routes(api.tag("pay"));
    let api = after_sales::routes(api.tag("after-sales"));
    let api = groups::routes(api.tag("group-buy"));
    let api = share::routes(api.tag("share"));
    let api = flash::routes(api.tag("flash-sale"));
    let api = member::routes(api.tag("member"));
    let api = bargains::routes(api.tag("bargains"));
    let api = coupon_center::routes(api.tag("coupons"));
    let api = gifts::routes(api.tag("gifts"));
    let api = signin::routes(api.tag("signin"));
    let api = subscriptions::routes(api.tag("subscriptions"));
    let api = distribution::routes(api.tag("distribution"));
    let api = events::routes(api.tag("events"));
    let api = merchant::routes(api.tag("merchant"));
    admin::routes(api)
}

pub fn router(state: AppState) -> Router {
    let api = api();
    console::routes(api.router)
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // read_bounded is the one body limit (1 MiB; the image upload's 5 MiB).
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(middleware::from_fn(body::read_bounded))
        .layer(middleware::from_fn(serve::limit_head))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    tracing::debug!(%method, %path, status = res.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    res
}

async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(Json(
        json!({"status": "ok", "database": format!("{:?}", state.db.backend).to_lowercase()}),
    ))
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi::document(&api().routes))
}
