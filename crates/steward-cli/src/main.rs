//! `steward`: run a host from a config file, check configs, write a starter config
//! or a systemd unit, and control a running host through its HTTP API.
//!
//! Exit codes: 0 success; 1 the config is invalid, the host failed, or the API
//! answered an error; 2 the command line is wrong; 3 the API could not be reached.

/// Events and actions are often made on one worker thread and freed on another,
/// which glibc's allocator serialises on an arena lock; mimalloc does not
/// (the `batch` benchmark ran about 1.7× faster).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod check;
mod ctl;
mod init;
mod journal;
mod notify;
mod run;
mod unit;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Background services from a config file: supervised, observable, controllable.
#[derive(Debug, Parser)]
#[command(name = "steward", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a host: the services in the config, and the HTTP control plane.
    Run {
        /// The config file (TOML, JSON or YAML).
        #[arg(short, long, default_value = "steward.toml")]
        config: PathBuf,
        /// Log as JSON lines instead of text.
        #[arg(long)]
        json_logs: bool,
    },
    /// Check a config file and print every problem with its file and key.
    Check {
        /// The config file.
        #[arg(short, long, default_value = "steward.toml")]
        config: PathBuf,
    },
    /// Write a commented starter config.
    Init {
        /// Where to write it.
        #[arg(default_value = "steward.toml")]
        path: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Control a running host through its HTTP API.
    Ctl(Box<ctl::Ctl>),
    /// Print a systemd unit that runs this config.
    SystemdUnit {
        /// The config file the unit runs.
        #[arg(short, long, default_value = "steward.toml")]
        config: PathBuf,
        /// The user the service runs as.
        #[arg(long)]
        user: Option<String>,
    },
}

/// How a command ended, as the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Success,
    Failure,
    Unreachable,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Failure => ExitCode::from(1),
            Exit::Unreachable => ExitCode::from(3),
        }
    }
}

/// Writes a line for the user (the CLI's own output, not a log).
#[allow(clippy::print_stdout)]
pub(crate) fn say(line: impl std::fmt::Display) {
    println!("{line}");
}

/// Writes an error line for the user.
#[allow(clippy::print_stderr)]
pub(crate) fn complain(line: impl std::fmt::Display) {
    eprintln!("{line}");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            complain(format!("error: cannot start the runtime: {error}"));
            return Exit::Failure.into();
        }
    };
    let exit = runtime.block_on(async {
        match cli.command {
            Command::Run { config, json_logs } => run::run(&config, json_logs).await,
            Command::Check { config } => check::check(&config),
            Command::Init { path, force } => init::init(&path, force),
            Command::Ctl(ctl) => ctl.run().await,
            Command::SystemdUnit { config, user } => unit::print(&config, user.as_deref()),
        }
    });
    exit.into()
}
