//! Health from the outside: an HTTP URL that answers 2xx, or a TCP port that accepts.

use std::net::SocketAddr;
use std::time::Duration;

use steward::{Context, Health};
use tokio::net::TcpStream;

use super::settings::{HealthUrl, ProcessSettings};

/// What to check.
#[derive(Debug, Clone)]
pub(crate) enum Probe {
    Http(HealthUrl),
    Tcp(SocketAddr),
}

impl Probe {
    /// The probe the settings ask for, if any (the URL when both are given).
    pub(crate) fn from_settings(settings: &ProcessSettings) -> Option<Self> {
        match (&settings.health_url, settings.health_tcp) {
            (Some(url), _) => Some(Probe::Http(url.clone())),
            (None, Some(address)) => Some(Probe::Tcp(address)),
            (None, None) => None,
        }
    }

    /// Reports the program's health through `cx` for as long as it is polled.
    /// Until the first success the program counts as starting (degraded), and is
    /// checked often; after that, every `interval`, and a failed check is unhealthy.
    pub(crate) async fn watch(self, cx: &Context, interval: Duration, timeout: Duration) {
        let client = match &self {
            Probe::Http(_) => match reqwest::Client::builder()
                .timeout(timeout)
                .no_proxy()
                .build()
            {
                Ok(client) => Some(client),
                Err(error) => {
                    cx.set_health(Health::unhealthy(format!(
                        "cannot make an HTTP client: {error}"
                    )));
                    return std::future::pending().await;
                }
            },
            Probe::Tcp(_) => None,
        };
        let mut answered = false;
        let mut delay = Duration::from_millis(50).min(interval);
        loop {
            let checked = match (&self, &client) {
                (Probe::Http(url), Some(client)) => check_http(client, url).await,
                (Probe::Tcp(address), _) => check_tcp(*address, timeout).await,
                (Probe::Http(_), None) => Err("no HTTP client".to_owned()),
            };
            match checked {
                Ok(()) => {
                    answered = true;
                    cx.set_health(Health::healthy());
                }
                Err(reason) if answered => cx.set_health(Health::unhealthy(reason)),
                Err(reason) => cx.set_health(Health::degraded(format!("starting: {reason}"))),
            }
            if answered {
                delay = interval;
            } else {
                delay = (delay * 2).min(interval);
            }
            tokio::time::sleep(delay).await;
        }
    }
}

async fn check_http(client: &reqwest::Client, url: &HealthUrl) -> Result<(), String> {
    let response = client
        .get(url.0.clone())
        .send()
        .await
        .map_err(|error| format!("{url} did not answer: {error}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("{url} answered {status}"))
    }
}

async fn check_tcp(address: SocketAddr, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("{address} refused: {error}")),
        Err(_) => Err(format!("{address} did not accept within {timeout:?}")),
    }
}
