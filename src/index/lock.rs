//! The writer lock of an index folder: one `paperdex index` at a time. The lock is an
//! advisory lock on `paperdex.lock`, which dies with its process, so a killed run never
//! blocks the next one; the file holds the writer's pid, for the message a second writer
//! gets and for searches that want to say who is updating the index.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

/// The lock file in an index folder.
pub const LOCK_FILE: &str = "paperdex.lock";
/// Where earlier versions of paperdex wrote the writer's pid.
const OLD_PID_FILE: &str = "paperdex.pid";

/// Held while a run writes the index; released when dropped (or the process ends).
#[derive(Debug)]
pub struct WriterLock {
    file: File,
    /// A pid left by a run that died before it finished, reported once.
    pub stale_pid: Option<u32>,
}

/// Why the lock was not taken.
#[derive(Debug)]
pub enum LockFailure {
    /// Another process holds it; its pid when it is known and alive.
    Busy(Option<u32>),
    Io(std::io::Error),
}

/// Takes the writer lock of the index folder `dir` without waiting.
pub fn acquire(dir: &Path) -> Result<WriterLock, LockFailure> {
    let path = dir.join(LOCK_FILE);
    let mut file =
        OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(LockFailure::Io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(LockFailure::Busy(read_pid(&mut file).filter(|&p| alive(p)))),
        Err(TryLockError::Error(e)) => return Err(LockFailure::Io(e)),
    }
    let mut stale_pid = read_pid(&mut file);
    if let Ok(old) = std::fs::read_to_string(dir.join(OLD_PID_FILE)) {
        stale_pid = stale_pid.or_else(|| old.trim().parse().ok());
        let _ = std::fs::remove_file(dir.join(OLD_PID_FILE));
    }
    let write_pid = |file: &mut File| -> std::io::Result<()> {
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "{}", std::process::id())
    };
    write_pid(&mut file).map_err(LockFailure::Io)?;
    Ok(WriterLock { file, stale_pid: stale_pid.filter(|&p| p != std::process::id()) })
}

impl Drop for WriterLock {
    /// A run that ends (finished or failed, not killed) clears its pid, so the next run
    /// does not take it for one that died.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

/// The pid of the process writing the index at `dir` right now, if any. Needs only read
/// access: an advisory lock can be tested through a read-only file.
pub fn active_writer(dir: &Path) -> Option<u32> {
    let mut file = File::open(dir.join(LOCK_FILE)).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(TryLockError::WouldBlock) => Some(read_pid(&mut file).unwrap_or(0)),
        Err(TryLockError::Error(_)) => None,
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// True when a process with this pid exists.
fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}
