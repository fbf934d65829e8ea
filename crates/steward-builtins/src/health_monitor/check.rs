//! One check of one target: an HTTP answer, a TCP connection, or a program's exit.

use std::time::Duration;

use tokio::net::TcpStream;

use super::command;
use super::settings::Check;
use crate::process::HealthUrl;

/// The most body read when looking for the expected text.
const MAX_BODY: usize = 64 * 1024;

/// What a check found: `Ok` with what passed, or `Err` with why it failed.
pub(crate) type Outcome = Result<String, String>;

/// Checks once, within `timeout`.
pub(crate) async fn run(check: Check, client: reqwest::Client, timeout: Duration) -> Outcome {
    let checked = match &check {
        // It kills what it started when its time is up.
        Check::Command(command) => return program(command, timeout).await,
        Check::Http { url, body } => {
            tokio::time::timeout(timeout, http(&client, url, body.as_deref())).await
        }
        Check::Tcp(address) => tokio::time::timeout(timeout, tcp(address)).await,
    };
    checked.unwrap_or_else(|_| Err(format!("{check} did not answer within {timeout:?}")))
}

async fn http(client: &reqwest::Client, url: &HealthUrl, expected: Option<&str>) -> Outcome {
    let mut response = client.get(url.0.clone()).send().await.map_err(|error| {
        let error = error.without_url();
        format!("{url} did not answer: {}", super::error::chain(&error))
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    let Some(expected) = expected else {
        return Ok(format!("{url} answered {status}"));
    };
    let mut body = Vec::new();
    while body.len() < MAX_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(error) => {
                return Err(format!(
                    "{url} answered {status} but its body broke off: {error}"
                ));
            }
        }
    }
    if String::from_utf8_lossy(&body).contains(expected) {
        Ok(format!("{url} answered {status} with `{expected}`"))
    } else {
        Err(format!(
            "{url} answered {status} without `{expected}` in its body"
        ))
    }
}

async fn tcp(address: &str) -> Outcome {
    match TcpStream::connect(address).await {
        Ok(_) => Ok(format!("{address} accepted a connection")),
        Err(error) => Err(format!("{address} refused: {error}")),
    }
}

async fn program(command: &crate::process::CommandLine, timeout: Duration) -> Outcome {
    let finished = command::run(command, timeout)
        .await
        .map_err(|error| error.to_string())?;
    let mut said = format!("`{command}` {}", command::describe(finished.status));
    if let Some(line) = &finished.said {
        said.push_str(": ");
        said.push_str(line);
    }
    if finished.status.success() {
        Ok(said)
    } else {
        Err(said)
    }
}
