// SPDX-License-Identifier: MIT OR Apache-2.0
//! Per-vCPU system time (`vcpu_time_info_t`, the "pvclock").

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::debug::debug_flags;

/// Flags of [`VcpuTimeInfo::flags`] (`XEN_PVCLOCK_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct PvclockFlags(u8);

bitflags::bitflags! {
    impl PvclockFlags: u8 {
        /// The TSC is stable across vCPUs (time may be read on any vCPU).
        #[doc(alias = "XEN_PVCLOCK_TSC_STABLE_BIT")]
        const TSC_STABLE = 1 << 0;
        /// The guest was stopped (paused) since the last update.
        #[doc(alias = "XEN_PVCLOCK_GUEST_STOPPED")]
        const GUEST_STOPPED = 1 << 1;
        const _ = !0;
    }
}

impl fmt::Debug for PvclockFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("PvclockFlags", self, f)
    }
}

/// Per-vCPU system time, updated by Xen (`vcpu_time_info_t`).
///
/// Xen bumps `version` before and after each update (odd while updating);
/// read it like a seqlock: version, fields, version again.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_time_info")]
#[doc(alias = "vcpu_time_info_t")]
pub struct VcpuTimeInfo {
    /// Update counter; odd while an update is in progress.
    pub version: u32,
    /// Padding (named in C).
    pub pad0: u32,
    /// TSC at the last update.
    pub tsc_timestamp: u64,
    /// Nanoseconds since boot at the last update.
    pub system_time: u64,
    /// Multiplier (32.32 fixed point) from shifted TSC ticks to nanoseconds.
    pub tsc_to_system_mul: u32,
    /// Shift applied to a TSC delta before the multiplication.
    pub tsc_shift: i8,
    /// `XEN_PVCLOCK_*` flags.
    pub flags: PvclockFlags,
    /// Padding (named in C).
    pub pad1: [u8; 2],
}
assert_layout!(VcpuTimeInfo, size = 32, align = 8, {
    version: 0, pad0: 4, tsc_timestamp: 8, system_time: 16, tsc_to_system_mul: 24,
    tsc_shift: 28, flags: 29, pad1: 30,
});

impl VcpuTimeInfo {
    /// True while Xen is in the middle of an update (odd `version`).
    pub const fn is_updating(&self) -> bool {
        self.version & 1 != 0
    }

    /// Converts a TSC delta since `tsc_timestamp` into nanoseconds:
    /// `((delta << tsc_shift) * tsc_to_system_mul) >> 32`.
    pub const fn tsc_delta_to_ns(&self, delta: u64) -> u64 {
        let shift = self.tsc_shift as i32;
        let scaled = if shift >= 0 {
            if shift < 64 {
                delta << shift
            } else {
                0
            }
        } else if -shift < 64 {
            delta >> -shift
        } else {
            0
        };
        ((scaled as u128 * self.tsc_to_system_mul as u128) >> 32) as u64
    }

    /// System time (ns since boot) at TSC value `tsc`.
    pub const fn system_time_at(&self, tsc: u64) -> u64 {
        self.system_time
            .wrapping_add(self.tsc_delta_to_ns(tsc.wrapping_sub(self.tsc_timestamp)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_conversion() {
        let t = VcpuTimeInfo {
            version: 2,
            tsc_timestamp: 1000,
            system_time: 5_000,
            tsc_to_system_mul: 1 << 31, // 0.5 ns per (shifted) tick
            tsc_shift: 1,
            ..Default::default()
        };
        assert!(!t.is_updating());
        assert_eq!(t.system_time_at(1000 + 300), 5_000 + 300);
        let t = VcpuTimeInfo { tsc_shift: -1, ..t };
        assert_eq!(t.tsc_delta_to_ns(400), 100);
        let t = VcpuTimeInfo {
            tsc_shift: 100,
            ..t
        };
        assert_eq!(t.tsc_delta_to_ns(400), 0);
    }
}
