// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_console_io`: Xen's own console.
//!
//! Output from dom0 appears on Xen's serial console; release builds of Xen
//! drop a domU's output (a domU uses its PV console ring instead).

use xen_abi::xen::{ConsoleIoCmd, HypercallOp};

use crate::{Hypercall, Result};

/// Writes `bytes` to Xen's console (`CONSOLEIO_write`).
///
/// # Errors
/// Xen's errno (`EPERM` where the domain may not use Xen's console).
#[doc(alias = "CONSOLEIO_write")]
#[doc(alias = "HYPERVISOR_console_io")]
pub fn write(hc: &impl Hypercall, bytes: &[u8]) -> Result<()> {
    let mut buf = [0u8; 256];
    for chunk in bytes.chunks(buf.len()) {
        let b = &mut buf[..chunk.len()];
        b.copy_from_slice(chunk);
        let ret = hc.with_buffer(b, |addr| {
            let args = [
                u64::from(ConsoleIoCmd::WRITE.get()),
                chunk.len() as u64,
                addr,
                0,
                0,
            ];
            // SAFETY: CONSOLEIO_write reads `len` bytes at `addr`, which
            // `with_buffer` made visible to Xen for this call.
            unsafe { hc.hypercall5(HypercallOp::CONSOLE_IO, args) }
        });
        crate::check(ret)?;
    }
    Ok(())
}

/// Reads what is pending on Xen's console into `buf` (`CONSOLEIO_read`);
/// returns the number of bytes read.
///
/// # Errors
/// Xen's errno.
#[doc(alias = "CONSOLEIO_read")]
pub fn read(hc: &impl Hypercall, buf: &mut [u8]) -> Result<usize> {
    let len = buf.len() as u64;
    let ret = hc.with_buffer(buf, |addr| {
        let args = [u64::from(ConsoleIoCmd::READ.get()), len, addr, 0, 0];
        // SAFETY: CONSOLEIO_read writes at most `len` bytes at `addr`, which
        // `with_buffer` made visible to Xen for this call.
        unsafe { hc.hypercall5(HypercallOp::CONSOLE_IO, args) }
    });
    crate::check(ret)
}
