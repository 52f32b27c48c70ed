// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xen.h`: hypercall numbers, domain ids, guest handles and the core shared
//! structures (`start_info`, `shared_info`, `vcpu_info`, ...).
//!
//! Xen keeps all of these in one header; here each concern has its own
//! submodule, and everything is re-exported at this level, so
//! `xen_abi::xen::DomId` and `xen_abi::xen::ids::DomId` name the same type.

pub mod console_io;
pub mod guest_handle;
pub mod hypercall;
pub mod ids;
pub mod mmu;
pub mod multicall;
pub mod shared_info;
pub mod start_info;
pub mod time;
pub mod vga;
pub mod virq;
pub mod vm_assist;

pub use console_io::*;
pub use guest_handle::*;
pub use hypercall::*;
pub use ids::*;
pub use mmu::*;
pub use multicall::*;
pub use shared_info::*;
pub use start_info::*;
pub use time::*;
pub use vga::*;
pub use virq::*;
pub use vm_assist::*;

/// `xen_pfn_t`: a frame number as Xen's structures carry it (64 bits on both
/// supported architectures).
///
/// The structs of this crate use [`Gfn`] or [`Mfn`] instead, according to
/// what the field means; this alias is for code that handles raw frame
/// arrays.
#[doc(alias = "xen_pfn_t")]
pub type XenPfn = u64;

/// `xen_ulong_t`: an unsigned long in the ABI (64 bits on both supported
/// architectures).
#[doc(alias = "xen_ulong_t")]
pub type XenUlong = u64;

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn flags_debug() {
        let f = StartInfoFlags::PRIVILEGED | StartInfoFlags::INITDOMAIN;
        assert_eq!(format!("{f:?}"), "StartInfoFlags(PRIVILEGED | INITDOMAIN)");
        assert_eq!(format!("{:?}", PvclockFlags::empty()), "PvclockFlags(0x0)");
        assert_eq!(UvmFlags::INVLPG.bits() & UvmFlags::FLUSHTYPE_MASK.bits(), 2);
        assert_eq!(VmAssistType::M2P_STRICT.mask(), 1 << 32);
    }
}
