//! One endpoint of the route table as an OpenAPI operation: parameters from its
//! path and query type, its body, its answers and its error codes.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::BEARER;
use super::components::Schemas;
use crate::config::HttpConfig;
use crate::endpoints::{Content, Endpoint, error_body, path_parameter};
use crate::error::codes::{ErrorCode, FORBIDDEN, UNAUTHORIZED};

/// The operation object of `endpoint`, served as `config` says.
pub(crate) fn operation(endpoint: &Endpoint, config: &HttpConfig, schemas: &mut Schemas) -> Value {
    let mut operation = Map::new();
    operation.insert("operationId".into(), endpoint.id.into());
    operation.insert("summary".into(), endpoint.summary.into());
    if let Some(description) = endpoint.description {
        operation.insert("description".into(), description.into());
    }
    operation.insert("tags".into(), json!([endpoint.tag]));
    let mut parameters = path_parameters(endpoint.path, schemas);
    if let Some(query) = endpoint.query {
        parameters.extend(query_parameters(schemas.request(query)));
    }
    if !parameters.is_empty() {
        operation.insert("parameters".into(), parameters.into());
    }
    if let Some(body) = endpoint.body {
        let body = json!({
            "required": false,
            "content": { "application/json": { "schema": schemas.request(body) } },
        });
        operation.insert("requestBody".into(), body);
    }
    let locked = endpoint.access.needs_token(config);
    let mut errors = endpoint.errors.clone();
    if locked {
        errors.extend([UNAUTHORIZED, FORBIDDEN]);
        operation.insert("security".into(), json!([{ BEARER: [] }]));
    }
    operation.insert("responses".into(), responses(endpoint, &errors, schemas));
    operation.into()
}

fn responses(endpoint: &Endpoint, errors: &[ErrorCode], schemas: &mut Schemas) -> Value {
    let mut responses = Map::new();
    for answer in &endpoint.answers {
        let mut response = json!({ "description": answer.about });
        let content = match answer.content {
            Content::Json(schema) => Some(("application/json", schemas.response(schema))),
            Content::Text(media) => Some((media, json!({ "type": "string" }))),
            Content::Empty => None,
        };
        if let Some((media, schema)) = content {
            response["content"] = json!({ media: { "schema": schema } });
        }
        responses.insert(answer.status.as_u16().to_string(), response);
    }
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for error in errors {
        let codes = by_status.entry(error.status.as_u16()).or_default();
        if !codes.iter().any(|code| code.code == error.code) {
            codes.push(*error);
        }
    }
    let error = schemas.response(error_body);
    for (status, codes) in by_status {
        let names: Vec<String> = codes
            .iter()
            .map(|code| format!("`{}`", code.code))
            .collect();
        let mut response = json!({
            "description": format!("`error.code`: {}.", names.join(", ")),
            "content": { "application/json": { "schema": error } },
        });
        if let Some(header) = retry_after(&codes) {
            response["headers"] = json!({ "Retry-After": header });
        }
        responses.entry(status.to_string()).or_insert(response);
    }
    responses.into()
}

/// The `Retry-After` header the codes among `codes` that carry one are sent with.
fn retry_after(codes: &[ErrorCode]) -> Option<Value> {
    let with: Vec<String> = codes
        .iter()
        .filter_map(|code| {
            let after = code.retry_after?;
            Some(format!("{} s with `{}`", after.as_secs().max(1), code.code))
        })
        .collect();
    if with.is_empty() {
        return None;
    }
    Some(json!({
        "description": format!("Seconds to wait before trying again: {}.", with.join(", ")),
        "schema": { "type": "integer", "minimum": 1 },
    }))
}

/// One required parameter per `{name}` in `path`.
fn path_parameters(path: &str, schemas: &mut Schemas) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let (about, schema) = path_parameter(name);
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "description": about,
                "schema": schemas.response(schema),
            })
        })
        .collect()
}

/// One parameter per field of a query type's schema, its doc comment as its
/// description.
fn query_parameters(schema: Value) -> Vec<Value> {
    let required = |name: &str| {
        schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|names| names.iter().any(|n| n == name))
    };
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = property.clone();
            let about = property
                .as_object_mut()
                .and_then(|object| object.remove("description"));
            drop_null(&mut property);
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": required(name),
                "schema": property,
            });
            if let (Some(about), Some(object)) = (about, parameter.as_object_mut()) {
                object.insert("description".into(), about);
            }
            parameter
        })
        .collect()
}

/// A query string has no `null`: an absent parameter is the field's default.
fn drop_null(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|kind| kind != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".into(), only);
        }
    }
    if object.get("default") == Some(&Value::Null) {
        object.remove("default");
    }
}
