//! The event trait, and an emitted event as subscribers see it.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::text::Text;

/// A fact a service emits, with a stable name (`translation.completed`) that
/// subscribers by name (HTTP, CLI, other hosts) use.
///
/// ```
/// #[derive(Clone, serde::Serialize, serde::Deserialize)]
/// struct FileCreated { path: String }
///
/// impl steward::Event for FileCreated {
///     const NAME: &'static str = "file.created";
/// }
///
/// // In a service: `cx.emit(FileCreated { path }).await?`
/// let event = FileCreated { path: "inbox/a.jpg".into() };
/// assert_eq!(<FileCreated as steward::Event>::NAME, "file.created");
/// # let _ = event.path;
/// ```
pub trait Event: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The event's stable name.
    const NAME: &'static str;

    /// A JSON Schema of the event, if known (`#[derive(Event)]` provides it for
    /// types that implement `schemars::JsonSchema`).
    fn schema() -> Option<Value> {
        None
    }
}

/// What a caller knows about an event a service emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct EventInfo {
    /// The event's name.
    pub name: String,
    /// A JSON Schema of it, when known.
    pub schema: Option<Value>,
}

impl EventInfo {
    pub(crate) fn of<E: Event>() -> Self {
        Self {
            name: E::NAME.to_owned(),
            schema: E::schema(),
        }
    }
}

/// Why an event could not be emitted. Emitting in-process cannot fail today (an
/// emitter held back by a lossless subscriber waits, it does not fail);
/// transports across hosts will add reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {}

impl std::fmt::Display for EventError {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

impl std::error::Error for EventError {}

/// One emitted event: who emitted it, its name, and its value (as the Rust type it
/// was emitted as, or as JSON). Cheap to clone.
#[derive(Clone)]
pub struct Emitted {
    inner: Arc<Inner>,
}

/// Who emitted an event and its name: one shared value per service and event
/// name, so that an event takes one reference to both (each reference taken on
/// the emitter's thread is given back on a subscriber's).
#[derive(Debug)]
pub(crate) struct Origin {
    pub(crate) service: Arc<str>,
    pub(crate) name: Text,
}

struct Inner {
    origin: Arc<Origin>,
    correlation_id: Option<Arc<str>>,
    at: DateTime<Utc>,
    value: Value_,
}

enum Value_ {
    Typed {
        value: Box<dyn Any + Send + Sync>,
        encode: fn(&(dyn Any + Send + Sync)) -> Value,
        json: OnceLock<Value>,
    },
    Json(Value),
}

impl Emitted {
    pub(crate) fn typed<E: Event>(
        origin: Arc<Origin>,
        correlation_id: Option<Arc<str>>,
        at: DateTime<Utc>,
        event: E,
    ) -> Self {
        fn encode<E: Event>(value: &(dyn Any + Send + Sync)) -> Value {
            let encoded = value.downcast_ref::<E>().map(serde_json::to_value);
            match encoded {
                Some(Ok(json)) => json,
                Some(Err(error)) => {
                    tracing::warn!(event = E::NAME, %error, "event cannot be written as JSON; subscribers by name get null");
                    Value::Null
                }
                None => Value::Null,
            }
        }
        Self::new(
            origin,
            correlation_id,
            at,
            Value_::Typed {
                value: Box::new(event),
                encode: encode::<E>,
                json: OnceLock::new(),
            },
        )
    }

    pub(crate) fn from_json(
        origin: Arc<Origin>,
        correlation_id: Option<Arc<str>>,
        at: DateTime<Utc>,
        value: Value,
    ) -> Self {
        Self::new(origin, correlation_id, at, Value_::Json(value))
    }

    fn new(
        origin: Arc<Origin>,
        correlation_id: Option<Arc<str>>,
        at: DateTime<Utc>,
        value: Value_,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                origin,
                correlation_id,
                at,
                value,
            }),
        }
    }

    /// The service that emitted it.
    pub fn service(&self) -> &str {
        &self.inner.origin.service
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        self.inner.origin.name.as_str()
    }

    /// The event's name as held, to keep without copying it.
    pub(crate) fn name_text(&self) -> &Text {
        &self.inner.origin.name
    }

    /// The emitting service's name as shared by the host.
    pub(crate) fn service_shared(&self) -> &Arc<str> {
        &self.inner.origin.service
    }

    /// The value as `E` if it was emitted typed as one (no name check needed: the
    /// type fixes the name).
    fn typed_ref<E: Event>(&self) -> Option<&E> {
        match &self.inner.value {
            Value_::Typed { value, .. } => value.downcast_ref::<E>(),
            Value_::Json(_) => None,
        }
    }

    /// The correlation id of the action whose handler emitted it, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        self.inner.correlation_id.as_deref()
    }

    /// The correlation id as held, to keep without copying it.
    pub(crate) fn correlation_shared(&self) -> Option<&Arc<str>> {
        self.inner.correlation_id.as_ref()
    }

    /// When it was emitted (the host's clock).
    pub fn at(&self) -> DateTime<Utc> {
        self.inner.at
    }

    /// The value as JSON (encoded once, on first use, for typed events).
    pub fn json(&self) -> &Value {
        match &self.inner.value {
            Value_::Typed {
                value,
                encode,
                json,
            } => json.get_or_init(|| encode(value.as_ref())),
            Value_::Json(value) => value,
        }
    }

    /// The value as JSON, taken out of the event when nothing else holds it (no
    /// copy), copied otherwise: for a subscriber that keeps the values it receives.
    pub fn into_json(self) -> Value {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => match inner.value {
                Value_::Typed {
                    value,
                    encode,
                    json,
                } => json.into_inner().unwrap_or_else(|| encode(value.as_ref())),
                Value_::Json(value) => value,
            },
            Err(inner) => Self { inner }.json().clone(),
        }
    }

    /// The value as `E`, if it is an `E` (or JSON that decodes as one): moved out
    /// when nothing else holds the event, copied otherwise.
    pub(crate) fn into_event<E: Event>(self) -> Option<E> {
        match Arc::try_unwrap(self.inner) {
            Ok(Inner { origin, value, .. }) => match value {
                Value_::Typed { value, .. } => value.downcast::<E>().ok().map(|event| *event),
                Value_::Json(value) if origin.name.as_str() == E::NAME => {
                    E::deserialize(value).ok()
                }
                Value_::Json(_) => None,
            },
            Err(inner) => Self { inner }.get::<E>(),
        }
    }

    /// Whether the value, as an `E`, passes `check` (false if it is not an `E`).
    pub(crate) fn check<E: Event>(&self, check: impl FnOnce(&E) -> bool) -> bool {
        self.decoded::<E>().is_some_and(|event| check(&event))
    }

    /// The value as `E`, if it is an `E` (or JSON that decodes as one).
    pub fn get<E: Event>(&self) -> Option<E> {
        self.decoded::<E>().map(Cow::into_owned)
    }

    /// The value as `E`: borrowed if it was emitted as one, decoded if it is JSON
    /// under `E`'s name.
    fn decoded<E: Event>(&self) -> Option<Cow<'_, E>> {
        if let Some(event) = self.typed_ref::<E>() {
            return Some(Cow::Borrowed(event));
        }
        match &self.inner.value {
            Value_::Json(value) if self.name() == E::NAME => {
                E::deserialize(value).ok().map(Cow::Owned)
            }
            _ => None,
        }
    }
}

impl fmt::Debug for Emitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emitted")
            .field("service", &self.service())
            .field("name", &self.name())
            .field("correlation_id", &self.correlation_id())
            .field("value", self.json())
            .finish()
    }
}

impl Serialize for Emitted {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Emitted", 5)?;
        out.serialize_field("service", self.service())?;
        out.serialize_field("name", self.name())?;
        out.serialize_field("correlation_id", &self.correlation_id())?;
        out.serialize_field("at", &self.at())?;
        out.serialize_field("value", self.json())?;
        out.end()
    }
}

pub(super) mod sealed {
    pub trait Sealed {}
    impl<E: super::Event> Sealed for E {}
    impl Sealed for super::Emitted {}
}

/// What a subscription hands its handler: a typed [`Event`], the same with where
/// and when it was emitted ([`Stamped`](super::Stamped)), or [`Emitted`] itself
/// (for events by name and wildcards).
pub trait FromEmitted: sealed::Sealed + Send + 'static {
    /// The event name this type fixes, if any.
    #[doc(hidden)]
    /// The name to match, if the type fixes one.
    fn name() -> Option<&'static str>;

    /// The event as this type, if it is one, moved out of it when possible.
    #[doc(hidden)]
    fn from_owned(emitted: Emitted) -> Option<Self>
    where
        Self: Sized;

    /// Whether the event is a `Self`.
    #[doc(hidden)]
    fn accepts(emitted: &Emitted) -> bool;

    /// Whether the event, as `Self`, passes `check`.
    #[doc(hidden)]
    fn check(emitted: &Emitted, check: &(dyn Fn(&Self) -> bool + Send + Sync)) -> bool;
}

impl<E: Event> FromEmitted for E {
    fn name() -> Option<&'static str> {
        Some(E::NAME)
    }

    fn from_owned(emitted: Emitted) -> Option<Self> {
        emitted.into_event::<E>()
    }

    fn accepts(emitted: &Emitted) -> bool {
        emitted.check::<E>(|_| true)
    }

    fn check(emitted: &Emitted, check: &(dyn Fn(&Self) -> bool + Send + Sync)) -> bool {
        emitted.check::<E>(check)
    }
}

impl FromEmitted for Emitted {
    fn name() -> Option<&'static str> {
        None
    }

    fn from_owned(emitted: Emitted) -> Option<Self> {
        Some(emitted)
    }

    fn accepts(_: &Emitted) -> bool {
        true
    }

    fn check(emitted: &Emitted, check: &(dyn Fn(&Self) -> bool + Send + Sync)) -> bool {
        check(emitted)
    }
}
