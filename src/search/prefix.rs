//! Prefix words (`phys*`): every indexed term that starts with the prefix, found by
//! walking the term dictionary with a prefix automaton (no regex to compile), scored as
//! a constant like other multi-term queries.

use std::sync::Arc;

use tantivy::query::{AutomatonWeight, EnableScoring, Query, Weight};
use tantivy::schema::Field;
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

/// All documents with a term in `field` that starts with `prefix`.
#[derive(Debug, Clone)]
pub struct PrefixQuery {
    field: Field,
    automaton: Arc<PrefixAutomaton>,
}

impl PrefixQuery {
    pub fn new(field: Field, prefix: &str) -> Self {
        PrefixQuery { field, automaton: Arc::new(PrefixAutomaton(prefix.as_bytes().to_vec())) }
    }
}

impl Query for PrefixQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<PrefixAutomaton>::new(self.field, Arc::clone(&self.automaton))))
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

    #[test]
    fn prefix_automaton() {
        assert!(matches("phys", "physic"));
        assert!(matches("phys", "phys"));
        assert!(!matches("phys", "phy"));
        assert!(!matches("phys", "aphys"));
        assert!(matches("모", "모델"));
    }
}
