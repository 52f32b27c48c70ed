// SPDX-License-Identifier: MIT OR Apache-2.0
//! A QEMU machine running Xen: the one place that builds a QEMU command
//! line (per architecture), runs it under TCG with a timeout and collects
//! the serial console, which carries Xen's and every guest's output.
//!
//! QEMU's exit status says little (0 for most endings): callers judge the
//! console; the status only matters with the x86 debug-exit device.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::xen::Arch;

/// Where the first boot module goes on aarch64 (its DTB must say so).
pub(crate) const AARCH64_MODULE_BASE: u64 = 0x5000_0000;

/// QEMU's aarch64 machine: EL2 for Xen, a GICv3.
const AARCH64_MACHINE: &str = "virt,virtualization=true,gic-version=3";

/// A machine to boot: Xen as the kernel, its boot modules (dom0 first).
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    arch: Arch,
    cpu: String,
    memory_mib: u32,
    xen: PathBuf,
    xen_args: String,
    /// A file and its command line (x86 multiboot modules; on aarch64
    /// loaded at [`AARCH64_MODULE_BASE`] onwards, described by the DTB).
    modules: Vec<(PathBuf, String)>,
    dtb: Option<PathBuf>,
    debug_exit: bool,
    timeout: Duration,
    live: bool,
    stop_at: Option<String>,
}

impl Machine {
    /// One vCPU, 512 MiB, TCG, no network or display, `-no-reboot` (a
    /// reboot ends QEMU), a 90 s timeout.
    pub(crate) fn new(arch: Arch, xen: &Path) -> Self {
        Machine {
            arch,
            cpu: match arch {
                Arch::X86_64 => "max",
                Arch::Aarch64 => "cortex-a57",
            }
            .into(),
            memory_mib: 512,
            xen: xen.to_path_buf(),
            xen_args: String::new(),
            modules: Vec::new(),
            dtb: None,
            debug_exit: false,
            timeout: Duration::from_secs(90),
            live: false,
            stop_at: None,
        }
    }

    pub(crate) fn cpu(mut self, cpu: &str) -> Self {
        self.cpu = cpu.into();
        self
    }

    pub(crate) fn memory_mib(mut self, mib: u32) -> Self {
        self.memory_mib = mib;
        self
    }

    /// Xen's command line after the console options (which the machine
    /// chooses: its serial port).
    pub(crate) fn xen_args(mut self, args: &str) -> Self {
        self.xen_args = args.into();
        self
    }

    /// Adds a boot module (the first is dom0's kernel) with its command line.
    pub(crate) fn module(mut self, file: &Path, cmdline: &str) -> Self {
        self.modules.push((file.to_path_buf(), cmdline.into()));
        self
    }

    /// The device tree Xen boots with (aarch64).
    pub(crate) fn dtb(mut self, dtb: &Path) -> Self {
        self.dtb = Some(dtb.to_path_buf());
        self
    }

    /// Makes the device tree Xen boots with (aarch64) at `path` and uses
    /// it: QEMU's own tree for this very machine (`dumpdtb`, so memory, CPU
    /// and GIC agree), plus the `/chosen` nodes Xen reads
    /// (docs/misc/arm/device-tree/booting.txt): its command line with the
    /// PL011 console, dom0's command line, and one `multiboot,module` node
    /// per boot module at the address [`Machine::command`] loads it.
    pub(crate) fn with_xen_dtb(self, path: &Path) -> Result<Self, String> {
        if self.arch != Arch::Aarch64 {
            return Err("a device tree is only made for aarch64 machines".into());
        }
        let _ = std::fs::remove_file(path);
        let mut dump = Command::new(self.arch.qemu());
        dump.args([
            "-machine",
            &format!("{AARCH64_MACHINE},dumpdtb={}", path.display()),
        ])
        .args(["-cpu", &self.cpu])
        .args(["-m", &self.memory_mib.to_string(), "-smp", "1"])
        .args(["-display", "none", "-nographic"]);
        crate::process::output(&mut dump)?;
        if !path.exists() {
            return Err(format!("QEMU left no device tree at {}", path.display()));
        }
        let fdtput =
            |args: &[&str]| crate::process::run(Command::new("fdtput").arg(path).args(args));
        fdtput(&["-t", "i", "/chosen", "#address-cells", "2"])?;
        fdtput(&["-t", "i", "/chosen", "#size-cells", "2"])?;
        let xen_args = format!("console=dtuart dtuart=/pl011@9000000 {}", self.xen_args);
        fdtput(&[
            "-t",
            "s",
            "/chosen",
            "xen,xen-bootargs",
            xen_args.trim_end(),
        ])?;
        for (i, (file, cmdline, addr, size)) in self.aarch64_modules().iter().enumerate() {
            let node = format!("/chosen/module@{addr:x}");
            fdtput(&["-c", &node])?;
            let kind = if i == 0 {
                "multiboot,kernel"
            } else {
                "multiboot,ramdisk"
            };
            fdtput(&["-t", "s", &node, "compatible", kind, "multiboot,module"])?;
            let reg = [
                addr >> 32,
                addr & 0xffff_ffff,
                size >> 32,
                size & 0xffff_ffff,
            ]
            .map(|c| format!("{c:#x}"));
            let mut args = vec!["-t", "x", &node, "reg"];
            args.extend(reg.iter().map(String::as_str));
            fdtput(&args)?;
            if i == 0 {
                fdtput(&["-t", "s", "/chosen", "xen,dom0-bootargs", cmdline])?;
            }
            if *size == 0 {
                return Err(format!(
                    "boot module {} is empty or missing",
                    file.display()
                ));
            }
        }
        Ok(self.dtb(path))
    }

    /// The aarch64 boot modules: file, command line, load address, size
    /// (each at the next 2 MiB boundary from [`AARCH64_MODULE_BASE`]).
    fn aarch64_modules(&self) -> Vec<(PathBuf, String, u64, u64)> {
        let mut addr = AARCH64_MODULE_BASE;
        self.modules
            .iter()
            .map(|(file, cmdline)| {
                let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
                let m = (file.clone(), cmdline.clone(), addr, size);
                addr += size.next_multiple_of(2 << 20);
                m
            })
            .collect()
    }

    /// Adds x86's `isa-debug-exit` at port 0xf4: a guest's byte `v` there
    /// ends QEMU with status `(v << 1) | 1`.
    pub(crate) fn debug_exit(mut self) -> Self {
        self.debug_exit = true;
        self
    }

    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Ends QEMU as soon as a console line contains `marker` (an ending the
    /// machine would only leave after a delay, like Xen's reboot after a
    /// dom0 crash); `Run::exit` is then `None`.
    pub(crate) fn stop_at(mut self, marker: &str) -> Self {
        self.stop_at = Some(marker.into());
        self
    }

    /// Echoes the console (Xen's milestones, every guest line) as it comes.
    pub(crate) fn live(mut self, live: bool) -> Self {
        self.live = live;
        self
    }

    /// The QEMU command line.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(self.arch.qemu());
        match self.arch {
            Arch::X86_64 => cmd.args(["-accel", "tcg"]),
            Arch::Aarch64 => cmd.args(["-machine", AARCH64_MACHINE]),
        };
        cmd.args(["-cpu", &self.cpu])
            .args(["-m", &self.memory_mib.to_string(), "-smp", "1"])
            .args(["-display", "none", "-nographic", "-no-reboot"])
            .args(["-net", "none", "-serial", "stdio", "-monitor", "none"]);
        if self.debug_exit {
            cmd.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        }
        cmd.arg("-kernel").arg(&self.xen);
        match self.arch {
            Arch::X86_64 => {
                let append = format!("console=com1 com1=115200,8n1 {}", self.xen_args);
                let modules: Vec<String> = self
                    .modules
                    .iter()
                    .map(|(f, args)| format!("{} {args}", f.display()).trim_end().to_string())
                    .collect();
                cmd.arg("-append").arg(append.trim_end());
                if !modules.is_empty() {
                    cmd.arg("-initrd").arg(modules.join(","));
                }
            }
            Arch::Aarch64 => {
                if let Some(dtb) = &self.dtb {
                    cmd.arg("-dtb").arg(dtb);
                }
                for (file, _, addr, _) in self.aarch64_modules() {
                    cmd.arg("-device")
                        .arg(format!("loader,file={},addr={addr:#x}", file.display()));
                }
            }
        }
        cmd
    }

    /// Boots the machine and collects its console until QEMU exits or the
    /// timeout passes (then QEMU is killed).
    pub(crate) fn run(&self) -> Result<Run, String> {
        run(
            self.command(),
            self.timeout,
            self.live,
            self.stop_at.as_deref(),
        )
    }
}

/// What a QEMU run printed on its serial console and how it ended.
#[derive(Debug)]
pub(crate) struct Run {
    /// The console, line by line, carriage returns removed.
    pub(crate) lines: Vec<String>,
    /// QEMU's exit status (`None` when killed at the timeout).
    pub(crate) exit: Option<i32>,
    pub(crate) timed_out: bool,
}

impl Run {
    /// The console without terminal escape sequences.
    pub(crate) fn text(&self) -> Vec<String> {
        self.lines.iter().map(|l| strip_escapes(l)).collect()
    }
}

fn run(
    mut cmd: Command,
    timeout: Duration,
    live: bool,
    stop_at: Option<&str>,
) -> Result<Run, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let stdout = child.stdout.take().ok_or("no qemu stdout")?;
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
            let s = String::from_utf8_lossy(&line).replace('\r', "");
            if tx.send(s).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut lines = Vec::new();
    let stop = std::cell::Cell::new(false);
    let mut take = |l: String| {
        if live {
            echo_live(&l);
        }
        if stop_at.is_some_and(|m| l.contains(m)) {
            stop.set(true);
        }
        lines.push(l);
    };
    let mut timed_out = false;
    let status = loop {
        while let Ok(l) = rx.try_recv() {
            take(l);
        }
        if stop.get() {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        if let Some(st) = child.try_wait().map_err(|e| format!("{e}"))? {
            break Some(st);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(50)) {
            take(l);
        }
    };
    let _ = reader.join();
    while let Ok(l) = rx.try_recv() {
        take(l);
    }
    Ok(Run {
        lines,
        exit: status.and_then(|s| s.code()),
        timed_out,
    })
}

/// Removes terminal escape sequences (SeaBIOS clears the screen).
pub(crate) fn strip_escapes(l: &str) -> String {
    let mut out = String::with_capacity(l.len());
    let mut chars = l.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            while let Some(&n) = chars.peek() {
                chars.next();
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

fn echo_live(l: &str) {
    let l = strip_escapes(l);
    let l = l.as_str();
    if !l.contains("(XEN)")
        && (l.starts_with("SeaBIOS") || l.starts_with("Booting from") || l.trim().is_empty())
    {
        return;
    }
    if let Some(at) = l.find("(XEN)") {
        let l = &l[at..];
        // Xen's own boot log: show the milestones only.
        if l.contains("Xen version") || l.contains("Dom0 kernel") || l.contains("Freed") {
            println!("  {l}");
        }
    } else {
        println!("  | {l}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(m: &Machine) -> Vec<String> {
        m.command()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn x86_modules_go_on_one_initrd_argument() {
        let m = Machine::new(Arch::X86_64, Path::new("/x.elf"))
            .cpu("qemu64")
            .xen_args("dom0_mem=64M")
            .module(Path::new("/k"), "console=hvc0")
            .module(Path::new("/i.cpio"), "");
        let args = args(&m);
        let after = |flag: &str| args[args.iter().position(|a| a == flag).unwrap() + 1].clone();
        assert_eq!(after("-initrd"), "/k console=hvc0,/i.cpio");
        assert_eq!(
            after("-append"),
            "console=com1 com1=115200,8n1 dom0_mem=64M"
        );
        assert_eq!(after("-cpu"), "qemu64");
    }

    #[test]
    fn aarch64_modules_are_loaded_where_the_dtb_says() {
        let m = Machine::new(Arch::Aarch64, Path::new("/xen"))
            .dtb(Path::new("/xen.dtb"))
            .module(Path::new("/nonexistent-image"), "");
        let args = args(&m);
        assert_eq!(m.command().get_program(), "qemu-system-aarch64");
        assert!(args.contains(&"virt,virtualization=true,gic-version=3".to_string()));
        assert!(args.contains(&"loader,file=/nonexistent-image,addr=0x50000000".to_string()));
        assert!(args.windows(2).any(|w| w == ["-dtb", "/xen.dtb"]));
    }

    #[test]
    fn escapes_are_stripped() {
        assert_eq!(strip_escapes("\u{1b}[2J\u{1b}[01;01Hok 1"), "ok 1");
    }
}
