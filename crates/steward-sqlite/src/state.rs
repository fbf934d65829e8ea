//! An action's state as stored: a small number, ordered so that each partial
//! index's condition is one comparison of integers.
//!
//! SQLite evaluates every partial index's condition on every insert, and on the
//! old and the new row of every update that changes the state; with states as
//! text and lists of them, that was about twenty string comparisons per action.
//!
//! | code | state | kept in |
//! | --- | --- | --- |
//! | 0 | queued | the backlog ([`unfinished!`]) |
//! | 1 | running | the backlog ([`unfinished!`]) |
//! | 2 | dead-lettered | dead letters ([`dead_lettered!`]) |
//! | 3 | succeeded | history ([`finished!`]) |
//! | 4 | failed | history |
//! | 5 | timed-out | history |
//! | 6 | cancelled | history |
//!
//! The codes are part of the file's format: a code, once released, keeps its
//! meaning, and a new state takes a code of its own after these.

use steward::ActionState;

/// Queued or running: replayed after a restart.
macro_rules! unfinished {
    () => {
        "state < 2"
    };
}

/// Dead-lettered: kept until retried.
macro_rules! dead_lettered {
    () => {
        "state = 2"
    };
}

/// Finished (succeeded, failed, timed out or cancelled): history, pruned.
macro_rules! finished {
    () => {
        "state > 2"
    };
}

pub(crate) use {dead_lettered, finished, unfinished};

/// The code `state` is stored as; `None` for a state added to Steward after
/// this journal, which it cannot store until it is given a code.
pub(crate) fn code(state: ActionState) -> Option<i64> {
    Some(match state {
        ActionState::Queued => 0,
        ActionState::Running => 1,
        ActionState::DeadLettered => 2,
        ActionState::Succeeded => 3,
        ActionState::Failed => 4,
        ActionState::TimedOut => 5,
        ActionState::Cancelled => 6,
        _ => return None,
    })
}

/// The state stored as `code`, if it is one.
pub(crate) fn from_code(code: i64) -> Option<ActionState> {
    Some(match code {
        0 => ActionState::Queued,
        1 => ActionState::Running,
        2 => ActionState::DeadLettered,
        3 => ActionState::Succeeded,
        4 => ActionState::Failed,
        5 => ActionState::TimedOut,
        6 => ActionState::Cancelled,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const ALL: [ActionState; 7] = [
        ActionState::Queued,
        ActionState::Running,
        ActionState::DeadLettered,
        ActionState::Succeeded,
        ActionState::Failed,
        ActionState::TimedOut,
        ActionState::Cancelled,
    ];

    #[test]
    fn every_state_reads_back_as_itself() {
        for state in ALL {
            assert_eq!(code(state).and_then(from_code), Some(state), "{state:?}");
        }
        assert_eq!(from_code(7), None);
        assert_eq!(from_code(-1), None);
    }

    #[test]
    fn each_condition_holds_for_its_states_only() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for state in ALL {
            let holds = |condition: &str| -> bool {
                conn.query_row(
                    &format!("SELECT {condition} FROM (SELECT ?1 AS state)"),
                    [code(state).unwrap()],
                    |row| row.get(0),
                )
                .unwrap()
            };
            let unfinished = matches!(state, ActionState::Queued | ActionState::Running);
            let dead = state == ActionState::DeadLettered;
            assert_eq!(holds(unfinished!()), unfinished, "{state:?}");
            assert_eq!(holds(dead_lettered!()), dead, "{state:?}");
            assert_eq!(holds(finished!()), !unfinished && !dead, "{state:?}");
        }
    }
}
