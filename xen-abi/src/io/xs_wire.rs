// SPDX-License-Identifier: MIT OR Apache-2.0
//! `io/xs_wire.h`: the xenstore wire protocol and its shared ring page.
//!
//! Every xenstore message is a 16-byte [`MsgHeader`] followed by
//! [`MsgHeader::len`] bytes of payload (at most [`PAYLOAD_MAX`]), generally
//! nul-terminated strings. A guest exchanges messages with xenstored through
//! two byte rings in a shared page ([`DomainInterface`]); a privileged
//! process can also talk to it over a socket with the same framing.
//!
//! Errors come back as an [`MsgType::ERROR`] message whose payload is the
//! name of an errno (`"EINVAL"`); [`ERRORS`] maps the names to numbers.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::Errno;

/// A xenstore message type (`enum xsd_sockmsg_type`), the `type` field of
/// a [`MsgHeader`].
///
/// A newtype, not an enum: the value comes from the peer, and one this
/// crate does not know stays representable.
///
/// ```
/// use xen_abi::io::xs_wire::MsgType;
/// assert_eq!(MsgType::READ.name(), Some("XS_READ"));
/// assert_eq!(MsgType::new(20).name(), None); // XS_RESTRICT was removed
/// assert_eq!(format!("{:?}", MsgType::new(99)), "MsgType(99)");
/// ```
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(transparent)]
#[doc(alias = "xsd_sockmsg_type")]
pub struct MsgType(u32);

impl MsgType {
    /// Wraps a raw message type.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw message type.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Control command (formerly `XS_DEBUG`), for privileged tools.
    #[doc(alias = "XS_CONTROL")]
    pub const CONTROL: Self = Self(0);
    /// The old name of [`MsgType::CONTROL`].
    #[doc(alias = "XS_DEBUG")]
    pub const DEBUG: Self = Self(0);
    /// List the children of a node.
    #[doc(alias = "XS_DIRECTORY")]
    pub const DIRECTORY: Self = Self(1);
    /// Read a node's value.
    #[doc(alias = "XS_READ")]
    pub const READ: Self = Self(2);
    /// Read a node's permissions.
    #[doc(alias = "XS_GET_PERMS")]
    pub const GET_PERMS: Self = Self(3);
    /// Watch a path: payload is the path and a token.
    #[doc(alias = "XS_WATCH")]
    pub const WATCH: Self = Self(4);
    /// Remove a watch.
    #[doc(alias = "XS_UNWATCH")]
    pub const UNWATCH: Self = Self(5);
    /// Start a transaction; the reply carries its id.
    #[doc(alias = "XS_TRANSACTION_START")]
    pub const TRANSACTION_START: Self = Self(6);
    /// Commit (`"T"`) or abort (`"F"`) a transaction.
    #[doc(alias = "XS_TRANSACTION_END")]
    pub const TRANSACTION_END: Self = Self(7);
    /// Introduce a new domain's xenstore ring (privileged).
    #[doc(alias = "XS_INTRODUCE")]
    pub const INTRODUCE: Self = Self(8);
    /// Forget a domain (privileged).
    #[doc(alias = "XS_RELEASE")]
    pub const RELEASE: Self = Self(9);
    /// Get a domain's home path (`/local/domain/<domid>`).
    #[doc(alias = "XS_GET_DOMAIN_PATH")]
    pub const GET_DOMAIN_PATH: Self = Self(10);
    /// Write a node's value.
    #[doc(alias = "XS_WRITE")]
    pub const WRITE: Self = Self(11);
    /// Create a node.
    #[doc(alias = "XS_MKDIR")]
    pub const MKDIR: Self = Self(12);
    /// Remove a node and its children.
    #[doc(alias = "XS_RM")]
    pub const RM: Self = Self(13);
    /// Set a node's permissions.
    #[doc(alias = "XS_SET_PERMS")]
    pub const SET_PERMS: Self = Self(14);
    /// Asynchronous watch event from xenstored: payload is the path and the
    /// token ([`WATCH_PATH`], [`WATCH_TOKEN`]).
    #[doc(alias = "XS_WATCH_EVENT")]
    pub const WATCH_EVENT: Self = Self(15);
    /// Error reply: payload is an errno name, see [`ERRORS`].
    #[doc(alias = "XS_ERROR")]
    pub const ERROR: Self = Self(16);
    /// Ask whether a domain is introduced (privileged).
    #[doc(alias = "XS_IS_DOMAIN_INTRODUCED")]
    pub const IS_DOMAIN_INTRODUCED: Self = Self(17);
    /// Resume a domain's xenstore connection (privileged).
    #[doc(alias = "XS_RESUME")]
    pub const RESUME: Self = Self(18);
    /// Let a domain act for a target domain (privileged).
    #[doc(alias = "XS_SET_TARGET")]
    pub const SET_TARGET: Self = Self(19);
    /// Remove all watches and transactions of the connection (20, formerly
    /// `XS_RESTRICT`, is retired).
    #[doc(alias = "XS_RESET_WATCHES")]
    pub const RESET_WATCHES: Self = Self(21);
    /// List a node's children in parts (for directories larger than one
    /// payload).
    #[doc(alias = "XS_DIRECTORY_PART")]
    pub const DIRECTORY_PART: Self = Self(22);
    // Types 23-26 are newer than the 4.17 headers the layout proof reads
    // (they come from `docs/misc/xenstore.txt`; an older xenstored answers
    // `ENOSYS`), so their C names are in the docs, not doc aliases.
    /// `XS_GET_FEATURE`: read a domain's (or the server's) xenstore feature
    /// bits (Xen 4.18+).
    pub const GET_FEATURE: Self = Self(23);
    /// `XS_SET_FEATURE`: set a domain's xenstore feature bits (Xen 4.18+).
    pub const SET_FEATURE: Self = Self(24);
    /// `XS_GET_QUOTA`: list quota names, or read a global or per-domain
    /// quota (Xen 4.19+).
    pub const GET_QUOTA: Self = Self(25);
    /// `XS_SET_QUOTA`: set a global or per-domain quota (Xen 4.19+).
    pub const SET_QUOTA: Self = Self(26);
    /// Guaranteed to remain an invalid type.
    #[doc(alias = "XS_INVALID")]
    pub const INVALID: Self = Self(0xffff);

    /// One more than the highest type of this interface version
    /// (`XS_TYPE_COUNT` of the 4.17 headers); not a type itself. The newer
    /// types from [`MsgType::GET_FEATURE`] on lie above it.
    #[doc(alias = "XS_TYPE_COUNT")]
    pub const COUNT: u32 = 23;

    /// The C name of a type this interface version defines (`"XS_READ"`),
    /// or `None`. [`MsgType::CONTROL`] is `"XS_CONTROL"`.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "XS_CONTROL",
            1 => "XS_DIRECTORY",
            2 => "XS_READ",
            3 => "XS_GET_PERMS",
            4 => "XS_WATCH",
            5 => "XS_UNWATCH",
            6 => "XS_TRANSACTION_START",
            7 => "XS_TRANSACTION_END",
            8 => "XS_INTRODUCE",
            9 => "XS_RELEASE",
            10 => "XS_GET_DOMAIN_PATH",
            11 => "XS_WRITE",
            12 => "XS_MKDIR",
            13 => "XS_RM",
            14 => "XS_SET_PERMS",
            15 => "XS_WATCH_EVENT",
            16 => "XS_ERROR",
            17 => "XS_IS_DOMAIN_INTRODUCED",
            18 => "XS_RESUME",
            19 => "XS_SET_TARGET",
            21 => "XS_RESET_WATCHES",
            22 => "XS_DIRECTORY_PART",
            23 => "XS_GET_FEATURE",
            24 => "XS_SET_FEATURE",
            25 => "XS_GET_QUOTA",
            26 => "XS_SET_QUOTA",
            0xffff => "XS_INVALID",
            _ => return None,
        })
    }

    /// Whether this is a real message type of the 4.17 interface version
    /// (below [`MsgType::COUNT`] and not the retired 20); the newer types
    /// ([`MsgType::GET_FEATURE`] to [`MsgType::SET_QUOTA`]) are not.
    pub const fn is_valid(self) -> bool {
        self.0 < Self::COUNT && self.0 != 20
    }
}

impl fmt::Debug for MsgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "MsgType({n})"),
            None => write!(f, "MsgType({})", self.0),
        }
    }
}

impl fmt::Display for MsgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "xenstore message type {}", self.0),
        }
    }
}

impl From<u32> for MsgType {
    fn from(raw: u32) -> Self {
        Self(raw)
    }
}

impl From<MsgType> for u32 {
    fn from(t: MsgType) -> Self {
        t.0
    }
}

/// A request id (`req_id` of [`MsgHeader`]): chosen by the client, echoed
/// in the reply, so replies can be matched to requests in flight.
///
/// Every `u32` is a valid request id: the wire gives it no invariant, so
/// unlike the validated ids of this crate (a [`DomId`](crate::DomId) or an
/// [`EvtchnPort`](crate::event_channel::EvtchnPort), whose constructors
/// refuse out-of-range values) it has a total [`ReqId::new`] and derives
/// `FromBytes`: a value read from a peer is representable, and checking it
/// means matching it against the ids in flight, which is the client's job.
/// Watch events carry request id 0.
///
/// ```
/// use xen_abi::io::xs_wire::ReqId;
/// assert_eq!(ReqId::new(7).next(), ReqId::new(8));
/// assert_eq!(ReqId::new(u32::MAX).next(), ReqId::new(0));
/// ```
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(transparent)]
pub struct ReqId(u32);

impl ReqId {
    /// Wraps a raw request id.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw request id.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The id after this one (wrapping), for a client handing out ids.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
    }
}

impl fmt::Display for ReqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A transaction id (`tx_id` of [`MsgHeader`], C `xs_transaction_t`):
/// assigned by xenstored in the reply to [`MsgType::TRANSACTION_START`];
/// [`TxId::NONE`] (`XBT_NULL`, 0) outside any transaction.
///
/// Like [`ReqId`], every `u32` is representable (it derives `FromBytes`):
/// whether an id names a live transaction is for xenstored to say (`ENOENT`).
///
/// ```
/// use xen_abi::io::xs_wire::TxId;
/// assert!(TxId::NONE.is_none());
/// assert_eq!(TxId::new(5).get(), 5);
/// ```
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(transparent)]
#[doc(alias = "xs_transaction_t")]
pub struct TxId(u32);

impl TxId {
    /// No transaction (`XBT_NULL` of libxenstore's `xenstore.h`; no doc
    /// alias, which the layout proof would look for in `xen/`'s headers).
    pub const NONE: Self = Self(0);

    /// Wraps a raw transaction id.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw transaction id.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Whether this is [`TxId::NONE`].
    pub const fn is_none(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The header of every xenstore message (`struct xsd_sockmsg`), followed
/// by [`MsgHeader::len`] bytes of payload.
///
/// ```
/// use xen_abi::io::xs_wire::{MsgHeader, MsgType};
/// use zerocopy::IntoBytes;
/// use xen_abi::io::xs_wire::{ReqId, TxId};
/// let h = MsgHeader { kind: MsgType::READ, req_id: ReqId::new(7), tx_id: TxId::NONE, len: 5 };
/// assert_eq!(h.as_bytes()[..4], [2, 0, 0, 0]);
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xsd_sockmsg")]
pub struct MsgHeader {
    /// The message type (C `type`, an `XS_*` value).
    #[doc(alias = "type")]
    pub kind: MsgType,
    /// Request identifier, echoed in the daemon's response.
    pub req_id: ReqId,
    /// Transaction id ([`TxId::NONE`] if not related to a transaction).
    pub tx_id: TxId,
    /// Length of the payload that follows the header.
    pub len: u32,
}
assert_layout!(MsgHeader, size = 16, align = 4, { kind: 0, req_id: 4, tx_id: 8, len: 12 });

/// Index of the watched path among the nul-separated strings of an
/// [`MsgType::WATCH_EVENT`] payload (`XS_WATCH_PATH` of `enum xs_watch_type`).
#[doc(alias = "XS_WATCH_PATH")]
pub const WATCH_PATH: usize = 0;

/// Index of the watch token among the nul-separated strings of an
/// [`MsgType::WATCH_EVENT`] payload (`XS_WATCH_TOKEN`).
#[doc(alias = "XS_WATCH_TOKEN")]
pub const WATCH_TOKEN: usize = 1;

/// `XS_WRITE` mode string: write without creating (an old protocol field).
#[doc(alias = "XS_WRITE_NONE")]
pub const WRITE_NONE: &str = "NONE";

/// `XS_WRITE` mode string: create the node if needed.
#[doc(alias = "XS_WRITE_CREATE")]
pub const WRITE_CREATE: &str = "CREATE";

/// `XS_WRITE` mode string: create the node, failing if it exists.
#[doc(alias = "XS_WRITE_CREATE_EXCL")]
pub const WRITE_CREATE_EXCL: &str = "CREATE|EXCL";

/// The errors xenstored reports, by name, in the order of C's `xsd_errors[]`
/// table (new errors are only ever appended).
///
/// An [`MsgType::ERROR`] reply carries the name (`"ENOENT"`), not the
/// number; [`errno_from_name`] looks it up.
pub const ERRORS: [(Errno, &str); 16] = [
    (Errno::EINVAL, "EINVAL"),
    (Errno::EACCES, "EACCES"),
    (Errno::EEXIST, "EEXIST"),
    (Errno::EISDIR, "EISDIR"),
    (Errno::ENOENT, "ENOENT"),
    (Errno::ENOMEM, "ENOMEM"),
    (Errno::ENOSPC, "ENOSPC"),
    (Errno::EIO, "EIO"),
    (Errno::ENOTEMPTY, "ENOTEMPTY"),
    (Errno::ENOSYS, "ENOSYS"),
    (Errno::EROFS, "EROFS"),
    (Errno::EBUSY, "EBUSY"),
    (Errno::EAGAIN, "EAGAIN"),
    (Errno::EISCONN, "EISCONN"),
    (Errno::E2BIG, "E2BIG"),
    (Errno::EPERM, "EPERM"),
];

/// The errno named by an [`MsgType::ERROR`] payload (without its nul), or
/// `None` for a name not in [`ERRORS`].
///
/// ```
/// use xen_abi::io::xs_wire::errno_from_name;
/// use xen_abi::Errno;
/// assert_eq!(errno_from_name("ENOENT"), Some(Errno::ENOENT));
/// assert_eq!(errno_from_name("EWHATEVER"), None);
/// ```
pub fn errno_from_name(name: &str) -> Option<Errno> {
    ERRORS.iter().find(|(_, n)| *n == name).map(|(e, _)| *e)
}

/// The name xenstored uses for `errno` in an [`MsgType::ERROR`] payload,
/// or `None` if it is not in [`ERRORS`].
pub fn error_name(errno: Errno) -> Option<&'static str> {
    ERRORS.iter().find(|(e, _)| *e == errno).map(|(_, n)| *n)
}

/// The element type of C's `xsd_errors[]` table (`struct xsd_errors`).
///
/// C stores a pointer to the name; here it is an opaque address, meaningful
/// only in the C program that built the table. Rust code uses [`ERRORS`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xsd_errors")]
pub struct ErrorEntry {
    /// The (Linux/Xen) error number.
    pub errnum: i32,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Address of the nul-terminated name (C `const char *errstring`).
    pub errstring: u64,
}
assert_layout!(ErrorEntry, size = 16, align = 8, { errnum: 0, errstring: 8 });

/// A free-running index into a xenstore ring (`XENSTORE_RING_IDX`).
#[doc(alias = "XENSTORE_RING_IDX")]
pub type RingIdx = u32;

/// Size of each of the two byte rings of [`DomainInterface`].
#[doc(alias = "XENSTORE_RING_SIZE")]
pub const RING_SIZE: usize = 1024;

/// Reduces a ring index to an offset into a ring (`MASK_XENSTORE_IDX`).
#[doc(alias = "MASK_XENSTORE_IDX")]
pub const fn mask_idx(idx: RingIdx) -> usize {
    idx as usize & (RING_SIZE - 1)
}

/// Largest payload of one message; xenstored treats a larger one as a
/// protocol violation.
#[doc(alias = "XENSTORE_PAYLOAD_MAX")]
pub const PAYLOAD_MAX: usize = 4096;

/// Longest absolute path xenstored accepts (longer ones get an error).
#[doc(alias = "XENSTORE_ABS_PATH_MAX")]
pub const ABS_PATH_MAX: usize = 3072;

/// Longest relative path xenstored accepts (longer ones get an error).
#[doc(alias = "XENSTORE_REL_PATH_MAX")]
pub const REL_PATH_MAX: usize = 2048;

/// `XENSTORE_SERVER_FEATURE_*`: what the server supports, in
/// [`DomainInterface::server_features`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct ServerFeatures(u32);

bitflags::bitflags! {
    impl ServerFeatures: u32 {
        /// The ring can be reconnected ([`DomainInterface::connection`]).
        #[doc(alias = "XENSTORE_SERVER_FEATURE_RECONNECTION")]
        const RECONNECTION = 1;
        /// The page has the [`DomainInterface::error`] field.
        #[doc(alias = "XENSTORE_SERVER_FEATURE_ERROR")]
        const ERROR = 2;
        const _ = !0;
    }
}

impl fmt::Debug for ServerFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerFeatures(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// The ring's connection state ([`DomainInterface::connection`]).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct Connection(u32);

impl Connection {
    /// Wraps a raw value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The steady state.
    #[doc(alias = "XENSTORE_CONNECTED")]
    pub const CONNECTED: Self = Self(0);
    /// The guest asked for a reconnection, which is in progress.
    #[doc(alias = "XENSTORE_RECONNECT")]
    pub const RECONNECT: Self = Self(1);
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::CONNECTED => f.write_str("Connection(CONNECTED)"),
            Self::RECONNECT => f.write_str("Connection(RECONNECT)"),
            Self(n) => write!(f, "Connection({n})"),
        }
    }
}

/// Why the server stopped serving the ring ([`DomainInterface::error`]).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct RingError(u32);

impl RingError {
    /// Wraps a raw value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// No error.
    #[doc(alias = "XENSTORE_ERROR_NONE")]
    pub const NONE: Self = Self(0);
    /// Communication problem.
    #[doc(alias = "XENSTORE_ERROR_COMM")]
    pub const COMM: Self = Self(1);
    /// Invalid ring index.
    #[doc(alias = "XENSTORE_ERROR_RINGIDX")]
    pub const RINGIDX: Self = Self(2);
    /// Protocol violation (payload too long).
    #[doc(alias = "XENSTORE_ERROR_PROTO")]
    pub const PROTO: Self = Self(3);

    /// The name of a known value (`"RINGIDX"`), or `None`.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NONE",
            1 => "COMM",
            2 => "RINGIDX",
            3 => "PROTO",
            _ => return None,
        })
    }
}

impl fmt::Debug for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "RingError({n})"),
            None => write!(f, "RingError({})", self.0),
        }
    }
}

/// The xenstore shared page of a domain (`struct xenstore_domain_interface`).
///
/// The guest produces requests into `req` and consumes replies and watch
/// events from `rsp`; xenstored does the opposite. Both write the page
/// concurrently: touch it only through volatile or atomic accessors, never
/// through a `&` into shared memory, and copy messages out before checking
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
#[doc(alias = "xenstore_domain_interface")]
pub struct DomainInterface {
    /// Requests to the xenstore daemon.
    pub req: [u8; RING_SIZE],
    /// Replies and asynchronous watch events.
    pub rsp: [u8; RING_SIZE],
    /// Request consumer index (advanced by xenstored).
    pub req_cons: RingIdx,
    /// Request producer index (advanced by the guest).
    pub req_prod: RingIdx,
    /// Reply consumer index (advanced by the guest).
    pub rsp_cons: RingIdx,
    /// Reply producer index (advanced by xenstored).
    pub rsp_prod: RingIdx,
    /// What the server supports.
    pub server_features: ServerFeatures,
    /// Connection state (valid with [`ServerFeatures::RECONNECTION`]).
    pub connection: Connection,
    /// Error state (valid with [`ServerFeatures::ERROR`]).
    pub error: RingError,
}
assert_layout!(DomainInterface, size = 2076, align = 4, {
    req: 0,
    rsp: 1024,
    req_cons: 2048,
    req_prod: 2052,
    rsp_cons: 2056,
    rsp_prod: 2060,
    server_features: 2064,
    connection: 2068,
    error: 2072,
});

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::ToString;

    #[test]
    fn message_type_names() {
        assert_eq!(MsgType::CONTROL.name(), Some("XS_CONTROL"));
        assert_eq!(MsgType::DEBUG, MsgType::CONTROL);
        assert_eq!(MsgType::DIRECTORY_PART.name(), Some("XS_DIRECTORY_PART"));
        assert_eq!(MsgType::RESET_WATCHES.get(), 21);
        assert_eq!(MsgType::INVALID.name(), Some("XS_INVALID"));
        assert_eq!(MsgType::new(20).name(), None);
        assert_eq!(MsgType::new(23).name(), Some("XS_GET_FEATURE"));
        assert_eq!(MsgType::SET_QUOTA.name(), Some("XS_SET_QUOTA"));
        assert!(!MsgType::GET_FEATURE.is_valid());
        assert_eq!(MsgType::new(27).name(), None);
        assert!(MsgType::WATCH_EVENT.is_valid());
        assert!(!MsgType::new(20).is_valid());
        assert!(!MsgType::INVALID.is_valid());
        assert_eq!(format!("{:?}", MsgType::READ), "MsgType(XS_READ)");
        assert_eq!(MsgType::WRITE.to_string(), "XS_WRITE");
        assert_eq!(MsgType::new(77).to_string(), "xenstore message type 77");
        // Every valid type has a name (and the newer ones too).
        for t in 0..MsgType::COUNT {
            assert_eq!(MsgType::new(t).is_valid(), MsgType::new(t).name().is_some());
        }
    }

    #[test]
    fn header_bytes() {
        let h = MsgHeader {
            kind: MsgType::WATCH_EVENT,
            req_id: ReqId::new(1),
            tx_id: TxId::new(2),
            len: 3,
        };
        let back: MsgHeader = crate::read(h.as_bytes()).unwrap();
        assert_eq!(back, h);
        assert_eq!(
            h.as_bytes(),
            [15, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]
        );
    }

    #[test]
    fn error_table() {
        assert_eq!(ERRORS[0], (Errno::EINVAL, "EINVAL"));
        assert_eq!(errno_from_name("EISCONN"), Some(Errno::EISCONN));
        assert_eq!(errno_from_name("einval"), None);
        assert_eq!(error_name(Errno::E2BIG), Some("E2BIG"));
        assert_eq!(error_name(Errno::EXDEV), None);
        for (e, n) in ERRORS {
            assert_eq!(e.describe().map(|d| d.0), Some(n));
        }
    }

    #[test]
    fn ring_page() {
        assert_eq!(mask_idx(1025), 1);
        assert_eq!(format!("{:?}", RingError::RINGIDX), "RingError(RINGIDX)");
        assert_eq!(format!("{:?}", Connection::new(9)), "Connection(9)");
        let f = ServerFeatures::RECONNECTION | ServerFeatures::ERROR;
        assert_eq!(f.bits(), 3);
        assert_eq!(format!("{f:?}"), "ServerFeatures(RECONNECTION | ERROR)");
    }
}
