// SPDX-License-Identifier: MIT OR Apache-2.0
//! The dom0 VGA/VESA/EFI console description (`dom0_vga_console_info_t`).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The kind of dom0 console in [`Dom0VgaConsoleInfo::video_type`]
/// (`XEN_VGATYPE_*`).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(transparent)]
pub struct VgaType(u8);

impl VgaType {
    /// VGA text mode 3 ([`VgaTextMode3`]).
    #[doc(alias = "XEN_VGATYPE_TEXT_MODE_3")]
    pub const TEXT_MODE_3: Self = Self(0x03);
    /// VESA linear frame buffer ([`VgaVesaLfb`]).
    #[doc(alias = "XEN_VGATYPE_VESA_LFB")]
    pub const VESA_LFB: Self = Self(0x23);
    /// EFI linear frame buffer ([`VgaVesaLfb`]).
    #[doc(alias = "XEN_VGATYPE_EFI_LFB")]
    pub const EFI_LFB: Self = Self(0x70);
}

code_newtype!(VgaType, u8, [TEXT_MODE_3, VESA_LFB, EFI_LFB]);

/// The text-mode member of [`Dom0VgaConsoleInfo`]'s union.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VgaTextMode3 {
    /// Font height in pixels.
    pub font_height: u16,
    /// Cursor column.
    pub cursor_x: u16,
    /// Cursor row.
    pub cursor_y: u16,
    /// Rows of characters.
    pub rows: u16,
    /// Columns of characters.
    pub columns: u16,
}
assert_layout!(VgaTextMode3, size = 10, align = 2, {
    font_height: 0, cursor_x: 2, cursor_y: 4, rows: 6, columns: 8,
});

/// The linear-frame-buffer member of [`Dom0VgaConsoleInfo`]'s union.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VgaVesaLfb {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Bytes per scan line.
    pub bytes_per_line: u16,
    /// Bits per pixel.
    pub bits_per_pixel: u16,
    /// Physical address of the frame buffer, low 32 bits.
    pub lfb_base: u32,
    /// Size of the frame buffer in 64 KiB units.
    pub lfb_size: u32,
    /// Red mask offset.
    pub red_pos: u8,
    /// Red mask size.
    pub red_size: u8,
    /// Green mask offset.
    pub green_pos: u8,
    /// Green mask size.
    pub green_size: u8,
    /// Blue mask offset.
    pub blue_pos: u8,
    /// Blue mask size.
    pub blue_size: u8,
    /// Reserved-bits offset.
    pub rsvd_pos: u8,
    /// Reserved-bits size.
    pub rsvd_size: u8,
    /// VESA capabilities.
    pub gbl_caps: u32,
    /// VESA mode attributes.
    pub mode_attrs: u16,
    /// Padding (named in C).
    pub pad: u16,
    /// Physical address of the frame buffer, high 32 bits.
    pub ext_lfb_base: u32,
}
assert_layout!(VgaVesaLfb, size = 36, align = 4, {
    width: 0, height: 2, bytes_per_line: 4, bits_per_pixel: 6, lfb_base: 8, lfb_size: 12,
    red_pos: 16, red_size: 17, green_pos: 18, green_size: 19, blue_pos: 20, blue_size: 21,
    rsvd_pos: 22, rsvd_size: 23, gbl_caps: 24, mode_attrs: 28, pad: 30, ext_lfb_base: 32,
});

impl VgaVesaLfb {
    /// The full 64-bit physical address of the frame buffer.
    pub const fn lfb_addr(&self) -> u64 {
        ((self.ext_lfb_base as u64) << 32) | self.lfb_base as u64
    }
}

/// The dom0 VGA/VESA/EFI console description (`dom0_vga_console_info_t`),
/// found in the start-info page ([`StartInfo::console_dom0`](super::StartInfo::console_dom0)) or through
/// `XENPF_firmware_info`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "dom0_vga_console_info")]
#[doc(alias = "dom0_vga_console_info_t")]
#[doc(alias = "xen_vga_console_info")]
pub struct Dom0VgaConsoleInfo {
    /// Which member of the union is valid.
    pub video_type: VgaType,
    /// Padding.
    pub _pad0: [u8; 3],
    /// C union of `text_mode_3` and `vesa_lfb`; see [`Self::text_mode_3`]
    /// and [`Self::vesa_lfb`].
    pub u: [u32; 9],
}
assert_layout!(Dom0VgaConsoleInfo, size = 40, align = 4, { video_type: 0, u: 4 });

impl Dom0VgaConsoleInfo {
    /// `u.text_mode_3` (meaningful for [`VgaType::TEXT_MODE_3`]).
    pub fn text_mode_3(&self) -> VgaTextMode3 {
        // The 36-byte storage always holds the 10-byte prefix.
        VgaTextMode3::read_from_prefix(self.u.as_bytes())
            .map_or_else(|_| VgaTextMode3::default(), |(m, _)| m)
    }

    /// Sets `u.text_mode_3` (and zeroes the rest of the union).
    pub fn set_text_mode_3(&mut self, m: VgaTextMode3) {
        self.u = [0; 9];
        self.u.as_mut_bytes()[..core::mem::size_of::<VgaTextMode3>()].copy_from_slice(m.as_bytes());
    }

    /// `u.vesa_lfb` (meaningful for [`VgaType::VESA_LFB`] and
    /// [`VgaType::EFI_LFB`]).
    pub fn vesa_lfb(&self) -> VgaVesaLfb {
        zerocopy::transmute!(self.u)
    }

    /// Sets `u.vesa_lfb`.
    pub fn set_vesa_lfb(&mut self, l: VgaVesaLfb) {
        self.u = zerocopy::transmute!(l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vga_union() {
        let mut v = Dom0VgaConsoleInfo {
            video_type: VgaType::VESA_LFB,
            ..Default::default()
        };
        let lfb = VgaVesaLfb {
            width: 1024,
            lfb_base: 0xe000_0000,
            ext_lfb_base: 1,
            ..Default::default()
        };
        v.set_vesa_lfb(lfb);
        assert_eq!(v.vesa_lfb(), lfb);
        assert_eq!(v.vesa_lfb().lfb_addr(), 0x1_e000_0000);
        v.set_text_mode_3(VgaTextMode3 {
            rows: 25,
            columns: 80,
            ..Default::default()
        });
        assert_eq!(v.text_mode_3().columns, 80);
        assert_eq!(v.u[8], 0);
    }
}
