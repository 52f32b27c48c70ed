// SPDX-License-Identifier: MIT OR Apache-2.0
//! The server's end: [`Request::decode`] parses and validates a request;
//! [`Response::encode`] and [`encode_watch_event`] build what goes back.

use alloc::vec::Vec;

use xen_abi::io::xs_wire::{self, MsgType, ReqId, TxId};
use xen_abi::Errno;

use super::frame::{encode_message, Message};
use super::request::Request;
use super::text::{decimal, domid, no_nul, perm_bytes, split_strings, u32_of, utf8, Num};
use crate::error::{Error, Result};
use crate::path::{self, Perm};

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
                let v: Vec<Vec<u8>> = p.iter().map(perm_bytes).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_requests_are_refused_by_the_server() {
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
}
