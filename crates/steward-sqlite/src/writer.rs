//! The writer thread: owns the write connection, takes every write waiting (up to
//! [`GROUP_LIMIT`]) and commits them in one transaction, then answers them all;
//! prunes history when its [`Schedule`] says, written to or not.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use steward::JournalError;
use tokio::sync::{mpsc, oneshot};

use crate::lock::FileLock;
use crate::prune::{History, Schedule, prune};
use crate::row::{ChangeRow, Row, Shape};
use crate::services::Numbers;

mod checkpoint;
mod inbox;
mod order;
mod statements;

pub(crate) use checkpoint::Checkpoints;
use inbox::{Inbox, Next};
#[cfg(test)]
pub(crate) use order::accept_sql;
pub(crate) use statements::Statements;
#[cfg(test)]
pub(crate) use statements::{OUTCOME, UPDATE};

/// The most writes committed in one transaction.
pub(crate) const GROUP_LIMIT: usize = 1024;

/// The most finished actions one pruning pass deletes, so that a pass never holds
/// the writer up for long; what is left goes in the next pass.
const PRUNE_LIMIT: u64 = 1000;

/// An answer to whoever asked.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, JournalError>>;

/// What the writer is asked to do.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every message is a write: boxing it would only add an allocation"
)]
pub(crate) enum Message {
    /// A write, answered once its group committed.
    Write(Write, Reply<()>),
    /// Prune all due history now; answered with how many actions were deleted.
    Prune(Reply<u64>),
    /// Write everything already sent, then stop.
    Close(Reply<()>),
}

/// One write.
#[derive(Debug)]
pub(crate) enum Write {
    Accept(Box<Row>),
    Update(ChangeRow),
}

/// Counters the journal shares with its writer.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Group transactions committed.
    pub(crate) commits: AtomicU64,
}

/// The writer thread's state.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) stats: Arc<Stats>,
    pub(crate) history: History,
    /// When history is pruned next.
    pub(crate) schedule: Schedule,
    /// Copies the log into the file beside the writer.
    pub(crate) checkpoints: Checkpoints,
    /// The services' numbers.
    pub(crate) services: Numbers,
}

impl Writer {
    /// Starts the thread; it ends once every sender is gone or it is closed, and
    /// lets go of the file's `lock` once it has stopped writing.
    pub(crate) fn spawn(
        self,
        receiver: mpsc::Receiver<Message>,
        lock: FileLock,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("steward-sqlite-writer".to_owned())
            .spawn(move || {
                let closers = self.run(receiver);
                // Let go before `close` returns, so that a host opening the file
                // next finds it free.
                drop(lock);
                for reply in closers {
                    let _ = reply.send(Ok(()));
                }
            })
    }

    /// Serves the queue until it is closed and empty; returns the callers of
    /// `close`, to be answered once the file is let go.
    fn run(mut self, receiver: mpsc::Receiver<Message>) -> Vec<Reply<()>> {
        let mut inbox = Inbox::new(receiver);
        let mut group = Vec::with_capacity(GROUP_LIMIT);
        let mut closers = Vec::new();
        // A journal opened after a long pause has history to forget: a first pass
        // before the first write.
        self.prune_some();
        loop {
            let first = match inbox.next(self.schedule.due()) {
                Next::Message(message) => message,
                // Nothing written for a while: history still ages.
                Next::Due => {
                    self.prune_some();
                    continue;
                }
                Next::Closed => break,
            };
            let mut next = Some(first);
            // Everything waiting, up to the limit, in one group; a request that is
            // not a write ends the group and is handled after its commit.
            let mut control = None;
            while let Some(message) = next.take() {
                match message {
                    Message::Write(write, reply) => group.push((write, reply)),
                    other => {
                        control = Some(other);
                        break;
                    }
                }
                if group.len() < GROUP_LIMIT {
                    next = inbox.waiting();
                }
            }
            if !group.is_empty() {
                self.commit(&mut group);
                self.schedule.wrote();
            }
            match control {
                Some(Message::Prune(reply)) => {
                    let _ = reply.send(self.prune_all());
                }
                Some(Message::Close(reply)) => {
                    // No new messages; those already sent are still written.
                    inbox.close();
                    closers.push(reply);
                }
                Some(Message::Write(..)) | None => {}
            }
            if self.schedule.is_due(Instant::now()) {
                self.prune_some();
            }
        }
        tracing::debug!(path = %self.path.display(), "journal writer stopped");
        // The checkpointing thread first, so that nothing of this journal writes
        // to the file once the writer lets go of its lock. (What is left of the
        // log is copied when the file's last connection closes, or on the next
        // open.)
        drop(self.checkpoints);
        drop(self.conn);
        closers
    }

    /// Commits a group in one transaction and answers every write in it: all
    /// written, or (the transaction failed) none.
    pub(crate) fn commit(&mut self, group: &mut Vec<(Write, Reply<()>)>) {
        match self.write(group) {
            Ok(answers) => {
                self.stats.commits.fetch_add(1, Ordering::Relaxed);
                self.checkpoints.committed(&self.conn);
                for ((_, reply), answer) in group.drain(..).zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            Err(error) => {
                self.services.rolled_back();
                let size = group.len();
                tracing::error!(path = %self.path.display(), %error, writes = size, "journal commit failed; nothing in it was written");
                let message = format!(
                    "journal {}: a commit of {size} writes failed and none was written: {error}",
                    self.path.display()
                );
                for (_, reply) in group.drain(..) {
                    let _ = reply.send(Err(JournalError(message.clone())));
                }
            }
        }
    }

    /// Runs a group's writes in one transaction, its accepts first where that
    /// changes nothing (see [`order`]). A write that breaks a constraint fails
    /// alone (SQLite takes back only that statement, and an insert of several
    /// rows that does is run again row by row); any other error fails the whole
    /// transaction.
    fn write(
        &mut self,
        group: &[(Write, Reply<()>)],
    ) -> rusqlite::Result<Vec<Result<(), JournalError>>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut answers: Vec<Result<(), JournalError>> = Vec::with_capacity(group.len());
        answers.resize_with(group.len(), || Ok(()));
        let failed = |error: rusqlite::Error| -> Result<JournalError, rusqlite::Error> {
            if error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
                Ok(JournalError(format!(
                    "journal {}: {error}",
                    self.path.display()
                )))
            } else {
                // Dropping the transaction rolls it back.
                Err(error)
            }
        };
        let mut statements = Statements::new(&tx, &mut self.services);
        if let Some(accepts) = order::accepts_first(group.iter().map(|(write, _)| write)) {
            let (plain, full): (Vec<_>, Vec<_>) = accepts
                .into_iter()
                .partition(|(_, row)| row.shape() == Shape::Plain);
            insert_alike(&mut statements, &plain, Shape::Plain, &mut answers, failed)?;
            insert_alike(&mut statements, &full, Shape::Full, &mut answers, failed)?;
            for (at, (write, _)) in group.iter().enumerate() {
                if let Write::Update(change) = write
                    && let Err(error) = statements.update(change)
                {
                    answers[at] = Err(failed(error)?);
                }
            }
        } else {
            for (at, (write, _)) in group.iter().enumerate() {
                let written = match write {
                    Write::Accept(row) => statements.insert(&[&**row], row.shape()),
                    Write::Update(change) => statements.update(change),
                };
                if let Err(error) = written {
                    answers[at] = Err(failed(error)?);
                }
            }
        }
        drop(statements);
        tx.commit()?;
        Ok(answers)
    }

    /// One bounded pass of pruning; the next is due at once if it stopped at its
    /// limit.
    fn prune_some(&mut self) {
        let deleted = prune(
            &mut self.conn,
            self.history,
            chrono::Utc::now(),
            PRUNE_LIMIT,
        );
        let deleted = deleted.unwrap_or_else(|error| {
            tracing::warn!(path = %self.path.display(), %error, "cannot prune journal history");
            0
        });
        // Deletes grow the log as writes do.
        self.checkpoints.committed(&self.conn);
        self.schedule.pruned(Instant::now(), deleted == PRUNE_LIMIT);
    }

    /// Passes until nothing is due.
    fn prune_all(&mut self) -> Result<u64, JournalError> {
        let mut total = 0;
        loop {
            let deleted = prune(
                &mut self.conn,
                self.history,
                chrono::Utc::now(),
                PRUNE_LIMIT,
            )
            .map_err(|error| {
                JournalError(format!(
                    "journal {}: cannot prune history: {error}",
                    self.path.display()
                ))
            })?;
            total += deleted;
            self.checkpoints.committed(&self.conn);
            if deleted < PRUNE_LIMIT {
                self.schedule.pruned(Instant::now(), false);
                return Ok(total);
            }
        }
    }
}

/// Inserts `accepts`, all of `shape` (each with its place in the group), in as
/// few statements as [`order::next_insert`] cuts them into, answering each in
/// `answers`. `failed` says what to answer for an error, or gives the error back
/// when it fails the whole transaction.
fn insert_alike(
    statements: &mut Statements<'_>,
    accepts: &[(usize, &Row)],
    shape: Shape,
    answers: &mut [Result<(), JournalError>],
    failed: impl Fn(rusqlite::Error) -> Result<JournalError, rusqlite::Error>,
) -> rusqlite::Result<()> {
    let mut left = accepts;
    while !left.is_empty() {
        let (rows, rest) = left.split_at(order::next_insert(left.len()));
        left = rest;
        let together: Vec<&Row> = rows.iter().map(|&(_, row)| row).collect();
        let Err(error) = statements.insert(&together, shape) else {
            continue;
        };
        let error = failed(error)?;
        if let [(at, _)] = rows {
            answers[*at] = Err(error);
            continue;
        }
        // One of them broke a constraint: each on its own, to find which.
        for &(at, row) in rows {
            if let Err(error) = statements.insert(&[row], shape) {
                answers[at] = Err(failed(error)?);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
