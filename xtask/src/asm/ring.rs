// SPDX-License-Identifier: MIT OR Apache-2.0
//! The ring back end's per-request loop, ours against C's `ring.h`, in
//! x86_64 machine code: one batch of `cargo xtask bench --only ring`'s back
//! end (attach with every consumed request answered, read the front end's
//! producer index, then per request copy its head out and write its
//! response), as a function of the asm probe crate (`xenrs_ring_answer`,
//! xen-abi's `BackRing`) and as a C function with the RING_* macros
//! compiled by gcc -O2 (`c_ring_answer`). Each function's innermost loop is
//! one request; the check fails if ours calls anything there or touches
//! memory more often per request than C.

use std::process::Command;

use crate::{process, workspace};

/// The Rust half, appended to the probe crate (x86_64 only): one batch of
/// the bench's back end, attached at `rc` with every consumed request
/// answered (as each batch of the bench begins).
pub(super) const RUST_PROBE: &str = r#"
#[cfg(target_arch = "x86_64")]
#[no_mangle]
pub fn xenrs_ring_answer(mem: xen_abi::io::ring::SharedMem<'_>, rc: u32) -> u32 {
    use xen_abi::io::blkif::{Operation, Response, Status};
    let Ok(mut back) = xen_abi::io::ring::BlkifBackRing::attach(mem, rc) else {
        return 0;
    };
    if back.fetch_requests().is_err() {
        return 0;
    }
    let mut k = 0;
    // The bench's `RequestHead`: operation (byte 0) and id (bytes 8..16).
    while let Some(head) = back.take_request_head::<[u64; 2]>() {
        let rsp = Response {
            id: head[1],
            operation: Operation::new(head[0] as u8),
            status: Status::OKAY,
            ..Response::default()
        };
        if back.produce(&rsp).is_err() {
            break;
        }
        k += 1;
    }
    k
}
"#;

/// The C half: the same batch of `bench/ring_bench.c`'s back end.
const C_PROBE: &str = r#"
#include <stdint.h>
#include <string.h>
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/blkif.h>

unsigned int c_ring_answer(blkif_sring_t *sring, RING_IDX rc)
{
    blkif_back_ring_t back;
    RING_IDX rp;
    unsigned int k = 0;
    BACK_RING_ATTACH(&back, sring, rc, 4096);
    rp = back.sring->req_prod;
    xen_rmb();
    if (RING_REQUEST_PROD_OVERFLOW(&back, rp))
        return 0;
    while (rc != rp) {
        blkif_request_t req;
        blkif_response_t *rsp;
        if (RING_REQUEST_CONS_OVERFLOW(&back, rc))
            break;
        RING_COPY_REQUEST(&back, rc, &req);
        back.req_cons = ++rc;
        rsp = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);
        rsp->id = req.id;
        rsp->operation = req.operation;
        rsp->status = BLKIF_RSP_OKAY;
        back.rsp_prod_pvt++;
        k++;
    }
    return k;
}
"#;

/// One instruction of a listing: its address and text.
#[derive(Debug, Clone, PartialEq)]
struct Insn {
    addr: u64,
    text: String,
}

/// The instructions of `symbol` in an llvm-objdump listing with addresses.
fn function(listing: &str, symbol: &str) -> Vec<Insn> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in listing.lines() {
        if l.ends_with(&format!("<{symbol}>:")) {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        let Some((addr, text)) = l.split_once(':') else {
            break;
        };
        let Ok(addr) = u64::from_str_radix(addr.trim(), 16) else {
            break;
        };
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            out.push(Insn { addr, text });
        }
    }
    out
}

/// The branch target of a jump (`jne 0x10 <f+0x10>`), if it is one.
fn target(insn: &str) -> Option<u64> {
    let (op, rest) = insn.split_once(' ')?;
    if !op.starts_with('j') {
        return None;
    }
    u64::from_str_radix(rest.split_whitespace().next()?.strip_prefix("0x")?, 16).ok()
}

/// The innermost loop: the instructions from the target of the backward
/// conditional branch with the shortest span to that branch (both
/// compilers end a loop with one; a backward `jmp` is a shared exit path).
fn innermost_loop(f: &[Insn]) -> Vec<Insn> {
    let best = f
        .iter()
        .filter(|i| !i.text.starts_with("jmp"))
        .filter_map(|i| Some((target(&i.text)?, i.addr)))
        .filter(|(to, at)| to <= at)
        .min_by_key(|(to, at)| at - to);
    match best {
        Some((to, at)) => f
            .iter()
            .filter(|i| (to..=at).contains(&i.addr))
            .cloned()
            .collect(),
        None => Vec::new(),
    }
}

/// Memory accesses of one AT&T instruction: (loads, stores).
fn accesses(insn: &str) -> (usize, usize) {
    let (op, rest) = insn.split_once(' ').unwrap_or((insn, ""));
    if op.starts_with("lea") || op.starts_with("nop") || op.starts_with('j') {
        return (0, 0);
    }
    // Operands, split at the commas outside parentheses.
    let mut operands = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                operands.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    operands.push(&rest[start..]);
    let mem = |o: &str| o.contains('(');
    let Some((last, sources)) = operands.split_last() else {
        return (0, 0);
    };
    let loads = sources.iter().filter(|o| mem(o)).count();
    if !mem(last) {
        return (loads, 0);
    }
    let read_only = op.starts_with("cmp") || op.starts_with("test");
    let read_write = operands.len() == 1 || !op.starts_with("mov");
    match (read_only, read_write) {
        (true, _) => (loads + 1, 0),
        (false, true) => (loads + 1, 1),
        (false, false) => (loads, 1),
    }
}

/// What one loop does per iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    insns: usize,
    loads: usize,
    stores: usize,
    branches: usize,
    calls: usize,
}

fn counts(body: &[Insn]) -> Counts {
    let mut c = Counts {
        insns: body.len(),
        loads: 0,
        stores: 0,
        branches: 0,
        calls: 0,
    };
    for i in body {
        let (l, s) = accesses(&i.text);
        c.loads += l;
        c.stores += s;
        c.branches += usize::from(i.text.starts_with('j'));
        c.calls += usize::from(i.text.starts_with("call"));
    }
    c
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} instructions ({} loads, {} stores, {} branches, {} calls)",
            self.insns, self.loads, self.stores, self.branches, self.calls
        )
    }
}

/// Compiles the C half and returns its listing (llvm-objdump, addresses).
fn c_listing() -> Result<String, String> {
    let dir = workspace::scratch("xtask-asm")?;
    let (src, obj) = (dir.join("ring_probe.c"), dir.join("ring_probe.o"));
    std::fs::write(&src, C_PROBE).map_err(|e| format!("{}: {e}", src.display()))?;
    process::run(
        Command::new("gcc")
            .args(["-O2", "-c", "-D__XEN_INTERFACE_VERSION__=0x00040e00", "-o"])
            .arg(&obj)
            .arg(&src),
    )
    .map_err(|e| format!("{e} (cargo xtask setup installs libxen-dev)"))?;
    super::listing(&obj)
}

/// Prints both loops side by side with their counts; `Ok(false)` if ours
/// calls anything or touches memory more often per request than C.
pub(super) fn compare(rust_listing: &str) -> Result<bool, String> {
    let ours = innermost_loop(&function(rust_listing, "xenrs_ring_answer"));
    let theirs = innermost_loop(&function(&c_listing()?, "c_ring_answer"));
    println!("x86_64-unknown-none: ring back end, per request   | ring.h (gcc -O2)");
    for i in 0..ours.len().max(theirs.len()) {
        let text = |v: &[Insn]| v.get(i).map(|i| i.text.clone()).unwrap_or_default();
        println!("  {:<48} | {}", text(&ours), text(&theirs));
    }
    let (o, t) = (counts(&ours), counts(&theirs));
    let ok = !ours.is_empty()
        && !theirs.is_empty()
        && o.calls == 0
        && o.loads + o.stores <= t.loads + t.stores;
    println!(
        "asm ring back end per request: ours {o}; ring.h {t}: {}",
        if ok {
            "no more memory accesses than ring.h"
        } else {
            "MORE than ring.h"
        }
    );
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "\
0000000000000000 <f>:
       0:      \ttestl\t%esi, %esi
       2:      \tjle\t0x20 <f+0x20>
      10:      \taddl\t(%rdi), %eax
      12:      \tmovq\t%rcx, 8(%rdi,%r12)
      16:      \tcmpq\t%rdx, (%rdi)
      19:      \tjne\t0x10 <f+0x10>
      1b:      \tretq

0000000000000030 <g>:
      30:      \tretq
";

    #[test]
    fn finds_the_innermost_loop_and_its_accesses() {
        let f = function(LISTING, "f");
        assert_eq!(f.len(), 7);
        let body = innermost_loop(&f);
        assert_eq!(body.len(), 4);
        assert_eq!(body[0].text, "addl (%rdi), %eax");
        assert_eq!(
            counts(&body),
            Counts {
                insns: 4,
                loads: 2,
                stores: 1,
                branches: 1,
                calls: 0
            }
        );
        assert!(innermost_loop(&function(LISTING, "g")).is_empty());
    }

    #[test]
    fn loads_and_stores() {
        assert_eq!(accesses("movq (%rdi,%r12), %r9"), (1, 0));
        assert_eq!(accesses("movq %r12, (%rdi,%rcx)"), (0, 1));
        assert_eq!(accesses("movzbl 64(%rax), %ecx"), (1, 0));
        assert_eq!(accesses("incq 8(%rsp)"), (1, 1));
        assert_eq!(accesses("leaq (%rcx,%rcx,8), %rax"), (0, 0));
        assert_eq!(accesses("imulq $112, %r9, %r12"), (0, 0));
    }
}
