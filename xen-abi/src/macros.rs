// SPDX-License-Identifier: MIT OR Apache-2.0
//! Crate-internal macros.

/// Compile-time layout assertion for a `#[repr(C)]` mirror.
///
/// `assert_layout!(Type, size = 24, align = 8, { field: 0, other: 8 });`
///
/// The numbers are taken from Xen's C headers (never computed from the Rust
/// type itself); the workspace layout test re-checks every one of them against
/// bindgen's view of the installed headers.
macro_rules! assert_layout {
    ($ty:ty, size = $size:expr, align = $align:expr $(, { $($field:ident : $off:expr),* $(,)? })? $(,)?) => {
        const _: () = {
            assert!(::core::mem::size_of::<$ty>() == $size, concat!("size of ", stringify!($ty)));
            assert!(::core::mem::align_of::<$ty>() == $align, concat!("align of ", stringify!($ty)));
            $($(
                assert!(
                    ::core::mem::offset_of!($ty, $field) == $off,
                    concat!("offset of ", stringify!($ty), "::", stringify!($field))
                );
            )*)?
        };
    };
}
