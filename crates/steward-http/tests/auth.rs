//! Bearer tokens: `/api` needs one, probes stay open unless protected, and the
//! token never shows in what the API answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Plane, code, json};

#[tokio::test]
async fn the_api_needs_the_token_and_probes_stay_open() {
    let plane = Plane::start("token = \"s3cret\"").await;

    let response = plane.get("/api/services").await;
    let challenge = response.headers().get("www-authenticate").cloned();
    let (status, body) = json(response).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"));
    assert_eq!(challenge.unwrap(), "Bearer");

    let wrong = plane
        .client
        .get(plane.url("/api/services"))
        .bearer_auth("guess");
    let (status, body) = json(wrong.send().await.unwrap()).await;
    assert_eq!((status, code(&body)), (403, "forbidden"));

    let right = plane
        .client
        .get(plane.url("/api/services/greeter"))
        .bearer_auth("s3cret");
    let response = right.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(!text.contains("s3cret"), "the token leaked: {text}");

    for open in ["/health", "/health/live", "/health/ready", "/metrics"] {
        assert_eq!(plane.get(open).await.status(), 200, "{open}");
    }
    let (status, _) = json(plane.get("/api/system/health").await).await;
    assert_eq!(status, 401);
    plane.stop().await;
}

#[tokio::test]
async fn protected_probes_need_the_token_too() {
    let plane = Plane::start("token = \"s3cret\"\nprotect_probes = true").await;
    for path in ["/health", "/metrics"] {
        assert_eq!(plane.get(path).await.status(), 401, "{path}");
        let authorised = plane.client.get(plane.url(path)).bearer_auth("s3cret");
        assert_eq!(authorised.send().await.unwrap().status(), 200, "{path}");
    }
    plane.stop().await;
}

#[test]
fn a_token_can_come_from_the_environment_and_must_be_set_there() {
    let config = |text: &str| {
        steward::Host::builder()
            .env_prefix(None)
            .config_toml("plane.toml", text)
            .config_section(steward_http::SECTION)
            .build()
            .map(|host| steward_http::HttpConfig::from_config(host.config()))
            .unwrap()
    };
    let path = std::env::var("PATH").unwrap();
    let from_env = config("[http]\ntoken = \"${PATH}\"").unwrap();
    assert_eq!(from_env.token.as_deref(), Some(path.as_str()));
    assert!(
        !format!("{from_env:?}").contains(&path),
        "Debug shows no token"
    );

    let error = config("[http]\ntoken = \"${STEWARD_HTTP_TEST_UNSET_TOKEN}\"").unwrap_err();
    assert_eq!(error.key, "http.token");
    assert!(
        error.reason.contains("STEWARD_HTTP_TEST_UNSET_TOKEN"),
        "{error}"
    );
    assert!(error.to_string().contains("plane.toml"), "{error}");
}
