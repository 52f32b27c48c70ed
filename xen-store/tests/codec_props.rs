// SPDX-License-Identifier: MIT OR Apache-2.0
//! Property tests of the wire codec, both ways: what a client encodes the
//! server half decodes to the same request, what the server half encodes
//! the client decoders read back unchanged, and the permission parser
//! against an independent model of `[wrbn]<domid>`.

#![allow(clippy::std_instead_of_core, unreachable_pub)]

use proptest::prelude::*;
use xen_abi::io::xs_wire::{MsgType, ReqId, TxId};
use xen_abi::{DomId, Errno};
use xen_store::wire::{
    check_reply, decode_bool, decode_directory_part, decode_list, decode_number, decode_perms,
    decode_str, decode_watch_event, encode_watch_event, Framer, Message, Request, Response,
};
use xen_store::{Access, Error, Perm};

fn config() -> ProptestConfig {
    // Few cases: unit tests stay quick; `PROPTEST_CASES` raises them.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Characters a node name may hold (xenstore allows `[A-Za-z0-9_@-]`).
const NAME_CHARS: &[char] = &['a', 'z', 'A', 'Z', '0', '9', '_', '-', '@'];

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(NAME_CHARS), 1..10).prop_map(String::from_iter)
}

/// A valid path: absolute or relative, one to four names.
fn path() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(name(), 1..5))
        .prop_map(|(abs, names)| format!("{}{}", if abs { "/" } else { "" }, names.join("/")))
}

/// Bytes without a nul (tokens, control arguments).
fn no_nul() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, 0..24)
}

/// UTF-8 without a nul (quota names).
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>().prop_filter("no nul", |c| *c != '\0'), 0..12)
        .prop_map(String::from_iter)
}

fn domid() -> impl Strategy<Value = DomId> {
    (0u16..0x7ff0).prop_map(|d| DomId::new(d).unwrap())
}

fn access() -> impl Strategy<Value = Access> {
    prop::sample::select(&[Access::None, Access::Read, Access::Write, Access::Both][..])
}

fn perm() -> impl Strategy<Value = Perm> {
    (access(), domid()).prop_map(|(a, d)| Perm::new(a, d))
}

/// A request's arguments, owned (the `Request` borrows them).
#[derive(Debug, Clone)]
enum Owned {
    Control(Vec<Vec<u8>>),
    Path(u8, String),
    DirectoryPart(String, u32),
    Watch(bool, String, Vec<u8>),
    TransactionStart,
    TransactionEnd(bool),
    Introduce(DomId, u64, u32),
    Dom(u8, DomId),
    Write(String, Vec<u8>),
    SetPerms(String, Vec<Perm>),
    SetTarget(DomId, DomId),
    ResetWatches,
    GetFeature(Option<DomId>),
    SetFeature(DomId, u32),
    GetQuota(Option<(Option<DomId>, String)>),
    SetQuota(Option<DomId>, String, u32),
}

impl Owned {
    fn request(&self) -> Request<'_> {
        match self {
            Owned::Control(a) => Request::Control {
                args: a.iter().map(Vec::as_slice).collect(),
            },
            Owned::Path(k, p) => {
                let path = p.as_str();
                match k % 5 {
                    0 => Request::Directory { path },
                    1 => Request::Read { path },
                    2 => Request::GetPerms { path },
                    3 => Request::Mkdir { path },
                    _ => Request::Rm { path },
                }
            }
            Owned::DirectoryPart(p, offset) => Request::DirectoryPart {
                path: p,
                offset: *offset,
            },
            Owned::Watch(w, p, t) => {
                let (path, token) = (p.as_str(), t.as_slice());
                if *w {
                    Request::Watch { path, token }
                } else {
                    Request::Unwatch { path, token }
                }
            }
            Owned::TransactionStart => Request::TransactionStart,
            Owned::TransactionEnd(commit) => Request::TransactionEnd { commit: *commit },
            Owned::Introduce(domid, gfn, port) => Request::Introduce {
                domid: *domid,
                gfn: *gfn,
                port: *port,
            },
            Owned::Dom(k, domid) => {
                let domid = *domid;
                match k % 4 {
                    0 => Request::Release { domid },
                    1 => Request::GetDomainPath { domid },
                    2 => Request::IsDomainIntroduced { domid },
                    _ => Request::Resume { domid },
                }
            }
            Owned::Write(p, v) => Request::Write { path: p, value: v },
            Owned::SetPerms(p, perms) => Request::SetPerms {
                path: p,
                perms: perms.clone(),
            },
            Owned::SetTarget(domid, target) => Request::SetTarget {
                domid: *domid,
                target: *target,
            },
            Owned::ResetWatches => Request::ResetWatches,
            Owned::GetFeature(domid) => Request::GetFeature { domid: *domid },
            Owned::SetFeature(domid, features) => Request::SetFeature {
                domid: *domid,
                features: *features,
            },
            Owned::GetQuota(None) => Request::GetQuota {
                domid: None,
                quota: None,
            },
            Owned::GetQuota(Some((domid, q))) => Request::GetQuota {
                domid: *domid,
                quota: Some(q),
            },
            Owned::SetQuota(domid, q, value) => Request::SetQuota {
                domid: *domid,
                quota: q,
                value: *value,
            },
        }
    }
}

fn owned() -> impl Strategy<Value = Owned> {
    let watch_path = prop_oneof![
        // A watch path starting with `@` is one of the special ones.
        path().prop_filter("not special", |p| !p.starts_with('@')),
        Just("@introduceDomain".to_string()),
        Just("@releaseDomain".to_string()),
    ];
    prop_oneof![
        prop::collection::vec(no_nul(), 1..4).prop_map(Owned::Control),
        (any::<u8>(), path()).prop_map(|(k, p)| Owned::Path(k, p)),
        (path(), any::<u32>()).prop_map(|(p, o)| Owned::DirectoryPart(p, o)),
        (any::<bool>(), watch_path, no_nul()).prop_map(|(w, p, t)| Owned::Watch(w, p, t)),
        Just(Owned::TransactionStart),
        any::<bool>().prop_map(Owned::TransactionEnd),
        (domid(), any::<u64>(), any::<u32>()).prop_map(|(d, g, p)| Owned::Introduce(d, g, p)),
        (any::<u8>(), domid()).prop_map(|(k, d)| Owned::Dom(k, d)),
        (path(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(p, v)| Owned::Write(p, v)),
        (path(), prop::collection::vec(perm(), 1..6)).prop_map(|(p, v)| Owned::SetPerms(p, v)),
        (domid(), domid()).prop_map(|(d, t)| Owned::SetTarget(d, t)),
        Just(Owned::ResetWatches),
        prop::option::of(domid()).prop_map(Owned::GetFeature),
        (domid(), any::<u32>()).prop_map(|(d, f)| Owned::SetFeature(d, f)),
        prop::option::of((prop::option::of(domid()), text())).prop_map(Owned::GetQuota),
        (prop::option::of(domid()), text(), any::<u32>())
            .prop_map(|(d, q, v)| Owned::SetQuota(d, q, v)),
    ]
}

/// Frames `bytes` as the receiving end does: exactly one whole message.
fn frame(bytes: &[u8]) -> Message {
    let mut f = Framer::new();
    f.push(bytes);
    let m = f.next_message().unwrap().expect("a whole message");
    assert_eq!(f.buffered(), 0, "one message, nothing left over");
    m
}

fn ids() -> impl Strategy<Value = (ReqId, TxId)> {
    (any::<u32>(), any::<u32>()).prop_map(|(r, t)| (ReqId::new(r), TxId::new(t)))
}

/// Reply encode: the message a server sends for `rsp` to a `kind` request.
fn reply(rsp: &Response<'_>, kind: MsgType, (req, tx): (ReqId, TxId)) -> Message {
    let m = frame(&rsp.encode(kind, req, tx).unwrap());
    assert_eq!((m.header.req_id, m.header.tx_id), (req, tx));
    m
}

proptest! {
    #![proptest_config(config())]

    /// Client → server: every request decodes to itself, ids kept.
    #[test]
    fn request_round_trip(o in owned(), (req, tx) in ids()) {
        let r = o.request();
        let bytes = r.encode(req, tx).unwrap();
        let m = frame(&bytes);
        prop_assert_eq!(m.header.kind, r.kind());
        prop_assert_eq!((m.header.req_id, m.header.tx_id), (req, tx));
        prop_assert_eq!(Request::decode(&m), Ok(r));
    }

    /// Server → client, one reply shape at a time.
    #[test]
    fn string_and_bytes_replies_round_trip(
        ids in ids(),
        s in text(),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let m = reply(&Response::Str(&s), MsgType::GET_DOMAIN_PATH, ids);
        prop_assert_eq!(check_reply(&m, MsgType::GET_DOMAIN_PATH), Ok(()));
        prop_assert_eq!(decode_str(&m.payload), Ok(s.as_str()));
        let m = reply(&Response::Bytes(&bytes), MsgType::READ, ids);
        prop_assert_eq!(check_reply(&m, MsgType::READ), Ok(()));
        prop_assert_eq!(&m.payload, &bytes);
        // A reply to another request type is refused, whatever it holds.
        prop_assert_eq!(check_reply(&m, MsgType::WRITE), Err(Error::UnexpectedType(MsgType::READ)));
    }

    #[test]
    fn number_bool_and_perms_replies_round_trip(
        ids in ids(),
        n in any::<u64>(),
        b in any::<bool>(),
        perms in prop::collection::vec(perm(), 1..8),
    ) {
        let m = reply(&Response::Number(n), MsgType::TRANSACTION_START, ids);
        prop_assert_eq!(decode_number(&m.payload), Ok(n));
        let m = reply(&Response::Bool(b), MsgType::IS_DOMAIN_INTRODUCED, ids);
        prop_assert_eq!(decode_bool(&m.payload), Ok(b));
        let m = reply(&Response::Perms(&perms), MsgType::GET_PERMS, ids);
        prop_assert_eq!(decode_perms(&m.payload), Ok(perms));
    }

    #[test]
    fn listing_replies_round_trip(
        ids in ids(),
        names in prop::collection::vec(name(), 0..12),
        generation in any::<u64>(),
        last in any::<bool>(),
    ) {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let m = reply(&Response::List(&refs), MsgType::DIRECTORY, ids);
        prop_assert_eq!(decode_list(&m.payload), Ok(refs.clone()));
        let part = Response::DirectoryPart { generation, children: &refs, last };
        let m = reply(&part, MsgType::DIRECTORY_PART, ids);
        match decode_directory_part(&m.payload) {
            Ok(d) => {
                prop_assert_eq!((d.generation, d.last, &d.children), (generation, last, &refs));
                let bytes: usize = names.iter().map(|n| n.len() + 1).sum();
                prop_assert_eq!(d.consumed as usize, bytes);
            }
            // Only a part that is neither last nor lists anything: the
            // client would loop on it, so the decoder refuses it.
            Err(e) => {
                prop_assert!(!last && names.is_empty(), "{:?}", e);
            }
        }
    }

    #[test]
    fn error_replies_round_trip(ids in ids(), e in prop::sample::select(&[
        Errno::EINVAL, Errno::EACCES, Errno::EEXIST, Errno::EISDIR, Errno::ENOENT,
        Errno::ENOMEM, Errno::ENOSPC, Errno::EIO, Errno::ENOTEMPTY, Errno::ENOSYS,
        Errno::EROFS, Errno::EBUSY, Errno::EAGAIN, Errno::EISCONN, Errno::E2BIG,
        Errno::EPERM,
    ][..])) {
        let m = reply(&Response::Error(e), MsgType::READ, ids);
        prop_assert_eq!(m.header.kind, MsgType::ERROR);
        prop_assert_eq!(check_reply(&m, MsgType::READ), Err(Error::Xenstore(e)));
    }

    #[test]
    fn watch_events_round_trip(p in path(), token in no_nul()) {
        let m = frame(&encode_watch_event(&p, &token).unwrap());
        prop_assert_eq!(m.header.kind, MsgType::WATCH_EVENT);
        let ev = decode_watch_event(&m.payload).unwrap();
        prop_assert_eq!((ev.path, ev.token), (p.as_str(), token.as_slice()));
    }

    /// Every permission prints to a form that parses back to it.
    #[test]
    fn perms_print_and_parse(p in perm()) {
        prop_assert_eq!(p.to_string().parse::<Perm>(), Ok(p));
        prop_assert_eq!(Perm::parse_bytes(p.to_string().as_bytes()), Ok(p));
    }

    /// The parser against a model: a letter of `wrbn`, one to five ASCII
    /// digits, a value that is a domain id; nothing else.
    #[test]
    fn perms_parser_matches_the_model(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..8),
            (prop::sample::select(&b"wrbnxR+"[..]), prop::collection::vec(prop::sample::select(&b"0123456789+- a"[..]), 0..7))
                .prop_map(|(l, mut d)| { d.insert(0, l); d }),
        ]
    ) {
        let model = || -> Option<Perm> {
            let (&l, digits) = bytes.split_first()?;
            let access = match l {
                b'w' => Access::Write,
                b'r' => Access::Read,
                b'b' => Access::Both,
                b'n' => Access::None,
                _ => return None,
            };
            if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let v: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            Some(Perm::new(access, DomId::new(u16::try_from(v).ok()?).ok()?))
        };
        let got = Perm::parse_bytes(&bytes);
        let want = model();
        prop_assert_eq!(got.as_ref().ok(), want.as_ref());
        if got.is_err() {
            prop_assert_eq!(got, Err(Error::InvalidPerms));
        }
        // A whole list parses iff every entry does.
        let mut list = bytes.clone();
        list.push(0);
        list.extend_from_slice(b"r0\0");
        let all = decode_perms(&list);
        prop_assert_eq!(all.is_ok(), want.is_some() && !bytes.contains(&0));
    }
}
