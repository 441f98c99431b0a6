//! `file:` URIs and paths. Only `file:` documents are analysed; other schemes (an unsaved
//! buffer's `untitled:`) are analysed as a file named after the URI, with imports resolved
//! against the working directory.

use std::path::{Path, PathBuf};

use lsp_types::Uri;

/// The path a document's URI names.
pub fn to_path(uri: &Uri) -> PathBuf {
    let s = uri.as_str();
    let Some(rest) = s.strip_prefix("file://") else {
        return PathBuf::from(s.replace(['/', ':'], "_"));
    };
    // `file:///C:/x` on Windows; `file://host/share` is left as written.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    PathBuf::from(decode(rest))
}

/// The `file:` URI of a path (absolute paths; a relative one is made absolute against the
/// working directory).
pub fn from_path(p: &Path) -> Option<Uri> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(p)
    };
    let mut s = String::from("file://");
    for b in abs.to_string_lossy().replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    if !s["file://".len()..].starts_with('/') {
        s.insert(7, '/');
    }
    s.parse().ok()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_spaces_and_non_ascii() {
        let p = Path::new("/tmp/my rules/été #1.trip");
        let u = from_path(p).unwrap();
        assert_eq!(
            u.as_str(),
            "file:///tmp/my%20rules/%C3%A9t%C3%A9%20%231.trip"
        );
        assert_eq!(to_path(&u), p);
        // A stray `%` is kept as written.
        assert_eq!(decode("/a%2"), "/a%2");
        assert_eq!(decode("/a%zz%41"), "/a%zzA");
    }
}
