//! An HTTP server for health checks to probe, whose answer a test changes.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An HTTP server answering every request with the status and body set last,
/// and noting each status it answered with.
#[derive(Clone)]
pub struct Server {
    pub url: String,
    answer: Arc<Mutex<(u16, &'static str)>>,
    served: Arc<Mutex<Vec<u16>>>,
}

impl Server {
    pub async fn start(status: u16, body: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/health", listener.local_addr().unwrap());
        let server = Self {
            url,
            answer: Arc::new(Mutex::new((status, body))),
            served: Arc::default(),
        };
        let serving = server.clone();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let server = serving.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0; 1024];
                    while !request.ends_with(b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => request.extend_from_slice(&buffer[..read]),
                        }
                    }
                    let (status, body) = *server.answer.lock().unwrap();
                    server.served.lock().unwrap().push(status);
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        server
    }

    pub fn answer(&self, status: u16, body: &'static str) {
        *self.answer.lock().unwrap() = (status, body);
    }

    /// How many requests it has answered with `status`.
    pub fn served(&self, status: u16) -> usize {
        self.served
            .lock()
            .unwrap()
            .iter()
            .filter(|s| **s == status)
            .count()
    }

    /// How many requests it answered with `status` after the last one it did not.
    pub fn served_since_other(&self, status: u16) -> usize {
        let served = self.served.lock().unwrap();
        served.iter().rev().take_while(|s| **s == status).count()
    }
}
