//! One service's counters of the events it emits, looked up in the host's
//! family once per event name rather than once per event.

use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::metrics::counter::Counter;

use super::Metrics;
use crate::text::Text;

/// How many distinct names a service's counters are kept for; the names past
/// these are looked up in the family each time (a service emitting that many
/// kinds of event is rare, and the list is searched one by one).
const KEPT: usize = 16;

/// A service's `steward_events_emitted_total` counters by event name, with each
/// name as the host shares it (so that an emitted event's name is not copied
/// each time).
#[derive(Debug, Default)]
pub(crate) struct EmittedCounters {
    known: Mutex<Vec<(Text, Counter)>>,
}

impl EmittedCounters {
    /// Counts one event named `name` emitted by `service`, and returns the name
    /// to give the event: the one kept here, or `shared()` the first time.
    pub(crate) fn count(
        &self,
        metrics: &Metrics,
        service: &Arc<str>,
        name: &str,
        shared: impl FnOnce() -> Text,
    ) -> Text {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((text, counter)) = known.iter().find(|(text, _)| text.as_str() == name) {
            counter.inc();
            return text.clone();
        }
        let text = shared();
        let counter = metrics.events_emitted(service, text.clone());
        counter.inc();
        if known.len() < KEPT {
            known.push((text.clone(), counter));
        }
        text
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_the_hosts_family_once_per_event() {
        let metrics = Metrics::default();
        let counters = EmittedCounters::default();
        let service: Arc<str> = "watcher".into();
        for _ in 0..3 {
            counters.count(&metrics, &service, "file.created", || {
                Text::Shared("file.created".into())
            });
        }
        for index in 0..KEPT + 2 {
            let name = format!("other.{index}");
            counters.count(&metrics, &service, &name, || {
                Text::Shared(name.as_str().into())
            });
        }
        let last = format!("other.{}", KEPT + 1);
        counters.count(&metrics, &service, &last, || {
            Text::Shared(last.as_str().into())
        });
        let text = metrics.encode();
        assert!(
            text.contains(
                r#"steward_events_emitted_total{service="watcher",event="file.created"} 3"#
            ),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                r#"steward_events_emitted_total{{service="watcher",event="{last}"}} 2"#
            )),
            "{text}"
        );
    }
}
