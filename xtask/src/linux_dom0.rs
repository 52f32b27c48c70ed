// SPDX-License-Identifier: MIT OR Apache-2.0
//! A Linux dom0 on Xen in QEMU, for scenarios to run a payload in: Debian's
//! kernel, an initramfs with busybox, the Xen modules, the toolstack and
//! the scenario's programs, and an `/init` that sets dom0 up (mounts,
//! modules, xenfs, xenstored or oxenstored, `xen-init-dom0`, xenconsoled;
//! each step reported as `XENRS-DOM0-SETUP rc=N ...` on the console), runs
//! the scenario's payload and reboots, which ends QEMU (`-no-reboot`).
//!
//! Results come back on the serial console, which already carries Xen's and
//! the kernel's messages: one channel shows a scenario's lines in context
//! with a dom0 oops or a Xen panic, with no extra device in the guest.

mod kernel;
mod toolstack;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::initramfs::Tree;
use crate::qemu::{self, Machine};
use crate::workspace;
use crate::xen::{Arch, XenVersion, Xenstored};

/// How long one boot may take before it counts as a hang (a dom0-tier
/// boot on Xen 4.20 with the vchan scenario takes about 270 s here).
const TIMEOUT: Duration = Duration::from_secs(480);

/// What a scenario puts into dom0.
#[derive(Debug)]
pub(crate) struct Scenario<'a> {
    /// Names the image's directory under the target dir.
    pub(crate) name: &'a str,
    /// The Xen versions the image will boot (Xen 4.20 needs its own
    /// toolstack in the image).
    pub(crate) xen: &'a [XenVersion],
    /// `(host path, path in dom0)`: debug info is stripped, the libraries
    /// they link come along.
    pub(crate) programs: &'a [(PathBuf, PathBuf)],
    /// Shell lines `/init` runs once dom0 is set up.
    pub(crate) payload: &'a str,
}

/// A built dom0: its kernel and initramfs.
#[derive(Debug)]
pub(crate) struct Dom0 {
    kernel: kernel::Kernel,
    initrd: PathBuf,
}

impl Dom0 {
    /// Builds `<target>/<name>/initramfs.cpio` for `scenario`.
    pub(crate) fn build(scenario: &Scenario<'_>) -> Result<Dom0, String> {
        let kernel = kernel::Kernel::find()?;
        let mut tree = Tree::new(&workspace::scratch(scenario.name)?)?;
        let busybox = Path::new("/bin/busybox");
        tree.file(busybox, busybox)
            .map_err(|e| format!("{e} (cargo xtask setup installs busybox-static)"))?;
        for m in &kernel.modules {
            let p = PathBuf::from(format!("/lib/modules/{}/{m}", kernel.version));
            tree.file(&p, &p)?;
        }
        toolstack::install(&mut tree, scenario.xen)?;
        for (src, dest) in scenario.programs {
            tree.stripped_program(src, dest)?;
        }
        let init = init_script(&kernel, scenario.payload);
        let initrd = tree.pack(&init)?;
        Ok(Dom0 { kernel, initrd })
    }

    /// The kernel's version.
    pub(crate) fn kernel_version(&self) -> &str {
        &self.kernel.version
    }

    /// The initramfs's size in MiB.
    pub(crate) fn image_mib(&self) -> u64 {
        std::fs::metadata(&self.initrd).map_or(0, |m| m.len() >> 20)
    }

    /// Boots this dom0 on `xen` with `xenstored`; `live` echoes the console.
    pub(crate) fn boot(
        &self,
        xen: XenVersion,
        xenstored: Xenstored,
        live: bool,
    ) -> Result<qemu::Run, String> {
        let arch = Arch::X86_64;
        let cmdline = format!(
            "console=hvc0 earlyprintk=xen quiet loglevel=3 panic=-1 rdinit=/init {}",
            xenstored.dom0_switch()
        );
        Machine::new(arch, &xen.hypervisor(arch)?)
            // Linux dom0 dies early under `-cpu max` (TCG's SMAP emulation).
            .cpu("qemu64")
            .memory_mib(1024)
            .xen_args("loglvl=all guest_loglvl=error dom0_mem=512M,max:512M dom0_max_vcpus=1")
            .module(&self.kernel.vmlinux, &cmdline)
            .module(&self.initrd, "")
            .timeout(TIMEOUT)
            .live(live)
            .run()
    }
}

/// `/init`: mounts, modules, xenfs, the xenstored the kernel command line
/// names, `xen-init-dom0`, xenconsoled, each step reporting its status;
/// then `payload`, then reboot.
fn init_script(kernel: &kernel::Kernel, payload: &str) -> String {
    let mut s = String::from(
        "#!/bin/busybox sh\n\
         /bin/busybox mkdir -p /proc /sys /dev /run /tmp /var /sbin /usr/bin /usr/sbin\n\
         /bin/busybox --install -s\n\
         export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root RUST_BACKTRACE=1\n\
         mount -t proc proc /proc\n\
         mount -t sysfs sysfs /sys\n\
         mount -t devtmpfs devtmpfs /dev\n\
         mkdir -p /dev/pts && mount -t devpts devpts /dev/pts\n\
         mount -t tmpfs tmpfs /run\n\
         ln -s /run /var/run\n\
         mkdir -p /var/lib/xenstored /var/lib/xen /var/log/xen/console /run/xenstored /run/xen /var/lock /root\n\
         mkdir -p /etc/xen && touch /etc/xen/xl.conf\n\
         head -c 1 /dev/random > /dev/null &\n\
         step() { \"$@\"; echo \"XENRS-DOM0-SETUP rc=$? $*\"; }\n",
    );
    for m in &kernel.modules {
        s.push_str(&format!(
            "step insmod /lib/modules/{}/{m}\n",
            kernel.version
        ));
    }
    s.push_str("step mount -t xenfs xenfs /proc/xen\n");
    s.push_str(&format!(
        "case $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor) in\n\
           4.20) T={tools_420}/bin ;;\n\
           *) T={tools_417} ;;\n\
         esac\n\
         export XENRS_XL=$T/xl XENRS_VCHAN_PROXY=$T/vchan-socket-proxy\n\
         if grep -q xenrs.xenstored=oxenstored /proc/cmdline; then\n\
           export XENRS_XENSTORED=oxenstored\n\
           step $T/oxenstored --pid-file=/run/xenstored.pid\n\
         else\n\
           export XENRS_XENSTORED=xenstored\n\
           step $T/xenstored --pid-file=/run/xenstored.pid\n\
         fi\n\
         step $T/xen-init-dom0\n\
         step $T/xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console\n",
        tools_420 = toolstack::TOOLS_420,
        tools_417 = toolstack::XEN_TOOLS,
    ));
    s.push_str(payload);
    s.push_str("reboot -f\nsleep 10\n");
    s
}

/// The setup steps that failed, as problems.
pub(crate) fn setup_problems(console: &[String]) -> Vec<String> {
    console
        .iter()
        .filter_map(|l| {
            let at = l.find("XENRS-DOM0-SETUP rc=")?;
            let rest = &l[at + "XENRS-DOM0-SETUP rc=".len()..];
            (!rest.starts_with("0 ")).then(|| format!("dom0 setup step failed: rc={rest}"))
        })
        .collect()
}

/// Whether `xenstored` started (its setup step succeeded).
pub(crate) fn started(console: &[String], xenstored: Xenstored) -> bool {
    let started = format!("/{} --pid-file=", xenstored.daemon());
    console
        .iter()
        .any(|l| l.contains("XENRS-DOM0-SETUP rc=0 ") && l.contains(&started))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_loads_modules_then_runs_the_payload_then_reboots() {
        let k = kernel::Kernel {
            version: "6.1".into(),
            vmlinux: PathBuf::new(),
            modules: vec!["kernel/drivers/xen/xenfs/xenfs.ko".into()],
        };
        let s = init_script(&k, "PAYLOAD\n");
        let insmod = s.find("insmod /lib/modules/6.1/kernel/drivers/xen/xenfs/xenfs.ko");
        let run = s.find("PAYLOAD");
        assert!(insmod.is_some() && run.is_some() && insmod < run);
        assert!(s.trim_end().ends_with("sleep 10") && s.contains("reboot -f"));
    }

    #[test]
    fn failed_setup_steps_are_problems() {
        let l = |s: &str| s.to_string();
        let ok = [
            l("XENRS-DOM0-SETUP rc=0 insmod x"),
            l("XENRS-DOM0-SETUP rc=0 /t/xenstored --pid-file=/run/x"),
        ];
        assert!(setup_problems(&ok).is_empty() && started(&ok, Xenstored::C));
        assert!(!started(&ok, Xenstored::OCaml));
        let bad = [l("[1.0] XENRS-DOM0-SETUP rc=1 insmod x")];
        assert_eq!(
            setup_problems(&bad),
            ["dom0 setup step failed: rc=1 insmod x"]
        );
    }
}
