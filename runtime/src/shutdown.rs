//! The server's shutdown signal as one connection sees it.
//!
//! A keep-alive connection waits for its next request, or for the shutdown, between every two
//! requests. `watch::Receiver::changed` registers a waiter with the channel when it is first
//! polled and removes it when dropped: a lock, a list insertion and a removal per request, about
//! a tenth of the instructions a keep-alive request costs (BENCHMARKS.md, issue 9 run 8). Here the
//! wait is made once, on the connection's first idle wait, and stays registered for the
//! connection's life, so each later wait is one poll of a waiter already in place.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::watch;

/// A connection's view of the shutdown signal (sent once, never taken back).
pub(crate) struct Shutdown {
    rx: watch::Receiver<bool>,
    /// The registered wait, made on the first call to [`Shutdown::poll_signalled`].
    wait: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Shutdown {
    pub(crate) fn new(rx: watch::Receiver<bool>) -> Self {
        Self { rx, wait: None }
    }

    /// Whether the server is shutting down (or its signal is gone): one atomic load.
    pub(crate) fn is_signalled(&self) -> bool {
        self.rx.has_changed().unwrap_or(true)
    }

    /// Ready once the server shuts down; until then the task is woken when it does.
    pub(crate) fn poll_signalled(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // Checked first, so the wait is never polled again once it has completed.
        if self.is_signalled() {
            return Poll::Ready(());
        }
        let rx = &self.rx;
        let wait = self.wait.get_or_insert_with(|| {
            // The clone has seen what `rx` has seen, so a signal sent since the check above
            // completes the wait at once.
            let mut rx = rx.clone();
            Box::pin(async move {
                let _ = rx.changed().await;
            })
        });
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
        let (tx, rx) = watch::channel(false);
        let mut shutdown = Shutdown::new(rx);
        for _ in 0..3 {
            // Each wait times out; the registration stays for the next one.
            assert!(tokio::time::timeout(Duration::from_millis(5), shutdown.signalled()).await.is_err());
            assert!(!shutdown.is_signalled());
        }
        tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), shutdown.signalled()).await.unwrap();
        assert!(shutdown.is_signalled());
        // Polling again after completion answers at once, without polling the finished wait.
        shutdown.signalled().await;
    }

    #[tokio::test]
    async fn a_signal_sent_before_the_first_wait_is_seen() {
        let (tx, rx) = watch::channel(false);
        let mut shutdown = Shutdown::new(rx);
        tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), shutdown.signalled()).await.unwrap();
    }

    #[tokio::test]
    async fn a_dropped_sender_counts_as_the_signal() {
        let (tx, rx) = watch::channel(false);
        let mut shutdown = Shutdown::new(rx);
        assert!(tokio::time::timeout(Duration::from_millis(5), shutdown.signalled()).await.is_err());
        drop(tx);
        tokio::time::timeout(Duration::from_secs(5), shutdown.signalled()).await.unwrap();
        assert!(shutdown.is_signalled());
    }
}
