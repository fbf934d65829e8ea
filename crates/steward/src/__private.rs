//! Support for the code the macros generate; not part of the API.
//!
//! `#[derive(Service)]` must pick `continuous`, `periodic` or `startup` for a type
//! by the trait it implements, and attach actions if it has any. Trait method
//! lookup on `&&&&Pick<T>` does that: it tries the impls for the most references
//! first, so the first trait `T` satisfies wins (and when it satisfies none, the
//! error lists the three traits).

use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

pub use inventory;
pub use serde_json::Value;

use crate::action::Actions;
use crate::service::{
    Continuous, Periodic, ServiceDef, Startup, continuous, continuous_with, periodic,
    periodic_with, startup, startup_with,
};

/// Picks by trait; see the module docs.
#[derive(Debug)]
pub struct Pick<T>(PhantomData<fn() -> T>);

impl<T> Pick<T> {
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for Pick<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// One `Pick*` trait per service kind, implemented for `Pick<T>` behind `refs`
/// references when `T` has the kind's trait.
macro_rules! pick {
    ($name:ident, $bound:ident, ($($refs:tt)*), $plain:ident, $with:ident) => {
        pub trait $name<T> {
            fn def(&self, name: &'static str, service: T) -> ServiceDef;
            fn def_with<S: DeserializeOwned>(
                &self,
                name: &'static str,
                build: impl FnOnce(S) -> T + Send + 'static,
            ) -> ServiceDef;
        }

        impl<T: $bound> $name<T> for $($refs)* Pick<T> {
            fn def(&self, name: &'static str, service: T) -> ServiceDef {
                $plain(name, service)
            }
            fn def_with<S: DeserializeOwned>(
                &self,
                name: &'static str,
                build: impl FnOnce(S) -> T + Send + 'static,
            ) -> ServiceDef {
                $with(name, build)
            }
        }
    };
}

pick!(PickContinuous, Continuous, (&&&), continuous, continuous_with);
pick!(PickPeriodic, Periodic, (&&), periodic, periodic_with);
pick!(PickStartup, Startup, (&), startup, startup_with);

/// A JSON Schema of `T` if it implements `schemars::JsonSchema`, else `None`.
#[derive(Debug)]
pub struct SchemaOf<T>(PhantomData<fn() -> T>);

impl<T> SchemaOf<T> {
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for SchemaOf<T> {
    fn default() -> Self {
        Self::new()
    }
}

pub trait HasSchema {
    fn schema(&self) -> Option<Value>;
}

impl<T: JsonSchema> HasSchema for &SchemaOf<T> {
    fn schema(&self) -> Option<Value> {
        Some(schemars::schema_for!(T).to_value())
    }
}

pub trait NoSchema {
    fn schema(&self) -> Option<Value>;
}

impl<T> NoSchema for SchemaOf<T> {
    fn schema(&self) -> Option<Value> {
        None
    }
}

pub trait WithActions<T> {
    fn add_actions(&self, def: ServiceDef) -> ServiceDef;
}

impl<T: Actions> WithActions<T> for &Pick<T> {
    fn add_actions(&self, def: ServiceDef) -> ServiceDef {
        def.actions(T::actions())
    }
}

pub trait WithoutActions<T> {
    fn add_actions(&self, def: ServiceDef) -> ServiceDef;
}

impl<T> WithoutActions<T> for Pick<T> {
    fn add_actions(&self, def: ServiceDef) -> ServiceDef {
        def
    }
}
