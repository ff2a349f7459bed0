//! Wall time and peak memory of a command and every process it starts.
//!
//! Peak RSS is read from `VmHWM` in `/proc/<pid>/status`, the kernel's own high-water mark of each process's
//! resident memory, sampled every [`SAMPLE_EVERY`] over the whole process tree while it runs; the figure is the
//! sum of each process's peak (for a pipeline: its stages added up, as they all run at once). `ru_maxrss` from
//! `wait4` is not used: on Linux a child's `ru_maxrss` starts at the RSS of the process that spawned it (the
//! kernel records the old memory map at `exec`), so the bench's own memory would be counted in every contender,
//! and `RUSAGE_CHILDREN` keeps the largest child ever waited for, not the last one. Sampling misses only what a
//! process gains in its last few milliseconds, since the high-water mark never goes down while it lives.

use std::{
    collections::HashMap,
    fs, io,
    process::{Command, ExitStatus, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// How often the process tree is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// What one command took.
#[derive(Debug)]
pub struct Measured {
    /// How it ended.
    pub status: ExitStatus,
    /// From spawning it until it was reaped.
    pub wall: Duration,
    /// The sum of the peak RSS (bytes) of every process seen in its tree.
    pub peak_rss: u64,
    /// How many processes the tree had in all.
    pub processes: usize,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: Vec<u8>,
}

/// Runs `command` to its end with stdout and stderr captured (stdin closed), sampling the memory of its tree.
pub fn measure(command: &mut Command) -> io::Result<Measured> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let child = command.spawn()?;
    let root = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut peaks = HashMap::new();
            loop {
                // One last pass after the command ended is harmless: its processes are gone or zombies.
                let finished = done.load(Ordering::Acquire);
                sample(root, &mut peaks);
                if finished {
                    return peaks;
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        })
    };
    let output = child.wait_with_output();
    let wall = started.elapsed();
    done.store(true, Ordering::Release);
    let peaks = sampler.join().unwrap_or_default();
    let output = output?;
    Ok(Measured {
        status: output.status,
        wall,
        peak_rss: peaks.values().sum(),
        processes: peaks.len(),
        stdout: output.stdout,
        stderr: output.stderr,
    })
}

/// This process's own peak RSS in bytes (its `VmHWM`).
pub fn own_peak_rss() -> io::Result<u64> {
    let status = fs::read_to_string("/proc/self/status")?;
    high_water_mark(&status).ok_or_else(|| io::Error::other("no VmHWM line in /proc/self/status"))
}

/// Records the high-water mark of `root` and of every descendant it has now.
fn sample(root: u32, peaks: &mut HashMap<u32, u64>) {
    let mut pending = vec![root];
    while let Some(pid) = pending.pop() {
        let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else { continue };
        // A zombie has no memory lines any more; it keeps the peak seen while it lived.
        if let Some(peak) = high_water_mark(&status) {
            let entry = peaks.entry(pid).or_default();
            *entry = (*entry).max(peak);
        }
        pending.extend(children(pid));
    }
}

/// The children of every thread of `pid` (a child belongs to the thread that started it).
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| text.split_whitespace().filter_map(|p| p.parse().ok()).collect::<Vec<u32>>())
        .collect()
}

/// The `VmHWM:   1234 kB` line of a `/proc/<pid>/status`, in bytes.
fn high_water_mark(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn a_process_that_fills_a_buffer_peaks_at_about_its_size() {
        // dd reads /dev/zero into one 48 MiB buffer again and again: its RSS is that buffer, for a while.
        let measured =
            measure(Command::new("dd").args(["if=/dev/zero", "of=/dev/null", "bs=48M", "count=40"])).expect("dd runs");

        assert!(measured.status.success(), "{}", String::from_utf8_lossy(&measured.stderr));
        assert!((48 * MIB..64 * MIB).contains(&measured.peak_rss), "peak {} MiB", measured.peak_rss / MIB);
        assert_eq!(measured.processes, 1);
    }

    #[test]
    fn the_stages_of_a_pipeline_are_added_up() {
        let measured = measure(Command::new("sh").args([
            "-c",
            "dd if=/dev/zero bs=32M count=20 status=none | dd of=/dev/null bs=32M iflag=fullblock status=none",
        ]))
        .expect("sh runs");

        assert!(measured.status.success(), "{}", String::from_utf8_lossy(&measured.stderr));
        assert!(measured.processes >= 3, "{} processes", measured.processes);
        assert!((64 * MIB..96 * MIB).contains(&measured.peak_rss), "peak {} MiB", measured.peak_rss / MIB);
    }

    #[test]
    fn a_small_command_is_not_charged_with_the_memory_of_the_process_that_started_it() {
        let ballast = std::hint::black_box(vec![1u8; 128 << 20]);
        let measured = measure(Command::new("sleep").arg("0.1")).expect("sleep runs");

        assert!(measured.peak_rss < 16 * MIB, "peak {} MiB", measured.peak_rss / MIB);
        assert!(own_peak_rss().expect("own VmHWM") >= 128 * MIB);
        drop(ballast);
    }

    #[test]
    fn reads_the_high_water_mark_line() {
        assert_eq!(high_water_mark("Name:\tx\nVmPeak:\t 9 kB\nVmHWM:\t    4 kB\n"), Some(4096));
        assert_eq!(high_water_mark("Name:\tzombie\nState:\tZ (zombie)\n"), None);
    }
}
