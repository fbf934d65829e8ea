//! The scratch directories the files are written into, on a real file system.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use nix::sys::statfs::{self, FsType};

/// Where scratch directories go: `chosen`, or the system's temporary directory
/// unless it is tmpfs (memory, whose notifications are not a disk's), and then
/// the directory of this program (the build's target directory).
pub(super) fn root(chosen: Option<&Path>) -> anyhow::Result<PathBuf> {
    let root = match chosen {
        Some(chosen) => chosen.to_owned(),
        None => {
            let temp = std::env::temp_dir();
            if file_system_type(&temp)? == statfs::TMPFS_MAGIC {
                let exe = std::env::current_exe().context("finding this program's path")?;
                exe.parent()
                    .context("this program's path has no directory")?
                    .to_owned()
            } else {
                temp
            }
        }
    };
    // The watcher reports absolute paths as it watches them: no symbolic links.
    root.canonicalize()
        .with_context(|| format!("finding the scratch root {}", root.display()))
}

/// The file system `path` is on, in words.
pub(super) fn file_system(path: &Path) -> String {
    let Ok(kind) = file_system_type(path) else {
        return "file system unknown".to_owned();
    };
    let known = [
        (statfs::TMPFS_MAGIC, "tmpfs"),
        (statfs::EXT4_SUPER_MAGIC, "ext2/3/4"),
        (statfs::XFS_SUPER_MAGIC, "xfs"),
        (statfs::BTRFS_SUPER_MAGIC, "btrfs"),
        (statfs::OVERLAYFS_SUPER_MAGIC, "overlayfs"),
    ];
    known.iter().find(|(magic, _)| *magic == kind).map_or_else(
        || format!("file system {:#x}", kind.0),
        |(_, name)| (*name).to_owned(),
    )
}

fn file_system_type(path: &Path) -> anyhow::Result<FsType> {
    let stat = statfs::statfs(path).with_context(|| format!("statfs {}", path.display()))?;
    Ok(stat.filesystem_type())
}

/// A fresh directory with `dirs` subdirectories, and the paths of the files to
/// write there, taking the subdirectories in turn. It stays: it is in the
/// directory of the whole scenario, removed at its end.
pub(super) struct Scratch {
    /// The directory, canonical.
    pub(super) root: PathBuf,
    /// Its subdirectories.
    pub(super) dirs: Vec<PathBuf>,
    /// The files, in the order they are written.
    pub(super) paths: Arc<Vec<PathBuf>>,
}

impl Scratch {
    /// A fresh directory in `root`, removed when dropped (unless kept).
    pub(super) fn fresh_dir(root: &Path) -> anyhow::Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix("steward-watch-")
            .tempdir_in(root)
            .with_context(|| format!("creating a scratch directory in {}", root.display()))
    }

    pub(super) fn new(root: &Path, dirs: usize, files: usize) -> anyhow::Result<Self> {
        let root = Self::fresh_dir(root)?.keep().canonicalize()?;
        let dirs: Vec<PathBuf> = (0..dirs).map(|k| root.join(format!("d{k}"))).collect();
        for dir in &dirs {
            std::fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let paths = (0..files)
            .map(|i| dirs[i % dirs.len()].join(format!("f{i:06}.dat")))
            .collect();
        Ok(Self {
            root,
            dirs,
            paths: Arc::new(paths),
        })
    }
}
