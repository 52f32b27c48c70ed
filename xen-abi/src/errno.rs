// SPDX-License-Identifier: MIT OR Apache-2.0
//! `errno.h`: the error numbers hypercalls return (negated).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A Xen error number, as a hypercall returns it negated (`-XEN_EINVAL`).
///
/// A newtype, not an enum: a value this crate does not know stays
/// representable and prints as its number.
///
/// ```
/// use xen_abi::Errno;
/// assert_eq!(Errno::from_ret(-22), Some(Errno::EINVAL));
/// assert_eq!(Errno::from_ret(5), None);
/// assert_eq!(Errno::ENOSYS.to_string(), "ENOSYS (function not implemented)");
/// assert_eq!(Errno::new(4242).to_string(), "Xen errno 4242");
/// ```
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
#[doc(alias = "xen_errno")]
pub struct Errno(i32);

impl Errno {
    /// Wraps a positive error number.
    pub const fn new(raw: i32) -> Self {
        Self(raw)
    }

    /// The positive error number.
    pub const fn get(self) -> i32 {
        self.0
    }

    /// Decodes a hypercall's return value: `Some(errno)` for `-4095..=-1`,
    /// `None` for a success value.
    pub const fn from_ret(ret: isize) -> Option<Self> {
        if ret < 0 && ret >= -4095 {
            Some(Self(-ret as i32))
        } else {
            None
        }
    }

    /// Turns a hypercall's return value into a `Result`.
    ///
    /// # Errors
    /// The errno when `ret` is in the error range.
    pub const fn result(ret: isize) -> Result<usize, Self> {
        match Self::from_ret(ret) {
            Some(e) => Err(e),
            None => Ok(ret as usize),
        }
    }

    /// `XEN_EPERM` (1): operation not permitted.
    #[doc(alias = "XEN_EPERM")]
    pub const EPERM: Self = Self(1);
    /// `XEN_ENOENT` (2): no such file or directory.
    #[doc(alias = "XEN_ENOENT")]
    pub const ENOENT: Self = Self(2);
    /// `XEN_ESRCH` (3): no such process.
    #[doc(alias = "XEN_ESRCH")]
    pub const ESRCH: Self = Self(3);
    /// `XEN_EIO` (5): i/O error.
    #[doc(alias = "XEN_EIO")]
    pub const EIO: Self = Self(5);
    /// `XEN_ENXIO` (6): no such device or address.
    #[doc(alias = "XEN_ENXIO")]
    pub const ENXIO: Self = Self(6);
    /// `XEN_E2BIG` (7): arg list too long.
    #[doc(alias = "XEN_E2BIG")]
    pub const E2BIG: Self = Self(7);
    /// `XEN_ENOEXEC` (8): exec format error.
    #[doc(alias = "XEN_ENOEXEC")]
    pub const ENOEXEC: Self = Self(8);
    /// `XEN_EBADF` (9): bad file number.
    #[doc(alias = "XEN_EBADF")]
    pub const EBADF: Self = Self(9);
    /// `XEN_ECHILD` (10): no child processes.
    #[doc(alias = "XEN_ECHILD")]
    pub const ECHILD: Self = Self(10);
    /// `XEN_EAGAIN` (11): try again.
    #[doc(alias = "XEN_EAGAIN")]
    pub const EAGAIN: Self = Self(11);
    /// `XEN_EWOULDBLOCK` (11): operation would block.  Aliases EAGAIN.
    #[doc(alias = "XEN_EWOULDBLOCK")]
    pub const EWOULDBLOCK: Self = Self(11);
    /// `XEN_ENOMEM` (12): out of memory.
    #[doc(alias = "XEN_ENOMEM")]
    pub const ENOMEM: Self = Self(12);
    /// `XEN_EACCES` (13): permission denied.
    #[doc(alias = "XEN_EACCES")]
    pub const EACCES: Self = Self(13);
    /// `XEN_EFAULT` (14): bad address.
    #[doc(alias = "XEN_EFAULT")]
    pub const EFAULT: Self = Self(14);
    /// `XEN_EBUSY` (16): device or resource busy.
    #[doc(alias = "XEN_EBUSY")]
    pub const EBUSY: Self = Self(16);
    /// `XEN_EEXIST` (17): file exists.
    #[doc(alias = "XEN_EEXIST")]
    pub const EEXIST: Self = Self(17);
    /// `XEN_EXDEV` (18): cross-device link.
    #[doc(alias = "XEN_EXDEV")]
    pub const EXDEV: Self = Self(18);
    /// `XEN_ENODEV` (19): no such device.
    #[doc(alias = "XEN_ENODEV")]
    pub const ENODEV: Self = Self(19);
    /// `XEN_ENOTDIR` (20): not a directory.
    #[doc(alias = "XEN_ENOTDIR")]
    pub const ENOTDIR: Self = Self(20);
    /// `XEN_EISDIR` (21): is a directory.
    #[doc(alias = "XEN_EISDIR")]
    pub const EISDIR: Self = Self(21);
    /// `XEN_EINVAL` (22): invalid argument.
    #[doc(alias = "XEN_EINVAL")]
    pub const EINVAL: Self = Self(22);
    /// `XEN_ENFILE` (23): file table overflow.
    #[doc(alias = "XEN_ENFILE")]
    pub const ENFILE: Self = Self(23);
    /// `XEN_EMFILE` (24): too many open files.
    #[doc(alias = "XEN_EMFILE")]
    pub const EMFILE: Self = Self(24);
    /// `XEN_ENOSPC` (28): no space left on device.
    #[doc(alias = "XEN_ENOSPC")]
    pub const ENOSPC: Self = Self(28);
    /// `XEN_EROFS` (30): read-only file system.
    #[doc(alias = "XEN_EROFS")]
    pub const EROFS: Self = Self(30);
    /// `XEN_EMLINK` (31): too many links.
    #[doc(alias = "XEN_EMLINK")]
    pub const EMLINK: Self = Self(31);
    /// `XEN_EDOM` (33): math argument out of domain of func.
    #[doc(alias = "XEN_EDOM")]
    pub const EDOM: Self = Self(33);
    /// `XEN_ERANGE` (34): math result not representable.
    #[doc(alias = "XEN_ERANGE")]
    pub const ERANGE: Self = Self(34);
    /// `XEN_EDEADLK` (35): resource deadlock would occur.
    #[doc(alias = "XEN_EDEADLK")]
    pub const EDEADLK: Self = Self(35);
    /// `XEN_EDEADLOCK` (35): resource deadlock would occur. Aliases EDEADLK.
    #[doc(alias = "XEN_EDEADLOCK")]
    pub const EDEADLOCK: Self = Self(35);
    /// `XEN_ENAMETOOLONG` (36): file name too long.
    #[doc(alias = "XEN_ENAMETOOLONG")]
    pub const ENAMETOOLONG: Self = Self(36);
    /// `XEN_ENOLCK` (37): no record locks available.
    #[doc(alias = "XEN_ENOLCK")]
    pub const ENOLCK: Self = Self(37);
    /// `XEN_ENOSYS` (38): function not implemented.
    #[doc(alias = "XEN_ENOSYS")]
    pub const ENOSYS: Self = Self(38);
    /// `XEN_ENOTEMPTY` (39): directory not empty.
    #[doc(alias = "XEN_ENOTEMPTY")]
    pub const ENOTEMPTY: Self = Self(39);
    /// `XEN_ENODATA` (61): no data available.
    #[doc(alias = "XEN_ENODATA")]
    pub const ENODATA: Self = Self(61);
    /// `XEN_ETIME` (62): timer expired.
    #[doc(alias = "XEN_ETIME")]
    pub const ETIME: Self = Self(62);
    /// `XEN_EBADMSG` (74): not a data message.
    #[doc(alias = "XEN_EBADMSG")]
    pub const EBADMSG: Self = Self(74);
    /// `XEN_EOVERFLOW` (75): value too large for defined data type.
    #[doc(alias = "XEN_EOVERFLOW")]
    pub const EOVERFLOW: Self = Self(75);
    /// `XEN_EILSEQ` (84): illegal byte sequence.
    #[doc(alias = "XEN_EILSEQ")]
    pub const EILSEQ: Self = Self(84);
    /// `XEN_ENOTSOCK` (88): socket operation on non-socket.
    #[doc(alias = "XEN_ENOTSOCK")]
    pub const ENOTSOCK: Self = Self(88);
    /// `XEN_EMSGSIZE` (90): message too large..
    #[doc(alias = "XEN_EMSGSIZE")]
    pub const EMSGSIZE: Self = Self(90);
    /// `XEN_EOPNOTSUPP` (95): operation not supported on transport endpoint.
    #[doc(alias = "XEN_EOPNOTSUPP")]
    pub const EOPNOTSUPP: Self = Self(95);
    /// `XEN_EADDRINUSE` (98): address already in use.
    #[doc(alias = "XEN_EADDRINUSE")]
    pub const EADDRINUSE: Self = Self(98);
    /// `XEN_EADDRNOTAVAIL` (99): cannot assign requested address.
    #[doc(alias = "XEN_EADDRNOTAVAIL")]
    pub const EADDRNOTAVAIL: Self = Self(99);
    /// `XEN_ENOBUFS` (105): no buffer space available.
    #[doc(alias = "XEN_ENOBUFS")]
    pub const ENOBUFS: Self = Self(105);
    /// `XEN_EISCONN` (106): transport endpoint is already connected.
    #[doc(alias = "XEN_EISCONN")]
    pub const EISCONN: Self = Self(106);
    /// `XEN_ENOTCONN` (107): transport endpoint is not connected.
    #[doc(alias = "XEN_ENOTCONN")]
    pub const ENOTCONN: Self = Self(107);
    /// `XEN_ETIMEDOUT` (110): connection timed out.
    #[doc(alias = "XEN_ETIMEDOUT")]
    pub const ETIMEDOUT: Self = Self(110);
    /// `XEN_ECONNREFUSED` (111): connection refused.
    #[doc(alias = "XEN_ECONNREFUSED")]
    pub const ECONNREFUSED: Self = Self(111);

    /// The symbolic name and description, for a known value.
    pub const fn describe(self) -> Option<(&'static str, &'static str)> {
        Some(match self.0 {
            1 => ("EPERM", "operation not permitted"),
            2 => ("ENOENT", "no such file or directory"),
            3 => ("ESRCH", "no such process"),
            5 => ("EIO", "i/o error"),
            6 => ("ENXIO", "no such device or address"),
            7 => ("E2BIG", "arg list too long"),
            8 => ("ENOEXEC", "exec format error"),
            9 => ("EBADF", "bad file number"),
            10 => ("ECHILD", "no child processes"),
            11 => ("EAGAIN", "try again"),
            12 => ("ENOMEM", "out of memory"),
            13 => ("EACCES", "permission denied"),
            14 => ("EFAULT", "bad address"),
            16 => ("EBUSY", "device or resource busy"),
            17 => ("EEXIST", "file exists"),
            18 => ("EXDEV", "cross-device link"),
            19 => ("ENODEV", "no such device"),
            20 => ("ENOTDIR", "not a directory"),
            21 => ("EISDIR", "is a directory"),
            22 => ("EINVAL", "invalid argument"),
            23 => ("ENFILE", "file table overflow"),
            24 => ("EMFILE", "too many open files"),
            28 => ("ENOSPC", "no space left on device"),
            30 => ("EROFS", "read-only file system"),
            31 => ("EMLINK", "too many links"),
            33 => ("EDOM", "math argument out of domain of func"),
            34 => ("ERANGE", "math result not representable"),
            35 => ("EDEADLK", "resource deadlock would occur"),
            36 => ("ENAMETOOLONG", "file name too long"),
            37 => ("ENOLCK", "no record locks available"),
            38 => ("ENOSYS", "function not implemented"),
            39 => ("ENOTEMPTY", "directory not empty"),
            61 => ("ENODATA", "no data available"),
            62 => ("ETIME", "timer expired"),
            74 => ("EBADMSG", "not a data message"),
            75 => ("EOVERFLOW", "value too large for defined data type"),
            84 => ("EILSEQ", "illegal byte sequence"),
            88 => ("ENOTSOCK", "socket operation on non-socket"),
            90 => ("EMSGSIZE", "message too large."),
            95 => (
                "EOPNOTSUPP",
                "operation not supported on transport endpoint",
            ),
            98 => ("EADDRINUSE", "address already in use"),
            99 => ("EADDRNOTAVAIL", "cannot assign requested address"),
            105 => ("ENOBUFS", "no buffer space available"),
            106 => ("EISCONN", "transport endpoint is already connected"),
            107 => ("ENOTCONN", "transport endpoint is not connected"),
            110 => ("ETIMEDOUT", "connection timed out"),
            111 => ("ECONNREFUSED", "connection refused"),
            _ => return None,
        })
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.describe() {
            Some((name, text)) => write!(f, "{name} ({text})"),
            None => write!(f, "Xen errno {}", self.0),
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.describe() {
            Some((name, _)) => write!(f, "Errno({name})"),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl core::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_values() {
        assert_eq!(Errno::result(0), Ok(0));
        assert_eq!(Errno::result(7), Ok(7));
        assert_eq!(Errno::result(-38), Err(Errno::ENOSYS));
        assert_eq!(Errno::from_ret(-4096), None);
        assert_eq!(std::format!("{:?}", Errno::new(999)), "Errno(999)");
    }
}
