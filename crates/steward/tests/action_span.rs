//! An action's tracing span as the log shows it (a test binary of its own, for
//! the process's subscriber).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::log_capture::Lines;

use steward::testing::TestHost;
use steward::{ActionTable, Context, Continuous, Result, State, continuous};

struct Greeter;

impl Continuous for Greeter {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// The value of `name=` in a log line's span fields.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let at = line.find(&format!(" {name}="))? + name.len() + 2;
    line[at..].split([' ', '}']).next()
}

#[tokio::test(start_paused = true)]
async fn a_handlers_log_lines_carry_the_service_action_id_and_correlation_id() {
    let lines = Lines::capture();

    let table = ActionTable::new().action("greet", "Says hello", |_: &Greeter, _, name: String| {
        Box::pin(async move {
            tracing::info!("greeting");
            Ok(format!("hello {name}"))
        })
    });
    let host = TestHost::builder()
        .service(continuous("greeter", Greeter).actions(table))
        .start()
        .await
        .unwrap();
    host.wait_for("greeter", State::Running).await.unwrap();
    let greeter = host.handle().named("greeter");
    let hello: String = greeter
        .act("greet", "ada")
        .correlation_id("upload-7")
        .send()
        .await
        .unwrap();
    assert_eq!(hello, "hello ada");
    // Without one, the action's own id correlates.
    let hello: String = greeter.act("greet", "bob").send().await.unwrap();
    assert_eq!(hello, "hello bob");
    host.shutdown().await;

    let text = lines.text();
    let greetings: Vec<&str> = text.lines().filter(|l| l.contains("greeting")).collect();
    assert_eq!(greetings.len(), 2, "{text}");
    for expected in [
        "action{",
        "service=greeter",
        "action=greet",
        "correlation_id=upload-7",
        "attempt=1",
    ] {
        assert!(
            greetings[0].contains(expected),
            "{expected} not in {}",
            greetings[0]
        );
    }
    let id = field(greetings[1], "id").unwrap();
    assert_eq!(id.len(), 32, "{}", greetings[1]);
    assert_eq!(
        field(greetings[1], "correlation_id"),
        Some(id),
        "{}",
        greetings[1]
    );
}
