//! The `file-watcher` built-in with the operating system's notifier (inotify),
//! on real temporary directories: when a file counts as written, which files
//! count, and what happens to directories that come and go.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;
use common::until;
use common::watch::{dir, table, watch};
use steward::{HealthStatus, ServiceHandle, State};

#[tokio::test]
async fn a_file_written_in_chunks_is_reported_once_after_it_is_closed_with_its_final_size() {
    let (_tmp, inbox) = dir();
    let mut watched = watch(&table(&[&inbox], "initial_scan = false")).await;

    let path = inbox.join("slow.jpg");
    let mut file = std::fs::File::create(&path).unwrap();
    for chunk in 0..5u8 {
        file.write_all(&[chunk; 1000]).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Written but still open: a file closed after it is reported first, and
    // nothing comes for the open one.
    let before = watched.mark(&inbox, "mark-1").await;
    assert!(before.is_empty(), "reported while open: {before:?}");

    drop(file);
    let event = watched.next().await;
    assert_eq!(event.path, path);
    assert_eq!(event.dir, inbox);
    assert_eq!(event.size, 5000);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(std::time::SystemTime::from(event.modified), modified);
    // Once: nothing more about it before a later file.
    let before = watched.mark(&inbox, "mark-2").await;
    assert!(before.is_empty(), "reported again: {before:?}");
    assert_eq!(
        watched.metric(r#"steward_file_watcher_files_total{service="watcher"}"#),
        Some(3.0)
    );
    watched.stop().await;
}

#[tokio::test]
async fn a_name_that_is_not_utf8_is_reported_exact_to_typed_subscribers_and_as_text_in_json() {
    use std::os::unix::ffi::OsStrExt;

    let (_tmp, inbox) = dir();
    let mut watched = watch(&table(&[&inbox], "initial_scan = false")).await;
    let mut by_name = watched
        .handle
        .named("watcher")
        .on_named("file.created")
        .stream()
        .await
        .unwrap();
    let path = inbox.join(std::ffi::OsStr::from_bytes(b"cam\xff.jpg"));
    std::fs::write(&path, b"jpeg").unwrap();

    assert_eq!(watched.next().await.path, path);
    let emitted = tokio::time::timeout(Duration::from_secs(10), by_name.recv())
        .await
        .expect("the event comes within 10 s")
        .expect("the host still runs");
    let json = emitted.json();
    assert_eq!(json["path"], path.to_string_lossy().as_ref(), "{json}");
    assert_eq!(json["dir"], inbox.to_string_lossy().as_ref());
    assert_eq!(json["size"], 4);
    watched.stop().await;
}

#[tokio::test]
async fn include_and_exclude_globs_choose_the_files() {
    let (_tmp, inbox) = dir();
    let settings = r#"include = ["*.jpg", "cam1/*.png"], exclude = ["skip-*"]"#;
    std::fs::create_dir_all(inbox.join("cam1/deep")).unwrap();
    std::fs::create_dir_all(inbox.join("cam2")).unwrap();
    let mut watched = watch(&table(&[&inbox], settings)).await;
    for name in [
        "a.jpg",
        "a.png",
        "skip-b.jpg",
        "cam1/c.png",
        "cam1/deep/d.png",
        "cam2/e.png",
        "cam2/f.jpg",
    ] {
        std::fs::write(inbox.join(name), name).unwrap();
    }
    let mut seen = watched.mark(&inbox, "z-mark.jpg").await;
    seen.sort();
    let expected: Vec<PathBuf> = ["a.jpg", "cam1/c.png", "cam2/f.jpg"]
        .iter()
        .map(|name| inbox.join(name))
        .collect();
    assert_eq!(seen, expected);
    watched.stop().await;
}

#[tokio::test]
async fn recursive_watches_new_subdirectories_at_any_depth() {
    let (_tmp, inbox) = dir();
    let mut watched = watch(&table(&[&inbox], r#"poll_interval = "100ms""#)).await;
    // Written as soon as the directories exist, before they can be watched: the
    // watcher scans each new directory after watching it.
    let deep = inbox.join("a/b/c");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("1.jpg"), "1").unwrap();
    std::fs::write(inbox.join("a/2.jpg"), "2").unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        seen.push(watched.next().await.path);
    }
    seen.sort();
    assert_eq!(seen, [inbox.join("a/2.jpg"), deep.join("1.jpg")]);
    let before = watched.mark(&deep, "mark").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn without_recursive_only_the_directory_itself_counts() {
    let (_tmp, inbox) = dir();
    std::fs::create_dir(inbox.join("old")).unwrap();
    std::fs::write(inbox.join("old/there.jpg"), "x").unwrap();
    let settings = r#"recursive = false, poll_interval = "100ms""#;
    let mut watched = watch(&table(&[&inbox], settings)).await;
    std::fs::create_dir(inbox.join("new")).unwrap();
    std::fs::write(inbox.join("new/below.jpg"), "x").unwrap();
    std::fs::write(inbox.join("old/below.jpg"), "x").unwrap();
    std::fs::write(inbox.join("top.jpg"), "x").unwrap();
    let before = watched.until(&inbox.join("top.jpg")).await;
    assert_eq!(before.len(), 1, "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn the_initial_scan_reports_what_is_already_there() {
    let (_tmp, inbox) = dir();
    std::fs::create_dir(inbox.join("sub")).unwrap();
    std::fs::write(inbox.join("a.jpg"), "a").unwrap();
    std::fs::write(inbox.join("sub/b.jpg"), "bb").unwrap();
    let mut watched = watch(&table(&[&inbox], r#"poll_interval = "100ms""#)).await;
    let mut seen = [watched.next().await, watched.next().await];
    seen.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(seen[0].path, inbox.join("a.jpg"));
    assert_eq!(seen[0].size, 1);
    assert_eq!(seen[1].path, inbox.join("sub/b.jpg"));
    assert_eq!(seen[1].size, 2);
    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn without_the_initial_scan_only_new_files_are_reported() {
    let (_tmp, inbox) = dir();
    std::fs::write(inbox.join("old.jpg"), "old").unwrap();
    let settings = r#"initial_scan = false, poll_interval = "100ms""#;
    let mut watched = watch(&table(&[&inbox], settings)).await;
    // Touched, not rewritten: still the same file.
    std::fs::OpenOptions::new()
        .append(true)
        .open(inbox.join("old.jpg"))
        .unwrap();
    std::fs::write(inbox.join("new.jpg"), "new").unwrap();
    let event = watched.next().await;
    assert_eq!(event.path, inbox.join("new.jpg"));
    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn a_service_restart_reports_only_what_came_while_it_was_stopped() {
    let (_tmp, inbox) = dir();
    std::fs::write(inbox.join("before.jpg"), "0").unwrap();
    let settings = r#"initial_scan = false, poll_interval = "100ms""#;
    let mut watched = watch(&table(&[&inbox], settings)).await;
    std::fs::write(inbox.join("first.jpg"), "1").unwrap();
    assert_eq!(watched.next().await.path, inbox.join("first.jpg"));

    let service = watched.handle.service("watcher").unwrap();
    service.stop().await.unwrap();
    std::fs::write(inbox.join("while-stopped.jpg"), "2").unwrap();
    service.start().await.unwrap();
    assert_eq!(watched.next().await.path, inbox.join("while-stopped.jpg"));
    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn files_moved_in_are_reported_at_once() {
    let (_tmp, inbox) = dir();
    let (_outside_tmp, outside) = dir();
    let settings = r#"exclude = ["*.part"], poll_interval = "100ms""#;
    let mut watched = watch(&table(&[&inbox], settings)).await;

    // Written elsewhere, then moved in.
    std::fs::write(outside.join("a.jpg"), "abc").unwrap();
    std::fs::rename(outside.join("a.jpg"), inbox.join("a.jpg")).unwrap();
    let event = watched.next().await;
    assert_eq!((event.path, event.size), (inbox.join("a.jpg"), 3));

    // Written under a name that does not count, then renamed: one event.
    let mut part = std::fs::File::create(inbox.join("b.jpg.part")).unwrap();
    part.write_all(b"12345").unwrap();
    drop(part);
    std::fs::rename(inbox.join("b.jpg.part"), inbox.join("b.jpg")).unwrap();
    let event = watched.next().await;
    assert_eq!((event.path, event.size), (inbox.join("b.jpg"), 5));

    // A whole directory moved in.
    std::fs::create_dir(outside.join("batch")).unwrap();
    std::fs::write(outside.join("batch/c.jpg"), "c").unwrap();
    std::fs::write(outside.join("batch/d.jpg"), "d").unwrap();
    std::fs::rename(outside.join("batch"), inbox.join("batch")).unwrap();
    let mut seen = vec![watched.next().await.path, watched.next().await.path];
    seen.sort();
    assert_eq!(seen, [inbox.join("batch/c.jpg"), inbox.join("batch/d.jpg")]);

    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn a_subdirectory_moved_out_is_no_longer_watched() {
    let (_tmp, inbox) = dir();
    let (_outside_tmp, outside) = dir();
    std::fs::create_dir(inbox.join("cam1")).unwrap();
    let mut watched = watch(&table(&[&inbox], "initial_scan = false")).await;
    std::fs::write(inbox.join("cam1/a.jpg"), "a").unwrap();
    assert_eq!(watched.next().await.path, inbox.join("cam1/a.jpg"));

    // Moved away: what is written there now is outside the watched tree, and
    // its old path must not be reported either.
    std::fs::rename(inbox.join("cam1"), outside.join("cam1")).unwrap();
    std::fs::write(outside.join("cam1/b.jpg"), "b").unwrap();
    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "{before:?}");

    // Moved back: a directory moved in, so what it holds is reported (once
    // each), and it is watched again.
    std::fs::rename(outside.join("cam1"), inbox.join("cam1")).unwrap();
    let mut seen = vec![watched.next().await.path, watched.next().await.path];
    seen.sort();
    assert_eq!(seen, [inbox.join("cam1/a.jpg"), inbox.join("cam1/b.jpg")]);
    std::fs::write(inbox.join("cam1/c.jpg"), "c").unwrap();
    assert_eq!(watched.next().await.path, inbox.join("cam1/c.jpg"));
    let before = watched.mark(&inbox, "mark-2").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn a_file_deleted_and_created_again_is_a_new_file() {
    let (_tmp, inbox) = dir();
    let mut watched = watch(&table(&[&inbox], "")).await;
    let path = inbox.join("again.jpg");
    std::fs::write(&path, "same").unwrap();
    assert_eq!(watched.next().await.path, path);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, "same").unwrap();
    assert_eq!(watched.next().await.path, path);
    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn a_missing_directory_is_waited_for_then_watched() {
    let (_tmp, parent) = dir();
    let inbox = parent.join("inbox");
    let mut watched = watch(&table(&[&inbox], r#"poll_interval = "50ms""#)).await;
    let service = watched.handle.service("watcher").unwrap();
    health_becomes(
        &service,
        HealthStatus::Degraded,
        "the watcher says what it waits for",
    )
    .await;
    let message = service.health().message.unwrap();
    assert_eq!(
        message,
        format!("waiting for `{}` to exist", inbox.display())
    );

    std::fs::create_dir(&inbox).unwrap();
    std::fs::write(inbox.join("first.jpg"), "1").unwrap();
    assert_eq!(watched.next().await.path, inbox.join("first.jpg"));
    health_becomes(&service, HealthStatus::Healthy, "the watcher is healthy").await;

    // Removed: waited for again; back: watched again.
    std::fs::remove_dir_all(&inbox).unwrap();
    health_becomes(&service, HealthStatus::Degraded, "the watcher waits again").await;
    std::fs::create_dir(&inbox).unwrap();
    health_becomes(
        &service,
        HealthStatus::Healthy,
        "the watcher is healthy again",
    )
    .await;
    std::fs::write(inbox.join("second.jpg"), "2").unwrap();
    assert_eq!(watched.next().await.path, inbox.join("second.jpg"));
    assert_eq!(service.status().state, State::Running);
    watched.stop().await;
}

/// Waits, as [`until`] does, for `service`'s health to be `status`.
async fn health_becomes(service: &ServiceHandle, status: HealthStatus, what: &str) {
    until(what, || service.health().status == status).await;
}

/// Watches `inbox`, which holds `first` (a relative path) once written, until
/// `away` takes it from its path and says where it went: the watcher waits for
/// the path again, takes nothing written where it went for the old place, and
/// watches the directory made at the path next.
async fn waited_for_again_after(inbox: &Path, first: &str, away: impl FnOnce() -> PathBuf) {
    let mut watched = watch(&table(&[inbox], r#"poll_interval = "50ms""#)).await;
    let service = watched.handle.service("watcher").unwrap();
    std::fs::write(inbox.join(first), "1").unwrap();
    assert_eq!(watched.next().await.path, inbox.join(first));

    let went = away();
    health_becomes(&service, HealthStatus::Degraded, "the watcher waits for it").await;
    // Written where it went: not watched there, so not taken for the old place.
    std::fs::write(went.join(first).with_file_name("elsewhere.jpg"), "x").unwrap();
    std::fs::write(went.join("elsewhere.jpg"), "x").unwrap();

    std::fs::create_dir_all(inbox).unwrap();
    health_becomes(
        &service,
        HealthStatus::Healthy,
        "the watcher is healthy again",
    )
    .await;
    let before = watched.mark(inbox, "mark.jpg").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn a_watched_directory_moved_away_is_waited_for_and_not_watched_where_it_went() {
    let (_tmp, parent) = dir();
    let inbox = parent.join("inbox");
    std::fs::create_dir_all(inbox.join("cam1")).unwrap();
    waited_for_again_after(&inbox, "cam1/first.jpg", || {
        let moved = parent.join("moved");
        std::fs::rename(&inbox, &moved).unwrap();
        moved
    })
    .await;
}

#[tokio::test]
async fn a_watched_directory_whose_parent_is_renamed_is_waited_for_where_it_was() {
    let (_tmp, parent) = dir();
    let site = parent.join("site");
    let inbox = site.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    // No event says so: the directory itself did not move within its parent.
    waited_for_again_after(&inbox, "first.jpg", || {
        let renamed = parent.join("site-old");
        std::fs::rename(&site, &renamed).unwrap();
        renamed.join("inbox")
    })
    .await;
}

#[tokio::test]
async fn a_watched_directory_below_one_moved_away_is_waited_for_with_it() {
    let (_tmp, parent) = dir();
    let site = parent.join("site");
    let inbox = site.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut watched = watch(&table(
        &[&site, &inbox],
        r#"recursive = false, poll_interval = "50ms""#,
    ))
    .await;
    let service = watched.handle.service("watcher").unwrap();
    std::fs::write(inbox.join("first.jpg"), "1").unwrap();
    assert_eq!(watched.next().await.path, inbox.join("first.jpg"));

    // The outer one moves (an event says so), taking the inner one with it.
    let moved = parent.join("site-old");
    std::fs::rename(&site, &moved).unwrap();
    health_becomes(
        &service,
        HealthStatus::Degraded,
        "the watcher waits for both",
    )
    .await;
    std::fs::write(moved.join("inbox").join("elsewhere.jpg"), "x").unwrap();

    std::fs::create_dir_all(&inbox).unwrap();
    health_becomes(&service, HealthStatus::Healthy, "both are watched again").await;
    let before = watched.mark(&inbox, "mark.jpg").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn a_watched_symbolic_link_pointed_elsewhere_is_watched_where_it_points() {
    let (_tmp, parent) = dir();
    let (monday, tuesday) = (parent.join("monday"), parent.join("tuesday"));
    std::fs::create_dir(&monday).unwrap();
    std::fs::create_dir(&tuesday).unwrap();
    let current = parent.join("current");
    std::os::unix::fs::symlink(&monday, &current).unwrap();
    let mut watched = watch(&table(&[&current], r#"poll_interval = "50ms""#)).await;
    std::fs::write(monday.join("first.jpg"), "1").unwrap();
    assert_eq!(watched.next().await.path, current.join("first.jpg"));

    // Pointed at another directory, as a link renamed over it does.
    let next = parent.join("next");
    std::os::unix::fs::symlink(&tuesday, &next).unwrap();
    std::fs::rename(&next, &current).unwrap();
    std::fs::write(tuesday.join("second.jpg"), "2").unwrap();
    // Found by the scan once the watcher looked again.
    assert_eq!(watched.next().await.path, current.join("second.jpg"));
    // The old directory is not watched any more.
    std::fs::write(monday.join("stale.jpg"), "x").unwrap();
    let before = watched.mark(&current, "mark.jpg").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn a_path_that_is_a_file_fails_the_service_with_the_reason() {
    let (_tmp, parent) = dir();
    let file = parent.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let mut toml = table(&[&file], "");
    toml.push_str("restart = { policy = \"never\" }\n");
    let host = common::host(&toml);
    let handle = host.handle();
    let running = host.start().await.unwrap();
    let service = handle.service("watcher").unwrap();
    tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Failed))
        .await
        .expect("the service fails");
    let error = service.status().last_error.unwrap();
    assert_eq!(
        error,
        format!(
            "`{}` is not a directory; a file watcher watches directories",
            file.display()
        )
    );
    running.shutdown().await;
}

#[tokio::test]
async fn several_watchers_in_one_host_count_their_own_files() {
    let (_tmp, inbox) = dir();
    let (_tmp2, other) = dir();
    let mut toml = table(&[&inbox], "");
    toml.push_str(&table(&[&other], "").replace("services.watcher", "services.other"));
    let mut watched = watch(&toml).await;
    std::fs::write(inbox.join("a"), "a").unwrap();
    assert_eq!(watched.next().await.path, inbox.join("a"));
    let other_service = watched.handle.service("other").unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        other_service.wait_for(State::Running),
    )
    .await
    .unwrap();
    let mut others = watched
        .handle
        .named("other")
        .on::<steward_builtins::file_watcher::FileCreated>()
        .stream()
        .await
        .unwrap();
    std::fs::write(other.join("b"), "b").unwrap();
    std::fs::write(other.join("c"), "c").unwrap();
    for _ in 0..2 {
        common::watch::next(&mut others, Duration::from_secs(10)).await;
    }
    let files = |service: &str| {
        watched.metric(&format!(
            r#"steward_file_watcher_files_total{{service="{service}"}}"#
        ))
    };
    assert_eq!(files("watcher"), Some(1.0));
    assert_eq!(files("other"), Some(2.0));
    let tracked = r#"steward_file_watcher_tracked_files{service="other"}"#;
    until("the other watcher tracks its two files", || {
        watched.metric(tracked) == Some(2.0)
    })
    .await;
    watched.stop().await;
}
