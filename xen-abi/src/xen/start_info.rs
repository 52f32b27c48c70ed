// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PV start-of-day page (`start_info_t`) and its console descriptions.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::Mfn;
use crate::debug::debug_flags;
use crate::Result;

/// Flags of [`StartInfo::flags`] (`SIF_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct StartInfoFlags(u32);

bitflags::bitflags! {
    impl StartInfoFlags: u32 {
        /// The domain is privileged.
        #[doc(alias = "SIF_PRIVILEGED")]
        const PRIVILEGED = 1 << 0;
        /// This is the initial control domain.
        #[doc(alias = "SIF_INITDOMAIN")]
        const INITDOMAIN = 1 << 1;
        /// `mod_start` is a multiboot module ([`XenMultibootModList`]).
        #[doc(alias = "SIF_MULTIBOOT_MOD")]
        const MULTIBOOT_MOD = 1 << 2;
        /// `mod_start` is a PFN, not a virtual address.
        #[doc(alias = "SIF_MOD_START_PFN")]
        const MOD_START_PFN = 1 << 3;
        /// The tools understand a virtually mapped P2M list.
        #[doc(alias = "SIF_VIRT_P2M_4TOOLS")]
        const VIRT_P2M_4TOOLS = 1 << 4;
        /// Byte reserved for power-management options.
        #[doc(alias = "SIF_PM_MASK")]
        const PM_MASK = 0xFF << 8;
        const _ = !0;
    }
}

impl fmt::Debug for StartInfoFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("StartInfoFlags", self, f)
    }
}

/// Size of [`StartInfo::cmd_line`].
#[doc(alias = "MAX_GUEST_CMDLINE")]
pub const MAX_CMDLINE: usize = 1024;

/// The domU view of [`StartInfo::console`]: the console ring page and its
/// event channel.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StartInfoConsoleDomU {
    /// Machine frame of the console page.
    pub mfn: Mfn,
    /// Event channel of the console.
    pub evtchn: u32,
    /// Padding.
    pub _pad0: [u8; 4],
}
assert_layout!(StartInfoConsoleDomU, size = 16, align = 8, { mfn: 0, evtchn: 8 });

/// The dom0 view of [`StartInfo::console`]: where the
/// [`Dom0VgaConsoleInfo`](super::Dom0VgaConsoleInfo) lies in the start-info page.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StartInfoConsoleDom0 {
    /// Offset of the console info from the start of [`StartInfo`].
    pub info_off: u32,
    /// Size of the console info.
    pub info_size: u32,
}
assert_layout!(StartInfoConsoleDom0, size = 8, align = 4, { info_off: 0, info_size: 4 });

/// The start-of-day information of a PV guest (`start_info_t`), pointed to by
/// `%rsi` at entry. x86 only: Arm has no PV entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
#[doc(alias = "start_info")]
#[doc(alias = "start_info_t")]
pub struct StartInfo {
    /// `"xen-<version>-<platform>"`, NUL-padded.
    pub magic: [u8; 32],
    /// Total pages allocated to the domain.
    pub nr_pages: u64,
    /// Machine address of the shared-info page.
    pub shared_info: u64,
    /// `SIF_*` flags.
    pub flags: StartInfoFlags,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Machine frame of the xenstore ring page.
    pub store_mfn: Mfn,
    /// Event channel of the xenstore ring.
    pub store_evtchn: u32,
    /// Padding.
    pub _pad1: [u8; 4],
    /// C union of the domU and dom0 console descriptions; see
    /// [`Self::console_domu`] and [`Self::console_dom0`].
    pub console: [u64; 2],
    /// Virtual address of the initial page directory.
    pub pt_base: u64,
    /// Number of bootstrap page-table frames.
    pub nr_pt_frames: u64,
    /// Virtual address of the page-frame list.
    pub mfn_list: u64,
    /// Virtual address (or PFN with [`StartInfoFlags::MOD_START_PFN`]) of
    /// the pre-loaded module.
    pub mod_start: u64,
    /// Size in bytes of the pre-loaded module.
    pub mod_len: u64,
    /// The kernel command line, NUL-terminated (`int8_t` in C).
    pub cmd_line: [u8; MAX_CMDLINE],
    /// First PFN of the initial P2M table.
    pub first_p2m_pfn: u64,
    /// Number of PFNs of the initial P2M table.
    pub nr_p2m_frames: u64,
}
// x86_64 numbers; the struct is identical on every 64-bit target.
assert_layout!(StartInfo, size = 1168, align = 8, {
    magic: 0, nr_pages: 32, shared_info: 40, flags: 48, store_mfn: 56, store_evtchn: 64,
    console: 72, pt_base: 88, nr_pt_frames: 96, mfn_list: 104, mod_start: 112, mod_len: 120,
    cmd_line: 128, first_p2m_pfn: 1152, nr_p2m_frames: 1160,
});

/// The bytes of `b` up to (not including) the first NUL.
fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

impl StartInfo {
    /// The magic string up to its NUL (e.g. `b"xen-3.0-x86_64"`).
    pub fn magic_bytes(&self) -> &[u8] {
        until_nul(&self.magic)
    }

    /// True when the magic starts with `"xen-"`, as every start-info from Xen
    /// does.
    pub fn has_valid_magic(&self) -> bool {
        self.magic.starts_with(b"xen-")
    }

    /// The command line up to its NUL.
    pub fn cmd_line_bytes(&self) -> &[u8] {
        until_nul(&self.cmd_line)
    }

    /// The xenstore event channel, validated.
    ///
    /// # Errors
    /// [`Error::InvalidPort`](crate::Error::InvalidPort) when it is beyond the ABI limit.
    pub const fn store_port(&self) -> Result<crate::event_channel::EvtchnPort> {
        crate::event_channel::EvtchnPort::new(self.store_evtchn)
    }

    /// `console.domU`: the console page and event channel (not dom0).
    pub fn console_domu(&self) -> StartInfoConsoleDomU {
        zerocopy::transmute!(self.console)
    }

    /// Sets `console.domU`.
    pub fn set_console_domu(&mut self, c: StartInfoConsoleDomU) {
        self.console = zerocopy::transmute!(c);
    }

    /// `console.dom0`: where the [`Dom0VgaConsoleInfo`](super::Dom0VgaConsoleInfo) is (dom0 only).
    pub fn console_dom0(&self) -> StartInfoConsoleDom0 {
        // The 16-byte storage always holds the 8-byte prefix.
        StartInfoConsoleDom0::read_from_prefix(self.console.as_bytes())
            .map_or_else(|_| StartInfoConsoleDom0::default(), |(c, _)| c)
    }

    /// Sets `console.dom0` (and zeroes the rest of the union).
    pub fn set_console_dom0(&mut self, c: StartInfoConsoleDom0) {
        self.console = [0; 2];
        self.console.as_mut_bytes()[..core::mem::size_of::<StartInfoConsoleDom0>()]
            .copy_from_slice(c.as_bytes());
    }
}

/// One module of a multiboot module package ([`StartInfoFlags::MULTIBOOT_MOD`]);
/// the list ends with an entry whose `mod_start` is 0.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_multiboot_mod_list")]
pub struct XenMultibootModList {
    /// Address of the first byte of the module (relative to the package).
    pub mod_start: u32,
    /// Address of the last byte of the module (inclusive).
    pub mod_end: u32,
    /// Address of the NUL-terminated command line.
    pub cmdline: u32,
    /// Unused, must be zero.
    pub pad: u32,
}
assert_layout!(XenMultibootModList, size = 16, align = 4, {
    mod_start: 0, mod_end: 4, cmdline: 8, pad: 12,
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use zerocopy::FromZeros;

    #[test]
    fn start_info_unions_and_strings() {
        let mut si = StartInfo::new_zeroed();
        si.magic[..14].copy_from_slice(b"xen-3.0-x86_64");
        si.cmd_line[..5].copy_from_slice(b"quiet");
        assert!(si.has_valid_magic());
        assert_eq!(si.magic_bytes(), b"xen-3.0-x86_64");
        assert_eq!(si.cmd_line_bytes(), b"quiet");
        si.set_console_domu(StartInfoConsoleDomU {
            mfn: Mfn::new_unchecked(0x1234),
            evtchn: 3,
            _pad0: [0; 4],
        });
        assert_eq!(si.console, [0x1234, 3]);
        assert_eq!(si.console_domu().evtchn, 3);
        si.set_console_dom0(StartInfoConsoleDom0 {
            info_off: 0x480,
            info_size: 40,
        });
        assert_eq!(
            si.console_dom0(),
            StartInfoConsoleDom0 {
                info_off: 0x480,
                info_size: 40
            }
        );
        assert_eq!(si.console[1], 0);
        si.store_evtchn = 1 << 20;
        assert_eq!(si.store_port(), Err(Error::InvalidPort(1 << 20)));
    }
}
