//! `steward check`: build the host from the config without starting it, and list
//! every problem.

use std::path::Path;

use steward::{ConfigErrors, Host, HostBuilder, HostError};
use steward_http::HttpConfig;

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

/// The host and its control plane's settings, or every problem found, printed.
pub(crate) fn load(config: &Path) -> Result<(Host, HttpConfig), Exit> {
    let problems = |errors: ConfigErrors| {
        let count = errors.0.len();
        complain(format!(
            "{} has {count} problem(s):\n{errors}",
            config.display()
        ));
        Exit::Failure
    };
    let host = builder(config).build().map_err(|error| match error {
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
    match load(config) {
        Ok((host, _)) => {
            let services = host.handle().services().len();
            say(format!("{}: ok ({services} services)", config.display()));
            Exit::Success
        }
        Err(exit) => exit,
    }
}
