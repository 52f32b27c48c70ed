// SPDX-License-Identifier: MIT OR Apache-2.0
//! Shared parts of the test kernels: console output, the check reporter,
//! the self-tests and the way out. The x86_64 PV and PVH kernels' self-tests
//! are in `selftest`; the arm64 kernel (its entry, device-tree reader, GIC
//! and self-tests) is in `arch::aarch64`.
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
pub mod arch;
#[cfg(target_arch = "x86_64")]
pub mod domu;
#[cfg(target_arch = "x86_64")]
pub mod selftest;
#[cfg(target_arch = "x86_64")]
pub mod upcall;
#[cfg(target_arch = "x86_64")]
pub mod vchan_domu;
#[cfg(target_arch = "x86_64")]
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

#[cfg(target_arch = "x86_64")]
/// Leaves QEMU through its `isa-debug-exit` device at port 0xf4: QEMU exits
/// with status `(code << 1) | 1`. Needs I/O privilege (PV: `set_iopl`).
pub fn debug_exit(code: u8) {
    // SAFETY: an `out` to QEMU's debug-exit port; the harness always adds the
    // device, and without it the write is ignored.
    unsafe {
        core::arch::asm!("out 0xf4, al", in("al") code, options(nomem, nostack, preserves_flags));
    }
}

#[cfg(target_arch = "x86_64")]
/// Prints a panic and leaves with a failure status.
pub fn report_panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("PANIC: {info}");
    println!("XENRS-END");
    debug_exit(3);
    loop {
        core::hint::spin_loop();
    }
}

/// The PV kernel's ELF notes, boot stack, `_start` and `hc()`: the
/// published macro of xen-hypercall (`xen_hypercall::pv_entry!`), so the
/// guest tier proves it on real Xen.
#[macro_export]
macro_rules! pv_entry {
    ($main:ident) => {
        xen_hypercall::pv_entry!($main, guest_os = "xen-rs-test-kernel");
    };
}

/// A PV domU that dom0's tests create: the entry ([`pv_entry!`]), its
/// output on the PV console ring (`domu::console_*`), a banner, then
/// `$run(&hc, start_info) -> bool` (unsafe: given Xen's start_info); the
/// domain powers off when it returns true and crashes when it returns false
/// or panics (the panic printed first), so dom0 sees either way.
#[cfg(target_arch = "x86_64")]
#[macro_export]
macro_rules! domu_main {
    ($banner:literal, $run:path) => {
        $crate::pv_entry!(domu_main);

        fn console_write(b: &[u8]) {
            $crate::domu::console_write(&hc(), b);
        }

        extern "C" fn domu_main(start_info: *const xen_abi::xen::StartInfo) -> ! {
            let hc = hc();
            // SAFETY: Xen passed its start_info page.
            unsafe { $crate::domu::console_init(&hc, start_info) };
            $crate::set_writer(console_write);
            $crate::println!($banner);
            // SAFETY: as above.
            let ok = unsafe { $run(&hc, start_info) };
            let reason = if ok {
                xen_abi::sched::ShutdownReason::POWEROFF
            } else {
                xen_abi::sched::ShutdownReason::CRASH
            };
            let _ = xen_hypercall::sched::shutdown(&hc, reason);
            loop {
                let _ = xen_hypercall::sched::block(&hc);
            }
        }

        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::println!("PANIC: {info}");
            $crate::println!("XENRS-END");
            let _ = xen_hypercall::sched::shutdown(&hc(), xen_abi::sched::ShutdownReason::CRASH);
            loop {
                core::hint::spin_loop();
            }
        }
    };
}
