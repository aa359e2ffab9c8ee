//! The per-core mode ([`ServerBuilder::workers`](crate::ServerBuilder::workers)): one thread per
//! worker, each with its own single-threaded tokio runtime and its own accept loop, as actix-web
//! runs. A connection lives and dies on the thread that accepted it: no work stealing, no wake-up
//! that crosses threads. Each worker has its own socket bound with `SO_REUSEPORT`, so the kernel
//! spreads connections among them; a socket handed over (`std`, a Unix socket, systemd's) is
//! shared instead, each worker accepting from the same queue.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use tokio::sync::{oneshot, watch};

use crate::serve::accept::Accept;
use crate::serve::listen::Bound;
use crate::serve::task::Serve;

/// Runs `workers` accept loops, one per thread, until `signal` completes (or a worker fails),
/// then shuts them all down gracefully and waits for them.
pub(crate) async fn run(
    accept: Accept,
    workers: usize,
    app: Arc<dyn Serve>,
    signal: Pin<Box<dyn Future<Output = ()> + Send + '_>>,
) -> io::Result<()> {
    let Accept { listeners, config, settings, protocols, slots } = accept;
    let mut sets = Vec::with_capacity(workers);
    for _ in 1..workers {
        sets.push(listeners.iter().map(Bound::another).collect::<io::Result<Vec<_>>>()?);
    }
    sets.push(listeners);

    // Dropped or set, it stops every worker (a failed spawn below drops it on the way out).
    let (stop, stopped) = watch::channel(false);
    let mut running = Vec::with_capacity(workers);
    for (i, listeners) in sets.into_iter().enumerate() {
        let accept = Accept {
            listeners,
            config: Arc::clone(&config),
            settings: settings.clone(),
            protocols: protocols.clone(),
            slots: Arc::clone(&slots),
        };
        let (app, mut stopped) = (Arc::clone(&app), stopped.clone());
        let (done, ended) = oneshot::channel();
        std::thread::Builder::new().name(format!("waymark-worker-{i}")).spawn(move || {
            let signal = Box::pin(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            });
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|runtime| runtime.block_on(accept.run(app, signal)));
            let _ = done.send(result);
        })?;
        running.push(ended);
    }

    let mut first = Ok(());
    tokio::select! {
        () = signal => {}
        // A worker that ends by itself failed (its sockets could not be registered): stop all.
        ended = poll_fn(|cx| {
            for (i, worker) in running.iter_mut().enumerate() {
                if let Poll::Ready(result) = Pin::new(worker).poll(cx) {
                    return Poll::Ready((i, result));
                }
            }
            Poll::Pending
        }) => {
            running.remove(ended.0);
            first = outcome(ended.1);
        }
    }
    let _ = stop.send(true);
    for worker in running {
        let result = outcome(worker.await);
        if first.is_ok() {
            first = result;
        }
    }
    first
}

/// A worker's result; a worker whose thread panicked never sent one.
fn outcome(ended: Result<io::Result<()>, oneshot::error::RecvError>) -> io::Result<()> {
    ended.unwrap_or_else(|_| Err(io::Error::other("a server worker thread panicked")))
}
