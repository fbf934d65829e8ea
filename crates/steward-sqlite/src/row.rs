//! An [`ActionRecord`] as a table row, and an [`ActionChange`] as the columns it
//! sets: converted on the caller's thread, so the writer only runs SQL.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Statement;
use serde_json::Value;
use steward::{ActionChange, ActionId, ActionRecord, ActionState, Backoff};

use crate::state;

/// The columns of `steward_actions`, in the order [`Row`] reads and writes them.
macro_rules! columns {
    () => {
        "id, service, action, params, priority, timeout_ms, max_retries, correlation_id, \
         state, attempts, result, error, accepted_at, updated_at, not_before, \
         backoff_min_ms, backoff_max_ms, backoff_jitter, started_at"
    };
}

/// Which of a row's columns an insert binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// All of [`columns!`].
    Full,
    /// What a plain accepted action sets; its result, error, later start and
    /// retry backoff are left empty (NULL), which saves binding six empty values.
    Plain,
}

impl Shape {
    /// The columns, in the order [`Row::bind`] binds them.
    pub(crate) fn columns(self) -> &'static str {
        match self {
            Shape::Full => columns!(),
            Shape::Plain => {
                "id, service, action, params, priority, timeout_ms, max_retries, correlation_id, \
                 state, attempts, accepted_at, updated_at, started_at"
            }
        }
    }

    /// How many columns.
    pub(crate) fn count(self) -> usize {
        self.columns().split(", ").count()
    }
}

/// [`columns!`] as a select over [`named!`] reads them: the service's name in
/// place of its number.
macro_rules! selected {
    () => {
        "id, name, action, params, priority, timeout_ms, max_retries, correlation_id, \
         state, attempts, result, error, accepted_at, updated_at, not_before, \
         backoff_min_ms, backoff_max_ms, backoff_jitter, started_at"
    };
}
pub(crate) use selected;

/// Each action with its service's name. The actions are the outer loop, read
/// along whichever of their indexes the query names; an action whose service
/// had no name would read as an error, not go missing.
macro_rules! named {
    () => {
        "steward_actions LEFT JOIN steward_services USING (service)"
    };
}
pub(crate) use named;

/// One row of `steward_actions`, with its service by name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    id: IdBytes,
    service: String,
    action: String,
    params: String,
    priority: i64,
    timeout_ms: Option<i64>,
    max_retries: i64,
    correlation_id: Option<String>,
    state: i64,
    attempts: i64,
    result: Option<String>,
    error: Option<String>,
    accepted_at: i64,
    updated_at: i64,
    not_before: Option<i64>,
    backoff_min_ms: Option<i64>,
    backoff_max_ms: Option<i64>,
    backoff_jitter: Option<f64>,
    started_at: Option<i64>,
}

/// The columns an [`ActionChange`] sets on the row with `id`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChangeRow {
    pub(crate) id: IdBytes,
    pub(crate) state: i64,
    pub(crate) attempts: i64,
    /// JSON; `None` keeps the result already there.
    pub(crate) result: Option<String>,
    /// `None` keeps the error already there.
    pub(crate) error: Option<String>,
    pub(crate) at: i64,
    /// `None` clears it: the action may run at once.
    pub(crate) not_before: Option<i64>,
    /// Set when an attempt starts (a change to `running`); `None` keeps the one
    /// there.
    pub(crate) started_at: Option<i64>,
}

impl Row {
    /// The row for a record.
    pub(crate) fn from_record(record: &ActionRecord) -> Result<Self, Unstorable> {
        let json = |what, error| Unstorable::Json(what, error);
        Ok(Self {
            id: id_bytes(record.id),
            service: record.service.to_string(),
            action: record.action.to_string(),
            params: serde_json::to_string(&record.params)
                .map_err(|error| json("parameters", error))?,
            priority: i64::from(record.priority),
            timeout_ms: record.timeout.map(millis),
            max_retries: i64::from(record.max_retries),
            correlation_id: record.correlation_id.as_deref().map(str::to_owned),
            state: stored(record.state)?,
            attempts: i64::from(record.attempts),
            result: record
                .result
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|error| json("result", error))?,
            error: record.error.clone(),
            accepted_at: time(record.accepted_at),
            updated_at: time(record.updated_at),
            not_before: record.not_before.map(time),
            backoff_min_ms: record.retry_backoff.map(|backoff| millis(backoff.min)),
            backoff_max_ms: record.retry_backoff.map(|backoff| millis(backoff.max)),
            backoff_jitter: record.retry_backoff.map(|backoff| backoff.jitter),
            started_at: record.started_at.map(time),
        })
    }

    /// The action's id.
    pub(crate) fn id(&self) -> &IdBytes {
        &self.id
    }

    /// The service's name.
    pub(crate) fn service(&self) -> &str {
        &self.service
    }

    /// The columns an insert of this row binds: [`Shape::Plain`] unless it has
    /// a result, an error, a later start or a backoff of its own.
    pub(crate) fn shape(&self) -> Shape {
        let plain = self.result.is_none()
            && self.error.is_none()
            && self.not_before.is_none()
            && self.backoff_min_ms.is_none()
            && self.backoff_max_ms.is_none()
            && self.backoff_jitter.is_none();
        if plain { Shape::Plain } else { Shape::Full }
    }

    /// Binds the columns of `shape`, in its order, to `statement`'s parameters
    /// from `first` on, with the service's `number`; returns the next parameter.
    pub(crate) fn bind(
        &self,
        statement: &mut Statement<'_>,
        first: usize,
        number: i64,
        shape: Shape,
    ) -> rusqlite::Result<usize> {
        let mut at = first;
        let mut next = || {
            at += 1;
            at - 1
        };
        statement.raw_bind_parameter(next(), self.id)?;
        statement.raw_bind_parameter(next(), number)?;
        statement.raw_bind_parameter(next(), &self.action)?;
        statement.raw_bind_parameter(next(), &self.params)?;
        statement.raw_bind_parameter(next(), self.priority)?;
        statement.raw_bind_parameter(next(), self.timeout_ms)?;
        statement.raw_bind_parameter(next(), self.max_retries)?;
        statement.raw_bind_parameter(next(), &self.correlation_id)?;
        statement.raw_bind_parameter(next(), self.state)?;
        statement.raw_bind_parameter(next(), self.attempts)?;
        if shape == Shape::Full {
            statement.raw_bind_parameter(next(), &self.result)?;
            statement.raw_bind_parameter(next(), &self.error)?;
        }
        statement.raw_bind_parameter(next(), self.accepted_at)?;
        statement.raw_bind_parameter(next(), self.updated_at)?;
        if shape == Shape::Full {
            statement.raw_bind_parameter(next(), self.not_before)?;
            statement.raw_bind_parameter(next(), self.backoff_min_ms)?;
            statement.raw_bind_parameter(next(), self.backoff_max_ms)?;
            statement.raw_bind_parameter(next(), self.backoff_jitter)?;
        }
        statement.raw_bind_parameter(next(), self.started_at)?;
        Ok(next())
    }

    /// Reads a row selected with [`selected!`].
    pub(crate) fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            service: row.get(1)?,
            action: row.get(2)?,
            params: row.get(3)?,
            priority: row.get(4)?,
            timeout_ms: row.get(5)?,
            max_retries: row.get(6)?,
            correlation_id: row.get(7)?,
            state: row.get(8)?,
            attempts: row.get(9)?,
            result: row.get(10)?,
            error: row.get(11)?,
            accepted_at: row.get(12)?,
            updated_at: row.get(13)?,
            not_before: row.get(14)?,
            backoff_min_ms: row.get(15)?,
            backoff_max_ms: row.get(16)?,
            backoff_jitter: row.get(17)?,
            started_at: row.get(18)?,
        })
    }

    /// The record this row holds, or what is wrong with it.
    pub(crate) fn into_record(self) -> Result<ActionRecord, String> {
        let id = id_from(self.id);
        let bad =
            |column: &str, why: &dyn std::fmt::Display| format!("action {id}: bad {column}: {why}");
        let json = |column: &str, text: &str| -> Result<Value, String> {
            serde_json::from_str(text).map_err(|error| bad(column, &error))
        };
        let number = |column: &str, value: i64| -> Result<u32, String> {
            u32::try_from(value).map_err(|error| bad(column, &error))
        };
        let when = |column: &str, micros: i64| -> Result<DateTime<Utc>, String> {
            DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| bad(column, &format!("{micros} µs is out of range")))
        };
        let state = state::from_code(self.state)
            .ok_or_else(|| bad("state", &format!("{} is not a state's code", self.state)))?;
        let ms = |column: &str, value: i64| -> Result<Duration, String> {
            u64::try_from(value)
                .map(Duration::from_millis)
                .map_err(|error| bad(column, &error))
        };
        let timeout = self
            .timeout_ms
            .map(|value| ms("timeout_ms", value))
            .transpose()?;
        let retry_backoff = match (
            self.backoff_min_ms,
            self.backoff_max_ms,
            self.backoff_jitter,
        ) {
            (Some(min), Some(max), Some(jitter)) => Some(
                Backoff::new(ms("backoff_min_ms", min)?, ms("backoff_max_ms", max)?).jitter(jitter),
            ),
            (None, None, None) => None,
            _ => return Err(bad("backoff", &"only some of its three columns are set")),
        };
        Ok(ActionRecord {
            id,
            service: Arc::from(self.service),
            action: Arc::from(self.action),
            params: json("params", &self.params)?,
            priority: i32::try_from(self.priority).map_err(|error| bad("priority", &error))?,
            timeout,
            max_retries: number("max_retries", self.max_retries)?,
            retry_backoff,
            correlation_id: self.correlation_id.map(Arc::from),
            state,
            attempts: number("attempts", self.attempts)?,
            result: self
                .result
                .as_deref()
                .map(|text| json("result", text))
                .transpose()?,
            error: self.error,
            accepted_at: when("accepted_at", self.accepted_at)?,
            started_at: self
                .started_at
                .map(|micros| when("started_at", micros))
                .transpose()?,
            updated_at: when("updated_at", self.updated_at)?,
            not_before: self
                .not_before
                .map(|micros| when("not_before", micros))
                .transpose()?,
        })
    }
}

impl ChangeRow {
    /// The columns `change` sets on action `id`.
    pub(crate) fn new(id: ActionId, change: &ActionChange) -> Result<Self, Unstorable> {
        Ok(Self {
            id: id_bytes(id),
            state: stored(change.state)?,
            attempts: i64::from(change.attempts),
            result: change
                .result
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|error| Unstorable::Json("result", error))?,
            error: change.error.clone(),
            at: time(change.at),
            not_before: change.not_before.map(time),
            started_at: (change.state == ActionState::Running).then(|| time(change.at)),
        })
    }
}

/// Why a record or a change cannot be stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unstorable {
    #[error("cannot encode its {0} as JSON: {1}")]
    Json(&'static str, serde_json::Error),
    #[error("its state `{0}` is newer than this journal, which has no code for it")]
    State(&'static str),
}

/// `state` as stored.
fn stored(state: ActionState) -> Result<i64, Unstorable> {
    state::code(state).ok_or(Unstorable::State(state.as_str()))
}

/// An id as stored: its 16 bytes, big-endian, so that ids sort as they do.
pub(crate) type IdBytes = [u8; 16];

/// An id as stored.
pub(crate) fn id_bytes(id: ActionId) -> IdBytes {
    id.as_u128().to_be_bytes()
}

/// An id stored as [`IdBytes`], or what is wrong with it.
pub(crate) fn id_of(bytes: &[u8]) -> Result<ActionId, String> {
    let bytes: IdBytes = bytes
        .try_into()
        .map_err(|_| format!("an action id of {} bytes, not 16", bytes.len()))?;
    Ok(id_from(bytes))
}

/// The id stored as `bytes`.
pub(crate) fn id_from(bytes: IdBytes) -> ActionId {
    ActionId::from(u128::from_be_bytes(bytes))
}

/// A time as stored: microseconds since 1970 in UTC (any time a record can hold
/// fits: the year 9999 is about 2.5 × 10^17 µs).
pub(crate) fn time(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// A timeout or delay in whole milliseconds, rounded up so that a short one never
/// becomes none at all.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
