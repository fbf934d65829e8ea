//! A `process` service's health from its HTTP URL or TCP port, against real servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use steward::{HealthStatus, HostHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod common;
use common::{host, until};

/// An HTTP server that answers every request with the status in `status`.
async fn http_server(status: Arc<AtomicU16>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let status = status.load(Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{address}/health")
}

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
    let status = Arc::new(AtomicU16::new(503));
    let url = http_server(status.clone()).await;
    let host = host(&sleeper(&format!("health_url = \"{url}\"")));
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
    status.store(200, Ordering::SeqCst);
    health_becomes(&handle, HealthStatus::Healthy, "").await;
    status.store(500, Ordering::SeqCst);
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
