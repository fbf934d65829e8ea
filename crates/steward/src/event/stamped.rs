//! A typed event together with where and when it was emitted.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::emitted::sealed;
use super::{Emitted, Event, FromEmitted};

/// A typed event with its emitter, its correlation id and its time: what a typed
/// subscriber takes when it needs more than the value, say to tie the event to the
/// action that caused it. Made by [`Subscribe::stamped`](super::Subscribe::stamped).
///
/// ```
/// # use steward::{Event, HostHandle, Stamped};
/// # #[derive(Clone, serde::Serialize, serde::Deserialize)]
/// # struct Translated { words: u32 }
/// # impl Event for Translated { const NAME: &'static str = "translation.completed"; }
/// # async fn example(host: HostHandle) -> Result<(), steward::ActionError> {
/// let _subscription = host
///     .named("translator")
///     .on::<Translated>()
///     .stamped()
///     .run(|stamped: Stamped<Translated>| async move {
///         let request = stamped.correlation_id.as_deref().unwrap_or("-");
///         tracing::info!(request, words = stamped.event.words, "translated");
///     })
///     .await?;
/// # Ok(()) }
/// # let _ = example;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Stamped<E> {
    /// The event itself.
    pub event: E,
    /// The service that emitted it.
    pub service: Arc<str>,
    /// The correlation id of the action whose handler emitted it, if any.
    pub correlation_id: Option<Arc<str>>,
    /// When it was emitted (the host's clock).
    pub at: DateTime<Utc>,
}

impl<E> Stamped<E> {
    fn around(event: E, emitted: &Emitted) -> Self {
        Self {
            event,
            service: emitted.service_shared().clone(),
            correlation_id: emitted.correlation_shared().cloned(),
            at: emitted.at(),
        }
    }
}

impl<E: Event> sealed::Sealed for Stamped<E> {}

impl<E: Event> FromEmitted for Stamped<E> {
    fn name() -> Option<&'static str> {
        Some(E::NAME)
    }

    fn from_owned(emitted: Emitted) -> Option<Self> {
        let stamp = Stamped::around((), &emitted);
        let event = emitted.into_event::<E>()?;
        Some(Stamped {
            event,
            service: stamp.service,
            correlation_id: stamp.correlation_id,
            at: stamp.at,
        })
    }

    fn accepts(emitted: &Emitted) -> bool {
        <E as FromEmitted>::accepts(emitted)
    }

    fn check(emitted: &Emitted, check: &(dyn Fn(&Self) -> bool + Send + Sync)) -> bool {
        // A filter on stamped events sees a copy of the value: filters on the value
        // alone, set before `stamped`, borrow it instead.
        emitted
            .get::<E>()
            .is_some_and(|event| check(&Stamped::around(event, emitted)))
    }
}
