//! The accept loop's side of the connection slots (`proto::pressure` is the connections'): the
//! slots are made with the limit, and a new connection at the limit gets its slot by closing
//! the oldest idle keep-alive connection, not by waiting for a slow client to time out.

use std::sync::Arc;

use tokio::sync::{AcquireError, OwnedSemaphorePermit};

use crate::proto::config::Config;
use crate::proto::pressure::Pressure;

/// Makes the slots for `max` connections and hands them to every connection through `config`.
pub(crate) fn install(config: &mut Config, max: usize) -> Arc<Pressure> {
    let pressure = Arc::new(Pressure::new(max, config.relief));
    config.pressure = Arc::clone(&pressure);
    pressure
}

/// A slot for a connection just accepted: at once while one is free; at the limit, the oldest
/// idle keep-alive connection is asked to close (or the first to have been idle a second, if
/// none has), and the slot is the first to free up, that one's or another's. Asked only with a
/// connection in hand, so no idle connection closes ahead of need.
///
/// Then, if the pressure rose into a higher eighth of its range, every head, body and blocked
/// write in progress rescales its clock (`Pressure::announce`).
pub(crate) async fn slot(pressure: &Pressure) -> Result<OwnedSemaphorePermit, AcquireError> {
    let permit = match Arc::clone(&pressure.slots).try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            pressure.make_room();
            let permit = Arc::clone(&pressure.slots).acquire_owned().await;
            pressure.room_made();
            permit?
        }
    };
    pressure.announce();
    Ok(permit)
}
