//! What a `retention-cleanup` service tells subscribers and callers.

use serde::{Deserialize, Serialize};
use steward::Event;

/// One cleanup run, finished: the `cleanup.completed` event and the
/// `process-batch` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "cleanup.completed")]
#[non_exhaustive]
pub struct CleanupCompleted {
    /// What started it.
    pub cause: Cause,
    /// Whether it only counted (`dry_run`): nothing was deleted.
    pub dry_run: bool,
    /// Rows and files older than this instant (RFC 3339, UTC) were deleted.
    pub cutoff: String,
    /// Rows deleted (or, in a dry run, that would be) over every table.
    pub rows: u64,
    /// Files deleted (or that would be) over every directory.
    pub files: u64,
    /// Bytes those files held.
    pub bytes: u64,
    /// How many targets failed (see each target's `error`).
    pub errors: usize,
    /// Each target, in the order of the settings.
    pub targets: Vec<TargetReport>,
}

impl CleanupCompleted {
    pub(crate) fn new(
        cause: Cause,
        dry_run: bool,
        cutoff: String,
        targets: Vec<TargetReport>,
    ) -> Self {
        Self {
            cause,
            dry_run,
            cutoff,
            rows: targets.iter().map(|target| target.rows).sum(),
            files: targets.iter().map(|target| target.files).sum(),
            bytes: targets.iter().map(|target| target.bytes).sum(),
            errors: targets
                .iter()
                .filter(|target| target.error.is_some())
                .count(),
            targets,
        }
    }
}

/// One table's or directory's part of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TargetReport {
    /// `DATABASE:TABLE` for a table, the path as written for a directory.
    pub target: String,
    /// Which of the two it is.
    pub kind: TargetKind,
    /// Rows deleted (or that would be); 0 for a directory.
    pub rows: u64,
    /// Files deleted (or that would be); 0 for a table.
    pub files: u64,
    /// Bytes those files held; 0 for a table.
    pub bytes: u64,
    /// Whether old rows or files may remain: a `process-batch` that filled its
    /// batch, or a run stopped by an error or by shutdown.
    pub more: bool,
    /// Why the target failed, when it did; counts are what was done before.
    pub error: Option<String>,
}

impl TargetReport {
    pub(crate) fn new(target: String, kind: TargetKind) -> Self {
        Self {
            target,
            kind,
            rows: 0,
            files: 0,
            bytes: 0,
            more: false,
            error: None,
        }
    }
}

/// A target's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// A table in a SQLite database.
    Sqlite,
    /// A directory of files.
    Directory,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The schedule, or `trigger`: every old row and file.
    Schedule,
    /// The `process-batch` command: at most one batch per target.
    ProcessBatch,
}
