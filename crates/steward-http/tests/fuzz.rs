//! Random methods, paths, queries and bodies: every answer is a response below 500,
//! and the server keeps answering.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Plane;
use reqwest::Method;

const SEGMENTS: &[&str] = &[
    "api",
    "services",
    "greeter",
    "ticker",
    "nobody",
    "actions",
    "greet",
    "crash",
    "status",
    "health",
    "trigger",
    "check-queue",
    "process-batch",
    "start",
    "stop",
    "restart",
    "dead-letters",
    "retry",
    "cancel",
    "metrics",
    "live",
    "ready",
    "system",
    "..",
    "%2e%2e",
    "%00",
    "é",
    "",
    "00000000000000000000000000000000",
];

/// Valid queries (the empty one weighted up) and invalid ones.
const QUERIES: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "?priority=3",
    "?priority=-99999999999",
    "?timeout=1s",
    "?timeout=forever",
    "?correlation_id=x",
    "?no_wait_for_room=true",
    "?wait=maybe",
    "?unknown=1",
    "?service=greeter",
];

const BODIES: &[&str] = &[
    "",
    "{}",
    "null",
    "[]",
    "{\"name\":\"ann\"}",
    "{\"name\":1}",
    "{\"batch_size\":-1}",
    "{\"batch_size\":3,\"filter\":\"x\"}",
    "{",
    "\"text\"",
    "1e999",
    "{\"a\":{\"b\":[1,2,{}]}}",
];

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

/// Route shapes; a hole is filled with a word of its kind (`s` service, `a` action,
/// `v` verb, `i` id) most of the time, or any word.
const TEMPLATES: &[&str] = &[
    "/api/services/{s}/actions/{a}",
    "/api/services/{s}/actions/{a}",
    "/api/services/{s}/{v}",
    "/api/services/{s}",
    "/api/actions/{i}",
    "/api/actions/{i}/cancel",
    "/api/dead-letters/{i}/retry",
    "/health/{v}",
];

fn hole<'a>(rng: &mut fastrand::Rng, kind: char) -> &'a str {
    let words: &[&str] = match kind {
        's' => &["greeter", "ticker", "nobody"],
        'a' => &["greet", "crash", "shout"],
        'v' => &[
            "trigger",
            "check-queue",
            "process-batch",
            "status",
            "health",
            "stop",
            "start",
            "restart",
            "live",
            "ready",
        ],
        _ => &[
            "00000000000000000000000000000000",
            "0123456789abcdef0123456789abcdef",
            "x",
        ],
    };
    if rng.u8(..10) < 8 {
        pick(rng, words)
    } else {
        pick(rng, SEGMENTS)
    }
}

fn random_path(rng: &mut fastrand::Rng) -> String {
    let mut path = if rng.bool() {
        structured(rng)
    } else {
        scrambled(rng)
    };
    path.push_str(pick(rng, QUERIES));
    path
}

/// A route's shape with random words in its holes.
fn structured(rng: &mut fastrand::Rng) -> String {
    let template = pick(rng, TEMPLATES);
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let kind = rest[open + 1..].chars().next().unwrap_or('w');
        path.push_str(hole(rng, kind));
        rest = &rest[open + 3..];
    }
    path.push_str(rest);
    path
}

/// Words and junk in any order.
fn scrambled(rng: &mut fastrand::Rng) -> String {
    let mut path = String::new();
    if rng.u8(..4) > 0 {
        path.push_str("/api");
    }
    for _ in 0..rng.usize(0..5) {
        path.push('/');
        if rng.u8(..8) == 0 {
            let length = rng.usize(1..40);
            let junk: String = std::iter::repeat_with(|| rng.alphanumeric())
                .take(length)
                .collect();
            path.push_str(&junk);
        } else {
            path.push_str(pick(rng, SEGMENTS));
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

fn random_body(rng: &mut fastrand::Rng) -> Vec<u8> {
    match rng.u8(..3) {
        0 => {
            let length = rng.usize(0..300);
            std::iter::repeat_with(|| rng.u8(..)).take(length).collect()
        }
        _ => pick(rng, BODIES).as_bytes().to_vec(),
    }
}

#[tokio::test]
async fn random_requests_never_get_a_5xx() {
    let plane = Plane::start("body_limit = 256").await;
    let methods = [
        Method::POST,
        Method::POST,
        Method::POST,
        Method::GET,
        Method::GET,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ];
    let mut rng = fastrand::Rng::with_seed(0x5EED);
    let mut seen = std::collections::BTreeSet::new();
    for round in 0..1500 {
        let method = methods[rng.usize(..methods.len())].clone();
        let path = random_path(&mut rng);
        let body = random_body(&mut rng);
        let response = plane
            .client
            .request(method.clone(), plane.url(&path))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        seen.insert(status.as_u16());
        assert!(
            status.as_u16() < 500,
            "round {round}: {method} {path} with {:?} got {status}",
            String::from_utf8_lossy(&body)
        );
    }
    // The requests reached the handlers, not only the router's 404.
    for expected in [200, 202, 400, 404, 405, 413, 422] {
        assert!(seen.contains(&expected), "no {expected} among {seen:?}");
    }
    // Still serving after all that.
    assert_eq!(plane.get("/health/live").await.status(), 200);
    plane.stop().await;
}
