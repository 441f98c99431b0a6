//! Sigma's value-transforming modifiers, exactly as the Sigma specification (and pySigma,
//! its reference implementation) defines them, turned into the plain values they stand for:
//!
//! - `windash`: each `-` or `/` that is not preceded by a word character and is followed by
//!   one (`\B[-/]\b`) stands for any of `-`, `/`, `–` (en dash), `—` (em dash), `―`
//!   (horizontal bar): every combination is a value (at most three such characters per value).
//! - `wide` / `utf16le`, `utf16be`, `utf16` (UTF-16LE with the byte-order mark FF FE): the
//!   value's UTF-16 bytes, which only a following `base64` or `base64offset` can use.
//! - `base64`: the Base64 text of the value's bytes (UTF-8, or UTF-16 after `wide`…).
//! - `base64offset`: the three Base64 texts that occur inside the encoding of any longer
//!   data holding the value at offset 0, 1 or 2 modulo 3 (the first 0, 2 or 3 characters and
//!   the last 0, 3 or 2 characters dropped, by the data's length).
//! - `expand`: `%name%` placeholders replaced by the values a placeholders file gives them;
//!   an unresolved placeholder is a refusal (the specification leaves it to the deployment).
//!
//! Values with wildcards cannot be encoded (`base64*`), as in pySigma.

use indexmap::IndexMap;

/// Placeholder values for `expand` (`--placeholders FILE`).
pub type Placeholders = IndexMap<String, Vec<String>>;

/// The modifiers that transform values (applied in the order written, before the matching
/// modifier).
pub const TRANSFORMS: &[&str] = &[
    "windash",
    "wide",
    "utf16le",
    "utf16be",
    "utf16",
    "base64",
    "base64offset",
    "expand",
];

/// A value as text or, after an UTF-16 modifier, as bytes awaiting Base64.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Text(String),
    Bytes(Vec<u8>),
}

/// Apply `mods` (names from [`TRANSFORMS`], in order) to `values`. `Err` says why not.
pub fn apply(
    values: Vec<String>,
    mods: &[&str],
    placeholders: Option<&Placeholders>,
) -> Result<Vec<String>, String> {
    let mut vs: Vec<V> = values.into_iter().map(V::Text).collect();
    for m in mods {
        let mut out = Vec::new();
        for v in vs {
            match (*m, v) {
                ("windash", V::Text(s)) => out.extend(windash(&s)?.into_iter().map(V::Text)),
                ("wide" | "utf16le", V::Text(s)) => out.push(V::Bytes(utf16(&s, false, false))),
                ("utf16be", V::Text(s)) => out.push(V::Bytes(utf16(&s, true, false))),
                ("utf16", V::Text(s)) => out.push(V::Bytes(utf16(&s, false, true))),
                ("base64", v) => out.push(V::Text(b64(&bytes(v)?))),
                ("base64offset", v) => {
                    out.extend(base64offset(&bytes(v)?).into_iter().map(V::Text))
                }
                ("expand", V::Text(s)) => {
                    out.extend(expand(&s, placeholders)?.into_iter().map(V::Text))
                }
                (m, V::Bytes(_)) => {
                    return Err(format!(
                        "`{m}` after an UTF-16 modifier: only base64 and base64offset take UTF-16 bytes"
                    ))
                }
                (m, _) => return Err(format!("`{m}` is not a value modifier")),
            }
        }
        vs = out;
    }
    vs.into_iter()
        .map(|v| match v {
            V::Text(s) => Ok(s),
            V::Bytes(_) => Err(
                "an UTF-16 value must be Base64-encoded (`wide|base64offset`): a text field never holds the raw UTF-16 bytes"
                    .to_string(),
            ),
        })
        .collect()
}

fn has_wildcards(s: &str) -> bool {
    // A Sigma value's wildcards are `*` and `?` not escaped with a backslash.
    let mut esc = false;
    for c in s.chars() {
        if esc {
            esc = false;
            continue;
        }
        match c {
            '\\' => esc = true,
            '*' | '?' => return true,
            _ => {}
        }
    }
    false
}

/// The plain text of a Sigma value without wildcards (escapes resolved).
fn plain(s: &str) -> Result<String, String> {
    if has_wildcards(s) {
        return Err("a value with wildcards cannot be Base64-encoded".to_string());
    }
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.peek() {
                Some('*' | '?' | '\\') => out.push(it.next().unwrap_or('\\')),
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn bytes(v: V) -> Result<Vec<u8>, String> {
    match v {
        V::Text(s) => Ok(plain(&s)?.into_bytes()),
        V::Bytes(b) => Ok(b),
    }
}

fn utf16(s: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let text = plain(s).unwrap_or_else(|_| s.to_string());
    let mut out = Vec::new();
    if bom {
        out.extend([0xFF, 0xFE]);
    }
    for u in text.encode_utf16() {
        if big_endian {
            out.extend(u.to_be_bytes());
        } else {
            out.extend(u.to_le_bytes());
        }
    }
    out
}

/// Standard Base64 with padding.
fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64offset(data: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(data);
            let enc = b64(&padded);
            let cut = END[(data.len() + i) % 3];
            let end = enc.len().saturating_sub(cut).max(START[i]);
            enc[START[i]..end].to_string()
        })
        .collect()
}

/// The dash alternatives of `windash`.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

fn windash(s: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let at: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            matches!(chars[i], '-' | '/')
                && !word(i.checked_sub(1).and_then(|j| chars.get(j)))
                && word(chars.get(i + 1))
        })
        .collect();
    if at.len() > 3 {
        return Err(
            "windash expands at most three dashes in one value (as pySigma); split the value"
                .to_string(),
        );
    }
    let mut out = vec![chars.clone()];
    for &i in &at {
        let mut next = Vec::new();
        for v in &out {
            for d in DASHES {
                let mut w = v.clone();
                w[i] = d;
                next.push(w);
            }
        }
        out = next;
    }
    Ok(out.into_iter().map(|v| v.into_iter().collect()).collect())
}

fn expand(s: &str, placeholders: Option<&Placeholders>) -> Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let mut rest = s;
    while let Some(a) = rest.find('%') {
        let Some(b) = rest[a + 1..].find('%') else {
            break;
        };
        let name = &rest[a + 1..a + 1 + b];
        let Some(vals) = placeholders.and_then(|p| p.get(name)) else {
            return Err(format!(
                "the placeholder `%{name}%` has no values (give them with --placeholders FILE)"
            ));
        };
        let lit = &rest[..a];
        out = out
            .iter()
            .flat_map(|o| vals.iter().map(move |v| format!("{o}{lit}{v}")))
            .collect();
        rest = &rest[a + b + 2..];
    }
    Ok(out.into_iter().map(|o| o + rest).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_standard() {
        assert_eq!(b64(b""), "");
        assert_eq!(b64(b"f"), "Zg==");
        assert_eq!(b64(b"fo"), "Zm8=");
        assert_eq!(b64(b"foo"), "Zm9v");
        assert_eq!(b64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn base64offset_matches_pysigma() {
        // pySigma 2.0.1: SigmaBase64OffsetModifier on "/bin/bash".
        assert_eq!(
            apply(vec!["/bin/bash".into()], &["base64offset"], None).unwrap(),
            ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
        );
    }

    #[test]
    fn windash_expands_word_initial_dashes_only() {
        let v = apply(vec!["-enc a-b /c".into()], &["windash"], None).unwrap();
        assert_eq!(v.len(), 25);
        assert!(v.contains(&"/enc a-b -c".to_string()));
        assert!(v.contains(&"\u{2014}enc a-b \u{2015}c".to_string()));
        assert!(v.iter().all(|s| s.contains("a-b")));
        assert!(apply(vec!["-a -b -c -d".into()], &["windash"], None).is_err());
    }

    #[test]
    fn wide_needs_base64() {
        let v = apply(vec!["ab".into()], &["wide", "base64"], None).unwrap();
        assert_eq!(v, [b64(&[b'a', 0, b'b', 0])]);
        assert!(apply(vec!["ab".into()], &["wide"], None).is_err());
        let bom = apply(vec!["a".into()], &["utf16", "base64"], None).unwrap();
        assert_eq!(bom, [b64(&[0xFF, 0xFE, b'a', 0])]);
    }

    #[test]
    fn expand_needs_every_placeholder() {
        let mut p = Placeholders::new();
        p.insert("Admins".into(), vec!["root".into(), "admin".into()]);
        assert_eq!(
            apply(vec!["%Admins%@x".into()], &["expand"], Some(&p)).unwrap(),
            ["root@x", "admin@x"]
        );
        assert!(apply(vec!["%Other%".into()], &["expand"], Some(&p)).is_err());
    }
}
