//! An `exec` service's runs in the host's `/metrics`, shared by every instance
//! and labelled with its name.

use std::time::Duration;

use steward::metrics::{Counter, Family, Histogram, Metrics};

use super::ExecCompleted;

type Service = [(&'static str, String); 1];
type ServiceOutcome = [(&'static str, String); 2];

/// Upper bounds in seconds: a quick script to an hour's batch job.
const BOUNDS: [f64; 14] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

fn durations() -> Histogram {
    Histogram::new(BOUNDS)
}

/// How a run ended, as its `outcome` label says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Exited with code 0.
    Success,
    /// Exited otherwise, or was killed by a signal it did not ask for.
    Failure,
    /// Ran past its timeout and was killed.
    Timeout,
    /// Could not be started (or waited for).
    Error,
}

impl Outcome {
    const ALL: [Outcome; 4] = [
        Outcome::Success,
        Outcome::Failure,
        Outcome::Timeout,
        Outcome::Error,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
        }
    }

    /// The outcome of a run that ran.
    fn of(completed: &ExecCompleted) -> Self {
        if completed.timed_out {
            Outcome::Timeout
        } else if completed.succeeded() {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    }
}

/// One instance's counters and histogram.
#[derive(Debug)]
pub(crate) struct ExecMetrics {
    /// By [`Outcome::ALL`]'s order.
    runs: [Counter; 4],
    durations: Histogram,
}

impl ExecMetrics {
    /// The metrics of the service called `service`, registered in `metrics`
    /// by the first instance. (prometheus-client adds `_total` to a counter's
    /// name.)
    pub(crate) fn new(metrics: &Metrics, service: &str) -> Self {
        let runs = metrics.shared(
            "steward_exec_runs",
            "Runs of the command, by outcome: success, failure (a non-zero exit or a signal), timeout, error (it could not start)",
            Family::<ServiceOutcome, Counter>::default,
        );
        let durations = metrics.shared(
            "steward_exec_run_duration_seconds",
            "How long runs of the command took, from start to exit",
            || Family::<Service, Histogram, fn() -> Histogram>::new_with_constructor(durations),
        );
        // Every outcome shows, at 0, before the first run.
        let runs = Outcome::ALL.map(|outcome| {
            let labels = [
                ("service", service.to_owned()),
                ("outcome", outcome.as_str().to_owned()),
            ];
            runs.get_or_create(&labels).clone()
        });
        Self {
            runs,
            durations: durations
                .get_or_create(&[("service", service.to_owned())])
                .clone(),
        }
    }

    /// A run ended.
    pub(crate) fn ran(&self, completed: &ExecCompleted) {
        self.count(Outcome::of(completed));
        let ran = Duration::from_millis(completed.ran_ms);
        self.durations.observe(ran.as_secs_f64());
    }

    /// The command could not be started.
    pub(crate) fn could_not_run(&self) {
        self.count(Outcome::Error);
    }

    fn count(&self, outcome: Outcome) {
        // The counters are in the order of `Outcome::ALL`, which is the declaration's.
        self.runs[outcome as usize].inc();
    }
}
