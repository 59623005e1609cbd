//! The REST gateway: the engine over HTTP (`POST /v1/webhooks`, `GET /v1/events`, …), for anything
//! that speaks HTTP. `synapse gateway` (Python) and `npx synapse-gateway` (Node) both run
//! [`main`], so flags, defaults and behaviour are the same from either package.

mod api;
mod metrics;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::Config;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::runtime::block_on;
use tokio::sync::Notify;

pub use api::router;

/// The OpenAPI 3 document of the gateway, served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

const USAGE: &str = "usage: synapse gateway [--host HOST] [--port PORT] [--api-key KEY] [--deny-private-urls]

Serves the Synapse engine over HTTP (default 127.0.0.1:8001).
  --host HOST            address to listen on (default 127.0.0.1)
  --port PORT            port to listen on (default 8001; 0 picks a free one)
  --api-key KEY          require 'Authorization: Bearer KEY' on every request but /healthz
                         (default: $SYNAPSE_API_KEY, if set)
  --deny-private-urls    refuse webhook URLs resolving to private, loopback or link-local
                         addresses, at registration and at delivery ($SYNAPSE_DENY_PRIVATE_URLS=1)
SIGINT or SIGTERM stops accepting, flushes pending deliveries (SYNAPSE_EXIT_FLUSH_TIMEOUT_MS) and exits 0.";

/// How the gateway is run.
#[derive(Clone, Debug)]
pub struct GatewayOptions {
    /// Address to listen on. Default `127.0.0.1`.
    pub host: String,
    /// Port to listen on. Default 8001; 0 picks a free one.
    pub port: u16,
    /// When set, every request but `/healthz` needs `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Refuse webhook URLs that resolve to private addresses.
    pub deny_private_urls: bool,
}

impl GatewayOptions {
    /// Parses command-line arguments (after `gateway`), with `SYNAPSE_API_KEY` as the key's default.
    /// `Ok(None)` means `--help` was asked for.
    pub fn parse(args: &[String]) -> Result<Option<Self>> {
        let mut options = GatewayOptions {
            host: "127.0.0.1".to_string(),
            port: 8001,
            api_key: std::env::var("SYNAPSE_API_KEY").ok().filter(|k| !k.is_empty()),
            deny_private_urls: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = |name: &str| {
                inline.clone().or_else(|| args.next().cloned()).ok_or_else(|| Error::invalid(name, "needs a value"))
            };
            match flag {
                "-h" | "--help" => return Ok(None),
                "--host" => options.host = value("--host")?,
                "--port" => {
                    let v = value("--port")?;
                    options.port =
                        v.parse().map_err(|_| Error::invalid("--port", format!("must be 0 to 65535, got {v:?}")))?;
                }
                "--api-key" => options.api_key = Some(value("--api-key")?).filter(|k| !k.is_empty()),
                "--deny-private-urls" => options.deny_private_urls = true,
                other => return Err(Error::invalid(other, "is not an option of synapse gateway (see --help)")),
            }
        }
        Ok(Some(options))
    }
}

/// Asks a running gateway to stop as SIGTERM would (or the next one to stop at once). For hosts
/// that own signal handling themselves: Node's `synapse-gateway` calls it from `process.on('SIGTERM')`.
pub fn request_stop() {
    STOP.notify_one();
}

static STOP: Notify = Notify::const_new();

/// Where a stop request comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signals {
    /// SIGINT, SIGTERM, or [`request_stop`].
    Os,
    /// [`request_stop`] only: the host handles signals and forwards them.
    Host,
}

/// Runs the gateway until it is asked to stop, then flushes deliveries. Call it from a thread
/// outside the engine's runtime.
pub fn run(options: GatewayOptions, signals: Signals) -> Result<()> {
    let mut config = Config::from_env()?;
    config.deny_private_urls |= options.deny_private_urls;
    let engine = Engine::init_global(config)?;
    let ready = |addr| eprintln!("synapse gateway listening on http://{addr}");
    block_on(serve(engine.clone(), options, stop_requested(signals), ready))
}

/// The command-line entry point both packages install: parses `args`, runs, and returns the exit
/// code (0 after a graceful shutdown, 2 for bad arguments, 1 when the gateway cannot start).
pub fn main(args: &[String], signals: Signals) -> i32 {
    match GatewayOptions::parse(args) {
        Ok(None) => {
            println!("{USAGE}");
            0
        }
        Err(e) => {
            eprintln!("synapse gateway: {e}\n\n{USAGE}");
            2
        }
        Ok(Some(options)) => match run(options, signals) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("synapse gateway: {e}");
                1
            }
        },
    }
}

/// Serves `engine` on the options' address until `stop` completes; `ready` gets the bound address.
pub async fn serve(
    engine: Arc<Engine>,
    options: GatewayOptions,
    stop: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port))
        .await
        .map_err(|e| Error::io(format!("listening on {}:{}", options.host, options.port), e))?;
    let addr = listener.local_addr().map_err(|e| Error::io("reading the bound address", e))?;
    let app = router(engine.clone(), options.api_key);
    ready(addr);
    axum::serve(listener, app).with_graceful_shutdown(stop).await.map_err(|e| Error::io("serving HTTP", e))?;
    // Stopped accepting: kill live cells and flush what is pending, off the runtime's workers.
    let _ = tokio::task::spawn_blocking(move || engine.shutdown()).await;
    Ok(())
}

async fn stop_requested(signals: Signals) {
    if signals == Signals::Host {
        return STOP.notified().await;
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = STOP.notified() => {}
    }
}
