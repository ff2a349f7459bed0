//! Reading the host through `sysinfo`: one [`Sampler`] keeps the previous CPU counters (CPU use is a
//! difference between two readings) and the list of mounted filesystems.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sysinfo::{CpuRefreshKind, DiskRefreshKind, Disks, MemoryRefreshKind, System};

use super::Sample;

/// The host reader.
#[derive(Debug)]
pub struct Sampler {
    /// CPU and memory figures; keeps the previous CPU counters between samples.
    system: System,
    /// The mounted filesystems, refreshed at each sample (mounts come and go).
    disks: Disks,
    /// The configured data directory, whose filesystem the disk figures describe.
    data_dir: PathBuf,
    /// The mount point the last sample measured.
    disk_mount: Option<PathBuf>,
}

impl Sampler {
    /// A reader for the filesystem holding `data_dir`, with the CPU counters read once (so the first sample's
    /// CPU figure is the average since boot).
    pub fn new(data_dir: &Path) -> Result<Self, sysinfo::Error> {
        let mut system = System::new()?;
        system.refresh_cpu_specifics(CpuRefreshKind::nothing().with_usage());
        let disks = Disks::new()?;
        Ok(Self { system, disks, data_dir: data_dir.to_path_buf(), disk_mount: None })
    }

    /// Reads every figure once, stamped `at`.
    pub fn sample(&mut self, at: DateTime<Utc>) -> Sample {
        self.system.refresh_cpu_specifics(CpuRefreshKind::nothing().with_usage());
        self.system.refresh_memory_specifics(MemoryRefreshKind::everything());
        self.disks.refresh_specifics(true, DiskRefreshKind::nothing().with_storage());
        // The data directory may not exist yet (nothing written so far); its filesystem is then the root's.
        let target = self.data_dir.canonicalize().unwrap_or_else(|_| PathBuf::from("/"));
        let mounts: Vec<(&Path, u64, u64)> =
            self.disks.iter().map(|d| (d.mount_point(), d.total_space(), d.available_space())).collect();
        let disk = disk_for(&target, &mounts);
        self.disk_mount = disk.map(|(mount, _, _)| mount.to_path_buf());
        let load = System::load_average().unwrap_or(sysinfo::LoadAvg { one: 0.0, five: 0.0, fifteen: 0.0 });
        let cpu = self.system.global_cpu_usage();
        Sample {
            at,
            cpu_percent: if cpu.is_finite() { (cpu.clamp(0.0, 100.0) * 10.0).round() / 10.0 } else { 0.0 },
            cpu_count: u32::try_from(self.system.cpus().len()).unwrap_or(u32::MAX).max(1),
            memory_used_bytes: self.system.used_memory().min(self.system.total_memory()),
            memory_total_bytes: self.system.total_memory(),
            swap_used_bytes: self.system.used_swap().min(self.system.total_swap()),
            swap_total_bytes: self.system.total_swap(),
            disk_used_bytes: disk.map(|(_, total, available)| total.saturating_sub(available)),
            disk_total_bytes: disk.map(|(_, total, _)| total),
            load_one: load.one,
            load_five: load.five,
            load_fifteen: load.fifteen,
            uptime_secs: System::uptime().unwrap_or(0),
        }
    }

    /// The mount point the last sample measured.
    pub fn disk_mount(&self) -> Option<&Path> {
        self.disk_mount.as_deref()
    }
}

/// The filesystem holding `path` among `mounts` (mount point, total bytes, available bytes): the one whose
/// mount point is the longest whole-component prefix of `path`. `/` holds everything, so it is the fallback
/// whenever it is listed.
pub fn disk_for<'a>(path: &Path, mounts: &[(&'a Path, u64, u64)]) -> Option<(&'a Path, u64, u64)> {
    mounts
        .iter()
        .filter(|(mount, total, _)| *total > 0 && path.starts_with(mount))
        .max_by_key(|(mount, _, _)| mount.components().count())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disk_is_the_longest_mount_point_holding_the_path() {
        let mounts = [
            (Path::new("/"), 100, 40),
            (Path::new("/var"), 50, 10),
            (Path::new("/var/lib/lawha"), 20, 5),
            (Path::new("/var/li"), 7, 7),
            (Path::new("/boot/efi"), 1, 1),
        ];
        assert_eq!(disk_for(Path::new("/var/lib/lawha/data"), &mounts), Some((Path::new("/var/lib/lawha"), 20, 5)));
        // `/var/li` is a string prefix of `/var/lib` but not a component prefix.
        assert_eq!(disk_for(Path::new("/var/lib/other"), &mounts), Some((Path::new("/var"), 50, 10)));
        assert_eq!(disk_for(Path::new("/srv"), &mounts), Some((Path::new("/"), 100, 40)));
        assert_eq!(disk_for(Path::new("/srv"), &mounts[1..]), None);
        let empty = [(Path::new("/"), 100, 40), (Path::new("/srv"), 0, 0)];
        assert_eq!(disk_for(Path::new("/srv/x"), &empty), Some((Path::new("/"), 100, 40)), "a size-0 mount is skipped");
    }
}
