//! One review page, bytes to records: front matter, keyword and button shortcodes, the
//! review's sections, figure/chart/table captions and taxonomy method entries.

use std::path::Path;

use super::frontmatter::{self, FrontMatter};
use super::html::TableGrid;
use super::record::{Caption, CaptionKind, Insight, Link, MethodEntry, Page, PageRecords, Problem};
use super::table::parse_table;
use super::taxonomy::method_entries;
use super::text::{collapse_whitespace, inline_text, markdown_to_text, normalize_source};

/// What parsing one file gives: its records (none when the file is unusable) and problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFile {
    pub records: Option<PageRecords>,
    pub problems: Vec<Problem>,
}

/// Parses one file's bytes. `path` names the file in problems and gives the fallback id
/// (its folder) and language (`index.ko.md`).
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> ParsedFile {
    let shown = super::path::escape(path);
    let mut problems = Vec::new();
    let decoded = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
            problems.push(Problem::warning(&shown, Some(line), "invalid UTF-8, decoded with U+FFFD replacements"));
            String::from_utf8_lossy(bytes)
        }
    };
    if decoded.contains('\0') {
        let line = decoded.split('\0').next().map_or(1, |s| s.matches('\n').count() + 1);
        // The one problem of a file skipped as binary: how its text decoded is moot.
        let problems = vec![Problem::error(&shown, Some(line), "NUL bytes: this is a binary file, not a review page")];
        return ParsedFile { records: None, problems };
    }
    let text = decoded.strip_prefix('\u{FEFF}').unwrap_or(&decoded);
    let text = if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let text = normalize_source(&text);
    let (front, body, body_line) = match frontmatter::split(&text) {
        Ok(split) => split,
        Err(e) => {
            problems.push(Problem::error(&shown, Some(e.line), e.reason));
            return ParsedFile { records: None, problems };
        }
    };
    let mut reader = BodyReader::new(&shown, body_line, &mut problems);
    reader.read(body);
    let body_parts = reader.finish();
    if let Some(date) = front.date.as_deref().filter(|d| !d.trim().is_empty() && normalize_date(d).is_none()) {
        // Else the page would silently drop out of every date facet, filter and range.
        let line = text.lines().position(|l| l.trim_start().starts_with("date:")).map(|i| i + 1);
        problems.push(Problem::warning(
            &shown,
            line,
            format!(
                "the date `{}` is not a day of the calendar (YYYY-MM-DD); the page is indexed without a date",
                date.trim()
            ),
        ));
    }
    let page = build_page(path, &shown, bytes, front, &body_parts);
    let page_id = page.id.clone();
    let mut captions = body_parts.captions;
    let mut methods = body_parts.methods;
    for c in &mut captions {
        c.page_id.clone_from(&page_id);
    }
    for m in &mut methods {
        m.page_id.clone_from(&page_id);
    }
    ParsedFile { records: Some(PageRecords { page, captions, methods }), problems }
}

fn build_page(path: &Path, shown: &str, bytes: &[u8], front: FrontMatter, body: &Body) -> Page {
    let mut topics = Vec::new();
    let mut affiliations = Vec::new();
    let mut tag_dates = Vec::new();
    for tag in &front.tags {
        let tag = collapse_whitespace(tag);
        if let Some(org) = tag.strip_prefix('🏢') {
            affiliations.push(org.trim().to_owned());
        } else if let Some(date) = tag.strip_prefix('🔖').or_else(|| tag.strip_prefix('🤗')) {
            tag_dates.push(normalize_date(date.trim()).unwrap_or_else(|| date.trim().to_owned()));
        } else if !tag.is_empty() {
            topics.push(tag);
        }
    }
    let id = body.arxiv_id.clone().unwrap_or_else(|| id_from_path(path));
    let lang = lang_from_file_name(path).unwrap_or_else(|| detect_lang(body));
    Page {
        id,
        lang,
        title: inline_text(&front.title),
        summary: inline_text(&front.summary),
        categories: front.categories.iter().map(|c| collapse_whitespace(c)).filter(|c| !c.is_empty()).collect(),
        topics,
        affiliations,
        tag_dates,
        date: front.date.as_deref().and_then(normalize_date),
        review_date: body.review_date.clone(),
        authors: body.authors.clone(),
        links: body.links.clone(),
        tldr: body.tldr.clone(),
        takeaways: body.takeaways.clone(),
        why_it_matters: body.why_it_matters.clone(),
        insights: body.insights.clone(),
        source: shown.to_owned(),
        content_hash: blake3::hash(bytes).to_hex().to_string(),
    }
}

/// A page bundle (`2412.02142/index.md`, `index.ko.md`) is named by its folder; a loose
/// page (`notes/my-page.md`) by its file. A name of dots only (`..md`, `...md`) is
/// escaped (`\x2E`): an id that is `.` or `..` could not be asked for in a URL.
fn id_from_path(path: &Path) -> String {
    let stem = path.file_stem().map(super::path::escape_name).unwrap_or_default();
    let is_bundle = stem == "index" || stem.starts_with("index.");
    let id = match path.parent().and_then(|p| p.file_name()) {
        Some(folder) if is_bundle => super::path::escape_name(folder),
        _ => stem,
    };
    if !id.is_empty() && id.bytes().all(|b| b == b'.') { id.replace('.', "\\x2E") } else { id }
}

/// `index.ko.md` → `ko`.
fn lang_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let mut parts = name.split('.');
    let (_stem, lang, ext) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = parts.next().is_none()
        && (ext == "md" || ext == "txt")
        && (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase());
    valid.then(|| lang.to_owned())
}

/// The language of the review text from its script: Hangul gives `ko`, kana `ja`, Han
/// alone `zh`; otherwise `en`.
fn detect_lang(body: &Body) -> String {
    let (mut hangul, mut kana, mut han, mut latin) = (0usize, 0usize, 0usize, 0usize);
    let texts = [body.tldr.as_str(), body.why_it_matters.as_str()]
        .into_iter()
        .chain(body.takeaways.iter().map(String::as_str))
        .chain(body.captions.iter().map(|c| c.description.as_str()));
    for text in texts {
        for c in text.chars() {
            match c {
                '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' => hangul += 1,
                '\u{3040}'..='\u{30FF}' => kana += 1,
                '\u{4E00}'..='\u{9FFF}' => han += 1,
                c if c.is_ascii_alphabetic() => latin += 1,
                _ => {}
            }
        }
    }
    // One CJK character carries about as much as four Latin letters.
    let lang = if hangul * 4 > latin {
        "ko"
    } else if kana * 4 > latin {
        "ja"
    } else if han * 4 > latin {
        "zh"
    } else {
        "en"
    };
    lang.to_owned()
}

/// `2024-12-03`, `2024-12-03T10:00:00Z` or `24-10-29` → `2024-12-03` / `2024-10-29`.
pub fn normalize_date(text: &str) -> Option<String> {
    let text = text.trim();
    let head: String = text.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    let parts: Vec<&str> = head.split('-').collect();
    let [y, m, d] = parts[..] else { return None };
    let year: u32 = match y.len() {
        4 => y.parse().ok()?,
        2 => 2000 + y.parse::<u32>().ok()?,
        _ => return None,
    };
    let month: u32 = m.parse().ok()?;
    let day: u32 = d.parse().ok()?;
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    ((1..=12).contains(&month) && (1..=days).contains(&day) && d.len() <= 2 && m.len() <= 2)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// An arXiv identifier such as `2412.02142` or `2412.02142v2`.
fn is_arxiv_id(text: &str) -> bool {
    let (main, version) = match text.split_once('v') {
        Some((m, v)) => (m, Some(v)),
        None => (text, None),
    };
    let Some((yymm, num)) = main.split_once('.') else {
        return false;
    };
    yymm.len() == 4
        && yymm.bytes().all(|b| b.is_ascii_digit())
        && (4..=5).contains(&num.len())
        && num.bytes().all(|b| b.is_ascii_digit())
        && version.is_none_or(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// Keyword text that is template filler, not metadata.
fn is_filler(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("lorem ipsum") || lower.contains("dolor sit")
}

/// What the body of a page yields.
#[derive(Debug, Default)]
struct Body {
    arxiv_id: Option<String>,
    authors: Option<String>,
    review_date: Option<String>,
    links: Vec<Link>,
    tldr: String,
    takeaways: Vec<String>,
    why_it_matters: String,
    insights: Vec<Insight>,
    captions: Vec<Caption>,
    methods: Vec<MethodEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Preamble,
    Tldr,
    Takeaways,
    WhyItMatters,
    Visual,
    InDepth,
    Other,
    FullPaper,
}

/// A figure image or table block waiting for the caption blockquote that follows it.
#[derive(Debug)]
enum Media {
    Image { url: String, title: Option<String> },
    Table { grid: TableGrid },
}

/// Walks the body line by line.
struct BodyReader<'p> {
    path: &'p str,
    first_line: usize,
    problems: &'p mut Vec<Problem>,
    body: Body,
    section: Section,
    why_lines: String,
    insight: Option<(String, String)>,
    media: Option<Media>,
    /// The last caption's index, while only blank lines or plain blockquotes follow it.
    open_caption: Option<usize>,
}

impl<'p> BodyReader<'p> {
    fn new(path: &'p str, first_line: usize, problems: &'p mut Vec<Problem>) -> Self {
        BodyReader {
            path,
            first_line,
            problems,
            body: Body::default(),
            section: Section::Preamble,
            why_lines: String::new(),
            insight: None,
            media: None,
            open_caption: None,
        }
    }

    fn read(&mut self, text: &str) {
        self.read_shortcodes(text);
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            i = self.read_line(&lines, i);
        }
    }

    /// Keyword, button, lead and typeit shortcodes, wherever they stand.
    fn read_shortcodes(&mut self, text: &str) {
        let mut closed = ShortcodeScan::new(text);
        for sc in closed.all("keyword") {
            let value = inline_text(sc.inner);
            let icon = attribute(sc.attrs, "icon");
            if value.is_empty() || is_filler(&value) {
                continue;
            }
            match icon.as_deref() {
                Some("writer") => {
                    self.body.authors.get_or_insert(value);
                }
                Some("fingerprint") | None if is_arxiv_id(&value) => {
                    self.body.arxiv_id.get_or_insert(value);
                }
                None => {
                    if let Some(date) = value.strip_prefix('🤗').and_then(normalize_date) {
                        self.body.review_date.get_or_insert(date);
                    }
                }
                _ => {}
            }
        }
        for sc in closed.all("button") {
            if let Some(url) = attribute(sc.attrs, "href") {
                let own = inline_text(sc.inner).trim_start_matches('↗').trim().to_owned();
                self.body.links.push(Link { label: link_label(&url, own), url });
            }
        }
        if let Some(lead) = closed.all("lead").into_iter().next() {
            self.body.tldr = markdown_to_text(lead.inner);
        }
        self.body.takeaways =
            closed.all("typeit").into_iter().map(|sc| inline_text(sc.inner)).filter(|t| !t.is_empty()).collect();
        for (name, line) in closed.unclosed {
            let line = self.first_line + line;
            self.problems.push(Problem::warning(
                self.path,
                Some(line),
                format!("`{{{{< {name} >}}}}` is never closed"),
            ));
        }
    }

    /// Reads the line at `i` (and any lines that belong to it); returns the next index.
    fn read_line(&mut self, lines: &[&str], i: usize) -> usize {
        let line = lines[i];
        let trimmed = line.trim_start();
        if let Some((level, heading)) = heading(trimmed) {
            self.heading(level, heading);
            self.open_caption = None;
            return i + 1;
        }
        if self.section == Section::FullPaper {
            return i + 1;
        }
        if let Some(rest) = trimmed.strip_prefix("{{<").filter(|r| r.trim_start().starts_with("table-caption")) {
            return self.table_block(lines, i, rest);
        }
        if trimmed.starts_with('>') {
            return self.blockquote(lines, i);
        }
        if let Some((url, title)) = markdown_image(trimmed) {
            self.media = Some(Media::Image { url, title });
            self.open_caption = None;
            return i + 1;
        }
        if !trimmed.is_empty() {
            match self.section {
                Section::WhyItMatters => {
                    self.why_lines.push_str(line);
                    self.why_lines.push('\n');
                }
                Section::InDepth => {
                    if let Some((_, text)) = &mut self.insight {
                        text.push_str(line);
                        text.push('\n');
                    }
                }
                _ => {}
            }
        } else {
            match self.section {
                Section::WhyItMatters => self.why_lines.push('\n'),
                Section::InDepth => {
                    if let Some((_, text)) = &mut self.insight {
                        text.push('\n');
                    }
                }
                _ => {}
            }
        }
        i + 1
    }

    fn heading(&mut self, level: usize, text: &str) {
        let lower = inline_text(text).to_lowercase();
        let lower = lower.trim_end_matches([':', '.']).trim();
        let section = match lower {
            "tl;dr" | "tldr" => Section::Tldr,
            "key takeaways" => Section::Takeaways,
            l if l.starts_with("why does it matter") || l.starts_with("why it matters") => Section::WhyItMatters,
            "visual insights" | "more visual insights" => Section::Visual,
            "in-depth insights" | "in depth insights" => Section::InDepth,
            "full paper" => Section::FullPaper,
            _ if self.section == Section::InDepth && level >= 4 => {
                self.finish_insight();
                self.insight = Some((inline_text(text), String::new()));
                return;
            }
            _ => Section::Other,
        };
        self.finish_insight();
        self.section = section;
    }

    fn finish_insight(&mut self) {
        if let Some((heading, text)) = self.insight.take() {
            let text = markdown_to_text(&text);
            if !heading.is_empty() || !text.is_empty() {
                self.body.insights.push(Insight { heading, text });
            }
        }
    }

    /// A `{{< table-caption >}}` block: everything up to its closing shortcode.
    fn table_block(&mut self, lines: &[&str], start: usize, after_open: &str) -> usize {
        let after_tag = after_open.find(">}}").map_or("", |p| &after_open[p + 3..]);
        let mut content = String::new();
        let mut i = start;
        let mut segment = after_tag;
        let end = loop {
            if let Some(close) = find_close(segment, "table-caption") {
                content.push_str(&segment[..close]);
                break Some(i + 1);
            }
            content.push_str(segment);
            content.push('\n');
            i += 1;
            match lines.get(i) {
                Some(l) => segment = l,
                None => break None,
            }
        };
        let next = match end {
            Some(next) => next,
            None => {
                // Never closed: the table is the lines up to the first blank line or caption.
                let line = self.first_line + start;
                self.problems.push(Problem::warning(
                    self.path,
                    Some(line),
                    "`{{< table-caption >}}` is never closed; the table ends at the next blank line",
                ));
                let mut j = start + 1;
                content = after_tag.to_owned();
                while let Some(l) = lines.get(j) {
                    if l.trim().is_empty() || l.trim_start().starts_with('>') {
                        break;
                    }
                    content.push('\n');
                    content.push_str(l);
                    j += 1;
                }
                j
            }
        };
        self.flush_orphan_table();
        self.media = Some(Media::Table { grid: parse_table(&content) });
        self.open_caption = None;
        next
    }

    /// A table block that no caption claimed still yields its method entries.
    fn flush_orphan_table(&mut self) {
        if let Some(Media::Table { grid }) = self.media.take() {
            self.body.methods.extend(method_entries(&grid, "", None));
        }
    }

    /// A run of `>` lines. Every line that opens with 🔼 starts one caption.
    fn blockquote(&mut self, lines: &[&str], start: usize) -> usize {
        let mut i = start;
        let mut chunk: Vec<&str> = Vec::new();
        let mut chunks: Vec<(bool, Vec<&str>)> = Vec::new();
        while let Some(line) = lines.get(i) {
            let Some(inner) = line.trim_start().strip_prefix('>') else {
                break;
            };
            let inner = inner.strip_prefix(' ').unwrap_or(inner);
            if inner.trim_start().starts_with('🔼') {
                if !chunk.is_empty() || !chunks.is_empty() {
                    chunks.push((false, std::mem::take(&mut chunk)));
                }
                chunks.push((true, vec![inner]));
            } else if let Some((_, last)) = chunks.last_mut().filter(|(is_caption, _)| *is_caption) {
                last.push(inner);
            } else {
                chunk.push(inner);
            }
            i += 1;
        }
        if !chunk.is_empty() {
            chunks.push((false, chunk));
        }
        for (is_caption, chunk) in chunks {
            if chunk.iter().all(|l| l.trim().is_empty()) {
                continue;
            }
            let (description, caption) = split_details(&chunk);
            if is_caption {
                self.push_caption(description, caption);
            } else if let Some(idx) = self.open_caption {
                // A plain blockquote right after a caption fills what the template left empty.
                let c = &mut self.body.captions[idx];
                if c.caption.is_empty() && !caption.is_empty() {
                    c.caption = caption;
                }
                if c.description.is_empty() && !description.is_empty() {
                    c.description = description;
                }
                if c.label.is_none() {
                    c.label = label_of(&c.caption).or_else(|| label_of(&c.description));
                }
            }
        }
        i
    }

    fn push_caption(&mut self, description: String, caption: String) {
        let description = description.trim_start_matches('🔼').trim().to_owned();
        let (kind, image, table_text, grid, title) = match self.media.take() {
            Some(Media::Table { grid }) => (Some(CaptionKind::Table), None, grid.to_text(), Some(grid), None),
            Some(Media::Image { url, title }) => {
                let kind = if url.to_lowercase().contains("chart") { CaptionKind::Chart } else { CaptionKind::Figure };
                (Some(kind), Some(url), String::new(), None, title)
            }
            None => (None, None, String::new(), None, None),
        };
        // An image title that starts with 🔼 is the paper's caption of that figure.
        let caption = if caption.is_empty() {
            title.as_deref().and_then(|t| t.strip_prefix('🔼')).map(inline_text).unwrap_or_default()
        } else {
            caption
        };
        let label = label_of(&caption).or_else(|| label_of(&description));
        let kind = match (kind, label.as_deref()) {
            (Some(CaptionKind::Table), _) => CaptionKind::Table,
            (_, Some(l)) if l.starts_with("Table") => CaptionKind::Table,
            (Some(k), _) => k,
            (None, _) => CaptionKind::Figure,
        };
        if let Some(grid) = grid {
            self.body.methods.extend(method_entries(&grid, "", label.as_deref()));
        }
        self.open_caption = Some(self.body.captions.len());
        self.body.captions.push(Caption {
            page_id: String::new(),
            position: self.body.captions.len(),
            kind,
            label,
            caption,
            description,
            table_text,
            image,
        });
    }

    fn finish(mut self) -> Body {
        self.flush_orphan_table();
        self.finish_insight();
        self.body.why_it_matters = markdown_to_text(&self.why_lines);
        self.body
    }
}

/// `### Title` → (3, "Title").
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then(|| (level, rest.trim()))
}

/// `![alt](url "title")` on a line of its own.
fn markdown_image(line: &str) -> Option<(String, Option<String>)> {
    let rest = line.strip_prefix("![")?;
    let close = rest.find("](")?;
    let target = rest[close + 2..].trim_end().strip_suffix(')')?;
    let (url, title) = match target.find(char::is_whitespace) {
        Some(sp) => {
            let title = target[sp..].trim().trim_matches('"').trim();
            (&target[..sp], Some(title.to_owned()))
        }
        None => (target, None),
    };
    Some((url.to_owned(), title.filter(|t| !t.is_empty())))
}

/// Splits a caption blockquote into the AI description and the `<details>` paper caption.
fn split_details(lines: &[&str]) -> (String, String) {
    let mut description = String::new();
    let mut caption = String::new();
    let mut in_details = false;
    for line in lines {
        let t = line.trim();
        if t.starts_with("<details") {
            in_details = true;
            continue;
        }
        if t.starts_with("</details") {
            in_details = false;
            continue;
        }
        if in_details {
            if t.starts_with("<summary") && t.contains("</summary>") {
                continue;
            }
            caption.push_str(line);
            caption.push('\n');
        } else {
            description.push_str(line);
            description.push('\n');
        }
    }
    (inline_text(&description), inline_text(&caption))
}

/// `Figure 3`, `Table 1`, `Fig. 2`, `그림 1`, `표 S1` at the start of a caption.
fn label_of(text: &str) -> Option<String> {
    const WORDS: &[(&str, &str)] = &[
        ("Figure", "Figure"),
        ("Fig.", "Figure"),
        ("Fig", "Figure"),
        ("Table", "Table"),
        ("Tab.", "Table"),
        ("그림", "Figure"),
        ("표", "Table"),
    ];
    let text = text.trim_start();
    for (word, canonical) in WORDS {
        let Some(rest) = text.strip_prefix(word) else {
            continue;
        };
        let rest = rest.trim_start();
        let number: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
        let number = number.trim_end_matches('.');
        // `S1`, `A2`, `3`, `3a`: must hold a digit, may start with one letter.
        let valid = number.chars().any(|c| c.is_ascii_digit())
            && number.chars().skip(1).all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || c == '.')
            && number.len() <= 6;
        if valid && rest.len() >= number.len() {
            return Some(format!("{canonical} {number}"));
        }
    }
    None
}

fn link_label(url: &str, own: String) -> String {
    let host = url.split("://").nth(1).unwrap_or(url).split('/').next().unwrap_or("");
    if host.ends_with("arxiv.org") {
        "arXiv".to_owned()
    } else if host.ends_with("huggingface.co") {
        "Hugging Face".to_owned()
    } else if host.ends_with("paperswithcode.com") {
        "Papers with Code".to_owned()
    } else {
        own
    }
}

/// `icon="writer"` from a shortcode's attribute text.
fn attribute(attrs: &str, key: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(pos) = rest.find(key) {
        let after = &rest[pos + key.len()..];
        let boundary = pos == 0 || rest[..pos].ends_with(char::is_whitespace);
        if let (true, Some(value)) = (boundary, after.trim_start().strip_prefix('=')) {
            let value = value.trim_start();
            let v = if let Some(q) = value.strip_prefix('"') {
                q.split('"').next().unwrap_or("")
            } else {
                value.split(char::is_whitespace).next().unwrap_or("")
            };
            return Some(v.to_owned());
        }
        rest = after;
    }
    None
}

/// Position of `{{< /name >}}` in `text`, spacing inside the braces free.
fn find_close(text: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = text[from..].find("{{<").map(|p| p + from) {
        let rest = text[p + 3..].trim_start();
        let closes = rest
            .strip_prefix('/')
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix(name))
            .is_some_and(|after| after.trim_start().starts_with(">}}"));
        if closes {
            return Some(p);
        }
        from = p + 3;
    }
    None
}

/// One paired shortcode found in the body.
struct Shortcode<'a> {
    attrs: &'a str,
    inner: &'a str,
}

/// Finds paired shortcodes by name; remembers the ones that never close.
struct ShortcodeScan<'a> {
    text: &'a str,
    unclosed: Vec<(String, usize)>,
}

impl<'a> ShortcodeScan<'a> {
    fn new(text: &'a str) -> Self {
        ShortcodeScan { text, unclosed: Vec::new() }
    }

    fn all(&mut self, name: &str) -> Vec<Shortcode<'a>> {
        let text = self.text;
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(p) = text[from..].find("{{<").map(|p| p + from) {
            let rest = text[p + 3..].trim_start();
            let is_open = rest.strip_prefix(name).is_some_and(|r| r.starts_with([' ', '>', '\t', '\n']));
            let Some(tag_end) = text[p..].find(">}}").map(|e| e + p) else {
                break;
            };
            if !is_open {
                from = p + 3;
                continue;
            }
            let attrs = &text[p + 3..tag_end];
            let attrs = attrs.trim_start().strip_prefix(name).unwrap_or(attrs);
            let inner_start = tag_end + 3;
            match find_close(&text[inner_start..], name) {
                Some(close) => {
                    found.push(Shortcode { attrs, inner: &text[inner_start..inner_start + close] });
                    from = inner_start + close + 3;
                }
                None => {
                    // No closing tag anywhere after this one: stop looking for more.
                    let line = text[..p].matches('\n').count();
                    self.unclosed.push((name.to_owned(), line));
                    break;
                }
            }
        }
        found
    }
}
