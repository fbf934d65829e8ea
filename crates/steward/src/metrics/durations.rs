//! A histogram of durations that records with a few atomic adds and no lock:
//! periodic ticks and actions record one each, thousands of times a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

use crate::status::Outcome;

/// Upper bounds of the duration histograms, in seconds: half a millisecond to five
/// minutes, for actions as for periodic ticks.
const BOUNDS: [f64; 17] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];

/// Durations in [`BOUNDS`] buckets; clones share their counts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Durations {
    inner: Arc<Counts>,
}

/// Aligned to a cache line, with the count, the sum, the outcomes and the
/// shortest buckets first: a short run or tick touches one line of it, however
/// many services record side by side.
#[derive(Debug, Default)]
#[repr(C, align(64))]
struct Counts {
    count: AtomicU64,
    /// The sum in nanoseconds, which adds exactly.
    sum_nanos: AtomicU64,
    /// Runs by outcome, for [`Durations::ended`]; actions count theirs by label.
    succeeded: AtomicU64,
    failed: AtomicU64,
    /// Per bucket, not cumulative; the last is above every bound.
    buckets: [AtomicU64; BOUNDS.len() + 1],
}

impl Durations {
    pub(crate) fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = BOUNDS.partition_point(|&bound| bound < seconds);
        let counts = &*self.inner;
        counts.buckets[bucket].fetch_add(1, Relaxed);
        counts.count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        counts.sum_nanos.fetch_add(nanos, Relaxed);
    }
}

impl Durations {
    /// A run that ended with `outcome` and took `took`: counted by outcome
    /// beside the histogram, in the same cache line.
    pub(crate) fn ended(&self, outcome: Outcome, took: Duration) {
        let counter = match outcome {
            Outcome::Success => &self.inner.succeeded,
            Outcome::Failure => &self.inner.failed,
        };
        counter.fetch_add(1, Relaxed);
        self.observe(took);
    }

    /// The runs [`Durations::ended`] counted: succeeded, failed.
    pub(crate) fn outcomes(&self) -> (u64, u64) {
        let counts = &*self.inner;
        (counts.succeeded.load(Relaxed), counts.failed.load(Relaxed))
    }
}

impl TypedMetric for Durations {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Durations {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let counts = &*self.inner;
        let buckets: Vec<(f64, u64)> = BOUNDS
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(&counts.buckets)
            .map(|(bound, count)| (bound, count.load(Relaxed)))
            .collect();
        let sum = counts.sum_nanos.load(Relaxed) as f64 / 1e9;
        let count = counts.count.load(Relaxed);
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_land_in_the_first_bucket_that_holds_them() {
        let durations = Durations::default();
        durations.observe(Duration::from_micros(100));
        durations.observe(Duration::from_micros(500));
        durations.observe(Duration::from_millis(3));
        durations.observe(Duration::from_secs(1000));
        let counts = &durations.inner;
        let bucket = |index: usize| counts.buckets[index].load(Relaxed);
        assert_eq!(
            (bucket(0), bucket(1), bucket(3), bucket(BOUNDS.len())),
            (2, 0, 1, 1)
        );
        assert_eq!(counts.count.load(Relaxed), 4);
        assert_eq!(counts.sum_nanos.load(Relaxed), 1_000_003_600_000);
    }

    #[test]
    fn ended_runs_are_counted_by_outcome_and_timed() {
        let durations = Durations::default();
        durations.ended(Outcome::Success, Duration::from_micros(100));
        durations.ended(Outcome::Success, Duration::from_millis(2));
        durations.ended(Outcome::Failure, Duration::from_secs(1));
        assert_eq!(durations.outcomes(), (2, 1));
        assert_eq!(durations.inner.count.load(Relaxed), 3);
    }
}
