//! A pipeline from configuration alone: `steward run` with a file watcher, a
//! batch aggregator and an `exec`, real files dropped into an inbox, and the
//! command's own output files read back. Then `ctl trigger` on that `exec`, and
//! its runs in `/metrics`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use common::{Running, eventually, text};

/// Writes each run's stdin to `OUT/N.json`, N counting from 0 (runs never
/// overlap), complete when it appears.
const SAVE_STDIN: &str =
    r#"n=$(ls "$OUT" | wc -l); cat > "$OUT/.partial" && mv "$OUT/.partial" "$OUT/$n.json""#;

/// `inbox/<camera>/*.jpg` in batches of up to three per camera, each closed
/// 300 ms after its last image, saved by `analyze` into `out`.
fn pipeline_config(dir: &Path, inbox: &Path, out: &Path) -> PathBuf {
    let command = json!(["sh", "-c", SAVE_STDIN]);
    let env = json!(out.to_str().unwrap());
    let config = format!(
        r#"[http]
bind = "127.0.0.1:0"

[services.watcher]
kind = "file-watcher"
settings = {{ paths = [{inbox}], include = ["*.jpg"] }}

[services.batcher]
kind = "batch-aggregator"
settings = {{ source = "watcher:file.created", key = "{{dir}}", window = "30s", idle_timeout = "300ms", max_size = 3, check_interval = "50ms" }}

[services.analyze]
kind = "exec"
on = "batcher:batch.closed"
settings = {{ command = {command}, env = {{ OUT = {env} }}, timeout = "10s" }}
"#,
        inbox = json!(inbox.to_str().unwrap()),
    );
    let path = dir.join("steward.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// The files `analyze` has saved, in the order it saved them, once there are `n`.
fn saved(out: &Path, n: usize) -> Vec<String> {
    eventually(&format!("{n} runs are saved in {}", out.display()), || {
        let count = std::fs::read_dir(out)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".json"))
            .count();
        (count >= n).then_some(())
    });
    (0..n)
        .map(|index| std::fs::read_to_string(out.join(format!("{index}.json"))).unwrap())
        .collect()
}

/// `GET PATH` from the control plane at `url`: the body.
fn get(url: &str, path: &str) -> String {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

#[test]
fn files_dropped_in_the_inbox_reach_the_command_as_batches() {
    let dir = tempfile::tempdir().unwrap();
    let (inbox, out) = (dir.path().join("inbox"), dir.path().join("out"));
    for folder in [inbox.join("cam1"), inbox.join("cam2"), out.clone()] {
        std::fs::create_dir_all(folder).unwrap();
    }
    let mut host = Running::start(&pipeline_config(dir.path(), &inbox, &out));
    host.wait_state("analyze", "running");
    host.wait_state("watcher", "running");

    for name in ["a.jpg", "b.jpg", "c.jpg"] {
        std::fs::write(inbox.join("cam1").join(name), b"jpeg").unwrap();
    }
    std::fs::write(inbox.join("cam2").join("d.jpg"), b"jpeg").unwrap();
    std::fs::write(inbox.join("cam2").join("notes.txt"), b"not an image").unwrap();

    let mut batches: Vec<Value> = saved(&out, 2)
        .iter()
        .map(|text| serde_json::from_str(text).unwrap())
        .collect();
    batches.sort_by_key(|batch| batch["key"].as_str().unwrap().to_owned());
    let names = |batch: &Value| {
        let mut names: Vec<String> = batch["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let path = Path::new(item["path"].as_str().unwrap());
                path.file_name().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        names.sort();
        names
    };
    let (cam1, cam2) = (&batches[0], &batches[1]);
    assert!(cam1["key"].as_str().unwrap().ends_with("/cam1"), "{cam1}");
    assert_eq!(
        (cam1["size"].as_u64(), cam1["reason"].as_str()),
        (Some(3), Some("size"))
    );
    assert_eq!(names(cam1), ["a.jpg", "b.jpg", "c.jpg"]);
    assert!(cam2["key"].as_str().unwrap().ends_with("/cam2"), "{cam2}");
    assert_eq!(
        (cam2["size"].as_u64(), cam2["reason"].as_str()),
        (Some(1), Some("idle"))
    );
    assert_eq!(names(cam2), ["d.jpg"], "the text file is not an image");

    // `ctl trigger` runs it once more, with nothing on stdin.
    let triggered = host.ctl_ok(&["trigger", "analyze"]);
    assert_eq!(triggered.trim(), "triggered");
    assert_eq!(saved(&out, 3)[2], "", "nothing on stdin");
    let metrics = get(&host.url, "/metrics");
    assert!(
        metrics.contains("steward_exec_runs_total{service=\"analyze\",outcome=\"success\"} 3\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("steward_exec_run_duration_seconds_count{service=\"analyze\"} 3\n"),
        "{metrics}"
    );
    let exit = host.signal_and_wait(nix::sys::signal::Signal::SIGTERM);
    assert!(exit.success(), "{exit}");
}

#[test]
fn ctl_trigger_of_a_failing_command_says_why_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("steward.toml");
    std::fs::write(
        &config,
        "[http]\nbind = \"127.0.0.1:0\"\n\n[services.report]\nkind = \"exec\"\nsettings = { command = [\"sh\", \"-c\", \"echo 'no disk' >&2; exit 4\"] }\n",
    )
    .unwrap();
    let mut host = Running::start(&config);
    host.wait_state("report", "running");
    let failed = host.ctl(&["trigger", "report"]);
    let (out, err) = text(&failed);
    assert_eq!(failed.status.code(), Some(1), "{out}{err}");
    assert!(err.contains("the command exited with code 4"), "{err}");
    let logged = host.logs.wait_for("with the command's stderr", |line| {
        line.contains("no disk") && line.contains("stream=\"stderr\"")
    });
    assert!(
        logged.contains("command{service=report command=\"trigger\"}"),
        "{logged}"
    );
    host.logs.wait_for("saying the command failed", |line| {
        line.contains("command failed") && line.contains("cause=Trigger")
    });
    let metrics = get(&host.url, "/metrics");
    assert!(
        metrics.contains("steward_exec_runs_total{service=\"report\",outcome=\"failure\"} 1\n"),
        "{metrics}"
    );
}
