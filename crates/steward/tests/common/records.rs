//! Waiting for an action's record, for the action tests.

use steward::testing::TestHost;
use steward::{ActionId, ActionRecord, ActionState};

/// Lets the host work until action `id`'s record is `done` (no time passes).
pub async fn until_record(
    host: &TestHost,
    id: ActionId,
    done: impl Fn(&ActionRecord) -> bool,
) -> ActionRecord {
    for _ in 0..1000 {
        let record = host.handle().action(id).await.unwrap();
        if done(&record) {
            return record;
        }
        tokio::task::yield_now().await;
    }
    panic!("action {id} never got there");
}

/// Lets the host work until action `id` is in `state` (no time passes).
pub async fn until_state(host: &TestHost, id: ActionId, state: ActionState) -> ActionRecord {
    until_record(host, id, |record| record.state == state).await
}
