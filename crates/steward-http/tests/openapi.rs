//! The OpenAPI document over a real socket: generated from the route table that
//! the router serves, with a concrete path per action, and every answer fits the
//! schema the document gives it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::schema::{follow, resolve, violation};
use common::{Plane, code, json};
use serde_json::{Value, json};

const TOKEN: &str = "s3cret";
const DOCUMENT: &str = "/api/openapi.json";

/// Every `(METHOD, path)` the document lists.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().unwrap();
    paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().unwrap().keys();
            methods.map(|method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

/// The operation the document gives for a request, concrete paths first.
fn operation<'a>(document: &'a Value, method: &str, path: &str) -> &'a Value {
    let path = path.split('?').next().unwrap();
    let paths = document["paths"].as_object().unwrap();
    let fits = |template: &str| {
        let (a, b): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
        a.len() == b.len()
            && a.iter()
                .zip(&b)
                .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
    };
    let item = paths.get(path).or_else(|| {
        paths
            .iter()
            .filter(|(template, _)| fits(template))
            .min_by_key(|(template, _)| template.matches('{').count())
            .map(|(_, item)| item)
    });
    let operation = item.and_then(|item| item.get(method.to_lowercase()));
    operation.unwrap_or_else(|| panic!("{method} {path} is not documented"))
}

/// A response's JSON schema, as documented.
fn response_schema(operation: &Value, status: u16) -> &Value {
    let response = &operation["responses"][status.to_string()];
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{status} is not documented for {}",
        operation["operationId"]
    );
    schema
}

fn every_ref(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref") {
                found.push(reference.clone());
            }
            assert!(!object.contains_key("$defs"), "a `$defs` was left inline");
            object.values().for_each(|value| every_ref(value, found));
        }
        Value::Array(items) => items.iter().for_each(|item| every_ref(item, found)),
        _ => {}
    }
}

async fn document(plane: &Plane) -> Value {
    let (status, document) = json(plane.get(DOCUMENT).await).await;
    assert_eq!(status, 200, "{document}");
    document
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_and_a_path_per_action() {
    let plane = Plane::start("").await;
    let document = document(&plane).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        document["openapi"]
    );
    assert!(document["info"]["title"].is_string());

    let routes = steward_http::routes();
    let mut expected: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(method, path)| (method.to_string(), (*path).to_owned()))
        .collect();
    assert_eq!(expected.len(), routes.len(), "a route is listed twice");
    assert!(expected.contains(&("GET".to_owned(), DOCUMENT.to_owned())));
    // Plus one concrete path per action, as the services describe themselves.
    let (_, services) = json(plane.get("/api/services").await).await;
    for service in services.as_array().unwrap() {
        let name = service["name"].as_str().unwrap();
        let (_, info) = json(plane.get(&format!("/api/services/{name}")).await).await;
        for action in info["actions"].as_array().unwrap() {
            let action = action["name"].as_str().unwrap();
            expected.insert((
                "POST".to_owned(),
                format!("/api/services/{name}/actions/{action}"),
            ));
        }
    }
    assert!(expected.contains(&(
        "POST".to_owned(),
        "/api/services/greeter/actions/greet".to_owned()
    )));
    assert_eq!(operations(&document), expected);
    plane.stop().await;
}

#[tokio::test]
async fn every_listed_route_is_served() {
    let plane = Plane::start("").await;
    for (method, path) in steward_http::routes() {
        let concrete = path
            .replace("{name}", "ticker")
            .replace("{action}", "nothing")
            .replace("{command}", "check-queue")
            .replace("{id}", &"0".repeat(32));
        let request = plane.client.request(method.clone(), plane.url(&concrete));
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        // Only the first bytes: `/api/events` streams until the host stops.
        let body = if path == "/api/events" || path == "/metrics" {
            Value::Null
        } else {
            json(response).await.1
        };
        assert_ne!(status, 405, "{method} {path}");
        assert_ne!(code(&body), "not_found", "{method} {path}: {body}");
    }
    plane.stop().await;
}

#[tokio::test]
async fn each_action_has_a_path_with_its_own_schemas() {
    let plane = Plane::start("").await;
    let document = document(&plane).await;

    let greet = &document["paths"]["/api/services/greeter/actions/greet"]["post"];
    let body = &greet["requestBody"];
    assert_eq!(body["required"], true, "{greet}");
    let params = follow(&document, &body["content"]["application/json"]["schema"]);
    let name = follow(&document, &params["properties"]["name"]);
    assert_eq!(name["type"], "string", "{params}");
    assert_eq!(params["required"], json!(["name"]));
    let answered = response_schema(greet, 200);
    let result = follow(&document, &answered["properties"]["result"]);
    assert_eq!(result["type"], "string", "{answered}");
    assert!(response_schema(greet, 202)["$ref"].is_string());
    let in_path = greet["parameters"].as_array().unwrap().iter();
    assert!(in_path.clone().all(|parameter| parameter["in"] == "query"));
    assert!(in_path.clone().any(|parameter| parameter["name"] == "wait"));
    assert_eq!(greet["summary"], "Greets someone.");

    let crash = &document["paths"]["/api/services/greeter/actions/crash"]["post"];
    assert_eq!(crash["requestBody"]["required"], false, "() parameters");

    let generic = &document["paths"]["/api/services/{name}/actions/{action}"]["post"];
    let names: Vec<&str> = generic["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|parameter| parameter["in"] == "path")
        .map(|parameter| parameter["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["name", "action"]);
    assert!(
        document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .all(|path| !path.contains("/ticker/actions/")),
        "the ticker has no actions"
    );
    plane.stop().await;
}

#[tokio::test]
async fn errors_are_one_component_and_every_reference_resolves() {
    let plane = Plane::start("").await;
    let document = document(&plane).await;

    let error = &document["components"]["schemas"]["Error"];
    assert_eq!(error["required"], json!(["error"]), "{error}");
    let detail = follow(&document, &error["properties"]["error"]);
    assert_eq!(detail["properties"]["code"]["type"], "string", "{detail}");
    assert_eq!(detail["properties"]["message"]["type"], "string");

    let mut references = Vec::new();
    every_ref(&document, &mut references);
    assert!(!references.is_empty());
    for reference in &references {
        assert!(
            reference.starts_with("#/components/schemas/"),
            "{reference}"
        );
        assert!(
            resolve(&document, reference).is_some(),
            "{reference} dangles"
        );
    }

    let mut client_errors = 0;
    for item in document["paths"].as_object().unwrap().values() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') && status != "408" {
                    let schema = &response["content"]["application/json"]["schema"];
                    assert_eq!(
                        schema["$ref"], "#/components/schemas/Error",
                        "{method} {}: {status}",
                        operation["operationId"]
                    );
                    assert!(response["description"].as_str().unwrap().contains('`'));
                    client_errors += 1;
                }
            }
        }
    }
    assert!(client_errors > 10);
    let unknown = &operation(&document, "GET", "/api/services/x")["responses"]["404"];
    assert!(
        unknown["description"]
            .as_str()
            .unwrap()
            .contains("unknown_service"),
        "{unknown}"
    );
    plane.stop().await;
}

#[tokio::test]
async fn a_journal_that_cannot_write_is_documented_as_503_with_retry_after() {
    let plane = Plane::start("").await;
    let document = document(&plane).await;
    for (method, path) in [
        ("POST", "/api/services/greeter/actions/greet"),
        ("GET", "/api/actions/{id}"),
        ("GET", "/api/services/{name}/actions"),
        ("GET", "/api/dead-letters"),
    ] {
        let unavailable = &operation(&document, method, path)["responses"]["503"];
        let about = unavailable["description"].as_str().unwrap_or_default();
        assert!(
            about.contains("`journal_unavailable`"),
            "{method} {path}: {unavailable}"
        );
        let header = &unavailable["headers"]["Retry-After"];
        assert_eq!(
            header["schema"]["type"], "integer",
            "{method} {path}: {unavailable}"
        );
        assert!(
            header["description"]
                .as_str()
                .unwrap()
                .contains("5 s with `journal_unavailable`"),
            "{header}"
        );
    }
    // A 4xx carries no such header.
    let unknown = &operation(&document, "GET", "/api/services/x")["responses"]["404"];
    assert!(unknown["headers"].is_null(), "{unknown}");
    plane.stop().await;
}

#[tokio::test]
async fn answers_fit_the_schemas_the_document_gives_them() {
    let plane = Plane::start("").await;
    let document = document(&plane).await;
    let greet = "/api/services/greeter/actions/greet";
    let (_, accepted) = json(plane.post(greet, r#"{"name":"ann"}"#).await).await;
    let record = format!("/api/actions/{}", accepted["id"].as_str().unwrap());
    plane
        .post(&format!("{greet}?wait=true"), r#"{"name":"bo"}"#)
        .await;

    let requests = [
        ("GET", "/api/services", ""),
        ("GET", "/api/services/greeter", ""),
        ("GET", "/api/services/ticker", ""),
        ("GET", "/api/services/ticker/status", ""),
        ("GET", "/api/services/greeter/health", ""),
        ("GET", "/api/services/nobody", ""),
        ("GET", "/api/system/health", ""),
        ("GET", "/health/ready", ""),
        ("GET", "/api/dead-letters", ""),
        ("GET", "/api/services/greeter/actions?limit=2", ""),
        ("GET", "/api/services/greeter/actions?limit=0", ""),
        ("GET", "/api/services/nobody/actions", ""),
        ("GET", &record, ""),
        ("GET", "/api/actions/not-an-id", ""),
        ("POST", &format!("{greet}?wait=true"), r#"{"name":"cy"}"#),
        ("POST", greet, r#"{"name":"di"}"#),
        ("POST", greet, r#"{"name":7}"#),
        ("POST", greet, r#"{"name":"#),
        ("POST", "/api/services/greeter/actions/shout", "{}"),
        ("POST", "/api/services/ticker/trigger", ""),
        ("POST", "/api/services/ticker/check-queue", ""),
        ("POST", "/api/services/greeter/trigger", ""),
        ("POST", "/api/services/ticker/restart", ""),
        ("GET", DOCUMENT, ""),
    ];
    for (method, path, body) in requests {
        let request = plane
            .client
            .request(method.parse().unwrap(), plane.url(path))
            .body(body.to_owned());
        let (status, answer) = json(request.send().await.unwrap()).await;
        let schema = response_schema(operation(&document, method, path), status);
        if let Some(broken) = violation(&document, schema, &answer, "$") {
            panic!("{method} {path} answered {status} {answer}\nagainst the document: {broken}");
        }
    }
    plane.stop().await;
}

#[tokio::test]
async fn with_a_token_the_document_needs_it_and_says_so() {
    let plane = Plane::start(&format!("token = \"{TOKEN}\"")).await;
    let (status, body) = json(plane.get(DOCUMENT).await).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"));
    let (status, document) = json(plane.get_with_token(DOCUMENT, TOKEN).await).await;
    assert_eq!(status, 200);

    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    let api = &document["paths"]["/api/services"]["get"];
    assert_eq!(api["security"], json!([{ "bearer": [] }]));
    assert!(api["responses"]["401"].is_object() && api["responses"]["403"].is_object());
    let probe = &document["paths"]["/health"]["get"];
    assert!(probe.get("security").is_none(), "{probe}");
    assert!(probe["responses"].get("401").is_none());

    // Every documented GET without path parameters is served.
    for (path, item) in document["paths"].as_object().unwrap() {
        if path.contains('{') || item.get("get").is_none() {
            continue;
        }
        let response = plane.get_with_token(path, TOKEN).await;
        assert_ne!(response.status(), 404, "{path}");
        assert!(response.status().as_u16() < 500, "{path}");
    }
    plane.stop().await;
}

#[tokio::test]
async fn security_is_documented_as_configured() {
    let open = Plane::start("").await;
    let document = document(&open).await;
    assert!(document["components"].get("securitySchemes").is_none());
    assert!(
        document["paths"]["/api/services"]["get"]
            .get("security")
            .is_none()
    );
    open.stop().await;

    let plane = Plane::start(&format!("token = \"{TOKEN}\"\nprotect_probes = true")).await;
    let (_, document) = json(plane.get_with_token(DOCUMENT, TOKEN).await).await;
    for probe in ["/health", "/metrics"] {
        let operation = &document["paths"][probe]["get"];
        assert_eq!(operation["security"], json!([{ "bearer": [] }]), "{probe}");
    }
    plane.stop().await;
}
