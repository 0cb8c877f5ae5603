//! [`FileCheckpointStore`]: a checkpoint in one file, replaced atomically.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::checkpoint::{CheckpointError, CheckpointStore, Version, Versioned};
use super::version::fnv1a;

/// The first word of the file's header line.
const MAGIC: &str = "partner-alerts-checkpoint";
/// The file format (the header's layout), not the watcher's state version.
const FORMAT: u32 = 1;

/// A checkpoint in one file, replaced atomically.
///
/// The file is a header line, `partner-alerts-checkpoint 1 <version> <length> <fnv1a-64 of
/// the bytes>`, then the bytes; so the version lives in the file, and a damaged file (cut
/// short, altered) is a [`CheckpointError::Corrupt`] on load, never a panic or a wrong
/// checkpoint.
///
/// A save writes a temporary file in the same directory (`.<name>.tmp.<random>`), flushes it
/// to disk (`fsync`), renames it over the file and flushes the directory. A crash at any point
/// leaves the old checkpoint or the new one: before the rename the file is untouched, and a
/// rename within a directory is atomic. Loads read only the file, so a temporary file left by
/// a crash (whole or cut short) is ignored; the next save removes it.
///
/// Optimistic concurrency (a save expecting another version fails with
/// [`CheckpointError::Conflict`]) is exact between the watchers of one process, which share
/// a lock per store. Between processes the check and the rename are two steps: give each
/// process its own file, or use a store over a database for a fleet.
///
/// ```no_run
/// # async fn run(source: std::sync::Arc<dyn partner_alerts::AlertSource>) -> Result<(), partner_alerts::watch::WatchError> {
/// use std::sync::Arc;
/// use partner_alerts::watch::{FileCheckpointStore, Watcher};
///
/// let store = FileCheckpointStore::new("/var/lib/alert-watch/checkpoint");
/// let mut watcher = Watcher::builder(source).store(Arc::new(store)).start().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FileCheckpointStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    /// One save or load at a time within the process.
    lock: Mutex<()>,
    /// Failure injection: the next save stops between writing the temporary file and the
    /// rename, as a crash there would.
    crash_before_rename: AtomicBool,
}

impl FileCheckpointStore {
    /// A store keeping its checkpoint at `path` (created by the first save; its directory
    /// must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileCheckpointStore {
            inner: Arc::new(Inner {
                path: path.into(),
                lock: Mutex::new(()),
                crash_before_rename: AtomicBool::new(false),
            }),
        }
    }

    /// The checkpoint's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// For tests: makes the next save write and flush its temporary file, then fail with an
    /// I/O error instead of renaming it (what a crash between the two leaves behind).
    #[doc(hidden)]
    pub fn crash_next_save_before_rename(&self) {
        self.inner.crash_before_rename.store(true, Ordering::SeqCst);
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T, CheckpointError> + Send + 'static,
    ) -> Result<T, CheckpointError> {
        let inner = self.inner.clone();
        match tokio::task::spawn_blocking(move || f(&inner)).await {
            Ok(r) => r,
            Err(e) => Err(CheckpointError::Io {
                location: self.inner.location(),
                source: io::Error::other(e.to_string()),
            }),
        }
    }
}

#[async_trait::async_trait]
impl CheckpointStore for FileCheckpointStore {
    async fn load(&self) -> Result<Option<Versioned>, CheckpointError> {
        self.blocking(|inner| {
            let _guard = inner.lock.lock().unwrap_or_else(|p| p.into_inner());
            inner.read()
        })
        .await
    }

    async fn save(
        &self,
        expected: Option<Version>,
        bytes: Vec<u8>,
    ) -> Result<Version, CheckpointError> {
        self.blocking(move |inner| {
            let _guard = inner.lock.lock().unwrap_or_else(|p| p.into_inner());
            inner.save(expected, &bytes)
        })
        .await
    }
}

impl Inner {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn io(&self, source: io::Error) -> CheckpointError {
        CheckpointError::Io {
            location: self.location(),
            source,
        }
    }

    fn corrupt(&self, reason: impl Into<String>) -> CheckpointError {
        CheckpointError::Corrupt {
            location: self.location(),
            reason: reason.into(),
        }
    }

    fn read(&self) -> Result<Option<Versioned>, CheckpointError> {
        let data = match fs::read(&self.path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        self.decode(&data).map(Some)
    }

    fn decode(&self, data: &[u8]) -> Result<Versioned, CheckpointError> {
        let Some(end) = data.iter().position(|&b| b == b'\n') else {
            return Err(self.corrupt("no header line"));
        };
        let header = std::str::from_utf8(&data[..end])
            .map_err(|_| self.corrupt("the header is not text"))?;
        let body = &data[end + 1..];
        let parts: Vec<&str> = header.split(' ').collect();
        let [magic, format, version, len, sum] = parts[..] else {
            return Err(self.corrupt("the header does not have five fields"));
        };
        if magic != MAGIC {
            return Err(self.corrupt("not a partner-alerts checkpoint file"));
        }
        if format != FORMAT.to_string() {
            return Err(CheckpointError::Incompatible {
                location: self.location(),
                reason: format!("file format {format}; this release reads {FORMAT}"),
            });
        }
        let version: u64 = version
            .parse()
            .map_err(|_| self.corrupt("the version is not a number"))?;
        let len: usize = len
            .parse()
            .map_err(|_| self.corrupt("the length is not a number"))?;
        if body.len() != len {
            return Err(self.corrupt(format!(
                "{} bytes after the header, {len} announced",
                body.len()
            )));
        }
        if sum != format!("{:016x}", fnv1a(body)) {
            return Err(self.corrupt("the checksum does not match"));
        }
        Ok(Versioned {
            version: Version::new(version),
            bytes: body.to_vec(),
        })
    }

    fn save(&self, expected: Option<Version>, bytes: &[u8]) -> Result<Version, CheckpointError> {
        let current = self.read()?.map(|v| v.version);
        if current != expected {
            return Err(CheckpointError::Conflict { expected, current });
        }
        let version = current.map_or(Version::new(1), Version::next);
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .ok_or_else(|| self.io(io::Error::other("the path names no file")))?
            .to_string_lossy()
            .into_owned();
        let prefix = format!(".{name}.tmp.");
        self.remove_stale(&dir, &prefix);

        let tmp = dir.join(format!("{prefix}{}", uuid::Uuid::new_v4().simple()));
        let header = format!(
            "{MAGIC} {FORMAT} {} {} {:016x}\n",
            version.get(),
            bytes.len(),
            fnv1a(bytes)
        );
        let written = (|| {
            let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(header.as_bytes())?;
            f.write_all(bytes)?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(self.io(e));
        }
        if self.crash_before_rename.swap(false, Ordering::SeqCst) {
            return Err(self.io(io::Error::other(
                "injected failure between writing the temporary file and the rename",
            )));
        }
        if let Err(e) = fs::rename(&tmp, &self.path) {
            let _ = fs::remove_file(&tmp);
            return Err(self.io(e));
        }
        sync_dir(&dir).map_err(|e| self.io(e))?;
        Ok(version)
    }

    /// Removes temporary files a crash left behind (best effort).
    fn remove_stale(&self, dir: &Path, prefix: &str) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Flushes a directory's entries (the rename) to disk. Windows cannot open a directory as a
/// file; there the rename is made durable by the file system's journal.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, File::open);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "partner-alerts-file-store-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir.join("checkpoint")
    }

    #[tokio::test]
    async fn every_damage_is_a_typed_error() {
        let path = temp_path("damage");
        let store = FileCheckpointStore::new(&path);
        store.save(None, b"{\"a\":1}".to_vec()).await.unwrap();
        let good = fs::read(&path).unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("cut in the header", good[..10].to_vec()),
            ("cut in the body", good[..good.len() - 2].to_vec()),
            ("a flipped byte", {
                let mut d = good.clone();
                let n = d.len();
                d[n - 2] ^= 1;
                d
            }),
            ("not ours", b"hello\nworld".to_vec()),
            ("binary", vec![0xff, 0xfe, b'\n', 0]),
        ];
        for (what, data) in cases {
            fs::write(&path, &data).unwrap();
            let e = store.load().await.unwrap_err();
            assert!(matches!(e, CheckpointError::Corrupt { .. }), "{what}: {e}");
            // A save over a corrupt file refuses too (it cannot tell the version).
            assert!(
                store
                    .save(Some(Version::new(1)), b"x".to_vec())
                    .await
                    .is_err()
            );
        }
        // A file of a later format is not damaged, just not ours to read.
        let later = String::from_utf8(good.clone()).unwrap().replacen(
            "partner-alerts-checkpoint 1 ",
            "partner-alerts-checkpoint 2 ",
            1,
        );
        fs::write(&path, later).unwrap();
        let e = store.load().await.unwrap_err();
        assert!(matches!(e, CheckpointError::Incompatible { .. }), "{e}");
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
