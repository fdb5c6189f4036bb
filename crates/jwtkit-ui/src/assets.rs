//! The page's assets, embedded in the binary at compile time (`include_bytes!`): nothing is read
//! from disk or fetched at run time, and no asset names an off-host URL (a test enforces it).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// The URL path it is served at.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

/// Every embedded asset.
pub static ASSETS: [Asset; 5] = [
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../assets/index.html"),
    },
    Asset {
        path: "/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/app.js"),
    },
    Asset {
        path: "/oauth.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/oauth.js"),
    },
    Asset {
        path: "/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/style.css"),
    },
    Asset {
        path: "/favicon.png",
        content_type: "image/png",
        body: include_bytes!("../assets/favicon.png"),
    },
];

fn respond(asset: &'static Asset) -> Response {
    let mut r = asset.body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    r
}

/// `GET` routes for [`ASSETS`].
pub(crate) fn routes() -> Router {
    let mut router = Router::new();
    for asset in &ASSETS {
        router = router.route(asset.path, get(move || async move { respond(asset) }));
    }
    router
}
