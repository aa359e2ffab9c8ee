//! How slow a transfer may be: a request head or body the client sends, a response it takes.
//!
//! Two rules, one clock ([`RateClock`]) per transfer, computed from counters:
//!
//! - **A deadline.** The transfer's timeout from its start, plus a second per [`RATE`] bytes
//!   moved since (for bodies and responses): a large upload or download at a reasonable rate is
//!   never cut, while a client trickling bytes is, at the latest when the deadline passes.
//! - **A minimum rate** ([`MinRate`], Apache's `mod_reqtimeout` `MinRate`): over each window of
//!   [`MinRate::window`], at least [`MinRate::bytes_per_sec`] per second must move, or the
//!   transfer is cut at the window's end, long before its deadline. A slow-loris client that
//!   sends a byte every few seconds loses its connection within one window.
//!
//! Nothing here reads the clock or arms a timer per read: a read adds to two counters, and the
//! connection's one timer is set to [`RateClock::deadline`], which changes once per window.
//! Only when that timer fires, with the transfer still waiting, is the clock read and the window
//! judged ([`RateClock::expired`]). Under pressure (`proto::pressure`) the window shrinks (to a
//! quarter of the timeouts' floor), and so does a head's deadline; a clock already running is
//! rescaled when the pressure rises ([`RateClock::rescale`]).

use std::time::Duration;

use tokio::time::Instant;

use crate::proto::pressure::Pressure;

/// The rate past which a body or a response never meets its deadline: each `RATE` bytes moved
/// earn one more second. 8 KiB/s: a slow but steady mobile upload (20 KiB/s) goes on for as long
/// as it needs; a client between the minimum rate and this one gets a few times the timeout.
pub(crate) const RATE: u64 = 8 * 1024;

/// Default minimum rate of a request head, a request body and a response: 500 bytes per second,
/// over windows of [`DEFAULT_MIN_RATE_WINDOW`].
///
/// Apache's default (`mod_reqtimeout`, `MinRate=500`). A phone on a poor 2G link moves 5 KB/s, ten
/// times more; a slow mobile upload at 20 KiB/s is forty times above it; a server-sent event
/// stream is never measured, as its writes complete at once (only a write the client does not
/// take is timed). slowhttptest's slow-loris, slow-body and slow-read attacks move 5 to 30 bytes
/// a second and are cut at the end of their first full window.
pub const DEFAULT_MIN_RATE: u32 = 500;

/// Default window over which the minimum rate is measured: 5 s. Long enough that a stall of a
/// second or two (a mobile hand-over, a lost packet's retransmit timeout) does not cut an honest
/// client, as the window's bytes are counted together; short enough to cut a trickle five times
/// sooner than the 30 s body and send timeouts. Under pressure it shrinks, down to a quarter of
/// the timeouts' floor (250 ms) with every slot taken: then a client must keep moving, 125 bytes
/// every quarter second, or give its slot to one of those waiting.
pub const DEFAULT_MIN_RATE_WINDOW: Duration = Duration::from_secs(5);

/// How many windows' worth of bytes beyond its due a window may pass on to the next ones.
const CARRY_WINDOWS: u64 = 4;

/// A minimum transfer rate: at least `bytes_per_sec` on average over each `window`.
///
/// ```
/// use std::time::Duration;
/// use waymark_runtime::MinRate;
///
/// // Cut a client that moves less than 1 KB/s over 10 s; the default is 500 B/s over 5 s.
/// let rate = MinRate { bytes_per_sec: 1000, window: Duration::from_secs(10) };
/// assert!(!rate.is_off());
/// assert!(MinRate::OFF.is_off());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinRate {
    /// Bytes per second, on average over a window; 0 turns the rule off.
    pub bytes_per_sec: u32,
    /// The window; zero turns the rule off.
    pub window: Duration,
}

impl MinRate {
    /// No minimum rate: only the deadlines apply.
    pub const OFF: MinRate = MinRate { bytes_per_sec: 0, window: Duration::ZERO };

    /// Whether the rule is off.
    pub fn is_off(&self) -> bool {
        self.bytes_per_sec == 0 || self.window.is_zero()
    }
}

impl Default for MinRate {
    fn default() -> Self {
        MinRate { bytes_per_sec: DEFAULT_MIN_RATE, window: DEFAULT_MIN_RATE_WINDOW }
    }
}

/// The deadline of one transfer that may be slow but must go on: see the module.
#[derive(Debug)]
pub(crate) struct RateClock {
    began: Instant,
    /// The timeout as configured; whether the pressure shrinks it (a head's, not a body's).
    timeout: Duration,
    pressed_timeout: bool,
    /// The deadline with nothing moved, as the pressure has it.
    until: Instant,
    /// Whether each [`RATE`] bytes moved push the deadline a second further.
    extends: bool,
    moved: u64,
    /// The minimum rate as configured (`bytes_per_sec` 0: none), and its window as the pressure
    /// has it.
    min: MinRate,
    window: Duration,
    window_start: Instant,
    window_moved: u64,
}

impl RateClock {
    /// A request head, from now: it must end within `timeout` whatever it moves, and move at
    /// least the minimum rate; under pressure both shrink.
    pub(crate) fn head(timeout: Duration, min: MinRate, pressure: &Pressure) -> Self {
        let mut clock = Self::starting(Instant::now(), timeout, true, false, min);
        clock.rescale(pressure);
        clock
    }

    /// A body or a response, from now: `timeout` plus a second per [`RATE`] bytes moved, at the
    /// minimum rate, whose window shrinks under pressure.
    pub(crate) fn transfer(timeout: Duration, min: MinRate, pressure: &Pressure) -> Self {
        let mut clock = Self::starting(Instant::now(), timeout, false, true, min);
        clock.rescale(pressure);
        clock
    }

    /// A fixed deadline and nothing else.
    pub(crate) fn fixed(until: Instant) -> Self {
        let now = Instant::now();
        Self::starting(now, until.saturating_duration_since(now), false, false, MinRate::OFF)
    }

    fn starting(now: Instant, timeout: Duration, pressed_timeout: bool, extends: bool, min: MinRate) -> Self {
        let min = if min.is_off() { MinRate::OFF } else { min };
        Self {
            began: now,
            timeout,
            pressed_timeout,
            until: now + timeout,
            extends,
            moved: 0,
            min,
            window: min.window,
            window_start: now,
            window_moved: 0,
        }
    }

    /// The pressure changed: the deadline (a head's) and the window as it has them now, counted
    /// from the transfer's start and the window's. A clock past its new deadline is cut when
    /// its timer fires, at once.
    pub(crate) fn rescale(&mut self, pressure: &Pressure) {
        if self.pressed_timeout {
            self.until = self.began + pressure.scale(self.timeout);
        }
        if self.min.bytes_per_sec > 0 {
            self.window = pressure.scale_window(self.min.window);
        }
    }

    /// When the connection's timer must next wake: the deadline, or the window's end.
    pub(crate) fn deadline(&self) -> Instant {
        let deadline = self.hard_deadline();
        if self.min.bytes_per_sec == 0 { deadline } else { deadline.min(self.window_start + self.window) }
    }

    fn hard_deadline(&self) -> Instant {
        if self.extends { self.until + Duration::from_secs(self.moved / RATE) } else { self.until }
    }

    /// Lets the first window pass with nothing moved: a body the client sends only after our
    /// `100 Continue`, a round trip later.
    pub(crate) fn first_window_free(&mut self) {
        let window_ms = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        self.window_moved += u64::from(self.min.bytes_per_sec).saturating_mul(window_ms) / 1000;
    }

    /// Counts bytes moved: two additions, no clock.
    #[inline]
    pub(crate) fn moved(&mut self, n: usize) {
        self.moved += n as u64;
        self.window_moved += n as u64;
    }

    /// Starts a new window at `now`, keeping what the current one moved: the time before it
    /// was not the client's (the body's reader had not taken the last piece, so the client could
    /// not send more).
    pub(crate) fn restart_window(&mut self, now: Instant) {
        self.window_start = now;
    }

    /// The timer set to [`deadline`](Self::deadline) fired at `now` with the transfer still
    /// waiting: whether to cut it. A window that moved enough starts the next one.
    pub(crate) fn expired(&mut self, now: Instant) -> bool {
        if now >= self.hard_deadline() {
            return true;
        }
        if self.min.bytes_per_sec == 0 || now < self.window_start + self.window {
            return false; // an early wake-up
        }
        // Bytes over the time the window really lasted (reads that kept completing can carry it
        // past its end), in milliseconds to keep it exact for short windows.
        let elapsed_ms = u64::try_from(now.duration_since(self.window_start).as_millis()).unwrap_or(u64::MAX);
        let rate = u64::from(self.min.bytes_per_sec);
        let need = rate.saturating_mul(elapsed_ms) / 1000;
        if self.window_moved < need {
            return true;
        }
        // What a window moved beyond its due counts in the next ones, up to [`CARRY_WINDOWS`]
        // windows' worth: a client whose bytes come in bursts (a round trip apart, on a slow
        // link) is judged on its average, not on an empty window between two bursts.
        let window_ms = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        let cap = rate.saturating_mul(window_ms).saturating_mul(CARRY_WINDOWS) / 1000;
        self.window_moved = (self.window_moved - need).min(cap);
        self.window_start = now;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: MinRate = MinRate { bytes_per_sec: 500, window: Duration::from_secs(5) };

    #[test]
    fn a_trickle_is_cut_at_the_end_of_its_window() {
        let start = Instant::now();
        let mut clock = RateClock::starting(start, Duration::from_secs(30), false, true, MIN);
        assert_eq!(clock.deadline(), start + MIN.window);
        clock.moved(30); // slowhttptest: a few bytes every few seconds
        assert!(!clock.expired(start + Duration::from_secs(4)), "an early wake-up is not a cut");
        assert!(clock.expired(start + MIN.window));
    }

    #[test]
    fn a_steady_slow_transfer_goes_on_window_after_window() {
        let start = Instant::now();
        let mut clock = RateClock::starting(start, Duration::from_secs(30), false, true, MIN);
        // 20 KiB/s for five minutes: far past the 30 s timeout, extended by the bytes moved.
        for second in 1..=300u64 {
            clock.moved(20 * 1024);
            let now = start + Duration::from_secs(second);
            if now >= clock.deadline() {
                assert!(!clock.expired(now), "cut at {second} s");
            }
        }
        // Then it stops: cut once its carried credit is spent, within a few windows.
        let stop = start + Duration::from_mins(5);
        let mut now = stop;
        while !clock.expired(now) {
            now = clock.deadline();
            assert!(
                now <= stop + MIN.window * (u32::try_from(CARRY_WINDOWS).expect("small") + 2),
                "not cut by {:?}",
                now - stop
            );
        }
    }

    #[test]
    fn bursts_a_round_trip_apart_are_judged_on_their_average() {
        // A 250 ms window (under full pressure) and a client whose 6 KiB bursts come 600 ms
        // apart (20 KiB/s over a long round trip): two empty windows in a row, never cut.
        let min = MinRate { bytes_per_sec: 500, window: Duration::from_millis(250) };
        let start = Instant::now();
        let mut clock = RateClock::starting(start, Duration::from_secs(30), false, true, min);
        for step in 1..=40u32 {
            if step % 12 == 1 {
                clock.moved(6 * 1024);
            }
            let now = start + Duration::from_millis(50) * step;
            if now >= clock.deadline() {
                assert!(!clock.expired(now), "cut at {:?}", now - start);
            }
        }
        // A trickle of 10 bytes per window is cut once the credit is spent.
        let mut cut = false;
        for _ in 0..40 {
            clock.moved(10);
            let now = clock.deadline();
            if clock.expired(now) {
                cut = true;
                break;
            }
        }
        assert!(cut);
    }

    #[test]
    fn without_a_minimum_rate_only_the_deadline_cuts() {
        let start = Instant::now();
        let mut clock = RateClock::starting(start, Duration::from_secs(30), false, true, MinRate::OFF);
        assert_eq!(clock.deadline(), start + Duration::from_secs(30));
        clock.moved(2 * usize::try_from(RATE).expect("small"));
        assert_eq!(clock.deadline(), start + Duration::from_secs(32));
        assert!(!clock.expired(start + Duration::from_secs(31)));
        assert!(clock.expired(start + Duration::from_secs(32)));
    }

    #[test]
    fn a_head_keeps_its_deadline_whatever_it_moves() {
        let start = Instant::now();
        let mut clock = RateClock::starting(start, Duration::from_secs(3), true, false, MIN);
        clock.moved(usize::try_from(RATE).expect("small") * 4);
        assert_eq!(clock.deadline(), start + Duration::from_secs(3));
        assert!(clock.expired(start + Duration::from_secs(3)));
    }
}
