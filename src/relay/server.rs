//! A relay's life: [`Core::open`] loads the configuration (and starts the sandbox, for a
//! sandbox lockfile) and builds the parts the durable side builds on; [`Core::serve`] binds the
//! listeners with an [`Accept`]; [`Relay::reload`] swaps the routes (SIGHUP);
//! [`Relay::shutdown`] drains and stops (SIGTERM, SIGINT).
//!
//! Without a spool the relay keeps nothing between requests: every instance holds the same
//! configuration and answers each request alone, so any number can run behind a load balancer.
//!
//! Not for: signals and printing (`cli/relay.rs`), or any one request (`handler.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;
use url::Url;

use super::accept::Accept;
use super::admin::Admin;
use super::forward::Forwarder;
use super::handler::Webhooks;
use super::log::Sink;
use super::metrics::Metrics;
use super::routes::{self, RouteTable, Routes, Source};
use crate::emulator::Emulator;
use crate::error::Error;
use crate::http::{Drained, Limits, Server};
use crate::manifest::ReadRules;
use crate::recall::Redactor;
use crate::session;

/// The largest body taken: Zoom's events are a few KiB.
pub const MAX_BODY: usize = 1 << 20;

/// How long a shutdown may take in all: requests in flight, then the durable side's flush.
pub const SHUTDOWN_BUDGET: Duration = Duration::from_secs(10);

/// How long a client may take to send a request's headers, and then its body. Zoom sends both
/// at once; a client this slow only holds a place under the concurrency cap.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests in flight on the admin listener: scrapes and health checks are few.
const ADMIN_IN_FLIGHT: usize = 16;

/// How a relay is set up (from `recallform relay`'s options).
#[derive(Clone, Debug)]
pub struct Options {
    /// The manifest.
    pub manifest: PathBuf,
    /// The lockfile.
    pub lockfile: PathBuf,
    /// What the manifest may read.
    pub rules: ReadRules,
    /// `--sandbox`: forward to the built-in sandbox (implied by a sandbox lockfile).
    pub sandbox: bool,
    /// `--listen`: where Zoom's requests come in.
    pub listen: SocketAddr,
    /// `--admin-listen`: where `/healthz` and `/metrics` are served, if anywhere.
    pub admin_listen: Option<SocketAddr>,
    /// `--max-age`: the timestamp window; `None` turns the check off.
    pub max_age: Option<Duration>,
    /// `--forward-timeout`: how long a forward to Recall may take in all.
    pub forward_timeout: Duration,
    /// `--max-concurrency`: requests handled at once; one more is answered 503 at once.
    pub max_concurrency: usize,
}

/// A relay's configuration and the parts every way of accepting events shares: the routes,
/// the metrics, the forwarder, the redactor.
pub struct Core {
    options: Options,
    source: Source,
    routes: Arc<RouteTable>,
    metrics: Arc<Metrics>,
    forwarder: Arc<Forwarder>,
    redactor: Redactor,
    sandbox: Option<Emulator>,
}

impl Core {
    /// Loads the manifest, its secrets and the lockfile, as every command does, and, with
    /// `--sandbox` or a lockfile of the sandbox, starts the sandbox to forward to.
    pub async fn open(options: Options) -> Result<Core, Error> {
        let mut source = Source {
            manifest: options.manifest.clone(),
            lockfile: options.lockfile.clone(),
            rules: options.rules.clone(),
            sandbox: None,
        };
        let sandbox = match options.sandbox || routes::lockfile_is_sandbox(&options.lockfile)? {
            true => {
                let manifest = session::load_manifest(&options.manifest, &options.rules)?;
                let emulator = session::open_sandbox(&manifest).await?;
                source.sandbox =
                    Some(Url::parse(&emulator.url()).expect("the emulator's URL is valid"));
                Some(emulator)
            }
            false => None,
        };
        let redactor = Redactor::new();
        let loaded = routes::load(&source, &redactor);
        let loaded = match loaded {
            Ok(routes) => routes,
            Err(e) => {
                if let Some(emulator) = sandbox {
                    emulator.shutdown().await;
                }
                return Err(e);
            }
        };
        let metrics = Arc::new(Metrics::new());
        metrics.set_apps(loaded.len());
        let forwarder = Arc::new(Forwarder::new(
            options.forward_timeout,
            redactor.clone(),
            metrics.clone(),
        )?);
        Ok(Core {
            options,
            source,
            routes: Arc::new(RouteTable::new(loaded)),
            metrics,
            forwarder,
            redactor,
            sandbox,
        })
    }

    /// The synchronous forwarder: what URL validations go through, and what the
    /// [`super::Pipeline`] forwards and delivers with.
    pub fn forwarder(&self) -> Arc<Forwarder> {
        self.forwarder.clone()
    }

    /// The routes in force, which a reload replaces.
    pub fn routes(&self) -> Arc<RouteTable> {
        self.routes.clone()
    }

    /// The metrics, where other parts register their families.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The redactor, which knows every secret read.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Binds the listeners and serves, handing verified events to `accept`, and each request's
    /// log line to `log`. Ready (`/healthz` 200) from here.
    pub async fn serve(self, accept: Arc<dyn Accept>, log: Sink) -> Result<Relay, Error> {
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|e| Error::Other(format!("cannot listen on `{addr}`: {e}")))
        };
        let listener = bind(self.options.listen).await?;
        let admin_listener = match self.options.admin_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let webhooks = Webhooks {
            routes: self.routes.clone(),
            accept: accept.clone(),
            forwarder: self.forwarder.clone(),
            max_age: self.options.max_age,
            metrics: self.metrics.clone(),
            log,
        };
        let limits = Limits {
            max_body: MAX_BODY,
            max_in_flight: Some(self.options.max_concurrency),
            header_read_timeout: Some(READ_TIMEOUT),
            body_read_timeout: Some(READ_TIMEOUT),
        };
        let server = Server::start(listener, Arc::new(webhooks), limits);
        let admin = admin_listener.map(|listener| {
            let admin = Admin {
                metrics: self.metrics.clone(),
                routes: self.routes.clone(),
            };
            let limits = Limits {
                max_body: 0,
                max_in_flight: Some(ADMIN_IN_FLIGHT),
                header_read_timeout: Some(READ_TIMEOUT),
                body_read_timeout: Some(READ_TIMEOUT),
            };
            Server::start(listener, Arc::new(admin), limits)
        });
        self.metrics.set_ready(true);
        Ok(Relay {
            server,
            admin,
            accept,
            core: self,
        })
    }
}

/// A serving relay.
pub struct Relay {
    server: Server,
    admin: Option<Server>,
    accept: Arc<dyn Accept>,
    core: Core,
}

impl Relay {
    /// Where Zoom's requests come in.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Where `/healthz` and `/metrics` are served, if anywhere.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().map(Server::addr)
    }

    /// The routes in force.
    pub fn routes(&self) -> Arc<Routes> {
        self.core.routes.current()
    }

    /// Reads the manifest, its secrets and the lockfile again and puts the new routes in
    /// force; connections stay open, and requests in flight finish with the routes they began
    /// with. On an error the routes in force stay.
    pub fn reload(&self) -> Result<Arc<Routes>, Error> {
        let loaded = routes::load(&self.core.source, &self.core.redactor);
        self.core.metrics.reloaded(loaded.is_ok());
        let routes = self.core.routes.replace(loaded?);
        self.core.metrics.set_apps(routes.len());
        Ok(routes)
    }

    /// Stops within `budget`: `/healthz` turns 503, the listeners stop accepting, requests in
    /// flight finish (idle connections close at once), then the [`Accept`] closes; whatever is
    /// still open at the end of the budget is cut off.
    pub async fn shutdown(self, budget: Duration) -> Drained {
        let deadline = Instant::now() + budget;
        self.core.metrics.set_ready(false);
        let drained = self.server.shutdown_by(deadline).await;
        let _ = tokio::time::timeout_at(deadline, self.accept.close(deadline)).await;
        if let Some(admin) = self.admin {
            admin.shutdown_by(Instant::now()).await;
        }
        if let Some(emulator) = self.core.sandbox {
            emulator.shutdown().await;
        }
        drained
    }
}
