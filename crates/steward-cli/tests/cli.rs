//! The `steward` binary end to end: init, check, systemd-unit, and a real `run`
//! driven by `ctl` and stopped with SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use common::{Running, steward, text};

#[test]
fn init_writes_a_config_that_checks_clean_and_will_not_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steward.toml");
    let init = steward().arg("init").arg(&path).output().unwrap();
    assert!(init.status.success(), "{:?}", text(&init));
    let check = steward().args(["check", "-c"]).arg(&path).output().unwrap();
    let (out, err) = text(&check);
    assert!(check.status.success(), "{out}{err}");
    assert!(out.contains("ok"), "{out}");

    let again = steward().arg("init").arg(&path).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).1.contains("--force"));
}

#[test]
fn check_names_every_broken_key_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(
        &path,
        "[host]\nenvironmnt = \"production\"\n\n[services.detector]\nkind = \"teleporter\"\n\n[services.cleanup]\nkind = \"process\"\nstop_timeout = \"soon\"\n",
    )
    .unwrap();
    let check = steward().args(["check", "-c"]).arg(&path).output().unwrap();
    let (_, err) = text(&check);
    assert_eq!(check.status.code(), Some(1), "{err}");
    for expected in [
        "broken.toml",
        "`host.environmnt`",
        "did you mean `environment`",
        "`services.cleanup.stop_timeout`",
        "`soon` is not a duration",
        "`services.detector`",
        "teleporter",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }

    let open = dir.path().join("open.toml");
    std::fs::write(&open, "[http]\nbind = \"0.0.0.0:8080\"\n").unwrap();
    let check = steward().args(["check", "-c"]).arg(&open).output().unwrap();
    let (_, err) = text(&check);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        err.contains("`http.bind`") && err.contains("token"),
        "{err}"
    );
}

#[test]
fn an_environment_value_that_is_not_utf8_is_named_not_read_in_part() {
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steward.toml");
    std::fs::write(&path, "[host]\nenvironment = \"production\"\n").unwrap();
    let check = steward()
        .args(["check", "-c"])
        .arg(&path)
        .env(
            "STEWARD__HOST__SHUTDOWN_TIMEOUT",
            std::ffi::OsStr::from_bytes(b"5\xffs"),
        )
        .output()
        .unwrap();
    let (_, err) = text(&check);
    assert_eq!(check.status.code(), Some(1), "{err}");
    for expected in [
        "STEWARD__HOST__SHUTDOWN_TIMEOUT",
        "`host.shutdown_timeout`",
        "not valid UTF-8",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn systemd_unit_runs_the_config_with_notify() {
    let unit = steward()
        .args([
            "systemd-unit",
            "-c",
            "/etc/steward/steward.toml",
            "--user",
            "steward",
        ])
        .output()
        .unwrap();
    let (out, _) = text(&unit);
    assert!(unit.status.success());
    assert!(out.contains("Type=notify"), "{out}");
    assert!(out.contains("run -c /etc/steward/steward.toml"), "{out}");
    assert!(out.contains("User=steward"), "{out}");
}

#[test]
fn run_serves_the_api_ctl_drives_it_and_sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("steward.toml");
    std::fs::write(&config, "[http]\nbind = \"127.0.0.1:0\"\n").unwrap();
    let mut running = Running::start(&config);

    let health = running.ctl(&["health"]);
    let (out, err) = text(&health);
    assert!(health.status.success(), "{out}{err}");
    assert!(out.contains("host: healthy"), "{out}");
    let list = running.ctl(&["list", "--json"]);
    assert_eq!(text(&list).0.trim(), "[]");
    let unknown = running.ctl(&["status", "nobody"]);
    let (_, err) = text(&unknown);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(err.contains("unknown_service"), "{err}");

    kill(Pid::from_raw(running.child.id() as i32), Signal::SIGTERM).unwrap();
    let status = running.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a clean exit on SIGTERM");
    let logs = running.logs.until_closed();
    assert!(
        logs.iter().any(|line| line.contains("host stopped")),
        "{logs:#?}"
    );

    let gone = steward()
        .args(["ctl", "--url", &running.url, "list"])
        .output()
        .unwrap();
    assert_eq!(gone.status.code(), Some(3), "unreachable once stopped");
}

#[test]
fn run_speaks_systemds_notify_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("steward.toml");
    std::fs::write(&config, "[http]\nbind = \"127.0.0.1:0\"\n").unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut running = Running::start_with(
        &config,
        &[
            ("NOTIFY_SOCKET", socket_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "200000"),
        ],
    );
    let received = |wanted: &str| {
        let mut buffer = [0u8; 256];
        loop {
            let length = socket.recv(&mut buffer).expect("no notification");
            let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
            if message.lines().any(|line| line == wanted) {
                return;
            }
        }
    };
    received("READY=1");
    received("WATCHDOG=1");
    kill(Pid::from_raw(running.child.id() as i32), Signal::SIGTERM).unwrap();
    received("STOPPING=1");
    assert_eq!(running.child.wait().unwrap().code(), Some(0));
}
