//! A request whose result type is known: what generated client methods return.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{ActionError, ActionId, ActionRequest, ActionTable, IfFull, Retry};

/// A service type with actions: what `#[steward::actions]` implements, and what
/// `#[derive(Service)]` attaches to the service's definition.
pub trait Actions: Send + Sync + Sized + 'static {
    /// The type's actions.
    fn actions() -> ActionTable<Self>;
}

/// An [`ActionRequest`] whose result is an `R`; await it to send it and get the
/// result, or refine it first:
///
/// ```no_run
/// # use steward::{Context, Continuous, Result, Service};
/// # #[derive(Default, Service)] struct Translation;
/// # impl Continuous for Translation { async fn run(&self, cx: &Context) -> Result { cx.cancelled().await; Ok(()) } }
/// #[steward::actions]
/// impl Translation {
///     #[action]
///     async fn translate(&self, file: String) -> Result<String> {
///         Ok(file)
///     }
/// }
///
/// # async fn example(services: steward::HostHandle) -> std::result::Result<(), steward::ActionError> {
/// let translated = services.of::<Translation>().translate("a.txt".into()).priority(10).await?;
/// # let _ = translated; Ok(()) }
/// # let _ = example;
/// ```
#[must_use = "an action is sent when awaited (or by `submit`)"]
pub struct TypedRequest<R> {
    request: ActionRequest,
    _result: PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned + Send + 'static> TypedRequest<R> {
    #[doc(hidden)]
    pub fn new(request: ActionRequest) -> Self {
        Self {
            request,
            _result: PhantomData,
        }
    }

    /// See [`ActionRequest::priority`].
    pub fn priority(self, priority: i32) -> Self {
        self.map(|request| request.priority(priority))
    }

    /// See [`ActionRequest::timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|request| request.timeout(timeout))
    }

    /// See [`ActionRequest::correlation_id`].
    pub fn correlation_id(self, id: impl Into<String>) -> Self {
        self.map(|request| request.correlation_id(id))
    }

    /// See [`ActionRequest::retry`].
    pub fn retry(self, retry: Retry) -> Self {
        self.map(|request| request.retry(retry))
    }

    /// See [`ActionRequest::at`].
    pub fn at(self, time: chrono::DateTime<chrono::Utc>) -> Self {
        self.map(|request| request.at(time))
    }

    /// See [`ActionRequest::after`].
    pub fn after(self, delay: Duration) -> Self {
        self.map(|request| request.after(delay))
    }

    /// See [`ActionRequest::if_full`].
    pub fn if_full(self, if_full: IfFull) -> Self {
        self.map(|request| request.if_full(if_full))
    }

    /// Sends it and waits for the result (the same as awaiting it).
    pub async fn send(self) -> Result<R, ActionError> {
        self.request.send::<R>().await
    }

    /// Has it accepted and returns its id at once.
    pub async fn submit(self) -> Result<ActionId, ActionError> {
        self.request.submit().await
    }

    fn map(self, change: impl FnOnce(ActionRequest) -> ActionRequest) -> Self {
        Self::new(change(self.request))
    }
}

impl<R: DeserializeOwned + Send + 'static> IntoFuture for TypedRequest<R> {
    type Output = Result<R, ActionError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.request.send::<R>())
    }
}

impl<R> std::fmt::Debug for TypedRequest<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TypedRequest").field(&self.request).finish()
    }
}
