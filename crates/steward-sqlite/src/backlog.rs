//! Reading the backlog for replay along its own index, `(service, priority, id)`
//! over unfinished actions: each step is a seek, so a page costs the same however
//! many actions wait.

use std::sync::Arc;

use rusqlite::types::FromSql;
use rusqlite::{Connection, OptionalExtension, Params, params};
use steward::{ActionRecord, Backlog, BacklogPage};

use crate::read::selected;
use crate::row::{id_bytes, id_of, named, selected};
use crate::services;
use crate::state::unfinished;

/// The newest action the journal holds: no unfinished action is newer.
pub(crate) const NEWEST: &str = "SELECT MAX(id) FROM steward_actions";

/// The first service, by number, with an unfinished action.
pub(crate) const FIRST_SERVICE: &str = concat!(
    "SELECT service FROM steward_actions WHERE ",
    unfinished!(),
    " ORDER BY service LIMIT 1"
);

/// The next service, by number, after `?1` with an unfinished action.
pub(crate) const NEXT_SERVICE: &str = concat!(
    "SELECT service FROM steward_actions WHERE ",
    unfinished!(),
    " AND service > ?1 ORDER BY service LIMIT 1"
);

/// The highest priority among the unfinished actions of the service numbered
/// `?1`.
pub(crate) const TOP_PRIORITY: &str = concat!(
    "SELECT priority FROM steward_actions WHERE ",
    unfinished!(),
    " AND service = ?1 ORDER BY priority DESC LIMIT 1"
);

/// The next priority below `?2` among the unfinished actions of the service
/// numbered `?1`.
pub(crate) const NEXT_PRIORITY: &str = concat!(
    "SELECT priority FROM steward_actions WHERE ",
    unfinished!(),
    " AND service = ?1 AND priority < ?2 ORDER BY priority DESC LIMIT 1"
);

/// The unfinished actions of the service numbered `?1` at priority `?2` with ids
/// after `?3` up to `?4`, oldest first, at most `?5`.
pub(crate) const AT_PRIORITY: &str = concat!(
    "SELECT ",
    selected!(),
    " FROM ",
    named!(),
    " WHERE ",
    unfinished!(),
    " AND service = ?1 AND priority = ?2 AND id > ?3 AND id <= ?4 ORDER BY id LIMIT ?5"
);

/// The first column of the first row `query` finds, if it finds one.
fn first<T: FromSql>(
    conn: &Connection,
    query: &str,
    params: impl Params,
) -> Result<Option<T>, String> {
    conn.prepare_cached(query)
        .and_then(|mut statement| statement.query_row(params, |row| row.get(0)).optional())
        .map_err(|error| error.to_string())
}

/// The services with unfinished actions, and the newest action.
pub(crate) fn outline(conn: &Connection) -> Result<Backlog, String> {
    let mut services: Vec<Arc<str>> = Vec::new();
    let mut next: Option<i64> = first(conn, FIRST_SERVICE, [])?;
    while let Some(number) = next {
        next = first(conn, NEXT_SERVICE, [number])?;
        let name = services::name(conn, number).map_err(|error| error.to_string())?;
        services.push(name.into());
    }
    if services.is_empty() {
        return Ok(Backlog::default());
    }
    // By name, as they came before services were numbered.
    services.sort_unstable();
    // `MAX` over no rows is one row of NULL.
    let newest: Option<Vec<u8>> = first::<Option<Vec<u8>>>(conn, NEWEST, [])?.flatten();
    let newest = newest.as_deref().map(id_of).transpose()?;
    Ok(Backlog::new(services, newest))
}

/// One page of a service's backlog: its highest priority first, oldest first
/// within a priority, from just after the page's cursor.
pub(crate) fn page(conn: &Connection, page: &BacklogPage) -> Result<Vec<ActionRecord>, String> {
    let Some(service) = services::number(conn, &page.service).map_err(|error| error.to_string())?
    else {
        // Never seen: nothing waits.
        return Ok(Vec::new());
    };
    let newest = id_bytes(page.newest);
    let (mut priority, mut after) = match page.after {
        Some(cursor) => (Some(cursor.priority), id_bytes(cursor.id).to_vec()),
        // Every id sorts after the empty blob.
        None => (first(conn, TOP_PRIORITY, [service])?, Vec::new()),
    };
    let mut records = Vec::new();
    while let Some(at) = priority {
        let left = page.limit - records.len();
        let limit = i64::try_from(left).unwrap_or(i64::MAX);
        records.extend(selected(
            conn,
            AT_PRIORITY,
            params![service, at, after, newest, limit],
        )?);
        if records.len() >= page.limit {
            break;
        }
        priority = first(conn, NEXT_PRIORITY, params![service, at])?;
        after = Vec::new();
    }
    Ok(records)
}
