// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Linux `/dev/xen/privcmd` backend, for userspace in dom0 or a driver
//! domain.
//!
//! Hypercalls go through `IOCTL_PRIVCMD_HYPERCALL`. Xen reads and writes the
//! buffers a hypercall names while the kernel runs it on our behalf, so they
//! must not fault: every buffer is bounced through memory mmap'd from
//! `/dev/xen/hypercall` (which the kernel keeps resident and lets Xen access),
//! falling back to locked anonymous memory only when that node is absent, as
//! libxencall does.
//!
//! Beyond hypercalls: [`Privcmd::restrict`] limits a descriptor to one
//! domain; [`Privcmd::map_foreign`] (`IOCTL_PRIVCMD_MMAPBATCH_V2`) and
//! [`Privcmd::map_resource`] (`IOCTL_PRIVCMD_MMAP_RESOURCE`) map another
//! domain's memory into an owned [`ForeignMapping`]; [`sysfs::detect`] reads
//! `/sys/hypervisor`.

use core::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::Hypercall;

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

/// An open `/dev/xen/privcmd`, with its hypercall-buffer source.
#[derive(Debug)]
pub struct Privcmd {
    privcmd: File,
    /// `/dev/xen/hypercall`, or `None` to use locked anonymous memory.
    bufdev: Option<File>,
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
        Ok(Self { privcmd, bufdev })
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
}

/// A page-granular mapping Xen may access during a hypercall.
struct HypercallBuf {
    ptr: *mut u8,
    len: usize,
    locked: bool,
}

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

    fn with_buffer<R>(&self, buf: &mut [u8], f: impl FnOnce(u64) -> R) -> R {
        let mut hbuf = match HypercallBuf::new(self.bufdev.as_ref(), buf.len()) {
            Ok(b) => b,
            // No hypercall-safe memory: hand Xen an address it cannot use, so
            // the hypercall fails with EFAULT rather than touching the heap.
            Err(_) => return f(0),
        };
        hbuf.bytes()[..buf.len()].copy_from_slice(buf);
        let r = f(hbuf.ptr as usize as u64);
        buf.copy_from_slice(&hbuf.bytes()[..buf.len()]);
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
