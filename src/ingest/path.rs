//! File paths as text that round-trips to the same bytes: valid UTF-8 is kept as it is,
//! a backslash is doubled and control characters and any other byte become `\xNN`, so two distinct names are
//! always two distinct strings (a lossy conversion would merge them).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The lossless text form of a path: `caf\xE9/index.md` for a Latin-1 folder name.
pub fn escape(path: &Path) -> String {
    escape_bytes(path.as_os_str().as_bytes())
}

/// The lossless text form of a file or folder name.
pub fn escape_name(name: &OsStr) -> String {
    escape_bytes(name.as_bytes())
}

fn escape_bytes(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                push_text(&mut out, text);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                push_text(&mut out, std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len()).max(1);
                for b in &rest[..bad] {
                    out.push_str(&format!("\\x{b:02X}"));
                }
                bytes = &rest[bad..];
            }
        }
    }
}

fn push_text(out: &mut String, text: &str) {
    if !text.contains(|c: char| c == '\\' || c.is_ascii_control()) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            // A newline or escape sequence in a name would act on the terminal, or fake a
            // line of output.
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
}

/// The path an [`escape`]d text stands for; `None` when the text is not such a form.
pub fn unescape(text: &str) -> Option<PathBuf> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b != b'\\' {
            bytes.push(b);
            rest = tail;
            continue;
        }
        match tail {
            [b'\\', more @ ..] => {
                bytes.push(b'\\');
                rest = more;
            }
            [b'x', hi, lo, more @ ..] => {
                let hex = std::str::from_utf8(&[*hi, *lo]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())?;
                bytes.push(hex);
                rest = more;
            }
            _ => return None,
        }
    }
    Some(PathBuf::from(OsString::from_vec(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_as_bytes() {
        let names: [&[u8]; 7] = [
            b"plain/index.md",
            b"caf\xe9/index.md",
            b"caf\xe8/index.md",
            b"a\\b",
            b"\\x41",
            b"\xff\xfe",
            b"evil\nindexed 9",
        ];
        let mut seen = std::collections::HashSet::new();
        for name in names {
            let path = PathBuf::from(OsStr::from_bytes(name));
            let text = escape(&path);
            assert!(seen.insert(text.clone()), "two names gave {text}");
            assert_eq!(unescape(&text).unwrap(), path, "{text}");
        }
        assert_eq!(escape(Path::new(OsStr::from_bytes(b"caf\xe9"))), "caf\\xE9");
        assert_eq!(escape(Path::new("λ/ü")), "λ/ü");
        assert_eq!(escape(Path::new("a\nb\x1b[1m")), "a\\x0Ab\\x1B[1m");
        assert_eq!(unescape("bad\\q"), None);
    }
}
