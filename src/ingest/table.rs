//! The body of a `{{< table-caption >}}` block, Markdown or HTML, as a grid of cell texts.

use super::html::{self, TableGrid};
use super::text::inline_text;

/// Parses a table block: HTML when it holds a `<table`, else a Markdown pipe table.
pub fn parse_table(block: &str) -> TableGrid {
    if block.contains("<table") { html::html_table(block) } else { markdown_table(block) }
}

/// A Markdown pipe table; the `|---|` separator row is dropped, leading pipes optional.
fn markdown_table(block: &str) -> TableGrid {
    let mut rows = Vec::new();
    for line in block.lines() {
        let line = line.trim();
        if !line.contains('|') {
            continue;
        }
        let cells = split_cells(line);
        if cells.iter().all(|c| is_separator(c)) {
            continue;
        }
        let row: Vec<String> = cells.iter().map(|c| inline_text(c)).collect();
        if row.iter().any(|c| !c.is_empty()) {
            rows.push(row);
        }
    }
    TableGrid { rows }
}

/// Splits a pipe-table row on unescaped pipes outside code spans.
fn split_cells(line: &str) -> Vec<&str> {
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = line.strip_suffix('|').filter(|l| !l.ends_with('\\')).unwrap_or(line);
    let mut cells = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    let mut in_code = false;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'\\' if !escaped => {
                escaped = true;
                continue;
            }
            b'`' if !escaped => in_code = !in_code,
            b'|' if !escaped && !in_code => {
                cells.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        escaped = false;
    }
    cells.push(&line[start..]);
    cells
}

fn is_separator(cell: &str) -> bool {
    let c = cell.trim();
    !c.is_empty() && c.contains('-') && c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_rows_without_separator() {
        let grid = parse_table("| A | **B** |\n|---|:-:|\n| 1 | x \\| y |\nC|D\n");
        assert_eq!(grid.rows, vec![vec!["A", "B"], vec!["1", "x | y"], vec!["C", "D"]]);
    }

    #[test]
    fn html_when_a_table_tag_is_there() {
        let grid = parse_table("<br><table id='0'><tr><td>a</td><td>b</td></tr></table>");
        assert_eq!(grid.rows, vec![vec!["a", "b"]]);
    }
}
