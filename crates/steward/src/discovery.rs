//! Services that register themselves: `#[derive(Service)]` types, found at link time.

use crate::service::ServiceDef;

/// A service type with a fixed name that can build its own definition, so a host
/// can [`register`](crate::HostBuilder::register) it by type or
/// [`discover`](crate::HostBuilder::discover) it. Usually derived:
///
/// ```standalone_crate
/// use steward::{Context, Continuous, Result, Service};
///
/// #[derive(Default, Service)]
/// #[service(name = "heartbeat", critical)]
/// struct Heartbeat;
///
/// impl Continuous for Heartbeat {
///     async fn run(&self, cx: &Context) -> Result {
///         cx.cancelled().await;
///         Ok(())
///     }
/// }
///
/// assert_eq!(Heartbeat::NAME, "heartbeat");
/// let host = steward::Host::builder().env_prefix(None).discover().build()?;
/// assert_eq!(host.handle().services()[0].name, "heartbeat");
/// # Ok::<(), steward::HostError>(())
/// ```
pub trait Service: Send + Sync + Sized + 'static {
    /// The service's name (its `[services.NAME]` table in configuration).
    const NAME: &'static str;

    /// Its definition: kind, options and, if it has them, its actions.
    fn definition() -> ServiceDef;
}

/// One discoverable service, submitted by `#[derive(Service)]`.
#[doc(hidden)]
#[derive(Debug)]
pub struct Registration {
    pub(crate) name: &'static str,
    pub(crate) definition: fn() -> ServiceDef,
}

impl Registration {
    #[doc(hidden)]
    pub const fn new(name: &'static str, definition: fn() -> ServiceDef) -> Self {
        Self { name, definition }
    }
}

inventory::collect!(Registration);

/// Every discoverable service linked into the binary, by name.
pub(crate) fn discovered() -> Vec<ServiceDef> {
    let mut found: Vec<&Registration> = inventory::iter::<Registration>.into_iter().collect();
    // Link order is not stable: sort, so start order does not change between builds.
    found.sort_by_key(|registration| registration.name);
    found
        .into_iter()
        .map(|registration| (registration.definition)())
        .collect()
}
