//! Restart policies, backoff, restart intensity and panic isolation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{Crasher, Failing, Finishes, Log, Probe, secs};
use steward::testing::TestHost;
use steward::{Backoff, Restart, RestartPolicy, State, Transition, continuous};

fn restart(max: u32, jitter: f64) -> Restart {
    Restart::default()
        .intensity(max, secs(600))
        .backoff(Backoff::new(secs(1), secs(30)).jitter(jitter))
}

/// The time each backoff lasted: from entering `backing-off` to `starting`.
fn backoffs(host: &TestHost, service: &str) -> Vec<Duration> {
    let transitions: Vec<Transition> = host
        .transitions()
        .into_iter()
        .filter(|t| &*t.service == service)
        .collect();
    transitions
        .windows(2)
        .filter(|pair| pair[0].to == State::BackingOff && pair[1].to == State::Starting)
        .map(|pair| (pair[1].at - pair[0].at).to_std().unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_panic_restarts_with_growing_backoff_until_the_intensity_limit() {
    let log = Log::default();
    let crasher = Crasher::default();
    let runs = crasher.runs.clone();
    let neighbour = Probe::new("neighbour", &log);
    let host = TestHost::builder()
        .service(continuous("crasher", crasher).restart(restart(3, 0.0)))
        .service(continuous("neighbour", neighbour))
        .start()
        .await
        .unwrap();
    host.wait_for("crasher", State::Failed).await.unwrap();

    assert_eq!(
        runs.load(Ordering::SeqCst),
        4,
        "the first run and three restarts"
    );
    assert_eq!(backoffs(&host, "crasher"), [secs(1), secs(2), secs(4)]);
    let status = host.handle().service("crasher").unwrap().status();
    assert_eq!(status.restarts, 3);
    assert_eq!(status.last_error.as_deref(), Some("panicked: boom"));
    assert_eq!(
        status.reason.as_deref(),
        Some("restart intensity exceeded: 3 restarts within 10m")
    );
    // Failed means failed: no more restarts, however long we wait.
    host.advance(secs(3600)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    // The neighbour never noticed.
    assert_eq!(host.states("neighbour"), [State::Starting, State::Running]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn jitter_shortens_each_delay_by_at_most_its_fraction() {
    let host = TestHost::builder()
        .service(continuous("crasher", Crasher::default()).restart(restart(5, 0.5)))
        .start()
        .await
        .unwrap();
    host.wait_for("crasher", State::Failed).await.unwrap();
    let delays = backoffs(&host, "crasher");
    assert_eq!(delays.len(), 5);
    for (attempt, delay) in delays.iter().enumerate() {
        let base = secs(1) * 2u32.pow(attempt as u32);
        assert!(
            *delay <= base && *delay >= base / 2,
            "{delay:?} outside [{:?}, {base:?}]",
            base / 2
        );
    }
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn backoff_is_capped() {
    let host = TestHost::builder()
        .service(
            continuous("crasher", Crasher::default()).restart(
                Restart::default()
                    .intensity(6, secs(3600))
                    .backoff(Backoff::new(secs(1), secs(5)).jitter(0.0)),
            ),
        )
        .start()
        .await
        .unwrap();
    host.wait_for("crasher", State::Failed).await.unwrap();
    assert_eq!(
        backoffs(&host, "crasher"),
        [secs(1), secs(2), secs(4), secs(5), secs(5), secs(5)]
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_zero_backoff_restarts_at_once() {
    let host = TestHost::builder()
        .service(
            continuous("crasher", Crasher::default()).restart(
                Restart::default()
                    .intensity(3, secs(60))
                    .backoff(Backoff::new(Duration::ZERO, Duration::ZERO)),
            ),
        )
        .start()
        .await
        .unwrap();
    let began = tokio::time::Instant::now();
    host.wait_for("crasher", State::Failed).await.unwrap();
    assert_eq!(backoffs(&host, "crasher"), [Duration::ZERO; 3]);
    assert_eq!(
        began.elapsed(),
        Duration::ZERO,
        "no time passes between the attempts"
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn restarts_outside_the_window_do_not_count() {
    // Fails every 10 s; two restarts per minute are allowed, so it never gives up.
    struct SlowCrash;
    impl steward::Continuous for SlowCrash {
        async fn run(&self, _cx: &steward::Context) -> steward::Result {
            tokio::time::sleep(secs(100)).await;
            Err("worn out".into())
        }
    }
    let host = TestHost::builder()
        .service(
            continuous("slow", SlowCrash).restart(
                Restart::default()
                    .intensity(2, secs(60))
                    .backoff(Backoff::new(secs(1), secs(1)).jitter(0.0)),
            ),
        )
        .start()
        .await
        .unwrap();
    host.advance(secs(1000)).await;
    let status = host.handle().service("slow").unwrap().status();
    assert_ne!(status.state, State::Failed);
    assert!(status.restarts >= 9, "restarted {} times", status.restarts);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn policy_never_fails_at_the_first_error() {
    let host = TestHost::builder()
        .service(
            continuous("once", Failing).restart(Restart::default().policy(RestartPolicy::Never)),
        )
        .start()
        .await
        .unwrap();
    host.wait_for("once", State::Failed).await.unwrap();
    assert_eq!(
        host.states("once"),
        [State::Starting, State::Running, State::Failed]
    );
    let status = host.handle().service("once").unwrap().status();
    assert_eq!(status.reason.as_deref(), Some("connection refused"));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn on_failure_leaves_a_clean_end_stopped() {
    let finishes = Finishes::default();
    let runs = finishes.runs.clone();
    let host = TestHost::builder()
        .service(continuous("job", finishes))
        .start()
        .await
        .unwrap();
    host.wait_for("job", State::Stopped).await.unwrap();
    host.advance(secs(60)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let status = host.handle().service("job").unwrap().status();
    assert_eq!(status.reason.as_deref(), Some("completed"));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn always_restarts_a_clean_end_too() {
    let finishes = Finishes::default();
    let runs = finishes.runs.clone();
    let host = TestHost::builder()
        .service(continuous("job", finishes))
        .config_toml(
            r#"
            [services.job.restart]
            policy = "always"
            max_restarts = 2
            backoff = "1s..1s"
            jitter = 0.0
            "#,
        )
        .start()
        .await
        .unwrap();
    host.wait_for("job", State::Failed).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failing_start_hook_is_a_failure_too() {
    struct BadStart;
    impl steward::Continuous for BadStart {
        async fn start(&self, _cx: &steward::Context) -> steward::Result {
            Err("port 8080 in use".into())
        }
        async fn run(&self, _cx: &steward::Context) -> steward::Result {
            unreachable!("never started")
        }
    }
    let host = TestHost::builder()
        .service(continuous("server", BadStart).restart(restart(1, 0.0)))
        .start()
        .await
        .unwrap();
    host.wait_for("server", State::Failed).await.unwrap();
    assert_eq!(
        host.states("server"),
        [
            State::Starting,
            State::BackingOff,
            State::Starting,
            State::Failed
        ]
    );
    let status = host.handle().service("server").unwrap().status();
    assert_eq!(status.last_error.as_deref(), Some("port 8080 in use"));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_start_hook_that_hangs_times_out() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(
            continuous("hangs", Probe::new("hangs", &log).slow_start(secs(3600)))
                .timeout(secs(5))
                .restart(Restart::default().policy(RestartPolicy::Never)),
        )
        .start()
        .await
        .unwrap();
    host.wait_for("hangs", State::Failed).await.unwrap();
    let status = host.handle().service("hangs").unwrap().status();
    assert_eq!(
        status.last_error.as_deref(),
        Some("start timed out after 5s")
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn stopping_during_backoff_stops_at_once() {
    let host = TestHost::builder()
        .service(
            continuous("crasher", Crasher::default())
                .restart(Restart::default().backoff(Backoff::new(secs(60), secs(60)))),
        )
        .start()
        .await
        .unwrap();
    host.wait_for("crasher", State::BackingOff).await.unwrap();
    let began = tokio::time::Instant::now();
    host.handle()
        .service("crasher")
        .unwrap()
        .stop()
        .await
        .unwrap();
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(
        host.handle().service("crasher").unwrap().state(),
        State::Stopped
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn waiting_for_running_sees_a_run_that_failed_at_once() {
    let crasher = Crasher::default();
    let host = TestHost::builder()
        .service(continuous("flaky", crasher.clone()))
        .start()
        .await
        .unwrap();
    host.wait_for("flaky", State::Running).await.unwrap();
    host.wait_for("flaky", State::BackingOff).await.unwrap();
    // The next run too, which fails in the same poll it starts in.
    host.wait_for("flaky", State::Running).await.unwrap();
    assert!(crasher.runs.load(Ordering::SeqCst) >= 2);
    host.shutdown().await;
}
