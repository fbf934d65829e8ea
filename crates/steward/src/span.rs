//! Spans that tasks enter at every poll.

use tracing::Span;

/// `span` if some subscriber records it, else no span at all.
///
/// A span nobody records is still entered at every poll of the future it
/// instruments, and with tracing's `log` feature on (another crate in the binary
/// may turn it on) entering one formats an activity line for `log` each time.
pub(crate) fn recorded(span: Span) -> Span {
    if span.is_disabled() {
        Span::none()
    } else {
        span
    }
}
