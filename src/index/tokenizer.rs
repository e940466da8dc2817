//! The `paperdex` text analyzer: words split on anything that is not a letter or digit,
//! Hangul and CJK runs as overlapping bigrams (so `모델` finds `모델의` and `모델을`),
//! a lone Greek letter also spelled out (`β` is found by `beta`), then lower-casing,
//! ASCII folding and English stemming.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// The name the analyzer is registered under in the index.
pub const ANALYZER: &str = "paperdex";

/// Builds the analyzer every text field uses, at index and at query time.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The terms `text` is indexed under: the same analysis the index applies.
pub fn terms(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The terms of a prefix the user typed: analysed like indexed text but not stemmed, since
/// a word's beginning is not a word.
pub fn prefix_terms(text: &str) -> Vec<String> {
    let mut analyzer = TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Splits text into words and CJK bigrams.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordTokenizer;

pub struct WordTokenStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream {
        WordTokenStream { tokens: split(text).into_iter(), current: Token::default() }
    }
}

impl TokenStream for WordTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(t) => {
                self.current = t;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// Hangul, kana and CJK ideographs: scripts written without spaces between words (or,
/// for Korean, with particles attached), indexed as bigrams.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}'
        | '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

fn split(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut position = 0;
    let mut push = |tokens: &mut Vec<Token>, from: usize, to: usize, text: String| {
        tokens.push(Token { offset_from: from, offset_to: to, position, text, position_length: 1 });
        position += 1;
    };
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if !c.is_alphanumeric() {
            chars.next();
            continue;
        }
        if is_cjk(c) {
            let mut run: Vec<(usize, char)> = Vec::new();
            while let Some(&(i, c)) = chars.peek().filter(|(_, c)| is_cjk(*c)) {
                run.push((i, c));
                chars.next();
            }
            let end_of = |k: usize| run[k].0 + run[k].1.len_utf8();
            if run.len() == 1 {
                push(&mut tokens, start, end_of(0), run[0].1.to_string());
            }
            for k in 1..run.len() {
                push(&mut tokens, run[k - 1].0, end_of(k), format!("{}{}", run[k - 1].1, run[k].1));
            }
            continue;
        }
        let mut end = start;
        while let Some(&(i, c)) = chars.peek().filter(|(_, c)| c.is_alphanumeric() && !is_cjk(*c)) {
            end = i + c.len_utf8();
            chars.next();
        }
        let word = &text[start..end];
        match greek_name(word) {
            Some(name) => push(&mut tokens, start, end, name.to_owned()),
            None => push(&mut tokens, start, end, word.to_owned()),
        }
    }
    tokens
}

/// A word that is one Greek letter, spelled out: `β` → `beta`.
fn greek_name(word: &str) -> Option<&'static str> {
    let mut chars = word.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    const NAMES: [&str; 24] = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
        "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    ];
    let index = match c {
        'α'..='ρ' => c as usize - 'α' as usize,
        'ς' => 17,
        'σ'..='ω' => c as usize - 'α' as usize - 1,
        'Α'..='Ρ' => c as usize - 'Α' as usize,
        'Σ'..='Ω' => c as usize - 'Α' as usize - 1,
        'ϕ' => 20,
        'ϵ' => 4,
        'ϑ' => 7,
        _ => return None,
    };
    NAMES.get(index).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_punctuation() {
        assert_eq!(terms("fine-tuning GPT-4o Yo’LLaVA"), ["fine", "tune", "gpt", "4o", "yo", "llava"]);
        assert_eq!(terms("λ-ECLIPSE"), ["lambda", "eclips"]);
        assert_eq!(terms("β and Müller"), ["beta", "and", "muller"]);
    }

    #[test]
    fn korean_is_bigrams() {
        assert_eq!(terms("모델의"), ["모델", "델의"]);
        assert_eq!(terms("모델"), ["모델"]);
        assert_eq!(terms("LeviTor의 모델을"), ["levitor", "의", "모델", "델을"]);
    }

    #[test]
    fn greek_names() {
        assert_eq!(greek_name("ω"), Some("omega"));
        assert_eq!(greek_name("σ"), Some("sigma"));
        assert_eq!(greek_name("Λ"), Some("lambda"));
        assert_eq!(greek_name("αβ"), None);
    }
}
