//! One cleanup run over a set of targets: each table in bounded batches, each
//! directory in one walk, the blocking work on `spawn_blocking`.

use std::path::Path;

use steward::Context;

use super::cutoff::Cutoff;
use super::error::{CleanupError, chain};
use super::events::{TargetKind, TargetReport};
use super::files::Sweep;
use super::settings::SqliteTarget;
use super::sqlite::Table;

/// How much of a target one run may delete.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Rows per transaction.
    pub(crate) batch_size: u32,
    /// At most this many rows or files per target (`process-batch`); every old
    /// one with `None`.
    pub(crate) limit: Option<u32>,
    /// Count, delete nothing.
    pub(crate) dry_run: bool,
}

/// Deletes a table's old rows: batch after batch, each its own transaction,
/// until none is left, the limit is reached, or the service is stopping.
pub(crate) async fn clean_table(
    cx: &Context,
    target: &SqliteTarget,
    cutoff: Cutoff,
    budget: Budget,
) -> TargetReport {
    let mut report = TargetReport::new(target.name(), TargetKind::Sqlite);
    if let Err(error) = delete_rows(cx, target, cutoff, budget, &mut report).await {
        report.more = true;
        report.error = Some(chain(&error));
    }
    report
}

async fn delete_rows(
    cx: &Context,
    target: &SqliteTarget,
    cutoff: Cutoff,
    budget: Budget,
    report: &mut TargetReport,
) -> Result<(), CleanupError> {
    let opening = target.clone();
    let mut table = blocking(move || Table::open(&opening, cutoff, budget.dry_run)).await?;
    if budget.dry_run {
        let counted = blocking(move || table.count(budget.limit)).await?;
        report.rows = counted;
        report.more = budget
            .limit
            .is_some_and(|limit| counted >= u64::from(limit));
        return Ok(());
    }
    loop {
        let left = budget
            .limit
            .map(|limit| u64::from(limit).saturating_sub(report.rows));
        if left == Some(0) {
            report.more = true;
            return Ok(());
        }
        if cx.is_cancelled() {
            report.more = true;
            return Ok(());
        }
        let size = match left {
            Some(left) => u32::try_from(left)
                .unwrap_or(u32::MAX)
                .min(budget.batch_size),
            None => budget.batch_size,
        };
        let (back, deleted) = blocking(move || {
            let deleted = table.delete_batch(size);
            Ok((table, deleted))
        })
        .await?;
        table = back;
        let deleted = deleted?;
        report.rows += deleted;
        if deleted < u64::from(size) {
            return Ok(());
        }
    }
}

/// Deletes a directory's old files.
pub(crate) async fn clean_directory(
    directory: &Path,
    cutoff: Cutoff,
    budget: Budget,
) -> TargetReport {
    let mut report = TargetReport::new(directory.display().to_string(), TargetKind::Directory);
    let root = directory.to_owned();
    let sweep = Sweep::new(
        cutoff.system_time(),
        budget.limit.map(u64::from),
        budget.dry_run,
    );
    match blocking(move || sweep.run(&root)).await {
        Ok(swept) => {
            report.files = swept.files;
            report.bytes = swept.bytes;
            report.more = swept.more || swept.failures > 0;
            if let Some(first) = swept.first_failure {
                report.error = Some(format!(
                    "{} entries could not be read or deleted; the first: {}",
                    swept.failures,
                    chain(&first)
                ));
            }
        }
        Err(error) => {
            report.more = true;
            report.error = Some(chain(&error));
        }
    }
    report
}

/// Runs `work` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CleanupError> + Send + 'static,
) -> Result<T, CleanupError> {
    tokio::task::spawn_blocking(work).await?
}
