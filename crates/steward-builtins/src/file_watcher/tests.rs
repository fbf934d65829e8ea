//! The rules without a file system: when a file counts as written, reporting
//! once, which paths a watcher covers, and what the globs match.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::globs::{Globs, Patterns};
use super::scope::Scope;
use super::settings::FileWatcherSettings;
use super::tracker::{Stamp, Tracker};

const WINDOW: Duration = Duration::from_secs(1);

fn stamp(inode: u64, size: u64, modified: u64) -> Stamp {
    Stamp {
        inode,
        size,
        modified: UNIX_EPOCH + Duration::from_secs(modified),
    }
}

#[test]
fn a_closed_file_is_reported_once_per_version() {
    let mut tracker = Tracker::new(WINDOW);
    let path = Path::new("/in/a.jpg");
    let first = stamp(1, 10, 100);
    assert_eq!(tracker.complete(path, Some(first)), Some(first));
    assert_eq!(
        tracker.complete(path, Some(first)),
        None,
        "closed again unchanged"
    );
    let rewritten = stamp(1, 12, 101);
    assert_eq!(tracker.complete(path, Some(rewritten)), Some(rewritten));
    assert_eq!(tracker.complete(path, None), None, "gone");
    assert_eq!(tracker.reported_len(), 0);
    // Created again with the same name: a new file, even with the same stamp.
    assert_eq!(tracker.complete(path, Some(rewritten)), Some(rewritten));
}

#[test]
fn a_checked_file_is_reported_once_it_kept_its_stamp_for_the_window() {
    let mut tracker = Tracker::new(WINDOW);
    let path = Path::new("/in/a.jpg");
    let t0 = Instant::now();
    let growing = stamp(1, 10, 100);
    assert_eq!(tracker.check(path, Some(growing), t0, false), None);
    // Unchanged, but too soon: a scan and a settling pass close together.
    let soon = t0 + Duration::from_millis(10);
    assert_eq!(tracker.check(path, Some(growing), soon, false), None);
    let grown = stamp(1, 20, 101);
    let t1 = t0 + WINDOW;
    assert_eq!(tracker.check(path, Some(grown), t1, false), None, "it grew");
    let t2 = t1 + WINDOW;
    assert_eq!(tracker.check(path, Some(grown), t2, false), Some(grown));
    assert_eq!(tracker.pending_len(), 0);
    let t3 = t2 + WINDOW;
    assert_eq!(tracker.check(path, Some(grown), t3, false), None, "once");
    assert_eq!(tracker.pending_len(), 0);
}

#[test]
fn a_quiet_file_is_reported_at_the_first_check() {
    let mut tracker = Tracker::new(WINDOW);
    let path = Path::new("/in/old.jpg");
    let old = stamp(1, 10, 100);
    assert_eq!(
        tracker.check(path, Some(old), Instant::now(), true),
        Some(old)
    );
}

#[test]
fn found_files_wait_unless_reported_and_a_close_settles_them() {
    let mut tracker = Tracker::new(WINDOW);
    let done = PathBuf::from("/in/done.jpg");
    let busy = PathBuf::from("/in/busy.jpg");
    tracker.complete(&done, Some(stamp(1, 5, 100)));
    tracker.found(done.clone(), stamp(1, 5, 100));
    tracker.found(busy.clone(), stamp(2, 5, 100));
    let pending: Vec<&Path> = tracker.pending().collect();
    assert_eq!(pending, [busy.as_path()]);
    assert_eq!(
        tracker.complete(&busy, Some(stamp(2, 9, 101))),
        Some(stamp(2, 9, 101))
    );
    assert_eq!(tracker.pending_len(), 0);
}

#[test]
fn files_assumed_reported_are_not_reported_until_they_change() {
    let mut tracker = Tracker::new(WINDOW);
    let path = PathBuf::from("/in/there.jpg");
    tracker.assume_reported(path.clone(), stamp(1, 5, 100));
    assert_eq!(tracker.complete(&path, Some(stamp(1, 5, 100))), None);
    assert_eq!(
        tracker.complete(&path, Some(stamp(1, 7, 101))),
        Some(stamp(1, 7, 101))
    );
}

#[test]
fn forgetting_a_directory_forgets_only_what_is_below_it() {
    let mut tracker = Tracker::new(WINDOW);
    for path in ["/in/a/1", "/in/a/b/2", "/in/a0/3", "/in/a", "/in/b/4"] {
        tracker.complete(Path::new(path), Some(stamp(1, 1, 1)));
    }
    tracker.found(PathBuf::from("/in/a/5"), stamp(2, 1, 1));
    tracker.forget_under(Path::new("/in/a"));
    let mut known: Vec<&Path> = tracker.known().collect();
    known.sort();
    assert_eq!(
        known,
        [
            Path::new("/in/a"),
            Path::new("/in/a0/3"),
            Path::new("/in/b/4")
        ]
    );
}

#[test]
fn an_event_names_the_directory_parent_gives() {
    let stamp = stamp(1, 0, 0);
    for path in [
        "/in/a",
        "/a",
        "/",
        "",
        "a",
        "a/b",
        "./a/b",
        "/in/a/",
        "/in//a",
        "/in/./a",
        "/in/../a",
        "/in/.a",
        "/in/a/.",
        "/in/a/..",
        "/in.d/a",
        "/in/a.b",
        "./a",
        ".",
        "..",
        "../a",
        "/.a",
        "/in/.//a",
        "/in/./x/a",
        "/in//x/a",
        "a/./b",
        "/in/.",
    ] {
        let event = super::FileCreated::new(PathBuf::from(path), &stamp);
        let parent = Path::new(path).parent().unwrap_or(Path::new(""));
        assert_eq!(event.dir.as_os_str(), parent.as_os_str(), "{path}");
    }
}

#[test]
fn a_time_before_1970_or_far_away_does_not_panic() {
    let before = UNIX_EPOCH - Duration::from_millis(1500);
    let event = super::FileCreated::new(
        PathBuf::from("/in/a"),
        &Stamp {
            inode: 1,
            size: 0,
            modified: before,
        },
    );
    assert_eq!(event.modified.timestamp_millis(), -1500);
    assert_eq!(event.dir, Path::new("/in"));
    let far = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
    let event = super::FileCreated::new(
        PathBuf::from("/a"),
        &Stamp {
            inode: 1,
            size: 0,
            modified: far,
        },
    );
    assert_eq!(event.modified.timestamp(), 0);
}

fn globs(include: &[&str], exclude: &[&str]) -> Globs {
    Globs {
        include: Patterns::new(include).unwrap(),
        exclude: Patterns::new(exclude).unwrap(),
    }
}

#[test]
fn a_pattern_without_a_slash_matches_the_name_at_any_depth() {
    let globs = globs(&["*.jpg"], &[]);
    assert!(globs.wants(Path::new("a.jpg")));
    assert!(globs.wants(Path::new("cam1/day/a.jpg")));
    assert!(!globs.wants(Path::new("a.jpg.part")));
    assert!(!globs.wants(Path::new("a.png")));
}

#[test]
fn a_pattern_with_a_slash_matches_the_path_below_the_watched_directory() {
    let globs = globs(&["cam1/*.jpg", "/raw/**"], &[]);
    assert!(globs.wants(Path::new("cam1/a.jpg")));
    assert!(!globs.wants(Path::new("cam1/day/a.jpg")), "* stops at /");
    assert!(!globs.wants(Path::new("x/cam1/a.jpg")), "anchored");
    assert!(globs.wants(Path::new("raw/a/b/c.dng")));
}

#[test]
fn exclude_wins_and_no_include_means_everything() {
    let globs = globs(&[], &["*.part", ".*", "tmp/**"]);
    assert!(globs.wants(Path::new("a.jpg")));
    assert!(globs.wants(Path::new("deep/a")));
    assert!(!globs.wants(Path::new("a.jpg.part")));
    assert!(!globs.wants(Path::new("sub/.hidden")));
    assert!(!globs.wants(Path::new("tmp/x/y")));
}

#[test]
fn bad_patterns_say_which_and_why() {
    let error = Patterns::new(&["*.jpg", "[a"]).unwrap_err();
    assert!(error.starts_with("`[a` is not a glob pattern: "), "{error}");
    let error = Patterns::new(&["cam1/"]).unwrap_err();
    assert!(error.contains("write `cam1/**`"), "{error}");
    let error = Patterns::new(&[""]).unwrap_err();
    assert!(error.contains("matches no file"), "{error}");
}

fn scope(paths: &[&str], recursive: bool, exclude: &[&str]) -> Scope {
    let settings: FileWatcherSettings = serde_json::from_value(serde_json::json!({
        "paths": paths,
        "recursive": recursive,
        "exclude": exclude,
    }))
    .expect("valid settings");
    Scope::new(&settings).expect("absolute paths")
}

#[test]
fn a_file_counts_directly_in_a_directory_or_at_any_depth_when_recursive() {
    let flat = scope(&["/data/in"], false, &[]);
    assert!(flat.wants_file(Path::new("/data/in/a.jpg")));
    assert!(!flat.wants_file(Path::new("/data/in/cam/a.jpg")));
    assert!(!flat.wants_file(Path::new("/data/inbox/a.jpg")));
    assert!(!flat.wants_file(Path::new("/data/in")));
    assert!(!flat.wants_file(Path::new("/data/a.jpg")));
    let deep = scope(&["/data/in"], true, &[]);
    assert!(deep.wants_file(Path::new("/data/in/cam/2026/a.jpg")));
    assert!(deep.covers_dir(Path::new("/data/in/cam")));
    assert!(!deep.covers_dir(Path::new("/data/inbox")));
    assert!(!flat.covers_dir(Path::new("/data/in/cam")));
}

#[test]
fn directories_are_compared_as_written_plainly() {
    // A trailing or doubled `/`, or a `.`, names the same directory.
    let odd = scope(&["/data//in/./"], false, &[]);
    assert_eq!(odd.roots(), [PathBuf::from("/data/in")]);
    assert!(odd.wants_file(Path::new("/data/in/a.jpg")));
    let root = scope(&["/"], false, &[]);
    assert!(root.wants_file(Path::new("/a.jpg")));
    assert!(!root.wants_file(Path::new("/tmp/a.jpg")));
}

#[test]
fn patterns_see_the_path_below_the_deepest_directory_holding_the_file() {
    // Below `/data`, `in/raw/a.dng` is excluded; below `/data/in`, `raw/a.dng`
    // is not: the deeper directory decides.
    let nested = scope(&["/data", "/data/in"], true, &["in/**"]);
    assert!(nested.wants_file(Path::new("/data/in/raw/a.dng")));
    assert!(nested.wants_file(Path::new("/data/other/in/a.dng")));
    let by_path = scope(&["/data"], true, &["in/**"]);
    assert!(!by_path.wants_file(Path::new("/data/in/raw/a.dng")));
}
