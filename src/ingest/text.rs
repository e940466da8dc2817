//! Text clean-up shared by every record: mojibake repair, maths folding, and turning
//! Markdown, Hugo shortcodes and HTML into plain, whitespace-collapsed text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Parser, TagEnd};

use super::html;

/// The 128 non-ASCII characters of Mac Roman, mapped back to the byte they stand for.
static MAC_ROMAN: LazyLock<HashMap<char, u8>> = LazyLock::new(|| {
    let high: Vec<u8> = (0x80..=0xFF).collect();
    let (decoded, _) = encoding_rs::MACINTOSH.decode_without_bom_handling(&high);
    decoded.chars().zip(0x80..=0xFFu8).collect()
});

/// Normalises a whole source file once: restores UTF-8 text that was read as Mac Roman,
/// drops invisible maths operators and folds mathematical alphanumerics to plain letters.
pub fn normalize_source(text: &str) -> Cow<'_, str> {
    match repair_mojibake(text) {
        Cow::Borrowed(t) => fold_math(t),
        Cow::Owned(t) => Cow::Owned(fold_math(&t).into_owned()),
    }
}

/// Restores text that was UTF-8 read as Mac Roman (`ü§ó` → 🤗, `Œª` → λ).
///
/// Only runs of Mac Roman characters whose bytes form valid multi-byte UTF-8 sequences
/// are replaced, so genuine non-ASCII text (Müller, café, 한국어, a lone ü) stays.
pub fn repair_mojibake(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let map = &*MAC_ROMAN;
    let mut out = String::new();
    let mut copied_to = 0;
    let mut run_start: Option<usize> = None;
    let mut run: Vec<(usize, char, u8)> = Vec::new();
    let mut changed = false;
    let mut flush = |run: &mut Vec<(usize, char, u8)>, end: usize, out: &mut String, copied_to: &mut usize| {
        if run.len() >= 2 {
            let start = run[0].0;
            if let Some(repaired) = decode_run(run) {
                out.push_str(&text[*copied_to..start]);
                out.push_str(&repaired);
                *copied_to = end;
                changed = true;
            }
        }
        run.clear();
    };
    for (i, c) in text.char_indices() {
        // Hangul, CJK and most other scripts have no Mac Roman character: skip the lookup.
        let in_mac_roman =
            !c.is_ascii() && !('\u{0400}'..'\u{2000}').contains(&c) && !('\u{2700}'..'\u{F8FF}').contains(&c);
        match in_mac_roman.then(|| map.get(&c)).flatten() {
            Some(&b) => {
                run_start.get_or_insert(i);
                run.push((i, c, b));
            }
            None => {
                if run_start.take().is_some() {
                    flush(&mut run, i, &mut out, &mut copied_to);
                }
            }
        }
    }
    if run_start.is_some() {
        flush(&mut run, text.len(), &mut out, &mut copied_to);
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied_to..]);
    Cow::Owned(out)
}

/// Decodes the UTF-8 sequences hidden in one run of Mac Roman characters, keeping the
/// characters that do not start a valid sequence. `None` when nothing was restored.
fn decode_run(run: &[(usize, char, u8)]) -> Option<String> {
    let bytes: Vec<u8> = run.iter().map(|&(_, _, b)| b).collect();
    let mut out = String::with_capacity(bytes.len());
    let mut restored = false;
    let mut i = 0;
    while i < bytes.len() {
        let len = match bytes[i] {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        let decoded = (len > 0 && i + len <= bytes.len())
            .then(|| std::str::from_utf8(&bytes[i..i + len]).ok())
            .flatten()
            .and_then(|s| s.chars().next())
            // A C1 control is never what a writer meant: keep the original characters.
            .filter(|c| !('\u{80}'..='\u{9F}').contains(c));
        if let Some(c) = decoded {
            out.push(c);
            restored = true;
            i += len;
            continue;
        }
        out.push(run[i].1);
        i += 1;
    }
    restored.then_some(out)
}

/// Drops invisible operators (U+2061..U+2064) and folds mathematical alphanumerics
/// (`𝐼`, `𝛽`, `ℎ`) to their plain letters, so `Var` finds `V⁢a⁢r` and `β` finds `𝛽`.
pub fn fold_math(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_fold) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if ('\u{2061}'..='\u{2064}').contains(&c) {
            continue;
        }
        if is_math_letter(c) {
            unicode_normalization::char::decompose_compatible(c, |d| out.push(d));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_fold(c: char) -> bool {
    ('\u{2061}'..='\u{2064}').contains(&c) || is_math_letter(c)
}

fn is_math_letter(c: char) -> bool {
    ('\u{1D400}'..='\u{1D7FF}').contains(&c)
        || matches!(
            c,
            'ℂ' | 'ℊ'
                | 'ℋ'
                | 'ℌ'
                | 'ℍ'
                | 'ℎ'
                | 'ℐ'
                | 'ℑ'
                | 'ℒ'
                | 'ℓ'
                | 'ℕ'
                | 'ℙ'
                | 'ℚ'
                | 'ℛ'
                | 'ℜ'
                | 'ℝ'
                | 'ℤ'
                | 'ℨ'
                | 'ℬ'
                | 'ℭ'
                | 'ℯ'
                | 'ℰ'
                | 'ℱ'
                | 'ℳ'
                | 'ℴ'
        )
}

/// Collapses every run of white space (NBSP and zero-width spaces included) into one
/// space and trims the ends.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // Runs of ASCII that is not white space are copied whole: most of any text.
        let run = bytes[at..].iter().take_while(|b| b.is_ascii() && !is_ascii_space(**b)).count();
        let (word, width) = if run > 0 {
            (Some(&text[at..at + run]), run)
        } else {
            let c = text[at..].chars().next().expect("`at` is a char boundary inside the text");
            let space = c.is_whitespace() || matches!(c, '\u{200B}' | '\u{FEFF}');
            (if space { None } else { Some(&text[at..at + c.len_utf8()]) }, c.len_utf8())
        };
        match word {
            Some(word) => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push_str(word);
            }
            None => pending_space = !out.is_empty(),
        }
        at += width;
    }
    out
}

/// The ASCII characters `char::is_whitespace` takes for white space.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r')
}

/// Removes Hugo shortcodes (`{{< x >}}`, `{{% x %}}`) and unrendered template text
/// (`{{ table.caption }}`), keeping what stands between them.
pub fn strip_shortcodes(text: &str) -> Cow<'_, str> {
    if !text.contains("{{") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                // An unclosed `{{` is text, not a shortcode.
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Turns a Markdown fragment (with shortcodes and inline HTML) into plain text:
/// paragraphs are collapsed to single lines and separated by a blank line.
pub fn markdown_to_text(markdown: &str) -> String {
    let stripped = strip_shortcodes(markdown);
    if !stripped.contains(['*', '_', '`', '[', '<', '&', '\\', '#', '|', '>', '!', '~']) {
        return paragraphs(&stripped);
    }
    let mut raw = String::with_capacity(stripped.len());
    // Text events in a row, as one: a `**` left in the text is bold the grammar could not
    // pair (CommonMark does not close it between punctuation and a letter, as Korean
    // writes a particle right after the bold: `**대규모 비전 모델(LVM)**의`), and the
    // parser hands it over in pieces. Code keeps its own.
    let mut text = String::new();
    let flush = |text: &mut String, raw: &mut String| {
        if text.contains("**") {
            raw.push_str(&text.replace("**", ""));
        } else {
            raw.push_str(text);
        }
        text.clear();
    };
    for event in Parser::new(&stripped) {
        if let Event::Text(t) = &event {
            text.push_str(t);
            continue;
        }
        flush(&mut text, &mut raw);
        match event {
            Event::Text(t) | Event::Code(t) => raw.push_str(&t),
            Event::Html(h) | Event::InlineHtml(h) => {
                raw.push(' ');
                raw.push_str(&html::html_to_text(&h));
                raw.push(' ');
            }
            Event::SoftBreak | Event::HardBreak => raw.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::HtmlBlock,
            ) => raw.push_str("\n\n"),
            Event::End(TagEnd::TableCell) => raw.push(' '),
            _ => {}
        }
    }
    flush(&mut text, &mut raw);
    paragraphs(&raw)
}

/// Inline Markdown to one line of plain text.
pub fn inline_text(markdown: &str) -> String {
    collapse_whitespace(&markdown_to_text(markdown))
}

/// Splits on blank lines, collapses each paragraph and joins them with a blank line.
fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for para in text.split("\n\n") {
        let para = collapse_whitespace(para);
        if para.is_empty() || is_rule(&para) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&para);
    }
    out
}

/// A thematic break (`------`, `***`) left over from a section's end.
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && (t.chars().all(|c| c == '-') || t.chars().all(|c| c == '*') || t.chars().all(|c| c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_the_grammar_leaves_unpaired_is_still_bold() {
        assert_eq!(
            markdown_to_text("최근 **대규모 비전 모델(LVM)**의 발전은 **전처리 및 후처리 과정**의 개선"),
            "최근 대규모 비전 모델(LVM)의 발전은 전처리 및 후처리 과정의 개선"
        );
        assert_eq!(markdown_to_text("a **bold** word and `x**2` in code"), "a bold word and x**2 in code");
    }

    #[test]
    fn repairs_mac_roman_mojibake() {
        // 🤗 is F0 9F A4 97: the Apple logo (U+F8FF), ü, §, ó in Mac Roman.
        assert_eq!(repair_mojibake("\u{F8FF}ü§ó Daily Papers"), "🤗 Daily Papers");
        assert_eq!(repair_mojibake("Œª-ECLIPSE"), "λ-ECLIPSE");
        assert_eq!(repair_mojibake("Yo‚ÄôLLaVA"), "Yo’LLaVA");
        assert_eq!(repair_mojibake("\u{F8FF}üè¢ University"), "🏢 University");
        assert_eq!(repair_mojibake("Sections¬†3-6"), "Sections\u{a0}3-6");
    }

    #[test]
    fn every_mac_roman_character_is_looked_up() {
        // The fast path skips ranges that hold none of them.
        for c in MAC_ROMAN.keys() {
            assert!(
                !c.is_ascii() && !('\u{0400}'..'\u{2000}').contains(c) && !('\u{2700}'..'\u{F8FF}').contains(c),
                "{c:?}"
            );
        }
    }

    #[test]
    fn leaves_genuine_non_ascii_alone() {
        for s in
            ["Müller", "café", "한국어 모델의", "ü", "naïve “quoted” text", "🤗 Daily", "λ-ECLIPSE", "x ≤ y", "ü§ó"]
        {
            assert_eq!(repair_mojibake(s), s, "{s}");
        }
    }

    #[test]
    fn folds_maths() {
        assert_eq!(fold_math("V\u{2062}a\u{2062}r"), "Var");
        assert_eq!(fold_math("𝛽 and 𝐼"), "β and I");
        assert_eq!(fold_math("plain"), "plain");
    }

    #[test]
    fn markdown_becomes_plain_text() {
        assert_eq!(
            inline_text("**Personalized MLLM** *text* `code` [link](http://x)"),
            "Personalized MLLM text code link"
        );
        assert_eq!(inline_text("a&nbsp;b &amp; c"), "a b & c");
        assert_eq!(inline_text("{{< icon \"link\" >}} read <b>it</b>"), "read it");
        assert_eq!(inline_text("{{ table.description }}"), "");
        assert_eq!(markdown_to_text("one\ntwo\n\nthree"), "one two\n\nthree");
    }

    #[test]
    fn collapses_whitespace() {
        assert_eq!(collapse_whitespace("  a\u{a0}\n b\t"), "a b");
        assert_eq!(collapse_whitespace("a\u{200B}\u{FEFF}b\x0Bc\u{85}d é\u{3000}한"), "a b c d é 한");
    }

    proptest::proptest! {
        #[test]
        fn collapsing_whitespace_is_char_by_char(text in "[ a-z\t\n\\x0B\u{85}\u{a0}\u{200B}\u{FEFF}é한]{0,40}") {
            // The rule, one character at a time.
            let mut expected = String::new();
            let mut pending = false;
            for c in text.chars() {
                if c.is_whitespace() || matches!(c, '\u{200B}' | '\u{FEFF}') {
                    pending = !expected.is_empty();
                } else {
                    if pending {
                        expected.push(' ');
                        pending = false;
                    }
                    expected.push(c);
                }
            }
            proptest::prop_assert_eq!(collapse_whitespace(&text), expected);
        }
    }
}
