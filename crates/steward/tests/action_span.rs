//! An action's tracing span as the log shows it. A test binary of its own: the
//! subscriber is the process's, so no other test's callsites race with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use steward::testing::TestHost;
use steward::{ActionTable, Context, Continuous, Result, State, continuous};

/// A writer the log lines of a test collect in.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

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
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

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

    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
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
