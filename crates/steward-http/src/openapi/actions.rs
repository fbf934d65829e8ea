//! A concrete path for each action of each service, added as the document is
//! served: its body is the action's parameter schema, its `200` carries the
//! action's result schema.

use serde_json::{Map, Value, json};
use steward::{ActionInfo, HostHandle};

use super::components::embed;
use crate::endpoints::SEND_ACTION;

/// `document` with `POST /api/services/{service}/actions/{action}` for every
/// action of `host`'s services, each a copy of the generic operation made
/// specific.
pub(crate) async fn with_actions(document: &Value, host: &HostHandle) -> Value {
    let mut document = document.clone();
    let generic = document
        .pointer("/paths")
        .and_then(|paths| paths.get(SEND_ACTION))
        .and_then(|item| item.get("post"))
        .cloned();
    let (Some(generic), Some(Value::Object(mut paths)), Some(mut schemas)) = (
        generic,
        document.get_mut("paths").map(Value::take),
        document
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
            .map(std::mem::take),
    ) else {
        return document;
    };
    for status in host.services() {
        // Services never change after the host is built: an error here is none.
        let Ok(info) = host.named(&status.name).info().await else {
            continue;
        };
        for action in &info.actions {
            let path = format!(
                "/api/services/{}/actions/{}",
                encode(&info.name),
                encode(&action.name)
            );
            let operation = specific(generic.clone(), &info.name, action, &mut schemas);
            paths.insert(path, json!({ "post": operation }));
        }
    }
    document["paths"] = paths.into();
    if let Some(slot) = document.pointer_mut("/components/schemas") {
        *slot = schemas.into();
    }
    document
}

/// The generic operation for one action: no path parameters, its own body and
/// result, no `404` (the service and action exist).
fn specific(
    mut operation: Value,
    service: &str,
    action: &ActionInfo,
    schemas: &mut Map<String, Value>,
) -> Value {
    let params = action
        .params_schema
        .clone()
        .map_or_else(|| json!({}), |schema| embed(schemas, schema));
    let result = action
        .result_schema
        .clone()
        .map_or_else(|| json!({}), |schema| embed(schemas, schema));
    let Some(object) = operation.as_object_mut() else {
        return operation;
    };
    let id = format!("sendAction_{}_{}", ident(service), ident(&action.name));
    let summary = match action.description.as_str() {
        "" => format!("Runs `{}` of `{service}`", action.name),
        about => about.to_owned(),
    };
    object.insert("operationId".into(), id.into());
    object.insert("summary".into(), summary.into());
    if let Some(Value::Array(parameters)) = object.get_mut("parameters") {
        parameters.retain(|parameter| parameter["in"] != "path");
    }
    let body = json!({
        "required": !accepts_null(&params),
        "content": { "application/json": { "schema": params } },
    });
    object.insert("requestBody".into(), body);
    if let Some(Value::Object(responses)) = object.get_mut("responses") {
        responses.remove("404");
        let done = json!({
            "type": "object",
            "properties": { "result": result },
            "required": ["result"],
        });
        if let Some(slot) = responses
            .get_mut("200")
            .and_then(|ok| ok.pointer_mut("/content/application~1json/schema"))
        {
            *slot = done;
        }
    }
    operation
}

/// Whether an empty body (read as `null`) can fit `schema`; only then is the
/// body optional.
fn accepts_null(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(kind)) => kind == "null",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "null"),
        _ => true,
    }
}

/// A name as one path segment.
fn encode(name: &str) -> String {
    name.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A name as part of an operation id.
fn ident(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
