//! A `health-monitor` service's checks in the host's `/metrics`, shared by every
//! instance and labelled with its name and the target's.

use steward::metrics::{Counter, Family, Gauge, Metrics};

type Target = [(&'static str, String); 2];
type TargetOutcome = [(&'static str, String); 3];

/// One instance's counters and gauges.
#[derive(Debug)]
pub(crate) struct MonitorMetrics {
    service: String,
    checks: Family<TargetOutcome, Counter>,
    healthy: Family<Target, Gauge>,
}

impl MonitorMetrics {
    /// The metrics of the monitor called `service`, registered in `metrics` by the
    /// first instance; each of `targets` shows its checks, at 0, before the first.
    /// (prometheus-client adds `_total` to a counter's name.)
    pub(crate) fn new<'a>(
        metrics: &Metrics,
        service: &str,
        targets: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let this = Self {
            service: service.to_owned(),
            checks: metrics.shared(
                "steward_health_monitor_checks",
                "Checks of a target, by outcome: success or failure",
                Family::default,
            ),
            healthy: metrics.shared(
                "steward_health_monitor_target_healthy",
                "Whether the target is healthy (1) or, after `failures` failed checks in a row, unhealthy until it recovers (0)",
                Family::default,
            ),
        };
        for target in targets {
            for passed in [true, false] {
                let _ = this.checks.get_or_create(&this.outcome(target, passed));
            }
        }
        this
    }

    /// A check of `target` passed or failed, after which the target is healthy
    /// or not.
    pub(crate) fn checked(&self, target: &str, passed: bool, healthy: bool) {
        self.checks
            .get_or_create(&self.outcome(target, passed))
            .inc();
        let labels = [
            ("service", self.service.clone()),
            ("target", target.to_owned()),
        ];
        self.healthy.get_or_create(&labels).set(i64::from(healthy));
    }

    fn outcome(&self, target: &str, passed: bool) -> TargetOutcome {
        let outcome = if passed { "success" } else { "failure" };
        [
            ("service", self.service.clone()),
            ("target", target.to_owned()),
            ("outcome", outcome.to_owned()),
        ]
    }
}
