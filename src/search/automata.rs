//! Automata over the term dictionary for words that stand for many terms: prefix words
//! (`phys*`) and typo-tolerant words (`--fuzzy`), and the typos of an ASCII word spelled
//! out one by one. `expand` runs them to find the terms.

use std::fmt;
use std::sync::LazyLock;

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder};
use tantivy_fst::Automaton;

/// Matches byte strings that start with a prefix.
#[derive(Debug, Clone)]
pub struct PrefixAutomaton(Vec<u8>);

impl Automaton for PrefixAutomaton {
    /// Bytes of the prefix matched so far; `None` once a byte differs.
    type State = Option<usize>;

    fn start(&self) -> Option<usize> {
        Some(0)
    }

    fn is_match(&self, state: &Option<usize>) -> bool {
        state.is_some_and(|n| n >= self.0.len())
    }

    fn can_match(&self, state: &Option<usize>) -> bool {
        state.is_some()
    }

    fn will_always_match(&self, state: &Option<usize>) -> bool {
        self.is_match(state)
    }

    fn accept(&self, state: &Option<usize>, byte: u8) -> Option<usize> {
        match *state {
            Some(n) if n >= self.0.len() => Some(n),
            Some(n) if self.0[n] == byte => Some(n + 1),
            _ => None,
        }
    }
}

impl PrefixAutomaton {
    pub fn new(prefix: &str) -> Self {
        PrefixAutomaton(prefix.as_bytes().to_vec())
    }
}

/// Matches byte strings within one edit (a transposition counts as one) of a word.
pub struct TypoAutomaton(DFA);

/// Building the Levenshtein tables is the slow part; they serve every word.
static ONE_EDIT: LazyLock<LevenshteinAutomatonBuilder> = LazyLock::new(|| LevenshteinAutomatonBuilder::new(1, true));

impl TypoAutomaton {
    pub fn new(word: &str) -> Self {
        TypoAutomaton(ONE_EDIT.build_dfa(word))
    }
}

impl fmt::Debug for TypoAutomaton {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TypoAutomaton")
    }
}

impl Automaton for TypoAutomaton {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// What a word as written is made of once lower-cased and folded to ASCII: the letters a
/// typo in an ASCII word puts in or changes a letter to.
const ASCII_WORD_BYTES: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Whether `word` is made of lower-case ASCII letters and digits only, as the words as
/// written of English text are: [`each_ascii_typo`] spells out all its typos.
pub fn is_ascii_word(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| ASCII_WORD_BYTES.contains(&b))
}

/// Calls `each` with every ASCII word one edit from `word` (a letter dropped, changed or
/// put in, or two neighbours swapped) whose edit comes at or before byte `edits_up_to`,
/// that is, that starts with `word[..edits_up_to]`. A word may come more than once, and
/// `word` itself is never one.
///
/// A word of n letters has about 73 n such typos: looking each up in the term dictionary
/// reads a few nodes of it, where running [`TypoAutomaton`] over the dictionary reads
/// every branch of every node within one edit of the word.
pub fn each_ascii_typo(word: &[u8], edits_up_to: usize, mut each: impl FnMut(&[u8])) {
    let n = word.len();
    let last = edits_up_to.min(n);
    let mut typo = Vec::with_capacity(n + 1);
    for at in 0..=last {
        // Dropped.
        if at < n {
            typo.clear();
            typo.extend_from_slice(&word[..at]);
            typo.extend_from_slice(&word[at + 1..]);
            each(&typo);
        }
        // Swapped with the next.
        if at + 1 < n && word[at] != word[at + 1] {
            typo.clear();
            typo.extend_from_slice(word);
            typo.swap(at, at + 1);
            each(&typo);
        }
        // Changed.
        if at < n {
            typo.clear();
            typo.extend_from_slice(word);
            for &b in ASCII_WORD_BYTES.iter().filter(|&&b| b != word[at]) {
                typo[at] = b;
                each(&typo);
            }
        }
        // Put in.
        typo.clear();
        typo.extend_from_slice(&word[..at]);
        typo.push(0);
        typo.extend_from_slice(&word[at..]);
        for &b in ASCII_WORD_BYTES {
            typo[at] = b;
            each(&typo);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(prefix: &str, word: &str) -> bool {
        let a = PrefixAutomaton(prefix.as_bytes().to_vec());
        let mut state = a.start();
        for b in word.bytes() {
            state = a.accept(&state, b);
        }
        a.is_match(&state)
    }

    fn within_one_edit(word: &str, other: &str) -> bool {
        let a = TypoAutomaton::new(word);
        let mut state = a.start();
        for b in other.bytes() {
            state = a.accept(&state, b);
        }
        a.is_match(&state)
    }

    #[test]
    fn typo_automaton() {
        assert!(within_one_edit("physic", "physc"));
        assert!(within_one_edit("physic", "pyhsic"));
        assert!(!within_one_edit("physic", "pysc"));
    }

    #[test]
    fn ascii_typos_are_the_words_one_edit_away() {
        // Every word of one to five letters over a small alphabet, as the typos of those of
        // up to four: spelled out, exactly the words the automaton accepts.
        let mut words: Vec<String> = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..5 {
            words = words.iter().flat_map(|w| ["a", "b", "z", "0"].map(|l| format!("{w}{l}"))).collect();
            all.extend(words.iter().cloned());
        }
        for word in all.iter().filter(|w| w.len() <= 4) {
            let automaton = TypoAutomaton::new(word);
            let accepts = |other: &str| {
                let state = other.bytes().fold(automaton.start(), |s, b| automaton.accept(&s, b));
                automaton.is_match(&state)
            };
            let typos = |upto: usize| {
                let mut spelled = std::collections::BTreeSet::new();
                each_ascii_typo(word.as_bytes(), upto, |t| {
                    spelled.insert(String::from_utf8(t.to_vec()).unwrap());
                });
                spelled
            };
            let spelled = typos(word.len());
            assert!(spelled.iter().all(|t| accepts(t)), "{word}");
            for other in &all {
                assert_eq!(spelled.contains(other), other != word && accepts(other), "{word} → {other}");
            }
            // Edits up to a byte: every typo that does not start with the word's first
            // `upto + 1` bytes, and only typos.
            for upto in 0..word.len() {
                let kept = typos(upto);
                assert!(kept.is_subset(&spelled), "{word} up to {upto}");
                assert!(
                    spelled.iter().all(|t| t.starts_with(&word[..=upto]) || kept.contains(t)),
                    "{word} up to {upto}"
                );
            }
        }
    }

    #[test]
    fn prefix_automaton() {
        assert!(matches("phys", "physic"));
        assert!(matches("phys", "phys"));
        assert!(!matches("phys", "phy"));
        assert!(!matches("phys", "aphys"));
        assert!(matches("모", "모델"));
    }
}
