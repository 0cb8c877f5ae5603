//! Where a watcher keeps its checkpoint: the narrow [`CheckpointStore`] trait, with
//! optimistic concurrency, and [`MemoryCheckpointStore`].

use std::fmt;
use std::sync::Mutex;

/// The version of a stored checkpoint, for optimistic concurrency: each successful save
/// returns a new one, and a save must name the version it replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u64);

impl Version {
    /// A version of your store's own numbering (a row version, an etag's counter).
    pub fn new(n: u64) -> Self {
        Version(n)
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The version after this one (how [`FileCheckpointStore`](super::FileCheckpointStore)
    /// and [`MemoryCheckpointStore`] number their saves: 1, 2, 3, ...).
    pub fn next(self) -> Self {
        Version(self.0.wrapping_add(1))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A stored checkpoint: its bytes and its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    /// The version the store gave the bytes when they were saved.
    pub version: Version,
    /// What was saved.
    pub bytes: Vec<u8>,
}

/// Why a checkpoint could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A save named a version that is not the stored one: another writer saved in between
    /// (another watcher on the same checkpoint). The stored checkpoint is unchanged.
    #[error(
        "checkpoint conflict: the save expected version {}, the store holds {}",
        show(.expected),
        show(.current)
    )]
    Conflict {
        /// The version the save expected (`None`: that there was no checkpoint).
        expected: Option<Version>,
        /// The version the store holds (`None`: none), when the store knows it.
        current: Option<Version>,
    },
    /// The stored checkpoint cannot be read: a damaged file, bytes that are not a
    /// checkpoint. Nothing was changed.
    #[error("checkpoint {location} is corrupt: {reason}")]
    Corrupt {
        /// Where it is (a path, a key).
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The checkpoint was written by a newer release of this crate, or for another source
    /// (a Graph watcher's checkpoint given to a FraudEvents watcher): nothing was changed.
    #[error("checkpoint {location} cannot be used: {reason}")]
    Incompatible {
        /// Where it is.
        location: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The store could not be read or written (a full disk, a permission, a network
    /// failure). Trying again later may succeed.
    #[error("checkpoint {location}: {source}")]
    Io {
        /// Where it is.
        location: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Any other failure of a store of your own.
    #[error("checkpoint store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn show(v: &Option<Version>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

impl CheckpointError {
    /// Whether another writer saved in between ([`CheckpointError::Conflict`]).
    pub fn is_conflict(&self) -> bool {
        matches!(self, CheckpointError::Conflict { .. })
    }

    /// Whether trying again later may succeed: I/O and store failures. A conflict, a
    /// corrupt or an incompatible checkpoint need someone to act.
    pub fn is_transient(&self) -> bool {
        matches!(self, CheckpointError::Io { .. } | CheckpointError::Store(_))
    }
}

/// Where a [`Watcher`](super::Watcher) keeps its checkpoint: opaque bytes with a version.
///
/// Narrow on purpose, so a shared database can implement it for a fleet of watchers: `save`
/// is a compare-and-swap on the version (a row with a version column, an object with an
/// etag), and a save that loses the race is a [`CheckpointError::Conflict`], which stops the
/// watcher that lost it rather than let two watchers deliver the same events.
///
/// Object safe. [`FileCheckpointStore`](super::FileCheckpointStore) keeps it in a file,
/// [`MemoryCheckpointStore`] in memory.
///
/// ```
/// use std::sync::Mutex;
/// use partner_alerts::watch::{CheckpointError, CheckpointStore, Version, Versioned};
///
/// /// A store of one's own (a database row, say), here a mutex.
/// #[derive(Debug, Default)]
/// struct Row(Mutex<Option<Versioned>>);
///
/// #[async_trait::async_trait]
/// impl CheckpointStore for Row {
///     async fn load(&self) -> Result<Option<Versioned>, CheckpointError> {
///         Ok(self.0.lock().unwrap().clone())
///     }
///
///     async fn save(&self, expected: Option<Version>, bytes: Vec<u8>) -> Result<Version, CheckpointError> {
///         let mut row = self.0.lock().unwrap();
///         let current = row.as_ref().map(|v| v.version);
///         if current != expected {
///             return Err(CheckpointError::Conflict { expected, current });
///         }
///         let version = current.map_or(Version::new(1), Version::next);
///         *row = Some(Versioned { version, bytes });
///         Ok(version)
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait CheckpointStore: Send + Sync + fmt::Debug {
    /// The stored checkpoint, or `None` if nothing was saved yet.
    async fn load(&self) -> Result<Option<Versioned>, CheckpointError>;

    /// Replaces the checkpoint with `bytes` if the stored version is `expected` (`None`:
    /// if there is none yet), and returns the new version. Otherwise it changes nothing and
    /// fails with [`CheckpointError::Conflict`].
    ///
    /// It must be atomic: a failure, or a crash at any point, leaves either the old or the
    /// new checkpoint loadable, never a mix.
    async fn save(
        &self,
        expected: Option<Version>,
        bytes: Vec<u8>,
    ) -> Result<Version, CheckpointError>;
}

/// A checkpoint kept in memory: for tests and examples, and a watcher that need not survive
/// its process. Several watchers given the same store (in an `Arc`) see each other's saves.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), partner_alerts::watch::CheckpointError> {
/// use partner_alerts::watch::{CheckpointStore, MemoryCheckpointStore};
///
/// let store = MemoryCheckpointStore::new();
/// let v1 = store.save(None, b"one".to_vec()).await?;
/// let v2 = store.save(Some(v1), b"two".to_vec()).await?;
/// assert!(store.save(Some(v1), b"late".to_vec()).await.unwrap_err().is_conflict());
/// let stored = store.load().await?.unwrap();
/// assert_eq!((stored.version, stored.bytes), (v2, b"two".to_vec()));
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct MemoryCheckpointStore {
    slot: Mutex<Option<Versioned>>,
}

impl MemoryCheckpointStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stored checkpoint, without awaiting (for assertions).
    pub fn get(&self) -> Option<Versioned> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait::async_trait]
impl CheckpointStore for MemoryCheckpointStore {
    async fn load(&self) -> Result<Option<Versioned>, CheckpointError> {
        Ok(self.get())
    }

    async fn save(
        &self,
        expected: Option<Version>,
        bytes: Vec<u8>,
    ) -> Result<Version, CheckpointError> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        let current = slot.as_ref().map(|v| v.version);
        if current != expected {
            return Err(CheckpointError::Conflict { expected, current });
        }
        let version = current.map_or(Version(1), Version::next);
        *slot = Some(Versioned { version, bytes });
        Ok(version)
    }
}
