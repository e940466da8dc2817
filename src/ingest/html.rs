//! HTML to text: a streaming walk over html5gum tokens, so depth and size of the input
//! cost no stack and no tree. Keeps a formula's TeX `alttext` once and drops the rest of
//! the MathML; tables come out as rows of cells with row and column spans expanded.

use std::collections::BTreeMap;

use html5gum::{HtmlString, Token, Tokenizer};

use super::text::collapse_whitespace;

/// One table: rows of cell texts laid on a grid (spanned cells repeat as empty strings).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TableGrid {
    pub rows: Vec<Vec<String>>,
}

impl TableGrid {
    /// Cell text in reading order: cells joined by ` | `, rows by newlines, empty cells skipped.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
            if cells.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&cells.join(" | "));
        }
        out
    }
}

/// Plain text of an HTML fragment.
pub fn html_to_text(html: &str) -> String {
    let mut walker = Walker::default();
    walker.run(html);
    collapse_whitespace(&walker.text)
}

/// The first top-level table of an HTML fragment (LaTeXML tables included) as a grid.
pub fn html_table(html: &str) -> TableGrid {
    let mut walker = Walker::default();
    walker.run(html);
    walker.finish_row();
    TableGrid { rows: walker.rows }
}

/// Elements that do not break words: text on either side of them runs on.
fn is_inline(name: &[u8]) -> bool {
    matches!(
        name,
        b"b" | b"i"
            | b"em"
            | b"strong"
            | b"u"
            | b"s"
            | b"a"
            | b"small"
            | b"big"
            | b"font"
            | b"code"
            | b"sup"
            | b"sub"
            | b"mark"
            | b"abbr"
            | b"cite"
            | b"q"
            | b"tt"
    )
}

#[derive(Default)]
struct Walker {
    /// Text outside any table cell, and inside cells when no table is open.
    text: String,
    /// Depth inside elements whose content is never text (`math` after its alttext, `script`).
    skip_depth: usize,
    /// Depth of nested `<table>` elements; rows and cells count only at depth 1.
    table_depth: usize,
    rows: Vec<Vec<String>>,
    row: Option<Vec<String>>,
    cell: Option<String>,
    cell_colspan: usize,
    cell_rowspan: usize,
    /// Per column: how many more rows a rowspan above still covers.
    spans: Vec<usize>,
}

impl Walker {
    fn run(&mut self, html: &str) {
        for Ok(token) in Tokenizer::new(html) {
            match token {
                Token::StartTag(tag) => self.start(&tag.name, &tag.attributes, tag.self_closing),
                Token::EndTag(tag) => self.end(&tag.name),
                Token::String(s) if self.skip_depth == 0 => self.push(&String::from_utf8_lossy(&s)),
                _ => {}
            }
        }
        self.finish_cell();
    }

    fn push(&mut self, s: &str) {
        match (&mut self.cell, self.table_depth) {
            (Some(cell), d) if d >= 1 => cell.push_str(s),
            _ => self.text.push_str(s),
        }
    }

    fn start<V: std::ops::Deref<Target = HtmlString>>(
        &mut self,
        name: &HtmlString,
        attrs: &BTreeMap<HtmlString, V>,
        self_closing: bool,
    ) {
        let name: &[u8] = name;
        if self.skip_depth > 0 {
            if !self_closing && !is_void(name) {
                self.skip_depth += 1;
            }
            return;
        }
        let attr = |key: &str| -> Option<String> {
            attrs.iter().find(|(k, _)| ***k == *key.as_bytes()).map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        match name {
            b"math" => {
                if let Some(tex) = attr("alttext") {
                    self.push(" ");
                    self.push(&tex);
                    self.push(" ");
                }
                if !self_closing {
                    self.skip_depth = 1;
                }
                return;
            }
            b"script" | b"style" | b"annotation" | b"annotation-xml" | b"svg" | b"template" => {
                if !self_closing {
                    self.skip_depth = 1;
                }
                return;
            }
            b"table" => {
                self.table_depth += 1;
                if self.table_depth > 1 {
                    self.push(" ");
                }
                return;
            }
            b"tr" if self.table_depth == 1 => {
                self.finish_row();
                self.row = Some(Vec::new());
                return;
            }
            b"td" | b"th" if self.table_depth == 1 => {
                self.finish_cell();
                if self.row.is_none() {
                    self.row = Some(Vec::new());
                }
                let span = |key| attr(key).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, 1000);
                self.cell_colspan = span("colspan");
                self.cell_rowspan = span("rowspan");
                self.cell = Some(String::new());
                return;
            }
            _ => {}
        }
        if !is_inline(name) {
            self.push(" ");
        }
    }

    fn end(&mut self, name: &HtmlString) {
        let name: &[u8] = name;
        if self.skip_depth > 0 {
            self.skip_depth -= 1;
            return;
        }
        match name {
            b"table" => {
                if self.table_depth == 1 {
                    self.finish_row();
                }
                self.table_depth = self.table_depth.saturating_sub(1);
                self.push(" ");
            }
            b"tr" if self.table_depth == 1 => self.finish_row(),
            b"td" | b"th" if self.table_depth == 1 => self.finish_cell(),
            _ if !is_inline(name) => self.push(" "),
            _ => {}
        }
    }

    fn finish_cell(&mut self) {
        let Some(cell) = self.cell.take() else { return };
        let row = self.row.get_or_insert_with(Vec::new);
        // Skip the columns that a rowspan above still covers.
        while self.spans.get(row.len()).is_some_and(|&n| n > 0) {
            self.spans[row.len()] -= 1;
            row.push(String::new());
        }
        let col = row.len();
        row.push(collapse_whitespace(&cell));
        for _ in 1..self.cell_colspan {
            row.push(String::new());
        }
        let end = row.len();
        if self.spans.len() < end {
            self.spans.resize(end, 0);
        }
        for span in &mut self.spans[col..end] {
            *span = self.cell_rowspan - 1;
        }
    }

    fn finish_row(&mut self) {
        self.finish_cell();
        if let Some(mut row) = self.row.take() {
            // Columns to the right still covered by a rowspan.
            while self.spans.get(row.len()).is_some_and(|&n| n > 0) {
                self.spans[row.len()] -= 1;
                row.push(String::new());
            }
            if row.iter().any(|c| !c.is_empty()) {
                self.rows.push(row);
            }
        }
    }
}

fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"br"
            | b"img"
            | b"hr"
            | b"input"
            | b"meta"
            | b"link"
            | b"col"
            | b"area"
            | b"base"
            | b"wbr"
            | b"source"
            | b"mprescripts"
            | b"none"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_alttext_once_and_drops_mathml() {
        let html = r#"<td><math alttext="R^{2}" display="inline"><semantics><msup><mi>R</mi><mn>2</mn></msup><annotation encoding="application/x-tex">R^{2}</annotation></semantics></math> score</td>"#;
        assert_eq!(html_to_text(html), "R^{2} score");
    }

    #[test]
    fn table_rows_expand_spans() {
        let html = r#"<table><tr><td>Model</td><td>Method</td></tr><tr><td rowspan="2">Llama</td><td>0-shot</td></tr><tr><td>SFT</td></tr></table>"#;
        let grid = html_table(html);
        assert_eq!(grid.rows, vec![vec!["Model", "Method"], vec!["Llama", "0-shot"], vec!["", "SFT"]]);
        assert_eq!(grid.to_text(), "Model | Method\nLlama | 0-shot\nSFT");
    }

    #[test]
    fn entities_and_tags_become_text() {
        assert_eq!(html_to_text("a&nbsp;<b>b</b>&amp;<br>c"), "a b& c");
    }

    #[test]
    fn deep_nesting_is_linear() {
        let html = "<div>".repeat(100_000) + "deep" + &"</div>".repeat(100_000);
        assert_eq!(html_to_text(&html), "deep");
    }
}
