//! `steward ctl`: a running host's services, health, commands, actions, dead
//! letters and events through its HTTP API. Tables for people, `--json` for
//! scripts.

mod client;
mod records;
mod table;

use clap::{Args, Subcommand};
use serde_json::Value;

use self::client::{Api, Failure};
use crate::{Exit, complain, say};

/// Control a running host.
#[derive(Debug, Args)]
pub(crate) struct Ctl {
    /// The host's HTTP API.
    #[arg(
        long,
        env = "STEWARD_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    url: String,
    /// The bearer token, if the host has one.
    #[arg(long, env = "STEWARD_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Every service: state, health, restarts, next run, queue.
    List,
    /// One service's status.
    Status { service: String },
    /// The host's health, or one service's.
    Health { service: Option<String> },
    /// Run a periodic service's tick now.
    Trigger { service: String },
    /// Send an action.
    Act {
        service: String,
        action: String,
        /// The parameters as JSON.
        #[arg(long, default_value = "null")]
        params: String,
        /// Wait for the result instead of printing the action's id.
        #[arg(long)]
        wait: bool,
        /// Higher runs first.
        #[arg(long)]
        priority: Option<i32>,
        /// The handler's time limit, such as `30s`.
        #[arg(long)]
        timeout: Option<String>,
        /// Ties the action and the events its handler emits together.
        #[arg(long)]
        correlation_id: Option<String>,
        /// Retries after a failure, timeout or panic before it is dead-lettered.
        #[arg(long)]
        retries: Option<u32>,
        /// The delay before each retry, `MIN..MAX` such as `1s..30s` (with `--retries`).
        #[arg(long)]
        backoff: Option<String>,
        /// Run it this long after it is accepted, such as `10m`.
        #[arg(long, conflicts_with = "at")]
        after: Option<String>,
        /// Run it at this time (RFC 3339, such as `2026-03-01T03:00:00Z`).
        #[arg(long)]
        at: Option<String>,
    },
    /// One accepted action: its state, attempts, result or error.
    Action {
        /// The action's id, as `act` printed it.
        id: String,
    },
    /// A service's finished actions, the most recently finished first: who,
    /// what, when, how long, outcome and error.
    Actions {
        service: String,
        /// How many (1 to 1000).
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Actions that failed every attempt their retries allowed, oldest first.
    DeadLetters,
    /// Queue a dead-lettered action again (once, with no further retries).
    Retry {
        /// The action's id.
        id: String,
    },
    /// Start a service.
    Start { service: String },
    /// Stop a service.
    Stop { service: String },
    /// Restart a service.
    Restart { service: String },
    /// Print events as they happen, until interrupted.
    Events {
        /// Keep printing as events arrive (the only mode: there is no history).
        #[arg(short, long)]
        follow: bool,
        /// Only this service's events.
        #[arg(long)]
        service: Option<String>,
        /// Only events with this name.
        #[arg(long)]
        event: Option<String>,
    },
}

impl Ctl {
    pub(crate) async fn run(self) -> Exit {
        let api = Api::new(&self.url, self.token.as_deref());
        let json = self.json;
        let shown = match self.verb {
            Verb::List => api.get("/api/services").await.map(|body| {
                show(json, &body, table::services);
            }),
            Verb::Status { service } => {
                let path = format!("/api/services/{service}/status");
                api.get(&path)
                    .await
                    .map(|body| show(json, &body, table::status))
            }
            Verb::Health { service } => {
                let path = match &service {
                    Some(service) => format!("/api/services/{service}/health"),
                    None => "/api/system/health".to_owned(),
                };
                api.get_any_status(&path)
                    .await
                    .map(|body| show(json, &body, table::health))
            }
            Verb::Trigger { service } => {
                let path = format!("/api/services/{service}/trigger");
                api.post(&path, None)
                    .await
                    .map(|body| show(json, &body, |_| "triggered".to_owned()))
            }
            Verb::Act {
                service,
                action,
                params,
                wait,
                priority,
                timeout,
                correlation_id,
                retries,
                backoff,
                after,
                at,
            } => {
                let params: Value = match serde_json::from_str(&params) {
                    Ok(params) => params,
                    Err(error) => {
                        complain(format!("error: --params is not JSON: {error}"));
                        return Exit::Failure;
                    }
                };
                let given = [
                    ("priority", priority.map(|priority| priority.to_string())),
                    ("timeout", timeout),
                    ("correlation_id", correlation_id),
                    ("retries", retries.map(|retries| retries.to_string())),
                    ("backoff", backoff),
                    ("after", after),
                    ("at", at),
                ];
                let mut query = vec![("wait", wait.to_string())];
                query.extend(
                    given
                        .into_iter()
                        .filter_map(|(key, value)| Some((key, value?))),
                );
                let path = format!("/api/services/{service}/actions/{action}");
                api.post_with(&path, &query, Some(params))
                    .await
                    .map(|body| show(json, &body, table::acted))
            }
            Verb::Action { id } => {
                let path = format!("/api/actions/{id}");
                api.get(&path).await.map(|body| {
                    show(json, &body, |record| {
                        let one = Value::Array(vec![record.clone()]);
                        records::records(&one, "no such action")
                    })
                })
            }
            Verb::Actions { service, limit } => {
                let path = format!("/api/services/{service}/actions?limit={limit}");
                api.get(&path).await.map(|body| {
                    show(json, &body, |body| {
                        records::records(body, "no finished actions")
                    })
                })
            }
            Verb::DeadLetters => api.get("/api/dead-letters").await.map(|body| {
                show(json, &body, |body| {
                    records::records(body, "no dead letters")
                })
            }),
            Verb::Retry { id } => {
                let path = format!("/api/dead-letters/{id}/retry");
                api.post(&path, None).await.map(|body| {
                    show(json, &body, |body| {
                        format!("queued again: {}", cell_id(body))
                    })
                })
            }
            Verb::Start { service } => lifecycle(&api, json, &service, "start").await,
            Verb::Stop { service } => lifecycle(&api, json, &service, "stop").await,
            Verb::Restart { service } => lifecycle(&api, json, &service, "restart").await,
            Verb::Events {
                follow: _,
                service,
                event,
            } => {
                let mut query = Vec::new();
                query.extend(service.map(|service| format!("service={service}")));
                query.extend(event.map(|event| format!("event={event}")));
                let path = format!("/api/events?{}", query.join("&"));
                api.follow(&path, |frame| {
                    say(if json {
                        frame.data
                    } else {
                        table::event(&frame)
                    })
                })
                .await
            }
        };
        match shown {
            Ok(()) => Exit::Success,
            Err(Failure::Api(message)) => {
                complain(format!("error: {message}"));
                Exit::Failure
            }
            Err(Failure::Unreachable(message)) => {
                complain(format!("error: {message}"));
                Exit::Unreachable
            }
        }
    }
}

async fn lifecycle(api: &Api, json: bool, service: &str, verb: &str) -> Result<(), Failure> {
    let path = format!("/api/services/{service}/{verb}");
    let body = api.post(&path, None).await?;
    show(json, &body, table::status);
    Ok(())
}

/// The id an answer names.
fn cell_id(body: &Value) -> &str {
    body["id"].as_str().unwrap_or("-")
}

/// Prints the JSON, or the table `render` makes of it.
fn show(json: bool, body: &Value, render: impl Fn(&Value) -> String) {
    if json {
        say(body);
    } else {
        say(render(body));
    }
}
