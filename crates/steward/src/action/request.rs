//! Sending one action: the fluent request.

use std::any::{Any, TypeId};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::oneshot;

use super::dispatch::ServiceActions;
use super::here::Here;
use super::mailbox::JobState;
use super::mailbox::Reply;
use super::scheduled::hold_until;
use super::table::{CallError, Found};
use super::{ActionError, ActionId, ActionRecord, ActionState, Job, Payload, Retry};
use crate::Backoff;
use crate::context::Context;
use crate::host::HostShared;
use crate::supervisor::ServiceCell;

/// What a caller does when the service's mailbox is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IfFull {
    /// Wait for room (the default).
    #[default]
    Wait,
    /// Fail at once with [`ActionError::QueueFull`].
    Fail,
}

/// An action about to be sent; made by [`ServiceRef::act`](crate::ServiceRef::act).
///
/// Send it and await the result with [`send`](Self::send), or have it accepted and
/// get its id at once with [`submit`](Self::submit).
#[must_use = "an action is sent by `send` or `submit`"]
pub struct ActionRequest {
    host: Arc<HostShared>,
    /// The service and its action, looked up when the request is made: a known
    /// action is held by its table entry, with no copy of its name per call.
    target: Result<(usize, Found), ActionError>,
    params: Params,
    priority: i32,
    timeout: Option<Duration>,
    if_full: IfFull,
    /// Boxed, and made only when one of them is set: a plain request moves less.
    rare: Option<Box<Rare>>,
}

/// What few requests set.
#[derive(Debug, Default)]
struct Rare {
    correlation_id: Option<String>,
    retry: Retry,
    not_before: Option<NotBefore>,
}

/// When a scheduled action may run.
#[derive(Debug, Clone, Copy)]
enum NotBefore {
    At(DateTime<Utc>),
    After(Duration),
}

enum Params {
    /// A Rust value, with its JSON for the journal.
    Typed(Box<dyn Any + Send>, Result<Value, String>),
    Json(Value),
}

impl ActionRequest {
    pub(crate) fn new<P: Serialize + Send + 'static>(
        host: Arc<HostShared>,
        service: Result<usize, ActionError>,
        action: &str,
        params: P,
    ) -> Self {
        let json = serde_json::to_value(&params).map_err(|error| error.to_string());
        Self::with(host, service, action, Params::Typed(Box::new(params), json))
    }

    pub(crate) fn json(
        host: Arc<HostShared>,
        service: Result<usize, ActionError>,
        action: &str,
        params: Value,
    ) -> Self {
        Self::with(host, service, action, Params::Json(params))
    }

    fn with(
        host: Arc<HostShared>,
        service: Result<usize, ActionError>,
        action: &str,
        params: Params,
    ) -> Self {
        let target = service.and_then(|index| {
            let (_, found) = known_action(&host.cells[index], action)?;
            Ok((index, found))
        });
        Self {
            host,
            target,
            params,
            priority: 0,
            timeout: None,
            if_full: IfFull::Wait,
            rare: None,
        }
    }

    /// The rare options, boxed on first use.
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_default()
    }

    /// Higher runs first (default 0); equal priorities run in the order accepted.
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Cancels the handler if it runs longer; the caller gets [`ActionError::TimedOut`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Ties the action, its tracing span and the events its handler emits to this
    /// id (by default, the action's own id).
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.rare().correlation_id = Some(id.into());
        self
    }

    /// Tries again on failure, timeout or panic; dead-letters when none is left.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.rare().retry = retry;
        self
    }

    /// What to do when the mailbox is full (wait, by default).
    pub fn if_full(mut self, if_full: IfFull) -> Self {
        self.if_full = if_full;
        self
    }

    /// Runs the action at `time` rather than now (at once, if `time` is past).
    ///
    /// It is accepted and journaled now, and held outside the mailbox until its
    /// time; with a durable journal it survives restarts (one due while the host
    /// was down runs soon after the next start). Until then it can be cancelled.
    /// Held actions count against the mailbox's capacity as queued ones do, and a
    /// time after the year 9999 is refused with [`ActionError::BadSchedule`].
    ///
    /// ```
    /// # use steward::HostHandle;
    /// # async fn example(host: HostHandle) -> Result<(), steward::ActionError> {
    /// let tonight = chrono::Utc::now() + chrono::Duration::hours(8);
    /// let id = host.named("cleanup").act("compact", ()).at(tonight).submit().await?;
    /// # let _ = id; Ok(()) }
    /// # let _ = example;
    /// ```
    pub fn at(mut self, time: DateTime<Utc>) -> Self {
        self.rare().not_before = Some(NotBefore::At(time));
        self
    }

    /// Runs the action once `delay` has passed from when it is accepted; see
    /// [`at`](Self::at).
    pub fn after(mut self, delay: Duration) -> Self {
        self.rare().not_before = Some(NotBefore::After(delay));
        self
    }

    /// Sends the action and waits for its result, as `R` (the handler's own result
    /// type, or anything its JSON decodes to, such as [`serde_json::Value`]).
    ///
    /// When the service is serving its mailbox with nothing queued and a handler
    /// slot free, the attempt starts in the caller's task, and is handed to the
    /// service's at its first wait; dropping this future never interrupts it
    /// (`docs/semantics.md`, "Where they run").
    pub async fn send<R: DeserializeOwned + 'static>(self) -> Result<R, ActionError> {
        let (sender, receiver) = oneshot::channel();
        let mut queued = match self.enqueue_now(Some(sender), Some(TypeId::of::<R>()))? {
            Ok(queued) => queued,
            Err(accepted) => Box::pin(accepted.queue()).await?,
        };
        if let (Some(here), Some(actions)) = (queued.here.take(), queued.actions()) {
            here.run(actions).await;
        }
        match receiver.await {
            Ok(Ok(payload)) => decode(&queued, payload),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(ActionError::Abandoned(queued.id)),
        }
    }

    /// Has the action accepted and returns its id at once; look it up later with
    /// [`HostHandle::action`](crate::HostHandle::action).
    pub async fn submit(self) -> Result<ActionId, ActionError> {
        // A submit counts against its task's budget (Tokio's cooperative
        // scheduling) before any work: most are accepted without waiting, and a
        // task submitting in a loop must still let the others on its thread run.
        tokio::task::consume_budget().await;
        let queued = match self.enqueue_now(None, None)? {
            Ok(queued) => queued,
            Err(accepted) => Box::pin(accepted.queue()).await?,
        };
        Ok(queued.id)
    }

    /// Checks the action, then queues it if nothing needs waiting for (the host
    /// has started, the mailbox has room, the journal answers at once); otherwise
    /// gives it back, accepted, for the boxed slow path to wait with. Not async,
    /// so that the caller's future holds no copy of the request in a future of
    /// its own.
    fn enqueue_now(
        self,
        reply: Option<Reply>,
        wanted: Option<TypeId>,
    ) -> Result<Result<Queued, Box<Accepted>>, ActionError> {
        match self.accept(reply, wanted)?.queue_now() {
            Ok(queued) => queued.map(Ok),
            Err(accepted) => Ok(Err(accepted)),
        }
    }

    /// Everything that does not wait: the action looked up, its parameters checked,
    /// its id, record and job made.
    fn accept(self, reply: Option<Reply>, wanted: Option<TypeId>) -> Result<Accepted, ActionError> {
        let (index, found) = self.target?;
        let host = self.host;
        let cell = &host.cells[index];
        // Found in the table when the request was made, so the table is there.
        let Some(actions) = cell.actions.as_deref() else {
            return Err(ActionError::UnknownAction {
                service: cell.name.to_string(),
                action: found.name.to_string(),
                known: Vec::new(),
            });
        };
        let (params, params_json) = prepare(cell, actions, &found, self.params)?;
        let Rare {
            correlation_id,
            retry,
            not_before,
        } = self.rare.map(|rare| *rare).unwrap_or_default();
        let now = host.clock.now();
        let not_before = match not_before {
            Some(NotBefore::At(time)) => Some(time),
            Some(NotBefore::After(delay)) => Some(
                chrono::Duration::from_std(delay)
                    .ok()
                    .and_then(|delay| now.checked_add_signed(delay))
                    .ok_or_else(|| {
                        ActionError::BadSchedule(format!("a delay of {delay:?} is too long"))
                    })?,
            ),
            None => None,
        }
        .filter(|&time| time > now);
        if let Some(time) = not_before.filter(|&time| time > latest_schedulable()) {
            return Err(ActionError::BadSchedule(format!(
                "{time} is after the last time a journal can keep, the end of year 9999"
            )));
        }
        let id = ActionId::at(now);
        let correlation_id: Option<Arc<str>> = correlation_id.map(Into::into);
        let record = ActionRecord {
            id,
            service: cell.name.clone(),
            action: found.name,
            params: params_json.clone(),
            priority: self.priority,
            timeout: self.timeout,
            max_retries: retry.max_retries,
            retry_backoff: (retry.max_retries > 0 && retry.backoff != Backoff::default())
                .then_some(retry.backoff),
            correlation_id: correlation_id.clone(),
            state: ActionState::Queued,
            attempts: 0,
            result: None,
            error: None,
            accepted_at: now,
            started_at: None,
            updated_at: now,
            not_before,
        };
        let job = Job::new(JobState {
            id,
            entry: found.index,
            params: Some(params),
            params_json,
            priority: self.priority,
            timeout: self.timeout,
            correlation_id,
            retry,
            attempts: 0,
            unrecorded: 0,
            reply,
            want_json: wanted != Some(found.result),
        });
        Ok(Accepted {
            host,
            index,
            record,
            job,
            wait: self.if_full == IfFull::Wait,
            not_before,
        })
    }
}

/// An action queued: its id, and where its name is, should its result need
/// explaining (kept rather than copied: most results need no explaining).
struct Queued {
    id: ActionId,
    host: Arc<HostShared>,
    index: usize,
    entry: usize,
    /// Not queued but for its caller to start, in the handler slot taken for it.
    here: Option<Here>,
}

impl Queued {
    /// Its service's actions (which it was found among).
    fn actions(&self) -> Option<&ServiceActions> {
        self.host.cells[self.index].actions.as_deref()
    }

    fn action(&self) -> &str {
        self.actions()
            .map_or("", |actions| actions.action_name(self.entry))
    }
}

/// An action checked and ready to be recorded and queued.
struct Accepted {
    host: Arc<HostShared>,
    index: usize,
    record: ActionRecord,
    job: Job,
    wait: bool,
    /// Held until then instead of queued.
    not_before: Option<DateTime<Utc>>,
}

impl Accepted {
    /// Records and queues it without waiting, if nothing needs waiting for.
    fn queue_now(self) -> Result<Result<Queued, ActionError>, Box<Self>> {
        let ready = self.host.accepting_now()
            && self.host.journal.is_immediate()
            && self.not_before.is_none();
        if !ready {
            return Err(Box::new(self));
        }
        let (id, entry) = (self.job.id, self.job.entry);
        match place_now(&self.host, self.index, self.record, self.job, self.wait) {
            Placed::Queued => Ok(Ok(Queued {
                id,
                host: self.host,
                index: self.index,
                entry,
                here: None,
            })),
            Placed::Here(serving, job, started) => Ok(Ok(Queued {
                id,
                here: Some(Here::accepted_started(serving, job, Some(started))),
                host: self.host,
                index: self.index,
                entry,
            })),
            Placed::Refused(error) => Ok(Err(error)),
            Placed::Later(record, job) => Err(Box::new(Accepted {
                record,
                job,
                ..self
            })),
        }
    }

    /// Records and queues it, waiting for the host to start, for room, and for the
    /// journal as needed.
    async fn queue(self) -> Result<Queued, ActionError> {
        let Accepted {
            host,
            index,
            mut record,
            job,
            wait,
            not_before,
        } = self;
        let cell = &host.cells[index];
        let Some(actions) = cell.actions.as_deref() else {
            return Err(ActionError::UnknownService(cell.name.to_string()));
        };
        // Actions sent before the host starts wait until replay knows the newest
        // action it will read, so none is read back in and queued twice.
        host.until_accepting().await;
        let (id, entry) = (job.id, job.entry);
        let awaited = job.reply.is_some();
        let delivery = match not_before {
            Some(at) => {
                if actions.mailbox.is_closed() {
                    return Err(ActionError::ShuttingDown);
                }
                // Held ones are bounded like queued ones: by the mailbox's capacity.
                if actions.waiting.len() >= actions.mailbox.capacity() {
                    return Err(ActionError::QueueFull {
                        service: cell.name.to_string(),
                        capacity: actions.mailbox.capacity(),
                    });
                }
                Delivery::Hold {
                    host: &host,
                    index,
                    at,
                    job,
                }
            }
            // Nothing queued and a handler slot free: it starts as soon as it is
            // written, so it is written as started, its first attempt counted.
            // One write (and one wait for the journal) instead of two.
            None => match actions.serving_here() {
                Some(serving) => {
                    record.state = ActionState::Running;
                    record.attempts = 1;
                    record.started_at = Some(record.accepted_at);
                    Delivery::Start(Here::accepted_started(serving, job, None))
                }
                None => Delivery::Queue(actions.mailbox.reserve(&cell.name, wait).await?, job),
            },
        };
        // If the caller gives up while the journal writes, the action is delivered
        // all the same: once accepted, it must not be lost or stranded.
        let mut pending = Pending(Some(delivery));
        let mut here = None;
        match host.journal.accept(record).await {
            Ok(()) => match pending.0.take() {
                // Its caller starts it, as one that found it could at once would.
                Some(Delivery::Start(start)) if awaited => here = Some(start),
                delivery => {
                    pending.0 = delivery;
                    pending.deliver();
                }
            },
            Err(error) => {
                if let Some(Delivery::Start(start)) = pending.0.take() {
                    start.unrecorded();
                }
                return Err(error.into());
            }
        }
        drop(pending);
        Ok(Queued {
            id,
            host,
            index,
            entry,
            here,
        })
    }
}

/// What became of an action offered to the mailbox as it is now.
enum Placed {
    Queued,
    /// Recorded as started at the time given, for its caller to start in the
    /// handler slot taken for it.
    Here(Arc<Context>, Job, DateTime<Utc>),
    Refused(ActionError),
    /// Not now: the record and job, given back to wait with.
    Later(ActionRecord, Job),
}

/// Records `record` and queues `job` in the room the mailbox has now, with a
/// journal that answers at once; gives them back if the caller would rather wait
/// for room.
fn place_now(
    host: &HostShared,
    index: usize,
    record: ActionRecord,
    job: Job,
    wait: bool,
) -> Placed {
    let cell = &host.cells[index];
    let Some(actions) = cell.actions.as_deref() else {
        return Placed::Later(record, job);
    };
    // A caller that waits for the result starts the action itself when nothing
    // is queued ahead of it and a handler slot is free.
    if job.reply.is_some()
        && let Some(serving) = actions.serving_here()
    {
        // Written as started, its first attempt counted: one write, not two.
        let started = record.accepted_at;
        let record = ActionRecord {
            state: ActionState::Running,
            attempts: 1,
            started_at: Some(started),
            ..record
        };
        return match record_now(host, record) {
            Ok(()) => Placed::Here(serving, job, started),
            Err(error) => {
                actions.free_slot();
                Placed::Refused(error)
            }
        };
    }
    let slot = match actions.mailbox.try_reserve(&cell.name) {
        Ok(slot) => slot,
        Err(ActionError::QueueFull { .. }) if wait => return Placed::Later(record, job),
        Err(error) => return Placed::Refused(error),
    };
    match record_now(host, record) {
        Ok(()) => {
            slot.push(job);
            Placed::Queued
        }
        Err(error) => Placed::Refused(error),
    }
}

/// Writes `record` to a journal that answers at once.
fn record_now(host: &HostShared, record: ActionRecord) -> Result<(), ActionError> {
    match host.journal.accept(record).now() {
        Ok(written) => written.map_err(Into::into),
        // An immediate journal that was not: the action cannot be recorded.
        Err(_) => Err(ActionError::Journal(
            "the journal claims to answer at once but did not".to_owned(),
        )),
    }
}

impl std::fmt::Debug for ActionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rare = self.rare.as_deref();
        f.debug_struct("ActionRequest")
            .field(
                "action",
                &self.target.as_ref().map(|(_, found)| &found.name),
            )
            .field("priority", &self.priority)
            .field("timeout", &self.timeout)
            .field(
                "correlation_id",
                &rare.and_then(|rare| rare.correlation_id.as_deref()),
            )
            .field("retry", &rare.map(|rare| rare.retry).unwrap_or_default())
            .field("if_full", &self.if_full)
            .finish_non_exhaustive()
    }
}

/// The last time a scheduled action may be set for: journals write times with a
/// four-digit year.
fn latest_schedulable() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Where an accepted action goes once its journal record is written.
enum Delivery<'a> {
    /// Into the mailbox, in the place reserved for it.
    Queue(super::mailbox::Slot<'a>, Job),
    /// Started in the handler slot taken for it: by its caller, or (a caller
    /// that does not wait, or went away) by the service's task.
    Start(Here),
    /// Beside it, until its time.
    Hold {
        host: &'a Arc<HostShared>,
        index: usize,
        at: DateTime<Utc>,
        job: Job,
    },
}

/// An action whose journal record is being written, delivered when dropped.
struct Pending<'a>(Option<Delivery<'a>>);

impl Pending<'_> {
    /// Delivers it once its record is written.
    fn deliver(&mut self) {
        match self.0.take() {
            Some(Delivery::Queue(slot, job)) => slot.push(job),
            Some(Delivery::Start(here)) => here.hand_over(),
            Some(Delivery::Hold {
                host,
                index,
                at,
                job,
            }) => hold_until(host, index, job, at),
            None => {}
        }
    }
}

impl Drop for Pending<'_> {
    /// The caller went away while the record was being written: delivered all
    /// the same, and an action to start writes its start first, which the
    /// journal takes after the record.
    fn drop(&mut self) {
        if let Some(Delivery::Start(here)) = self.0.take_if(|d| matches!(d, Delivery::Start(_))) {
            here.hand_over_unwritten();
        }
        self.deliver();
    }
}

pub(super) fn known_action<'a>(
    cell: &'a ServiceCell,
    action: &str,
) -> Result<(&'a ServiceActions, Found), ActionError> {
    let unknown = |known: Vec<String>| ActionError::UnknownAction {
        service: cell.name.to_string(),
        action: action.to_owned(),
        known,
    };
    let Some(actions) = cell.actions.as_deref() else {
        return Err(unknown(Vec::new()));
    };
    match actions.table.find(action) {
        Some(found) => Ok((actions, found)),
        None => Err(unknown(actions.table.names())),
    }
}

/// The parameters as the handler takes them, checked now so that a bad request is
/// refused before it is accepted; and their JSON for the journal.
fn prepare(
    cell: &ServiceCell,
    actions: &ServiceActions,
    found: &Found,
    params: Params,
) -> Result<(Payload, Value), ActionError> {
    let bad = |path: String, reason: String| ActionError::BadParameters {
        service: cell.name.to_string(),
        action: found.name.to_string(),
        path,
        reason,
    };
    let json = match params {
        Params::Typed(value, json) => {
            if found.params == (*value).type_id() {
                let json = json.map_err(|reason| bad(".".to_owned(), reason))?;
                return Ok((Payload::Typed(value), json));
            }
            json.map_err(|reason| bad(".".to_owned(), reason))?
        }
        Params::Json(json) => json,
    };
    match actions.table.parse(found.index, &json) {
        Ok(payload) => Ok((payload, json)),
        Err(CallError::BadParameters { path, reason }) => Err(bad(path, reason)),
        Err(CallError::Failed(reason)) => Err(bad(".".to_owned(), reason)),
    }
}

fn decode<R: DeserializeOwned + 'static>(
    queued: &Queued,
    payload: Payload,
) -> Result<R, ActionError> {
    let mismatch = |reason: String| ActionError::ResultType {
        action: queued.action().to_owned(),
        reason,
    };
    match payload {
        Payload::Typed(value) => match value.downcast::<R>() {
            Ok(result) => Ok(*result),
            Err(_) => Err(mismatch(format!(
                "the handler returns another type than `{}`",
                std::any::type_name::<R>()
            ))),
        },
        Payload::Json(value) => {
            serde_json::from_value(value).map_err(|error| mismatch(error.to_string()))
        }
    }
}
