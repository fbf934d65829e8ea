//! Events: named facts services emit and anyone may subscribe to.
//!
//! An event is delivered to every matching subscriber in emission order. Each
//! subscriber has a bounded buffer; an emitter never waits for a slow subscriber:
//! what does not fit is dropped for that subscriber alone and counted in its
//! [`Subscription::missed`].

mod bus;
mod emitted;
mod many;
mod stamped;
mod subscribe;

pub use emitted::{Emitted, Event, EventError, EventInfo, FromEmitted};
pub use many::Subscriptions;
pub use stamped::Stamped;
pub use subscribe::{EventStream, Subscribe, Subscription};

pub(crate) use bus::EventBus;
pub(crate) use emitted::Origin;
