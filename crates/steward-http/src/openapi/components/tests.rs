#![allow(clippy::unwrap_used)]

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use super::embed;

/// Every `$ref` in `value`.
fn references(value: &Value) -> Vec<String> {
    match value {
        Value::Object(object) => {
            let own = object
                .get("$ref")
                .and_then(Value::as_str)
                .map(str::to_owned);
            own.into_iter()
                .chain(object.values().flat_map(references))
                .collect()
        }
        Value::Array(items) => items.iter().flat_map(references).collect(),
        _ => Vec::new(),
    }
}

fn resolves(components: &Map<String, Value>, reference: &str) -> bool {
    reference
        .strip_prefix("#/components/schemas/")
        .is_some_and(|name| components.contains_key(name))
}

#[test]
fn definitions_move_into_components_and_references_follow() {
    let mut components = Map::new();
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Order",
        "type": "object",
        "properties": { "line": { "$ref": "#/$defs/Line" } },
        "$defs": { "Line": { "type": "object", "properties": { "sku": { "type": "string" } } } },
    });
    let embedded = embed(&mut components, root);
    assert_eq!(
        embedded["properties"]["line"]["$ref"],
        "#/components/schemas/Line"
    );
    assert!(embedded.get("$schema").is_none() && embedded.get("$defs").is_none());
    assert_eq!(components["Line"]["properties"]["sku"]["type"], "string");
}

#[test]
fn a_taken_name_is_reused_for_the_same_schema_and_numbered_for_another() {
    let line = json!({ "type": "object", "properties": { "sku": { "type": "string" } } });
    let mut components = Map::new();
    components.insert("Line".into(), line.clone());
    components.insert("Other".into(), json!({ "type": "integer" }));

    let same = json!({ "$ref": "#/$defs/Line", "$defs": { "Line": line } });
    assert_eq!(
        embed(&mut components, same)["$ref"],
        "#/components/schemas/Line"
    );
    let other = json!({ "$ref": "#/$defs/Other", "$defs": { "Other": { "type": "string" } } });
    assert_eq!(
        embed(&mut components, other)["$ref"],
        "#/components/schemas/Other2"
    );
    assert_eq!(
        components["Other"]["type"], "integer",
        "the first one is kept"
    );
    assert_eq!(components["Other2"]["type"], "string");
}

#[test]
fn a_recursive_type_becomes_a_component_of_its_own() {
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Tree {
        label: Label,
        children: Vec<Tree>,
    }
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Label {
        text: String,
    }

    let mut components = Map::new();
    let embedded = embed(&mut components, schemars::schema_for!(Tree).to_value());
    assert_eq!(embedded, json!({ "$ref": "#/components/schemas/Tree" }));
    let everything = Value::Object(components.clone());
    let found = references(&everything);
    assert!(found.len() >= 2, "{everything}");
    for reference in found {
        assert!(
            resolves(&components, &reference),
            "{reference} in {everything}"
        );
    }
}

#[test]
fn rust_examples_leave_descriptions() {
    let mut components = Map::new();
    let root = json!({
        "description": "A thing.\n\n```\nlet thing = 1;\n```",
        "properties": { "only_code": { "description": "```rust\nx\n```" } },
    });
    let embedded = embed(&mut components, root);
    assert_eq!(embedded["description"], "A thing.");
    assert!(
        embedded["properties"]["only_code"]
            .get("description")
            .is_none()
    );
}

#[test]
fn names_become_valid_component_names() {
    let mut components = Map::new();
    let root = json!({
        "$ref": "#/$defs/Wrapper%3CT%3E~1x",
        "$defs": { "Wrapper<T>/x": { "type": "null" } },
    });
    let embedded = embed(&mut components, root);
    assert_eq!(embedded["$ref"], "#/components/schemas/Wrapper_T__x");
    assert!(components.contains_key("Wrapper_T__x"));
}
