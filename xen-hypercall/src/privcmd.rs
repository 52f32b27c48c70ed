// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Linux `/dev/xen/privcmd` backend, for userspace in dom0 or a driver
//! domain.
//!
//! Hypercalls go through `IOCTL_PRIVCMD_HYPERCALL`. Xen reads and writes the
//! buffers a hypercall names while the kernel runs it on our behalf, so they
//! must not fault: every buffer is bounced through memory mmap'd from
//! `/dev/xen/hypercall` (which the kernel keeps resident and lets Xen access),
//! falling back to locked anonymous memory only when that node is absent, as
//! libxencall does. Like libxencall, a [`Privcmd`] keeps a small cache of
//! such buffers, so a hypercall costs no `mmap`/`munmap` (or `mlock`) once
//! warm, at any nesting depth of [`Hypercall::with_buffer`].
//!
//! Errors keep who said them: what the kernel refused comes back as a
//! [`PrivcmdError`] carrying the OS's `std::io::Error`, what Xen refused as
//! Xen's [`Errno`].
//!
//! Beyond hypercalls: [`Privcmd::restrict`] limits a descriptor to one
//! domain; [`Privcmd::map_foreign`] (`IOCTL_PRIVCMD_MMAPBATCH_V2`) and
//! [`Privcmd::map_resource`] (`IOCTL_PRIVCMD_MMAP_RESOURCE`) map another
//! domain's memory into an owned [`ForeignMapping`]; [`sysfs::detect`] reads
//! `/sys/hypervisor`.

use core::cell::Cell;
use core::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::vec::Vec;

use crate::{Errno, Hypercall};

mod foreign;
pub mod sysfs;

pub use foreign::{
    Access, AccessError, ForeignMapping, PrivcmdMmapBatchV2, PrivcmdMmapResource,
    IOCTL_PRIVCMD_MMAPBATCH_V2, IOCTL_PRIVCMD_MMAP_RESOURCE, IOCTL_PRIVCMD_RESTRICT, PAGE_SIZE,
};

/// `struct privcmd_hypercall` from Linux's `xen/privcmd.h`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PrivcmdHypercall {
    /// The hypercall number.
    pub op: u64,
    /// Its arguments.
    pub arg: [u64; 5],
}

/// Linux's `_IOC` encoding (asm-generic: dir in bits 30-31, size in 16-29,
/// type in 8-15, nr in 0-7).
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u64 {
    ((dir as u64) << 30) | ((size as u64) << 16) | ((ty as u64) << 8) | nr as u64
}

/// `_IOC_NONE`.
pub const IOC_NONE: u32 = 0;

/// `IOCTL_PRIVCMD_HYPERCALL`, computed from the argument type.
pub const IOCTL_PRIVCMD_HYPERCALL: u64 =
    ioc(IOC_NONE, b'P', 0, core::mem::size_of::<PrivcmdHypercall>());

/// Where the privcmd device lives.
pub const PRIVCMD_PATH: &str = "/dev/xen/privcmd";
/// Where the hypercall-buffer device lives.
pub const HYPERCALL_PATH: &str = "/dev/xen/hypercall";

/// Why a Xen device could not be opened.
#[derive(Debug)]
pub struct OpenError {
    /// The device node.
    pub path: PathBuf,
    /// The underlying error.
    pub source: io::Error,
}

impl OpenError {
    fn new(path: &Path, source: io::Error) -> Self {
        Self {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The most likely fix, for a person reading the message.
    pub fn hint(&self) -> &'static str {
        match self.source.kind() {
            io::ErrorKind::NotFound => {
                if Path::new("/sys/hypervisor/type").exists() {
                    "the device node is missing: load the Xen module (modprobe xen-privcmd) \
                     and mount xenfs (mount -t xenfs xenfs /proc/xen)"
                } else {
                    "not running on Xen (no /sys/hypervisor/type)"
                }
            }
            io::ErrorKind::PermissionDenied => "permission denied: run as root",
            _ => "unexpected error opening a Xen device",
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot open {}: {} ({})",
            self.path.display(),
            self.source,
            self.hint()
        )
    }
}

impl core::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A privcmd request the OS refused, or one refused before any system call.
///
/// The kernel's answer is kept as it came, a [`std::io::Error`], not
/// reinterpreted: `ENOMEM` from `mmap` is not Xen running out of memory.
/// Several privcmd ioctls do pass Xen's own error up as their errno (a failed
/// `XENMEM_acquire_resource`, say); Xen's errno values are Linux's, so
/// [`errno`](Self::errno) reads either as an [`Errno`] when a caller wants
/// to compare with a hypercall's answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum PrivcmdError {
    /// The request was invalid before reaching the kernel (no frames, more
    /// than the ioctl can carry, a size that overflows).
    InvalidArgument(&'static str),
    /// The system call `call` (`ioctl(IOCTL_PRIVCMD_*)`, `mmap`, `mlock`)
    /// failed with `source`.
    Os {
        /// The system call, for messages.
        call: &'static str,
        /// What the kernel said.
        source: io::Error,
    },
}

impl PrivcmdError {
    /// The error of the system call just made, from `errno`.
    pub(crate) fn last_os(call: &'static str) -> Self {
        PrivcmdError::Os {
            call,
            source: io::Error::last_os_error(),
        }
    }

    /// The raw OS errno, if the kernel refused.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            PrivcmdError::Os { source, .. } => source.raw_os_error(),
            PrivcmdError::InvalidArgument(_) => None,
        }
    }

    /// The errno as an [`Errno`]: the kernel's (Xen's values are Linux's,
    /// and privcmd passes Xen's own up unchanged), `EINVAL` for an invalid
    /// argument, `EIO` for an OS error without an errno.
    pub fn errno(&self) -> Errno {
        match self {
            PrivcmdError::InvalidArgument(_) => Errno::EINVAL,
            PrivcmdError::Os { .. } => Errno::new(self.raw_os_error().unwrap_or(libc::EIO)),
        }
    }
}

impl fmt::Display for PrivcmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivcmdError::InvalidArgument(what) => write!(f, "invalid privcmd request: {what}"),
            PrivcmdError::Os { call, source } => write!(f, "{call} failed: {source}"),
        }
    }
}

impl core::error::Error for PrivcmdError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            PrivcmdError::Os { source, .. } => Some(source),
            PrivcmdError::InvalidArgument(_) => None,
        }
    }
}

impl From<PrivcmdError> for io::Error {
    fn from(e: PrivcmdError) -> Self {
        match e {
            PrivcmdError::Os { source, .. } => source,
            PrivcmdError::InvalidArgument(what) => {
                io::Error::new(io::ErrorKind::InvalidInput, what)
            }
        }
    }
}

/// Buffers up to this size are cached for reuse.
const CACHED_BUF_MAX: usize = 4 * 4096;
/// At most this many buffers are cached (one per nesting level in use, in
/// practice: libxencall keeps four).
const CACHED_BUFS: usize = 4;

/// An open `/dev/xen/privcmd`, with its hypercall-buffer source and cache.
#[derive(Debug)]
pub struct Privcmd {
    privcmd: File,
    /// `/dev/xen/hypercall`, or `None` to use locked anonymous memory.
    bufdev: Option<File>,
    /// Free hypercall buffers, kept mapped (and locked) for the next call.
    cache: Mutex<Vec<HypercallBuf>>,
}

impl Privcmd {
    /// Opens `/dev/xen/privcmd` and `/dev/xen/hypercall`.
    ///
    /// # Errors
    /// [`OpenError`] naming the device and the likely fix.
    pub fn open() -> Result<Self, OpenError> {
        Self::open_paths(Path::new(PRIVCMD_PATH), Path::new(HYPERCALL_PATH))
    }

    /// Opens privcmd and the hypercall-buffer device at other paths (a
    /// container's bind mount, say). A missing `hypercall` node selects the
    /// locked-memory fallback.
    ///
    /// # Errors
    /// [`OpenError`] naming the device and the likely fix.
    pub fn open_paths(privcmd: &Path, hypercall: &Path) -> Result<Self, OpenError> {
        let privcmd = OpenOptions::new()
            .read(true)
            .write(true)
            .open(privcmd)
            .map_err(|e| OpenError::new(privcmd, e))?;
        let bufdev = match OpenOptions::new().read(true).write(true).open(hypercall) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(OpenError::new(hypercall, e)),
        };
        Ok(Self {
            privcmd,
            bufdev,
            cache: Mutex::new(Vec::new()),
        })
    }

    /// True when buffers come from `/dev/xen/hypercall` (false: the locked
    /// anonymous-memory fallback).
    pub fn uses_hypercall_device(&self) -> bool {
        self.bufdev.is_some()
    }

    /// The privcmd file, for the ioctls other modules issue.
    pub fn file(&self) -> &File {
        &self.privcmd
    }

    /// A hypercall buffer of at least `bytes` bytes: a cached one if one is
    /// large enough, else a fresh mapping.
    fn take_buffer(&self, bytes: usize) -> io::Result<HypercallBuf> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = cache.iter().position(|b| b.len >= bytes) {
            return Ok(cache.swap_remove(i));
        }
        drop(cache);
        HypercallBuf::new(self.bufdev.as_ref(), bytes)
    }

    /// Returns a buffer to the cache (or unmaps it, if large or the cache
    /// is full).
    fn give_buffer(&self, buf: HypercallBuf) {
        if buf.len > CACHED_BUF_MAX {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() < CACHED_BUFS {
            cache.push(buf);
        }
    }

    /// Number of hypercall buffers cached (for tests and diagnostics).
    pub fn cached_buffers(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

std::thread_local! {
    /// While this thread runs the closure of a [`Hypercall::with_buffer`]
    /// whose buffer could not be had: the OS's errno. privcmd hypercalls
    /// made meanwhile fail with it instead of handing Xen a bad address.
    static BUFFER_FAILURE: Cell<i32> = const { Cell::new(0) };
}

/// A page-granular mapping Xen may access during a hypercall.
#[derive(Debug)]
struct HypercallBuf {
    ptr: *mut u8,
    len: usize,
    locked: bool,
}

// SAFETY: the mapping is owned by this value and not tied to a thread.
unsafe impl Send for HypercallBuf {}

impl HypercallBuf {
    fn new(dev: Option<&File>, bytes: usize) -> io::Result<Self> {
        let len = bytes.max(1).div_ceil(4096) * 4096;
        let (fd, flags) = match dev {
            Some(f) => (f.as_raw_fd(), libc::MAP_SHARED),
            None => (-1, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS),
        };
        // SAFETY: a fresh mapping of `len` bytes; no existing memory is touched.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                fd,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mut buf = Self {
            ptr: p.cast(),
            len,
            locked: false,
        };
        if dev.is_none() {
            // SAFETY: `buf` is our own mapping of `len` bytes.
            if unsafe { libc::mlock(p, len) } != 0 {
                return Err(io::Error::last_os_error());
            }
            buf.locked = true;
        }
        Ok(buf)
    }

    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: `ptr..ptr+len` is our read-write mapping for our lifetime.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for HypercallBuf {
    fn drop(&mut self) {
        // SAFETY: unmapping (and unlocking) the mapping this value owns.
        unsafe {
            if self.locked {
                libc::munlock(self.ptr.cast(), self.len);
            }
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

// SAFETY: `hypercall5` passes op and arguments unchanged to the kernel, which
// issues the hypercall and returns Xen's result (negative errno as -1/errno);
// `with_buffer` hands `f` the address of a hypercall-safe copy of `buf` and
// copies it back afterwards.
unsafe impl Hypercall for Privcmd {
    unsafe fn hypercall5(&self, op: xen_abi::xen::HypercallOp, args: [u64; 5]) -> isize {
        let failed = BUFFER_FAILURE.with(Cell::get);
        if failed != 0 {
            return -(failed as isize);
        }
        let mut call = PrivcmdHypercall {
            op: u64::from(op.get()),
            arg: args,
        };
        // SAFETY: IOCTL_PRIVCMD_HYPERCALL takes a `struct privcmd_hypercall`,
        // which `call` is; the caller vouches for the arguments.
        let ret = unsafe {
            libc::ioctl(
                self.privcmd.as_raw_fd(),
                IOCTL_PRIVCMD_HYPERCALL as _,
                &mut call,
            )
        };
        if ret < 0 {
            let errno = io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO);
            -(errno as isize)
        } else {
            ret as isize
        }
    }

    /// Bounces `buf` through a cached hypercall buffer (mapping one only
    /// when the cache has none large enough).
    ///
    /// If no hypercall-safe memory can be had, `f` still runs (the trait
    /// returns what `f` does), with address 0, and every privcmd hypercall
    /// this thread makes inside it fails with the OS's error (`-ENOMEM`,
    /// say) without reaching Xen: the caller sees the real cause, not the
    /// `EFAULT` a bad address would earn.
    fn with_buffer<R>(&self, buf: &mut [u8], f: impl FnOnce(u64) -> R) -> R {
        let mut hbuf = match self.take_buffer(buf.len()) {
            Ok(b) => b,
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(libc::ENOMEM);
                let outer = BUFFER_FAILURE.with(|c| c.replace(errno));
                // Restores the outer state even if `f` unwinds.
                struct Restore(i32);
                impl Drop for Restore {
                    fn drop(&mut self) {
                        BUFFER_FAILURE.with(|c| c.set(self.0));
                    }
                }
                let _restore = Restore(outer);
                return f(0);
            }
        };
        hbuf.bytes()[..buf.len()].copy_from_slice(buf);
        let r = f(hbuf.ptr as usize as u64);
        buf.copy_from_slice(&hbuf.bytes()[..buf.len()]);
        self.give_buffer(hbuf);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn ioctl_number_matches_linux() {
        // _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall) == 48)
        assert_eq!(core::mem::size_of::<PrivcmdHypercall>(), 48);
        assert_eq!(IOCTL_PRIVCMD_HYPERCALL, 0x0030_5000);
    }

    /// `/dev/null` as privcmd: every ioctl fails with `ENOTTY`.
    fn null_privcmd(hypercall: &str) -> Privcmd {
        Privcmd::open_paths(Path::new("/dev/null"), Path::new(hypercall)).unwrap()
    }

    #[test]
    fn locked_buffers_are_cached_and_bounce_contents() {
        let pc = null_privcmd("/nonexistent/hypercall");
        assert!(!pc.uses_hypercall_device());
        let mut a = [7u8; 100];
        let (outer, inner) = pc.with_buffer(&mut a, |outer| {
            let mut b = [9u8; 4097];
            let inner = pc.with_buffer(&mut b, |inner| {
                // SAFETY: `inner` is the live bounce buffer of `b`.
                unsafe { *(inner as usize as *mut u8) = 1 };
                inner
            });
            assert_eq!(b[0], 1, "written back");
            (outer, inner)
        });
        assert_eq!(a, [7; 100]);
        assert_ne!(outer, inner);
        assert_eq!(pc.cached_buffers(), 2);
        // The cached buffers serve the next calls, at any nesting depth.
        let again = pc.with_buffer(&mut [0u8; 4097], |x| x);
        assert_eq!(again, inner);
        assert_eq!(pc.cached_buffers(), 2);
        // Large buffers are not kept.
        pc.with_buffer(&mut std::vec![0u8; CACHED_BUF_MAX + 1], |_| ());
        assert_eq!(pc.cached_buffers(), 2);
    }

    #[test]
    fn failed_buffer_fails_hypercalls_with_the_os_error() {
        // `/dev/null` cannot be mapped: every buffer fails with ENODEV.
        let pc = null_privcmd("/dev/null");
        assert!(pc.uses_hypercall_device());
        // SAFETY: the ioctl on /dev/null never reaches Xen.
        let plain = unsafe { pc.hypercall5(xen_abi::xen::HypercallOp::XEN_VERSION, [0; 5]) };
        assert_eq!(plain, -(libc::ENOTTY as isize));
        let mut buf = [0u8; 8];
        let (addr, inside, nested) = pc.with_buffer(&mut buf, |addr| {
            // SAFETY: refused before any ioctl.
            let inside = unsafe {
                pc.hypercall5(xen_abi::xen::HypercallOp::XEN_VERSION, [0, addr, 0, 0, 0])
            };
            let nested = pc.with_buffer(&mut [0u8; 8], |a| {
                // SAFETY: as above.
                unsafe { pc.hypercall5(xen_abi::xen::HypercallOp::XEN_VERSION, [0, a, 0, 0, 0]) }
            });
            (addr, inside, nested)
        });
        assert_eq!(addr, 0);
        assert_eq!(inside, -(libc::ENODEV as isize));
        assert_eq!(nested, -(libc::ENODEV as isize));
        // Outside the scope, hypercalls are issued again.
        // SAFETY: as above.
        let after = unsafe { pc.hypercall5(xen_abi::xen::HypercallOp::XEN_VERSION, [0; 5]) };
        assert_eq!(after, -(libc::ENOTTY as isize));
        assert_eq!(pc.cached_buffers(), 0);
    }

    #[test]
    fn privcmd_errors_keep_the_os_error() {
        let e = null_privcmd("/nonexistent")
            .restrict(xen_abi::DomId::DOM0)
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTTY));
        assert_eq!(e.errno(), Errno::new(libc::ENOTTY));
        let s = e.to_string();
        assert!(s.contains("IOCTL_PRIVCMD_RESTRICT"), "{s}");
        assert!(core::error::Error::source(&e).is_some());
        let io: io::Error = e.into();
        assert_eq!(io.raw_os_error(), Some(libc::ENOTTY));
        let none = null_privcmd("/nonexistent")
            .map_foreign(xen_abi::DomId::DOM0, &[], foreign::Access::ReadOnly)
            .unwrap_err();
        assert!(matches!(none, PrivcmdError::InvalidArgument(_)));
        assert_eq!((none.raw_os_error(), none.errno()), (None, Errno::EINVAL));
    }

    #[test]
    fn open_error_names_path_and_fix() {
        let e = OpenError::new(
            Path::new(PRIVCMD_PATH),
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        let s = e.to_string();
        assert!(s.contains("/dev/xen/privcmd") && s.contains("root"), "{s}");
    }
}
