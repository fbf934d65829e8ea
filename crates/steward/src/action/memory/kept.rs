//! A record as the memory journal keeps it: half the size of an
//! [`ActionRecord`], its seldom-set parts boxed.
//!
//! The journal keeps thousands of finished records, and each action writes one
//! and forgets the oldest: what a record takes is what each action reads and
//! writes out of cache.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::super::backlog::BacklogPage;
use super::super::journal::ActionChange;
use super::super::{ActionId, ActionRecord, ActionState};
use crate::Backoff;

/// One kept record.
#[derive(Debug)]
pub(super) struct Kept {
    pub(super) id: ActionId,
    pub(super) service: Arc<str>,
    action: Arc<str>,
    params: Value,
    accepted_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    priority: i32,
    max_retries: u32,
    attempts: u32,
    pub(super) state: ActionState,
    /// `None` while every part of it is unset, as for most actions.
    rare: Option<Box<Rare>>,
}

/// The parts of a record most actions leave unset.
#[derive(Debug, Default, PartialEq)]
struct Rare {
    timeout: Option<Duration>,
    retry_backoff: Option<Backoff>,
    correlation_id: Option<Arc<str>>,
    result: Option<Value>,
    error: Option<String>,
    not_before: Option<DateTime<Utc>>,
}

impl Rare {
    fn is_empty(&self) -> bool {
        *self == Rare::default()
    }

    /// The record's rare parts, boxed, or `None` when none is set: looked at
    /// part by part, so that a plain record (most of them) builds nothing to
    /// compare and drop.
    fn of(record: &mut ActionRecord) -> Option<Box<Self>> {
        let unset = record.timeout.is_none()
            && record.retry_backoff.is_none()
            && record.correlation_id.is_none()
            && record.result.is_none()
            && record.error.is_none()
            && record.not_before.is_none();
        if unset {
            return None;
        }
        Some(Box::new(Rare {
            timeout: record.timeout,
            retry_backoff: record.retry_backoff,
            correlation_id: record.correlation_id.take(),
            result: record.result.take(),
            error: record.error.take(),
            not_before: record.not_before,
        }))
    }
}

impl Kept {
    pub(super) fn new(mut record: ActionRecord) -> Self {
        let rare = Rare::of(&mut record);
        Self {
            id: record.id,
            service: record.service,
            action: record.action,
            params: record.params,
            accepted_at: record.accepted_at,
            updated_at: record.updated_at,
            started_at: record.started_at,
            priority: record.priority,
            max_retries: record.max_retries,
            attempts: record.attempts,
            state: record.state,
            rare,
        }
    }

    /// Whether replay reads it on `page` (as [`BacklogPage::admits`] says of a
    /// record).
    pub(super) fn on(&self, page: &BacklogPage) -> bool {
        page.admits_one(self.state, &self.service, self.priority, self.id)
    }

    /// Where it comes in replay order.
    pub(super) fn replay_key(&self) -> (i32, ActionId) {
        (self.priority, self.id)
    }

    /// The record as the journal was told it.
    pub(super) fn record(&self) -> ActionRecord {
        let rare = self.rare.as_deref();
        ActionRecord {
            id: self.id,
            service: self.service.clone(),
            action: self.action.clone(),
            params: self.params.clone(),
            priority: self.priority,
            timeout: rare.and_then(|rare| rare.timeout),
            max_retries: self.max_retries,
            retry_backoff: rare.and_then(|rare| rare.retry_backoff),
            correlation_id: rare.and_then(|rare| rare.correlation_id.clone()),
            state: self.state,
            attempts: self.attempts,
            result: rare.and_then(|rare| rare.result.clone()),
            error: rare.and_then(|rare| rare.error.clone()),
            accepted_at: self.accepted_at,
            started_at: self.started_at,
            updated_at: self.updated_at,
            not_before: rare.and_then(|rare| rare.not_before),
        }
    }

    /// Applies `change` as [`Journal::update`](super::super::Journal::update) says.
    pub(super) fn apply(&mut self, change: ActionChange) {
        self.state = change.state;
        self.attempts = change.attempts;
        self.updated_at = change.at;
        if change.state == ActionState::Running {
            self.started_at = Some(change.at);
        }
        let touches_rare = change.result.is_some()
            || change.error.is_some()
            || change.not_before.is_some()
            || self
                .rare
                .as_ref()
                .is_some_and(|rare| rare.not_before.is_some());
        if !touches_rare {
            return;
        }
        let rare = self.rare.get_or_insert_default();
        rare.not_before = change.not_before;
        if change.result.is_some() {
            rare.result = change.result;
        }
        if change.error.is_some() {
            rare.error = change.error;
        }
        if rare.is_empty() {
            self.rare = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_comes_back_as_it_went_in_and_as_changes_left_it() {
        let at = Utc::now();
        let plain = ActionRecord::queued(ActionId::from(1), "svc", "act", Value::Null, at);
        let kept = Kept::new(plain.clone());
        assert!(kept.rare.is_none());
        assert_eq!(kept.record(), plain);

        let full = ActionRecord {
            timeout: Some(Duration::from_secs(3)),
            retry_backoff: Some(Backoff::new(Duration::from_secs(1), Duration::from_secs(9))),
            correlation_id: Some("order-7".into()),
            error: Some("once".to_owned()),
            not_before: Some(at),
            ..plain.clone()
        };
        let mut kept = Kept::new(full.clone());
        assert_eq!(kept.record(), full);

        // A retry clears its wait; a success keeps its result and the last error.
        kept.apply(ActionChange::new(ActionState::Running, 2, at));
        let mut done = ActionChange::new(ActionState::Succeeded, 2, at);
        done.result = Some(serde_json::json!(7));
        kept.apply(done);
        let record = kept.record();
        assert_eq!(
            (record.state, record.attempts, record.started_at),
            (ActionState::Succeeded, 2, Some(at))
        );
        assert_eq!(record.not_before, None);
        assert_eq!(record.result, Some(serde_json::json!(7)));
        assert_eq!(record.error.as_deref(), Some("once"));
        assert_eq!(record.correlation_id.as_deref(), Some("order-7"));

        // A change that sets nothing rare leaves a plain record unboxed.
        let mut kept = Kept::new(plain.clone());
        kept.apply(ActionChange::new(ActionState::Running, 1, at));
        assert!(kept.rare.is_none());

        // One that clears the only rare part set lets go of the box.
        let scheduled = ActionRecord {
            not_before: Some(at),
            ..plain
        };
        let mut kept = Kept::new(scheduled);
        assert!(kept.rare.is_some());
        kept.apply(ActionChange::new(ActionState::Running, 1, at));
        assert!(kept.rare.is_none());
        assert_eq!(kept.record().not_before, None);
    }

    #[test]
    fn a_kept_record_is_about_half_an_action_record() {
        assert!(
            2 * std::mem::size_of::<Kept>() <= std::mem::size_of::<ActionRecord>() + 32,
            "{} bytes",
            std::mem::size_of::<Kept>()
        );
    }
}
