//! The `[journal]` section as the binary serves it: the core makes the memory
//! journal, steward-sqlite opens the SQLite one.

use std::sync::{Arc, OnceLock};

use steward::{JournalConfig, JournalKind, MemoryJournal};
use steward_sqlite::{OpenError, SqliteJournal, SqliteJournalBuilder};

/// The SQLite journal `run` opened, if it opened one, to close once the host has
/// stopped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Opened(Arc<OnceLock<Arc<SqliteJournal>>>);

impl Opened {
    /// For [`HostBuilder::journal_from`](steward::HostBuilder::journal_from):
    /// opens the journal a `sqlite` section names (creating or migrating its
    /// file), and leaves a `memory` one to the core.
    pub(crate) fn opener(
        &self,
    ) -> impl FnOnce(&JournalConfig) -> Result<Option<Arc<SqliteJournal>>, OpenError> + Send + 'static
    {
        let slot = self.0.clone();
        move |config| {
            if config.kind != JournalKind::Sqlite {
                return Ok(None);
            }
            let journal = Arc::new(SqliteJournalBuilder::from(config).open()?);
            let _ = slot.set(journal.clone());
            Ok(Some(journal))
        }
    }

    /// Writes what the journal still has to write and closes it.
    pub(crate) async fn close(&self) {
        let Some(journal) = self.0.get() else { return };
        if let Err(error) = journal.close().await {
            tracing::warn!(%error, "the journal did not close cleanly");
        }
    }
}

/// For `check`: looks at the file a `sqlite` section names without creating or
/// changing it, refusing one that `run` would refuse. A host that is only checked
/// never starts, so a memory journal stands in for the file.
pub(crate) fn inspect(config: &JournalConfig) -> Result<Option<MemoryJournal>, OpenError> {
    if config.kind != JournalKind::Sqlite {
        return Ok(None);
    }
    SqliteJournal::inspect(&config.path)?;
    Ok(Some(MemoryJournal::new()))
}
