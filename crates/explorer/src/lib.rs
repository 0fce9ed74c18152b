//! The web explorer every node serves at `/`.
//!
//! Static pages built into the binary (no separate server, no CDN: it works
//! on a closed network) that read the node's own HTTP API from the browser.
//! Plain ES modules, no build step: what is in `assets/` is what is served.
//! The page verifies what it must not take on trust itself (`verify.js`:
//! finalization certificates and state proofs), and hashes files for the
//! notary check in the browser, so they never leave the machine.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /` | the explorer (`index.html`); pages are addressed after `#` |
//! | `GET /explorer/{file}` | one of its scripts or its style sheet |

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// Where the explorer's files are served from.
pub const ASSETS_PREFIX: &str = "/explorer/";

/// Scripts may come from this node only and nothing may be framed: the
/// pages show records an attacker would like to overlay. Styles set through
/// the DOM (not `style` attributes) are all the scripts use.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// Most characters of a requested name a 404 repeats.
const MAX_ECHO_CHARS: usize = 80;

/// One served file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! assets {
    ($($name:literal => $content_type:expr),* $(,)?) => {
        &[$(Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../assets/", $name)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the explorer. `index.html` is served at `/`.
const ASSETS: &[Asset] = assets! {
    "index.html" => "text/html; charset=utf-8",
    "app.css" => "text/css; charset=utf-8",
    "app.js" => JS,
    "api.js" => JS,
    "dom.js" => JS,
    "charts.js" => JS,
    "verify.js" => JS,
    "route.js" => JS,
    "page-network.js" => JS,
    "page-chain.js" => JS,
    "page-orgs.js" => JS,
    "page-catalog.js" => JS,
    "page-audit.js" => JS,
    "page-notary.js" => JS,
    "page-subject.js" => JS,
};

/// The explorer's routes, for any router state: merge them with the API's.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route(&format!("{ASSETS_PREFIX}{{file}}"), get(asset))
}

async fn index() -> Response {
    serve(find("index.html").expect("index.html is an asset"))
}

async fn asset(Path(file): Path<String>) -> Response {
    match find(&file) {
        Some(asset) if asset.name != "index.html" => serve(asset),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({
                "code": "unknown_route",
                "message": format!(
                    "the explorer has no file {:?}",
                    file.chars().take(MAX_ECHO_CHARS).collect::<String>()
                ),
            })),
        )
            .into_response(),
    }
}

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

fn serve(asset: &'static Asset) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, asset.content_type),
            // The files change with the binary: revalidate, never serve stale.
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        asset.body,
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    async fn get(uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = routes::<()>()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, body.to_vec())
    }

    #[tokio::test]
    async fn the_page_and_every_file_are_served_with_their_type_and_policy() {
        let (status, headers, body) = get("/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        assert!(String::from_utf8(body).unwrap().contains("<main"));
        for asset in ASSETS.iter().filter(|a| a.name != "index.html") {
            let (status, headers, body) = get(&format!("{ASSETS_PREFIX}{}", asset.name)).await;
            assert_eq!(status, StatusCode::OK, "{}", asset.name);
            assert_eq!(headers[header::CONTENT_TYPE], asset.content_type);
            assert_eq!(body, asset.body);
        }
    }

    #[tokio::test]
    async fn unknown_files_are_json_404s() {
        for uri in [
            "/explorer/nothing.js",
            "/explorer/index.html",
            "/explorer/..%2FCargo.toml",
        ] {
            let (status, headers, body) = get(uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(headers[header::CONTENT_TYPE], "application/json");
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["code"], "unknown_route");
        }
    }

    /// Every module a script imports, and every file the page loads, is
    /// served: a missing one would break the page only in a browser.
    #[test]
    fn every_reference_between_files_resolves() {
        for asset in ASSETS {
            let text = std::str::from_utf8(asset.body).unwrap();
            let references = text
                .split(['"', '\''])
                .filter_map(|part| {
                    part.strip_prefix("./")
                        .or_else(|| part.strip_prefix(ASSETS_PREFIX))
                })
                .filter(|name| name.ends_with(".js") || name.ends_with(".css"));
            for name in references {
                assert!(
                    find(name).is_some(),
                    "{} refers to {name}, not served",
                    asset.name
                );
            }
        }
    }
}
