//! A `process` service's health from its HTTP URL or TCP port, against real servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use steward::{HealthStatus, HostHandle};
use tokio::net::TcpListener;

mod common;
use common::http::Server;
use common::{host, until};

fn sleeper(health: &str) -> String {
    format!(
        "[services.app]\nkind = \"process\"\nsettings = {{ command = [\"sleep\", \"60\"], {health}, health_interval = \"20ms\", health_timeout = \"1s\" }}\n"
    )
}

async fn health_becomes(handle: &HostHandle, status: HealthStatus, message: &str) {
    let service = handle.service("app").unwrap();
    until(&format!("health is {status:?} with `{message}`"), || {
        let health = service.health();
        health.status == status && health.message.as_deref().unwrap_or("").contains(message)
    })
    .await;
}

#[tokio::test]
async fn http_health_is_starting_until_the_url_answers_then_follows_it() {
    let server = Server::start(503, "").await;
    let host = host(&sleeper(&format!("health_url = \"{}\"", server.url)));
    let handle = host.handle();
    let running = host.start().await.unwrap();

    health_becomes(&handle, HealthStatus::Degraded, "starting: ").await;
    health_becomes(&handle, HealthStatus::Degraded, "answered 503").await;
    assert!(
        handle
            .service("app")
            .unwrap()
            .health()
            .message
            .unwrap()
            .starts_with("starting: ")
    );
    server.answer(200, "");
    health_becomes(&handle, HealthStatus::Healthy, "").await;
    server.answer(500, "");
    health_becomes(&handle, HealthStatus::Unhealthy, "answered 500").await;
    // A service that is not critical makes the host at most degraded.
    assert_eq!(handle.health().status, HealthStatus::Degraded);
    running.shutdown().await;
}

#[tokio::test]
async fn tcp_health_follows_whether_the_port_accepts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let host = host(&sleeper(&format!("health_tcp = \"{address}\"")));
    let handle = host.handle();
    let running = host.start().await.unwrap();

    health_becomes(&handle, HealthStatus::Healthy, "").await;
    drop(listener);
    health_becomes(&handle, HealthStatus::Unhealthy, "refused").await;
    running.shutdown().await;
}

#[tokio::test]
async fn without_a_probe_a_running_program_is_healthy() {
    let host =
        host("[services.app]\nkind = \"process\"\nsettings = { command = [\"sleep\", \"60\"] }\n");
    let handle = host.handle();
    let running = host.start().await.unwrap();
    health_becomes(&handle, HealthStatus::Healthy, "").await;
    running.shutdown().await;
}
