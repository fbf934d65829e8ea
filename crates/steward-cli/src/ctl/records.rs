//! Action records as `ctl actions` and `ctl dead-letters` show them: who, what,
//! when, how long, how it ended, and why.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::table::{cell, grid};

/// The longest error shown in a table cell; `--json` has the whole of it.
const ERROR_WIDTH: usize = 60;

/// A table of action records, or `empty` when there are none.
pub(super) fn records(body: &Value, empty: &str) -> String {
    let rows: Vec<Vec<String>> = body
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|record| {
            vec![
                cell(&record["id"]),
                cell(&record["service"]),
                cell(&record["action"]),
                cell(&record["state"]),
                cell(&record["attempts"]),
                when(&record["accepted_at"]),
                ran(record),
                took(record),
                error(&record["error"]),
            ]
        })
        .collect();
    if rows.is_empty() {
        return empty.to_owned();
    }
    grid(
        &[
            "ID", "SERVICE", "ACTION", "STATE", "ATTEMPTS", "ACCEPTED", "RAN", "TOOK", "ERROR",
        ],
        &rows,
    )
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    let text = value.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// A time to the millisecond, in UTC.
fn when(value: &Value) -> String {
    match time(value) {
        Some(at) => at.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => cell(value),
    }
}

/// How long the last attempt ran, from its start to the outcome it wrote: only
/// for states an attempt ends in (a cancelled action's last change is the
/// cancel, not the end of an attempt; a running one has no outcome yet).
fn ran(record: &Value) -> String {
    let ended_by_an_attempt = matches!(
        record["state"].as_str(),
        Some("succeeded" | "failed" | "timed-out" | "dead-lettered")
    );
    if !ended_by_an_attempt {
        return "-".to_owned();
    }
    between(&record["started_at"], &record["updated_at"])
}

/// From acceptance to the last change: for a finished action, how long it took
/// from being accepted to its outcome, waiting in line and retries included.
fn took(record: &Value) -> String {
    between(&record["accepted_at"], &record["updated_at"])
}

/// The time from `from` to `to`, short; `-` when either is missing or they are
/// out of order.
fn between(from: &Value, to: &Value) -> String {
    let (Some(from), Some(to)) = (time(from), time(to)) else {
        return "-".to_owned();
    };
    let Ok(took) = (to - from).to_std() else {
        return "-".to_owned();
    };
    let millis = took.as_millis();
    match millis {
        0 => format!("{}µs", took.as_micros()),
        1..=999 => format!("{millis}ms"),
        _ => format!("{:.1}s", took.as_secs_f64()),
    }
}

/// The error's first line, cut short to fit a table.
fn error(value: &Value) -> String {
    let Some(text) = value.as_str() else {
        return cell(value);
    };
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= ERROR_WIDTH && line.len() == text.len() {
        return line.to_owned();
    }
    let short: String = line.chars().take(ERROR_WIDTH - 1).collect();
    format!("{short}…")
}

#[cfg(test)]
mod tests;
