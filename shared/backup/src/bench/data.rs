//! The folder the benchmark backs up, generated from a seed so that every run and every machine backs up the same
//! bytes: half of them (by size) text-like files that compress the way logs and source code do, half random binary
//! files that do not compress at all (media, archives), spread over nested folders, with a few symlinks (to files,
//! to a folder, and one dangling) and an empty folder. Sizes are log-uniform, so there are many small files and a
//! few large ones, as on a real server.

use std::{
    fs::{self, File},
    io::{self, Write as _},
    os::unix::fs::symlink,
    path::{Path, PathBuf},
};

/// The folders files are spread over, relative to the root; a few levels deep, as a site's or an app's are.
const FOLDERS: [&str; 12] = [
    "site/pages",
    "site/assets/css",
    "site/assets/img/2024",
    "site/assets/img/2025/summer",
    "uploads/a/b",
    "uploads/c",
    "logs/2025/01",
    "logs/2025/02",
    "app/src/models",
    "app/src/handlers/admin",
    "db/dumps",
    "config",
];

/// Text files are 2^8 to 2^22 bytes (256 B to 4 MiB), binary ones 2^12 to 2^24 (4 KiB to 16 MiB), log-uniform.
const TEXT_SIZES: (u32, u32) = (8, 22);
const BINARY_SIZES: (u32, u32) = (12, 24);

/// Every so many files, one gets a symlink beside it.
const LINK_EVERY: u64 = 64;

/// Bytes generated and written at a time.
const CHUNK: usize = 1 << 20;

/// What [`generate`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSet {
    /// The folder.
    pub root: PathBuf,
    /// Bytes in regular files: exactly the size asked for.
    pub bytes: u64,
    /// Of which in text-like files.
    pub text_bytes: u64,
    /// Regular files.
    pub files: u64,
    /// Folders below the root.
    pub folders: u64,
    /// Symbolic links.
    pub symlinks: u64,
}

/// Fills `root` (created when missing; it should be empty) with `total_bytes` bytes of files derived from `seed`.
/// The same seed and size give the same names and contents.
pub fn generate(root: &Path, total_bytes: u64, seed: u64) -> io::Result<DataSet> {
    let mut rng = Rng::new(seed);
    let mut made = DataSet { root: root.to_path_buf(), bytes: 0, text_bytes: 0, files: 0, folders: 0, symlinks: 0 };
    let mut folders = std::collections::BTreeSet::new();
    for folder in FOLDERS {
        fs::create_dir_all(root.join(folder))?;
        for ancestor in Path::new(folder).ancestors().filter(|a| !a.as_os_str().is_empty()) {
            folders.insert(ancestor.to_path_buf());
        }
    }
    fs::create_dir_all(root.join("cache/empty"))?;
    made.folders = folders.len() as u64 + 2;
    let words = Vocabulary::new();
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    while made.bytes < total_bytes {
        // Whichever kind is behind by bytes goes next, so the halves stay even as the folder grows.
        let text = made.text_bytes <= made.bytes - made.text_bytes;
        let (low, high) = if text { TEXT_SIZES } else { BINARY_SIZES };
        let size = rng.log_uniform(low, high).min(total_bytes - made.bytes);
        let folder = FOLDERS[rng.below(FOLDERS.len() as u64) as usize];
        let ext = if text {
            ["log", "txt", "json", "html"][rng.below(4) as usize]
        } else {
            ["bin", "jpg"][rng.below(2) as usize]
        };
        let name = format!("f{:05}.{ext}", made.files);
        let path = root.join(folder).join(&name);
        let mut file = File::create(&path)?;
        let mut left = size;
        while left > 0 {
            buf.clear();
            let want = left.min(CHUNK as u64) as usize;
            if text {
                words.fill(&mut rng, &mut buf, want);
            } else {
                rng.fill(&mut buf, want);
            }
            file.write_all(&buf[..want])?;
            left -= want as u64;
        }
        made.bytes += size;
        made.text_bytes += if text { size } else { 0 };
        made.files += 1;
        if made.files.is_multiple_of(LINK_EVERY) {
            symlink(&name, root.join(folder).join(format!("{name}.link")))?;
            made.symlinks += 1;
        }
    }
    symlink("logs/2025/02", root.join("latest-logs"))?;
    symlink("config/removed.toml", root.join("config/old.toml"))?;
    made.symlinks += 2;
    Ok(made)
}

/// Words to build text from: syllable pairs and triples, picked with a skew towards the first ones as words in a
/// language are, so the text compresses about as well as logs and prose (3-4× at zstd level 3), not like zeros.
struct Vocabulary {
    words: Vec<Vec<u8>>,
}

const SYLLABLES: [&str; 32] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ba", "de", "fu", "go", "hi", "ja", "ke", "li", "mo", "nu", "pa",
    "qi", "re", "si", "tu", "wa", "xe", "yo", "za", "an", "el", "in", "or", "us",
];
const LEVELS: [&str; 4] = ["INFO", "WARN", "DEBUG", "ERROR"];

impl Vocabulary {
    fn new() -> Self {
        let syllable = |i: usize| SYLLABLES[i % 32].as_bytes();
        let words = (0..2048)
            .map(|i| {
                let mut word = [syllable(i), syllable(i / 32)].concat();
                if i >= 1024 {
                    word.extend_from_slice(syllable(i / 7));
                }
                word
            })
            .collect();
        Self { words }
    }

    /// Appends at least `len` bytes of log-like lines to `buf`.
    fn fill(&self, rng: &mut Rng, buf: &mut Vec<u8>, len: usize) {
        while buf.len() < len {
            let r = rng.next();
            buf.extend_from_slice(b"2025-02-");
            push_padded(buf, 1 + r % 28, 2);
            buf.push(b'T');
            push_padded(buf, (r >> 8) % 24, 2);
            buf.push(b':');
            push_padded(buf, (r >> 16) % 60, 2);
            buf.push(b':');
            push_padded(buf, (r >> 24) % 60, 2);
            buf.extend_from_slice(b"Z ");
            buf.extend_from_slice(LEVELS[((r >> 32) % 4) as usize].as_bytes());
            buf.extend_from_slice(b" worker[");
            push_padded(buf, 1000 + (r >> 40) % 64, 4);
            buf.extend_from_slice(b"]:");
            for _ in 0..4 + (r >> 48) % 9 {
                let (a, b) = (rng.below(2048), rng.below(2048));
                buf.push(b' ');
                buf.extend_from_slice(&self.words[(a * b / 2048) as usize]);
            }
            buf.extend_from_slice(b" took ");
            push_padded(buf, rng.below(5000), 1);
            buf.extend_from_slice(b" ms\n");
        }
    }
}

/// Appends `value` in decimal, zero-padded to `width` digits.
fn push_padded(buf: &mut Vec<u8>, value: u64, width: usize) {
    let digits = value.to_string();
    buf.extend(std::iter::repeat_n(b'0', width.saturating_sub(digits.len())));
    buf.extend_from_slice(digits.as_bytes());
}

/// SplitMix64: tiny, fast, and the same sequence everywhere (no dependency whose algorithm could change).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform below `n` (the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A size between 2^low and 2^high, uniform in its logarithm.
    fn log_uniform(&mut self, low: u32, high: u32) -> u64 {
        let exponent = low + self.below(u64::from(high - low)) as u32;
        (1 << exponent) + self.below(1 << exponent)
    }

    /// Appends `len` random bytes to `buf`.
    fn fill(&mut self, buf: &mut Vec<u8>, len: usize) {
        while buf.len() < len {
            buf.extend_from_slice(&self.next().to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry below `root` (path, then the bytes of a file or the target of a link), sorted.
    fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut pending = vec![root.to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in fs::read_dir(&dir).expect("list") {
                let path = entry.expect("entry").path();
                let meta = fs::symlink_metadata(&path).expect("meta");
                let rel = path.strip_prefix(root).expect("inside").to_path_buf();
                if meta.is_dir() {
                    pending.push(path);
                    out.push((rel, Vec::new()));
                } else if meta.is_symlink() {
                    out.push((rel, fs::read_link(&path).expect("link").into_os_string().into_encoded_bytes()));
                } else {
                    out.push((rel, fs::read(&path).expect("read")));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_same_seed_makes_the_same_folder_of_exactly_the_size_asked() {
        let (a, b) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        let size = 3 << 20;
        let made = generate(a.path(), size, 7).expect("generate");
        generate(b.path(), size, 7).expect("generate");

        assert_eq!(made.bytes, size);
        assert_eq!(tree(a.path()), tree(b.path()));
        let on_disk: u64 = tree(a.path())
            .iter()
            .filter(|(rel, _)| fs::symlink_metadata(a.path().join(rel)).expect("meta").is_file())
            .map(|(_, bytes)| bytes.len() as u64)
            .sum();
        assert_eq!(on_disk, size);
        // Half text within one file's size, and a mix of many files.
        assert!(made.text_bytes.abs_diff(size / 2) <= 1 << 24, "text bytes {}", made.text_bytes);
        assert!(made.files >= 4 && made.symlinks >= 2, "{made:?}");
    }

    #[test]
    fn another_seed_makes_other_bytes() {
        let (a, b) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        generate(a.path(), 1 << 20, 1).expect("generate");
        generate(b.path(), 1 << 20, 2).expect("generate");
        assert_ne!(tree(a.path()), tree(b.path()));
    }

    #[test]
    fn text_compresses_and_binary_does_not() {
        let mut rng = Rng::new(3);
        let (mut text, mut binary) = (Vec::new(), Vec::new());
        Vocabulary::new().fill(&mut rng, &mut text, 1 << 20);
        rng.fill(&mut binary, 1 << 20);
        let ratio = |bytes: &[u8]| bytes.len() as f64 / zstd::bulk::compress(bytes, 3).expect("zstd").len() as f64;
        assert!((2.0..8.0).contains(&ratio(&text)), "text ratio {}", ratio(&text));
        assert!(ratio(&binary) < 1.01, "binary ratio {}", ratio(&binary));
    }
}
