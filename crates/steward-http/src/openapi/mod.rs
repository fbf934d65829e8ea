//! The OpenAPI 3.1 document, generated: paths from the route table, schemas from
//! the Rust types each endpoint reads and answers, and, when it is served, a path
//! for each action of each service with that action's own schemas.

mod actions;
mod components;
mod operation;

use serde_json::{Map, Value, json};

pub(crate) use actions::with_actions;

use crate::config::HttpConfig;
use crate::endpoints::Endpoint;

/// The security scheme's name.
const BEARER: &str = "bearer";

/// The document for `endpoints` served as `config` says, less the per-action
/// paths (those depend on the host; see [`with_actions`]).
pub(crate) fn document(endpoints: &[Endpoint], config: &HttpConfig) -> Value {
    let mut schemas = components::Schemas::new();
    let mut paths = Map::new();
    for endpoint in endpoints {
        let operation = operation::operation(endpoint, config, &mut schemas);
        let method = endpoint.method.as_str().to_ascii_lowercase();
        if let Value::Object(item) = paths
            .entry(endpoint.path)
            .or_insert_with(|| Value::Object(Map::new()))
        {
            item.insert(method, operation);
        }
    }
    let mut components = Map::new();
    components.insert("schemas".into(), schemas.into_components().into());
    if config.token.is_some() {
        let scheme = json!({
            "type": "http",
            "scheme": "bearer",
            "description": "The token in `http.token`.",
        });
        components.insert("securitySchemes".into(), json!({ BEARER: scheme }));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Steward control plane",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Services, actions, events, health and metrics of a Steward host. \
                Errors are `{\"error\": {\"code\", \"message\"}}`.",
        },
        "paths": paths,
        "components": components,
    })
}
