//! The cleanup counters in the host's `/metrics`, shared by every
//! `retention-cleanup` and labelled with its name.

use steward::metrics::{Counter, Family, Metrics};

type Labels = Vec<(String, String)>;

use super::events::{CleanupCompleted, TargetKind};

/// One instance's counters.
#[derive(Debug)]
pub(crate) struct CleanupMetrics {
    service: String,
    rows: Family<Labels, Counter>,
    files: Family<Labels, Counter>,
    bytes: Counter,
}

impl CleanupMetrics {
    /// The counters in the host's registry, registered by the first instance.
    /// (prometheus-client adds `_total` to a counter's name.)
    pub(crate) fn new(
        metrics: &Metrics,
        service: &str,
        tables: &[String],
        directories: &[String],
    ) -> Self {
        let rows = metrics.shared(
            "steward_cleanup_rows_deleted",
            "Rows deleted by retention cleanup",
            Family::<Labels, Counter>::default,
        );
        let files = metrics.shared(
            "steward_cleanup_files_deleted",
            "Files deleted by retention cleanup",
            Family::<Labels, Counter>::default,
        );
        let bytes = metrics.shared(
            "steward_cleanup_bytes_freed",
            "Bytes of files deleted by retention cleanup",
            Family::<Labels, Counter>::default,
        );
        let labels: Labels = vec![("service".to_owned(), service.to_owned())];
        let this = Self {
            service: service.to_owned(),
            rows,
            files,
            bytes: bytes.get_or_create(&labels).clone(),
        };
        // Every target shows, at 0, before its first run.
        for table in tables {
            let _ = this.rows.get_or_create(&this.labels(table));
        }
        for directory in directories {
            let _ = this.files.get_or_create(&this.labels(directory));
        }
        this
    }

    fn labels(&self, target: &str) -> Labels {
        vec![
            ("service".to_owned(), self.service.clone()),
            ("target".to_owned(), target.to_owned()),
        ]
    }

    /// Counts what a run deleted; a dry run deleted nothing.
    pub(crate) fn record(&self, run: &CleanupCompleted) {
        if run.dry_run {
            return;
        }
        for target in &run.targets {
            let labels = self.labels(&target.target);
            match target.kind {
                TargetKind::Sqlite => {
                    self.rows.get_or_create(&labels).inc_by(target.rows);
                }
                TargetKind::Directory => {
                    self.files.get_or_create(&labels).inc_by(target.files);
                }
            }
        }
        self.bytes.inc_by(run.bytes);
    }
}
