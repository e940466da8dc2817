//! Automata over the term dictionary for words that stand for many terms: prefix words
//! (`phys*`) and typo-tolerant words (`--fuzzy`). `expand` runs them to find the terms.

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
    fn prefix_automaton() {
        assert!(matches("phys", "physic"));
        assert!(matches("phys", "phys"));
        assert!(!matches("phys", "phy"));
        assert!(!matches("phys", "aphys"));
        assert!(matches("모", "모델"));
    }
}
