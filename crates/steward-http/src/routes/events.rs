//! `GET /api/events`: server-sent events, filterable by service and event name.
//!
//! An SSE client is an observer: it never slows an emitter down. Events it falls
//! too far behind on are dropped and counted, and it is told how many in a
//! `missed` event.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use steward::{Emitted, EventStream, HostHandle};

use crate::error::ApiError;

/// How many events a client may fall behind before it misses some.
const BUFFER: usize = 1024;

/// How often an idle stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Which events to stream.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Filter {
    /// Only this service's events.
    service: Option<String>,
    /// Only events with this name.
    event: Option<String>,
}

/// `GET /api/events?service=NAME&event=NAME`.
pub(crate) async fn stream(
    State(host): State<HostHandle>,
    filter: Result<Query<Filter>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(filter) = filter?;
    let subscribe = match (&filter.service, &filter.event) {
        (Some(service), Some(event)) => host.named(service).on_named(event),
        (Some(service), None) => host.named(service).events(),
        (None, Some(event)) => host.on_named(event),
        (None, None) => host.events(),
    };
    let events = subscribe.buffer(BUFFER).stream().await?;
    let sent = futures_util::stream::unfold((events, 0), next);
    Ok(Sse::new(sent).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The next SSE event: a `missed` count when the client fell behind, else the
/// next event; the stream ends with the host.
async fn next(
    (mut events, told): (EventStream<Emitted>, u64),
) -> Option<(Result<Event, Infallible>, (EventStream<Emitted>, u64))> {
    let missed = events.missed();
    if missed > told {
        let event = Event::default()
            .event("missed")
            .data(json!({ "missed": missed }).to_string());
        return Some((Ok(event), (events, missed)));
    }
    let emitted = events.recv().await?;
    Some((Ok(sse_event(&emitted)), (events, told)))
}

fn sse_event(emitted: &Emitted) -> Event {
    let data = json!({
        "service": emitted.service(),
        "event": emitted.name(),
        "at": emitted.at(),
        "correlation_id": emitted.correlation_id(),
        "data": emitted.json(),
    });
    Event::default()
        .event(emitted.name())
        .data(data.to_string())
}
