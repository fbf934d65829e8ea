//! `steward check`: build the host from the config without starting it, and list
//! every problem.

use std::path::Path;

use steward::{ConfigErrors, Host, HostBuilder, HostError};
use steward_http::HttpConfig;

use crate::journal::{self, Opened};
use crate::{Exit, complain, say};

/// The builder `run` and `check` share: the file, the `[http]` section, and
/// every built-in kind and service linked into this binary.
pub(crate) fn builder(config: &Path) -> HostBuilder {
    Host::builder()
        .config_file(config)
        .config_section(steward_http::SECTION)
        .kinds(steward_builtins::kinds())
        .discover()
}

/// What loading does with the journal's file.
#[derive(Debug)]
pub(crate) enum Journal<'a> {
    /// Opens it for the host (creating or migrating it), into this slot.
    Open(&'a Opened),
    /// Only looks at it.
    Inspect,
}

/// The host and its control plane's settings, or every problem found, printed.
pub(crate) fn load(config: &Path, journal: Journal<'_>) -> Result<(Host, HttpConfig), Exit> {
    let problems = |errors: ConfigErrors| {
        let count = errors.0.len();
        complain(format!(
            "{} has {count} problem(s):\n{errors}",
            config.display()
        ));
        Exit::Failure
    };
    let builder = match journal {
        Journal::Open(opened) => builder(config).journal_from(opened.opener()),
        Journal::Inspect => builder(config).journal_from(journal::inspect),
    };
    let host = builder.build().map_err(|error| match error {
        HostError::Config(errors) => problems(errors),
        other => {
            complain(format!("error: {other}"));
            Exit::Failure
        }
    })?;
    let http = HttpConfig::from_config(host.config()).map_err(|error| problems(error.into()))?;
    if let Some(reason) = http.refusal() {
        complain(format!("{}: `http.bind`: {reason}", config.display()));
        return Err(Exit::Failure);
    }
    Ok((host, http))
}

pub(crate) fn check(config: &Path) -> Exit {
    match load(config, Journal::Inspect) {
        Ok((host, _)) => {
            let services = host.handle().services().len();
            say(format!("{}: ok ({services} services)", config.display()));
            Exit::Success
        }
        Err(exit) => exit,
    }
}
