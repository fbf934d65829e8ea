use super::{LOG_PAGES, Pacing, Step};

#[test]
fn asks_once_the_log_reaches_its_size_then_catches_up_after_the_pass() {
    let mut pacing = Pacing::default();
    assert_eq!(pacing.after_commit(10, 0), Step::Nothing);
    assert_eq!(pacing.after_commit(LOG_PAGES - 1, 0), Step::Nothing);
    assert_eq!(pacing.after_commit(LOG_PAGES, 0), Step::Ask);
    // The pass is under way: nothing more is asked meanwhile.
    assert_eq!(pacing.after_commit(LOG_PAGES + 50, 0), Step::Nothing);
    assert_eq!(pacing.after_commit(LOG_PAGES + 90, 0), Step::Nothing);
    // Done: the writer copies what came since.
    assert_eq!(pacing.after_commit(LOG_PAGES + 120, 1), Step::CatchUp);
    // The log started over.
    assert_eq!(pacing.after_commit(12, 1), Step::Nothing);
    assert_eq!(pacing.after_commit(LOG_PAGES, 1), Step::Ask);
}

#[test]
fn a_log_that_does_not_start_over_is_still_copied_as_it_grows() {
    let mut pacing = Pacing::default();
    assert_eq!(pacing.after_commit(LOG_PAGES, 0), Step::Ask);
    assert_eq!(pacing.after_commit(LOG_PAGES + 100, 1), Step::CatchUp);
    // A reader holds the log: it grows on, and is copied again a whole
    // `LOG_PAGES` later.
    assert_eq!(pacing.after_commit(2 * LOG_PAGES + 99, 1), Step::Nothing);
    assert_eq!(pacing.after_commit(2 * LOG_PAGES + 100, 1), Step::Ask);
    assert_eq!(pacing.after_commit(2 * LOG_PAGES + 150, 2), Step::CatchUp);
}

#[test]
fn a_pass_asked_before_the_log_started_over_is_still_caught_up() {
    let mut pacing = Pacing::default();
    assert_eq!(pacing.after_commit(LOG_PAGES, 0), Step::Ask);
    // The pass copied everything and the log started over before it was seen.
    assert_eq!(pacing.after_commit(5, 0), Step::Nothing);
    assert_eq!(pacing.after_commit(9, 1), Step::CatchUp);
    assert_eq!(pacing.after_commit(LOG_PAGES + 8, 1), Step::Nothing);
    assert_eq!(pacing.after_commit(LOG_PAGES + 9, 1), Step::Ask);
}
