//! Builds the RE2 shim when RE2's headers are installed (Debian: `libre2-dev`); otherwise
//! the crate is built without RE2 and `re2::Regex::new` says so (tests then skip loudly).

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src/re2_shim.cc");
    println!("cargo:rustc-check-cfg=cfg(have_re2)");
    let header = ["/usr/include/re2/re2.h", "/usr/local/include/re2/re2.h"]
        .iter()
        .any(|p| Path::new(p).exists());
    if !header {
        println!("cargo:warning=RE2 headers not found (apt-get install libre2-dev): RE2 checks will skip");
        return;
    }
    cc::Build::new()
        .cpp(true)
        .file("src/re2_shim.cc")
        .flag_if_supported("-std=c++17")
        .compile("tripline_re2_shim");
    println!("cargo:rustc-link-lib=re2");
    println!("cargo:rustc-cfg=have_re2");
}
