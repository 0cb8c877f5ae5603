//! [`WatchError`]: what ends a wait for an event.

use super::checkpoint::CheckpointError;
use crate::Error;

/// Why [`Watcher::start`](super::WatcherBuilder::start), [`Watcher::next_event`](super::Watcher::next_event)
/// or [`Watcher::close`](super::Watcher::close) failed.
///
/// `next_event` returns only the errors that need someone to act (see the
/// [module docs](super#errors)); transient ones are retried with backoff and seen through
/// [`Watcher::last_error`](super::Watcher::last_error) and `tracing`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// Reading the source failed.
    #[error(transparent)]
    Source(#[from] Error),
    /// Loading or saving the checkpoint failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

impl WatchError {
    /// The source's error, if this is one.
    pub fn source_error(&self) -> Option<&Error> {
        match self {
            WatchError::Source(e) => Some(e),
            WatchError::Checkpoint(_) => None,
        }
    }

    /// The checkpoint store's error, if this is one.
    pub fn checkpoint_error(&self) -> Option<&CheckpointError> {
        match self {
            WatchError::Checkpoint(e) => Some(e),
            WatchError::Source(_) => None,
        }
    }

    /// Whether another watcher saved the same checkpoint in between: this watcher has been
    /// superseded, and every later call fails the same way.
    pub fn is_conflict(&self) -> bool {
        matches!(self, WatchError::Checkpoint(e) if e.is_conflict())
    }
}
