//! The `retention-cleanup` built-in over directories: old files deleted at any
//! depth, new ones kept, links never followed, emptied subdirectories removed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use steward::{HealthStatus, ProcessBatch};
use steward_builtins::retention::TargetKind;

mod common;
use common::retention::{file, start, toml_path};

#[tokio::test]
async fn old_files_are_deleted_and_new_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    file(&inbox.join("old.bin"), 100, 40);
    file(&inbox.join("new.bin"), 7, 1);
    file(&inbox.join("2024/01/old.bin"), 50, 400);
    file(&inbox.join("2024/02/old.bin"), 10, 31);
    file(&inbox.join("2024/02/new.bin"), 1, 29);
    std::fs::create_dir_all(inbox.join("empty")).unwrap();
    // Old files outside, reached only through links, stay.
    let outside = dir.path().join("outside");
    file(&outside.join("old.bin"), 1000, 40);
    std::os::unix::fs::symlink(&outside, inbox.join("link-to-dir")).unwrap();
    std::os::unix::fs::symlink(outside.join("old.bin"), inbox.join("link-to-file")).unwrap();

    let mut cleanup = start(&format!("directories = [{}]", toml_path(&inbox))).await;
    let run = cleanup.run().await;
    assert_eq!(run.errors, 0, "{run:?}");
    let target = &run.targets[0];
    assert_eq!(target.target, inbox.display().to_string());
    assert_eq!(target.kind, TargetKind::Directory);
    assert_eq!((target.files, target.bytes), (3, 160));
    assert_eq!((run.files, run.bytes), (3, 160));

    assert!(!inbox.join("old.bin").exists());
    assert!(inbox.join("new.bin").exists());
    assert!(!inbox.join("2024/01").exists(), "emptied, so removed");
    assert!(inbox.join("2024/02/new.bin").exists());
    assert!(!inbox.join("2024/02/old.bin").exists());
    assert!(inbox.join("empty").exists(), "empty before, so kept");
    assert!(outside.join("old.bin").exists());
    assert!(inbox.join("link-to-file").symlink_metadata().is_ok());

    let metrics = cleanup.handle.metrics().encode();
    let files = format!(
        "steward_cleanup_files_deleted_total{{service=\"cleanup\",target=\"{}\"}} 3\n",
        inbox.display()
    );
    assert!(metrics.contains(&files), "{metrics}");
    assert!(
        metrics.contains("steward_cleanup_bytes_freed_total{service=\"cleanup\"} 160\n"),
        "{metrics}"
    );
    cleanup.running.shutdown().await;
}

#[tokio::test]
async fn dry_run_and_process_batch_over_files() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    for n in 0..5 {
        file(&inbox.join(format!("old-{n}")), 10, 40);
    }
    let settings = format!("dry_run = true, directories = [{}]", toml_path(&inbox));
    let mut cleanup = start(&settings).await;
    let run = cleanup.run().await;
    assert!(run.dry_run);
    assert_eq!((run.files, run.bytes), (5, 50));
    assert_eq!(std::fs::read_dir(&inbox).unwrap().count(), 5);
    cleanup.running.shutdown().await;

    let mut cleanup = start(&format!("directories = [{}]", toml_path(&inbox))).await;
    let filter = inbox.display().to_string();
    let answer = cleanup
        .handle
        .named("cleanup")
        .process_batch(ProcessBatch::of(2).filter(filter))
        .await
        .unwrap();
    assert_eq!(answer["files"], json!(2));
    assert_eq!(answer["targets"][0]["more"], json!(true));
    cleanup.next().await;
    assert_eq!(std::fs::read_dir(&inbox).unwrap().count(), 3);
    cleanup.running.shutdown().await;
}

#[tokio::test]
async fn a_missing_directory_is_degraded_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothere");
    let mut cleanup = start(&format!("directories = [{}]", toml_path(&missing))).await;
    let run = cleanup.run().await;
    assert_eq!(run.errors, 1);
    let error = run.targets[0].error.as_deref().unwrap();
    assert!(error.contains("nothere` does not exist"), "{error}");
    let service = cleanup.handle.service("cleanup").unwrap();
    assert_eq!(service.health().status, HealthStatus::Degraded);
    assert_eq!(service.status().restarts, 0);

    // It recovers once the directory appears.
    std::fs::create_dir(&missing).unwrap();
    let run = cleanup.run().await;
    assert_eq!(run.errors, 0);
    assert_eq!(service.health().status, HealthStatus::Healthy);
    cleanup.running.shutdown().await;
}
