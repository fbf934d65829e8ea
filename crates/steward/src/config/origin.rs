//! Remembers which keys the environment set, so errors can name the variable.

use super::error::Origin;

/// The base origin of a configuration and the keys environment variables replaced.
#[derive(Debug, Clone)]
pub(crate) struct Origins {
    pub(crate) base: Origin,
    /// (dotted key, variable name), in the order they were applied.
    pub(crate) env: Vec<(String, String)>,
    /// (dotted key of a table, variable name) for tables only a variable created.
    pub(crate) created: Vec<(String, String)>,
}

impl Default for Origins {
    fn default() -> Self {
        Self {
            base: Origin::Code,
            env: Vec::new(),
            created: Vec::new(),
        }
    }
}

impl Origins {
    /// Where the value at `key` (or the value containing it) came from: the last
    /// variable that set it or a table around it, else the variable that created the
    /// table at `key`, else the base.
    pub(crate) fn locate(&self, key: &str) -> Origin {
        let set = self.env.iter().rev().find(|(path, _)| is_within(key, path));
        let created = || self.created.iter().find(|(path, _)| path == key);
        set.or_else(created)
            .map(|(_, var)| Origin::Env(var.clone()))
            .unwrap_or_else(|| self.base.clone())
    }
}

fn is_within(key: &str, path: &str) -> bool {
    key == path
        || key
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}
