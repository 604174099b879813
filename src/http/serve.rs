//! The accept loop, one hyper HTTP/1.1 connection per accepted socket, the in-flight cap, and
//! the shutdown that a timer caps.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::body::{self, Unread};
use super::{Close, Handler, Limits, Refusal, Reply};

/// A running server: an accept loop and its connections.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<JoinSet<()>>,
    in_flight: Arc<AtomicUsize>,
}

/// How a shutdown ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    /// Connections still open at the deadline, and closed then: their requests, if any, got
    /// no answer.
    pub cut_off: usize,
}

impl Server {
    /// Serves `listener` with `handler` under `limits`, on the current Tokio runtime, until
    /// [`Server::shutdown_by`] (or until it is dropped, which stops it without waiting).
    pub fn start<H: Handler>(listener: TcpListener, handler: Arc<H>, limits: Limits) -> Server {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (stop, stopped) = watch::channel(false);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            handler,
            limits,
            in_flight: in_flight.clone(),
        });
        let task = tokio::spawn(accept_loop(listener, shared, stopped));
        Server {
            addr,
            stop,
            task,
            in_flight,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many requests its handler is answering now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Stops accepting connections and tells every connection to close once its request in
    /// flight, if any, is answered. Idempotent; [`Server::shutdown_by`] waits for the rest.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops (see [`Server::stop`]) and waits until every connection has closed, or until
    /// `deadline`, when the rest are cut off.
    pub async fn shutdown_by(self, deadline: Instant) -> Drained {
        self.stop();
        let Ok(mut connections) = self.task.await else {
            return Drained::default();
        };
        let all_closed = tokio::time::timeout_at(deadline, async {
            while connections.join_next().await.is_some() {}
        })
        .await
        .is_ok();
        if all_closed {
            return Drained::default();
        }
        let cut_off = connections.len();
        connections.shutdown().await;
        Drained { cut_off }
    }
}

/// What every connection of one server shares.
struct Shared<H> {
    handler: Arc<H>,
    limits: Limits,
    in_flight: Arc<AtomicUsize>,
}

/// Accepts connections until told to stop, then hands back the ones still open.
async fn accept_loop<H: Handler>(
    listener: TcpListener,
    shared: Arc<Shared<H>>,
    mut stopped: watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut connections = JoinSet::new();
    let told = stopped.clone();
    loop {
        tokio::select! {
            // Stopping wins over a connection that arrives at the same moment.
            biased;
            _ = until_stopped(&mut stopped) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, shared.clone(), told.clone()));
                }
                // Out of file descriptors, say: wait instead of spinning on the error.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            // Reap finished connections so the set does not grow without end.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections
}

/// Serves one connection until it closes, or, once told to stop, until its request in flight
/// is answered.
async fn connection<H: Handler>(
    stream: TcpStream,
    shared: Arc<Shared<H>>,
    mut stopped: watch::Receiver<bool>,
) {
    // Answers are small and written at once: no reason to wait for an ACK before the next.
    let _ = stream.set_nodelay(true);
    let service = {
        let shared = shared.clone();
        service_fn(move |request| one_request(shared.clone(), request))
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.limits.header_read_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        // Errors are the client's (or an injected drop): nothing to tell anyone.
        _ = conn.as_mut() => return,
        // A dropped server stops its connections too.
        _ = until_stopped(&mut stopped) => {}
    }
    // Idle connections close now; a request in flight is answered first.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Returns once `stopped` turns true, or its server is gone.
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// One request: the in-flight cap, the body, then the handler.
async fn one_request<H: Handler>(
    shared: Arc<Shared<H>>,
    request: Request<Incoming>,
) -> Result<Reply, Close> {
    let limits = &shared.limits;
    let (head, body) = request.into_parts();
    let Some(_slot) = Slot::take(&shared.in_flight, limits.max_in_flight) else {
        let deadline = Instant::now() + body::DRAIN_BUSY.time;
        let read = body::read(&head, body, 0, body::DRAIN_BUSY, Some(deadline)).await;
        let reply = shared.handler.refuse(&head, Refusal::Busy, limits);
        let drained = matches!(read, Ok(_) | Err(Unread::TooLarge { drained: true }));
        return Ok(closing(reply, drained));
    };
    let deadline = limits.body_read_timeout.map(|t| Instant::now() + t);
    match body::read(
        &head,
        body,
        limits.max_body,
        body::DRAIN_TOO_LARGE,
        deadline,
    )
    .await
    {
        Ok(bytes) => {
            shared
                .handler
                .handle(Request::from_parts(head, bytes))
                .await
        }
        Err(Unread::TooLarge { drained }) => {
            let reply = shared.handler.refuse(&head, Refusal::TooLarge, limits);
            Ok(closing(reply, drained))
        }
        Err(Unread::Broken) => Err(Close),
    }
}

/// `reply`, with `Connection: close` unless the request's body was read to its end (the
/// connection cannot carry another request otherwise).
fn closing(mut reply: Reply, body_read: bool) -> Reply {
    if !body_read {
        reply
            .headers_mut()
            .insert(header::CONNECTION, "close".parse().expect("a token"));
    }
    reply
}

/// One place under the in-flight cap, given back when dropped.
struct Slot<'a>(&'a AtomicUsize);

impl<'a> Slot<'a> {
    /// A place, unless `max` are taken.
    fn take(in_flight: &'a AtomicUsize, max: Option<usize>) -> Option<Slot<'a>> {
        let before = in_flight.fetch_add(1, Ordering::AcqRel);
        if max.is_some_and(|max| before >= max) {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Slot(in_flight))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::http::text_reply;

    /// Answers after `delay`.
    struct Slow(Duration);

    impl Handler for Slow {
        async fn handle(&self, request: Request<Bytes>) -> Result<Reply, Close> {
            tokio::time::sleep(self.0).await;
            Ok(text_reply(hyper::StatusCode::OK, request.into_body()))
        }
    }

    async fn server(delay: Duration, max_in_flight: Option<usize>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let limits = Limits {
            max_body: 16,
            max_in_flight,
            header_read_timeout: None,
            body_read_timeout: None,
        };
        Server::start(listener, Arc::new(Slow(delay)), limits)
    }

    /// Sends `request` and reads one whole answer (its headers, then `content-length` bytes).
    async fn exchange(stream: &mut TcpStream, request: &[u8]) -> String {
        stream.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        loop {
            let text = String::from_utf8_lossy(&answer).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |n| n.parse().unwrap());
                if answer.len() >= end + 4 + length {
                    return text;
                }
            }
            let mut chunk = [0; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed after {text:?}");
            answer.extend_from_slice(&chunk[..n]);
        }
    }

    const POST: &[u8] = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi";

    #[tokio::test]
    async fn idle_connections_close_at_shutdown_and_requests_in_flight_finish() {
        let s = server(Duration::from_millis(300), None).await;
        let addr = s.addr();
        // A connection that never sent a byte, and one kept alive after a request.
        let mut idle = TcpStream::connect(addr).await.unwrap();
        let mut used = TcpStream::connect(addr).await.unwrap();
        assert!(exchange(&mut used, POST).await.ends_with("\r\n\r\nhi"));
        let mut busy = TcpStream::connect(addr).await.unwrap();
        busy.write_all(POST).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let drained = s.shutdown_by(Instant::now() + Duration::from_secs(5)).await;
        assert_eq!(drained, Drained { cut_off: 0 });
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        let mut answer = String::new();
        busy.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nhi"), "{answer}");
        for stream in [&mut idle, &mut used] {
            assert_eq!(stream.read(&mut [0; 16]).await.unwrap(), 0);
        }
        assert!(TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn the_deadline_cuts_off_what_graceful_shutdown_would_wait_for() {
        let s = server(Duration::from_secs(30), None).await;
        let addr = s.addr();
        // Half a request's headers, which hyper waits for; and a request its handler holds.
        let mut half = TcpStream::connect(addr).await.unwrap();
        half.write_all(b"POST / HTTP/1.1\r\nhost").await.unwrap();
        let mut held = TcpStream::connect(addr).await.unwrap();
        held.write_all(POST).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let deadline = Instant::now() + Duration::from_millis(300);
        let drained = tokio::time::timeout(Duration::from_secs(3), s.shutdown_by(deadline))
            .await
            .expect("the deadline ends the shutdown");
        let took = started.elapsed();
        assert_eq!(drained, Drained { cut_off: 2 });
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(2),
            "{took:?}"
        );
        for stream in [&mut half, &mut held] {
            let closed = stream.read(&mut [0; 16]).await;
            assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
        }
    }

    #[tokio::test]
    async fn beyond_the_cap_the_stack_answers_503_at_once_and_caps_bodies() {
        let s = server(Duration::from_millis(500), Some(1)).await;
        let addr = s.addr();
        let mut first = TcpStream::connect(addr).await.unwrap();
        first.write_all(POST).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(s.in_flight(), 1);
        let mut second = TcpStream::connect(addr).await.unwrap();
        let started = Instant::now();
        let answer = exchange(&mut second, POST).await;
        assert!(started.elapsed() < Duration::from_millis(300));
        assert!(
            answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{answer}"
        );
        assert!(answer.contains("retry-after: 1\r\n"), "{answer}");
        // Its body was read, so the connection stays usable.
        assert!(!answer.contains("connection: close"), "{answer}");
        let answer = exchange(&mut first, b"").await;
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        // 16 bytes are taken; 17 are not, whether declared or sent chunked.
        let sixteen = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 16\r\n\r\n0123456789abcdef";
        assert!(
            exchange(&mut first, sixteen)
                .await
                .starts_with("HTTP/1.1 200 OK")
        );
        let seventeen =
            b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 17\r\n\r\n0123456789abcdefg";
        let answer = exchange(&mut first, seventeen).await;
        assert!(
            answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
            "{answer}"
        );
        assert!(
            answer.ends_with("the request body is larger than 16 bytes\n"),
            "{answer}"
        );
        let chunked = b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n9\r\n012345678\r\n9\r\n9abcdefgh\r\n0\r\n\r\n";
        let mut third = TcpStream::connect(addr).await.unwrap();
        let answer = exchange(&mut third, chunked).await;
        assert!(
            answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
            "{answer}"
        );
        assert_eq!(s.in_flight(), 0);
    }
}
