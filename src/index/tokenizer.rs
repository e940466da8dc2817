//! The `paperdex` text analyzer: words split on anything that is not a letter or digit,
//! Hangul and CJK runs as overlapping bigrams (so `모델` finds `모델의` and `모델을`),
//! a lone Greek letter also spelled out (`β` is found by `beta`), then lower-casing,
//! ASCII folding and English stemming.

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// The name the analyzer is registered under in the index.
pub const ANALYZER: &str = "paperdex";

/// The longest word indexed, in bytes: a longer one (a hash, a run of letters) is dropped.
pub const LONGEST_WORD: usize = 63;

/// Builds the analyzer every text field uses, at index and at query time.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(LONGEST_WORD + 1))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(CachedStemmer)
        .build()
}

/// The name of the analyzer of the unstemmed field.
pub const EXACT_ANALYZER: &str = "paperdex_exact";

/// The analyzer of the unstemmed field: the same words, lower-cased and folded only.
pub fn exact_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(LONGEST_WORD + 1))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers both analyzers on an index, as writing and searching it need them.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(ANALYZER, analyzer());
    index.tokenizers().register(EXACT_ANALYZER, exact_analyzer());
}

/// The terms `text` is indexed under: the same analysis the index applies.
pub fn terms(text: &str) -> Vec<String> {
    STEMMED.with(|a| tokens(&mut a.borrow_mut(), text))
}

thread_local! {
    // Built once per thread: building an analyzer costs more than analysing a word.
    static STEMMED: RefCell<TextAnalyzer> = RefCell::new(analyzer());
    static EXACT: RefCell<TextAnalyzer> = RefCell::new(exact_analyzer());
    static STEMS: RefCell<StemCache> = RefCell::new(StemCache::default());
}

/// English (Snowball) stemming, as tantivy's `Stemmer` filter does it, with each word's
/// stem remembered by the thread: most words of a text are words met before, and looking
/// one up costs a fraction of stemming it again (and of allocating the stem).
#[derive(Clone, Copy, Debug, Default)]
pub struct CachedStemmer;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter(tokenizer)
    }
}

#[derive(Clone)]
pub struct CachedStemmerFilter<T>(T);

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream(self.0.token_stream(text))
    }
}

pub struct CachedStemmerStream<T>(T);

impl<T: TokenStream> TokenStream for CachedStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let word = &mut self.0.token_mut().text;
        STEMS.with(|cache| cache.borrow_mut().stem(word));
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// A thread's stems by word, of at most [`StemCache::WORDS`] words: past that, a word not
/// remembered is stemmed each time it comes (a long run's rarest words), so memory stays
/// bounded (some 5 MB a thread).
struct StemCache {
    stemmer: frostem::Stemmer,
    /// The stem of each word remembered, `None` where the word is its own stem.
    stems: FxHashMap<Box<str>, Option<Box<str>>>,
}

impl Default for StemCache {
    fn default() -> Self {
        StemCache { stemmer: frostem::Stemmer::new(frostem::Algorithm::English), stems: FxHashMap::default() }
    }
}

impl StemCache {
    const WORDS: usize = 1 << 16;

    /// Replaces `word` by its stem.
    fn stem(&mut self, word: &mut String) {
        if let Some(stem) = self.stems.get(word.as_str()) {
            if let Some(stem) = stem {
                word.clear();
                word.push_str(stem);
            }
            return;
        }
        let stem = match self.stemmer.stem(word) {
            std::borrow::Cow::Borrowed(same) if same.len() == word.len() => None,
            stem => Some(Box::<str>::from(stem.as_ref())),
        };
        if self.stems.len() < Self::WORDS {
            self.stems.insert(word.as_str().into(), stem.clone());
        }
        if let Some(stem) = stem {
            word.clear();
            word.push_str(&stem);
        }
    }
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The terms `text` is indexed under, each with its position (the values a field holds
/// start [`VALUE_GAP`] on; a word too long to index leaves its position unused).
pub fn terms_at(text: &str) -> Vec<(usize, String)> {
    STEMMED.with(|a| {
        let mut analyzer = a.borrow_mut();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().position, stream.token().text.clone()));
        }
        out
    })
}

/// The terms `text` is indexed under in the unstemmed field.
pub fn exact_terms(text: &str) -> Vec<String> {
    EXACT.with(|a| tokens(&mut a.borrow_mut(), text))
}

/// Splits text into words and CJK bigrams.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordTokenizer;

/// Where a text's first word is: tantivy puts each value of a field one position after
/// the last, so each value starting this far on keeps the values, and the fields the
/// unstemmed field gathers, apart: a phrase with a slop under it never joins the end of
/// one to the start of the next (as Lucene's `positionIncrementGap`).
pub const VALUE_GAP: usize = 100;

/// Streams tokens without allocating per token: the token's text buffer is reused.
pub struct WordTokenStream<'a> {
    text: &'a str,
    /// The byte where reading goes on.
    pos: usize,
    token: Token,
    next_position: usize,
    /// The last character of a CJK run being read, and whether a bigram ended on it.
    cjk: Option<(usize, char, bool)>,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        WordTokenStream { text, pos: 0, token: Token::default(), next_position: VALUE_GAP, cjk: None }
    }
}

impl WordTokenStream<'_> {
    /// The character at byte `at` and the byte after it; ASCII without decoding.
    fn char_at(&self, at: usize) -> Option<(char, usize)> {
        let b = *self.text.as_bytes().get(at)?;
        if b.is_ascii() {
            return Some((b as char, at + 1));
        }
        let c = self.text[at..].chars().next()?;
        Some((c, at + c.len_utf8()))
    }

    fn emit(&mut self, from: usize, to: usize) {
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.next_position;
        self.token.position_length = 1;
        self.next_position += 1;
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some((start, c, emitted)) = self.cjk {
                match self.char_at(self.pos) {
                    Some((next, after)) if is_cjk(next) => {
                        let i = self.pos;
                        self.pos = after;
                        self.token.text.clear();
                        self.token.text.push(c);
                        self.token.text.push(next);
                        self.emit(start, after);
                        self.cjk = Some((i, next, true));
                        return true;
                    }
                    _ => {
                        self.cjk = None;
                        if !emitted {
                            // A lone CJK character is its own token.
                            self.token.text.clear();
                            self.token.text.push(c);
                            self.emit(start, start + c.len_utf8());
                            return true;
                        }
                    }
                }
            }
            let bytes = self.text.as_bytes();
            let (start, c) = loop {
                // Runs of ASCII punctuation and spaces are skipped a byte at a time.
                while self.pos < bytes.len() && bytes[self.pos].is_ascii() && !bytes[self.pos].is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                let Some((c, after)) = self.char_at(self.pos) else { return false };
                let at = self.pos;
                self.pos = after;
                if c.is_alphanumeric() {
                    break (at, c);
                }
            };
            if is_cjk(c) {
                self.cjk = Some((start, c, false));
                continue;
            }
            let mut end = self.pos;
            loop {
                if end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
                    end += 1;
                    continue;
                }
                match self.char_at(end) {
                    Some((c, after)) if !c.is_ascii() && c.is_alphanumeric() && !is_cjk(c) => end = after,
                    _ => break,
                }
            }
            self.pos = end;
            let word = &self.text[start..end];
            self.token.text.clear();
            self.token.text.push_str(greek_name(word).unwrap_or(word));
            // `15,937` is the number 15937: thousands separators join their groups, so
            // the number is found however it is written.
            if word.len() <= 3 && word.bytes().all(|b| b.is_ascii_digit()) {
                while let Some(group) = thousands_group(&self.text[end..]) {
                    self.token.text.push_str(group);
                    end += 1 + group.len();
                }
                self.pos = end;
            }
            self.emit(start, end);
            return true;
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The three digits after a thousands separator at the start of `rest` (`,937` in
/// `15,937 pages`), when they end the group: not `,9` nor `,9375`.
pub(crate) fn thousands_group(rest: &str) -> Option<&str> {
    let bytes = rest.as_bytes();
    let digits = bytes.get(1..4)?;
    let ends = bytes.get(4).is_none_or(|b| !b.is_ascii_alphanumeric());
    (bytes[0] == b',' && digits.iter().all(u8::is_ascii_digit) && ends).then(|| &rest[1..4])
}

/// Hangul, kana and CJK ideographs: scripts written without spaces between words (or,
/// for Korean, with particles attached), indexed as bigrams.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}'
        | '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
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
    fn thousands_separators_join_a_number() {
        assert_eq!(terms("15,937 pages"), ["15937", "page"]);
        assert_eq!(terms("1,234,567"), ["1234567"]);
        assert_eq!(terms("15937"), ["15937"]);
        assert_eq!(terms("1,2,3 and 2023,2024 and 3,4567"), ["1", "2", "3", "and", "2023", "2024", "and", "3", "4567"]);
        assert_eq!(terms("12,345x"), ["12", "345x"]);
    }

    #[test]
    fn words_split_on_punctuation() {
        assert_eq!(terms("fine-tuning GPT-4o Yo’LLaVA"), ["fine", "tune", "gpt", "4o", "yo", "llava"]);
        assert_eq!(terms("λ-ECLIPSE"), ["lambda", "eclips"]);
        assert_eq!(terms("β and Müller"), ["beta", "and", "muller"]);
    }

    #[test]
    fn offsets_and_positions() {
        let mut tokenizer = WordTokenizer;
        let mut stream = tokenizer.token_stream("a 모델의 b");
        let mut got = Vec::new();
        while stream.advance() {
            let t = stream.token();
            got.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        assert_eq!(
            got,
            [("a".into(), 0, 1, 0), ("모델".into(), 2, 8, 1), ("델의".into(), 5, 11, 2), ("b".into(), 12, 13, 3)]
                .map(|(t, from, to, at): (String, usize, usize, usize)| (t, from, to, VALUE_GAP + at))
        );
    }

    #[test]
    fn korean_is_bigrams() {
        assert_eq!(terms("모델의"), ["모델", "델의"]);
        assert_eq!(terms("모델"), ["모델"]);
        assert_eq!(terms("LeviTor의 모델을"), ["levitor", "의", "모델", "델을"]);
    }

    #[test]
    fn remembered_stems_are_the_stemmers() {
        let text = "running runs ran generative generation models modeling fruitlessly data datasets a";
        let mut plain = TextAnalyzer::builder(WordTokenizer)
            .filter(LowerCaser)
            .filter(tantivy::tokenizer::Stemmer::new(tantivy::tokenizer::Language::English))
            .build();
        let expected = tokens(&mut plain, text);
        // Once stemmed, once remembered.
        assert_eq!(terms(text), expected);
        assert_eq!(terms(text), expected);
        assert_eq!(terms("Running"), ["run"]);
    }

    #[test]
    fn greek_names() {
        assert_eq!(greek_name("ω"), Some("omega"));
        assert_eq!(greek_name("σ"), Some("sigma"));
        assert_eq!(greek_name("Λ"), Some("lambda"));
        assert_eq!(greek_name("αβ"), None);
    }
}
