//! The merchant console's files (`console/dist`, built by
//! scripts/build-console.sh and embedded in the binary) at `/admin/`, and the
//! landing page at `/`. Hashed assets are cached for a year; `index.html`
//! answers every other `/admin/…` path (the console's own routes) and is
//! never cached. Unknown `/admin/api/…` paths stay JSON errors.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "../console/dist/"]
#[allow_missing = true]
struct Assets;

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/", get(landing))
        .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
        .route("/admin/", get(|| async { file("index.html") }))
        .route("/admin/{*path}", get(asset))
        .route("/uploads/{name}", get(super::admin::uploads::serve))
}

async fn asset(Path(path): Path<String>) -> Response {
    if path == "api" || path.starts_with("api/") {
        return ApiError::NoRoute.into_response();
    }
    if Assets::get(&path).is_some() {
        return file(&path);
    }
    // A console route (history mode) or a missing asset: a file name with an
    // extension is a missing asset, anything else is the console's to route.
    if path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    file("index.html")
}

fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob: https: http://127.0.0.1:*; \
             style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ),
    );
    r
}

fn file(path: &str) -> Response {
    let Some(f) = Assets::get(path) else {
        return secure(not_built());
    };
    let mime = f.metadata.mimetype().to_string();
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    secure(
        (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, cache.to_string()),
            ],
            f.data.into_owned(),
        )
            .into_response(),
    )
}

fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><meta charset=utf-8><title>管理后台未构建</title>\
             <p>The console has not been built into this server. Run \
             <code>bash scripts/build-console.sh</code> (scripts/run.sh does it), then rebuild the server.</p>",
        ),
    )
        .into_response()
}

async fn landing() -> Response {
    secure(Html(LANDING).into_response())
}

const LANDING: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>wechat-mall 商城</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#222;line-height:1.6}
a{color:#07c160}code{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}li{margin:.4rem 0}</style></head>
<body>
<h1>wechat-mall 商城服务已启动</h1>
<ul>
<li><a href="/admin/" data-testid="landing-console">商家管理后台 /admin/</a>：首次启动时创建的店主账号 <code>owner</code>，密码打印在服务日志中，并保存在数据目录的 <code>secrets.json</code>（<code>ownerPassword</code>）。</li>
<li><a href="/api/openapi.json">API 文档（OpenAPI 3.1）</a>，错误码见仓库的 <code>docs/error-codes.md</code>。</li>
<li>小程序：用微信开发者工具打开仓库的 <code>miniprogram/</code> 目录，在 <code>miniprogram/config.js</code> 中把服务地址设为本服务（先运行 <code>npm run build:wasm</code> 生成规则模块）；演示买家用登录码 <code>demo</code>。</li>
<li>健康检查：<a href="/health">/health</a></li>
</ul>
</body></html>
"#;
