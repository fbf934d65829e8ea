//! Running subjects: each in a child process of this binary, or here with `--only`.

use std::process::{Command, Stdio};

use anyhow::{Context as _, bail, ensure};
use tokio::runtime::Runtime;

use crate::measure::Measurement;
use crate::report::Table;
use crate::{Cli, Rows, Settings};

/// The subjects to run: all of them, or the one `--only` names.
pub(crate) fn select(
    all: &[&'static str],
    only: Option<&str>,
) -> anyhow::Result<Vec<&'static str>> {
    let Some(only) = only else {
        return Ok(all.to_vec());
    };
    match all.iter().find(|&&subject| subject == only) {
        Some(&subject) => Ok(vec![subject]),
        None => bail!(
            "no subject `{only}` in this scenario (subjects: {})",
            all.join(", ")
        ),
    }
}

/// Measures each subject: in this process when `--only` is given, otherwise in a
/// child process per subject, so that no subject inherits another's heap.
pub(crate) fn run_subjects(
    cli: &Cli,
    scenario: &str,
    subjects: &[&str],
    measure: impl Fn(&str) -> anyhow::Result<Rows>,
) -> anyhow::Result<Rows> {
    run_subjects_with(cli, scenario, scenario, subjects, &[], measure)
}

/// [`run_subjects`], with `extra` arguments for the child processes and a `label`
/// for the progress lines (a part of a scenario, such as one of its workloads).
pub(crate) fn run_subjects_with(
    cli: &Cli,
    scenario: &str,
    label: &str,
    subjects: &[&str],
    extra: &[String],
    measure: impl Fn(&str) -> anyhow::Result<Rows>,
) -> anyhow::Result<Rows> {
    let mut rows = Vec::new();
    for &subject in subjects {
        if !cli.json_only {
            eprintln!("{label}: {subject} …");
        }
        let measured = if cli.only.is_some() {
            measure(subject)
        } else {
            in_child(cli, scenario, subject, extra)
        };
        rows.extend(measured.with_context(|| format!("{label}: measuring {subject}"))?);
    }
    Ok(rows)
}

/// Runs this binary again for one subject and reads its JSON lines.
fn in_child(cli: &Cli, scenario: &str, subject: &str, extra: &[String]) -> anyhow::Result<Rows> {
    let exe = std::env::current_exe().context("finding this program's path")?;
    let bursts: Vec<String> = cli.watch_bursts.iter().map(usize::to_string).collect();
    let output = Command::new(exe)
        .arg(scenario)
        .args(["--only", subject, "--json-only"])
        .args(["--services", &cli.services.to_string()])
        .args(["--iterations", &cli.iterations.to_string()])
        .args(["--rounds", &cli.rounds.to_string()])
        .args(["--duration-secs", &cli.duration_secs.to_string()])
        .args(["--period-ms", &cli.period_ms.to_string()])
        .args(["--repeats", &cli.repeats.to_string()])
        .args(["--calls", &cli.calls.to_string()])
        .args(["--warmup", &cli.warmup.to_string()])
        .args(["--throughput-calls", &cli.throughput_calls.to_string()])
        .args(["--producers", &cli.producers.to_string()])
        .args(["--in-flight", &cli.in_flight.to_string()])
        .args(["--events", &cli.events.to_string()])
        .args(["--subscribers", &cli.subscribers.to_string()])
        .args(["--buffer", &cli.buffer.to_string()])
        .args(["--connections", &cli.connections.to_string()])
        .args(["--load-ms", &cli.load_ms.to_string()])
        .args(["--load-warmup-ms", &cli.load_warmup_ms.to_string()])
        .args(["--restarts", &cli.restarts.to_string()])
        .args(["--live-ms", &cli.live_ms.to_string()])
        .args(["--batch-events", &cli.batch_events.to_string()])
        .args(["--batch-keys", &cli.batch_keys.to_string()])
        .args(["--batch-size", &cli.batch_size.to_string()])
        .args(["--watch-bursts", &bursts.join(",")])
        .args(["--watch-paced", &cli.watch_paced.to_string()])
        .args(["--watch-rate", &cli.watch_rate.to_string()])
        .args(["--watch-file-bytes", &cli.watch_file_bytes.to_string()])
        .args(["--watch-dirs", &cli.watch_dirs.to_string()])
        .args(["--watch-settle-secs", &cli.watch_settle_secs.to_string()])
        .args(["--durable-actions", &cli.durable_actions.to_string()])
        .args([
            "--durable-peer-actions",
            &cli.durable_peer_actions.to_string(),
        ])
        .args(["--durable-callers", &cli.durable_callers.to_string()])
        .args(["--replay-backlog", &cli.replay_backlog.to_string()])
        .args(extra)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("starting the child process")?;
    ensure!(
        output.status.success(),
        "the child process failed ({})",
        output.status
    );
    let stdout = String::from_utf8(output.stdout).context("the child's output is not UTF-8")?;
    stdout
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| {
            serde_json::from_str::<Measurement>(line).with_context(|| format!("reading `{line}`"))
        })
        .collect()
}

/// A fresh multi-threaded runtime, as an application would have.
/// Runs one round in a fresh runtime, dropped before the next round starts, so no
/// round inherits another's tasks or allocations.
pub(crate) fn fresh<T>(round: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    runtime()?.block_on(round)
}

/// Measures every subject of `scenario` (or `--only` one) and builds its table.
pub(crate) fn scenario(
    cli: &Cli,
    settings: &Settings,
    scenario: &str,
    subjects: &[&'static str],
    measure: fn(&str, &Settings) -> anyhow::Result<Rows>,
    table: fn(Rows, &Settings) -> Table,
) -> anyhow::Result<Table> {
    let subjects = select(subjects, cli.only.as_deref())?;
    let rows = run_subjects(cli, scenario, &subjects, |subject| {
        measure(subject, settings)
    })?;
    Ok(table(rows, settings))
}

pub(crate) fn runtime() -> anyhow::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("building a tokio runtime")
}
