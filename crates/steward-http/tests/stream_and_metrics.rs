//! Server-sent events arrive live, filtered; `/metrics` parses as Prometheus text
//! and its restart counter moves when a service restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::Plane;
use futures_util::StreamExt;
use steward::State;

/// Reads an SSE body until `wanted` frames whose `event:` line is `name` arrived.
async fn frames(response: reqwest::Response, name: &str, wanted: usize) -> Vec<String> {
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let mut found = Vec::new();
    while found.len() < wanted {
        let chunk = body.next().await.expect("the stream ended early").unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            if frame.lines().any(|line| line == format!("event: {name}")) {
                found.push(frame);
            }
        }
    }
    found
}

#[tokio::test]
async fn events_stream_live_and_filtered_by_service_and_name() {
    let plane = Plane::start("").await;
    let subscribed = |query: &str| {
        plane
            .client
            .get(plane.url(&format!("/api/events{query}")))
            .send()
    };
    let everything = subscribed("").await.unwrap();
    let greeter = subscribed("?service=greeter&event=greeted").await.unwrap();
    let nothing = subscribed("?service=ticker").await.unwrap();
    assert_eq!(everything.status(), 200);
    assert_eq!(
        everything.headers()["content-type"],
        "text/event-stream",
        "an SSE stream"
    );
    // The subscriptions exist once the response headers are back.
    assert_eq!(plane.handle().subscribers(), 3);

    for name in ["ann", "bob"] {
        let body = format!(r#"{{"name":"{name}"}}"#);
        plane
            .post(
                "/api/services/greeter/actions/greet?wait=true&correlation_id=c-9",
                &body,
            )
            .await;
    }
    let wait = Duration::from_secs(10);
    let all = tokio::time::timeout(wait, frames(everything, "greeted", 2))
        .await
        .unwrap();
    let filtered = tokio::time::timeout(wait, frames(greeter, "greeted", 2))
        .await
        .unwrap();
    assert_eq!(all, filtered);
    let data: serde_json::Value = serde_json::from_str(
        all[0]
            .lines()
            .find_map(|line| line.strip_prefix("data: "))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(data["service"], "greeter");
    assert_eq!(data["data"], serde_json::json!({ "name": "ann" }));
    assert_eq!(data["correlation_id"], "c-9");

    // The ticker's stream saw none of it, and ends when the host stops.
    plane.stop().await;
    let rest = tokio::time::timeout(wait, nothing.text())
        .await
        .unwrap()
        .unwrap();
    assert!(!rest.contains("greeted"), "{rest}");
}

#[tokio::test]
async fn metrics_parse_and_the_restart_counter_moves() {
    let plane = Plane::start("").await;
    let restarts = |text: &str| {
        let lines = text.lines().map(|line| Ok(line.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
        scrape
            .samples
            .iter()
            .find(|sample| {
                sample.metric == "steward_service_restarts_total"
                    && sample.labels.get("service") == Some("greeter")
            })
            .map(|sample| match sample.value {
                prometheus_parse::Value::Counter(value)
                | prometheus_parse::Value::Untyped(value) => value,
                ref other => panic!("not a counter: {other:?}"),
            })
    };
    let scrape = |plane: &Plane| {
        let request = plane.client.get(plane.url("/metrics")).send();
        async move {
            let response = request.await.unwrap();
            assert_eq!(response.status(), 200);
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
            response.text().await.unwrap()
        }
    };
    let before = scrape(&plane).await;
    assert_eq!(restarts(&before), Some(0.0), "{before}");
    assert!(
        before.contains("steward_service_up{service=\"ticker\"} 1"),
        "{before}"
    );

    let greeter = plane.handle().service("greeter").unwrap();
    let mut transitions = plane.handle().transitions();
    plane
        .post("/api/services/greeter/actions/crash?wait=true", "")
        .await;
    // Backing off, then running again.
    loop {
        let transition = transitions.recv().await.unwrap();
        if &*transition.service == "greeter" && transition.to == State::BackingOff {
            break;
        }
    }
    greeter.wait_for(State::Running).await;
    let after = scrape(&plane).await;
    assert_eq!(restarts(&after), Some(1.0), "{after}");
    assert!(
        after.contains(
            "steward_action_duration_seconds_count{service=\"greeter\",action=\"crash\",outcome=\"succeeded\"} 1"
        ),
        "{after}"
    );
    plane.stop().await;
}
