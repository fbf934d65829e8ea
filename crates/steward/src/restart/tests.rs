//! Unit tests of [`Backoff`], [`Restart`] and [`Intensity`].

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use super::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A restart setting with no jitter, so delays are exact.
fn exact(policy: RestartPolicy, max_restarts: u32, window: Duration) -> Restart {
    Restart::default()
        .policy(policy)
        .intensity(max_restarts, window)
        .backoff(Backoff::new(secs(1), secs(30)).jitter(0.0))
}

// ---------------------------------------------------------------------------------
// Backoff

#[test]
fn base_delay_doubles_from_min_and_is_capped_at_max() {
    let backoff = Backoff::new(secs(1), secs(30));
    let delays: Vec<Duration> = (1..=8).map(|attempt| backoff.base_delay(attempt)).collect();
    assert_eq!(
        delays,
        [
            secs(1),
            secs(2),
            secs(4),
            secs(8),
            secs(16),
            secs(30),
            secs(30),
            secs(30)
        ]
    );
    // Attempt 0 is treated as the first; huge attempts stay at the cap.
    assert_eq!(backoff.base_delay(0), secs(1));
    assert_eq!(backoff.base_delay(33), secs(30));
    assert_eq!(backoff.base_delay(u32::MAX), secs(30));
}

#[test]
fn base_delay_works_below_a_second_and_with_min_equal_to_max() {
    let fine = Backoff::new(ms(100), ms(1_000));
    let delays: Vec<Duration> = (1..=6).map(|attempt| fine.base_delay(attempt)).collect();
    assert_eq!(
        delays,
        [ms(100), ms(200), ms(400), ms(800), ms(1_000), ms(1_000)]
    );

    let flat = Backoff::new(secs(5), secs(5));
    assert!((1..=40).all(|attempt| flat.base_delay(attempt) == secs(5)));
}

#[test]
fn a_delay_without_jitter_is_the_base_delay() {
    let backoff = Backoff::new(secs(1), secs(30)).jitter(0.0);
    for attempt in 1..=10 {
        assert_eq!(backoff.delay(attempt), backoff.base_delay(attempt));
    }
}

#[test]
fn jittered_delays_stay_within_base_times_one_minus_jitter_and_base() {
    fastrand::seed(0x5eed);
    let backoff = Backoff::new(secs(1), secs(30)).jitter(0.5);
    for attempt in 1..=7 {
        let base = backoff.base_delay(attempt);
        let floor = base.mul_f64(0.5);
        let delays: Vec<Duration> = (0..500).map(|_| backoff.delay(attempt)).collect();
        for delay in &delays {
            assert!(
                *delay >= floor && *delay <= base,
                "attempt {attempt}: {delay:?} outside [{floor:?}, {base:?}]"
            );
        }
        // Jitter really spreads the delays: some are well below the base, some near it.
        let lowest = delays.iter().min().unwrap();
        let highest = delays.iter().max().unwrap();
        assert!(
            *lowest < base.mul_f64(0.6),
            "attempt {attempt}: lowest {lowest:?}"
        );
        assert!(
            *highest > base.mul_f64(0.9),
            "attempt {attempt}: highest {highest:?}"
        );
    }
}

#[test]
fn the_default_jitter_takes_at_most_a_fifth_off() {
    fastrand::seed(7);
    let backoff = Backoff::default();
    assert_eq!(backoff.jitter, 0.2);
    for _ in 0..500 {
        let delay = backoff.delay(3);
        assert!(delay >= ms(3_200) && delay <= secs(4), "{delay:?}");
    }
}

#[test]
fn jitter_is_clamped_to_zero_and_one() {
    let backoff = Backoff::new(secs(1), secs(30));
    assert_eq!(backoff.jitter(1.5).jitter, 1.0);
    assert_eq!(backoff.jitter(-0.3).jitter, 0.0);
    assert_eq!(backoff.jitter(0.25).jitter, 0.25);
    // Full jitter: anything from zero to the base delay.
    fastrand::seed(11);
    let full = backoff.jitter(1.0);
    for _ in 0..200 {
        assert!(full.delay(2) <= secs(2));
    }
}

#[test]
fn a_nan_jitter_means_no_jitter() {
    let backoff = Backoff::new(secs(1), secs(30)).jitter(f64::NAN);
    assert_eq!(backoff.jitter, 0.0);
    assert_eq!(backoff.delay(1), secs(1));
    assert_eq!(backoff.delay(3), secs(4));
}

/// A backoff with its fields set directly, as a struct literal may.
fn literal(min: Duration, max: Duration, jitter: f64) -> Backoff {
    Backoff { min, max, jitter }
}

#[test]
fn a_jitter_above_one_set_directly_counts_as_one() {
    let backoff = literal(secs(1), secs(30), 1.5);
    for attempt in 1..=8 {
        for _ in 0..200 {
            assert!(backoff.delay(attempt) <= backoff.base_delay(attempt));
        }
    }
}

#[test]
fn a_negative_jitter_set_directly_counts_as_none() {
    let backoff = literal(secs(1), secs(30), -1.0);
    for attempt in 1..=8 {
        assert_eq!(backoff.delay(attempt), backoff.base_delay(attempt));
    }
}

#[test]
fn a_nan_jitter_set_directly_counts_as_none() {
    let backoff = literal(secs(1), secs(30), f64::NAN);
    for attempt in 1..=8 {
        assert_eq!(backoff.delay(attempt), backoff.base_delay(attempt));
    }
}

#[test]
fn delays_for_huge_attempt_numbers_stay_at_most_max() {
    let usual = Backoff::new(secs(1), secs(30));
    let longest = literal(Duration::MAX, Duration::MAX, 0.2);
    let upside_down = literal(secs(30), secs(1), 0.2);
    for attempt in [32, 33, 64, u32::MAX - 1, u32::MAX] {
        for _ in 0..50 {
            let delay = usual.delay(attempt);
            assert!(delay >= ms(24_000) && delay <= secs(30), "{delay:?}");
            assert!(longest.delay(attempt) >= Duration::MAX.mul_f64(0.75));
            assert!(upside_down.delay(attempt) <= secs(1));
        }
    }
}

#[test]
fn the_extremes_of_the_random_share_never_panic() {
    let longest = literal(Duration::MAX, Duration::MAX, 1.0);
    for random in [
        0.0,
        1e-300,
        0.5,
        1.0 - f64::EPSILON,
        1.0,
        2.0,
        -1.0,
        f64::NAN,
    ] {
        for attempt in [0, 1, u32::MAX] {
            assert!(longest.delay_with(attempt, random) <= Duration::MAX);
            let delay = literal(secs(1), secs(30), 1.5).delay_with(attempt, random);
            assert!(delay <= secs(30), "{delay:?}");
        }
    }
    assert_eq!(longest.delay_with(u32::MAX, 0.0), Duration::MAX);
    assert_eq!(
        literal(secs(1), secs(30), 1.0).delay_with(6, 1.0),
        Duration::ZERO
    );
}

#[test]
fn the_default_backoff_is_one_to_thirty_seconds() {
    assert_eq!(
        Backoff::default(),
        Backoff {
            min: secs(1),
            max: secs(30),
            jitter: 0.2
        }
    );
}

#[test]
fn backoff_parses_min_dot_dot_max() {
    assert_eq!(
        "1s..30s".parse::<Backoff>(),
        Ok(Backoff::new(secs(1), secs(30)))
    );
    assert_eq!(
        " 500ms .. 2m ".parse::<Backoff>(),
        Ok(Backoff::new(ms(500), secs(120)))
    );
    assert_eq!(
        "5s..5s".parse::<Backoff>(),
        Ok(Backoff::new(secs(5), secs(5)))
    );
    assert_eq!(
        "1m 30s..1h".parse::<Backoff>(),
        Ok(Backoff::new(secs(90), secs(3600)))
    );
}

#[test]
fn backoff_parse_errors_say_what_is_wrong() {
    assert_eq!(
        "30s..1s".parse::<Backoff>(),
        Err("the minimum (30s) is above the maximum (1s)".to_owned())
    );
    assert_eq!(
        "1s".parse::<Backoff>(),
        Err("expected `MIN..MAX` such as `1s..30s`, found `1s`".to_owned())
    );
    assert_eq!(
        "1s-30s".parse::<Backoff>(),
        Err("expected `MIN..MAX` such as `1s..30s`, found `1s-30s`".to_owned())
    );
    let unit = "1x..2s".parse::<Backoff>().unwrap_err();
    assert!(unit.starts_with("`1x` is not a duration: "), "{unit}");
    let empty_max = "1s..".parse::<Backoff>().unwrap_err();
    assert!(
        empty_max.starts_with("`` is not a duration: "),
        "{empty_max}"
    );
    let three = "1s..2s..3s".parse::<Backoff>().unwrap_err();
    assert!(three.starts_with("`2s..3s` is not a duration: "), "{three}");
}

#[test]
fn backoff_displays_and_serializes_as_min_dot_dot_max() {
    let backoff = Backoff::new(ms(1_500), secs(30));
    assert_eq!(backoff.to_string(), "1s 500ms..30s");
    assert_eq!(backoff.to_string().parse::<Backoff>(), Ok(backoff));
    assert_eq!(
        serde_json::to_value(backoff).unwrap(),
        serde_json::json!("1s 500ms..30s")
    );
    let read: Backoff = serde_json::from_value(serde_json::json!("2s..1m")).unwrap();
    assert_eq!(read, Backoff::new(secs(2), secs(60)));
    let error = serde_json::from_value::<Backoff>(serde_json::json!("9s..1s")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the minimum (9s) is above the maximum (1s)"
    );
}

// ---------------------------------------------------------------------------------
// Restart and RestartPolicy

#[test]
fn restart_defaults_and_builders() {
    let restart = Restart::default();
    assert_eq!(restart.policy, RestartPolicy::OnFailure);
    assert_eq!(restart.max_restarts, 5);
    assert_eq!(restart.window, secs(60));
    assert_eq!(restart.backoff, Backoff::default());

    let custom = Restart::default()
        .policy(RestartPolicy::Always)
        .intensity(3, secs(10))
        .backoff(Backoff::new(ms(10), ms(80)));
    assert_eq!(custom.policy, RestartPolicy::Always);
    assert_eq!((custom.max_restarts, custom.window), (3, secs(10)));
    assert_eq!(custom.backoff, Backoff::new(ms(10), ms(80)));
}

#[test]
fn restart_policies_read_and_write_kebab_case() {
    for (policy, name) in [
        (RestartPolicy::Never, "never"),
        (RestartPolicy::OnFailure, "on-failure"),
        (RestartPolicy::Always, "always"),
    ] {
        assert_eq!(
            serde_json::to_value(policy).unwrap(),
            serde_json::json!(name)
        );
        let read: RestartPolicy = serde_json::from_value(serde_json::json!(name)).unwrap();
        assert_eq!(read, policy);
    }
    assert!(serde_json::from_value::<RestartPolicy>(serde_json::json!("OnFailure")).is_err());
}

// ---------------------------------------------------------------------------------
// Intensity and verdicts (paused time: Intensity reads tokio's clock)

#[tokio::test(start_paused = true)]
async fn policy_never_gives_up_on_any_end() {
    let restart = exact(RestartPolicy::Never, 5, secs(60));
    let mut intensity = Intensity::new();
    assert_eq!(intensity.after_end(&restart, true), Verdict::GiveUp);
    assert_eq!(intensity.after_end(&restart, false), Verdict::GiveUp);
}

#[tokio::test(start_paused = true)]
async fn policy_on_failure_restarts_failures_only() {
    let restart = exact(RestartPolicy::OnFailure, 5, secs(60));
    let mut intensity = Intensity::new();
    assert_eq!(intensity.after_end(&restart, false), Verdict::GiveUp);
    assert_eq!(
        intensity.after_end(&restart, true),
        Verdict::Restart(secs(1))
    );
    // A clean end did not count as a restart: the next failure is attempt 2.
    assert_eq!(
        intensity.after_end(&restart, true),
        Verdict::Restart(secs(2))
    );
}

#[tokio::test(start_paused = true)]
async fn policy_always_restarts_clean_ends_and_failures() {
    let restart = exact(RestartPolicy::Always, 5, secs(60));
    let mut intensity = Intensity::new();
    assert_eq!(
        intensity.after_end(&restart, false),
        Verdict::Restart(secs(1))
    );
    assert_eq!(
        intensity.after_end(&restart, true),
        Verdict::Restart(secs(2))
    );
    assert_eq!(
        intensity.after_end(&restart, false),
        Verdict::Restart(secs(4))
    );
}

#[tokio::test(start_paused = true)]
async fn intensity_allows_max_restarts_in_the_window_then_exceeds() {
    let restart = exact(RestartPolicy::OnFailure, 3, secs(60));
    let mut intensity = Intensity::new();
    let mut verdicts = Vec::new();
    for _ in 0..4 {
        verdicts.push(intensity.after_end(&restart, true));
        tokio::time::advance(secs(10)).await;
    }
    assert_eq!(
        verdicts,
        [
            Verdict::Restart(secs(1)),
            Verdict::Restart(secs(2)),
            Verdict::Restart(secs(4)),
            Verdict::Exceeded,
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn zero_max_restarts_exceeds_at_the_first_failure() {
    let restart = exact(RestartPolicy::Always, 0, secs(60));
    assert_eq!(
        Intensity::new().after_end(&restart, true),
        Verdict::Exceeded
    );
    // A policy that does not want a restart still just gives up.
    let never = exact(RestartPolicy::Never, 0, secs(60));
    assert_eq!(Intensity::new().after_end(&never, true), Verdict::GiveUp);
}

#[tokio::test(start_paused = true)]
async fn restarts_older_than_the_window_are_forgotten() {
    let restart = exact(RestartPolicy::OnFailure, 2, secs(60));
    let mut intensity = Intensity::new();
    // t = 0 and t = 30: two restarts, the window is full.
    assert_eq!(
        intensity.after_end(&restart, true),
        Verdict::Restart(secs(1))
    );
    tokio::time::advance(secs(30)).await;
    assert_eq!(
        intensity.after_end(&restart, true),
        Verdict::Restart(secs(2))
    );
    // t = 59: both still count.
    tokio::time::advance(secs(29)).await;
    assert_eq!(intensity.after_end(&restart, true), Verdict::Exceeded);
    // t = 60: the restart at 0 is a full window old and no longer counts; the one at
    // 30 does, so this is attempt 2 of the window.
    tokio::time::advance(secs(1)).await;
    assert_eq!(
        intensity.after_end(&restart, true),
        Verdict::Restart(secs(2))
    );
    // t = 61: restarts at 30 and 60 fill the window again.
    tokio::time::advance(secs(1)).await;
    assert_eq!(intensity.after_end(&restart, true), Verdict::Exceeded);
}

#[tokio::test(start_paused = true)]
async fn backoff_starts_over_after_a_quiet_window() {
    let restart = exact(RestartPolicy::OnFailure, 10, secs(60));
    let mut intensity = Intensity::new();
    let first: Vec<Verdict> = (0..4)
        .map(|_| intensity.after_end(&restart, true))
        .collect();
    assert_eq!(
        first,
        [
            Verdict::Restart(secs(1)),
            Verdict::Restart(secs(2)),
            Verdict::Restart(secs(4)),
            Verdict::Restart(secs(8)),
        ]
    );
    tokio::time::advance(secs(61)).await;
    assert_eq!(
        intensity.after_end(&restart, true),
        Verdict::Restart(secs(1))
    );
}

#[tokio::test(start_paused = true)]
async fn jittered_restart_delays_stay_within_bounds() {
    fastrand::seed(42);
    let restart = Restart::default()
        .intensity(100, secs(3600))
        .backoff(Backoff::new(secs(1), secs(8)).jitter(0.5));
    let mut intensity = Intensity::new();
    for attempt in 1..=6u32 {
        let Verdict::Restart(delay) = intensity.after_end(&restart, true) else {
            panic!("attempt {attempt} should restart");
        };
        let base = restart.backoff.base_delay(attempt);
        assert!(
            delay >= base.mul_f64(0.5) && delay <= base,
            "attempt {attempt}: {delay:?} outside [{:?}, {base:?}]",
            base.mul_f64(0.5)
        );
    }
}
