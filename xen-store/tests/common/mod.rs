// SPDX-License-Identifier: MIT OR Apache-2.0
//! A tiny xenstored built on the server half of the codec, for the fake-peer
//! and ring tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::vec::Vec;

use xen_abi::io::xs_wire::MsgType;
use xen_abi::{DomId, Errno};
use xen_store::wire::{encode_watch_event, Message, Request, Response};
use xen_store::{Access, Perm};

/// An in-memory store: no transactions isolation (ids are handed out and
/// commits succeed), watches fire on writes under the watched path.
#[derive(Default)]
pub struct MiniStore {
    pub nodes: BTreeMap<String, Vec<u8>>,
    pub perms: BTreeMap<String, Vec<Perm>>,
    pub watches: Vec<(String, Vec<u8>)>,
    pub next_tx: u32,
    /// Fail this many commits with EAGAIN.
    pub conflicts: u32,
    /// Directory listings longer than this answer E2BIG to XS_DIRECTORY.
    pub dir_limit: usize,
    /// Children per XS_DIRECTORY_PART reply.
    pub part_size: usize,
}

impl MiniStore {
    pub fn new() -> Self {
        Self {
            dir_limit: usize::MAX,
            part_size: 3,
            ..Self::default()
        }
    }

    fn children(&self, path: &str) -> Vec<String> {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let mut out: Vec<String> = Vec::new();
        for k in self.nodes.keys() {
            if let Some(rest) = k.strip_prefix(&prefix) {
                let c = rest.split('/').next().unwrap_or("").to_string();
                if !c.is_empty() && !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// The reply bytes (and any watch events) for one request message.
    pub fn handle(&mut self, m: &Message) -> Vec<u8> {
        let (kind, id, tx) = (m.header.kind, m.header.req_id, m.header.tx_id);
        let req = match Request::decode(m) {
            Ok(r) => r,
            Err(_) => return Response::Error(Errno::EINVAL).encode(kind, id, tx).unwrap(),
        };
        let ok = |r: Response<'_>| r.encode(kind, id, tx).unwrap();
        let err = |e| Response::Error(e).encode(kind, id, tx).unwrap();
        match req {
            Request::Read { path } => match self.nodes.get(path) {
                Some(v) => ok(Response::Bytes(v)),
                None => err(Errno::ENOENT),
            },
            Request::Write { path, value } => {
                self.nodes.insert(path.into(), value.to_vec());
                let mut out = ok(Response::Ok);
                for (w, t) in &self.watches {
                    if path == w || path.starts_with(&format!("{w}/")) {
                        out.extend(encode_watch_event(path, t).unwrap());
                    }
                }
                out
            }
            Request::Mkdir { path } => {
                self.nodes.entry(path.into()).or_default();
                ok(Response::Ok)
            }
            Request::Rm { path } => {
                let pre = format!("{path}/");
                self.nodes.retain(|k, _| k != path && !k.starts_with(&pre));
                ok(Response::Ok)
            }
            Request::Directory { path } => {
                let c = self.children(path);
                if c.iter().map(|s| s.len() + 1).sum::<usize>() > self.dir_limit {
                    return err(Errno::E2BIG);
                }
                let refs: Vec<&str> = c.iter().map(String::as_str).collect();
                ok(Response::List(&refs))
            }
            Request::DirectoryPart { path, offset } => {
                let c = self.children(path);
                let mut at = 0usize;
                let mut start = c.len();
                for (i, s) in c.iter().enumerate() {
                    if at == offset as usize {
                        start = i;
                        break;
                    }
                    at += s.len() + 1;
                }
                let end = (start + self.part_size).min(c.len());
                let refs: Vec<&str> = c[start..end].iter().map(String::as_str).collect();
                ok(Response::DirectoryPart {
                    generation: 1,
                    children: &refs,
                    last: end == c.len(),
                })
            }
            Request::GetPerms { path } => match self.perms.get(path) {
                Some(p) => ok(Response::Perms(p)),
                None if self.nodes.contains_key(path) => {
                    ok(Response::Perms(&[Perm::new(Access::None, DomId::DOM0)]))
                }
                None => err(Errno::ENOENT),
            },
            Request::SetPerms { path, perms } => {
                self.perms.insert(path.into(), perms);
                ok(Response::Ok)
            }
            Request::Watch { path, token } => {
                self.watches.push((path.into(), token.to_vec()));
                let mut out = ok(Response::Ok);
                out.extend(encode_watch_event(path, token).unwrap());
                out
            }
            Request::Unwatch { path, token } => {
                self.watches.retain(|(p, t)| !(p == path && t == token));
                ok(Response::Ok)
            }
            Request::TransactionStart => {
                self.next_tx += 1;
                ok(Response::Number(self.next_tx.into()))
            }
            Request::TransactionEnd { commit } => {
                if commit && self.conflicts > 0 {
                    self.conflicts -= 1;
                    return err(Errno::EAGAIN);
                }
                ok(Response::Ok)
            }
            Request::GetDomainPath { domid } => {
                let p = format!("/local/domain/{}", domid.get());
                ok(Response::Str(&p))
            }
            Request::IsDomainIntroduced { .. } => ok(Response::Bool(true)),
            Request::Introduce { .. } | Request::Release { .. } => ok(Response::Ok),
            _ => {
                let _ = MsgType::CONTROL;
                err(Errno::ENOSYS)
            }
        }
    }
}

/// For each path, a write of the path itself as its value, then a read.
pub fn write_then_read(paths: &[String]) -> Vec<Request<'_>> {
    paths
        .iter()
        .flat_map(|p| {
            [
                Request::Write {
                    path: p,
                    value: p.as_bytes(),
                },
                Request::Read { path: p },
            ]
        })
        .collect()
}
