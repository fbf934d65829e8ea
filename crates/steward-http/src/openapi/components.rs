//! The document's schemas: generated from Rust types into `components/schemas`,
//! and schemas made elsewhere (an action's, with `$defs` of its own) moved in
//! beside them under names that do not clash.

use std::collections::HashMap;

use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, Transform};
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::endpoints::SchemaFn;

#[cfg(test)]
mod tests;

/// Where the document keeps shared schemas, as a `$ref` prefix.
const PREFIX: &str = "#/components/schemas/";

/// Generates the schemas of one document.
pub(crate) struct Schemas {
    /// Responses: as the server writes them, shared through `$ref`s.
    responses: SchemaGenerator,
    /// Request bodies and query strings: as the server reads them, and inline,
    /// so that their names never clash with the responses'.
    requests: SchemaGenerator,
}

impl Schemas {
    pub(crate) fn new() -> Self {
        let settings = SchemaSettings::draft2020_12()
            .with(|settings| {
                settings.meta_schema = None;
                settings.definitions_path = "/components/schemas".into();
            })
            .with_transform(RecursiveTransform(strip_examples));
        let inline = settings
            .clone()
            .with(|settings| settings.inline_subschemas = true);
        Self {
            responses: settings.for_serialize().into_generator(),
            requests: inline.for_deserialize().into_generator(),
        }
    }

    /// A response body's schema.
    pub(crate) fn response(&mut self, schema: SchemaFn) -> Value {
        plain(schema(&mut self.responses))
    }

    /// A request body's or query string's schema.
    pub(crate) fn request(&mut self, schema: SchemaFn) -> Value {
        plain(schema(&mut self.requests))
    }

    /// Every shared schema, by name.
    pub(crate) fn into_components(mut self) -> Map<String, Value> {
        let mut components = self.responses.take_definitions(true);
        // Requests are inline; only a recursive type leaves a definition here.
        for (name, schema) in self.requests.take_definitions(true) {
            components.entry(name).or_insert(schema);
        }
        components
    }
}

/// Moves a root schema made elsewhere into the document: its `$defs` go into
/// `components` (a name already taken by a different schema gets a number) with
/// every `$ref` pointed at them. Answers the schema to embed.
pub(crate) fn embed(components: &mut Map<String, Value>, root: Value) -> Value {
    let Ok(schema) = Schema::try_from(root.clone()) else {
        return root;
    };
    let mut root = plain(schema);
    let Some(object) = root.as_object_mut() else {
        return root;
    };
    object.remove("$schema");
    let mut defs = Map::new();
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(more)) = object.remove(key) {
            defs.extend(more);
        }
    }
    let mut names = HashMap::new();
    for (name, schema) in &defs {
        names.insert(name.clone(), reserve(components, name, schema));
    }
    // A recursive root refers to itself as `#`, which must become a name too.
    let own = (mentions_root(&root) || defs.values().any(mentions_root)).then(|| {
        let title = root
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("Schema");
        reserve(components, title, &root)
    });
    let rename = Rename {
        names: &names,
        own: own.as_deref(),
    };
    for (name, mut schema) in defs {
        rename.apply(&mut schema);
        if let Some(new) = names.get(&name) {
            components.insert(new.clone(), schema);
        }
    }
    rename.apply(&mut root);
    match own {
        Some(name) => {
            components.insert(name.clone(), root);
            json!({ "$ref": format!("{PREFIX}{name}") })
        }
        None => root,
    }
}

/// `schema` without the Rust examples of doc comments.
fn plain(mut schema: Schema) -> Value {
    RecursiveTransform(strip_examples).transform(&mut schema);
    schema.to_value()
}

/// Doc comments' Rust examples mean nothing to an HTTP client: a description
/// keeps the prose before its first code block.
fn strip_examples(schema: &mut Schema) {
    let Some(Value::String(text)) = schema.get_mut("description") else {
        return;
    };
    let Some(fence) = text.find("```") else {
        return;
    };
    text.truncate(fence);
    text.truncate(text.trim_end().len());
    if text.is_empty() {
        schema.remove("description");
    }
}

/// A name for `schema` in `components`, held for it: `name` as components allow
/// it, the same if it already holds this schema, else numbered.
fn reserve(components: &mut Map<String, Value>, name: &str, schema: &Value) -> String {
    let base: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '_',
        })
        .collect();
    let mut candidate = base.clone();
    let mut number = 1;
    loop {
        match components.get(&candidate) {
            Some(existing) if existing == schema => return candidate,
            Some(_) => {
                number += 1;
                candidate = format!("{base}{number}");
            }
            None => {
                components.insert(candidate.clone(), schema.clone());
                return candidate;
            }
        }
    }
}

fn mentions_root(schema: &Value) -> bool {
    match schema {
        Value::Object(object) => {
            object.get("$ref").and_then(Value::as_str) == Some("#")
                || object.values().any(mentions_root)
        }
        Value::Array(items) => items.iter().any(mentions_root),
        _ => false,
    }
}

/// How `$ref`s change as a schema moves into the document.
struct Rename<'a> {
    names: &'a HashMap<String, String>,
    own: Option<&'a str>,
}

impl Rename<'_> {
    fn apply(&self, schema: &mut Value) {
        match schema {
            Value::Object(object) => {
                if let Some(Value::String(reference)) = object.get_mut("$ref")
                    && let Some(new) = self.target(reference)
                {
                    *reference = format!("{PREFIX}{new}");
                }
                object.values_mut().for_each(|value| self.apply(value));
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.apply(item)),
            _ => {}
        }
    }

    fn target(&self, reference: &str) -> Option<&str> {
        if reference == "#" {
            return self.own;
        }
        let segment = ["#/$defs/", "#/definitions/"]
            .iter()
            .find_map(|prefix| reference.strip_prefix(prefix))?;
        self.names.get(&unescape(segment)).map(String::as_str)
    }
}

/// A JSON Pointer segment in a URI fragment, as the name it stands for.
fn unescape(segment: &str) -> String {
    let mut bytes = Vec::with_capacity(segment.len());
    let mut rest = segment.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let hex = tail
            .get(..2)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                bytes.push(decoded);
                rest = &tail[2..];
            }
            _ => {
                bytes.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&bytes)
        .replace("~1", "/")
        .replace("~0", "~")
}
