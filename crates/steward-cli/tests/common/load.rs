//! Load on a host that goes away and comes back: client threads, each on a
//! keep-alive connection of its own, send one action until a number of them have
//! been accepted (`202`), following the host to wherever it listens next.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a client waits for the host to come back before it gives up.
const PATIENCE: Duration = Duration::from_secs(60);

/// Where the host listens now, if it is up; a generation counts its comings and
/// goings, so a client that saw a failure can wait for the next one.
#[derive(Debug, Default)]
pub(crate) struct Target {
    state: Mutex<(Option<SocketAddr>, u64)>,
    changed: Condvar,
}

impl Target {
    /// The host is up and ready at `address`.
    pub(crate) fn up(&self, address: SocketAddr) {
        self.set(Some(address));
    }

    /// The host is going away: clients wait for it rather than retry.
    pub(crate) fn down(&self) {
        self.set(None);
    }

    fn set(&self, address: Option<SocketAddr>) {
        let mut state = self.state.lock().unwrap();
        *state = (address, state.1 + 1);
        self.changed.notify_all();
    }

    /// Where the host is, once it is up, and the generation; `None` after
    /// [`PATIENCE`].
    fn current(&self) -> Option<(SocketAddr, u64)> {
        let state = self.state.lock().unwrap();
        let (state, _) = self
            .changed
            .wait_timeout_while(state, PATIENCE, |(address, _)| address.is_none())
            .unwrap();
        state.0.map(|address| (address, state.1))
    }

    /// Waits up to `at_most` for a generation after `seen`.
    fn wait_past(&self, seen: u64, at_most: Duration) {
        let state = self.state.lock().unwrap();
        let _ = self
            .changed
            .wait_timeout_while(state, at_most, |(_, generation)| *generation == seen)
            .unwrap();
    }
}

/// What the clients did.
#[derive(Debug, Default)]
pub(crate) struct Load {
    /// Tickets handed out: each client takes one and sends until it is accepted.
    tickets: AtomicUsize,
    /// Actions accepted so far.
    pub(crate) accepted: AtomicUsize,
    /// Requests that failed on the wire (the host went away).
    pub(crate) lost: AtomicUsize,
    /// `503`s (the host was shutting down).
    pub(crate) refused: AtomicUsize,
    /// The accepted actions' ids.
    pub(crate) ids: Mutex<Vec<String>>,
    /// Answers no request should get, with their bodies.
    pub(crate) unexpected: Mutex<Vec<String>>,
    /// Clients that gave up waiting for the host.
    pub(crate) gave_up: AtomicUsize,
}

/// Starts `clients` threads that `POST path` until `total` requests have been
/// accepted between them.
pub(crate) fn start(
    clients: usize,
    target: &Arc<Target>,
    path: &str,
    total: usize,
) -> (Arc<Load>, Vec<JoinHandle<()>>) {
    let load = Arc::new(Load::default());
    let threads = (0..clients)
        .map(|_| {
            let (load, target, path) = (load.clone(), target.clone(), path.to_owned());
            std::thread::spawn(move || client(&load, &target, &path, total))
        })
        .collect();
    (load, threads)
}

fn client(load: &Load, target: &Target, path: &str, total: usize) {
    let mut connection: Option<(SocketAddr, Connection)> = None;
    while load.tickets.fetch_add(1, Ordering::Relaxed) < total {
        loop {
            let Some((address, generation)) = target.current() else {
                load.gave_up.fetch_add(1, Ordering::Relaxed);
                return;
            };
            if connection.as_ref().is_none_or(|(at, _)| *at != address) {
                connection = Connection::open(address).ok().map(|c| (address, c));
            }
            let answer = match connection.as_mut() {
                Some((_, open)) => open.post(path),
                None => Err(std::io::Error::other("cannot connect")),
            };
            match answer {
                Ok((202, body)) => {
                    let id = id_in(&body);
                    load.ids.lock().unwrap().push(id);
                    load.accepted.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok((503, _)) => {
                    load.refused.fetch_add(1, Ordering::Relaxed);
                    connection = None;
                    target.wait_past(generation, Duration::from_millis(10));
                }
                Ok((status, body)) => {
                    let unexpected = format!("{status} {body}");
                    load.unexpected.lock().unwrap().push(unexpected);
                    connection = None;
                }
                Err(_) => {
                    load.lost.fetch_add(1, Ordering::Relaxed);
                    connection = None;
                    target.wait_past(generation, Duration::from_millis(10));
                }
            }
        }
    }
}

/// The `id` of an answer `{"id": "…", …}`.
fn id_in(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    value["id"].as_str().unwrap().to_owned()
}

/// An HTTP/1.1 keep-alive connection.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(address: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// `POST path` with no body: the status and the body.
    fn post(&mut self, path: &str) -> std::io::Result<(u16, String)> {
        let request = format!("POST {path} HTTP/1.1\r\nHost: steward\r\nContent-Length: 0\r\n\r\n");
        self.writer.write_all(request.as_bytes())?;
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not a status line: {line:?}")))?;
        let mut length = 0;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// Waits, polling every 10 ms, until `done` holds; `false` after `at_most`.
pub(crate) fn within(at_most: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + at_most;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// The status of `GET path`, on a connection of its own.
pub(crate) fn status_of(address: SocketAddr, path: &str) -> std::io::Result<u16> {
    let mut connection = Connection::open(address)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: steward\r\nConnection: close\r\n\r\n");
    connection.writer.write_all(request.as_bytes())?;
    let mut line = String::new();
    connection.reader.read_line(&mut line)?;
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not a status line: {line:?}")))
}
