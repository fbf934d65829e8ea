//! A service's actions: names, parameter and result types, and handlers.

use std::any::{Any, TypeId, type_name};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::Context;
use crate::error::BoxError;
use crate::service::BoxFuture;

/// An action's parameters or result: a Rust value from a typed caller, or JSON.
pub(crate) enum Payload {
    Typed(Box<dyn Any + Send>),
    Json(Value),
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Typed(_) => f.write_str("Typed(..)"),
            Payload::Json(value) => write!(f, "Json({value})"),
        }
    }
}

/// Why a handler call did not produce a result.
#[derive(Debug)]
pub(crate) enum CallError {
    /// The parameters do not fit: never retried.
    BadParameters { path: String, reason: String },
    /// The handler returned an error.
    Failed(String),
}

/// What a caller knows about one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ActionInfo {
    /// The action's name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// The Rust type of its parameters.
    pub params: String,
    /// The Rust type of its result.
    pub result: String,
    /// A JSON Schema of its parameters, when known.
    pub params_schema: Option<Value>,
    /// A JSON Schema of its result, when known.
    pub result_schema: Option<Value>,
}

type Handler<S> = Box<
    dyn for<'a> Fn(&'a S, &'a Context, Payload, bool) -> BoxFuture<'a, Result<Payload, CallError>>
        + Send
        + Sync,
>;

/// The actions a service of type `S` answers, each a name bound to a handler that
/// takes typed parameters and returns a typed result.
///
/// Typed callers hand parameters over as Rust values; callers by name (HTTP, CLI)
/// send JSON, which is checked against the parameter type with the field at fault
/// named in the error.
///
/// ```
/// use steward::{ActionTable, Context, Continuous, Result, continuous};
///
/// #[derive(Default)]
/// struct Counter { total: std::sync::atomic::AtomicU64 }
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Add { amount: u64 }
///
/// impl Counter {
///     async fn add(&self, _cx: &Context, add: Add) -> Result<u64> {
///         let before = self.total.fetch_add(add.amount, std::sync::atomic::Ordering::Relaxed);
///         Ok(before + add.amount)
///     }
/// }
///
/// impl Continuous for Counter {
///     async fn run(&self, cx: &Context) -> Result { cx.cancelled().await; Ok(()) }
/// }
///
/// let actions = ActionTable::new()
///     .action("add", "Adds to the total; returns the new total", |counter: &Counter, cx, add: Add| {
///         Box::pin(counter.add(cx, add))
///     });
/// let def = continuous("counter", Counter::default()).actions(actions);
/// # let _ = def;
/// ```
pub struct ActionTable<S> {
    entries: Vec<Entry<S>>,
}

struct Entry<S> {
    name: Arc<str>,
    info: ActionInfo,
    params: TypeId,
    result: TypeId,
    parse: fn(&Value) -> Result<Payload, CallError>,
    handler: Handler<S>,
}

impl<S: Send + Sync + 'static> ActionTable<S> {
    /// A table with no actions.
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Adds an action. A later action of the same name replaces an earlier one.
    pub fn action<P, R, F>(mut self, name: &str, description: &str, handler: F) -> Self
    where
        P: DeserializeOwned + Send + 'static,
        R: Serialize + Send + 'static,
        F: for<'a> Fn(&'a S, &'a Context, P) -> BoxFuture<'a, Result<R, BoxError>>
            + Send
            + Sync
            + 'static,
    {
        let info = ActionInfo {
            name: name.to_owned(),
            description: description.to_owned(),
            params: type_name::<P>().to_owned(),
            result: type_name::<R>().to_owned(),
            params_schema: None,
            result_schema: None,
        };
        let erased: Handler<S> = Box::new(move |service, cx, params, want_json| {
            let params = match typed_params::<P>(params) {
                Ok(params) => params,
                Err(error) => return Box::pin(std::future::ready(Err(error))),
            };
            let call = handler(service, cx, params);
            Box::pin(finish(call, want_json))
        });
        self.entries.retain(|entry| entry.info.name != name);
        self.entries.push(Entry {
            name: name.into(),
            info,
            params: TypeId::of::<P>(),
            result: TypeId::of::<R>(),
            parse: parse_json::<P>,
            handler: erased,
        });
        self
    }

    /// Adds JSON Schemas of an action's parameters and result to its description
    /// (`#[steward::actions]` does this for types that implement
    /// `schemars::JsonSchema`): callers by name see them in
    /// [`ServiceInfo`](crate::ServiceInfo).
    pub fn with_schemas(
        mut self,
        action: &str,
        params: Option<Value>,
        result: Option<Value>,
    ) -> Self {
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|entry| entry.info.name == action)
        {
            entry.info.params_schema = params;
            entry.info.result_schema = result;
        }
        self
    }

    /// Every action's description.
    pub fn infos(&self) -> impl Iterator<Item = &ActionInfo> {
        self.entries.iter().map(|entry| &entry.info)
    }
}

impl<S: Send + Sync + 'static> Default for ActionTable<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> fmt::Debug for ActionTable<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.entries.iter().map(|entry| &entry.info.name).collect();
        f.debug_struct("ActionTable")
            .field("actions", &names)
            .finish()
    }
}

async fn finish<R: Serialize + Send + 'static>(
    call: impl Future<Output = Result<R, BoxError>>,
    want_json: bool,
) -> Result<Payload, CallError> {
    let result = call
        .await
        .map_err(|error| CallError::Failed(crate::error::render_error(error.as_ref())))?;
    if want_json {
        serde_json::to_value(result)
            .map(Payload::Json)
            .map_err(|error| CallError::Failed(format!("cannot encode the result: {error}")))
    } else {
        Ok(Payload::Typed(Box::new(result)))
    }
}

fn parse_json<P: DeserializeOwned + Send + 'static>(value: &Value) -> Result<Payload, CallError> {
    let params: P = decode(value)?;
    Ok(Payload::Typed(Box::new(params)))
}

/// JSON decoded as `T`, or where and why it does not fit.
fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, CallError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let reason = error.into_inner().to_string();
        CallError::BadParameters {
            path: with_missing_field(path, &reason),
            reason,
        }
    })
}

/// serde reports a missing field at the object that lacks it: the path names the
/// field itself, which is what the caller must add.
fn with_missing_field(path: String, reason: &str) -> String {
    let missing = reason
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field);
    match missing {
        Some(field) if path == "." => field.to_owned(),
        Some(field) => format!("{path}.{field}"),
        None => path,
    }
}

fn typed_params<P: DeserializeOwned + 'static>(params: Payload) -> Result<P, CallError> {
    match params {
        Payload::Typed(value) => {
            value
                .downcast::<P>()
                .map(|params| *params)
                .map_err(|_| CallError::BadParameters {
                    path: ".".to_owned(),
                    reason: format!("expected parameters of type `{}`", type_name::<P>()),
                })
        }
        Payload::Json(value) => decode(&value),
    }
}

/// An action found in a table: where, its canonical name, its types.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) index: usize,
    pub(crate) name: Arc<str>,
    pub(crate) params: TypeId,
    pub(crate) result: TypeId,
}

/// A table with its service type erased, as the host holds it.
pub(crate) trait ErasedTable: Send + Sync {
    fn service_type(&self) -> TypeId;

    fn infos(&self) -> Vec<ActionInfo>;

    fn names(&self) -> Vec<String>;

    /// The name of the action at `index`.
    fn name(&self, index: usize) -> Option<&Arc<str>>;

    /// How many actions it has.
    fn len(&self) -> usize;

    fn find(&self, name: &str) -> Option<Found>;

    /// Decodes JSON parameters into the parameter type of the action at `index`.
    fn parse(&self, index: usize, params: &Value) -> Result<Payload, CallError>;

    /// Calls the action at `index` on `service`; `None` if there is no such action
    /// or `service` is not of the table's type.
    fn call<'a>(
        &'a self,
        service: &'a (dyn Any + Send + Sync),
        cx: &'a Context,
        index: usize,
        params: Payload,
        want_json: bool,
    ) -> Option<BoxFuture<'a, Result<Payload, CallError>>>;
}

impl<S: Send + Sync + 'static> ErasedTable for ActionTable<S> {
    fn service_type(&self) -> TypeId {
        TypeId::of::<S>()
    }

    fn infos(&self) -> Vec<ActionInfo> {
        ActionTable::infos(self).cloned().collect()
    }

    fn names(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|entry| entry.name.to_string())
            .collect()
    }

    fn name(&self, index: usize) -> Option<&Arc<str>> {
        self.entries.get(index).map(|entry| &entry.name)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn find(&self, name: &str) -> Option<Found> {
        let index = self.entries.iter().position(|entry| &*entry.name == name)?;
        let entry = &self.entries[index];
        Some(Found {
            index,
            name: entry.name.clone(),
            params: entry.params,
            result: entry.result,
        })
    }

    fn parse(&self, index: usize, params: &Value) -> Result<Payload, CallError> {
        match self.entries.get(index) {
            Some(entry) => (entry.parse)(params),
            None => Err(CallError::Failed("no such action".to_owned())),
        }
    }

    fn call<'a>(
        &'a self,
        service: &'a (dyn Any + Send + Sync),
        cx: &'a Context,
        index: usize,
        params: Payload,
        want_json: bool,
    ) -> Option<BoxFuture<'a, Result<Payload, CallError>>> {
        let service = service.downcast_ref::<S>()?;
        let entry = self.entries.get(index)?;
        Some((entry.handler)(service, cx, params, want_json))
    }
}
