//! A `batch-aggregator` service's gauges and histogram, shared by every instance
//! and labelled with its name.

use steward::metrics::{Family, Gauge, Histogram, Metrics};

type Labels = Vec<(String, String)>;

fn sizes() -> Histogram {
    // One event to 2,048.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        1.0, 2.0, 12,
    ))
}

/// One instance's metrics.
#[derive(Debug)]
pub(crate) struct BatchMetrics {
    open_batches: Gauge,
    open_items: Gauge,
    sizes: Histogram,
}

impl BatchMetrics {
    pub(crate) fn new(metrics: &Metrics, service: &str) -> Self {
        let labels: Labels = vec![("service".to_owned(), service.to_owned())];
        let batches = metrics.shared(
            "steward_batch_open_batches",
            "Batches open now",
            Family::<Labels, Gauge>::default,
        );
        let items = metrics.shared(
            "steward_batch_open_items",
            "Events waiting in open batches",
            Family::<Labels, Gauge>::default,
        );
        let sizes = metrics.shared("steward_batch_size", "Events per closed batch", || {
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(sizes)
        });
        Self {
            open_batches: batches.get_or_create(&labels).clone(),
            open_items: items.get_or_create(&labels).clone(),
            sizes: sizes.get_or_create(&labels).clone(),
        }
    }

    pub(crate) fn depth(&self, (batches, items): (usize, usize)) {
        self.open_batches
            .set(i64::try_from(batches).unwrap_or(i64::MAX));
        self.open_items
            .set(i64::try_from(items).unwrap_or(i64::MAX));
    }

    pub(crate) fn closed(&self, size: usize) {
        self.sizes.observe(size as f64);
    }
}
