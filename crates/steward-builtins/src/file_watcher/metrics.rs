//! A `file-watcher` service's counters and gauges, shared by every instance and
//! labelled with its name.

use steward::metrics::{Counter, Family, Gauge, Metrics};

type Labels = [(&'static str, String); 1];

/// One instance's metrics.
#[derive(Debug, Clone)]
pub(crate) struct WatcherMetrics {
    files: Counter,
    overflows: Counter,
    rescans: Counter,
    tracked: Gauge,
    pending: Gauge,
}

impl WatcherMetrics {
    /// The metrics of the service called `service`, registered in `metrics`.
    pub(crate) fn new(metrics: &Metrics, service: &str) -> Self {
        let labels: Labels = [("service", service.to_owned())];
        let counter = |name: &str, help: &str| {
            let family = metrics.shared(name, help, Family::<Labels, Counter>::default);
            family.get_or_create(&labels).clone()
        };
        let gauge = |name: &str, help: &str| {
            let family = metrics.shared(name, help, Family::<Labels, Gauge>::default);
            family.get_or_create(&labels).clone()
        };
        Self {
            files: counter("steward_file_watcher_files", "Files reported as created"),
            overflows: counter(
                "steward_file_watcher_overflows",
                "Times the operating system's event queue overflowed and events were lost",
            ),
            rescans: counter(
                "steward_file_watcher_rescans",
                "Scans of the watched directories made to find files whose events were lost, or in a directory that appeared",
            ),
            tracked: gauge(
                "steward_file_watcher_tracked_files",
                "Files reported and still present, remembered so that each is reported once",
            ),
            pending: gauge(
                "steward_file_watcher_pending_files",
                "Files found by a scan that wait to be unchanged for a poll interval",
            ),
        }
    }

    /// A file was reported.
    pub(crate) fn reported(&self) {
        self.files.inc();
    }

    /// The notifier lost events.
    pub(crate) fn overflowed(&self) {
        self.overflows.inc();
    }

    /// A rescan began.
    pub(crate) fn rescanned(&self) {
        self.rescans.inc();
    }

    /// How many files are remembered and waiting now.
    pub(crate) fn sizes(&self, tracked: usize, pending: usize) {
        self.tracked.set(i64::try_from(tracked).unwrap_or(i64::MAX));
        self.pending.set(i64::try_from(pending).unwrap_or(i64::MAX));
    }
}
