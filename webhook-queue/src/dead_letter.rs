//! Dead letters: entries that ran out of attempts, kept with their last error for inspection and
//! replay.

use std::time::SystemTime;

use crate::Delivery;

/// An entry that failed `attempts` times, as kept in the dead-letter stream.
///
/// List them with [`Queue::dead_letters`](crate::Queue::dead_letters), put one back with
/// [`Queue::replay`](crate::Queue::replay) once the handler is fixed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The dead letter's id (its id in the dead-letter stream).
    pub id: String,
    /// The id the entry had in the queue when it died.
    pub entry_id: String,
    /// The delivery, body as received.
    pub delivery: Delivery,
    /// How many attempts were made.
    pub attempts: u32,
    /// The error of the last attempt.
    pub last_error: String,
    /// When it was dead-lettered.
    pub died_at: SystemTime,
}
