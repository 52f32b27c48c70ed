// SPDX-License-Identifier: MIT OR Apache-2.0
//! `io/netif.h`: the PV network device protocol (netfront/netback).
//!
//! Each queue has two rings: on the transmit ring ([`TxSring`]) the
//! frontend posts [`TxRequest`]s naming granted packet buffers and the
//! backend answers with [`TxResponse`]s; on the receive ring ([`RxSring`])
//! the frontend posts empty buffers as [`RxRequest`]s and the backend fills
//! them, answering with [`RxResponse`]s. A request or response flagged
//! `EXTRA_INFO` is followed by [`ExtraInfo`] slots (GSO, multicast, hash),
//! which overlay ordinary slots.
//!
//! An optional control ring ([`CtrlSring`]) carries [`CtrlRequest`]s and
//! [`CtrlResponse`]s to configure receive-side hashing and static grant
//! mappings ([`Gref`]).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::grant_table::GrantRef;
use crate::io::ring;

/// The minimum number of slots (requests plus extra infos) a backend must
/// accept for one packet.
#[doc(alias = "XEN_NETIF_NR_SLOTS_MIN")]
pub const NR_SLOTS_MIN: usize = 18;

/// Largest packet a [`TxRequest`] can describe.
#[doc(alias = "XEN_NETIF_MAX_TX_SIZE")]
pub const MAX_TX_SIZE: u16 = 0xFFFF;

// ---------------------------------------------------------------------------
// Control ring
// ---------------------------------------------------------------------------

/// Bit number of [`HashTypes::IPV4`]; also the `type` of a hash
/// [`ExtraHash`].
#[doc(alias = "_XEN_NETIF_CTRL_HASH_TYPE_IPV4")]
pub const HASH_TYPE_BIT_IPV4: u8 = 0;

/// Bit number of [`HashTypes::IPV4_TCP`]; also the `type` of a hash
/// [`ExtraHash`].
#[doc(alias = "_XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP")]
pub const HASH_TYPE_BIT_IPV4_TCP: u8 = 1;

/// Bit number of [`HashTypes::IPV6`]; also the `type` of a hash
/// [`ExtraHash`].
#[doc(alias = "_XEN_NETIF_CTRL_HASH_TYPE_IPV6")]
pub const HASH_TYPE_BIT_IPV6: u8 = 2;

/// Bit number of [`HashTypes::IPV6_TCP`]; also the `type` of a hash
/// [`ExtraHash`].
#[doc(alias = "_XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP")]
pub const HASH_TYPE_BIT_IPV6_TCP: u8 = 3;

/// `XEN_NETIF_CTRL_HASH_TYPE_*`: the packet headers a hash covers (the
/// `data[0]` of [`CtrlType::SET_HASH_FLAGS`], the `data` of the
/// [`CtrlType::GET_HASH_FLAGS`] response).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct HashTypes(u32);

bitflags::bitflags! {
    impl HashTypes: u32 {
        /// IPv4 source and destination addresses.
        #[doc(alias = "XEN_NETIF_CTRL_HASH_TYPE_IPV4")]
        const IPV4 = 1 << 0;
        /// IPv4 addresses and TCP ports.
        #[doc(alias = "XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP")]
        const IPV4_TCP = 1 << 1;
        /// IPv6 source and destination addresses.
        #[doc(alias = "XEN_NETIF_CTRL_HASH_TYPE_IPV6")]
        const IPV6 = 1 << 2;
        /// IPv6 addresses and TCP ports.
        #[doc(alias = "XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP")]
        const IPV6_TCP = 1 << 3;
        const _ = !0;
    }
}

impl fmt::Debug for HashTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashTypes(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// A hash algorithm (`XEN_NETIF_CTRL_HASH_ALGORITHM_*`), the `data[0]` of
/// [`CtrlType::SET_HASH_ALGORITHM`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct HashAlgorithm(u32);

impl HashAlgorithm {
    /// Wraps a raw value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// No hashing.
    #[doc(alias = "XEN_NETIF_CTRL_HASH_ALGORITHM_NONE")]
    pub const NONE: Self = Self(0);
    /// Toeplitz hashing with a key ([`CtrlType::SET_HASH_KEY`]).
    #[doc(alias = "XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ")]
    pub const TOEPLITZ: Self = Self(1);
}

impl fmt::Debug for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NONE => f.write_str("HashAlgorithm(NONE)"),
            Self::TOEPLITZ => f.write_str("HashAlgorithm(TOEPLITZ)"),
            Self(n) => write!(f, "HashAlgorithm({n})"),
        }
    }
}

/// A control request's type (`XEN_NETIF_CTRL_TYPE_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct CtrlType(u16);

impl CtrlType {
    /// Wraps a raw value.
    pub const fn new(raw: u16) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// Invalid.
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_INVALID")]
    pub const INVALID: Self = Self(0);
    /// Get the hash types the backend supports.
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS")]
    pub const GET_HASH_FLAGS: Self = Self(1);
    /// Set the hash types to compute.
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS")]
    pub const SET_HASH_FLAGS: Self = Self(2);
    /// Set the hash key: `data[0]` grant of the key page, `data[1]` length.
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_SET_HASH_KEY")]
    pub const SET_HASH_KEY: Self = Self(3);
    /// Get the largest hash-to-queue mapping table supported.
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE")]
    pub const GET_HASH_MAPPING_SIZE: Self = Self(4);
    /// Set the mapping table's size (in entries).
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE")]
    pub const SET_HASH_MAPPING_SIZE: Self = Self(5);
    /// Set mapping table entries: `data[0]` grant, `data[1]` count,
    /// `data[2]` start offset.
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING")]
    pub const SET_HASH_MAPPING: Self = Self(6);
    /// Choose the hash algorithm ([`HashAlgorithm`] in `data[0]`).
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM")]
    pub const SET_HASH_ALGORITHM: Self = Self(7);
    /// Get how many static grants the backend can map.
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE")]
    pub const GET_GREF_MAPPING_SIZE: Self = Self(8);
    /// Map a list of [`Gref`]s: `data[0]` queue, `data[1]` grant of the
    /// list page, `data[2]` entries.
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING")]
    pub const ADD_GREF_MAPPING: Self = Self(9);
    /// Unmap a list of [`Gref`]s (same arguments; each entry's `status`
    /// reports its outcome).
    #[doc(alias = "XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING")]
    pub const DEL_GREF_MAPPING: Self = Self(10);

    /// The name of a known type (`"SET_HASH_KEY"`), or `None`.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "INVALID",
            1 => "GET_HASH_FLAGS",
            2 => "SET_HASH_FLAGS",
            3 => "SET_HASH_KEY",
            4 => "GET_HASH_MAPPING_SIZE",
            5 => "SET_HASH_MAPPING_SIZE",
            6 => "SET_HASH_MAPPING",
            7 => "SET_HASH_ALGORITHM",
            8 => "GET_GREF_MAPPING_SIZE",
            9 => "ADD_GREF_MAPPING",
            10 => "DEL_GREF_MAPPING",
            _ => return None,
        })
    }
}

impl fmt::Debug for CtrlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "CtrlType({n})"),
            None => write!(f, "CtrlType({})", self.0),
        }
    }
}

/// A control response's status (`XEN_NETIF_CTRL_STATUS_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct CtrlStatus(u32);

impl CtrlStatus {
    /// Wraps a raw value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The operation succeeded.
    #[doc(alias = "XEN_NETIF_CTRL_STATUS_SUCCESS")]
    pub const SUCCESS: Self = Self(0);
    /// The operation is not supported.
    #[doc(alias = "XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED")]
    pub const NOT_SUPPORTED: Self = Self(1);
    /// A parameter was invalid.
    #[doc(alias = "XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER")]
    pub const INVALID_PARAMETER: Self = Self(2);
    /// A buffer was too small.
    #[doc(alias = "XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW")]
    pub const BUFFER_OVERFLOW: Self = Self(3);

    /// The name of a known status (`"SUCCESS"`), or `None`.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "SUCCESS",
            1 => "NOT_SUPPORTED",
            2 => "INVALID_PARAMETER",
            3 => "BUFFER_OVERFLOW",
            _ => return None,
        })
    }
}

impl fmt::Debug for CtrlStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "CtrlStatus({n})"),
            None => write!(f, "CtrlStatus({})", self.0),
        }
    }
}

/// A control request (`struct xen_netif_ctrl_request`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_netif_ctrl_request")]
pub struct CtrlRequest {
    /// Request identifier, echoed in the response.
    pub id: u16,
    /// What to do (C `type`).
    #[doc(alias = "type")]
    pub kind: CtrlType,
    /// Arguments, by type.
    pub data: [u32; 3],
}
assert_layout!(CtrlRequest, size = 16, align = 4, { id: 0, kind: 2, data: 4 });

/// A control response (`struct xen_netif_ctrl_response`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_netif_ctrl_response")]
pub struct CtrlResponse {
    /// The request's identifier.
    pub id: u16,
    /// The request's type (C `type`).
    #[doc(alias = "type")]
    pub kind: CtrlType,
    /// The outcome.
    pub status: CtrlStatus,
    /// Result data, by type and status.
    pub data: u32,
}
assert_layout!(CtrlResponse, size = 12, align = 4, { id: 0, kind: 2, status: 4, data: 8 });

/// Flags of a [`Gref`] (`XEN_NETIF_CTRLF_GREF_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct GrefFlags(u16);

bitflags::bitflags! {
    impl GrefFlags: u16 {
        /// Map the grant read-only.
        #[doc(alias = "XEN_NETIF_CTRLF_GREF_readonly")]
        const READONLY = 1 << 0;
        const _ = !0;
    }
}

impl fmt::Debug for GrefFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GrefFlags(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// One static grant of an `ADD_GREF_MAPPING`/`DEL_GREF_MAPPING` list
/// (`struct xen_netif_gref`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_netif_gref")]
pub struct Gref {
    /// The grant (C `ref`).
    #[doc(alias = "ref")]
    pub gref: GrantRef,
    /// How to map it.
    pub flags: GrefFlags,
    /// `DEL_GREF_MAPPING` only: the entry's outcome (a
    /// `XEN_NETIF_CTRL_STATUS_*` value).
    pub status: u16,
}
assert_layout!(Gref, size = 8, align = 4, { gref: 0, flags: 4, status: 6 });

/// One slot of the control ring (`union xen_netif_ctrl_sring_entry`): a
/// [`CtrlRequest`] or a [`CtrlResponse`].
///
/// Raw storage with typed accessors; the setters zero the rest of the slot.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_netif_ctrl_sring_entry")]
pub struct CtrlSringEntry {
    /// The union's bytes (C members `req` and `rsp`).
    pub raw: [u32; 4],
}
assert_layout!(CtrlSringEntry, size = 16, align = 4);

impl CtrlSringEntry {
    /// The slot as a request (C `req`).
    pub fn request(&self) -> CtrlRequest {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a request (C `req`).
    pub fn set_request(&mut self, req: CtrlRequest) {
        ring::write_prefix(self.raw.as_mut_bytes(), &req);
    }

    /// The slot as a response (C `rsp`).
    pub fn response(&self) -> CtrlResponse {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a response (C `rsp`).
    pub fn set_response(&mut self, rsp: CtrlResponse) {
        ring::write_prefix(self.raw.as_mut_bytes(), &rsp);
    }
}

ring::sring! {
    /// The shared control ring as C declares it (`struct xen_netif_ctrl_sring`):
    /// the [`ring::SringHeader`] fields, then `ring[1]`.
    #[doc(alias = "xen_netif_ctrl_sring")]
    #[doc(alias = "xen_netif_ctrl_sring_t")]
    pub struct CtrlSring([CtrlSringEntry; 1]), size = 80, align = 4, entries = 128;
}

// ---------------------------------------------------------------------------
// Transmit and receive
// ---------------------------------------------------------------------------

/// `NETTXF_*`: flags of a [`TxRequest`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct TxFlags(u16);

bitflags::bitflags! {
    impl TxFlags: u16 {
        /// The protocol checksum field is blank (checksum offload).
        #[doc(alias = "NETTXF_csum_blank")]
        const CSUM_BLANK = 1 << 0;
        /// The data has been validated against the protocol checksum.
        #[doc(alias = "NETTXF_data_validated")]
        const DATA_VALIDATED = 1 << 1;
        /// The packet continues in the next request.
        #[doc(alias = "NETTXF_more_data")]
        const MORE_DATA = 1 << 2;
        /// Extra info slots follow.
        #[doc(alias = "NETTXF_extra_info")]
        const EXTRA_INFO = 1 << 3;
        const _ = !0;
    }
}

impl fmt::Debug for TxFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TxFlags(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// `NETRXF_*`: flags of an [`RxResponse`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct RxFlags(u16);

bitflags::bitflags! {
    impl RxFlags: u16 {
        /// The data has been validated against the protocol checksum.
        #[doc(alias = "NETRXF_data_validated")]
        const DATA_VALIDATED = 1 << 0;
        /// The protocol checksum field is blank.
        #[doc(alias = "NETRXF_csum_blank")]
        const CSUM_BLANK = 1 << 1;
        /// The packet continues in the next response.
        #[doc(alias = "NETRXF_more_data")]
        const MORE_DATA = 1 << 2;
        /// Extra info slots follow.
        #[doc(alias = "NETRXF_extra_info")]
        const EXTRA_INFO = 1 << 3;
        /// GSO prefix: this slot holds GSO metadata, the packet follows.
        #[doc(alias = "NETRXF_gso_prefix")]
        const GSO_PREFIX = 1 << 4;
        const _ = !0;
    }
}

impl fmt::Debug for RxFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RxFlags(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// A transmit or receive response status (`NETIF_RSP_*`).
///
/// In an [`RxResponse`], a non-negative status is the received length
/// instead; see [`RxResponse::received`].
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
pub struct RspStatus(i16);

impl RspStatus {
    /// Wraps a raw value.
    pub const fn new(raw: i16) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> i16 {
        self.0
    }

    /// The packet was dropped.
    #[doc(alias = "NETIF_RSP_DROPPED")]
    pub const DROPPED: Self = Self(-2);
    /// The packet was bad.
    #[doc(alias = "NETIF_RSP_ERROR")]
    pub const ERROR: Self = Self(-1);
    /// Success.
    #[doc(alias = "NETIF_RSP_OKAY")]
    pub const OKAY: Self = Self(0);
    /// No response: the slot answers an extra info, not a packet.
    #[doc(alias = "NETIF_RSP_NULL")]
    pub const NULL: Self = Self(1);

    /// The name of a known status (`"OKAY"`), or `None`.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            -2 => "DROPPED",
            -1 => "ERROR",
            0 => "OKAY",
            1 => "NULL",
            _ => return None,
        })
    }
}

impl fmt::Debug for RspStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "RspStatus({n})"),
            None => write!(f, "RspStatus({})", self.0),
        }
    }
}

/// A transmit request: one fragment of an outgoing packet
/// (`struct netif_tx_request`).
///
/// In the first fragment `size` is the whole packet's size, in the others
/// the fragment's.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "netif_tx_request")]
#[doc(alias = "netif_tx_request_t")]
pub struct TxRequest {
    /// Grant of the buffer page.
    pub gref: GrantRef,
    /// Offset of the data within the page.
    pub offset: u16,
    /// Flags.
    pub flags: TxFlags,
    /// Request identifier, echoed in the response.
    pub id: u16,
    /// Packet (first fragment) or fragment size in bytes.
    pub size: u16,
}
assert_layout!(TxRequest, size = 12, align = 4, { gref: 0, offset: 4, flags: 6, id: 8, size: 10 });

/// A transmit response (`struct netif_tx_response`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "netif_tx_response")]
#[doc(alias = "netif_tx_response_t")]
pub struct TxResponse {
    /// The request's identifier.
    pub id: u16,
    /// The outcome.
    pub status: RspStatus,
}
assert_layout!(TxResponse, size = 4, align = 2, { id: 0, status: 2 });

/// A receive request: an empty buffer for the backend to fill
/// (`struct netif_rx_request`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "netif_rx_request")]
#[doc(alias = "netif_rx_request_t")]
pub struct RxRequest {
    /// Request identifier, echoed in the response.
    pub id: u16,
    /// Unused.
    pub pad: u16,
    /// Grant of the buffer page.
    pub gref: GrantRef,
}
assert_layout!(RxRequest, size = 8, align = 4, { id: 0, pad: 2, gref: 4 });

/// A receive response: one fragment of an incoming packet
/// (`struct netif_rx_response`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "netif_rx_response")]
#[doc(alias = "netif_rx_response_t")]
pub struct RxResponse {
    /// The request's identifier (frontends rely on slot order instead; see
    /// the header).
    pub id: u16,
    /// Offset of the data within the page.
    pub offset: u16,
    /// Flags.
    pub flags: RxFlags,
    /// Negative: a `NETIF_RSP_*` error; otherwise the received length.
    pub status: i16,
}
assert_layout!(RxResponse, size = 8, align = 2, { id: 0, offset: 2, flags: 4, status: 6 });

impl RxResponse {
    /// The received length, or the error status.
    ///
    /// # Errors
    /// The [`RspStatus`] when `status` is negative.
    pub const fn received(&self) -> Result<u16, RspStatus> {
        if self.status < 0 {
            Err(RspStatus(self.status))
        } else {
            Ok(self.status as u16)
        }
    }
}

/// The kind of an [`ExtraInfo`] (`XEN_NETIF_EXTRA_TYPE_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct ExtraType(u8);

impl ExtraType {
    /// Wraps a raw value.
    pub const fn new(raw: u8) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Never used: invalid.
    #[doc(alias = "XEN_NETIF_EXTRA_TYPE_NONE")]
    pub const NONE: Self = Self(0);
    /// Segmentation offload ([`ExtraInfo::gso`]).
    #[doc(alias = "XEN_NETIF_EXTRA_TYPE_GSO")]
    pub const GSO: Self = Self(1);
    /// Add a multicast address ([`ExtraInfo::mcast`]).
    #[doc(alias = "XEN_NETIF_EXTRA_TYPE_MCAST_ADD")]
    pub const MCAST_ADD: Self = Self(2);
    /// Remove a multicast address ([`ExtraInfo::mcast`]).
    #[doc(alias = "XEN_NETIF_EXTRA_TYPE_MCAST_DEL")]
    pub const MCAST_DEL: Self = Self(3);
    /// Packet hash ([`ExtraInfo::hash`]).
    #[doc(alias = "XEN_NETIF_EXTRA_TYPE_HASH")]
    pub const HASH: Self = Self(4);
    /// One more than the highest type; not a type itself.
    #[doc(alias = "XEN_NETIF_EXTRA_TYPE_MAX")]
    pub const MAX: Self = Self(5);

    /// The name of a known type (`"GSO"`), or `None`.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NONE",
            1 => "GSO",
            2 => "MCAST_ADD",
            3 => "MCAST_DEL",
            4 => "HASH",
            _ => return None,
        })
    }
}

impl fmt::Debug for ExtraType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "ExtraType({n})"),
            None => write!(f, "ExtraType({})", self.0),
        }
    }
}

/// Flags of an [`ExtraInfo`] (`XEN_NETIF_EXTRA_FLAG_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct ExtraFlags(u8);

bitflags::bitflags! {
    impl ExtraFlags: u8 {
        /// Another extra info follows.
        #[doc(alias = "XEN_NETIF_EXTRA_FLAG_MORE")]
        const MORE = 1 << 0;
        const _ = !0;
    }
}

impl fmt::Debug for ExtraFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExtraFlags(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// A segmentation-offload protocol (`XEN_NETIF_GSO_TYPE_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct GsoType(u8);

impl GsoType {
    /// Wraps a raw value.
    pub const fn new(raw: u8) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// No segmentation.
    #[doc(alias = "XEN_NETIF_GSO_TYPE_NONE")]
    pub const NONE: Self = Self(0);
    /// TCP over IPv4.
    #[doc(alias = "XEN_NETIF_GSO_TYPE_TCPV4")]
    pub const TCPV4: Self = Self(1);
    /// TCP over IPv6.
    #[doc(alias = "XEN_NETIF_GSO_TYPE_TCPV6")]
    pub const TCPV6: Self = Self(2);
}

impl fmt::Debug for GsoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NONE => f.write_str("GsoType(NONE)"),
            Self::TCPV4 => f.write_str("GsoType(TCPV4)"),
            Self::TCPV6 => f.write_str("GsoType(TCPV6)"),
            Self(n) => write!(f, "GsoType({n})"),
        }
    }
}

/// The `u.gso` member of an [`ExtraInfo`] (an anonymous C struct).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct ExtraGso {
    /// Maximum payload of each segment (for TCP, the path MSS).
    pub size: u16,
    /// The protocol (C `type`).
    #[doc(alias = "type")]
    pub kind: GsoType,
    /// Unused.
    pub pad: u8,
    /// Extra GSO features required (`XEN_NETIF_GSO_FEAT_*`; none defined).
    pub features: u16,
}
assert_layout!(ExtraGso, size = 6, align = 2, { size: 0, kind: 2, pad: 3, features: 4 });

/// The `u.mcast` member of an [`ExtraInfo`] (an anonymous C struct).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct ExtraMcast {
    /// The Ethernet address to add or remove.
    pub addr: [u8; 6],
}
assert_layout!(ExtraMcast, size = 6, align = 1, { addr: 0 });

/// The `u.hash` member of an [`ExtraInfo`] (an anonymous C struct).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct ExtraHash {
    /// The hash type: a bit number such as [`HASH_TYPE_BIT_IPV4_TCP`]
    /// (C `type`).
    #[doc(alias = "type")]
    pub kind: u8,
    /// The algorithm (a [`HashAlgorithm`] value).
    pub algorithm: u8,
    /// The hash value, little-endian ([`ExtraHash::value`]).
    pub value: [u8; 4],
}
assert_layout!(ExtraHash, size = 6, align = 1, { kind: 0, algorithm: 1, value: 2 });

impl ExtraHash {
    /// The hash value (stored least significant byte first).
    pub const fn value(&self) -> u32 {
        u32::from_le_bytes(self.value)
    }
}

/// An extra info slot (`struct netif_extra_info`): follows a request or
/// response flagged `EXTRA_INFO`, overlaying a transmit request or receive
/// response slot.
///
/// `u` is C's union; read it with the accessor matching `type`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "netif_extra_info")]
#[doc(alias = "netif_extra_info_t")]
pub struct ExtraInfo {
    /// Which member of `u` is valid (C `type`).
    #[doc(alias = "type")]
    pub kind: ExtraType,
    /// Flags.
    pub flags: ExtraFlags,
    /// The type-specific data (C union of `gso`, `mcast`, `hash` and
    /// `pad[3]`).
    pub u: [u16; 3],
}
assert_layout!(ExtraInfo, size = 8, align = 2, { kind: 0, flags: 1, u: 2 });

impl ExtraInfo {
    /// `u.gso`: meaningful for [`ExtraType::GSO`].
    pub fn gso(&self) -> ExtraGso {
        ring::read_prefix(self.u.as_bytes())
    }

    /// Sets `u.gso`.
    pub fn set_gso(&mut self, gso: ExtraGso) {
        ring::write_prefix(self.u.as_mut_bytes(), &gso);
    }

    /// `u.mcast`: meaningful for [`ExtraType::MCAST_ADD`] and
    /// [`ExtraType::MCAST_DEL`].
    pub fn mcast(&self) -> ExtraMcast {
        ring::read_prefix(self.u.as_bytes())
    }

    /// Sets `u.mcast`.
    pub fn set_mcast(&mut self, mcast: ExtraMcast) {
        ring::write_prefix(self.u.as_mut_bytes(), &mcast);
    }

    /// `u.hash`: meaningful for [`ExtraType::HASH`].
    pub fn hash(&self) -> ExtraHash {
        ring::read_prefix(self.u.as_bytes())
    }

    /// Sets `u.hash`.
    pub fn set_hash(&mut self, hash: ExtraHash) {
        ring::write_prefix(self.u.as_mut_bytes(), &hash);
    }
}

/// One slot of the transmit ring (`union netif_tx_sring_entry`): a
/// [`TxRequest`] (or an [`ExtraInfo`] in its place) or a [`TxResponse`].
///
/// Raw storage with typed accessors; the setters zero the rest of the slot.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "netif_tx_sring_entry")]
pub struct TxSringEntry {
    /// The union's bytes (C members `req` and `rsp`).
    pub raw: [u32; 3],
}
assert_layout!(TxSringEntry, size = 12, align = 4);

impl TxSringEntry {
    /// The slot as a request (C `req`).
    pub fn request(&self) -> TxRequest {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a request (C `req`).
    pub fn set_request(&mut self, req: TxRequest) {
        ring::write_prefix(self.raw.as_mut_bytes(), &req);
    }

    /// The slot as an extra info (after a request flagged
    /// [`TxFlags::EXTRA_INFO`] or an extra info flagged
    /// [`ExtraFlags::MORE`]).
    pub fn extra_info(&self) -> ExtraInfo {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores an extra info.
    pub fn set_extra_info(&mut self, extra: ExtraInfo) {
        ring::write_prefix(self.raw.as_mut_bytes(), &extra);
    }

    /// The slot as a response (C `rsp`).
    pub fn response(&self) -> TxResponse {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a response (C `rsp`).
    pub fn set_response(&mut self, rsp: TxResponse) {
        ring::write_prefix(self.raw.as_mut_bytes(), &rsp);
    }
}

ring::sring! {
    /// The shared transmit ring as C declares it (`struct netif_tx_sring`): the
    /// [`ring::SringHeader`] fields, then `ring[1]`.
    #[doc(alias = "netif_tx_sring")]
    #[doc(alias = "netif_tx_sring_t")]
    pub struct TxSring([TxSringEntry; 1]), size = 76, align = 4, entries = 256;
}

/// One slot of the receive ring (`union netif_rx_sring_entry`): an
/// [`RxRequest`] or an [`RxResponse`] (or an [`ExtraInfo`] in its place).
///
/// Raw storage with typed accessors; the setters zero the rest of the slot.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "netif_rx_sring_entry")]
pub struct RxSringEntry {
    /// The union's bytes (C members `req` and `rsp`).
    pub raw: [u32; 2],
}
assert_layout!(RxSringEntry, size = 8, align = 4);

impl RxSringEntry {
    /// The slot as a request (C `req`).
    pub fn request(&self) -> RxRequest {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a request (C `req`).
    pub fn set_request(&mut self, req: RxRequest) {
        ring::write_prefix(self.raw.as_mut_bytes(), &req);
    }

    /// The slot as a response (C `rsp`).
    pub fn response(&self) -> RxResponse {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a response (C `rsp`).
    pub fn set_response(&mut self, rsp: RxResponse) {
        ring::write_prefix(self.raw.as_mut_bytes(), &rsp);
    }

    /// The slot as an extra info (after a response flagged
    /// [`RxFlags::EXTRA_INFO`] or an extra info flagged
    /// [`ExtraFlags::MORE`]).
    pub fn extra_info(&self) -> ExtraInfo {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores an extra info.
    pub fn set_extra_info(&mut self, extra: ExtraInfo) {
        ring::write_prefix(self.raw.as_mut_bytes(), &extra);
    }
}

ring::sring! {
    /// The shared receive ring as C declares it (`struct netif_rx_sring`): the
    /// [`ring::SringHeader`] fields, then `ring[1]`.
    #[doc(alias = "netif_rx_sring")]
    #[doc(alias = "netif_rx_sring_t")]
    pub struct RxSring([RxSringEntry; 1]), size = 72, align = 4, entries = 256;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use zerocopy::FromZeros;

    #[test]
    fn ring_sizes_from_c() {
        // __CONST_RING_SIZE(netif_tx / netif_rx / xen_netif_ctrl, 4096)
        assert_eq!(TxSring::ENTRIES_PER_PAGE, 256);
        assert_eq!(RxSring::ENTRIES_PER_PAGE, 256);
        assert_eq!(CtrlSring::ENTRIES_PER_PAGE, 128);
        assert_eq!(
            ring::ring_size(65536, core::mem::size_of::<TxSringEntry>()),
            4096
        );
    }

    #[test]
    fn extra_info_union() {
        let mut x = ExtraInfo {
            kind: ExtraType::GSO,
            ..ExtraInfo::default()
        };
        let gso = ExtraGso {
            size: 1448,
            kind: GsoType::TCPV4,
            pad: 0,
            features: 0,
        };
        x.set_gso(gso);
        assert_eq!(x.gso(), gso);
        assert_eq!(x.as_bytes(), [1, 0, 0xa8, 0x05, 1, 0, 0, 0]);

        x.kind = ExtraType::MCAST_ADD;
        x.set_mcast(ExtraMcast {
            addr: [1, 0, 0x5e, 0, 0, 1],
        });
        assert_eq!(x.mcast().addr, [1, 0, 0x5e, 0, 0, 1]);

        x.kind = ExtraType::HASH;
        x.set_hash(ExtraHash {
            kind: HASH_TYPE_BIT_IPV4_TCP,
            algorithm: 1,
            value: [0x78, 0x56, 0x34, 0x12],
        });
        assert_eq!(x.hash().value(), 0x1234_5678);
        assert_eq!(x.hash().kind, 1);
    }

    #[test]
    fn slots() {
        let mut tx = TxSringEntry::default();
        let req = TxRequest {
            gref: GrantRef::new_unchecked(5),
            offset: 64,
            flags: TxFlags::MORE_DATA | TxFlags::EXTRA_INFO,
            id: 3,
            size: 1514,
        };
        tx.set_request(req);
        assert_eq!(tx.request(), req);
        let extra = ExtraInfo {
            kind: ExtraType::GSO,
            flags: ExtraFlags::MORE,
            u: [1, 2, 3],
        };
        tx.set_extra_info(extra);
        assert_eq!(tx.extra_info(), extra);
        assert_eq!(tx.raw[2], 0);
        tx.set_response(TxResponse {
            id: 3,
            status: RspStatus::DROPPED,
        });
        assert_eq!(tx.response().status, RspStatus::DROPPED);
        assert_eq!(tx.raw[1], 0);

        let mut rx = RxSringEntry::default();
        rx.set_request(RxRequest {
            id: 9,
            pad: 0,
            gref: GrantRef::new_unchecked(11),
        });
        assert_eq!(rx.request().gref, GrantRef::new_unchecked(11));
        rx.set_response(RxResponse {
            id: 9,
            offset: 0,
            flags: RxFlags::DATA_VALIDATED,
            status: 60,
        });
        assert_eq!(rx.response().received(), Ok(60));
        rx.set_response(RxResponse {
            status: -1,
            ..rx.response()
        });
        assert_eq!(rx.response().received(), Err(RspStatus::ERROR));

        let mut c = CtrlSringEntry::default();
        let creq = CtrlRequest {
            id: 1,
            kind: CtrlType::SET_HASH_ALGORITHM,
            data: [HashAlgorithm::TOEPLITZ.get(), 0, 0],
        };
        c.set_request(creq);
        assert_eq!(c.request(), creq);
        let crsp = CtrlResponse {
            id: 1,
            kind: CtrlType::SET_HASH_ALGORITHM,
            status: CtrlStatus::SUCCESS,
            data: 0,
        };
        c.set_response(crsp);
        assert_eq!(c.response(), crsp);
        assert_eq!(c.raw[3], 0);
    }

    #[test]
    fn headers_and_debug() {
        let mut s = TxSring::new_zeroed();
        s.req_prod = 7;
        assert_eq!(s.header().req_prod, 7);
        assert_eq!(RxSring::new_zeroed().header().rsp_event, 0);
        assert_eq!(CtrlSring::new_zeroed().header().pad, [0; 44]);
        assert_eq!(format!("{:?}", TxFlags::CSUM_BLANK), "TxFlags(CSUM_BLANK)");
        assert_eq!(
            format!("{:?}", CtrlType::new(10)),
            "CtrlType(DEL_GREF_MAPPING)"
        );
        assert_eq!(format!("{:?}", RspStatus::NULL), "RspStatus(NULL)");
        assert_eq!(format!("{:?}", ExtraType::new(9)), "ExtraType(9)");
        assert_eq!(HashTypes::all().bits(), !0);
        assert_eq!((HashTypes::IPV4 | HashTypes::IPV6_TCP).bits(), 0b1001);
    }
}
