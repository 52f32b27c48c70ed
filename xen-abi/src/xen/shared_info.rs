// SPDX-License-Identifier: MIT OR Apache-2.0
//! The shared-info page and per-vCPU info (`shared_info_t`, `vcpu_info_t`).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{VcpuTimeInfo, XenUlong};

/// Per-vCPU shared state: event upcall flags and time (`vcpu_info_t`).
///
/// 64 bytes on x86 (with [`ArchVcpuInfo`](crate::arch::x86::ArchVcpuInfo)),
/// 48 on Arm.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_info")]
#[doc(alias = "vcpu_info_t")]
pub struct VcpuInfo {
    /// Non-zero when an event upcall is pending (set by Xen, cleared by
    /// the guest before it scans for work).
    pub evtchn_upcall_pending: u8,
    /// Non-zero masks event upcalls to this vCPU (x86 PV). On Arm this byte
    /// is padding (`pad0`).
    #[doc(alias = "pad0")]
    pub evtchn_upcall_mask: u8,
    /// Padding.
    pub _pad0: [u8; 6],
    /// Selector: bit `i` set when word `i` of
    /// [`SharedInfo::evtchn_pending`] may have pending ports.
    pub evtchn_pending_sel: XenUlong,
    /// Architecture-specific part.
    pub arch: crate::arch::current::ArchVcpuInfo,
    /// System time.
    pub time: VcpuTimeInfo,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(VcpuInfo, size = 64, align = 8, {
    evtchn_upcall_pending: 0, evtchn_upcall_mask: 1, evtchn_pending_sel: 8, arch: 16, time: 32,
});
#[cfg(target_arch = "aarch64")]
assert_layout!(VcpuInfo, size = 48, align = 8, {
    evtchn_upcall_pending: 0, evtchn_upcall_mask: 1, evtchn_pending_sel: 8, arch: 16, time: 16,
});

/// Number of bits in an event-channel word of the 2-level ABI
/// (`sizeof(xen_ulong_t) * 8`), which is also the number of words in
/// [`SharedInfo::evtchn_pending`] and [`SharedInfo::evtchn_mask`].
pub const EVTCHN_WORD_BITS: usize = 64;

/// The shared-info page: legacy vCPU infos, 2-level event-channel bitmaps,
/// wallclock time (`shared_info_t`).
///
/// Smaller than a page; Xen does not promise its size stays constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
#[doc(alias = "shared_info")]
#[doc(alias = "shared_info_t")]
pub struct SharedInfo {
    /// vCPU infos of the first `XEN_LEGACY_MAX_VCPUS` vCPUs.
    pub vcpu_info: [VcpuInfo; crate::arch::current::LEGACY_MAX_VCPUS],
    /// Pending bits of the 2-level event-channel ABI.
    pub evtchn_pending: [XenUlong; EVTCHN_WORD_BITS],
    /// Mask bits of the 2-level event-channel ABI.
    pub evtchn_mask: [XenUlong; EVTCHN_WORD_BITS],
    /// Wallclock update counter (same protocol as
    /// [`VcpuTimeInfo::version`]).
    pub wc_version: u32,
    /// Wallclock seconds (low 32 bits) since the Unix epoch at system time 0.
    pub wc_sec: u32,
    /// Wallclock nanoseconds.
    pub wc_nsec: u32,
    /// Wallclock seconds, high 32 bits.
    pub wc_sec_hi: u32,
    /// Architecture-specific part.
    pub arch: crate::arch::current::ArchSharedInfo,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(SharedInfo, size = 3136, align = 8, {
    vcpu_info: 0, evtchn_pending: 2048, evtchn_mask: 2560, wc_version: 3072, wc_sec: 3076,
    wc_nsec: 3080, wc_sec_hi: 3084, arch: 3088,
});
#[cfg(target_arch = "aarch64")]
assert_layout!(SharedInfo, size = 1088, align = 8, {
    vcpu_info: 0, evtchn_pending: 48, evtchn_mask: 560, wc_version: 1072, wc_sec: 1076,
    wc_nsec: 1080, wc_sec_hi: 1084, arch: 1088,
});

impl SharedInfo {
    /// The wallclock base `(seconds, nanoseconds)` since the Unix epoch,
    /// combining `wc_sec_hi` and `wc_sec`. Read it between two equal, even
    /// `wc_version`s.
    pub const fn wallclock(&self) -> (u64, u32) {
        (
            ((self.wc_sec_hi as u64) << 32) | self.wc_sec as u64,
            self.wc_nsec,
        )
    }
}
