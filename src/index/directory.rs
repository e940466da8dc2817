//! The folder an index lives in, as tantivy sees it: tantivy's memory-mapped directory,
//! with two changes. Small files written atomically (`meta.json`, `.managed.json`) get
//! the same permissions as every other file (the umask's, not 0600), so another user can
//! search the index; and a reader that cannot create the meta lock file (a read-only
//! filesystem, a folder it may not write) reads without it instead of failing.
//!
//! A process that searches once ([`Reads::OnDemand`]) reads the postings, positions and
//! stored records with `pread`, only the ranges a search asks for: touching a mapped file
//! costs a page fault per 64 KiB region the first time, several times a small read's
//! cost, and a one-search process touches each region once. A long-lived reader maps
//! them, as tantivy does: its pages stay mapped between searches.
//!
//! A scratch folder ([`IndexDirectory::scratch`]) holds what a build merges and then
//! deletes: its files are not synced to disk, since nothing reads them after a crash (a
//! build is swapped in only once its merged index is written and synced).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tantivy::directory::OwnedBytes;
use tantivy::directory::error::{DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, META_LOCK, MmapDirectory, TerminatingWrite,
    WatchCallback, WatchHandle, WritePtr,
};

/// Prefix of the temporary files of atomic writes; a run's cleanup removes leftovers.
pub const TEMP_PREFIX: &str = ".paperdex-tmp-";

#[derive(Debug, Clone)]
pub struct IndexDirectory {
    inner: MmapDirectory,
    root: PathBuf,
    reads: Reads,
    /// Whether written files are synced to disk ([`IndexDirectory::scratch`]: not).
    durable: bool,
}

/// How a reader reads the segment files that a search reads in parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// Every file memory-mapped (tantivy's way): for readers that search many times.
    Mapped,
    /// Postings, positions and stored records read with `pread` as asked for; the rest
    /// mapped: for a process that searches once.
    OnDemand,
}

/// The files [`Reads::OnDemand`] reads in parts: postings, positions, the doc store.
const READ_IN_PARTS: &[&str] = &["idx", "pos", "store"];

impl IndexDirectory {
    pub fn open(root: &Path) -> Result<Self, OpenDirectoryError> {
        IndexDirectory::open_with(root, Reads::Mapped)
    }

    pub fn open_with(root: &Path, reads: Reads) -> Result<Self, OpenDirectoryError> {
        Ok(IndexDirectory { inner: MmapDirectory::open(root)?, root: root.to_path_buf(), reads, durable: true })
    }

    /// A folder whose files are read back by this process and then deleted (a build's
    /// runs, merged into the build's index): written without syncing them to disk.
    pub fn scratch(root: &Path) -> Result<Self, OpenDirectoryError> {
        Ok(IndexDirectory { durable: false, ..IndexDirectory::open(root)? })
    }
}

/// A file of a scratch folder: written through, never synced.
struct ScratchFile(std::fs::File);

impl Write for ScratchFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl TerminatingWrite for ScratchFile {
    fn terminate_ref(&mut self, _: AntiCallToken) -> io::Result<()> {
        self.0.flush()
    }
}

/// A file read with `pread` a range at a time where the range is small, and through a
/// mapping (made on the first large read) where it is large: a small read costs less
/// than the page fault of touching its mapped pages, while a large structure (a store's
/// skip index, a long posting list) is read in few places, which a mapping touches alone.
/// Its length is the length at open: segment files never change once written, and a file
/// cut short since reads as an I/O error.
#[derive(Debug)]
struct ReadHandle {
    file: std::fs::File,
    len: usize,
    path: PathBuf,
    inner: MmapDirectory,
    mapped: std::sync::OnceLock<Arc<dyn FileHandle>>,
}

/// The largest range read with `pread`; larger ones come from the mapping.
const LARGEST_READ: usize = 16 << 10;

impl ReadHandle {
    fn open(inner: &MmapDirectory, root: &Path, path: &Path) -> io::Result<ReadHandle> {
        let file = std::fs::File::open(root.join(path))?;
        let len = usize::try_from(file.metadata()?.len()).map_err(io::Error::other)?;
        Ok(ReadHandle { file, len, path: path.to_path_buf(), inner: inner.clone(), mapped: Default::default() })
    }

    fn mapped(&self) -> io::Result<&Arc<dyn FileHandle>> {
        if let Some(mapped) = self.mapped.get() {
            return Ok(mapped);
        }
        let mapped = self.inner.get_file_handle(&self.path).map_err(io::Error::other)?;
        if mapped.len() != self.len {
            return Err(io::Error::other(format!("{} changed size while open", self.path.display())));
        }
        Ok(self.mapped.get_or_init(|| mapped))
    }
}

impl tantivy::HasLen for ReadHandle {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadHandle {
    fn read_bytes(&self, range: std::ops::Range<usize>) -> io::Result<OwnedBytes> {
        use std::os::unix::fs::FileExt;
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{range:?} is past the file's end")));
        }
        if range.len() > LARGEST_READ {
            return self.mapped()?.read_bytes(range);
        }
        let mut bytes = vec![0; range.len()];
        self.file.read_exact_at(&mut bytes, range.start as u64)?;
        Ok(OwnedBytes::new(bytes))
    }
}

/// Writes `data` to `path` through a temporary file in the same folder and a rename, so
/// readers see the old or the new content, never a part.
pub fn atomic_write(path: &Path, data: &[u8]) -> io::Result<()> {
    write_through_temp(path, data, true)
}

fn write_through_temp(path: &Path, data: &[u8], durable: bool) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!("{TEMP_PREFIX}{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(data)?;
        if durable {
            file.sync_data()?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let in_parts = path.extension().is_some_and(|e| READ_IN_PARTS.iter().any(|p| e == *p));
        if self.reads == Reads::OnDemand && in_parts {
            return match ReadHandle::open(&self.inner, &self.root, path) {
                Ok(handle) => Ok(Arc::new(handle)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Err(OpenReadError::FileDoesNotExist(path.to_owned())),
                Err(e) => Err(OpenReadError::wrap_io_error(e, path.to_owned())),
            };
        }
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        if self.durable {
            return self.inner.open_write(path);
        }
        // As tantivy's own, a new file only, without the sync at its end.
        match std::fs::OpenOptions::new().write(true).create_new(true).open(self.root.join(path)) {
            Ok(file) => Ok(io::BufWriter::new(Box::new(ScratchFile(file)))),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(OpenWriteError::FileAlreadyExists(path.to_owned()))
            }
            Err(e) => Err(OpenWriteError::wrap_io_error(e, path.to_owned())),
        }
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        write_through_temp(&self.root.join(path), data, self.durable)
    }

    fn sync_directory(&self) -> io::Result<()> {
        if !self.durable {
            return Ok(());
        }
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.inner.acquire_lock(lock) {
            // The meta lock only keeps a writer's clean-up from deleting files while a
            // reader opens them. A reader that may not create the lock file opens without
            // it; should a file vanish meanwhile, opening fails and is reported.
            Err(LockError::IoError(_)) if lock.filepath == META_LOCK.filepath => Ok(DirectoryLock::from(Box::new(()))),
            other => other,
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder holding `seg.store` (read in parts on demand) of `len` bytes, each the
    /// low byte of its offset, and `seg.term` (always mapped).
    fn folder(len: usize) -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("seg.store"), &bytes).unwrap();
        std::fs::write(dir.path().join("seg.term"), &bytes).unwrap();
        (dir, bytes)
    }

    #[test]
    fn reads_on_demand_give_the_bytes_a_mapping_gives() {
        let (dir, bytes) = folder(100_000);
        let mapped = IndexDirectory::open(dir.path()).unwrap();
        let on_demand = IndexDirectory::open_with(dir.path(), Reads::OnDemand).unwrap();
        let a = mapped.get_file_handle(Path::new("seg.store")).unwrap();
        let b = on_demand.get_file_handle(Path::new("seg.store")).unwrap();
        assert_eq!(b.len(), bytes.len());
        // Small ranges (read) and large ones (mapped), at the edges and inside.
        for range in [0..0, 0..1, 0..8, 99_992..100_000, 4_000..20_000, 0..100_000, 10..(10 + LARGEST_READ)] {
            assert_eq!(b.read_bytes(range.clone()).unwrap().as_slice(), &bytes[range.clone()], "{range:?}");
            assert_eq!(a.read_bytes(range.clone()).unwrap().as_slice(), &bytes[range.clone()], "{range:?}");
        }
        // Past the end, or backwards: an error, not a panic.
        assert!(b.read_bytes(99_999..100_001).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 10..5;
        assert!(b.read_bytes(backwards).is_err());
        // Other files are mapped as before.
        let term = on_demand.get_file_handle(Path::new("seg.term")).unwrap();
        assert_eq!(term.read_bytes(0..100_000).unwrap().as_slice(), &bytes[..]);
        assert!(matches!(
            on_demand.get_file_handle(Path::new("missing.store")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }

    #[test]
    fn a_scratch_folder_writes_what_a_durable_one_writes() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = IndexDirectory::scratch(dir.path()).unwrap();
        let durable = IndexDirectory::open(dir.path()).unwrap();
        let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
        for (name, directory) in [("a.idx", &scratch), ("b.idx", &durable)] {
            let mut file = directory.open_write(Path::new(name)).unwrap();
            file.write_all(&bytes).unwrap();
            file.terminate().unwrap();
            assert_eq!(std::fs::read(dir.path().join(name)).unwrap(), bytes, "{name}");
            // A file is written once, as tantivy asks of every directory.
            assert!(matches!(directory.open_write(Path::new(name)), Err(OpenWriteError::FileAlreadyExists(_))));
        }
        scratch.atomic_write(Path::new("meta.json"), b"{}").unwrap();
        assert_eq!(durable.atomic_read(Path::new("meta.json")).unwrap(), b"{}");
        scratch.sync_directory().unwrap();
        // A folder that is not there cannot be written to.
        let gone = IndexDirectory::scratch(&dir.path().join("x"));
        assert!(gone.is_err());
    }

    #[test]
    fn a_file_cut_short_after_open_reads_as_an_error() {
        let (dir, _) = folder(50_000);
        let on_demand = IndexDirectory::open_with(dir.path(), Reads::OnDemand).unwrap();
        let handle = on_demand.get_file_handle(Path::new("seg.store")).unwrap();
        std::fs::OpenOptions::new().write(true).open(dir.path().join("seg.store")).unwrap().set_len(1_000).unwrap();
        // A small read past the new end fails cleanly; a large one finds the size changed.
        assert!(handle.read_bytes(40_000..40_100).is_err());
        assert!(handle.read_bytes(0..40_000).is_err());
        assert_eq!(handle.read_bytes(0..100).unwrap().len(), 100);
    }
}
