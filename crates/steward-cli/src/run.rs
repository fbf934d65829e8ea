//! `steward run`: the host and its control plane until SIGTERM or SIGINT.

use std::path::Path;

use tracing_subscriber::EnvFilter;

use crate::check::{self, Journal};
use crate::journal::Opened;
use crate::{Exit, complain, notify};

pub(crate) async fn run(config: &Path, json_logs: bool) -> Exit {
    init_logs(json_logs);
    let journal = Opened::default();
    let (host, http) = match check::load(config, Journal::Open(&journal)) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    let handle = host.handle();
    // Served from the start, so probes see the host starting up.
    let server = match steward_http::serve(handle.clone(), http).await {
        Ok(server) => server,
        Err(error) => {
            complain(format!("error: {error}"));
            return Exit::Failure;
        }
    };
    tracing::info!(address = %format!("http://{}", server.address()), "control plane listening");
    let notifier = notify::spawn(handle.clone());
    // However `run` ends, it leaves the shutdown requested: the server stops.
    let ended = host.run().await;
    if let Some(notifier) = notifier {
        let _ = notifier.await;
    }
    if let Err(error) = server.stopped().await {
        tracing::warn!(%error, "the control plane stopped with an error");
    }
    journal.close().await;
    match ended {
        Ok(report) => {
            tracing::info!(?report, "host stopped");
            Exit::Success
        }
        Err(error) => {
            complain(format!("error: {error}"));
            Exit::Failure
        }
    }
}

fn init_logs(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}
