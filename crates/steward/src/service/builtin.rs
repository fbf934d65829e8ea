//! Service kinds that configuration names: `[services.NAME] kind = "process"`.

use std::fmt;

use super::ServiceDef;

/// A service kind that a configuration file can name, so that operators add
/// instances of it without writing Rust: for every `[services.NAME]` table with
/// `kind = "<name>"`, the host registers `define(NAME)`, whose settings come from
/// that table as for any service.
///
/// ```
/// use steward::{BuiltinKind, Context, Continuous, Host, Result, ServiceDef};
///
/// struct Idle;
/// impl Continuous for Idle {
///     async fn run(&self, cx: &Context) -> Result {
///         cx.cancelled().await;
///         Ok(())
///     }
/// }
///
/// fn idle(name: &str) -> ServiceDef {
///     steward::continuous(name, Idle)
/// }
///
/// let host = Host::builder()
///     .kind(BuiltinKind::new("idle", idle))
///     .config_toml("steward.toml", "[services.a]\nkind = \"idle\"\n[services.b]\nkind = \"idle\"")
///     .build()?;
/// let services = host.handle().services();
/// assert_eq!(services.len(), 2);
/// assert_eq!(services[0].builtin, Some("idle"));
/// # Ok::<(), steward::HostError>(())
/// ```
#[derive(Clone, Copy)]
pub struct BuiltinKind {
    name: &'static str,
    define: fn(&str) -> ServiceDef,
}

impl BuiltinKind {
    /// A kind called `name` whose instances `define` makes, given each one's name.
    pub const fn new(name: &'static str, define: fn(&str) -> ServiceDef) -> Self {
        Self { name, define }
    }

    /// The name configuration gives as `kind`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The instance called `name`, marked as being of this kind.
    pub(crate) fn instance(&self, name: &str) -> ServiceDef {
        let mut def = (self.define)(name);
        name.clone_into(&mut def.name);
        def.builtin = Some(self.name);
        def
    }
}

impl fmt::Debug for BuiltinKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuiltinKind")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
