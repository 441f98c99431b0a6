//! Real regex engines for tripline's tests.
//!
//! - [`re2`]: Google's RE2 (Debian's `libre2`), the engine behind KQL's `matches regex`.
//! - [`pcre2`]: PCRE2 (the `pcre2` crate builds the real library), the engine family of
//!   Splunk's `match()` / `regex` and of Sigma's `re` modifier.

/// RE2 through a small C++ shim.
pub mod re2 {
    #[cfg(have_re2)]
    mod ffi {
        use std::os::raw::{c_char, c_int, c_void};
        extern "C" {
            pub fn tripline_re2_new(
                pattern: *const c_char,
                len: usize,
                err: *mut c_char,
                err_len: usize,
            ) -> *mut c_void;
            pub fn tripline_re2_search(re: *const c_void, text: *const c_char, len: usize)
                -> c_int;
            pub fn tripline_re2_free(re: *mut c_void);
        }
    }

    /// Whether this build has RE2 (RE2's headers were found when it was built).
    pub const AVAILABLE: bool = cfg!(have_re2);

    /// A compiled RE2 pattern.
    pub struct Regex {
        #[cfg(have_re2)]
        ptr: *mut std::os::raw::c_void,
    }

    impl Regex {
        /// Compile with RE2's default options; `Err` carries RE2's message.
        #[cfg(have_re2)]
        pub fn new(pattern: &str) -> Result<Regex, String> {
            let mut err = vec![0u8; 512];
            // SAFETY: the pointers and lengths describe live buffers for the whole call.
            let ptr = unsafe {
                ffi::tripline_re2_new(
                    pattern.as_ptr().cast(),
                    pattern.len(),
                    err.as_mut_ptr().cast(),
                    err.len(),
                )
            };
            if ptr.is_null() {
                let end = err.iter().position(|&b| b == 0).unwrap_or(err.len());
                return Err(String::from_utf8_lossy(&err[..end]).into_owned());
            }
            Ok(Regex { ptr })
        }

        /// Without RE2 every pattern is an error.
        #[cfg(not(have_re2))]
        pub fn new(_pattern: &str) -> Result<Regex, String> {
            Err("RE2 is not available in this build (install libre2-dev)".into())
        }

        /// An unanchored search, as `matches regex` does.
        #[cfg(have_re2)]
        pub fn is_match(&self, text: &str) -> bool {
            // SAFETY: `ptr` is a live RE2 object; the text buffer lives for the call.
            unsafe { ffi::tripline_re2_search(self.ptr, text.as_ptr().cast(), text.len()) != 0 }
        }

        /// Without RE2 nothing matches (never reached: `new` fails).
        #[cfg(not(have_re2))]
        pub fn is_match(&self, _text: &str) -> bool {
            false
        }
    }

    #[cfg(have_re2)]
    impl Drop for Regex {
        fn drop(&mut self) {
            // SAFETY: `ptr` came from tripline_re2_new and is freed once.
            unsafe { ffi::tripline_re2_free(self.ptr) }
        }
    }
}

/// PCRE2, with the options a target's engine uses.
pub mod pcre2 {
    pub use pcre2::bytes::{Regex, RegexBuilder};

    /// Compile `pattern` in UTF mode (as Splunk and Sigma engines read UTF-8 text), with
    /// Unicode properties for `\d`, `\w`, `\b` and case folding when `ucp`.
    pub fn compile(pattern: &str, ucp: bool) -> Result<Regex, String> {
        RegexBuilder::new()
            .utf(true)
            .ucp(ucp)
            .build(pattern)
            .map_err(|e| e.to_string())
    }

    /// An unanchored search.
    pub fn is_match(re: &Regex, text: &str) -> bool {
        re.is_match(text.as_bytes()).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn re2_rejects_nested_repetition() {
        if !super::re2::AVAILABLE {
            eprintln!("SKIP: RE2 not available");
            return;
        }
        assert!(super::re2::Regex::new("xa++a").is_err());
        let re = super::re2::Regex::new("(?i)x(a+)+a").unwrap();
        assert!(re.is_match("XAA"));
    }

    #[test]
    fn pcre2_possessive() {
        let re = super::pcre2::compile("xa++a", false).unwrap();
        assert!(!super::pcre2::is_match(&re, "xaa"));
    }
}
