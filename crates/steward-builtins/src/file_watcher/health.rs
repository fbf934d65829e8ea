//! The watcher's health: healthy while it watches every directory and can read
//! them; degraded, with the reason, while a directory is missing or unreadable.

use std::io;
use std::path::{Path, PathBuf};

use steward::{Context, Health};

/// What stands between the watcher and full health.
#[derive(Debug)]
pub(crate) struct Condition {
    roots: Vec<RootCondition>,
    /// A problem the notifier reported, until the next full scan.
    notifier: Option<String>,
    /// The health last reported, so that only changes are reported.
    shown: Option<Health>,
    /// Whether anything changed since the health was last worked out.
    changed: bool,
}

#[derive(Debug, Default)]
struct RootCondition {
    missing: bool,
    /// Why the last scan could not read all of it.
    problem: Option<String>,
}

impl Condition {
    pub(crate) fn new(roots: usize) -> Self {
        Self {
            roots: (0..roots).map(|_| RootCondition::default()).collect(),
            notifier: None,
            shown: None,
            changed: true,
        }
    }

    /// Whether watched directory `index` is missing.
    pub(crate) fn missing(&mut self, index: usize, missing: bool) {
        if let Some(root) = self.roots.get_mut(index) {
            self.changed = true;
            root.missing = missing;
            if missing {
                root.problem = None;
            }
        }
    }

    /// What the last scan of watched directory `index` could not read.
    pub(crate) fn scanned(&mut self, index: usize, unreadable: &[(PathBuf, io::Error)]) {
        if let Some(root) = self.roots.get_mut(index) {
            self.changed = true;
            root.problem = unreadable.first().map(|(path, error)| {
                let more = match unreadable.len() - 1 {
                    0 => String::new(),
                    more => format!(" (and {more} more)"),
                };
                format!("cannot read `{}`: {error}{more}", path.display())
            });
        }
    }

    /// A problem the notifier reported, or `None` once a full scan made up for it.
    pub(crate) fn notifier(&mut self, problem: Option<String>) {
        self.changed = true;
        self.notifier = problem;
    }

    /// Reports the health through `cx` if it changed.
    pub(crate) fn publish(&mut self, cx: &Context, roots: &[PathBuf]) {
        // Called at every turn of the watcher's loop; worked out only when
        // something changed.
        if !std::mem::take(&mut self.changed) {
            return;
        }
        let health = self.health(roots);
        if self.shown.as_ref() != Some(&health) {
            match &health.message {
                Some(message) => tracing::warn!("{message}"),
                None if self.shown.is_some() => {
                    tracing::info!("watching every directory again");
                }
                None => {}
            }
            cx.set_health(health.clone());
            self.shown = Some(health);
        }
    }

    fn health(&self, roots: &[PathBuf]) -> Health {
        let missing: Vec<&Path> = self
            .roots
            .iter()
            .zip(roots)
            .filter(|(root, _)| root.missing)
            .map(|(_, path)| path.as_path())
            .collect();
        let mut reasons = Vec::new();
        if !missing.is_empty() {
            let names: Vec<String> = missing
                .iter()
                .map(|path| format!("`{}`", path.display()))
                .collect();
            reasons.push(format!("waiting for {} to exist", names.join(", ")));
        }
        reasons.extend(self.notifier.iter().cloned());
        reasons.extend(self.roots.iter().filter_map(|root| root.problem.clone()));
        if reasons.is_empty() {
            return Health::healthy();
        }
        let missing: Vec<String> = missing
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        let health = Health::degraded(reasons.join("; "));
        if missing.is_empty() {
            health
        } else {
            health.with_detail("missing", missing)
        }
    }
}
