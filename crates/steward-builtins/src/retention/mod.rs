//! `kind = "retention-cleanup"`: delete rows and files older than a retention.
//!
//! ```toml
//! [services.cleanup]
//! kind = "retention-cleanup"
//! interval = "1h"
//! settings = { retention_days = 30, batch_size = 1000, dry_run = false, sqlite = [{ database = "data/app.db", table = "events", column = "created_at" }], directories = ["inbox"] }
//! ```
//!
//! Each run (every hour and once on startup by default; the table's `interval`,
//! `cron` or `run_on_startup` replace that) works out the cutoff, `retention_days`
//! before now, and then
//!
//! - for each `sqlite` target, deletes the rows whose `column` is before the
//!   cutoff, `batch_size` rows per transaction
//!   (`DELETE FROM t WHERE rowid IN (SELECT rowid FROM t WHERE old LIMIT n)`),
//!   until none is left: the write lock is held for one batch at a time,
//!   never across batches (and the cleanup waits up to five seconds for
//!   other writers' locks). A timestamp may be
//!   an integer or real (unix seconds) or ISO-8601 text (`2026-11-01T10:00:00Z`,
//!   `2026-11-01 10:00:00`, any UTC offset), told apart row by row with
//!   `typeof`; text is compared through SQLite's `julianday`. NULLs, blobs,
//!   unreadable text and unix seconds stored as text are never deleted. The
//!   table needs a `rowid` (not `WITHOUT ROWID`). `table` and `column` must be
//!   plain identifiers (letters, digits, `_`), checked when the settings are read;
//!   the database must exist: it is opened, never created;
//! - for each of `directories`, deletes the regular files, at any depth, whose
//!   modification time is before the cutoff, and removes the subdirectories that
//!   this emptied (never the directory itself, nor one that was empty before).
//!   Symbolic links below the directory are neither followed nor deleted.
//!
//! A single table may be given with flat keys instead of a `sqlite` list:
//! `settings = { retention_days = 30, database = "data/app.db", table = "events",
//! column = "created_at" }` is the same as `sqlite = [{ database = "data/app.db",
//! table = "events", column = "created_at" }]`. The three go together, and not
//! with `sqlite`: giving both is a configuration error.
//!
//! With `dry_run = true` it counts what it would delete and deletes nothing (the
//! databases are opened read-only).
//!
//! Every run emits [`CleanupCompleted`] (`cleanup.completed`) with the rows,
//! files and bytes of each target and the reason a target failed, and adds what
//! it deleted to the counters `steward_cleanup_rows_deleted_total{service,target}`,
//! `steward_cleanup_files_deleted_total{service,target}` and
//! `steward_cleanup_bytes_freed_total{service}` (the bytes of deleted files; the
//! space rows held stays in the database file until it is vacuumed). Targets are
//! named `DATABASE:TABLE` and by the directory as written.
//!
//! A target that fails (a missing database or directory, a missing table, a
//! database locked for longer than five seconds) does not stop the others: the
//! service reports `degraded`, naming each failed target and why, until a run
//! succeeds for all; its ticks succeed, so it never enters a crash loop.
//!
//! `steward ctl trigger cleanup` runs a full cleanup now. The `process-batch`
//! command deletes at most one batch per target now, `batch_size` (the
//! command's, else the settings') rows or files, only in the target its
//! `filter` names (`DATABASE:TABLE`, the bare table name, or the directory),
//! still in transactions of at most the settings' `batch_size` rows,
//! and answers the run's [`CleanupCompleted`] as JSON; `more` tells whether old
//! rows or files may be left. Runs never overlap.

mod cutoff;
mod error;
mod events;
mod files;
mod metrics;
mod run;
mod settings;
mod sqlite;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use steward::{Context, Health, Periodic, ProcessBatch, Schedule, ServiceDef};

pub use error::CleanupError;
pub use events::{Cause, CleanupCompleted, TargetKind, TargetReport};
pub use settings::{Identifier, RetentionSettings, SqliteTarget};

use cutoff::Cutoff;
use metrics::CleanupMetrics;
use run::Budget;

/// The default schedule: every hour.
const EVERY: Duration = Duration::from_secs(60 * 60);

/// Deletes rows and files older than the retention.
#[derive(Debug)]
pub struct RetentionCleanup {
    settings: RetentionSettings,
    /// Made when the service starts, from the host's registry.
    metrics: Mutex<Option<CleanupMetrics>>,
    /// Held for each run: runs never overlap.
    running: tokio::sync::Mutex<()>,
}

/// The definition of a `retention-cleanup` service called `name`.
pub fn define(name: &str) -> ServiceDef {
    steward::periodic_with(name, RetentionCleanup::new).emits::<CleanupCompleted>()
}

impl RetentionCleanup {
    /// A service with these settings.
    pub fn new(settings: RetentionSettings) -> Self {
        Self {
            settings,
            metrics: Mutex::new(None),
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// The tables' names, in the order of the settings.
    fn table_names(&self) -> Vec<String> {
        self.settings
            .sqlite
            .iter()
            .map(SqliteTarget::name)
            .collect()
    }

    /// The directories' names, in the order of the settings.
    fn directory_names(&self) -> Vec<String> {
        let directories = self.settings.directories.iter();
        directories
            .map(|directory| directory.display().to_string())
            .collect()
    }

    /// One run over the targets `filter` names (all with `None`).
    async fn clean(
        &self,
        cx: &Context,
        cause: Cause,
        limit: Option<u32>,
        filter: Option<&str>,
    ) -> CleanupCompleted {
        let _one_at_a_time = self.running.lock().await;
        let cutoff = Cutoff::days_ago(self.settings.retention_days);
        let budget = Budget {
            batch_size: self.settings.batch_size,
            limit,
            dry_run: self.settings.dry_run,
        };
        let mut targets = Vec::new();
        for table in &self.settings.sqlite {
            if filter.is_none_or(|filter| filter == table.name() || filter == table.table.as_str())
            {
                targets.push(run::clean_table(cx, table, cutoff, budget).await);
            }
        }
        for directory in &self.settings.directories {
            if filter.is_none_or(|filter| directory.as_os_str() == filter) {
                targets.push(run::clean_directory(directory, cutoff, budget).await);
            }
        }
        let completed = CleanupCompleted::new(cause, budget.dry_run, cutoff.rfc3339(), targets);
        self.report(cx, &completed).await;
        completed
    }

    /// Shows a run in metrics, health, the log and an event.
    async fn report(&self, cx: &Context, completed: &CleanupCompleted) {
        if let Some(metrics) = self
            .metrics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            metrics.record(completed);
        }
        let failed: Vec<String> = completed
            .targets
            .iter()
            .filter_map(|target| {
                let error = target.error.as_ref()?;
                Some(format!("{}: {error}", target.target))
            })
            .collect();
        let health = if failed.is_empty() {
            Health::healthy()
        } else {
            tracing::warn!(failed = %failed.join("; "), "retention cleanup incomplete");
            Health::degraded(format!(
                "{} of {} cleanup targets failed: {}",
                failed.len(),
                completed.targets.len(),
                failed.join("; ")
            ))
        };
        cx.set_health(
            health
                .with_detail("rows", completed.rows)
                .with_detail("files", completed.files)
                .with_detail("dry_run", completed.dry_run),
        );
        tracing::info!(
            rows = completed.rows,
            files = completed.files,
            bytes = completed.bytes,
            dry_run = completed.dry_run,
            cutoff = %completed.cutoff,
            "retention cleanup done"
        );
        if let Err(error) = cx.emit(completed.clone()).await {
            tracing::debug!(%error, "could not emit cleanup.completed");
        }
    }
}

impl Periodic for RetentionCleanup {
    fn schedule(&self) -> Schedule {
        Schedule::every(EVERY).run_on_startup()
    }

    async fn start(&self, cx: &Context) -> steward::Result {
        let mut metrics = self.metrics.lock().unwrap_or_else(PoisonError::into_inner);
        if metrics.is_none() {
            *metrics = Some(CleanupMetrics::new(
                cx.metrics(),
                cx.name(),
                &self.table_names(),
                &self.directory_names(),
            ));
        }
        Ok(())
    }

    async fn tick(&self, cx: &Context) -> steward::Result {
        // A failed target is in the event and the health; the tick succeeds.
        self.clean(cx, Cause::Schedule, None, None).await;
        Ok(())
    }

    async fn process_batch(&self, cx: &Context, batch: ProcessBatch) -> steward::Result<Value> {
        let limit = match batch.batch_size {
            Some(0) => return Err(CleanupError::EmptyBatch.into()),
            Some(size) => u32::try_from(size).unwrap_or(u32::MAX),
            None => self.settings.batch_size,
        };
        if let Some(filter) = batch.filter.as_deref() {
            let mut known = self.table_names();
            known.extend(self.directory_names());
            let bare = self
                .settings
                .sqlite
                .iter()
                .any(|table| table.table.as_str() == filter);
            if !bare && !known.iter().any(|name| name == filter) {
                return Err(CleanupError::UnknownTarget {
                    filter: filter.to_owned(),
                    known,
                }
                .into());
            }
        }
        let completed = self
            .clean(
                cx,
                Cause::ProcessBatch,
                Some(limit),
                batch.filter.as_deref(),
            )
            .await;
        Ok(serde_json::to_value(completed)?)
    }
}
