//! Actions: named requests sent to a service, with parameters in and a result out.
//!
//! Each service with actions has a bounded mailbox. Actions are taken highest
//! priority first (first in, first out within one priority), up to the service's
//! `max_concurrency` at once, while the service runs; they wait in the mailbox while
//! it starts, backs off or is stopped. Every accepted action is written to the host's
//! [`Journal`] and can be looked up by its [`ActionId`] until it is done.

mod backfill;
mod backlog;
mod error;
mod here;
mod id;
mod journal;
mod mailbox;
mod memory;
mod record;
mod replay;
mod request;
mod retry;
mod scheduled;
mod sequence;
mod table;
mod typed;
mod woken;

pub(crate) mod dispatch;

pub use backlog::{Backlog, BacklogCursor, BacklogPage};
pub use error::ActionError;
pub use id::ActionId;
pub use journal::{ActionChange, Journal, JournalError, JournalFuture};
pub use memory::MemoryJournal;
pub use record::{ActionRecord, ActionState};
pub use request::{ActionRequest, IfFull};
pub use retry::Retry;
pub use sequence::ActionSequence;
pub use table::{ActionInfo, ActionTable};
pub use typed::{Actions, TypedRequest};

pub(crate) use backfill::replay_backlog;
pub(crate) use mailbox::{Job, Mailbox};
pub(crate) use replay::{cancel, read_record, retry_dead_letter};
pub(crate) use table::{ErasedTable, Payload};
