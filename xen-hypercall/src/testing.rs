// SPDX-License-Identifier: MIT OR Apache-2.0
//! A fake backend for unit tests of argument encoding: it records every
//! hypercall with copies of the buffers visible to it, and can write a
//! canned reply into the first (outermost) buffer.

use core::cell::RefCell;
use std::boxed::Box;
use std::vec::Vec;

use crate::Hypercall;

/// Where the fake pretends the `i`th live buffer is.
const BASE: u64 = 0x1000_0000;
const STRIDE: u64 = 0x1_0000;

/// One recorded hypercall.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Hypercall number.
    pub(crate) op: u32,
    /// Register arguments.
    pub(crate) args: [u64; 5],
    /// Contents of the live buffers when the call was made, outermost first.
    pub(crate) buffers: Vec<Vec<u8>>,
    /// The addresses handed out for those buffers.
    pub(crate) addrs: Vec<u64>,
}

type Reply = Box<dyn Fn(&mut [u8])>;

#[derive(Default)]
struct State {
    live: Vec<Vec<u8>>,
    calls: Vec<Call>,
    reply: Option<Reply>,
    ret: isize,
}

/// The fake backend.
pub(crate) struct Fake(RefCell<State>);

impl core::fmt::Debug for Fake {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Fake")
    }
}

impl Fake {
    /// A backend whose hypercalls all return `ret`.
    pub(crate) fn new(ret: isize) -> Self {
        Self(RefCell::new(State {
            ret,
            ..State::default()
        }))
    }

    /// Writes `f`'s reply into the outermost buffer of every later call.
    pub(crate) fn reply(&self, f: impl Fn(&mut [u8]) + 'static) {
        self.0.borrow_mut().reply = Some(Box::new(f));
    }

    /// Makes later hypercalls return `ret`.
    pub(crate) fn set_ret(&self, ret: isize) {
        self.0.borrow_mut().ret = ret;
    }

    /// The last call made.
    pub(crate) fn last(&self) -> Call {
        self.0.borrow().calls.last().cloned().expect("no call made")
    }

    /// Every call made.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.0.borrow().calls.clone()
    }
}

// SAFETY: the fake never touches guest memory; it only records.
unsafe impl Hypercall for Fake {
    unsafe fn hypercall5(&self, op: xen_abi::xen::HypercallOp, args: [u64; 5]) -> isize {
        let mut s = self.0.borrow_mut();
        let n = s.live.len() as u64;
        let call = Call {
            op: op.get(),
            args,
            buffers: s.live.clone(),
            addrs: (0..n).map(|i| BASE + i * STRIDE).collect(),
        };
        s.calls.push(call);
        let st = &mut *s;
        if let (Some(reply), Some(buf)) = (&st.reply, st.live.first_mut()) {
            reply(buf);
        }
        st.ret
    }

    fn with_buffer<R>(&self, buf: &mut [u8], f: impl FnOnce(u64) -> R) -> R {
        let addr = {
            let mut s = self.0.borrow_mut();
            s.live.push(buf.to_vec());
            BASE + (s.live.len() as u64 - 1) * STRIDE
        };
        let r = f(addr);
        let back = self.0.borrow_mut().live.pop().expect("balanced");
        buf.copy_from_slice(&back);
        r
    }
}
