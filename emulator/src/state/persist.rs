//! Writing the state file: atomically (a temporary file, then a rename), never an older state
//! over a newer one, and in the background after a burst of changes.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Writes the state file atomically: a temporary file in the same directory, then a rename.
#[derive(Debug)]
pub(crate) struct Persister {
    path: PathBuf,
    /// The version last written, so a slower writer never overwrites a newer state.
    written: Mutex<Option<u64>>,
}

/// Makes every temporary file name unique, even for two emulators on one path.
static TEMP_NAMES: AtomicU64 = AtomicU64::new(0);

impl Persister {
    /// A writer for `path`.
    pub(crate) fn new(path: PathBuf) -> Self {
        Persister {
            path,
            written: Mutex::new(None),
        }
    }

    /// Records that the file holds state `version` (it was just loaded from it).
    pub(crate) fn assume_written(&self, version: u64) {
        *self.written.lock().unwrap_or_else(|e| e.into_inner()) = Some(version);
    }

    /// Whether state `version` (or a newer one) is in the file already.
    pub(crate) fn has(&self, version: u64) -> bool {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|w| w >= version)
    }

    /// Writes `bytes` as state `version`, unless it or a newer one was written already;
    /// `Ok(true)` when it wrote.
    pub(crate) fn write(&self, version: u64, bytes: &[u8]) -> io::Result<bool> {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if written.is_some_and(|w| version <= w) {
            return Ok(false);
        }
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state.json".to_owned());
        let tmp = self.path.with_file_name(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            TEMP_NAMES.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            // No fsync: the file has to survive a restart of the emulator, not of the machine.
            drop(f);
            std::fs::rename(&tmp, &self.path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
        *written = Some(version);
        Ok(true)
    }
}

/// What the background writer of the state file shares with the rest: changes only wake it
/// ([`StateWriter::changed`]); it then snapshots the store and writes outside the lock, so a
/// burst of changes costs one write or two, never one each.
#[derive(Debug)]
pub(crate) struct StateWriter {
    pub persister: Persister,
    wake: tokio::sync::Notify,
    closed: AtomicBool,
}

impl StateWriter {
    pub(crate) fn new(persister: Persister) -> Self {
        StateWriter {
            persister,
            wake: tokio::sync::Notify::new(),
            closed: AtomicBool::new(false),
        }
    }

    /// The state changed: write it soon.
    pub(crate) fn changed(&self) {
        self.wake.notify_one();
    }

    /// Write what is left and stop.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Runs the writer: `flush` writes the current state if it is not in the file yet (it
    /// blocks, so it runs on the blocking pool). Ends after [`StateWriter::close`], with a
    /// last flush.
    pub(crate) async fn run<F>(&self, flush: F)
    where
        F: Fn() + Clone + Send + 'static,
    {
        loop {
            // Read before flushing: a close that comes later wakes the wait below.
            let closing = self.closed.load(Ordering::Acquire);
            let _ = tokio::task::spawn_blocking(flush.clone()).await;
            if closing {
                return;
            }
            self.wake.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Generator;
    use crate::state::Store;
    use chrono::{DateTime, TimeZone, Utc};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn state_file_round_trips() {
        let g = Generator::new(5);
        let store = Store::generate(&g, 30, now());
        let dir = std::env::temp_dir().join(format!("pae-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let p = Persister::new(path.clone());
        assert!(p.write(1, &store.snapshot().to_file_bytes(5)).unwrap());
        assert!(p.has(1));
        assert!(!p.write(1, b"older").unwrap(), "not twice");
        assert!(!p.write(0, b"older").unwrap(), "never an older state");
        let (back, seed, actions) = Store::load(&path).unwrap().unwrap();
        assert!(actions.is_empty(), "no actions section: everything active");
        assert_eq!(seed, 5);
        assert_eq!(back.records(), store.records());
        assert_eq!(back.next_index, 30);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
