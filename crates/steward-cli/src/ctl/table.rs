//! Readable renderings of the API's answers.

use serde_json::Value;

use super::client::Frame;

/// A value as a cell: strings bare, nothing as `-`.
pub(super) fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Rows under a header, columns padded to their widest cell.
pub(super) fn grid(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|title| title.len()).collect();
    for row in rows {
        for (width, text) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(text, width)| format!("{text:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut lines = vec![line(
        header.iter().map(|title| (*title).to_owned()).collect(),
    )];
    lines.extend(rows.iter().cloned().map(line));
    lines.join("\n")
}

/// A built-in's kind (`process`) says more than `continuous`.
fn kind(service: &Value) -> String {
    match &service["builtin"] {
        Value::Null => cell(&service["kind"]),
        builtin => cell(builtin),
    }
}

pub(super) fn services(body: &Value) -> String {
    let rows: Vec<Vec<String>> = body
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|service| {
            vec![
                cell(&service["name"]),
                kind(service),
                cell(&service["state"]),
                cell(&service["health"]["status"]),
                cell(&service["restarts"]),
                cell(&service["runs"]["next_run"]),
                cell(&service["queue"]["depth"]),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "no services".to_owned();
    }
    grid(
        &[
            "NAME", "KIND", "STATE", "HEALTH", "RESTARTS", "NEXT RUN", "QUEUE",
        ],
        &rows,
    )
}

pub(super) fn status(body: &Value) -> String {
    let mut lines = vec![
        format!("name:      {}", cell(&body["name"])),
        format!("kind:      {}", kind(body)),
        format!(
            "state:     {} (since {})",
            cell(&body["state"]),
            cell(&body["since"])
        ),
        format!("health:    {}", health_line(&body["health"])),
        format!("restarts:  {}", cell(&body["restarts"])),
    ];
    if !body["reason"].is_null() {
        lines.push(format!("reason:    {}", cell(&body["reason"])));
    }
    if !body["last_error"].is_null() {
        lines.push(format!("error:     {}", cell(&body["last_error"])));
    }
    if !body["schedule"].is_null() {
        lines.push(format!("schedule:  {}", cell(&body["schedule"])));
        lines.push(format!("last run:  {}", cell(&body["runs"]["last_run"])));
        lines.push(format!("next run:  {}", cell(&body["runs"]["next_run"])));
    }
    if !body["queue"].is_null() {
        let queue = &body["queue"];
        lines.push(format!(
            "queue:     {}/{}",
            cell(&queue["depth"]),
            cell(&queue["capacity"])
        ));
    }
    lines.join("\n")
}

fn health_line(health: &Value) -> String {
    match health["message"].as_str() {
        Some(message) => format!("{} ({message})", cell(&health["status"])),
        None => cell(&health["status"]),
    }
}

pub(super) fn health(body: &Value) -> String {
    let Some(services) = body["services"].as_array() else {
        return health_line(body);
    };
    let mut text = format!(
        "host: {} (live: {}, ready: {})\n",
        cell(&body["status"]),
        cell(&body["live"]),
        cell(&body["ready"])
    );
    let rows: Vec<Vec<String>> = services
        .iter()
        .map(|service| {
            vec![
                cell(&service["name"]),
                cell(&service["health"]["status"]),
                cell(&service["health"]["message"]),
            ]
        })
        .collect();
    text.push_str(&grid(&["SERVICE", "HEALTH", "MESSAGE"], &rows));
    text
}

pub(super) fn acted(body: &Value) -> String {
    match body.get("result") {
        Some(result) => cell(result),
        None => format!("accepted: {}", cell(&body["id"])),
    }
}

pub(super) fn event(frame: &Frame) -> String {
    let Ok(data) = serde_json::from_str::<Value>(&frame.data) else {
        return format!("{} {}", frame.event, frame.data);
    };
    format!(
        "{} {}:{} {}",
        cell(&data["at"]),
        cell(&data["service"]),
        frame.event,
        data["data"]
    )
}
