//! `steward init`: a commented starter config.

use std::path::Path;

use crate::{Exit, complain, say};

const STARTER: &str = include_str!("starter.toml");

pub(crate) fn init(path: &Path, force: bool) -> Exit {
    if path.exists() && !force {
        complain(format!(
            "error: {} exists; pass --force to replace it",
            path.display()
        ));
        return Exit::Failure;
    }
    match std::fs::write(path, STARTER) {
        Ok(()) => {
            say(format!(
                "wrote {}; check it with `steward check -c {0}`",
                path.display()
            ));
            Exit::Success
        }
        Err(error) => {
            complain(format!("error: cannot write {}: {error}", path.display()));
            Exit::Failure
        }
    }
}
