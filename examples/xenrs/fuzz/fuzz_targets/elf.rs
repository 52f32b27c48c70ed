// SPDX-License-Identifier: MIT OR Apache-2.0
//! `Kernel::parse` on arbitrary bytes; whatever it accepts must load into
//! a buffer of `pages()` pages without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xenrs::elf::{Kernel, PAGE_SIZE};

fuzz_target!(|data: &[u8]| {
    if let Ok(kernel) = Kernel::parse(data) {
        if kernel.pages() <= 1024 {
            let mut dest = vec![0u8; (kernel.pages() * PAGE_SIZE) as usize];
            let _ = kernel.load(data, &mut dest);
        }
    }
});
