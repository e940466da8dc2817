//! Method entries from survey taxonomy tables: any table whose header names a
//! category-like, a mechanism-like and an examples/methods column.

use super::html::TableGrid;
use super::record::MethodEntry;

const CATEGORY_WORDS: &[&str] = &[
    "category",
    "categories",
    "taxonomy",
    "domain",
    "domains",
    "area",
    "areas",
    "application",
    "applications",
    "type",
    "types",
    "class",
    "family",
    "group",
];
const MECHANISM_WORDS: &[&str] = &[
    "mechanism",
    "mechanisms",
    "technique",
    "techniques",
    "strategy",
    "strategies",
    "approach",
    "approaches",
    "paradigm",
    "paradigms",
    "principle",
];
const EXAMPLE_WORDS: &[&str] =
    &["example", "examples", "methods", "models", "representative", "works", "papers", "instances", "references"];

/// Column positions of a taxonomy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    category: usize,
    mechanism: usize,
    examples: usize,
}

/// Finds the three columns in a header row by its words; `None` for any other table.
fn taxonomy_columns(header: &[String]) -> Option<Columns> {
    let words_of = |cell: &str| -> Vec<String> {
        cell.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
    };
    let has = |cell: &str, vocabulary: &[&str]| words_of(cell).iter().any(|w| vocabulary.contains(&w.as_str()));
    let mut examples = None;
    let mut mechanism = None;
    let mut category = None;
    for (i, cell) in header.iter().enumerate() {
        if examples.is_none() && has(cell, EXAMPLE_WORDS) {
            examples = Some(i);
        } else if mechanism.is_none() && has(cell, MECHANISM_WORDS) {
            mechanism = Some(i);
        } else if category.is_none() && has(cell, CATEGORY_WORDS) {
            category = Some(i);
        }
    }
    Some(Columns { category: category?, mechanism: mechanism?, examples: examples? })
}

/// The method entries of a table, or none when it is not a taxonomy table.
pub fn method_entries(grid: &TableGrid, page_id: &str, table_label: Option<&str>) -> Vec<MethodEntry> {
    let Some((header, rows)) = grid.rows.split_first() else {
        return Vec::new();
    };
    let Some(cols) = taxonomy_columns(header) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    let mut category = String::new();
    let mut category_section: Option<String> = None;
    let mut mechanism = String::new();
    let mut mechanism_section: Option<String> = None;
    for row in rows {
        let cell = |i: usize| row.get(i).map(String::as_str).unwrap_or("").trim();
        let (cat, cat_section) = split_section(cell(cols.category));
        if !cat.is_empty() {
            category = cat;
            category_section = cat_section;
        } else if cat_section.is_some() {
            // `(Section 3)` under a category continues it.
            category_section = cat_section;
        }
        let (mech, mech_section) = split_section(cell(cols.mechanism));
        if !mech.is_empty() {
            mechanism = mech;
            mechanism_section = mech_section;
        }
        if category.is_empty() {
            continue;
        }
        for (name, citation, year) in split_examples(cell(cols.examples)) {
            entries.push(MethodEntry {
                page_id: page_id.to_owned(),
                name,
                citation,
                year,
                category: category.clone(),
                mechanism: mechanism.clone(),
                section: mechanism_section.clone().or_else(|| category_section.clone()),
                table_label: table_label.map(str::to_owned),
            });
        }
    }
    entries
}

/// `Instruction (Sec. 3.1)` → (`Instruction`, `3.1`); `(Section 3)` → (``, `3`).
/// A parenthetical that is not a section reference stays in the text.
fn split_section(cell: &str) -> (String, Option<String>) {
    let cell = cell.trim();
    if let Some(open) = cell.rfind('(')
        && let Some(inner) = cell[open + 1..].strip_suffix(')')
    {
        let inner = inner.trim();
        let number = ["Sections", "Section", "Sec.", "Sec", "§"]
            .iter()
            .find_map(|p| inner.strip_prefix(p))
            .map(|n| n.trim().trim_end_matches('.'))
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'));
        if let Some(n) = number {
            return (cell[..open].trim().to_owned(), Some(n.to_owned()));
        }
    }
    (cell.to_owned(), None)
}

/// Splits an examples cell into (name, citation, year) entries.
///
/// `CGSMP Yong et al. (2023), ModICT Li et al. (2024c)` gives two entries; an entry
/// with no model name (`Wu et al. (2024b)`) takes the citation's author part as name.
fn split_examples(cell: &str) -> Vec<(String, String, Option<u16>)> {
    let mut entries = Vec::new();
    let mut rest = cell;
    while let Some((before, year, after)) = next_citation_year(rest) {
        let text = before.trim().trim_start_matches([',', ';']).trim();
        if !text.is_empty() {
            let (name, authors) = split_name_authors(text);
            let citation = format!("{authors} ({year})");
            let digits: String = year.chars().take(4).collect();
            entries.push((name.unwrap_or_else(|| authors.clone()), citation, digits.parse().ok()));
        }
        rest = after;
    }
    // Names with no citations: `GPT-4, LLaVA`.
    for piece in rest.split([',', ';']) {
        let piece = piece.trim();
        if !piece.is_empty() && piece.chars().any(char::is_alphanumeric) {
            entries.push((piece.to_owned(), String::new(), None));
        }
    }
    entries
}

/// Finds the next `(YYYY)` or `(YYYYa)`: the text before it, the year text and the rest.
fn next_citation_year(text: &str) -> Option<(&str, &str, &str)> {
    let mut search = 0;
    while let Some(open) = text[search..].find('(').map(|i| i + search) {
        let inner_start = open + 1;
        if let Some(close) = text[inner_start..].find(')').map(|i| i + inner_start) {
            let inner = &text[inner_start..close];
            let bytes = inner.as_bytes();
            let is_year = bytes.len() >= 4
                && bytes.len() <= 5
                && bytes[..4].iter().all(u8::is_ascii_digit)
                && bytes[4..].iter().all(u8::is_ascii_lowercase);
            if is_year {
                return Some((&text[..open], inner, &text[close + 1..]));
            }
            search = close + 1;
        } else {
            return None;
        }
    }
    None
}

/// Splits `CGSMP Yong et al.` into (`CGSMP`, `Yong et al.`) and `InteraRec Karra and
/// Tulabandhula` into (`InteraRec`, `Karra and Tulabandhula`).
fn split_name_authors(text: &str) -> (Option<String>, String) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let n = words.len();
    // Index of the first word of the author part.
    let two_part = n >= 3
        && ((words[n - 2] == "et" && words[n - 1].starts_with("al")) || words[n - 2] == "and" || words[n - 2] == "&");
    let author_start = if two_part { n - 3 } else { n - 1 };
    // Surname particles (`van der Berg`) belong to the author.
    let mut start = author_start;
    while start > 0 && is_particle(words[start - 1]) {
        start -= 1;
    }
    let name = words[..start].join(" ");
    let authors = words[start..].join(" ");
    ((!name.is_empty()).then_some(name), authors)
}

fn is_particle(word: &str) -> bool {
    matches!(word, "van" | "von" | "de" | "der" | "den" | "del" | "da" | "di" | "le" | "la" | "du")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_cell_gives_entries() {
        let got = split_examples("CGSMP Yong et al. (2023), ModICT Li et al. (2024c)");
        assert_eq!(
            got,
            vec![
                ("CGSMP".into(), "Yong et al. (2023)".into(), Some(2023)),
                ("ModICT".into(), "Li et al. (2024c)".into(), Some(2024)),
            ]
        );
        let got =
            split_examples("InteraRec Karra and Tulabandhula (2024), Wu et al. (2024b), Athena 3.0 Fan et al. (2023)");
        assert_eq!(got[0], ("InteraRec".into(), "Karra and Tulabandhula (2024)".into(), Some(2024)));
        assert_eq!(got[1], ("Wu et al.".into(), "Wu et al. (2024b)".into(), Some(2024)));
        assert_eq!(got[2], ("Athena 3.0".into(), "Fan et al. (2023)".into(), Some(2023)));
        assert_eq!(split_examples("Wang (2023)")[0], ("Wang".into(), "Wang (2023)".into(), Some(2023)));
        assert_eq!(split_examples("GPT-4, LLaVA").len(), 2);
    }

    #[test]
    fn sections_split_off() {
        assert_eq!(split_section("Instruction (Sec. 3.1)"), ("Instruction".into(), Some("3.1".into())));
        assert_eq!(split_section("(Section 3)"), ("".into(), Some("3".into())));
        assert_eq!(split_section("Retrieval (dense)"), ("Retrieval (dense)".into(), None));
    }

    #[test]
    fn header_words_pick_columns() {
        let header = |cells: &[&str]| cells.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            taxonomy_columns(&header(&["Category", "General Mechanism", "Example Models and Methods"])),
            Some(Columns { category: 0, mechanism: 1, examples: 2 })
        );
        assert_eq!(taxonomy_columns(&header(&["Method", "Label", "Paper", "Year", "Task"])), None);
        assert_eq!(taxonomy_columns(&header(&["Dataset", "Language", "Question Type", "Size"])), None);
    }
}
