//! An error as one line for health messages and events.

use std::error::Error;

/// An error and its sources, `outer: inner: root`, each said once: a source
/// whose text its error already ends with is not repeated.
pub(crate) fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}
