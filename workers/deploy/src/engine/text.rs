//! A tool's output made fit for a log line: what a terminal would show last on the line, without colours or other
//! control characters, and not longer than [`LINE_MAX_CHARS`].

/// The longest line kept, in characters; longer lines end with `…`.
pub const LINE_MAX_CHARS: usize = 1000;

/// One line of output as read (with its `\n`, maybe not UTF-8), cleaned; `None` when nothing visible is left.
///
/// A progress bar redraws its line after `\r`: only the last drawing counts. ANSI escape sequences (`ESC [ … m`
/// colours, cursor moves) are removed, and so is every other control character but the tab.
pub fn clean_line(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\n', '\r']);
    let last = text.rsplit('\r').find(|part| !part.trim().is_empty()).unwrap_or("");
    let mut line = String::with_capacity(last.len());
    let mut chars = last.chars().peekable();
    let mut count = 0;
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte in @..~; other escapes: ESC and one character.
            if chars.next_if_eq(&'[').is_some() {
                while chars.next().is_some_and(|c| !('@'..='~').contains(&c)) {}
            } else {
                chars.next();
            }
            continue;
        }
        if c.is_control() && c != '\t' {
            continue;
        }
        if count == LINE_MAX_CHARS {
            line.push('…');
            break;
        }
        line.push(c);
        count += 1;
    }
    let line = line.trim_end();
    (!line.trim().is_empty()).then(|| line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_redrawn_progress_are_gone_and_blank_lines_dropped() {
        assert_eq!(clean_line(b"\x1b[32mok\x1b[0m done\n").as_deref(), Some("ok done"));
        assert_eq!(clean_line(b"10%\r50%\r100%\r\n").as_deref(), Some("100%"));
        assert_eq!(clean_line(b"  \n"), None);
        assert_eq!(clean_line(b"a\tb\x07\n").as_deref(), Some("a\tb"));
        assert_eq!(clean_line(b"caf\xc3\xa9 \xff\n").as_deref(), Some("caf\u{e9} \u{fffd}"));
    }

    #[test]
    fn long_lines_are_cut() {
        let long = "x".repeat(LINE_MAX_CHARS + 10);
        let line = clean_line(long.as_bytes()).unwrap();
        assert_eq!(line.chars().count(), LINE_MAX_CHARS + 1);
        assert!(line.ends_with('…'));
    }
}
