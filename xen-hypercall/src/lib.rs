// SPDX-License-Identifier: MIT OR Apache-2.0
//! Typed Xen hypercalls over pluggable backends.
//!
//! # Getting started
//!
//! ```toml
//! # A dom0 or driver-domain tool (Linux: /dev/xen/privcmd):
//! xen-hypercall = { version = "0.1", features = ["std"] }
//! # A guest kernel or unikernel (no_std: the hypercall page or `hvc`):
//! xen-hypercall = { version = "0.1", default-features = false }
//! ```
//!
//! In a dom0 tool, through privcmd:
//!
//! ```no_run
//! # #[cfg(all(feature = "std", target_os = "linux"))]
//! # fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use xen_hypercall::privcmd::Privcmd;
//! use xen_hypercall::version;
//!
//! let hc = Privcmd::open()?; // names the device and a hint when it fails
//! println!("Xen {}", version::version(&hc)?);
//! # Ok(()) }
//! ```
//!
//! In a guest kernel, through the hypercall page Xen filled (PV: the page
//! the `HYPERCALL_PAGE` ELF note names; PVH/HVM: installed through the MSR of
//! `arch::x86_64::XenCpuid`):
//!
//! ```no_run
//! # #[cfg(target_arch = "x86_64")]
//! # fn f(hypercall_page: *const u8) -> xen_hypercall::Result<()> {
//! use xen_abi::DomId;
//! use xen_hypercall::arch::x86_64::HypercallPage;
//! use xen_hypercall::{event_channel, version};
//!
//! // SAFETY: the page Xen filled with its hypercall stubs, kept mapped.
//! let hc = unsafe { HypercallPage::new(hypercall_page) };
//! let v = version::version(&hc)?;
//! let port = event_channel::alloc_unbound(&hc, DomId::SELF, DomId::DOM0)?;
//! # let _ = (v, port); Ok(()) }
//! ```
//!
//! # The crate
//!
//!
//! A [`Hypercall`] backend issues hypercall number `op` with up to five
//! register arguments and returns Xen's raw result. On top of it, this crate
//! has one typed function per hypercall and sub-op of the stable guest ABI,
//! grouped in modules named after Xen's headers ([`event_channel`],
//! [`grant_table`], [`memory`], ...). Errors are [`xen_abi::Errno`].
//!
//! Backends:
//! - `arch::x86_64::HypercallPage`: a guest kernel on x86_64, PV (the page
//!   named by the `HYPERCALL_PAGE` ELF note) or PVH/HVM (the page installed
//!   through the MSR that Xen advertises in its CPUID leaves).
//! - `arch::aarch64::Hvc`: a guest kernel on aarch64 (`hvc #0xEA1`).
//! - `privcmd::Privcmd` (feature `std`, Linux): userspace in dom0 or a driver
//!   domain, through `/dev/xen/privcmd`, with every buffer Xen reads or writes
//!   placed in memory from `/dev/xen/hypercall`.
//!
//! Every wrapper passes the memory Xen reads or writes through
//! [`Hypercall::with_buffer`], so the same typed code runs in a guest kernel
//! (where the buffer is used in place) and through privcmd (where it is
//! bounced through hypercall-safe memory).
//!
//! ```
//! use xen_hypercall::{event_channel, version, Hypercall};
//! use xen_abi::xen::HypercallOp;
//! use xen_abi::DomId;
//!
//! // In a guest kernel `hc` is the hypercall page or `hvc`; in dom0 userspace
//! // it is `privcmd::Privcmd::open()?`. Here, a stand-in that plays Xen 4.17
//! // and hands out port 5:
//! struct Fake;
//! // SAFETY: never touches memory; answers like Xen would.
//! unsafe impl Hypercall for Fake {
//!     unsafe fn hypercall5(&self, op: HypercallOp, args: [u64; 5]) -> isize {
//!         match (op, args[0]) {
//!             (HypercallOp::XEN_VERSION, 0) => 0x0004_0011, // XENVER_version
//!             (HypercallOp::EVENT_CHANNEL_OP, 6) => {       // EVTCHNOP_alloc_unbound
//!                 // SAFETY: args[1] is the evtchn_alloc_unbound Xen writes.
//!                 unsafe { *((args[1] + 4) as *mut u32) = 5 };
//!                 0
//!             }
//!             _ => -38,                                     // ENOSYS
//!         }
//!     }
//! }
//! let hc = Fake;
//! assert_eq!(version::version(&hc)?.to_string(), "4.17");
//! let port = event_channel::alloc_unbound(&hc, DomId::SELF, DomId::SELF)?;
//! assert_eq!(port.get(), 5);
//! assert_eq!(event_channel::send(&hc, port), Err(xen_abi::Errno::ENOSYS));
//! # Ok::<(), xen_abi::Errno>(())
//! ```
//!
//! Every wrapper compiles to the bare hypercall: `cargo xtask asm`
//! disassembles a release build of [`event_channel::send`] next to the same
//! call written by hand in inline assembly, for x86_64 and aarch64, and
//! requires the two to match (they are instruction-for-instruction equal).
//!
//! A wrapper is `unsafe` exactly when the caller must vouch for memory (frames,
//! guest addresses, mappings); its `# Safety` section says what.
//!
//! The typed wrappers of multiplexing hypercalls (`event_channel_op`,
//! `sched_op`, `memory_op`, ...) share one path: each argument struct names
//! its hypercall and command through
//! [`xen_abi::xen::SubOp`], and [`call`] issues it without `unsafe` when the
//! struct also implements [`NoGuestMemory`] for that command;
//! [`call_unchecked`] and [`call_array`] are the forms for arguments that
//! name memory. They are public, for sub-ops this crate does not wrap.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(all(feature = "std", target_os = "linux"), test))]
extern crate std;

pub mod arch;
/// The ABI types this crate is built on, re-exported so that a user
/// needs no separate (and possibly different) `xen-abi` dependency.
pub use xen_abi;

mod backend;
pub mod callback;
pub mod console;
pub mod domctl;
pub mod event_channel;
pub mod grant_table;
pub mod hvm;
pub mod memory;
pub mod mmu;
pub mod multicall;
pub mod physdev;
pub mod sched;
pub mod sysctl;
pub mod timer;
pub mod toolstack;
pub mod vcpu;
pub mod version;
pub mod vm_assist;
pub use backend::Hypercall;

mod sub_op;
pub use sub_op::{call, call_array, call_unchecked, NoGuestMemory};
pub(crate) use sub_op::{call_null, no_guest_memory};

#[cfg(test)]
mod testing;

#[cfg(all(feature = "std", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub mod privcmd;

pub use xen_abi::Errno;

/// `Result` with Xen's errno.
pub type Result<T, E = Errno> = core::result::Result<T, E>;

/// Turns a raw hypercall result into `Ok(value)` or `Err(errno)`.
pub(crate) fn check(ret: isize) -> Result<usize> {
    Errno::result(ret)
}
