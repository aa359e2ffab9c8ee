//! The server's connection slots as every connection sees them: how full they are, and the call
//! that closes an idle keep-alive connection to make room for a new one.
//!
//! Two policies, as Envoy's overload manager (`reduce_timeouts`) and nginx (idle keep-alive
//! connections are closed first when `worker_connections` run out) have them:
//!
//! - **Pressure-aware timeouts** ([`Pressure::scale`]): past [`Relief::from_percent`] of the
//!   slots in use, the header and keep-alive timeouts shrink in proportion, down to
//!   [`Relief::floor`] when every slot is taken (and the minimum rate's window down to a
//!   quarter of it). Each wait computes its timeout when it starts, so they grow back as soon
//!   as the pressure falls; heads, bodies and blocked writes in progress are told when it rises
//!   by an eighth of its range ([`Pressure::announce`]) and shrink too, as Envoy's scaled
//!   timers do. An idle keep-alive connection keeps the timeout it started with: at the limit
//!   it makes room instead.
//! - **Idle first** ([`Pressure::make_room`]): at the limit, the accept loop asks for room, and
//!   the connection that has waited idle the longest between two requests closes. Idle
//!   connections queue on one `Notify`, whose `notify_one` wakes them in FIFO order. A
//!   connection joins the queue once it has been idle a second (when it releases its buffers
//!   anyway), so the queue is in the order they went idle and a busy connection pays nothing.
//!   A connection with a request in flight, or that has not sent its first request, is never
//!   in the queue. At the limit with no connection idle that long, the first to get there
//!   closes.
//!
//! The accept loop owns the slots (a semaphore, here so that reading the pressure is one atomic
//! load of its permits); the connections only read them. Without an accept loop
//! (`serve_connection`) there is no pressure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

/// Default share of `max_connections` in use past which timeouts shrink: 75 %.
///
/// Below it the server is busy, not attacked, and the documented timeouts hold; above it
/// every slot a slow client holds is one a new client waits for in the listen backlog.
pub const DEFAULT_PRESSURE_FROM_PERCENT: u8 = 75;

/// Default floor the header and keep-alive timeouts shrink to when every slot is taken: 1 s.
///
/// A real client sends its request head within a round trip of connecting (tens of
/// milliseconds; a second on the worst mobile link), and a keep-alive connection that waits
/// longer is cheaper to reopen than to keep while others queue for its slot.
pub const DEFAULT_TIMEOUT_FLOOR: Duration = Duration::from_secs(1);

/// How timeouts shrink under pressure: from which share of the slots, and down to what.
///
/// ```
/// use std::time::Duration;
/// use waymark_runtime::Relief;
///
/// let relief = Relief { from_percent: 50, floor: Duration::from_millis(500) };
/// assert_eq!(Relief::default().from_percent, 75);
/// # let _ = relief;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relief {
    /// Share of `max_connections` in use, in percent, past which timeouts start to shrink.
    pub from_percent: u8,
    /// What they shrink to when every slot is taken (a timeout already shorter is kept).
    pub floor: Duration,
}

impl Default for Relief {
    fn default() -> Self {
        Relief { from_percent: DEFAULT_PRESSURE_FROM_PERCENT, floor: DEFAULT_TIMEOUT_FLOOR }
    }
}

/// The slots and the idle queue, shared by the accept loop and its connections.
#[derive(Debug)]
pub(crate) struct Pressure {
    /// One permit per connection slot; the accept loop takes one per connection.
    pub(crate) slots: Arc<Semaphore>,
    /// Free slots below which the server is under pressure; 0: never.
    below: usize,
    floor: Duration,
    /// Idle keep-alive connections that may be closed to make room, oldest first.
    idle: Notify,
    /// The accept loop waits for a slot: the next idle connection woken closes.
    room_wanted: AtomicBool,
    /// How far into the pressure the slots are, in eighths (0: none), as last announced.
    level: AtomicU8,
    /// Every head, body and blocked write in progress, told when the level rises.
    rescaled: Notify,
}

impl Pressure {
    /// No accept loop, no pressure: timeouts never shrink, nothing waits for room.
    pub(crate) fn none() -> Self {
        Self::new(0, None)
    }

    /// `max` slots, relieved past `relief` (`None`: timeouts never shrink, but idle
    /// connections still make room at the limit).
    pub(crate) fn new(max: usize, relief: Option<Relief>) -> Self {
        let max = max.min(Semaphore::MAX_PERMITS);
        let (below, floor) = match relief {
            Some(relief) => {
                let from = max * usize::from(relief.from_percent.min(100)) / 100;
                (max - from, relief.floor)
            }
            None => (0, Duration::ZERO),
        };
        Self {
            slots: Arc::new(Semaphore::new(max)),
            below,
            floor,
            idle: Notify::new(),
            room_wanted: AtomicBool::new(false),
            level: AtomicU8::new(0),
            rescaled: Notify::new(),
        }
    }

    /// Whether past the share of slots where timeouts shrink.
    #[cfg(test)]
    fn is_pressed(&self) -> bool {
        self.slots.available_permits() < self.below
    }

    /// `timeout` as the pressure has it now: as is below the threshold (one atomic load), then
    /// shrinking linearly to the floor as the free slots go from the threshold to none.
    #[inline]
    pub(crate) fn scale(&self, timeout: Duration) -> Duration {
        let free = self.slots.available_permits();
        if free >= self.below { timeout } else { self.shrink(timeout, free, self.floor) }
    }

    /// A minimum rate's window as the pressure has it: as [`scale`](Self::scale), down to a
    /// quarter of the floor.
    pub(crate) fn scale_window(&self, window: Duration) -> Duration {
        let free = self.slots.available_permits();
        if free >= self.below { window } else { self.shrink(window, free, self.floor / 4) }
    }

    #[cold]
    fn shrink(&self, timeout: Duration, free: usize, floor: Duration) -> Duration {
        if timeout <= floor {
            return timeout;
        }
        // free / below of the way from the floor back to the full timeout.
        let span = timeout.saturating_sub(floor).as_nanos();
        let kept = span * free as u128 / self.below as u128;
        floor + Duration::from_nanos(u64::try_from(kept).unwrap_or(u64::MAX))
    }

    /// After the accept loop took a slot: when the pressure rose into a higher eighth of its
    /// range since the last slot was taken, tells every clock in progress to rescale. One atomic load
    /// below the threshold.
    pub(crate) fn announce(&self) {
        let free = self.slots.available_permits();
        if free >= self.below {
            if self.level.load(Ordering::Relaxed) != 0 {
                self.level.store(0, Ordering::Relaxed);
            }
            return;
        }
        let level = u8::try_from((self.below - free) * 8 / self.below + 1).unwrap_or(u8::MAX);
        if self.level.swap(level, Ordering::Relaxed) < level {
            self.rescaled.notify_waiters();
        }
    }

    /// Ready when the pressure rose (see [`announce`](Self::announce)); a wait that started
    /// before the announcement sees it, polled or not.
    pub(crate) fn rescaled(&self) -> tokio::sync::futures::Notified<'_> {
        self.rescaled.notified()
    }

    /// The accept loop found no free slot: the oldest idle keep-alive connection closes (now, or
    /// the next to go idle if none is). [`Pressure::room_made`] withdraws the request.
    pub(crate) fn make_room(&self) {
        self.room_wanted.store(true, Ordering::Release);
        self.idle.notify_one();
    }

    /// The accept loop has its slot.
    pub(crate) fn room_made(&self) {
        self.room_wanted.store(false, Ordering::Release);
    }

    /// An idle connection's place in the queue; it is woken, oldest first, when room is wanted.
    pub(crate) fn idle_turn(&self) -> tokio::sync::futures::Notified<'_> {
        self.idle.notified()
    }

    /// An idle connection woken in its turn: whether it is to close (room is still wanted, and
    /// no other connection took the request first).
    pub(crate) fn take_room(&self) -> bool {
        self.room_wanted.swap(false, Ordering::AcqRel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_shrink_past_the_threshold_to_the_floor() {
        let pressure = Pressure::new(100, Some(Relief::default()));
        let keep_alive = Duration::from_secs(75);
        let take = |n| pressure.slots.try_acquire_many(n).expect("permits").forget();
        take(75);
        assert!(!pressure.is_pressed());
        assert_eq!(pressure.scale(keep_alive), keep_alive, "at 75 %: as is");
        take(1);
        assert!(pressure.is_pressed());
        let at_76 = pressure.scale(keep_alive);
        assert!(at_76 < keep_alive && at_76 > Duration::from_secs(70), "{at_76:?}");
        take(12);
        let at_88 = pressure.scale(keep_alive);
        assert_eq!(at_88, Duration::from_secs(1) + Duration::from_secs(74) * 12 / 25);
        take(12);
        assert_eq!(pressure.scale(keep_alive), Duration::from_secs(1), "full: the floor");
        assert_eq!(pressure.scale(Duration::from_millis(300)), Duration::from_millis(300), "shorter is kept");
        // And back, as connections close.
        pressure.slots.add_permits(25);
        assert_eq!(pressure.scale(keep_alive), keep_alive);
    }

    #[test]
    fn without_relief_or_accept_loop_nothing_shrinks() {
        for pressure in [Pressure::new(10, None), Pressure::none()] {
            let all = u32::try_from(pressure.slots.available_permits()).expect("a few permits");
            let _ = pressure.slots.try_acquire_many(all).map(tokio::sync::SemaphorePermit::forget);
            assert!(!pressure.is_pressed());
            assert_eq!(pressure.scale(Duration::from_secs(75)), Duration::from_secs(75));
        }
    }

    fn pending(f: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>) -> bool {
        use std::future::Future;
        f.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())).is_pending()
    }

    #[tokio::test]
    async fn clocks_in_progress_are_told_when_the_pressure_rises() {
        let pressure = Pressure::new(8, Some(Relief { from_percent: 50, floor: Duration::from_secs(1) }));
        let mut told = std::pin::pin!(pressure.rescaled());
        told.as_mut().enable();
        let take = |n| pressure.slots.try_acquire_many(n).expect("permits").forget();
        take(4);
        pressure.announce();
        assert!(pending(told.as_mut()), "told below the threshold");
        take(1);
        pressure.announce();
        told.await;
        // The same level again: no one is told.
        let mut again = std::pin::pin!(pressure.rescaled());
        again.as_mut().enable();
        pressure.announce();
        assert!(pending(again.as_mut()));
        assert_eq!(
            pressure.scale_window(Duration::from_secs(5)),
            Duration::from_millis(250) + Duration::from_millis(4750) * 3 / 4
        );
    }

    #[tokio::test]
    async fn room_is_made_by_the_oldest_idle_connection_once() {
        let pressure = Pressure::new(4, None);
        let mut first = std::pin::pin!(pressure.idle_turn());
        let mut second = std::pin::pin!(pressure.idle_turn());
        first.as_mut().enable();
        second.as_mut().enable();
        pressure.make_room();
        first.await;
        assert!(pressure.take_room());
        assert!(!pressure.take_room(), "one connection closes per request");
        pressure.room_made();
        pressure.make_room();
        second.await;
        pressure.room_made();
        assert!(!pressure.take_room(), "withdrawn: the woken connection stays");
    }
}
