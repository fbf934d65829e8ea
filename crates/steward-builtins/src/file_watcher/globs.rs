//! `include` and `exclude`: which files a watcher reports.
//!
//! A pattern without `/` matches the file's name, wherever the file is (`*.jpg`);
//! a pattern with `/` matches its path relative to the watched directory
//! (`cam1/*.jpg`, `**/raw/*.dng`), where `*` and `?` stay within one path
//! segment and `**` crosses them. A leading `/` changes nothing (patterns are
//! always anchored at the watched directory).

use std::fmt;
use std::path::Path;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Deserializer};

/// A list of glob patterns, checked when the settings are read.
#[derive(Clone, Default)]
pub struct Patterns {
    /// The patterns as written.
    written: Vec<String>,
    /// Those without `/`, matched against the file's name.
    by_name: GlobSet,
    /// Those with `/`, matched against the path below the watched directory.
    by_path: GlobSet,
}

impl Patterns {
    /// Compiles `patterns`, or says which one is wrong and why.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, String> {
        let mut by_name = GlobSetBuilder::new();
        let mut by_path = GlobSetBuilder::new();
        let mut written = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let text = pattern.as_ref();
            let anchored = text.strip_prefix('/').unwrap_or(text);
            if anchored.is_empty() {
                return Err(format!(
                    "`{text}` matches no file: give a pattern such as \"*.jpg\""
                ));
            }
            if anchored.ends_with('/') {
                return Err(format!(
                    "`{text}` names a directory, and patterns match files: write `{anchored}**` for the files below it"
                ));
            }
            let glob = GlobBuilder::new(anchored)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|error| format!("`{text}` is not a glob pattern: {}", error.kind()))?;
            if anchored.contains('/') {
                by_path.add(glob);
            } else {
                by_name.add(glob);
            }
            written.push(text.to_owned());
        }
        let build = |set: GlobSetBuilder| {
            set.build()
                .map_err(|error| format!("the patterns cannot be compiled: {error}"))
        };
        Ok(Self {
            written,
            by_name: build(by_name)?,
            by_path: build(by_path)?,
        })
    }

    /// Whether there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.written.is_empty()
    }

    /// The patterns as written.
    pub fn as_slice(&self) -> &[String] {
        &self.written
    }

    /// Whether a pattern matches the file at `relative`, its path below the
    /// watched directory.
    pub(crate) fn matches(&self, relative: &Path) -> bool {
        let by_name = relative
            .file_name()
            .is_some_and(|name| self.by_name.is_match_candidate(&Candidate::new(name)));
        by_name || self.by_path.is_match_candidate(&Candidate::new(relative))
    }
}

impl fmt::Debug for Patterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.written).finish()
    }
}

impl<'de> Deserialize<'de> for Patterns {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let written = Vec::<String>::deserialize(deserializer)?;
        Patterns::new(&written).map_err(serde::de::Error::custom)
    }
}

/// What a watcher reports: files that an `include` pattern matches (every file
/// when there is none) and no `exclude` pattern does.
#[derive(Debug, Clone, Default)]
pub(crate) struct Globs {
    pub(crate) include: Patterns,
    pub(crate) exclude: Patterns,
}

impl Globs {
    /// Whether the file at `relative` (below its watched directory) is reported.
    pub(crate) fn wants(&self, relative: &Path) -> bool {
        // Looking at no patterns costs nothing; building a candidate does.
        (self.include.is_empty() || self.include.matches(relative))
            && (self.exclude.is_empty() || !self.exclude.matches(relative))
    }
}
