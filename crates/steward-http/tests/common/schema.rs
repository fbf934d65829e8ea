//! Just enough of JSON Schema to check an answer against an OpenAPI document:
//! `$ref`, `type`, `const`/`enum`, `properties`/`required`/`additionalProperties`,
//! `items`, `oneOf`/`anyOf`/`allOf`.

use serde_json::Value;

/// Where `value` breaks `schema` (whose `$ref`s point into `document`), if it does.
pub fn violation(document: &Value, schema: &Value, value: &Value, at: &str) -> Option<String> {
    let Some(schema) = schema.as_object() else {
        return (schema == &Value::Bool(false)).then(|| format!("{at}: no value fits"));
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = resolve(document, reference)?;
        return violation(document, target, value, at);
    }
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(one) => vec![one],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !kinds.iter().any(|kind| fits_type(kind, value)) {
            return Some(format!("{at}: {value} is not of type {kind}"));
        }
    }
    if let Some(expected) = schema.get("const")
        && expected != value
    {
        return Some(format!("{at}: {value} is not {expected}"));
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        return Some(format!("{at}: {value} is not one of {options:?}"));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(options)) = schema.get(key) {
            let fits = options
                .iter()
                .any(|option| violation(document, option, value, at).is_none());
            if !fits {
                return Some(format!("{at}: {value} fits no option of {key}"));
            }
        }
    }
    if let Some(Value::Array(all)) = schema.get("allOf")
        && let Some(broken) = all
            .iter()
            .find_map(|part| violation(document, part, value, at))
    {
        return Some(broken);
    }
    if let Value::Object(object) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                return Some(format!("{at}: `{name}` is required but missing"));
            }
        }
        for (name, field) in object {
            let at = format!("{at}.{name}");
            match properties.and_then(|properties| properties.get(name)) {
                Some(property) => {
                    if let Some(broken) = violation(document, property, field, &at) {
                        return Some(broken);
                    }
                }
                None if properties.is_some()
                    && schema.get("additionalProperties") == Some(&Value::Bool(false)) =>
                {
                    return Some(format!("{at}: not a documented property"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Value::Array(values)) = (schema.get("items"), value) {
        for (index, item) in values.iter().enumerate() {
            let at = format!("{at}[{index}]");
            if let Some(broken) = violation(document, items, item, &at) {
                return Some(broken);
            }
        }
    }
    None
}

/// What a local `$ref` points at.
pub fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    document.pointer(reference.strip_prefix('#')?)
}

/// `schema` itself, or what it refers to.
pub fn follow<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(document, reference).unwrap_or(schema),
        None => schema,
    }
}

fn fits_type(kind: &str, value: &Value) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => false,
    }
}
