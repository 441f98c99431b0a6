//! The prefilter: which rules an event's raw text can possibly match, found with one
//! Aho-Corasick pass over the text for every rule's required literals
//! ([`super::literals`]). A rule that is not a candidate cannot match the event, so it is
//! not evaluated; the evaluator still decides every candidate.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::literals::{Alternatives, FOLDS_TO_ASCII};

/// Up to this many patterns the automaton is a DFA.
const DFA_PATTERNS: usize = 500;

/// The literal automaton over a fixed list of consumers (rules, or other users of events).
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    /// Per pattern: the consumers it admits.
    by_pattern: Vec<Vec<u32>>,
    /// Consumers without literals: candidates for every event.
    always: Vec<u32>,
    consumers: usize,
}

/// Per-thread scratch space for [`Prefilter::candidates`].
#[derive(Default)]
pub struct Scratch {
    stamp: Vec<u32>,
    generation: u32,
}

impl Prefilter {
    /// A prefilter for consumers `0..sets.len()`, consumer `i` requiring one of `sets[i]`
    /// (`None`: no requirement).
    pub fn new(sets: &[Option<Alternatives>]) -> Prefilter {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut by_pattern: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        for (i, set) in sets.iter().enumerate() {
            let Some(set) = set else {
                always.push(i as u32);
                continue;
            };
            for lit in set {
                let id = *index.entry(lit.clone()).or_insert_with(|| {
                    patterns.push(lit.clone());
                    by_pattern.push(Vec::new());
                    patterns.len() - 1
                });
                if by_pattern[id].last() != Some(&(i as u32)) {
                    by_pattern[id].push(i as u32);
                }
            }
        }
        let ac = (!patterns.is_empty()).then(|| {
            // A DFA is fastest but grows with the patterns: past a few hundred (the
            // SigmaHQ library has thousands) a contiguous NFA keeps memory small.
            let kind = if patterns.len() <= DFA_PATTERNS {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            };
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                .build(&patterns)
                .expect("literal patterns are plain byte strings")
        });
        Prefilter {
            ac,
            by_pattern,
            always,
            consumers: sets.len(),
        }
    }

    /// Number of distinct literal patterns.
    pub fn patterns(&self) -> usize {
        self.by_pattern.len()
    }

    /// The consumers that may match the event whose JSON text is `line`, in increasing
    /// order, into `out`.
    pub fn candidates(&self, line: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
        out.clear();
        if !plain(line) {
            out.extend(0..self.consumers as u32);
            return;
        }
        out.extend_from_slice(&self.always);
        if let Some(ac) = &self.ac {
            if scratch.stamp.len() != self.consumers {
                scratch.stamp = vec![0; self.consumers];
                scratch.generation = 0;
            }
            scratch.generation = scratch.generation.wrapping_add(1);
            if scratch.generation == 0 {
                scratch.stamp.iter_mut().for_each(|s| *s = 0);
                scratch.generation = 1;
            }
            let g = scratch.generation;
            for m in ac.find_overlapping_iter(line) {
                for &c in &self.by_pattern[m.pattern().as_usize()] {
                    let s = &mut scratch.stamp[c as usize];
                    if *s != g {
                        *s = g;
                        out.push(c);
                    }
                }
            }
        }
        out.sort_unstable();
    }
}

/// Whether `line` writes every character plainly: no `\uXXXX` or `\/` escape, and none of
/// the non-ASCII letters that fold to ASCII. Only such a line may be prefiltered.
pub fn plain(line: &[u8]) -> bool {
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &line[i..]) {
        let j = i + at;
        match line.get(j + 1) {
            Some(b'u') | Some(b'/') => return false,
            _ => i = j + 2,
        }
        if i >= line.len() {
            break;
        }
    }
    if line.is_ascii() {
        return true;
    }
    let text = String::from_utf8_lossy(line);
    !text.chars().any(|c| FOLDS_TO_ASCII.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_read_pairwise() {
        assert!(plain(br#"{"a":"C:\\Users\\x"}"#));
        assert!(!plain(br#"{"a":"\u0041"}"#));
        assert!(!plain(br#"{"a":"a\/b"}"#));
        assert!(!plain(br#"{"a":"\\\u0041"}"#));
        assert!(plain(br#"{"a":"\\\\u"}"#));
        assert!(!plain("{\"a\":\"\u{212a}\"}".as_bytes()));
        assert!(plain("{\"a\":\"ä\"}".as_bytes()));
    }

    #[test]
    fn candidates_are_the_consumers_whose_literal_occurs() {
        let p = Prefilter::new(&[
            Some(vec![b"cmd.exe".to_vec()]),
            None,
            Some(vec![b"powershell".to_vec(), b"pwsh".to_vec()]),
        ]);
        let mut s = Scratch::default();
        let mut out = Vec::new();
        p.candidates(br#"{"Image":"C:\\PWSH.exe"}"#, &mut s, &mut out);
        assert_eq!(out, vec![1, 2]);
        p.candidates(br#"{"Image":"cmd.exe"}"#, &mut s, &mut out);
        assert_eq!(out, vec![0, 1]);
        p.candidates(br#"{"Image":"\u0063md.exe"}"#, &mut s, &mut out);
        assert_eq!(out, vec![0, 1, 2]);
    }
}
