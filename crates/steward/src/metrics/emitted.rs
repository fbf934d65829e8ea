//! One service's counters of the events it emits, looked up in the host's
//! family once per event name rather than once per event.

use std::sync::{Arc, OnceLock};

use prometheus_client::metrics::counter::Counter;

use super::Metrics;
use crate::event::Origin;
use crate::text::Text;

/// How many distinct names a service's counters are kept for; the names past
/// these are looked up in the family each time (a service emitting that many
/// kinds of event is rare, and the list is searched one by one).
const KEPT: usize = 16;

/// A service's `steward_events_emitted_total` counters by event name, with each
/// event's [`Origin`] (so that an emitted event's names are not copied, and are
/// shared through one reference).
///
/// Filled in place and never emptied, so finding a name takes no lock: with a
/// lock, its two atomic operations cost a tenth of an emit.
#[derive(Debug, Default)]
pub(crate) struct EmittedCounters {
    known: [OnceLock<(Arc<Origin>, Counter)>; KEPT],
}

impl EmittedCounters {
    /// Counts one event named `name` emitted by `service`, and returns the origin
    /// to give the event: the one kept here, or one with `shared()` as its name
    /// the first time.
    pub(crate) fn count(
        &self,
        metrics: &Metrics,
        service: &Arc<str>,
        name: &str,
        shared: impl FnOnce() -> Text,
    ) -> Arc<Origin> {
        for slot in &self.known {
            match slot.get() {
                Some((origin, counter)) if origin.name.as_str() == name => {
                    counter.inc();
                    return origin.clone();
                }
                Some(_) => {}
                None => break,
            }
        }
        let text = shared();
        let counter = metrics.events_emitted(service, text.clone());
        counter.inc();
        let origin = Arc::new(Origin {
            service: service.clone(),
            name: text,
        });
        // Kept in the first free place. Two emitters of a new name at once may
        // both keep it: the family gives both the same counter.
        let mut kept = Some((origin.clone(), counter));
        for slot in &self.known {
            match kept.take() {
                Some(entry) => kept = slot.set(entry).err(),
                None => break,
            }
        }
        origin
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
