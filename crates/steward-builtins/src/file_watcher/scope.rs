//! Which paths a watcher cares about: its directories, how deep, and its globs.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use super::error::FileWatcherError;
use super::globs::Globs;
use super::settings::FileWatcherSettings;

/// The watched directories (absolute), whether their subdirectories count, and
/// which files are reported.
#[derive(Debug)]
pub(crate) struct Scope {
    roots: Vec<PathBuf>,
    recursive: bool,
    globs: Globs,
}

impl Scope {
    /// The scope the settings describe, with each directory made absolute
    /// against the host's working directory and written plainly (no `.`, no
    /// doubled or trailing `/`; symbolic links are left as they are), so that the
    /// paths joined below it compare byte by byte.
    pub(crate) fn new(settings: &FileWatcherSettings) -> Result<Self, FileWatcherError> {
        let mut roots: Vec<PathBuf> = Vec::new();
        for path in settings.paths.as_slice() {
            let absolute: PathBuf = std::path::absolute(path)
                .map_err(|source| FileWatcherError::Resolve {
                    path: path.clone(),
                    source,
                })?
                .components()
                .collect();
            if !roots.contains(&absolute) {
                roots.push(absolute);
            }
        }
        Ok(Self {
            roots,
            recursive: settings.recursive,
            globs: Globs {
                include: settings.include.clone(),
                exclude: settings.exclude.clone(),
            },
        })
    }

    /// The watched directories.
    pub(crate) fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Whether files in subdirectories count.
    pub(crate) fn recursive(&self) -> bool {
        self.recursive
    }

    /// The index of the watched directory that is `path` itself.
    pub(crate) fn root_index(&self, path: &Path) -> Option<usize> {
        self.roots.iter().position(|root| root == path)
    }

    /// `path` below the deepest watched directory that holds it: directly, or at
    /// any depth when recursive.
    ///
    /// Compared as bytes: every file reported goes through here, and comparing
    /// component by component cost several times what the rest of reporting it
    /// did. The paths compared are the roots joined with names, as plain as the
    /// roots are.
    fn relative<'p>(&self, path: &'p Path) -> Option<&'p Path> {
        let bytes = path.as_os_str().as_bytes();
        self.roots
            .iter()
            .filter_map(|root| {
                let relative = below(bytes, root.as_os_str().as_bytes())?;
                let depth = relative
                    .split(|&byte| byte == b'/')
                    .filter(|segment| !segment.is_empty() && *segment != b".")
                    .count();
                (depth == 1 || (self.recursive && depth > 1)).then_some((depth, relative))
            })
            .min_by_key(|&(depth, _)| depth)
            .map(|(_, relative)| Path::new(OsStr::from_bytes(relative)))
    }

    /// Whether a file at `path` is to be reported.
    pub(crate) fn wants_file(&self, path: &Path) -> bool {
        self.relative(path)
            .is_some_and(|relative| self.globs.wants(relative))
    }

    /// Whether `path`, a directory below a watched one, has files that count.
    pub(crate) fn covers_dir(&self, path: &Path) -> bool {
        self.recursive && self.relative(path).is_some()
    }

    /// Whether `path` lies in a watched directory's tree (or is one).
    pub(crate) fn holds(&self, path: &Path) -> bool {
        self.roots.iter().any(|root| path.starts_with(root))
    }
}

/// What follows `root` in `path`, when `path` lies below it; without leading `/`.
fn below<'p>(path: &'p [u8], root: &[u8]) -> Option<&'p [u8]> {
    let rest = path.strip_prefix(root)?;
    // `/` is the one root that ends with a separator.
    if !root.ends_with(b"/") && !rest.starts_with(b"/") {
        return None;
    }
    let start = rest.iter().position(|&byte| byte != b'/')?;
    Some(&rest[start..])
}
