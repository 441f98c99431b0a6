//! Stable identifiers for the documents a stateful rule adds: RFC 4122 name-based UUIDs,
//! version 5 (SHA-1), with the rule's own id as the namespace.
//!
//! `derived_id("9b7f2a8e-…", "sigma:correlation")` is what Python's
//! `uuid.uuid5(uuid.UUID("9b7f2a8e-…"), "sigma:correlation")` returns, so anyone can recompute
//! it. The `uuid` crate is built without its `v5` feature (and without a SHA-1 dependency),
//! so the digest is computed here; `uuid::Builder::from_sha1_bytes` then sets the version and
//! variant bits.

/// The name-based (v5) UUID of `name` in the namespace `namespace` (a UUID in text form), in
/// lower-case hyphenated form. `None` when `namespace` is not a UUID (the checker only lets
/// rules with a UUID `id` through).
pub(super) fn derived_id(namespace: &str, name: &str) -> Option<String> {
    let ns = uuid::Uuid::try_parse(namespace).ok()?;
    let mut data = ns.as_bytes().to_vec();
    data.extend_from_slice(name.as_bytes());
    let digest = sha1(&data);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Some(
        uuid::Builder::from_sha1_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string(),
    )
}

/// SHA-1 (FIPS 180-4) of `data`. Used only to derive identifiers, never for security.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha1_matches_the_fips_test_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        // 56 bytes: the padding needs a second block.
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&vec![b'a'; 1_000_000])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn derived_ids_are_python_uuid5() {
        // uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        assert_eq!(
            derived_id("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org").as_deref(),
            Some("886313e1-3b8a-5372-9b90-0c9aee199e5d")
        );
        assert_eq!(derived_id("not-a-uuid", "x"), None);
    }
}
