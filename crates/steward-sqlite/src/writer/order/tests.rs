#![allow(clippy::unwrap_used)]

use chrono::Utc;
use steward::{ActionChange, ActionId, ActionRecord, ActionState};

use super::{ROWS_PER_INSERT, Write, accept_sql, accepts_first, next_insert};
use crate::row::{ChangeRow, Row, Shape};

fn accept(n: u128) -> Write {
    let record = ActionRecord::queued(
        ActionId::from(n),
        "s",
        "a",
        serde_json::Value::Null,
        Utc::now(),
    );
    Write::Accept(Box::new(Row::from_record(&record).unwrap()))
}

fn update(n: u128) -> Write {
    let change = ActionChange::new(ActionState::Running, 1, Utc::now());
    Write::Update(ChangeRow::new(ActionId::from(n), &change).unwrap())
}

/// The places of the accepts, when they may go first.
fn places(group: &[Write]) -> Option<Vec<usize>> {
    accepts_first(group).map(|accepts| accepts.into_iter().map(|(at, _)| at).collect())
}

#[test]
fn accepts_go_first_unless_an_update_of_the_same_action_comes_before_one() {
    assert_eq!(places(&[]), Some(vec![]));
    assert_eq!(
        places(&[update(1), accept(2), update(3), accept(4)]),
        Some(vec![1, 3])
    );
    // Accepted, then changed: the accept still comes first.
    assert_eq!(places(&[accept(1), update(1), update(1)]), Some(vec![0]));
    assert_eq!(places(&[update(3), accept(1), update(1), accept(3)]), None);
    // Changed, then accepted again (its row replaced): moved first, the accept
    // would be the one changed.
    assert_eq!(places(&[accept(2), update(1), accept(1)]), None);
    // Accepted twice: the two might not keep their order.
    assert_eq!(places(&[accept(1), accept(2), accept(1)]), None);
    assert_eq!(places(&[update(1), accept(2), update(1), accept(1)]), None);
}

#[test]
fn a_run_of_accepts_is_cut_into_the_largest_inserts_that_fit() {
    let mut cuts = Vec::new();
    let mut left = 77;
    while left > 0 {
        let rows = next_insert(left);
        cuts.push(rows);
        left -= rows;
    }
    assert_eq!(cuts, [32, 32, 8, 4, 1]);
    assert_eq!(next_insert(0), 1);
}

#[test]
fn an_insert_of_several_rows_numbers_each_rows_columns_in_turn() {
    for shape in [Shape::Full, Shape::Plain] {
        for rows in ROWS_PER_INSERT {
            let sql = accept_sql(rows, shape);
            assert_eq!(sql.matches('(').count(), rows + 1, "{rows}");
            let last = format!("?{})", rows * shape.count());
            assert!(sql.ends_with(&last), "{sql}");
        }
    }
    assert_eq!(
        accept_sql(1, Shape::Full),
        format!(
            "INSERT OR REPLACE INTO steward_actions ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            Shape::Full.columns()
        )
    );
    let two = accept_sql(2, Shape::Plain);
    assert!(
        two.ends_with(
            "?12, ?13), (?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
        ),
        "{two}"
    );
}
