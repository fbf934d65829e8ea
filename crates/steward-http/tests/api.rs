//! The REST endpoints over a real socket: services, actions, commands, lifecycle,
//! health, and every error class.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Plane, code, json};
use serde_json::json;
use steward::State;

#[tokio::test]
async fn services_are_listed_described_and_report_status_and_health() {
    let plane = Plane::start("").await;

    let (status, list) = json(plane.get("/api/services").await).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|service| service["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["greeter", "ticker"]);
    assert_eq!(list[0]["state"], "running");
    assert_eq!(list[0]["queue"]["depth"], 0);
    assert!(list[1]["runs"]["next_run"].is_string(), "{list}");

    let (status, info) = json(plane.get("/api/services/greeter").await).await;
    assert_eq!(status, 200);
    let greet = &info["actions"][0];
    assert_eq!(greet["name"], "greet");
    assert_eq!(
        greet["params_schema"]["properties"]["name"]["type"], "string",
        "the parameters' JSON Schema: {info}"
    );
    assert_eq!(info["events"][0]["name"], "greeted");

    let (status, service) = json(plane.get("/api/services/ticker/status").await).await;
    assert_eq!((status, &service["kind"]), (200, &json!("periodic")));
    let (status, health) = json(plane.get("/api/services/ticker/health").await).await;
    assert_eq!((status, &health["status"]), (200, &json!("healthy")));
    plane.stop().await;
}

#[tokio::test]
async fn an_action_answers_its_result_or_is_accepted_and_looked_up() {
    let plane = Plane::start("").await;

    let waited = plane
        .post(
            "/api/services/greeter/actions/greet?wait=true",
            r#"{"name":"ann"}"#,
        )
        .await;
    let (status, body) = json(waited).await;
    assert_eq!((status, body), (200, json!({ "result": "hello ann" })));

    let (status, accepted) = json(
        plane
            .post(
                "/api/services/greeter/actions/greet?priority=5&correlation_id=c-1",
                r#"{"name":"bob"}"#,
            )
            .await,
    )
    .await;
    assert_eq!(status, 202);
    let id = accepted["id"].as_str().unwrap().to_owned();
    // The greeter runs one action at a time, in order: once a later one is done,
    // so is this one.
    plane
        .post(
            "/api/services/greeter/actions/greet?wait=true",
            r#"{"name":"cy"}"#,
        )
        .await;
    let (status, record) = json(plane.get(&format!("/api/actions/{id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(record["state"], "succeeded", "{record}");
    assert_eq!(record["result"], "hello bob");
    assert_eq!(record["correlation_id"], "c-1");
    assert_eq!(record["priority"], 5);

    // Retries with a backoff of their own are journaled with the action.
    let (status, accepted) = json(
        plane
            .post(
                "/api/services/greeter/actions/greet?retries=2&backoff=2s..1m",
                r#"{"name":"dee"}"#,
            )
            .await,
    )
    .await;
    assert_eq!(status, 202);
    let id = accepted["id"].as_str().unwrap();
    let (_, record) = json(plane.get(&format!("/api/actions/{id}")).await).await;
    assert_eq!(record["max_retries"], 2, "{record}");
    assert_eq!(
        record["retry_backoff"],
        json!({"min": "2s", "max": "1m", "jitter": 0.2}),
        "{record}"
    );
    plane.stop().await;
}

#[tokio::test]
async fn bad_requests_get_a_precise_4xx_with_a_json_error() {
    let plane = Plane::start("body_limit = 1024").await;
    let greet = "/api/services/greeter/actions/greet?wait=true";

    let cases = [
        (
            plane.post(greet, r#"{"name": "#).await,
            400,
            "malformed_json",
        ),
        (
            plane.post(greet, r#"{"name": 7}"#).await,
            422,
            "bad_parameters",
        ),
        (
            plane.post(greet, r#"{"nom": "x"}"#).await,
            422,
            "bad_parameters",
        ),
        (
            plane.post("/api/services/nobody/actions/greet", "{}").await,
            404,
            "unknown_service",
        ),
        (
            plane
                .post("/api/services/greeter/actions/shout", "{}")
                .await,
            404,
            "unknown_action",
        ),
        (
            plane.get("/api/services/nobody").await,
            404,
            "unknown_service",
        ),
        (plane.get("/api/nothing/here").await, 404, "not_found"),
        (
            plane.get("/api/actions/not-an-id").await,
            400,
            "bad_action_id",
        ),
        (
            plane.get(&format!("/api/actions/{}", "0".repeat(32))).await,
            404,
            "unknown_action_id",
        ),
        (
            plane.post(&format!("{greet}&priority=high"), "{}").await,
            400,
            "bad_query",
        ),
        (
            plane
                .post(greet, &format!(r#"{{"name": "{}"}}"#, "x".repeat(2000)))
                .await,
            413,
            "body_too_large",
        ),
        (
            plane.post("/api/services/greeter/process-batch", "").await,
            400,
            "not_supported",
        ),
        (
            plane.post("/api/services/ticker/explode", "").await,
            404,
            "unknown_action",
        ),
    ];
    for (response, status, expected) in cases {
        let url = response.url().to_string();
        let (got, body) = json(response).await;
        assert_eq!((got, code(&body)), (status, expected), "{url}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }

    let (_, body) = json(plane.post(greet, r#"{"name": 7}"#).await).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("name"),
        "the field at fault is named: {message}"
    );
    plane.stop().await;
}

#[tokio::test]
async fn commands_run_ticks_and_lifecycle_requests_stop_and_start_services() {
    let plane = Plane::start("").await;

    let (status, body) = json(plane.post("/api/services/ticker/trigger", "").await).await;
    assert_eq!((status, body), (200, json!({ "result": null })));
    let (_, ticker) = json(plane.get("/api/services/ticker/status").await).await;
    assert_eq!(ticker["runs"]["succeeded"], 1, "{ticker}");

    let (status, stopped) = json(plane.post("/api/services/greeter/stop", "").await).await;
    assert_eq!((status, &stopped["state"]), (200, &json!("stopped")));
    let (status, started) = json(plane.post("/api/services/greeter/start", "").await).await;
    assert_eq!(status, 200, "{started}");
    plane
        .handle()
        .service("greeter")
        .unwrap()
        .wait_for(State::Running)
        .await;
    let (status, _) = json(plane.post("/api/services/greeter/restart", "").await).await;
    assert_eq!(status, 200);
    plane.stop().await;
}

#[tokio::test]
async fn host_health_endpoints_answer_for_probes() {
    let plane = Plane::start("").await;
    for path in [
        "/health",
        "/health/live",
        "/health/ready",
        "/api/system/health",
    ] {
        let (status, body) = json(plane.get(path).await).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(
            body["services"].as_array().unwrap().len(),
            2,
            "{path}: {body}"
        );
    }
    plane.stop().await;
}

#[tokio::test]
async fn a_reachable_address_without_a_token_is_refused() {
    let host = steward::Host::builder().env_prefix(None).build().unwrap();
    let running = host.start().await.unwrap();
    let config: steward_http::HttpConfig = {
        let host = steward::Host::builder()
            .env_prefix(None)
            .config_toml("open.toml", "[http]\nbind = \"0.0.0.0:0\"")
            .config_section(steward_http::SECTION)
            .build()
            .unwrap();
        steward_http::HttpConfig::from_config(host.config()).unwrap()
    };
    let error = steward_http::serve(running.handle(), config)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("without a token"), "{error}");
    running.shutdown().await;
}

#[tokio::test]
async fn an_action_sent_for_later_is_held_and_can_be_cancelled() {
    let plane = Plane::start("").await;
    let greet = "/api/services/greeter/actions/greet";

    let (status, accepted) = json(
        plane
            .post(&format!("{greet}?after=1h"), r#"{"name":"dee"}"#)
            .await,
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["id"].as_str().unwrap().to_owned();
    let (_, record) = json(plane.get(&format!("/api/actions/{id}")).await).await;
    assert_eq!(record["state"], "queued", "{record}");
    assert!(record["not_before"].is_string(), "{record}");

    let (status, cancelled) =
        json(plane.post(&format!("/api/actions/{id}/cancel"), "").await).await;
    assert_eq!((status, &cancelled["state"]), (200, &json!("cancelled")));

    let (status, body) = json(plane.post(&format!("{greet}?at=tomorrow"), "{}").await).await;
    let error = &body["error"];
    assert_eq!(
        (status, &error["code"]),
        (400, &json!("bad_query")),
        "{body}"
    );
    assert!(error["message"].as_str().unwrap().contains("at:"), "{body}");

    for (query, says) in [
        ("after=1h&at=2030-01-01T00:00:00Z", "not both"),
        ("after=10000000y", "longer than a hundred years"),
        ("backoff=1s..30s", "`backoff` needs `retries`"),
        ("retries=1&backoff=soon", "backoff: expected `MIN..MAX`"),
        ("retries=-1", "retries:"),
    ] {
        let (status, body) = json(
            plane
                .post(&format!("{greet}?{query}"), r#"{"name":"eve"}"#)
                .await,
        )
        .await;
        let error = &body["error"];
        assert_eq!(
            (status, &error["code"]),
            (400, &json!("bad_query")),
            "{body}"
        );
        assert!(error["message"].as_str().unwrap().contains(says), "{body}");
    }
    plane.stop().await;
}
