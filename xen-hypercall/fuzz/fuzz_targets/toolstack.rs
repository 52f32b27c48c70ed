// SPDX-License-Identifier: MIT OR Apache-2.0
//! The toolstack's domctl/sysctl wrappers against a hostile "Xen": every
//! hypercall overwrites every buffer it was handed with fuzzer bytes and
//! returns a fuzzer-chosen result. The wrappers must turn any reply into a
//! value or a typed error, never a panic or an out-of-bounds access.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use xen_abi::domctl::GetDomainInfo;
use xen_abi::xen::HypercallOp;
use xen_abi::{DomId, VcpuId};
use xen_hypercall::domctl::DomainConfig;
use xen_hypercall::toolstack::{Interface, Toolstack};
use xen_hypercall::Hypercall;

struct HostileXen<'a> {
    data: RefCell<&'a [u8]>,
    live: RefCell<Vec<(*mut u8, usize)>>,
}

impl HostileXen<'_> {
    fn byte(&self) -> u8 {
        let mut d = self.data.borrow_mut();
        match d.split_first() {
            Some((b, rest)) => {
                *d = rest;
                *b
            }
            None => 0,
        }
    }
}

// SAFETY: "issues" nothing; writes only into the buffers `with_buffer` is
// currently lending, within their lengths.
unsafe impl Hypercall for HostileXen<'_> {
    unsafe fn hypercall5(&self, _op: HypercallOp, _args: [u64; 5]) -> isize {
        for &(p, len) in self.live.borrow().iter() {
            let n = usize::from(self.byte()) % (len + 1);
            for i in 0..n {
                let at = usize::from(self.byte()) * 7 % len.max(1);
                // SAFETY: `p` is a live buffer of `len` bytes lent by
                // `with_buffer` for the duration of this call; `at < len`.
                unsafe { *p.add(at) = self.byte().wrapping_add(i as u8) };
            }
        }
        // Mostly success, sometimes an errno (EAGAIN included).
        match self.byte() % 4 {
            0 => -isize::from(self.byte() % 64),
            _ => 0,
        }
    }

    fn with_buffer<R>(&self, buf: &mut [u8], f: impl FnOnce(u64) -> R) -> R {
        self.live.borrow_mut().push((buf.as_mut_ptr(), buf.len()));
        let r = f(buf.as_mut_ptr() as u64);
        self.live.borrow_mut().pop();
        r
    }
}

fuzz_target!(|data: &[u8]| {
    let xen_hc = HostileXen {
        data: RefCell::new(data),
        live: RefCell::new(Vec::new()),
    };
    let iface = if xen_hc.byte() & 1 == 0 {
        Interface::V4_17
    } else {
        Interface::V4_20
    };
    let xen = Toolstack::with_interface(&xen_hc, iface);
    let d = DomId::new_unchecked(u16::from(xen_hc.byte()) + 1);
    let mut list = [GetDomainInfo::default(); 4];
    if let Ok(n) = xen.domain_list(DomId::DOM0, &mut list) {
        assert!(n <= list.len());
    }
    let mut buf = [0u8; 64];
    if let Ok(r) = xen.read_console(&mut buf, Some(3), false) {
        assert!(r.len <= buf.len());
    }
    let mut map = [0u8; 4];
    let _ = xen.cpupool_info(0, &mut map);
    let _ = xen.physinfo();
    let _ = xen.sched_id();
    if let Ok(info) = xen.domain_info(d) {
        assert_eq!(info.domain, d);
        let _ = format!("{info:?}");
    }
    let _ = xen.vcpu_info(d, VcpuId::new(0));
    let _ = xen.vcpu_context(d, VcpuId::new(0));
    let mut hard = [1u8; 2];
    let _ = xen.set_vcpu_affinity(d, VcpuId::new(0), Some(&mut hard), None);
    let _ = xen.tsc_info(d);
    if let Ok(created) = xen.create_domain(None, &DomainConfig::pv(1)) {
        let id = created.domid();
        assert!(id.is_domain() && id != DomId::DOM0);
        // Dropping destroys it (through the same hostile backend).
    }
    let _ = xen.pause(d);
});
