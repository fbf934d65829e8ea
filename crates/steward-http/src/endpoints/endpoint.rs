//! One endpoint as the route table describes it: method and path, who may call
//! it, what it reads and answers, and the handler that serves it.

use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::routing::{self, MethodRouter};
use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::config::HttpConfig;
use crate::error::codes::{BAD_QUERY, BODY_TOO_LARGE, ErrorCode, MALFORMED_JSON, UNREADABLE_BODY};
use crate::server::AppState;

/// Makes a schema with the generator of the document it goes in.
pub(crate) type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// `T`'s schema, as a [`SchemaFn`].
pub(crate) fn schema<T: JsonSchema + ?Sized>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The API: needs the token when one is configured.
    Api,
    /// Probes and scrapers: open unless `protect_probes` is set.
    Probe,
}

impl Access {
    /// Whether a request needs the bearer token under `config`; the router and
    /// the document both ask here.
    pub(crate) fn needs_token(self, config: &HttpConfig) -> bool {
        config.token.is_some() && (self == Access::Api || config.protect_probes)
    }
}

/// What a response carries.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content {
    /// JSON of this schema.
    Json(SchemaFn),
    /// Text of this media type.
    Text(&'static str),
    /// Nothing.
    Empty,
}

/// A response an endpoint gives when it does not fail.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) about: &'static str,
    pub(crate) content: Content,
}

/// An endpoint: what the router serves and the document says about it.
pub(crate) struct Endpoint {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) access: Access,
    /// The OpenAPI `operationId`.
    pub(crate) id: &'static str,
    /// The group it is listed under.
    pub(crate) tag: &'static str,
    pub(crate) summary: &'static str,
    /// More about it, when the summary is not enough.
    pub(crate) description: Option<&'static str>,
    /// A struct whose fields are the query parameters.
    pub(crate) query: Option<SchemaFn>,
    /// The JSON body it reads; always optional (an empty body reads as `null`).
    pub(crate) body: Option<SchemaFn>,
    pub(crate) answers: Vec<Answer>,
    pub(crate) errors: Vec<ErrorCode>,
    pub(crate) route: MethodRouter<AppState>,
}

impl Endpoint {
    /// `GET path`, served by `handler`, for token holders.
    pub(crate) fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::GET, path, routing::get(handler))
    }

    /// `POST path`, served by `handler`, for token holders.
    pub(crate) fn post<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        handler: H,
    ) -> Self {
        Self::new(Method::POST, path, routing::post(handler))
    }

    fn new(method: Method, path: &'static str, route: MethodRouter<AppState>) -> Self {
        Self {
            method,
            path,
            access: Access::Api,
            id: "",
            tag: "",
            summary: "",
            description: None,
            query: None,
            body: None,
            answers: Vec::new(),
            errors: Vec::new(),
            route,
        }
    }

    /// Its operation id, the group it is listed under, and what it does.
    pub(crate) fn doc(
        mut self,
        id: &'static str,
        tag: &'static str,
        summary: &'static str,
    ) -> Self {
        (self.id, self.tag, self.summary) = (id, tag, summary);
        self
    }

    /// More about it than the summary says.
    pub(crate) fn describe(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }

    /// Open to probes and scrapers unless `protect_probes` is set.
    pub(crate) fn probe(mut self) -> Self {
        self.access = Access::Probe;
        self
    }

    /// Reads its query parameters from the fields of `query`'s schema.
    pub(crate) fn query(mut self, query: SchemaFn) -> Self {
        self.query = Some(query);
        self.errors.push(BAD_QUERY);
        self
    }

    /// Reads a JSON body of `body`'s schema.
    pub(crate) fn body(mut self, body: SchemaFn) -> Self {
        self.body = Some(body);
        self.errors
            .extend([MALFORMED_JSON, BODY_TOO_LARGE, UNREADABLE_BODY]);
        self
    }

    /// Answers JSON of `schema` with `status`.
    pub(crate) fn json(self, status: StatusCode, about: &'static str, schema: SchemaFn) -> Self {
        self.answer(status, about, Content::Json(schema))
    }

    /// Answers `content` with `status`.
    pub(crate) fn answer(
        mut self,
        status: StatusCode,
        about: &'static str,
        content: Content,
    ) -> Self {
        self.answers.push(Answer {
            status,
            about,
            content,
        });
        self
    }

    /// May wait past `http.request_timeout`, which answers `408` with no body.
    pub(crate) fn slow(self) -> Self {
        let about = "The request took longer than `http.request_timeout`.";
        self.answer(StatusCode::REQUEST_TIMEOUT, about, Content::Empty)
    }

    /// Fails with these error codes.
    pub(crate) fn errors(mut self, errors: &[ErrorCode]) -> Self {
        self.errors.extend_from_slice(errors);
        self
    }
}
