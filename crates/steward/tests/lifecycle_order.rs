//! Start-up order: startup services by `order`, then the rest by dependencies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Log, Probe, Step, secs};
use steward::testing::TestHost;
use steward::{HostError, State, continuous, startup};

#[tokio::test(start_paused = true)]
async fn startup_services_run_in_order_before_the_others() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("api", Probe::new("api", &log)))
        .service(startup("seed", Step::ok("seed", &log)).order(2))
        .service(startup("migrate", Step::ok("migrate", &log).slow(secs(3))).order(1))
        .start()
        .await
        .unwrap();
    host.wait_for("api", State::Running).await.unwrap();

    assert_eq!(log.entries(), ["step:migrate", "step:seed", "start:api"]);
    assert_eq!(host.states("migrate"), [State::Starting, State::Stopped]);
    assert_eq!(
        host.handle()
            .service("seed")
            .unwrap()
            .status()
            .reason
            .as_deref(),
        Some("completed")
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn order_in_config_overrides_code() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(startup("first", Step::ok("first", &log)).order(1))
        .service(startup("second", Step::ok("second", &log)).order(2))
        .config_toml("[services.first]\nstartup_order = 3\n")
        .start()
        .await
        .unwrap();
    assert_eq!(log.entries(), ["step:second", "step:first"]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn dependents_start_after_their_dependencies_are_running() {
    let log = Log::default();
    // Registered backwards; the database takes five seconds to get ready.
    let host = TestHost::builder()
        .service(continuous("web", Probe::new("web", &log)).depends_on(["api"]))
        .service(continuous("api", Probe::new("api", &log)).depends_on(["db"]))
        .service(continuous("db", Probe::new("db", &log).slow_start(secs(5))))
        .start()
        .await
        .unwrap();
    host.wait_for("web", State::Running).await.unwrap();

    assert_eq!(log.with_prefix("start:"), ["db", "api", "web"]);
    let transitions = host.transitions();
    let at = |service: &str, state: State| {
        let transition = transitions
            .iter()
            .find(|t| &*t.service == service && t.to == state)
            .unwrap();
        host.offset(transition)
    };
    assert_eq!(at("db", State::Running), secs(5));
    assert!(at("api", State::Starting) >= at("db", State::Running));
    assert!(at("web", State::Starting) >= at("api", State::Running));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn start_does_not_wait_for_a_slow_service() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous(
            "slow",
            Probe::new("slow", &log).slow_start(secs(3600)),
        ))
        .service(continuous("quick", Probe::new("quick", &log)))
        .start()
        .await
        .unwrap();
    host.wait_for("quick", State::Running).await.unwrap();
    let slow = host.handle().service("slow").unwrap();
    assert_eq!(slow.state(), State::Starting);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failing_startup_service_aborts_start_up() {
    let log = Log::default();
    let result = TestHost::builder()
        .service(startup("migrate", Step::failing("migrate", &log)).order(1))
        .service(startup("seed", Step::ok("seed", &log)).order(2))
        .service(continuous("api", Probe::new("api", &log)))
        .start()
        .await;

    let Err(HostError::StartupFailed { service, reason }) = result else {
        panic!("start-up should have failed");
    };
    assert_eq!(service, "migrate");
    assert_eq!(reason, "migrate could not reach the database");
    // Nothing after the failure ran.
    assert_eq!(log.entries(), ["step:migrate"]);
}

#[tokio::test(start_paused = true)]
async fn the_error_message_names_the_service_and_the_cause() {
    let log = Log::default();
    let error = TestHost::builder()
        .service(startup("migrate", Step::failing("migrate", &log)))
        .start()
        .await
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "start-up aborted: startup service `migrate` failed: migrate could not reach the database"
    );
}

#[tokio::test(start_paused = true)]
async fn continue_on_failure_lets_start_up_go_on() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(startup("warm-cache", Step::failing("warm-cache", &log)).continue_on_failure())
        .service(continuous("api", Probe::new("api", &log)))
        .start()
        .await
        .unwrap();
    host.wait_for("api", State::Running).await.unwrap();
    let status = host.handle().service("warm-cache").unwrap().status();
    assert_eq!(status.state, State::Failed);
    assert_eq!(
        status.last_error.as_deref(),
        Some("warm-cache could not reach the database")
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn fail_fast_off_makes_every_startup_failure_non_fatal() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(startup("check", Step::failing("check", &log)))
        .service(continuous("api", Probe::new("api", &log)))
        .config_toml("[host]\nfail_fast_on_startup_failure = false\n")
        .start()
        .await
        .unwrap();
    host.wait_for("api", State::Running).await.unwrap();
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_startup_service_that_overruns_its_timeout_fails() {
    let log = Log::default();
    let started = tokio::time::Instant::now();
    let error = TestHost::builder()
        .service(startup("warm-up", Step::ok("warm-up", &log).slow(secs(600))).timeout(secs(2)))
        .start()
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, HostError::StartupFailed { ref reason, .. } if reason == "run timed out after 2s")
    );
    assert_eq!(started.elapsed(), secs(2));
    assert!(log.entries().is_empty());
}
