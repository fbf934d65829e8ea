//! `GET /api/services/{name}/actions`: a service's finished actions, the most
//! recently finished first, and the errors a bad request gets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Plane, code, json};

const HISTORY: &str = "/api/services/greeter/actions";

async fn greet(plane: &Plane, name: &str) {
    let path = "/api/services/greeter/actions/greet?wait=true";
    let (status, _) = json(plane.post(path, &format!(r#"{{"name":"{name}"}}"#)).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_services_finished_actions_are_listed_newest_first_up_to_the_limit() {
    let plane = Plane::start("").await;
    for name in ["ann", "bob", "cy"] {
        greet(&plane, name).await;
    }
    let (status, all) = json(plane.get(HISTORY).await).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["params"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cy", "bob", "ann"], "{all}");
    let newest = &all[0];
    assert_eq!(newest["service"], "greeter");
    assert_eq!(newest["action"], "greet");
    assert_eq!(newest["state"], "succeeded");
    assert_eq!(newest["attempts"], 1);
    let time = |field: &str| {
        let text = newest[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field}: {newest}"));
        chrono::DateTime::parse_from_rfc3339(text).unwrap()
    };
    let (accepted, started, finished) =
        (time("accepted_at"), time("started_at"), time("updated_at"));
    assert!(accepted <= started && started <= finished, "{newest}");

    let (status, two) = json(plane.get(&format!("{HISTORY}?limit=2")).await).await;
    assert_eq!(status, 200);
    assert_eq!(two.as_array().unwrap().len(), 2);
    assert_eq!(two[0]["id"], all[0]["id"]);

    // A service with no finished actions has an empty history.
    let (status, none) = json(plane.get("/api/services/ticker/actions").await).await;
    assert_eq!((status, none), (200, serde_json::json!([])));
    plane.stop().await;
}

#[tokio::test]
async fn an_unknown_service_is_404_and_a_bad_limit_is_400_naming_it() {
    let plane = Plane::start("").await;
    let (status, body) = json(plane.get("/api/services/nobody/actions").await).await;
    assert_eq!((status, code(&body)), (404, "unknown_service"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody"),
        "{body}"
    );

    for query in ["limit=0", "limit=1001", "limit=abc", "limit=-1", "limit="] {
        let (status, body) = json(plane.get(&format!("{HISTORY}?{query}")).await).await;
        assert_eq!((status, code(&body)), (400, "bad_query"), "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("limit"), "{query}: {message}");
    }
    let (status, body) = json(plane.get(&format!("{HISTORY}?lmit=3")).await).await;
    assert_eq!((status, code(&body)), (400, "bad_query"), "{body}");
    plane.stop().await;
}
