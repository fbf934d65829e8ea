//! `steward systemd-unit`: a unit file that runs this config with readiness and
//! watchdog notifications.

use std::path::Path;

use crate::{Exit, complain, say};

pub(crate) fn print(config: &Path, user: Option<&str>) -> Exit {
    let (binary, config) = match (std::env::current_exe(), std::path::absolute(config)) {
        (Ok(binary), Ok(config)) => (binary, config),
        (Err(error), _) | (_, Err(error)) => {
            complain(format!(
                "error: cannot resolve the paths for the unit: {error}"
            ));
            return Exit::Failure;
        }
    };
    let directory = config.parent().unwrap_or(Path::new("/"));
    let user = user
        .map(|user| format!("User={user}\n"))
        .unwrap_or_default();
    say(format!(
        "[Unit]
Description=Steward background services ({config})
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={binary} run -c {config}
WorkingDirectory={directory}
{user}Restart=on-failure
RestartSec=2s
WatchdogSec=30s
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=45s
Environment=RUST_LOG=info

[Install]
WantedBy=multi-user.target",
        config = config.display(),
        binary = binary.display(),
        directory = directory.display(),
    ));
    Exit::Success
}
