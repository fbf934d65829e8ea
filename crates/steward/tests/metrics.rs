//! The host's metrics: what the supervisor, actions and events record, the gauges
//! read at scrape time, and metrics services register themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Crasher, Probe, Ticker, secs};
use serde::{Deserialize, Serialize};
use steward::metrics::Counter;
use steward::testing::TestHost;
use steward::{
    ActionTable, Backoff, Context, Continuous, Event, Restart, Result, Schedule, State, continuous,
    periodic,
};

#[derive(Clone, Serialize, Deserialize)]
struct Pinged {
    count: u32,
}

impl Event for Pinged {
    const NAME: &'static str = "pinged";
}

/// Answers `ping` after `work` time, emitting an event; registers a counter.
struct Pinger {
    pings: Counter,
}

impl Pinger {
    async fn ping(&self, cx: &Context, work: u64) -> Result<u32> {
        tokio::time::sleep(Duration::from_millis(work)).await;
        self.pings.inc();
        cx.emit(Pinged { count: 1 }).await?;
        Ok(1)
    }
}

impl Continuous for Pinger {
    async fn start(&self, cx: &Context) -> Result {
        cx.metrics()
            .register("pinger_pings", "Pings answered", self.pings.clone());
        Ok(())
    }

    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// The value of the sample `series` (`name{labels}`), if the text has it.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.parse().ok()
    })
}

#[tokio::test(start_paused = true)]
async fn restarts_and_failed_runs_are_counted_and_up_follows_the_state() {
    let log = common::Log::default();
    let restart = Restart::default()
        .intensity(3, secs(600))
        .backoff(Backoff::new(secs(1), secs(30)).jitter(0.0));
    let host = TestHost::builder()
        .service(continuous("crasher", Crasher::default()).restart(restart))
        .service(continuous("neighbour", Probe::new("neighbour", &log)))
        .start()
        .await
        .unwrap();
    host.wait_for("crasher", State::Failed).await.unwrap();
    host.wait_for("neighbour", State::Running).await.unwrap();

    let text = host.handle().metrics().encode();
    let restarts = r#"steward_service_restarts_total{service="crasher"}"#;
    assert_eq!(sample(&text, restarts), Some(3.0), "{text}");
    let failures = r#"steward_service_runs_total{service="crasher",outcome="failure"}"#;
    assert_eq!(sample(&text, failures), Some(4.0), "{text}");
    let up = |service: &str| {
        sample(
            &text,
            &format!(r#"steward_service_up{{service="{service}"}}"#),
        )
    };
    assert_eq!(up("crasher"), Some(0.0));
    assert_eq!(up("neighbour"), Some(1.0));
    assert!(text.ends_with("# EOF\n"), "{text}");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn ticks_are_counted_by_outcome_with_their_durations() {
    let mut ticker = Ticker::new(Schedule::every(secs(10)).run_on_startup());
    ticker.work = Duration::from_millis(20);
    ticker.fail_on = vec![2];
    let host = TestHost::builder()
        .service(periodic("ticker", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(25)).await;

    let text = host.handle().metrics().encode();
    let runs = |outcome: &str| {
        let series =
            format!(r#"steward_service_runs_total{{service="ticker",outcome="{outcome}"}}"#);
        sample(&text, &series)
    };
    assert_eq!(runs("success"), Some(2.0), "{text}");
    assert_eq!(runs("failure"), Some(1.0), "{text}");
    let count = r#"steward_service_run_duration_seconds_count{service="ticker"}"#;
    assert_eq!(sample(&text, count), Some(3.0), "{text}");
    // Each tick took 20 ms: all three fall in the 25 ms bucket, none in the 10 ms one.
    let bucket = |le: &str| {
        let series =
            format!(r#"steward_service_run_duration_seconds_bucket{{le="{le}",service="ticker"}}"#);
        sample(&text, &series)
    };
    assert_eq!(bucket("0.01"), Some(0.0), "{text}");
    assert_eq!(bucket("0.025"), Some(3.0), "{text}");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn actions_events_queues_and_registered_metrics_show_up() {
    let actions = ActionTable::new().action("ping", "Answers a ping", |s: &Pinger, cx, work| {
        Box::pin(s.ping(cx, work))
    });
    let pinger = Pinger {
        pings: Counter::default(),
    };
    let host = TestHost::builder()
        .service(continuous("pinger", pinger).actions(actions))
        .start()
        .await
        .unwrap();
    host.wait_for("pinger", State::Running).await.unwrap();
    let pinger = host.handle().named("pinger");
    for _ in 0..2 {
        pinger.act("ping", 3).send::<u32>().await.unwrap();
    }
    let timed_out = pinger
        .act("ping", 5_000)
        .timeout(secs(1))
        .send::<u32>()
        .await;
    assert!(timed_out.is_err());

    let text = host.handle().metrics().encode();
    let outcome = |outcome: &str| {
        let series = format!(
            r#"steward_action_duration_seconds_count{{service="pinger",action="ping",outcome="{outcome}"}}"#
        );
        sample(&text, &series)
    };
    assert_eq!(outcome("succeeded"), Some(2.0), "{text}");
    assert_eq!(outcome("timed-out"), Some(1.0), "{text}");
    let emitted = r#"steward_events_emitted_total{service="pinger",event="pinged"}"#;
    assert_eq!(sample(&text, emitted), Some(2.0), "{text}");
    let depth = r#"steward_action_queue_depth{service="pinger"}"#;
    assert_eq!(sample(&text, depth), Some(0.0), "{text}");
    assert_eq!(sample(&text, "pinger_pings_total"), Some(2.0), "{text}");
    host.shutdown().await;
}
