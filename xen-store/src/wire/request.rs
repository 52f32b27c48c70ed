// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Request`]: every request type, and the client's end: validation and
//! encoding.

use alloc::vec::Vec;

use xen_abi::io::xs_wire::{MsgType, ReqId, TxId};
use xen_abi::DomId;

use super::frame::encode_message;
use super::text::{no_nul, perm_bytes, Num};
use crate::error::{Error, Result};
use crate::path::{self, Perm};

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
                strings.extend(perms.iter().map(perm_bytes));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Access;
    use crate::wire::frame::framed;
    use crate::wire::PAYLOAD_MAX;
    use alloc::vec;

    const R1: ReqId = ReqId::new(1);

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
    }
}
