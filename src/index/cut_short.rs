//! Index files cut short while a process has them mapped. Segment files never change once
//! written, but another program can still shorten one (`truncate`, a disk tool, a copy
//! over it): the kernel then answers a read of a mapped page past the new end with
//! SIGBUS, and the process dies with "Bus error", whatever it was doing.
//!
//! A process that only reads the index ([`OnCutShort::ReadZeros`]: `search`, `serve`
//! without `--watch`, `stats`, `bench`, `eval`) maps a page of zeros where the missing
//! one was and counts it ([`pages_read_as_zeros`]); the read goes on, and the work that
//! read it is answered as a damaged index (`commands::engine_guard`), so a server keeps
//! answering. A process that writes an index ([`OnCutShort::Stop`]) must not write what
//! it read as zeros into a segment: it says what happened and stops, leaving the index as
//! its last commit left it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What a read of a page cut off a mapped file does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCutShort {
    /// Reads zeros, and the work that read them ends as a damaged index.
    ReadZeros,
    /// Says so on stderr and exits with status 2.
    Stop,
}

/// Pages of cut-short files this process has read as zeros.
static PAGES_READ_AS_ZEROS: AtomicUsize = AtomicUsize::new(0);
/// Whether a page cut off reads as zeros ([`OnCutShort::ReadZeros`]) rather than stopping.
static READ_ZEROS: AtomicBool = AtomicBool::new(false);
/// The page size, set when the handler is installed.
static PAGE: AtomicUsize = AtomicUsize::new(0);
/// The SIGBUS action before ours, for faults that are not a file cut short.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

const STOP_MESSAGE: &[u8] = b"paperdex: a file of the index was cut short while this process read it (another \
program shortened it); stopping before anything is written. `paperdex stats --verify` names the file, and \
`paperdex index --rebuild` builds the index again.\n";

/// Sets what a read of a page cut off a mapped file does from now on, installing the
/// SIGBUS handler on the first call. A process that reads and then writes (a search that
/// first builds its index) sets [`OnCutShort::Stop`] while it writes.
pub fn install(mode: OnCutShort) {
    if !cfg!(target_os = "linux") {
        return;
    }
    READ_ZEROS.store(mode == OnCutShort::ReadZeros, Ordering::SeqCst);
    if PAGE.load(Ordering::SeqCst) != 0 {
        return;
    }
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096).max(4096);
    if !page.is_power_of_two() || PAGE.compare_exchange(0, page, Ordering::SeqCst, Ordering::SeqCst).is_err() {
        return;
    }
    // SAFETY: the action is zeroed and then filled in as sigaction(2) asks; the handler
    // only makes async-signal-safe calls (mmap, write, _exit, sigaction) and atomics.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
            let _ = PREVIOUS.set(previous);
        }
    }
}

/// How many pages of cut-short files this process has read as zeros so far.
pub fn pages_read_as_zeros() -> usize {
    PAGES_READ_AS_ZEROS.load(Ordering::SeqCst)
}

extern "C" fn on_sigbus(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO.
    let (code, address) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    // A code of zero or less: sent by a program (kill, sigqueue, tgkill), not a fault.
    let sent = code <= 0;
    let page = PAGE.load(Ordering::SeqCst);
    // BUS_ADRERR: the address is mapped, but the file has nothing there any more.
    if code != libc::BUS_ADRERR || address == 0 || page == 0 {
        return restore_previous(signal, sent);
    }
    if !READ_ZEROS.load(Ordering::SeqCst) {
        stop();
    }
    let start = address & !(page - 1);
    // SAFETY: replaces one page of a read-only file mapping (the one the fault is in)
    // with a private page of zeros, at the same address and with the same protection.
    let mapped = unsafe {
        libc::mmap(
            start as *mut libc::c_void,
            page,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        stop();
    }
    PAGES_READ_AS_ZEROS.fetch_add(1, Ordering::SeqCst);
}

fn stop() -> ! {
    // SAFETY: write and _exit are async-signal-safe; the buffer is a static.
    unsafe {
        libc::write(2, STOP_MESSAGE.as_ptr().cast(), STOP_MESSAGE.len());
        libc::_exit(2)
    }
}

/// Puts back the action before ours: a fault happens again under it when the handler
/// returns; a signal sent by a program is sent again.
fn restore_previous(signal: libc::c_int, sent: bool) {
    // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, no flags, empty mask).
    let default: libc::sigaction = unsafe { std::mem::zeroed() };
    let previous = PREVIOUS.get().unwrap_or(&default);
    // SAFETY: sigaction and raise are async-signal-safe; `previous` is a valid action.
    unsafe {
        libc::sigaction(signal, previous, std::ptr::null_mut());
        if sent {
            libc::raise(signal);
        }
    }
}
