// SPDX-License-Identifier: MIT OR Apache-2.0
//! The crate's error type.

use core::fmt;

#[cfg(all(feature = "std", target_os = "linux"))]
use alloc::sync::Arc;

use xen_abi::io::byte_ring::BadIndex;
use xen_abi::io::xs_wire::{MsgType, ReqId};
use xen_abi::Errno;

/// Errors of the codec, the transports and the client.
///
/// `Clone`: when a connection breaks, every request still waiting gets the
/// same error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// xenstored refused the request: an `XS_ERROR` reply naming this errno
    /// (`ENOENT`, `EACCES`, `EAGAIN` for a transaction conflict, ...).
    Xenstore(Errno),
    /// An `XS_ERROR` reply whose name is not in the `xsd_errors` table.
    UnknownErrorName,
    /// A message longer than `XENSTORE_PAYLOAD_MAX` (4096 bytes), to send
    /// or received (the latter breaks the connection).
    PayloadTooLong(usize),
    /// A path that is empty, too long, or has a character or form xenstored
    /// rejects.
    InvalidPath(PathError),
    /// A permission that is not `[wrbn]<domid>`.
    InvalidPerms,
    /// A value that must not contain a nul byte (a watch token, a control
    /// argument) did.
    EmbeddedNul,
    /// A message whose payload does not have the form its type needs.
    Malformed(&'static str),
    /// A message type the receiver does not know or does not accept here.
    UnexpectedType(MsgType),
    /// A reply carries a request id no request is waiting for: the peer is
    /// confused or hostile (breaks the connection).
    UnknownReqId(ReqId),
    /// A watch event names a token no watch of this connection has (the
    /// event is dropped; the connection stays up).
    UnknownWatchToken,
    /// A watch with this token is already registered on the connection.
    DuplicateToken,
    /// The peer's ring index is inconsistent (breaks the connection).
    BadRingIndex(BadIndex),
    /// The connection closed, possibly in the middle of a message.
    Disconnected,
    /// The connection broke earlier (for this reason); nothing more can be
    /// sent or received on it.
    Broken(BrokenReason),
    /// An operating-system error of the transport, as the OS reported it
    /// (errno included).
    #[cfg(all(feature = "std", target_os = "linux"))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
    Io(IoError),
    /// No connection to xenstore could be opened: each path tried, in
    /// order, with the OS error it gave.
    #[cfg(all(feature = "std", target_os = "linux"))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
    Connect(ConnectError),
    /// A transaction kept conflicting (`EAGAIN`) for this many attempts.
    TooManyRetries(u32),
    /// xenstored answered `XS_TRANSACTION_START` with id 0 (`XBT_NULL`,
    /// "no transaction"): requests "in" it would run outside any
    /// transaction, so it is refused.
    NullTransaction,
    /// An `XS_DIRECTORY_PART` listing ran past
    /// [`DIRECTORY_MAX_BYTES`](crate::DIRECTORY_MAX_BYTES) bytes of names or
    /// [`DIRECTORY_MAX_ROUNDS`](crate::DIRECTORY_MAX_ROUNDS) parts: the
    /// peer never said "last" (the bytes and parts seen so far).
    DirectoryTooLarge {
        /// Bytes of names (with their nuls) received.
        bytes: usize,
        /// Parts received.
        rounds: u32,
    },
}

/// A [`std::io::Error`] kept whole inside an [`Error`] (feature `std`).
///
/// Shared, so [`Error`] stays `Clone`; two compare equal when their kind and
/// OS error number do.
#[cfg(all(feature = "std", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
#[derive(Debug, Clone)]
pub struct IoError(Arc<std::io::Error>);

#[cfg(all(feature = "std", target_os = "linux"))]
impl IoError {
    /// The error as the OS (or the stream) reported it.
    pub fn get_ref(&self) -> &std::io::Error {
        &self.0
    }

    /// Its kind.
    pub fn kind(&self) -> std::io::ErrorKind {
        self.0.kind()
    }

    /// The OS error number (errno), if the OS reported it.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.0.raw_os_error()
    }
}

#[cfg(all(feature = "std", target_os = "linux"))]
impl PartialEq for IoError {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.raw_os_error() == other.raw_os_error()
    }
}

#[cfg(all(feature = "std", target_os = "linux"))]
impl Eq for IoError {}

#[cfg(all(feature = "std", target_os = "linux"))]
impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(all(feature = "std", target_os = "linux"))]
impl From<std::io::Error> for IoError {
    fn from(e: std::io::Error) -> Self {
        Self(Arc::new(e))
    }
}

/// The paths [`Xenstore::open`](crate::Xenstore::open) (or one of the
/// `open_*` constructors) tried, each with the OS error it gave; its
/// `Display` names them all and ends with a hint.
#[cfg(all(feature = "std", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    tried: alloc::vec::Vec<(std::path::PathBuf, IoError)>,
}

#[cfg(all(feature = "std", target_os = "linux"))]
impl ConnectError {
    /// A failure to open the given paths, in the order they were tried.
    pub fn new(tried: alloc::vec::Vec<(std::path::PathBuf, IoError)>) -> Self {
        Self { tried }
    }

    /// Each path tried, with its error.
    pub fn tried(&self) -> &[(std::path::PathBuf, IoError)] {
        &self.tried
    }

    /// What to do about it.
    fn hint(&self) -> &'static str {
        let kinds = || self.tried.iter().map(|(_, e)| e.kind());
        if kinds().any(|k| k == std::io::ErrorKind::PermissionDenied) {
            "the xenstored socket and the xenbus device are root-only: run as root"
        } else if kinds().all(|k| k == std::io::ErrorKind::NotFound) {
            "not running on Xen, or xenstored is not running: in dom0 start \
             xenstored; in a guest the kernel provides /dev/xen/xenbus (xenfs, \
             xen-xenbus); XENSTORED_PATH names another socket or device"
        } else {
            "is xenstored running? XENSTORED_PATH names another socket or device"
        }
    }
}

#[cfg(all(feature = "std", target_os = "linux"))]
impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot connect to xenstore: ")?;
        for (i, (path, e)) in self.tried.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", then " };
            write!(f, "{sep}{}: {e}", path.display())?;
        }
        write!(f, " ({})", self.hint())
    }
}

/// Why a connection was declared broken (see [`Error::Broken`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokenReason {
    /// The peer closed the connection.
    Disconnected,
    /// The peer sent a message longer than the protocol allows.
    PayloadTooLong,
    /// The peer answered a request id nobody asked with.
    UnknownReqId,
    /// The peer sent a message of a type a client never receives.
    UnexpectedType,
    /// The peer moved a ring index inconsistently.
    BadRingIndex,
    /// The transport failed.
    Io,
}

/// What is wrong with a path (see [`Error::InvalidPath`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty.
    Empty,
    /// Longer than `XENSTORE_ABS_PATH_MAX` (absolute) or
    /// `XENSTORE_REL_PATH_MAX` (relative) bytes.
    TooLong(usize),
    /// A byte outside `[A-Za-z0-9-/_@]` at this offset.
    BadChar(usize),
    /// An empty component (`//`) or a trailing `/`.
    EmptyComponent,
    /// A special path that is not one of `@introduceDomain`,
    /// `@releaseDomain`.
    UnknownSpecial,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// The xenstored errno, if this is an error reply from the daemon.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Xenstore(e) => Some(*e),
            _ => None,
        }
    }

    /// Whether this is xenstored's `EAGAIN` (a transaction conflict: retry).
    pub fn is_again(&self) -> bool {
        self.errno() == Some(Errno::EAGAIN)
    }

    /// The reason to record when this error breaks a connection.
    pub(crate) fn broken_reason(&self) -> BrokenReason {
        match self {
            Error::PayloadTooLong(_) => BrokenReason::PayloadTooLong,
            Error::UnknownReqId(_) => BrokenReason::UnknownReqId,
            Error::UnexpectedType(_) => BrokenReason::UnexpectedType,
            Error::BadRingIndex(_) => BrokenReason::BadRingIndex,
            Error::Broken(r) => *r,
            Error::Disconnected => BrokenReason::Disconnected,
            _ => BrokenReason::Io,
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Empty => f.write_str("empty path"),
            PathError::TooLong(n) => write!(f, "path of {n} bytes is too long"),
            PathError::BadChar(at) => write!(f, "invalid character at offset {at}"),
            PathError::EmptyComponent => f.write_str("empty path component or trailing '/'"),
            PathError::UnknownSpecial => f.write_str("unknown special (@) path"),
        }
    }
}

impl fmt::Display for BrokenReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BrokenReason::Disconnected => "the peer disconnected",
            BrokenReason::PayloadTooLong => "the peer sent an oversized message",
            BrokenReason::UnknownReqId => "the peer answered an unknown request id",
            BrokenReason::UnexpectedType => "the peer sent an unexpected message type",
            BrokenReason::BadRingIndex => "the peer corrupted a ring index",
            BrokenReason::Io => "the transport failed",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Xenstore(e) => write!(f, "xenstored: {e}"),
            Error::UnknownErrorName => f.write_str("xenstored sent an unknown error name"),
            Error::PayloadTooLong(n) => {
                write!(f, "xenstore payload of {n} bytes exceeds 4096")
            }
            Error::InvalidPath(e) => write!(f, "invalid xenstore path: {e}"),
            Error::InvalidPerms => f.write_str("invalid xenstore permission (want [wrbn]<domid>)"),
            Error::EmbeddedNul => f.write_str("argument contains a nul byte"),
            Error::Malformed(what) => write!(f, "malformed xenstore message: {what}"),
            Error::UnexpectedType(t) => write!(f, "unexpected xenstore message {t}"),
            Error::UnknownReqId(id) => write!(f, "reply for unknown request id {id}"),
            Error::UnknownWatchToken => f.write_str("watch event for an unknown token"),
            Error::DuplicateToken => f.write_str("a watch with this token already exists"),
            Error::BadRingIndex(b) => write!(f, "xenstore ring: {b}"),
            Error::Disconnected => f.write_str("xenstore connection closed"),
            Error::Broken(r) => write!(f, "xenstore connection is broken: {r}"),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Error::Io(e) => write!(f, "xenstore transport: {e}"),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Error::Connect(e) => fmt::Display::fmt(e, f),
            Error::TooManyRetries(n) => {
                write!(f, "transaction still conflicting after {n} attempts")
            }
            Error::NullTransaction => f.write_str("xenstored started a transaction with id 0"),
            Error::DirectoryTooLarge { bytes, rounds } => write!(
                f,
                "directory listing not finished after {bytes} bytes in {rounds} parts"
            ),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            #[cfg(all(feature = "std", target_os = "linux"))]
            Error::Io(e) => Some(e.get_ref()),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Error::Connect(e) => e.tried.last().map(|(_, e)| e.get_ref() as _),
            _ => None,
        }
    }
}

impl From<PathError> for Error {
    fn from(e: PathError) -> Self {
        Error::InvalidPath(e)
    }
}

impl From<BadIndex> for Error {
    fn from(e: BadIndex) -> Self {
        Error::BadRingIndex(e)
    }
}

#[cfg(all(feature = "std", target_os = "linux"))]
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::Disconnected,
            _ => Error::Io(e.into()),
        }
    }
}

#[cfg(all(test, feature = "std", target_os = "linux"))]
mod tests {
    use super::*;
    use core::error::Error as _;
    use std::string::ToString;

    #[test]
    fn io_errors_keep_the_os_error() {
        let e = Error::from(std::io::Error::from_raw_os_error(32));
        let Error::Io(io) = &e else {
            panic!("{e:?}");
        };
        assert_eq!(io.raw_os_error(), Some(32));
        assert_eq!(io.kind(), std::io::ErrorKind::BrokenPipe);
        let source = e.source().expect("the io::Error is the source");
        assert!(source.is::<std::io::Error>());
        assert_eq!(e.clone(), e);
        assert_ne!(e, Error::from(std::io::Error::from_raw_os_error(5)));
        assert!(e.to_string().starts_with("xenstore transport: "));
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert_eq!(Error::from(eof), Error::Disconnected);
    }
}
