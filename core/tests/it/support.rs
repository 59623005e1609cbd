//! A real loopback receiver and condition waits shared by the integration tests.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use parking_lot::Mutex;
use serde_json::Value;
use synapse_core::runtime::runtime;
use synapse_core::{Config, Engine};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub json: Value,
    pub at: Instant,
}

impl Hit {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

#[derive(Default)]
struct Inner {
    hits: Mutex<Vec<Hit>>,
    /// Replies, in order; 200 once they run out.
    script: Mutex<VecDeque<Reply>>,
}

/// What the receiver does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer this status, with a `Retry-After` if given.
    Status(u16, Option<String>),
    /// Answer 200 only after this long (past the attempt timeout, the sender gives up first).
    Hang(Duration),
}

/// An HTTP server on 127.0.0.1, port 0, that records every POST.
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl Receiver {
    pub fn start() -> Receiver {
        Self::with_script(&[])
    }

    /// A receiver answering `statuses` (with an optional Retry-After) before turning to 200.
    pub fn with_script(statuses: &[(u16, Option<&str>)]) -> Receiver {
        Self::with_replies(statuses.iter().map(|(s, r)| Reply::Status(*s, r.map(str::to_string))).collect(), 0)
    }

    /// A receiver on `port` (0 for any) giving `replies` before turning to 200.
    pub fn with_replies(replies: Vec<Reply>, port: u16) -> Receiver {
        let inner = Arc::new(Inner::default());
        inner.script.lock().extend(replies);
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let app =
            axum::Router::new().route("/", post(record)).route("/{*path}", post(record)).with_state(inner.clone());
        runtime().spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { addr, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.inner.hits.lock().clone()
    }

    /// Waits (up to 10 s) until at least `n` requests arrived, and returns them.
    pub fn wait_for(&self, n: usize) -> Vec<Hit> {
        wait_until(|| self.inner.hits.lock().len() >= n, &format!("{n} deliveries"));
        self.hits()
    }
}

async fn record(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> (StatusCode, HeaderMap) {
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    inner.hits.lock().push(Hit { headers, body: body.to_vec(), json, at: Instant::now() });
    let reply = inner.script.lock().pop_front().unwrap_or(Reply::Status(200, None));
    let mut out = HeaderMap::new();
    match reply {
        Reply::Status(status, retry_after) => {
            if let Some(ra) = retry_after {
                out.insert("retry-after", ra.parse().unwrap());
            }
            (StatusCode::from_u16(status).unwrap(), out)
        }
        Reply::Hang(for_) => {
            tokio::time::sleep(for_).await;
            (StatusCode::OK, out)
        }
    }
}

/// A loopback TCP server that resets the first `resets` connections, then answers 200 to plain
/// HTTP/1.1 requests. Returns its address and a count of requests answered.
pub fn resetting_server(resets: usize) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let answered = Arc::new(AtomicUsize::new(0));
    let counter = answered.clone();
    runtime().spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let mut left = resets;
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            if left > 0 {
                left -= 1;
                // Linger 0 makes the close a reset rather than an orderly shutdown.
                stream.set_zero_linger().unwrap();
                drop(stream);
                continue;
            }
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if got.len() >= end + 4 + length {
                            counter.fetch_add(1, Ordering::SeqCst);
                            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
                            got.clear();
                        }
                    }
                }
            });
        }
    });
    (addr, answered)
}

/// A port on 127.0.0.1 that nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Polls `cond` until it holds, failing the test after 10 s.
pub fn wait_until(mut cond: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// An engine of its own, with cells under a temporary directory and quick retries.
pub fn engine() -> Arc<Engine> {
    engine_with(|_| {})
}

pub fn engine_with(tweak: impl FnOnce(&mut Config)) -> Arc<Engine> {
    let mut config = Config {
        cells_dir: std::env::temp_dir()
            .join(format!("synapse-it-{}", std::process::id()))
            .join(synapse_core::ids::new_id(""))
            .join("cells"),
        ..Config::default()
    };
    config.retry.schedule = vec![Duration::from_millis(20), Duration::from_millis(40)];
    config.retry.attempt_timeout = Duration::from_secs(2);
    tweak(&mut config);
    Engine::new(config)
}
