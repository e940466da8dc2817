//! Human-readable output for a terminal.

use std::io::Write;

use crate::error::Result;
use crate::ingest::ParsedFile;

/// Cuts `text` to at most `max` characters, marking the cut with `…`.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

pub fn write_inspect(out: &mut impl Write, parsed: &ParsedFile) -> Result<()> {
    let Some(records) = &parsed.records else {
        writeln!(out, "no records: the file could not be read as a review page")?;
        return Ok(());
    };
    let p = &records.page;
    writeln!(out, "page {} ({})  {}", p.id, p.lang, p.title)?;
    let field = |name: &str, value: String| (!value.is_empty()).then(|| format!("  {name:<13}{value}"));
    let lines = [
        field("date", p.date.clone().unwrap_or_default()),
        field("reviewed", p.review_date.clone().unwrap_or_default()),
        field("authors", p.authors.clone().unwrap_or_default()),
        field("categories", p.categories.join(", ")),
        field("topics", p.topics.join(", ")),
        field("affiliations", p.affiliations.join(", ")),
        field("tag dates", p.tag_dates.join(", ")),
        field("links", p.links.iter().map(|l| format!("{} <{}>", l.label, l.url)).collect::<Vec<_>>().join(", ")),
        field("summary", shorten(&p.summary, 100)),
        field("tl;dr", shorten(&p.tldr, 100)),
        field("why", shorten(&p.why_it_matters, 100)),
    ];
    for line in lines.into_iter().flatten() {
        writeln!(out, "{line}")?;
    }
    for t in &p.takeaways {
        writeln!(out, "  {:<13}{}", "takeaway", shorten(t, 100))?;
    }
    for i in &p.insights {
        writeln!(out, "  {:<13}{}: {}", "insight", i.heading, shorten(&i.text, 80))?;
    }
    writeln!(out, "  {:<13}{}", "source", p.source)?;
    writeln!(out, "captions ({})", records.captions.len())?;
    for c in &records.captions {
        let label = c.label.as_deref().unwrap_or("-");
        let text = if c.caption.is_empty() { &c.description } else { &c.caption };
        writeln!(out, "  {:>3} {:<6} {:<10} {}", c.position, c.kind.as_str(), label, shorten(text, 90))?;
    }
    writeln!(out, "methods ({})", records.methods.len())?;
    for m in &records.methods {
        let section = m.section.as_deref().map(|s| format!(" §{s}")).unwrap_or_default();
        writeln!(out, "  {:<20} {:<32} {} / {}{}", m.name, m.citation, m.category, m.mechanism, section)?;
    }
    Ok(())
}
