//! Actions that survive a crash: a host whose `[journal]` is an SQLite file, and a
//! `ledger` service whose `record` action appends one line per run to a file,
//! `ACTION_ID ATTEMPT`. Kill it with `kill -9` while actions pour in and start it
//! again: every action that was answered `202` is in the ledger, some perhaps
//! twice (delivery is at least once), the second time with an attempt above 1.
//!
//! ```sh
//! cargo run -p steward-cli --example 05_durable_actions -- examples/durable.toml
//! curl -s -X POST localhost:8080/api/services/ledger/actions/record   # 202 and the id
//! cargo run -q -p steward-cli -- ctl actions ledger                   # its history
//! ```
//!
//! The journal, the ledger and the port come from the config file named on the
//! command line (`examples/durable.toml` by default).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use steward::{
    Actions, Context, Continuous, Host, HostError, JournalKind, Result, continuous_with,
};
use steward_http::HttpConfig;
use steward_sqlite::SqliteJournalBuilder;
use tracing::info;

/// Where the ledger is written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerSettings {
    path: PathBuf,
}

/// Appends a line per action it handles.
struct Ledger {
    settings: LedgerSettings,
    /// Opened for appending when the service starts.
    file: OnceLock<File>,
}

#[steward::actions]
impl Ledger {
    /// Appends `ACTION_ID ATTEMPT` to the ledger, in one write.
    #[action]
    async fn record(&self, cx: &Context) -> Result<()> {
        let (Some(id), Some(attempt)) = (cx.action_id(), cx.attempt()) else {
            return Err("`record` runs only as an action".into());
        };
        let file = self.file.get().ok_or("the ledger is not open")?;
        // One `write` on a file opened for appending: lines never interleave.
        (&*file).write_all(format!("{id} {attempt}\n").as_bytes())?;
        Ok(())
    }
}

impl Continuous for Ledger {
    async fn start(&self, _cx: &Context) -> Result {
        if self.file.get().is_none() {
            if let Some(folder) = self.settings.path.parent() {
                std::fs::create_dir_all(folder)?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.settings.path)?;
            let _ = self.file.set(file);
        }
        info!(path = %self.settings.path.display(), "ledger open");
        Ok(())
    }

    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let config = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/durable.toml").into()
    });
    let host = Host::builder()
        .config_file(config)
        .config_section(steward_http::SECTION)
        .service(
            continuous_with("ledger", |settings| Ledger {
                settings,
                file: OnceLock::new(),
            })
            .actions(Ledger::actions()),
        )
        // `[journal] kind = "sqlite"` opens the file (creating or migrating it);
        // a file that cannot be used stops the program here, by name.
        .journal_from(|journal| match journal.kind {
            JournalKind::Sqlite => SqliteJournalBuilder::from(journal).open().map(Some),
            _ => Ok(None),
        })
        .build()?;
    let http = HttpConfig::from_config(host.config())?;
    let server = steward_http::serve(host.handle(), http).await?;
    info!(address = %format!("http://{}", server.address()), "control plane listening");
    let run = host.run().await;
    server.stopped().await?;
    match run {
        Ok(report) => {
            info!(stopped = ?report.stopped, "bye");
            Ok(())
        }
        Err(HostError::Forced(_)) => std::process::exit(130),
        Err(error) => Err(error.into()),
    }
}
