//! Where a restored symlink leads. The target is resolved the way the kernel would, relative to the link's
//! folder, through the symlinks already restored (a chain of individually harmless links can still climb out),
//! and a link is unsafe when any step leaves the restore folder.

use std::{
    collections::VecDeque,
    ffi::OsString,
    fs, io,
    path::{Component, Path},
};

/// More symlinks than this on one path is a loop (Linux gives up at 40 as well).
const MAX_HOPS: usize = 40;

enum Part {
    Up,
    Name(OsString),
}

fn parts(path: &Path) -> impl Iterator<Item = Part> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(name) => Some(Part::Name(name.to_os_string())),
        Component::ParentDir => Some(Part::Up),
        _ => None,
    })
}

/// Whether `target`, a symlink's content in `folder` (relative to `root`), leads outside `root`: an absolute
/// target, a `..` above the root, a restored symlink on the way that does, or a loop. Names that do not exist
/// (yet) count as plain names, so a dangling link inside the folder is fine.
pub(super) fn leads_outside(root: &Path, folder: &Path, target: &Path) -> bool {
    if target.has_root() {
        return true;
    }
    let mut stack: Vec<OsString> = folder.components().map(|c| c.as_os_str().to_os_string()).collect();
    let mut queue: VecDeque<Part> = parts(target).collect();
    let mut hops = 0;
    while let Some(part) = queue.pop_front() {
        match part {
            Part::Up => {
                if stack.pop().is_none() {
                    return true;
                }
            }
            Part::Name(name) => {
                stack.push(name);
                let here = stack.iter().fold(root.to_path_buf(), |path, name| path.join(name));
                let Ok(meta) = fs::symlink_metadata(&here) else { continue };
                if !meta.file_type().is_symlink() {
                    continue;
                }
                hops += 1;
                let Ok(next) = fs::read_link(&here) else { return true };
                if hops > MAX_HOPS || next.has_root() {
                    return true;
                }
                stack.pop();
                for part in parts(&next).collect::<Vec<_>>().into_iter().rev() {
                    queue.push_front(part);
                }
            }
        }
    }
    false
}

/// Sets a symlink's own mtime (not its target's).
pub(super) fn set_link_mtime(path: &Path, mtime: u64) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, utimensat};
    let at = Timespec { tv_sec: mtime.min(i64::MAX as u64) as i64, tv_nsec: 0 };
    let times = Timestamps { last_access: at, last_modification: at };
    utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_resolved_through_earlier_links() {
        let root = tempfile::tempdir().expect("tempdir");
        let root = root.path();
        fs::create_dir(root.join("d")).expect("d");
        assert!(!leads_outside(root, Path::new("d"), Path::new("../file")));
        assert!(!leads_outside(root, Path::new("d"), Path::new("missing/../../x")));
        assert!(leads_outside(root, Path::new("d"), Path::new("../../x")));
        assert!(leads_outside(root, Path::new(""), Path::new("/etc/passwd")));
        // d/up -> .. is harmless alone (it is the root), but d/up/.. through it climbs out.
        std::os::unix::fs::symlink("..", root.join("d/up")).expect("up");
        assert!(!leads_outside(root, Path::new("d"), Path::new("up")));
        assert!(leads_outside(root, Path::new("d"), Path::new("up/..")));
        // A loop is refused rather than followed forever.
        std::os::unix::fs::symlink("loop", root.join("loop")).expect("loop");
        assert!(leads_outside(root, Path::new(""), Path::new("loop/x")));
    }
}
