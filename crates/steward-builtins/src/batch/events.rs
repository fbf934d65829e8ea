//! What a `batch-aggregator` service tells subscribers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward::Event;

/// A batch closed: its events, in arrival order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "batch.closed")]
#[non_exhaustive]
pub struct BatchClosed {
    /// The key its events share.
    pub key: String,
    /// How many events it holds.
    pub size: usize,
    /// The events, as their JSON.
    pub items: Vec<Value>,
    /// Why it closed.
    pub reason: CloseReason,
    /// When its first event arrived.
    pub opened: DateTime<Utc>,
    /// When it closed.
    pub closed: DateTime<Utc>,
}

/// Why a batch closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseReason {
    /// Its window was up.
    Window,
    /// No event joined it for the idle timeout.
    Idle,
    /// It reached its maximum size.
    Size,
    /// The service stopped.
    Shutdown,
}
