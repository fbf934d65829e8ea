//! The HTTP API as `ctl` uses it: JSON in, JSON out, the API's own error messages.

use futures_util::StreamExt;
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;

/// Why a request did not give what was asked.
pub(crate) enum Failure {
    /// The API answered with an error.
    Api(String),
    /// The API could not be reached.
    Unreachable(String),
}

/// One SSE event.
pub(crate) struct Frame {
    pub(crate) event: String,
    pub(crate) data: String,
}

pub(crate) struct Api {
    client: Client,
    base: String,
    token: Option<String>,
}

impl Api {
    pub(crate) fn new(base: &str, token: Option<&str>) -> Self {
        Self {
            client: Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            token: token.map(str::to_owned),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Value, Failure> {
        let response = self.send(self.client.get(self.url(path))).await?;
        json_or_error(response).await
    }

    /// A GET whose 503 still carries the answer (health).
    pub(crate) async fn get_any_status(&self, path: &str) -> Result<Value, Failure> {
        let response = self.send(self.client.get(self.url(path))).await?;
        if response.status().as_u16() == 503 {
            return response
                .json()
                .await
                .map_err(|error| Failure::Api(format!("unreadable answer: {error}")));
        }
        json_or_error(response).await
    }

    pub(crate) async fn post(&self, path: &str, body: Option<Value>) -> Result<Value, Failure> {
        self.post_with(path, &[], body).await
    }

    /// A POST with a query string, its values encoded as they need.
    pub(crate) async fn post_with(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let mut request = self.client.post(self.url(path)).query(query);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = self.send(request).await?;
        json_or_error(response).await
    }

    /// Calls `each` for every event of an SSE stream until it ends.
    pub(crate) async fn follow(&self, path: &str, each: impl Fn(Frame)) -> Result<(), Failure> {
        let response = self.send(self.client.get(self.url(path))).await?;
        if !response.status().is_success() {
            return json_or_error(response).await.map(|_| ());
        }
        let mut body = response.bytes_stream();
        let mut text = String::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|error| Failure::Unreachable(error.to_string()))?;
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                if let Some(frame) = parse_frame(&block) {
                    each(frame);
                }
            }
        }
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, mut request: RequestBuilder) -> Result<Response, Failure> {
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .map_err(|error| Failure::Unreachable(format!("cannot reach {}: {error}", self.base)))
    }
}

async fn json_or_error(response: Response) -> Result<Value, Failure> {
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|error| Failure::Api(format!("{status}: unreadable answer: {error}")))?;
    if status.is_success() {
        return Ok(body);
    }
    let message = body["error"]["message"].as_str().unwrap_or("no message");
    let code = body["error"]["code"].as_str().unwrap_or("unknown");
    Err(Failure::Api(format!(
        "{message} ({code}, HTTP {})",
        status.as_u16()
    )))
}

/// An SSE block's event name and data; keep-alive comments have neither.
fn parse_frame(block: &str) -> Option<Frame> {
    let mut event = None;
    let mut data = Vec::new();
    for line in block.lines() {
        if let Some(name) = line.strip_prefix("event:") {
            event = Some(name.trim().to_owned());
        } else if let Some(line) = line.strip_prefix("data:") {
            data.push(line.strip_prefix(' ').unwrap_or(line));
        }
    }
    if data.is_empty() {
        return None;
    }
    Some(Frame {
        event: event.unwrap_or_else(|| "message".to_owned()),
        data: data.join("\n"),
    })
}
