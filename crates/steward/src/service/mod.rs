//! The three kinds of services and how they are registered.

mod builtin;
mod def;
mod erased;
mod table_key;
mod traits;

pub use builtin::BuiltinKind;
pub(crate) use def::{Body, ServiceOptions};
pub use def::{
    ServiceDef, ServiceKind, continuous, continuous_with, periodic, periodic_with, startup,
    startup_with,
};
pub(crate) use erased::{BoxFuture, CommandCall, Work};
pub use table_key::TableKey;
pub(crate) use table_key::hand_over;
pub use traits::{Continuous, Periodic, Startup};
