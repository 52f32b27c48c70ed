// SPDX-License-Identifier: MIT OR Apache-2.0
//! The wire codec: both ends of `io/xs_wire.h` (no_std + alloc).
//!
//! - Client: [`Request::encode`] builds a message; the `decode_*` functions
//!   read the payload of its reply (after [`check_reply`] turned an
//!   `XS_ERROR` into [`Error::Xenstore`]).
//! - Server (a Rust xenstored, a VMM emulating xenstore): [`Request::decode`]
//!   parses and validates a request; [`Response::encode`] and
//!   [`encode_watch_event`] build what goes back.
//! - Both: [`Framer`] cuts a byte stream (socket, device, ring) into
//!   [`Message`]s and refuses payloads over [`PAYLOAD_MAX`].
//!
//! Payloads are sequences of nul-terminated strings (`path\0token\0`),
//! except a `XS_WRITE`'s value and a `XS_READ` reply, which are raw bytes.
//!
//! ```
//! use xen_abi::io::xs_wire::{ReqId, TxId};
//! use xen_store::wire::{Framer, Request};
//! let bytes = Request::Read { path: "/vm" }.encode(ReqId::new(7), TxId::NONE)?;
//! let mut f = Framer::new();
//! f.push(&bytes);
//! let msg = f.next_message()?.unwrap();
//! assert_eq!(msg.header.req_id, ReqId::new(7));
//! assert_eq!(Request::decode(&msg)?, Request::Read { path: "/vm" });
//! # Ok::<(), xen_store::Error>(())
//! ```

use alloc::vec::Vec;
use core::mem::size_of;

use xen_abi::io::xs_wire::{self, MsgHeader, MsgType, ReqId, TxId};
use xen_abi::{DomId, Errno};
use zerocopy::{FromBytes, IntoBytes};

use crate::error::{Error, Result};
use crate::path::{self, Perm};

pub use xen_abi::io::xs_wire::PAYLOAD_MAX;

/// Size of a message header.
pub const HEADER_LEN: usize = size_of::<MsgHeader>();

/// One message: header and payload (owned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The header; `header.len == payload.len()`.
    pub header: MsgHeader,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Message {
    /// The header and payload as one buffer, ready to send.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(HEADER_LEN + self.payload.len());
        v.extend_from_slice(self.header.as_bytes());
        v.extend_from_slice(&self.payload);
        v
    }
}

/// Builds a message from nul-terminated `strings` followed by raw `tail`.
///
/// # Errors
///
/// [`Error::PayloadTooLong`].
pub fn encode_message(
    kind: MsgType,
    req_id: ReqId,
    tx_id: TxId,
    strings: &[&[u8]],
    tail: &[u8],
) -> Result<Vec<u8>> {
    let len = strings.iter().map(|s| s.len() + 1).sum::<usize>() + tail.len();
    if len > PAYLOAD_MAX {
        return Err(Error::PayloadTooLong(len));
    }
    let header = MsgHeader {
        kind,
        req_id,
        tx_id,
        len: len as u32,
    };
    let mut v = Vec::with_capacity(HEADER_LEN + len);
    v.extend_from_slice(header.as_bytes());
    for s in strings {
        v.extend_from_slice(s);
        v.push(0);
    }
    v.extend_from_slice(tail);
    Ok(v)
}

/// Cuts a byte stream into messages (either direction).
///
/// A header announcing more than [`PAYLOAD_MAX`] bytes is an error. The
/// caller either drops the connection or, when it trusts the framing (a
/// reply to a request it sent, say), skips the message with
/// [`Framer::skip_oversized`].
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    start: usize,
    /// Bytes of a skipped message still to drop as they arrive.
    skip: usize,
}

impl Framer {
    /// An empty framer.
    pub const fn new() -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            skip: 0,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, mut bytes: &[u8]) {
        if self.skip > 0 {
            let n = self.skip.min(bytes.len());
            self.skip -= n;
            bytes = &bytes[n..];
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 2 * (HEADER_LEN + PAYLOAD_MAX) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as a message.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// How many more bytes the next message needs (at least one when a
    /// message is incomplete; 0 when one is ready).
    pub fn wanted(&self) -> usize {
        if self.skip > 0 {
            return self.skip + HEADER_LEN;
        }
        let have = self.buffered();
        if have < HEADER_LEN {
            return HEADER_LEN - have;
        }
        match MsgHeader::read_from_prefix(&self.buf[self.start..]) {
            Ok((h, _)) => (HEADER_LEN + (h.len as usize).min(PAYLOAD_MAX)).saturating_sub(have),
            Err(_) => HEADER_LEN,
        }
    }

    /// The next complete message, or `None` until more bytes arrive.
    ///
    /// # Errors
    ///
    /// [`Error::PayloadTooLong`] for a header announcing an oversized
    /// payload (the framer stays stuck on it).
    pub fn next_message(&mut self) -> Result<Option<Message>> {
        let rest = &self.buf[self.start..];
        let Ok((header, _)) = MsgHeader::read_from_prefix(rest) else {
            return Ok(None);
        };
        let len = header.len as usize;
        if len > PAYLOAD_MAX {
            return Err(Error::PayloadTooLong(len));
        }
        if rest.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let payload = rest[HEADER_LEN..HEADER_LEN + len].to_vec();
        self.start += HEADER_LEN + len;
        Ok(Some(Message { header, payload }))
    }

    /// The header [`Framer::next_message`] is stuck on, if it announces an
    /// oversized payload.
    pub fn oversized(&self) -> Option<MsgHeader> {
        let (h, _) = MsgHeader::read_from_prefix(&self.buf[self.start..]).ok()?;
        (h.len as usize > PAYLOAD_MAX).then_some(h)
    }

    /// Drops the oversized message [`Framer::next_message`] is stuck on
    /// (its payload too, as it arrives) and returns its header; `None` if
    /// the next message is not oversized.
    pub fn skip_oversized(&mut self) -> Option<MsgHeader> {
        let h = self.oversized()?;
        self.start += HEADER_LEN;
        let here = (h.len as usize).min(self.buffered());
        self.start += here;
        self.skip = h.len as usize - here;
        Some(h)
    }
}

/// A request, borrowed from its payload (server side) or its arguments
/// (client side). The transaction id travels in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request<'a> {
    /// `XS_CONTROL`: a command and its arguments.
    #[doc(alias = "XS_CONTROL")]
    Control {
        /// Command name then parameters, each sent nul-terminated.
        args: Vec<&'a [u8]>,
    },
    /// `XS_DIRECTORY`: the names of a node's children.
    #[doc(alias = "XS_DIRECTORY")]
    Directory {
        /// The node.
        path: &'a str,
    },
    /// `XS_DIRECTORY_PART`: children from byte `offset` of the list.
    #[doc(alias = "XS_DIRECTORY_PART")]
    DirectoryPart {
        /// The node.
        path: &'a str,
        /// Byte offset into the nul-separated list of children.
        offset: u32,
    },
    /// `XS_READ`: a node's value.
    #[doc(alias = "XS_READ")]
    Read {
        /// The node.
        path: &'a str,
    },
    /// `XS_GET_PERMS`: a node's permissions.
    #[doc(alias = "XS_GET_PERMS")]
    GetPerms {
        /// The node.
        path: &'a str,
    },
    /// `XS_WATCH`: watch a path (or a special `@` path).
    #[doc(alias = "XS_WATCH")]
    Watch {
        /// The path.
        path: &'a str,
        /// The token events carry.
        token: &'a [u8],
    },
    /// `XS_UNWATCH`: remove a watch.
    #[doc(alias = "XS_UNWATCH")]
    Unwatch {
        /// The path.
        path: &'a str,
        /// The token.
        token: &'a [u8],
    },
    /// `XS_TRANSACTION_START`.
    #[doc(alias = "XS_TRANSACTION_START")]
    TransactionStart,
    /// `XS_TRANSACTION_END`: commit (`T`) or abort (`F`).
    #[doc(alias = "XS_TRANSACTION_END")]
    TransactionEnd {
        /// Commit rather than abort.
        commit: bool,
    },
    /// `XS_INTRODUCE`: hand xenstored a domain's ring.
    #[doc(alias = "XS_INTRODUCE")]
    Introduce {
        /// The domain.
        domid: DomId,
        /// Guest frame of its xenstore page.
        gfn: u64,
        /// Its event channel (in dom0's numbering).
        port: u32,
    },
    /// `XS_RELEASE`: forget a domain.
    #[doc(alias = "XS_RELEASE")]
    Release {
        /// The domain.
        domid: DomId,
    },
    /// `XS_GET_DOMAIN_PATH`: `/local/domain/<domid>`.
    #[doc(alias = "XS_GET_DOMAIN_PATH")]
    GetDomainPath {
        /// The domain.
        domid: DomId,
    },
    /// `XS_WRITE`: set a node's value (creating it).
    #[doc(alias = "XS_WRITE")]
    Write {
        /// The node.
        path: &'a str,
        /// The value (raw bytes).
        value: &'a [u8],
    },
    /// `XS_MKDIR`: create a node (no error if it exists).
    #[doc(alias = "XS_MKDIR")]
    Mkdir {
        /// The node.
        path: &'a str,
    },
    /// `XS_RM`: remove a node and its children.
    #[doc(alias = "XS_RM")]
    Rm {
        /// The node.
        path: &'a str,
    },
    /// `XS_SET_PERMS`: replace a node's permissions.
    #[doc(alias = "XS_SET_PERMS")]
    SetPerms {
        /// The node.
        path: &'a str,
        /// Owner (and default) first.
        perms: Vec<Perm>,
    },
    /// `XS_IS_DOMAIN_INTRODUCED`.
    #[doc(alias = "XS_IS_DOMAIN_INTRODUCED")]
    IsDomainIntroduced {
        /// The domain.
        domid: DomId,
    },
    /// `XS_RESUME`: clear a domain's shutdown flag.
    #[doc(alias = "XS_RESUME")]
    Resume {
        /// The domain.
        domid: DomId,
    },
    /// `XS_SET_TARGET`: let `domid` act as `target` (stub domains).
    #[doc(alias = "XS_SET_TARGET")]
    SetTarget {
        /// The privileged domain.
        domid: DomId,
        /// The domain it acts for.
        target: DomId,
    },
    /// `XS_RESET_WATCHES`: drop every watch and transaction of the
    /// connection.
    #[doc(alias = "XS_RESET_WATCHES")]
    ResetWatches,
    /// `XS_GET_FEATURE`: global (no domain) or a domain's features.
    #[doc(alias = "XS_GET_FEATURE")]
    GetFeature {
        /// The domain, or `None` for the server's features.
        domid: Option<DomId>,
    },
    /// `XS_SET_FEATURE`.
    #[doc(alias = "XS_SET_FEATURE")]
    SetFeature {
        /// The domain.
        domid: DomId,
        /// Feature bits.
        features: u32,
    },
    /// `XS_GET_QUOTA`: the quota names (no name), or one quota's value.
    #[doc(alias = "XS_GET_QUOTA")]
    GetQuota {
        /// The domain, or `None` for the global value.
        domid: Option<DomId>,
        /// The quota, or `None` to list the names (then `domid` is `None`).
        quota: Option<&'a str>,
    },
    /// `XS_SET_QUOTA`.
    #[doc(alias = "XS_SET_QUOTA")]
    SetQuota {
        /// The domain, or `None` for the global value.
        domid: Option<DomId>,
        /// The quota's name.
        quota: &'a str,
        /// Its new value.
        value: u32,
    },
}

/// Formats a number into a small stack buffer.
struct Num {
    buf: [u8; 20],
    at: usize,
}

impl Num {
    fn new(mut n: u64) -> Self {
        let mut buf = [0u8; 20];
        let mut at = 20;
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Self { buf, at }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.at..]
    }
}

fn no_nul(b: &[u8]) -> Result<&[u8]> {
    if b.contains(&0) {
        Err(Error::EmbeddedNul)
    } else {
        Ok(b)
    }
}

impl Request<'_> {
    /// The message type.
    pub fn kind(&self) -> MsgType {
        match self {
            Request::Control { .. } => MsgType::CONTROL,
            Request::Directory { .. } => MsgType::DIRECTORY,
            Request::DirectoryPart { .. } => MsgType::DIRECTORY_PART,
            Request::Read { .. } => MsgType::READ,
            Request::GetPerms { .. } => MsgType::GET_PERMS,
            Request::Watch { .. } => MsgType::WATCH,
            Request::Unwatch { .. } => MsgType::UNWATCH,
            Request::TransactionStart => MsgType::TRANSACTION_START,
            Request::TransactionEnd { .. } => MsgType::TRANSACTION_END,
            Request::Introduce { .. } => MsgType::INTRODUCE,
            Request::Release { .. } => MsgType::RELEASE,
            Request::GetDomainPath { .. } => MsgType::GET_DOMAIN_PATH,
            Request::Write { .. } => MsgType::WRITE,
            Request::Mkdir { .. } => MsgType::MKDIR,
            Request::Rm { .. } => MsgType::RM,
            Request::SetPerms { .. } => MsgType::SET_PERMS,
            Request::IsDomainIntroduced { .. } => MsgType::IS_DOMAIN_INTRODUCED,
            Request::Resume { .. } => MsgType::RESUME,
            Request::SetTarget { .. } => MsgType::SET_TARGET,
            Request::ResetWatches => MsgType::RESET_WATCHES,
            Request::GetFeature { .. } => MsgType::GET_FEATURE,
            Request::SetFeature { .. } => MsgType::SET_FEATURE,
            Request::GetQuota { .. } => MsgType::GET_QUOTA,
            Request::SetQuota { .. } => MsgType::SET_QUOTA,
        }
    }

    /// Validates the request and builds its message (header included).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPath`], [`Error::EmbeddedNul`],
    /// [`Error::PayloadTooLong`].
    pub fn encode(&self, req_id: ReqId, tx_id: TxId) -> Result<Vec<u8>> {
        let kind = self.kind();
        let enc =
            |strings: &[&[u8]], tail: &[u8]| encode_message(kind, req_id, tx_id, strings, tail);
        let p = |path: &str| -> Result<()> { path::validate(path) };
        match self {
            Request::Control { args } => {
                for a in args {
                    no_nul(a)?;
                }
                enc(args, &[])
            }
            Request::Directory { path }
            | Request::Read { path }
            | Request::GetPerms { path }
            | Request::Mkdir { path }
            | Request::Rm { path } => {
                p(path)?;
                enc(&[path.as_bytes()], &[])
            }
            Request::DirectoryPart { path, offset } => {
                p(path)?;
                enc(
                    &[path.as_bytes(), Num::new((*offset).into()).as_bytes()],
                    &[],
                )
            }
            Request::Watch { path, token } | Request::Unwatch { path, token } => {
                path::validate_watch(path)?;
                enc(&[path.as_bytes(), no_nul(token)?], &[])
            }
            Request::TransactionStart | Request::ResetWatches => enc(&[b""], &[]),
            Request::TransactionEnd { commit } => enc(&[if *commit { b"T" } else { b"F" }], &[]),
            Request::Introduce { domid, gfn, port } => enc(
                &[
                    Num::new(domid.get().into()).as_bytes(),
                    Num::new(*gfn).as_bytes(),
                    Num::new((*port).into()).as_bytes(),
                ],
                &[],
            ),
            Request::Release { domid }
            | Request::GetDomainPath { domid }
            | Request::IsDomainIntroduced { domid }
            | Request::Resume { domid } => enc(&[Num::new(domid.get().into()).as_bytes()], &[]),
            Request::SetTarget { domid, target } => enc(
                &[
                    Num::new(domid.get().into()).as_bytes(),
                    Num::new(target.get().into()).as_bytes(),
                ],
                &[],
            ),
            Request::Write { path, value } => {
                p(path)?;
                enc(&[path.as_bytes()], value)
            }
            Request::SetPerms { path, perms } => {
                p(path)?;
                if perms.is_empty() {
                    return Err(Error::InvalidPerms);
                }
                let mut strings: Vec<Vec<u8>> = Vec::with_capacity(perms.len() + 1);
                strings.push(path.as_bytes().to_vec());
                for perm in perms {
                    let mut s = Vec::with_capacity(6);
                    s.push(perm.access.letter() as u8);
                    s.extend_from_slice(Num::new(perm.domid.get().into()).as_bytes());
                    strings.push(s);
                }
                let refs: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
                enc(&refs, &[])
            }
            Request::GetFeature { domid } => match domid {
                Some(d) => enc(&[Num::new(d.get().into()).as_bytes()], &[]),
                None => enc(&[], &[]),
            },
            Request::SetFeature { domid, features } => enc(
                &[
                    Num::new(domid.get().into()).as_bytes(),
                    Num::new((*features).into()).as_bytes(),
                ],
                &[],
            ),
            Request::GetQuota { domid, quota } => {
                let d = domid.map(|d| Num::new(d.get().into()));
                let mut s: Vec<&[u8]> = Vec::new();
                if let Some(d) = &d {
                    s.push(d.as_bytes());
                }
                if let Some(q) = quota {
                    s.push(no_nul(q.as_bytes())?);
                } else if domid.is_some() {
                    return Err(Error::Malformed(
                        "GET_QUOTA with a domain needs a quota name",
                    ));
                }
                enc(&s, &[])
            }
            Request::SetQuota {
                domid,
                quota,
                value,
            } => {
                let d = domid.map(|d| Num::new(d.get().into()));
                let v = Num::new((*value).into());
                let mut s: Vec<&[u8]> = Vec::new();
                if let Some(d) = &d {
                    s.push(d.as_bytes());
                }
                s.push(no_nul(quota.as_bytes())?);
                s.push(v.as_bytes());
                enc(&s, &[])
            }
        }
    }
}

/// Splits a payload into its nul-terminated strings; a final unterminated
/// piece is an error (`what` names the message).
fn split_strings<'a>(payload: &'a [u8], what: &'static str) -> Result<Vec<&'a [u8]>> {
    if payload.is_empty() {
        return Ok(Vec::new());
    }
    if payload.last() != Some(&0) {
        return Err(Error::Malformed(what));
    }
    Ok(payload[..payload.len() - 1].split(|b| *b == 0).collect())
}

fn utf8<'a>(b: &'a [u8], what: &'static str) -> Result<&'a str> {
    core::str::from_utf8(b).map_err(|_| Error::Malformed(what))
}

fn decimal(b: &[u8], what: &'static str) -> Result<u64> {
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return Err(Error::Malformed(what));
    }
    Ok(b.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

fn domid(b: &[u8]) -> Result<DomId> {
    let n = decimal(b, "domain id")?;
    u16::try_from(n)
        .ok()
        .and_then(|n| DomId::new(n).ok())
        .ok_or(Error::Malformed("domain id"))
}

fn u32_of(b: &[u8], what: &'static str) -> Result<u32> {
    u32::try_from(decimal(b, what)?).map_err(|_| Error::Malformed(what))
}

impl<'a> Request<'a> {
    /// Parses and validates a request (server side). Transaction id and
    /// request id are in `msg.header`.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedType`] for a type that is not a request (or
    /// unknown), [`Error::Malformed`] for a payload of the wrong form,
    /// [`Error::InvalidPath`]/[`Error::InvalidPerms`] for bad arguments. A
    /// server answers those with `EINVAL` (`ENOSYS` for an unknown type).
    pub fn decode(msg: &'a Message) -> Result<Self> {
        Self::decode_payload(msg.header.kind, &msg.payload)
    }

    /// [`Request::decode`] from a type and a payload.
    ///
    /// # Errors
    ///
    /// As [`Request::decode`].
    pub fn decode_payload(kind: MsgType, payload: &'a [u8]) -> Result<Self> {
        let path_of = |b: &'a [u8]| -> Result<&'a str> {
            let s = utf8(b, "path")?;
            path::validate(s)?;
            Ok(s)
        };
        // XS_WRITE: the value is everything after the first nul.
        if kind == MsgType::WRITE {
            let at = payload
                .iter()
                .position(|b| *b == 0)
                .ok_or(Error::Malformed("XS_WRITE without a path"))?;
            return Ok(Request::Write {
                path: path_of(&payload[..at])?,
                value: &payload[at + 1..],
            });
        }
        let s = split_strings(payload, "unterminated string")?;
        let one = |what| match s.as_slice() {
            [a] => Ok(*a),
            _ => Err(Error::Malformed(what)),
        };
        Ok(match kind {
            MsgType::CONTROL => {
                if s.is_empty() {
                    return Err(Error::Malformed("XS_CONTROL without a command"));
                }
                Request::Control { args: s }
            }
            MsgType::DIRECTORY => Request::Directory {
                path: path_of(one("XS_DIRECTORY")?)?,
            },
            MsgType::READ => Request::Read {
                path: path_of(one("XS_READ")?)?,
            },
            MsgType::GET_PERMS => Request::GetPerms {
                path: path_of(one("XS_GET_PERMS")?)?,
            },
            MsgType::MKDIR => Request::Mkdir {
                path: path_of(one("XS_MKDIR")?)?,
            },
            MsgType::RM => Request::Rm {
                path: path_of(one("XS_RM")?)?,
            },
            MsgType::DIRECTORY_PART => match s.as_slice() {
                [p, o] => Request::DirectoryPart {
                    path: path_of(p)?,
                    offset: u32_of(o, "XS_DIRECTORY_PART offset")?,
                },
                _ => return Err(Error::Malformed("XS_DIRECTORY_PART")),
            },
            MsgType::WATCH | MsgType::UNWATCH => match s.as_slice() {
                [p, t] => {
                    let path = utf8(p, "watch path")?;
                    path::validate_watch(path)?;
                    if kind == MsgType::WATCH {
                        Request::Watch { path, token: t }
                    } else {
                        Request::Unwatch { path, token: t }
                    }
                }
                _ => return Err(Error::Malformed("XS_WATCH/XS_UNWATCH")),
            },
            MsgType::TRANSACTION_START => match s.as_slice() {
                [] | [b""] => Request::TransactionStart,
                _ => return Err(Error::Malformed("XS_TRANSACTION_START")),
            },
            MsgType::RESET_WATCHES => match s.as_slice() {
                [] | [b""] => Request::ResetWatches,
                _ => return Err(Error::Malformed("XS_RESET_WATCHES")),
            },
            MsgType::TRANSACTION_END => match one("XS_TRANSACTION_END")? {
                b"T" => Request::TransactionEnd { commit: true },
                b"F" => Request::TransactionEnd { commit: false },
                _ => return Err(Error::Malformed("XS_TRANSACTION_END wants T or F")),
            },
            MsgType::INTRODUCE => match s.as_slice() {
                [d, g, p] => Request::Introduce {
                    domid: domid(d)?,
                    gfn: decimal(g, "XS_INTRODUCE frame")?,
                    port: u32_of(p, "XS_INTRODUCE port")?,
                },
                _ => return Err(Error::Malformed("XS_INTRODUCE")),
            },
            MsgType::RELEASE => Request::Release {
                domid: domid(one("XS_RELEASE")?)?,
            },
            MsgType::GET_DOMAIN_PATH => Request::GetDomainPath {
                domid: domid(one("XS_GET_DOMAIN_PATH")?)?,
            },
            MsgType::IS_DOMAIN_INTRODUCED => Request::IsDomainIntroduced {
                domid: domid(one("XS_IS_DOMAIN_INTRODUCED")?)?,
            },
            MsgType::RESUME => Request::Resume {
                domid: domid(one("XS_RESUME")?)?,
            },
            MsgType::SET_TARGET => match s.as_slice() {
                [d, t] => Request::SetTarget {
                    domid: domid(d)?,
                    target: domid(t)?,
                },
                _ => return Err(Error::Malformed("XS_SET_TARGET")),
            },
            MsgType::SET_PERMS => match s.split_first() {
                Some((p, perms)) if !perms.is_empty() => Request::SetPerms {
                    path: path_of(p)?,
                    perms: perms
                        .iter()
                        .map(|b| Perm::parse_bytes(b))
                        .collect::<Result<_>>()?,
                },
                _ => return Err(Error::Malformed("XS_SET_PERMS")),
            },
            MsgType::GET_FEATURE => match s.as_slice() {
                [] => Request::GetFeature { domid: None },
                [d] => Request::GetFeature {
                    domid: Some(domid(d)?),
                },
                _ => return Err(Error::Malformed("XS_GET_FEATURE")),
            },
            MsgType::SET_FEATURE => match s.as_slice() {
                [d, v] => Request::SetFeature {
                    domid: domid(d)?,
                    features: u32_of(v, "feature bits")?,
                },
                _ => return Err(Error::Malformed("XS_SET_FEATURE")),
            },
            MsgType::GET_QUOTA => match s.as_slice() {
                [] => Request::GetQuota {
                    domid: None,
                    quota: None,
                },
                [q] => Request::GetQuota {
                    domid: None,
                    quota: Some(utf8(q, "quota name")?),
                },
                [d, q] => Request::GetQuota {
                    domid: Some(domid(d)?),
                    quota: Some(utf8(q, "quota name")?),
                },
                _ => return Err(Error::Malformed("XS_GET_QUOTA")),
            },
            MsgType::SET_QUOTA => match s.as_slice() {
                [q, v] => Request::SetQuota {
                    domid: None,
                    quota: utf8(q, "quota name")?,
                    value: u32_of(v, "quota value")?,
                },
                [d, q, v] => Request::SetQuota {
                    domid: Some(domid(d)?),
                    quota: utf8(q, "quota name")?,
                    value: u32_of(v, "quota value")?,
                },
                _ => return Err(Error::Malformed("XS_SET_QUOTA")),
            },
            other => return Err(Error::UnexpectedType(other)),
        })
    }
}

/// A reply a server sends (encoded by [`Response::encode`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response<'a> {
    /// `OK\0`: the answer to writes, watches, transaction ends, ...
    Ok,
    /// Raw bytes, no terminator: the answer to `XS_READ`.
    Bytes(&'a [u8]),
    /// One nul-terminated string (`XS_GET_DOMAIN_PATH`, `XS_CONTROL`).
    Str(&'a str),
    /// Nul-terminated strings (`XS_DIRECTORY`, quota names).
    List(&'a [&'a str]),
    /// Permissions (`XS_GET_PERMS`).
    Perms(&'a [Perm]),
    /// A number, as a nul-terminated decimal string (transaction id,
    /// feature bits, quota).
    Number(u64),
    /// `T\0` or `F\0` (`XS_IS_DOMAIN_INTRODUCED`).
    Bool(bool),
    /// One part of a directory listing (`XS_DIRECTORY_PART`).
    DirectoryPart {
        /// The node's generation count: a client restarts when it changes.
        generation: u64,
        /// The children in this part.
        children: &'a [&'a str],
        /// Whether this is the last part (an empty string follows).
        last: bool,
    },
    /// An `XS_ERROR` reply.
    Error(Errno),
}

impl Response<'_> {
    /// Builds the reply to a request of type `kind` (an error reply has type
    /// `XS_ERROR` instead).
    ///
    /// # Errors
    ///
    /// [`Error::PayloadTooLong`], [`Error::EmbeddedNul`] (a string with a
    /// nul), [`Error::Malformed`] for an errno outside the `xsd_errors`
    /// table.
    pub fn encode(&self, kind: MsgType, req_id: ReqId, tx_id: TxId) -> Result<Vec<u8>> {
        let enc =
            |k, strings: &[&[u8]], tail: &[u8]| encode_message(k, req_id, tx_id, strings, tail);
        match self {
            Response::Ok => enc(kind, &[b"OK"], &[]),
            Response::Bytes(b) => enc(kind, &[], b),
            Response::Str(s) => enc(kind, &[no_nul(s.as_bytes())?], &[]),
            Response::List(l) => {
                let v: Vec<&[u8]> = l
                    .iter()
                    .map(|s| no_nul(s.as_bytes()))
                    .collect::<Result<_>>()?;
                enc(kind, &v, &[])
            }
            Response::Perms(p) => {
                let v: Vec<Vec<u8>> = p
                    .iter()
                    .map(|p| {
                        let mut s = Vec::with_capacity(6);
                        s.push(p.access.letter() as u8);
                        s.extend_from_slice(Num::new(p.domid.get().into()).as_bytes());
                        s
                    })
                    .collect();
                let refs: Vec<&[u8]> = v.iter().map(Vec::as_slice).collect();
                enc(kind, &refs, &[])
            }
            Response::Number(n) => enc(kind, &[Num::new(*n).as_bytes()], &[]),
            Response::Bool(b) => enc(kind, &[if *b { b"T" } else { b"F" }], &[]),
            Response::DirectoryPart {
                generation,
                children,
                last,
            } => {
                let g = Num::new(*generation);
                let mut v: Vec<&[u8]> = Vec::with_capacity(children.len() + 2);
                v.push(g.as_bytes());
                for c in children.iter() {
                    v.push(no_nul(c.as_bytes())?);
                }
                if *last {
                    v.push(b"");
                }
                enc(kind, &v, &[])
            }
            Response::Error(e) => {
                let name =
                    xs_wire::error_name(*e).ok_or(Error::Malformed("errno not in xsd_errors"))?;
                enc(MsgType::ERROR, &[name.as_bytes()], &[])
            }
        }
    }
}

/// Builds an `XS_WATCH_EVENT` message (request id and transaction id 0).
///
/// # Errors
///
/// [`Error::EmbeddedNul`], [`Error::PayloadTooLong`].
pub fn encode_watch_event(path: &str, token: &[u8]) -> Result<Vec<u8>> {
    encode_message(
        MsgType::WATCH_EVENT,
        ReqId::new(0),
        TxId::NONE,
        &[no_nul(path.as_bytes())?, no_nul(token)?],
        &[],
    )
}

/// Turns an `XS_ERROR` reply into [`Error::Xenstore`]; otherwise checks the
/// reply has the type of the request (`expected`).
///
/// # Errors
///
/// [`Error::Xenstore`], [`Error::UnknownErrorName`],
/// [`Error::UnexpectedType`].
pub fn check_reply(msg: &Message, expected: MsgType) -> Result<()> {
    if msg.header.kind == MsgType::ERROR {
        let name = msg.payload.strip_suffix(b"\0").unwrap_or(&msg.payload);
        let name = core::str::from_utf8(name).map_err(|_| Error::UnknownErrorName)?;
        return Err(xs_wire::errno_from_name(name)
            .map(Error::Xenstore)
            .unwrap_or(Error::UnknownErrorName));
    }
    if msg.header.kind != expected {
        return Err(Error::UnexpectedType(msg.header.kind));
    }
    Ok(())
}

/// Decodes `OK\0` (also accepts `OK` without the nul).
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_ok(payload: &[u8]) -> Result<()> {
    match payload {
        b"OK\0" | b"OK" => Ok(()),
        _ => Err(Error::Malformed("expected OK")),
    }
}

/// Decodes one string (its terminating nul is optional).
///
/// # Errors
///
/// [`Error::Malformed`] if it is not UTF-8 or has an inner nul.
pub fn decode_str(payload: &[u8]) -> Result<&str> {
    let s = payload.strip_suffix(b"\0").unwrap_or(payload);
    no_nul(s).map_err(|_| Error::Malformed("string with an inner nul"))?;
    utf8(s, "string is not UTF-8")
}

/// Decodes a list of nul-terminated strings (a directory listing).
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_list(payload: &[u8]) -> Result<Vec<&str>> {
    split_strings(payload, "unterminated list")?
        .into_iter()
        .map(|s| utf8(s, "name is not UTF-8"))
        .collect()
}

/// Decodes a number (transaction id, feature bits, quota).
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_number(payload: &[u8]) -> Result<u64> {
    let s = payload.strip_suffix(b"\0").unwrap_or(payload);
    decimal(s, "expected a number")
}

/// Decodes `T`/`F`.
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_bool(payload: &[u8]) -> Result<bool> {
    match payload.strip_suffix(b"\0").unwrap_or(payload) {
        b"T" => Ok(true),
        b"F" => Ok(false),
        _ => Err(Error::Malformed("expected T or F")),
    }
}

/// Decodes a permission list (owner first).
///
/// # Errors
///
/// [`Error::Malformed`] for an empty list, [`Error::InvalidPerms`].
pub fn decode_perms(payload: &[u8]) -> Result<Vec<Perm>> {
    let s = split_strings(payload, "unterminated permission list")?;
    if s.is_empty() {
        return Err(Error::Malformed("empty permission list"));
    }
    s.into_iter().map(Perm::parse_bytes).collect()
}

/// One decoded `XS_DIRECTORY_PART` reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryPart<'a> {
    /// The node's generation count.
    pub generation: u64,
    /// The children in this part.
    pub children: Vec<&'a str>,
    /// Whether the listing is complete with this part.
    pub last: bool,
    /// Bytes of the child list this part covered (add to the offset).
    pub consumed: u32,
}

/// Decodes an `XS_DIRECTORY_PART` reply.
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_directory_part(payload: &[u8]) -> Result<DirectoryPart<'_>> {
    let s = split_strings(payload, "unterminated directory part")?;
    let (g, rest) = s
        .split_first()
        .ok_or(Error::Malformed("directory part without generation"))?;
    let generation = decimal(g, "directory generation")?;
    let (last, names) = match rest.split_last() {
        Some((&[], names)) => (true, names),
        _ => (false, rest),
    };
    let children: Vec<&str> = names
        .iter()
        .map(|n| utf8(n, "name is not UTF-8"))
        .collect::<Result<_>>()?;
    if !last && children.is_empty() {
        return Err(Error::Malformed("directory part makes no progress"));
    }
    let consumed = children.iter().map(|c| c.len() + 1).sum::<usize>() as u32;
    Ok(DirectoryPart {
        generation,
        children,
        last,
        consumed,
    })
}

/// A decoded `XS_WATCH_EVENT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEventRef<'a> {
    /// The path that changed (under the watched one), or a special path.
    pub path: &'a str,
    /// The watch's token.
    pub token: &'a [u8],
}

/// Decodes an `XS_WATCH_EVENT` payload (`path\0token\0`; a missing final
/// nul is tolerated).
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_watch_event(payload: &[u8]) -> Result<WatchEventRef<'_>> {
    let body = payload.strip_suffix(b"\0").unwrap_or(payload);
    let at = body
        .iter()
        .position(|b| *b == 0)
        .ok_or(Error::Malformed("watch event without a token"))?;
    let (path, token) = (&body[..at], &body[at + 1..]);
    if token.contains(&0) {
        return Err(Error::Malformed("watch event with extra strings"));
    }
    Ok(WatchEventRef {
        path: utf8(path, "watch path is not UTF-8")?,
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Access;
    use alloc::vec;

    const R1: ReqId = ReqId::new(1);
    const R3: ReqId = ReqId::new(3);

    fn framed(bytes: &[u8]) -> Message {
        let mut f = Framer::new();
        f.push(bytes);
        let m = f.next_message().unwrap().unwrap();
        assert_eq!(f.buffered(), 0);
        m
    }

    fn d(n: u16) -> DomId {
        DomId::new(n).unwrap()
    }

    #[test]
    fn every_request_round_trips() {
        let perms = vec![Perm::new(Access::None, d(0)), Perm::new(Access::Read, d(5))];
        let reqs = [
            Request::Control {
                args: vec![b"log".as_slice(), b"on"],
            },
            Request::Directory { path: "/a" },
            Request::DirectoryPart {
                path: "/a",
                offset: 1234,
            },
            Request::Read { path: "rel/x" },
            Request::GetPerms { path: "/a" },
            Request::Watch {
                path: "@releaseDomain",
                token: b"tok",
            },
            Request::Unwatch {
                path: "/a",
                token: b"",
            },
            Request::TransactionStart,
            Request::TransactionEnd { commit: true },
            Request::TransactionEnd { commit: false },
            Request::Introduce {
                domid: d(3),
                gfn: 0xfeffe,
                port: 9,
            },
            Request::Release { domid: d(3) },
            Request::GetDomainPath { domid: d(0) },
            Request::Write {
                path: "/a",
                value: b"v\0with nul",
            },
            Request::Write {
                path: "/a",
                value: b"",
            },
            Request::Mkdir { path: "/a/b" },
            Request::Rm { path: "/a" },
            Request::SetPerms {
                path: "/a",
                perms: perms.clone(),
            },
            Request::IsDomainIntroduced { domid: d(7) },
            Request::Resume { domid: d(7) },
            Request::SetTarget {
                domid: d(2),
                target: d(3),
            },
            Request::ResetWatches,
            Request::GetFeature { domid: None },
            Request::GetFeature { domid: Some(d(1)) },
            Request::SetFeature {
                domid: d(1),
                features: 3,
            },
            Request::GetQuota {
                domid: None,
                quota: None,
            },
            Request::GetQuota {
                domid: None,
                quota: Some("nodes"),
            },
            Request::GetQuota {
                domid: Some(d(4)),
                quota: Some("nodes"),
            },
            Request::SetQuota {
                domid: None,
                quota: "nodes",
                value: 10,
            },
            Request::SetQuota {
                domid: Some(d(4)),
                quota: "nodes",
                value: 10,
            },
        ];
        for (i, r) in reqs.iter().enumerate() {
            let m = framed(&r.encode(ReqId::new(i as u32), TxId::new(42)).unwrap());
            assert_eq!(m.header.kind, r.kind());
            assert_eq!(
                (m.header.req_id, m.header.tx_id),
                (ReqId::new(i as u32), TxId::new(42))
            );
            assert_eq!(&Request::decode(&m).unwrap(), r);
        }
        // Exact bytes for a few, from xenstore.txt.
        let m = framed(
            &Request::DirectoryPart {
                path: "/a",
                offset: 12,
            }
            .encode(R1, TxId::NONE)
            .unwrap(),
        );
        assert_eq!(m.payload, b"/a\x0012\0");
        let m = framed(&Request::TransactionStart.encode(R1, TxId::NONE).unwrap());
        assert_eq!(m.payload, b"\0");
        let m = framed(
            &Request::Write {
                path: "/a",
                value: b"xy",
            }
            .encode(R1, TxId::NONE)
            .unwrap(),
        );
        assert_eq!(m.payload, b"/a\0xy");
        let m = framed(
            &Request::SetPerms { path: "/a", perms }
                .encode(R1, TxId::NONE)
                .unwrap(),
        );
        assert_eq!(m.payload, b"/a\0n0\0r5\0");
    }

    #[test]
    fn bad_requests_are_refused() {
        assert_eq!(
            Request::Read { path: "/a/" }.encode(R1, TxId::NONE),
            Err(Error::InvalidPath(crate::PathError::EmptyComponent))
        );
        assert_eq!(
            Request::Watch {
                path: "/a",
                token: b"a\0b"
            }
            .encode(R1, TxId::NONE),
            Err(Error::EmbeddedNul)
        );
        let big = vec![b'x'; PAYLOAD_MAX];
        assert_eq!(
            Request::Write {
                path: "/a",
                value: &big
            }
            .encode(R1, TxId::NONE),
            Err(Error::PayloadTooLong(PAYLOAD_MAX + 3))
        );
        assert!(Request::Write {
            path: "/a",
            value: &big[3..]
        }
        .encode(R1, TxId::NONE)
        .is_ok());
        assert_eq!(
            Request::SetPerms {
                path: "/a",
                perms: vec![]
            }
            .encode(R1, TxId::NONE),
            Err(Error::InvalidPerms)
        );
        // Server side.
        fn dec(k: MsgType, p: &[u8]) -> Result<Request<'_>> {
            Request::decode_payload(k, p)
        }
        assert_eq!(
            dec(MsgType::READ, b"/a"),
            Err(Error::Malformed("unterminated string"))
        );
        assert!(matches!(
            dec(MsgType::READ, b"/a\0/b\0"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            dec(MsgType::READ, b"/a b\0"),
            Err(Error::InvalidPath(_))
        ));
        assert!(matches!(
            dec(MsgType::READ, b"\xff\0"),
            Err(Error::Malformed(_))
        ));
        assert_eq!(
            dec(MsgType::WATCH_EVENT, b"/a\0t\0"),
            Err(Error::UnexpectedType(MsgType::WATCH_EVENT))
        );
        assert_eq!(
            dec(MsgType::new(20), b""),
            Err(Error::UnexpectedType(MsgType::new(20)))
        );
        assert!(matches!(
            dec(MsgType::TRANSACTION_END, b"X\0"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            dec(MsgType::SET_PERMS, b"/a\0"),
            Err(Error::Malformed(_))
        ));
        assert_eq!(
            dec(MsgType::SET_PERMS, b"/a\0q1\0"),
            Err(Error::InvalidPerms)
        );
        assert!(matches!(
            dec(MsgType::RELEASE, b"99999\0"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            dec(MsgType::RELEASE, b"-1\0"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            dec(MsgType::WRITE, b"/a"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            dec(MsgType::CONTROL, b""),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            dec(MsgType::WATCH, b"@bogus\0t\0"),
            Err(Error::InvalidPath(_))
        ));
        assert!(matches!(
            dec(MsgType::DIRECTORY_PART, b"/a\0x\0"),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn replies_round_trip() {
        let t = MsgType::READ;
        let m = framed(&Response::Bytes(b"val").encode(t, R3, TxId::NONE).unwrap());
        check_reply(&m, t).unwrap();
        assert_eq!(m.payload, b"val");
        let m = framed(&Response::Ok.encode(MsgType::WRITE, R3, TxId::NONE).unwrap());
        decode_ok(&m.payload).unwrap();
        let m = framed(
            &Response::Str("/local/domain/3")
                .encode(t, R3, TxId::NONE)
                .unwrap(),
        );
        assert_eq!(decode_str(&m.payload).unwrap(), "/local/domain/3");
        let m = framed(
            &Response::List(&["a", "b"])
                .encode(t, R3, TxId::NONE)
                .unwrap(),
        );
        assert_eq!(decode_list(&m.payload).unwrap(), ["a", "b"]);
        assert_eq!(decode_list(b"").unwrap(), [] as [&str; 0]);
        let perms = [
            Perm::new(Access::Both, d(0)),
            Perm::new(Access::Write, d(9)),
        ];
        let m = framed(&Response::Perms(&perms).encode(t, R3, TxId::NONE).unwrap());
        assert_eq!(decode_perms(&m.payload).unwrap(), perms);
        let m = framed(&Response::Number(77).encode(t, R3, TxId::NONE).unwrap());
        assert_eq!(decode_number(&m.payload).unwrap(), 77);
        let m = framed(&Response::Bool(true).encode(t, R3, TxId::NONE).unwrap());
        assert!(decode_bool(&m.payload).unwrap());
        let m = framed(
            &Response::DirectoryPart {
                generation: 5,
                children: &["x", "yy"],
                last: false,
            }
            .encode(MsgType::DIRECTORY_PART, R3, TxId::NONE)
            .unwrap(),
        );
        let p = decode_directory_part(&m.payload).unwrap();
        assert_eq!((p.generation, p.last, p.consumed), (5, false, 5));
        assert_eq!(p.children, ["x", "yy"]);
        let p = decode_directory_part(b"5\0z\0\0").unwrap();
        assert_eq!((p.children, p.last), (vec!["z"], true));
        let p = decode_directory_part(b"5\0\0").unwrap();
        assert!(p.children.is_empty() && p.last);
        let m = framed(
            &Response::Error(Errno::EACCES)
                .encode(t, R3, TxId::NONE)
                .unwrap(),
        );
        assert_eq!(m.header.kind, MsgType::ERROR);
        assert_eq!(check_reply(&m, t), Err(Error::Xenstore(Errno::EACCES)));
        assert!(Response::Error(Errno::EXDEV)
            .encode(t, R3, TxId::NONE)
            .is_err());
        let m = framed(&encode_watch_event("/a/b", b"tok").unwrap());
        let e = decode_watch_event(&m.payload).unwrap();
        assert_eq!((e.path, e.token), ("/a/b", b"tok".as_slice()));
    }

    #[test]
    fn bad_replies_are_typed_errors() {
        let msg = |kind, p: &[u8]| Message {
            header: MsgHeader {
                kind,
                req_id: R1,
                tx_id: TxId::NONE,
                len: p.len() as u32,
            },
            payload: p.to_vec(),
        };
        assert_eq!(
            check_reply(&msg(MsgType::ERROR, b"EWHAT\0"), MsgType::READ),
            Err(Error::UnknownErrorName)
        );
        assert_eq!(
            check_reply(&msg(MsgType::ERROR, b"\xff\0"), MsgType::READ),
            Err(Error::UnknownErrorName)
        );
        assert_eq!(
            check_reply(&msg(MsgType::ERROR, b"EAGAIN"), MsgType::READ),
            Err(Error::Xenstore(Errno::EAGAIN))
        );
        assert_eq!(
            check_reply(&msg(MsgType::WRITE, b""), MsgType::READ),
            Err(Error::UnexpectedType(MsgType::WRITE))
        );
        assert!(decode_ok(b"NO\0").is_err());
        assert!(decode_list(b"a\0b").is_err());
        assert!(decode_number(b"12a\0").is_err());
        assert!(decode_number(b"99999999999999999999\0").is_err());
        assert!(decode_perms(b"").is_err());
        assert!(decode_perms(b"r0\0z\0").is_err());
        assert!(decode_directory_part(b"").is_err());
        assert!(decode_directory_part(b"x\0a\0").is_err());
        assert!(
            decode_directory_part(b"5\0").is_err(),
            "no progress, not last"
        );
        assert!(decode_watch_event(b"/a").is_err());
        assert!(decode_watch_event(b"/a\0t\0x\0").is_err());
        assert!(decode_str(b"a\0b\0").is_err());
    }

    #[test]
    fn framer_handles_pieces_and_refuses_oversize() {
        let a = Request::Read { path: "/a" }.encode(R1, TxId::NONE).unwrap();
        let b = Request::Read { path: "/bb" }
            .encode(ReqId::new(2), TxId::NONE)
            .unwrap();
        let mut all = a.clone();
        all.extend_from_slice(&b);
        let mut f = Framer::new();
        for byte in &all {
            assert!(f.wanted() > 0);
            f.push(core::slice::from_ref(byte));
            if let Some(m) = f.next_message().unwrap() {
                assert!(m.header.req_id == R1 || m.header.req_id == ReqId::new(2));
            }
        }
        assert_eq!(f.buffered(), 0);
        let h = MsgHeader {
            kind: MsgType::READ,
            req_id: R1,
            tx_id: TxId::NONE,
            len: PAYLOAD_MAX as u32 + 1,
        };
        f.push(h.as_bytes());
        assert_eq!(
            f.next_message(),
            Err(Error::PayloadTooLong(PAYLOAD_MAX + 1))
        );
        assert_eq!(f.oversized(), Some(h));
    }

    #[test]
    fn framer_skips_an_oversized_message_arriving_in_pieces() {
        let big = 3 * PAYLOAD_MAX;
        let h = MsgHeader {
            kind: MsgType::DIRECTORY,
            req_id: ReqId::new(9),
            tx_id: TxId::NONE,
            len: big as u32,
        };
        let after = Request::Read { path: "/after" }
            .encode(ReqId::new(10), TxId::NONE)
            .unwrap();
        let mut stream = h.as_bytes().to_vec();
        stream.extend_from_slice(&alloc::vec![b'z'; big]);
        stream.extend_from_slice(&after);
        for split in [
            HEADER_LEN,
            HEADER_LEN + 100,
            HEADER_LEN + big,
            stream.len() - 3,
        ] {
            let mut f = Framer::new();
            f.push(&stream[..split]);
            assert!(f.next_message().is_err());
            assert_eq!(f.skip_oversized(), Some(h), "split {split}");
            assert_eq!(f.skip_oversized(), None);
            let mut got = None;
            for chunk in stream[split..].chunks(777) {
                f.push(chunk);
                if let Some(m) = f.next_message().unwrap() {
                    got = Some(m);
                }
            }
            if got.is_none() {
                got = f.next_message().unwrap();
            }
            let m = got.expect("the message after the skipped one");
            assert_eq!(
                (m.header.req_id, m.payload.as_slice()),
                (ReqId::new(10), &b"/after\0"[..])
            );
        }
    }
}
