//! Restart policy, backoff and restart intensity: supervision as data.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// When a stopped continuous service is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Never: a failure ends in `failed`, a return ends in `stopped`.
    Never,
    /// After an error or a panic; a clean return ends in `stopped`.
    #[default]
    OnFailure,
    /// After any end that was not asked for, clean or not.
    Always,
}

/// How a service is restarted: policy, backoff and intensity.
///
/// ```
/// use std::time::Duration;
/// use steward::{Backoff, Restart, RestartPolicy};
///
/// let restart = Restart::default()
///     .policy(RestartPolicy::Always)
///     .intensity(3, Duration::from_secs(60))
///     .backoff(Backoff::new(Duration::from_millis(100), Duration::from_secs(5)));
/// assert_eq!(restart.max_restarts, 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Restart {
    /// When to restart.
    pub policy: RestartPolicy,
    /// More than this many restarts within `window` and the service is `failed`.
    pub max_restarts: u32,
    /// The sliding window restarts are counted in.
    pub window: Duration,
    /// The delay before each restart.
    pub backoff: Backoff,
}

impl Restart {
    /// Sets the policy.
    pub fn policy(mut self, policy: RestartPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Allows at most `max_restarts` restarts within `window`.
    pub fn intensity(mut self, max_restarts: u32, window: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.window = window;
        self
    }

    /// Sets the backoff.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

impl Default for Restart {
    fn default() -> Self {
        Self {
            policy: RestartPolicy::OnFailure,
            max_restarts: 5,
            window: Duration::from_secs(60),
            backoff: Backoff::default(),
        }
    }
}

/// Exponential backoff between restarts: `min`, doubling per recent restart, capped
/// at `max`, then shortened by a random fraction up to `jitter` so that services that
/// failed together do not restart in lockstep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub min: Duration,
    /// The longest delay.
    pub max: Duration,
    /// The largest fraction (0.0–1.0) taken off a delay at random; a value set
    /// outside that counts as the nearer end, and NaN as 0.0.
    pub jitter: f64,
}

impl Backoff {
    /// Backoff from `min` to `max` with the default jitter (0.2).
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            jitter: DEFAULT_JITTER,
        }
    }

    /// Sets the jitter fraction; values are clamped to 0.0–1.0 (NaN means none).
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = fraction(jitter);
        self
    }

    /// The delay before restart number `attempt` (1 for the first) of a window,
    /// before jitter.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        self.min
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max)
            .max(self.min.min(self.max))
    }

    /// The delay before restart number `attempt`, jitter applied.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, fastrand::f64())
    }

    /// The delay before restart number `attempt`, with `random` the share of the
    /// jitter taken off. The fields are public, so `jitter` may be anything here:
    /// it counts as clamped to 0.0–1.0 (NaN as none), and nothing can panic.
    fn delay_with(&self, attempt: u32, random: f64) -> Duration {
        let base = self.base_delay(attempt);
        let taken = fraction(self.jitter) * fraction(random);
        if taken <= 0.0 {
            return base;
        }
        // Not `mul_f64`: a delay near `Duration::MAX` rounds up past it in seconds
        // as `f64`, which it would panic on.
        Duration::try_from_secs_f64(base.as_secs_f64() * (1.0 - taken))
            .map_or(base, |delay| delay.min(base))
    }
}

/// `value` clamped to 0.0–1.0, NaN as 0.0.
fn fraction(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

const DEFAULT_JITTER: f64 = 0.2;

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(30))
    }
}

/// The `"1s..30s"` form used in configuration files.
impl FromStr for Backoff {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (min, max) = text
            .split_once("..")
            .ok_or_else(|| format!("expected `MIN..MAX` such as `1s..30s`, found `{text}`"))?;
        let parse = |part: &str| {
            humantime::parse_duration(part.trim())
                .map_err(|error| format!("`{}` is not a duration: {error}", part.trim()))
        };
        let (min, max) = (parse(min)?, parse(max)?);
        if min > max {
            return Err(format!(
                "the minimum ({min:?}) is above the maximum ({max:?})"
            ));
        }
        Ok(Self::new(min, max))
    }
}

impl fmt::Display for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}..{}",
            humantime::format_duration(self.min),
            humantime::format_duration(self.max)
        )
    }
}

/// Counts restarts in the sliding window and decides what a failure leads to.
#[derive(Debug)]
pub(crate) struct Intensity {
    restarts: VecDeque<Instant>,
}

/// What the supervisor does after a service's run ended without being asked to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Wait this long, then start again.
    Restart(Duration),
    /// Stop for good (`stopped` for a clean end, `failed` for a failure).
    GiveUp,
    /// Too many restarts in the window.
    Exceeded,
}

impl Intensity {
    pub(crate) fn new() -> Self {
        Self {
            restarts: VecDeque::new(),
        }
    }

    /// Decides after a run that ended by itself, `failed` or cleanly.
    pub(crate) fn after_end(&mut self, restart: &Restart, failed: bool) -> Verdict {
        let wanted = match restart.policy {
            RestartPolicy::Never => false,
            RestartPolicy::OnFailure => failed,
            RestartPolicy::Always => true,
        };
        if !wanted {
            return Verdict::GiveUp;
        }
        let now = Instant::now();
        while let Some(&oldest) = self.restarts.front() {
            if now.duration_since(oldest) >= restart.window {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        if self.restarts.len() >= restart.max_restarts as usize {
            return Verdict::Exceeded;
        }
        self.restarts.push_back(now);
        let attempt = u32::try_from(self.restarts.len()).unwrap_or(u32::MAX);
        Verdict::Restart(restart.backoff.delay(attempt))
    }
}

#[cfg(test)]
mod tests;

impl Serialize for Backoff {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Backoff {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
