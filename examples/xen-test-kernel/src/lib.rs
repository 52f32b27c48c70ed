// SPDX-License-Identifier: MIT OR Apache-2.0
//! Shared parts of the PV and PVH test kernels: console output, the check
//! reporter, the self-tests and the way out.
//!
//! Output is TAP-like, one line per check, read by `cargo xtask guest`:
//! `plan N`, then `ok K - name: detail` or `not ok K - name: detail`, then
//! `summary: P passed, F failed` and `XENRS-END`.
#![no_std]

extern crate alloc;

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicUsize, Ordering};

use xen_hypercall::Hypercall;

pub mod alloc_bump;
pub mod domu;
pub mod selftest;
pub mod upcall;
pub mod vchan_domu;
mod vchan_glue;

/// The console writer the panic handler uses (a `fn(&[u8])`, as usize).
static WRITER: AtomicUsize = AtomicUsize::new(0);

/// Installs the function that puts bytes on the console.
pub fn set_writer(f: fn(&[u8])) {
    WRITER.store(f as usize, Ordering::SeqCst);
}

/// Writes bytes with the installed writer (nothing before one is installed).
pub fn write_bytes(b: &[u8]) {
    let p = WRITER.load(Ordering::SeqCst);
    if p != 0 {
        // SAFETY: only `set_writer` stores here, always a `fn(&[u8])`.
        let f: fn(&[u8]) = unsafe { core::mem::transmute::<usize, fn(&[u8])>(p) };
        f(b);
    }
}

/// A `fmt::Write` over the installed writer.
pub struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// `println!` to the console.
#[macro_export]
macro_rules! println {
    ($($t:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(&mut $crate::Console, format_args!($($t)*));
        $crate::write_bytes(b"\n");
    }};
}

/// Writes through `CONSOLEIO_write` (dom0's console_io reaches the serial line).
pub fn console_io_write(hc: &impl Hypercall, bytes: &[u8]) {
    for chunk in bytes.chunks(1024) {
        let mut buf = [0u8; 1024];
        buf[..chunk.len()].copy_from_slice(chunk);
        let _ = xen_hypercall::console::write(hc, &buf[..chunk.len()]);
    }
}

/// Counts and prints checks.
#[derive(Debug, Default)]
pub struct Tester {
    n: u32,
    passed: u32,
    failed: u32,
    /// Every line printed so far (a domU also reports through xenstore).
    transcript: alloc::string::String,
}

impl Tester {
    /// Starts a run of `plan` checks.
    pub fn new(plan: u32) -> Self {
        let mut t = Self::default();
        t.line(format_args!("plan {plan}"));
        t
    }

    /// Prints a line and keeps it in the transcript.
    fn line(&mut self, l: fmt::Arguments<'_>) {
        let start = self.transcript.len();
        let _ = self.transcript.write_fmt(l);
        self.transcript.push('\n');
        write_bytes(&self.transcript.as_bytes()[start..]);
    }

    /// Records one check.
    pub fn check(&mut self, name: &str, ok: bool, detail: fmt::Arguments<'_>) {
        self.n += 1;
        let n = self.n;
        if ok {
            self.passed += 1;
            self.line(format_args!("ok {n} - {name}: {detail}"));
        } else {
            self.failed += 1;
            self.line(format_args!("not ok {n} - {name}: {detail}"));
        }
    }

    /// Records a check on a `Result`: passes on `Ok`.
    pub fn check_ok<T: fmt::Debug, E: fmt::Debug>(&mut self, name: &str, r: &Result<T, E>) {
        match r {
            Ok(v) => self.check(name, true, format_args!("{v:?}")),
            Err(e) => self.check(name, false, format_args!("error {e:?}")),
        }
    }

    /// Records a check that `r` failed with exactly `want`.
    pub fn check_err<T: fmt::Debug>(
        &mut self,
        name: &str,
        r: &Result<T, xen_abi::Errno>,
        want: xen_abi::Errno,
    ) {
        match r {
            Err(e) if *e == want => self.check(name, true, format_args!("{e:?} as expected")),
            other => self.check(name, false, format_args!("wanted {want:?}, got {other:?}")),
        }
    }

    /// Checks recorded so far.
    pub fn checks(&self) -> u32 {
        self.n
    }

    /// The summary line: `summary: P passed, F failed`.
    pub fn summary(&self) -> alloc::string::String {
        alloc::format!("summary: {} passed, {} failed", self.passed, self.failed)
    }

    /// Every line printed so far, each ending in a newline.
    pub fn transcript(&self) -> &str {
        &self.transcript
    }

    /// Prints the summary; returns true when every check passed.
    pub fn finish(&self) -> bool {
        println!("{}", self.summary());
        println!("XENRS-END");
        self.failed == 0
    }
}

/// Leaves QEMU through its `isa-debug-exit` device at port 0xf4: QEMU exits
/// with status `(code << 1) | 1`. Needs I/O privilege (PV: `set_iopl`).
pub fn debug_exit(code: u8) {
    // SAFETY: an `out` to QEMU's debug-exit port; the harness always adds the
    // device, and without it the write is ignored.
    unsafe {
        core::arch::asm!("out 0xf4, al", in("al") code, options(nomem, nostack, preserves_flags));
    }
}

/// Prints a panic and leaves with a failure status.
pub fn report_panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("PANIC: {info}");
    println!("XENRS-END");
    debug_exit(3);
    loop {
        core::hint::spin_loop();
    }
}

/// The PV kernel's ELF notes (read by Xen's or the toolstack's domain
/// builder) and its entry point: a stack, then `$main(start_info)`; and
/// `hc()`, the hypercall backend over the page `pv.ld` reserves at
/// `hypercall_page`, which Xen fills.
#[macro_export]
macro_rules! pv_entry {
    ($main:ident) => {
        const STACK_SIZE: usize = 64 * 1024;

        #[repr(C, align(16))]
        struct Stack([u8; STACK_SIZE]);

        #[unsafe(no_mangle)]
        static mut STACK: Stack = Stack([0; STACK_SIZE]);

        extern "C" {
            /// The page Xen fills with hypercall stubs (placed by pv.ld).
            static hypercall_page: [u8; 4096];
        }

        /// The hypercall backend over our hypercall page.
        fn hc() -> xen_hypercall::arch::x86_64::HypercallPage {
            // SAFETY: `hypercall_page` is the page our HYPERCALL_PAGE note
            // names; Xen filled it before entering `_start`.
            unsafe {
                xen_hypercall::arch::x86_64::HypercallPage::new((&raw const hypercall_page).cast())
            }
        }

        core::arch::global_asm!(
            r#"
            .macro XEN_NOTE_STR type, str
                .balign 4
                .long 4
                .long 2f - 1f
                .long \type
                .asciz "Xen"
                .balign 4
            1:  .asciz "\str"
            2:  .balign 4
            .endm
            .macro XEN_NOTE_QUAD type, val
                .balign 4
                .long 4
                .long 8
                .long \type
                .asciz "Xen"
                .balign 4
                .quad \val
            .endm
        
            .pushsection .note.Xen, "a", @note
            XEN_NOTE_STR {guest_os}, "xen-rs-test-kernel"
            XEN_NOTE_STR {guest_version}, "0.1"
            XEN_NOTE_STR {xen_version}, "xen-3.0"
            XEN_NOTE_QUAD {virt_base}, 0xffffffff80000000
            XEN_NOTE_QUAD {paddr_offset}, 0xffffffff80000000
            XEN_NOTE_QUAD {entry}, _start
            XEN_NOTE_QUAD {note_hypercall_page}, hypercall_page
            XEN_NOTE_STR {loader}, "generic"
            XEN_NOTE_STR {pae_mode}, "yes"
            XEN_NOTE_STR {features}, "!writable_page_tables"
            .popsection
        
            .pushsection .text.entry, "ax"
            .global _start
            _start:
                lea rsp, [rip + {stack} + {stack_size}]
                mov rdi, rsi
                call {main}
                ud2
            .popsection
            "#,
            stack = sym STACK,
            stack_size = const STACK_SIZE,
            main = sym $main,
            guest_os = const ::xen_abi::elfnote::ElfNote::GUEST_OS.get(),
            guest_version = const ::xen_abi::elfnote::ElfNote::GUEST_VERSION.get(),
            xen_version = const ::xen_abi::elfnote::ElfNote::XEN_VERSION.get(),
            virt_base = const ::xen_abi::elfnote::ElfNote::VIRT_BASE.get(),
            paddr_offset = const ::xen_abi::elfnote::ElfNote::PADDR_OFFSET.get(),
            entry = const ::xen_abi::elfnote::ElfNote::ENTRY.get(),
            note_hypercall_page = const ::xen_abi::elfnote::ElfNote::HYPERCALL_PAGE.get(),
            loader = const ::xen_abi::elfnote::ElfNote::LOADER.get(),
            pae_mode = const ::xen_abi::elfnote::ElfNote::PAE_MODE.get(),
            features = const ::xen_abi::elfnote::ElfNote::FEATURES.get(),
        );
    };
}
