//! The server's shutdown signal: sent once by the accept loop, seen by every connection.
//!
//! A keep-alive connection waits for its next request, or for the shutdown, between every two
//! requests. A wait that registers with the signal when it starts and leaves when it ends (as
//! `watch::Receiver::changed` does) takes a lock, a list insertion and a removal per request:
//! about a tenth of the instructions a keep-alive request costs (BENCHMARKS.md).
//! Here a connection registers once, on its first idle wait, and stays registered for its life,
//! so each later wait is one poll of a waiter already in place. The waiter is a tokio `Notify`'s
//! (64 bytes, boxed once per connection).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;

#[derive(Default)]
struct Inner {
    sent: AtomicBool,
    /// In its own `Arc`: an `OwnedNotified` holds one.
    notify: Arc<Notify>,
}

/// The sending side, held by the accept loop (or by `serve_connection`, which never sends).
#[derive(Default)]
pub(crate) struct Signal(Arc<Inner>);

impl Signal {
    /// Tells every connection, now and later, that the server is shutting down.
    pub(crate) fn send(&self) {
        // SeqCst here and in the check after a waiter's creation: either that check sees the
        // flag, or the waiter existed before `notify_waiters` and is woken by it.
        self.0.sent.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// A connection's view of the signal.
    pub(crate) fn subscribe(&self) -> Shutdown {
        Shutdown { inner: Arc::clone(&self.0), wait: None }
    }
}

/// A connection's view of the shutdown signal.
pub(crate) struct Shutdown {
    inner: Arc<Inner>,
    /// The registered wait, made on the first call to [`Shutdown::poll_signalled`].
    wait: Option<Pin<Box<OwnedNotified>>>,
}

impl Shutdown {
    /// Whether the server is shutting down: one atomic load.
    #[inline]
    pub(crate) fn is_signalled(&self) -> bool {
        self.inner.sent.load(Ordering::Acquire)
    }

    /// Ready once the server shuts down; until then the task is woken when it does.
    pub(crate) fn poll_signalled(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_signalled() {
            return Poll::Ready(());
        }
        let wait = match &mut self.wait {
            Some(wait) => wait,
            slot @ None => {
                let wait = slot.insert(Box::pin(Arc::clone(&self.inner.notify).notified_owned()));
                // A `Notified` receives `notify_waiters` from its creation on, so a signal sent
                // between the check above and the creation is caught by this one.
                if self.inner.sent.load(Ordering::SeqCst) {
                    return Poll::Ready(());
                }
                wait
            }
        };
        wait.as_mut().poll(cx)
    }

    /// [`Shutdown::poll_signalled`] as a future, for `select!`.
    pub(crate) fn signalled(&mut self) -> impl Future<Output = ()> + '_ {
        poll_fn(|cx| self.poll_signalled(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_wait_stays_registered_and_completes_on_the_signal() {
        let signal = Signal::default();
        let mut shutdown = signal.subscribe();
        for _ in 0..3 {
            // Each wait times out; the registration stays for the next one.
            assert!(tokio::time::timeout(Duration::from_millis(5), shutdown.signalled()).await.is_err());
            assert!(!shutdown.is_signalled());
        }
        signal.send();
        tokio::time::timeout(Duration::from_secs(5), shutdown.signalled()).await.unwrap();
        assert!(shutdown.is_signalled());
        // Waiting again after the signal answers at once.
        shutdown.signalled().await;
    }

    #[tokio::test]
    async fn a_signal_sent_before_the_first_wait_or_the_subscription_is_seen() {
        let signal = Signal::default();
        let mut early = signal.subscribe();
        signal.send();
        let mut late = signal.subscribe();
        for shutdown in [&mut early, &mut late] {
            assert!(shutdown.is_signalled());
            tokio::time::timeout(Duration::from_secs(5), shutdown.signalled()).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_waiting_task_is_woken_by_the_signal() {
        let signal = Signal::default();
        let mut shutdown = signal.subscribe();
        let waiter = tokio::spawn(async move { shutdown.signalled().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        signal.send();
        tokio::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap();
    }
}
