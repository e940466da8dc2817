//! Human-readable output for a terminal.

use std::io::Write;

use unicode_width::UnicodeWidthStr;

use crate::error::Result;
use crate::ingest::ParsedFile;
use crate::search::{Hit, HitDetail, SearchResults};

/// `text` as a terminal can be given it: each control character but a line break
/// (what a query or a filter value typed or pasted may hold: `\x1b[31m` would colour the
/// terminal) shown as U+FFFD, one for one, so columns still line up.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text.into();
    }
    text.chars().map(|c| if c.is_control() && c != '\n' { '\u{FFFD}' } else { c }).collect::<String>().into()
}

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

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const MARK: &str = "\x1b[1;33m";
const RESET: &str = "\x1b[0m";

/// Wraps `text` in an ANSI style when colour is on.
fn styled(text: &str, style: &str, color: bool) -> String {
    if color { format!("{style}{text}{RESET}") } else { text.to_owned() }
}

/// The snippet with its matched ranges marked: colour on a terminal, nothing otherwise.
fn marked_snippet(hit: &Hit, color: bool) -> String {
    if !color {
        return hit.snippet.clone();
    }
    let mut out = String::new();
    let mut from = 0;
    for &[start, end] in &hit.highlights {
        if start < from
            || end > hit.snippet.len()
            || !hit.snippet.is_char_boundary(start)
            || !hit.snippet.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&hit.snippet[from..start]);
        out.push_str(&styled(&hit.snippet[start..end], MARK, true));
        from = end;
    }
    out.push_str(&hit.snippet[from..]);
    out
}

/// Hits, then facet counts.
pub fn write_search(out: &mut impl Write, results: &SearchResults, color: bool) -> Result<()> {
    for (i, hit) in results.hits.iter().enumerate() {
        let rank = results.offset + i + 1;
        let score = hit.score.map(|s| format!("  {:.2}", s)).unwrap_or_default();
        let date = hit.date.as_deref().unwrap_or("");
        let kind = hit.kind.trim_start_matches("caption/");
        let head = match &hit.detail {
            HitDetail::Method { name, citation, .. } => format!("{}  {}", styled(name, BOLD, color), citation),
            HitDetail::Page { .. } | HitDetail::Other {} => {
                format!("{}  {}", styled(&hit.title, BOLD, color), hit.page_id)
            }
            HitDetail::Caption { label, .. } => {
                let label = label.as_deref().unwrap_or("(no label)");
                format!("{}  {}", styled(label, BOLD, color), hit.page_id)
            }
        };
        writeln!(out, "{rank:>3}. {kind:<7} {head}{}", styled(&score, DIM, color))?;
        let detail = match &hit.detail {
            HitDetail::Method { category, mechanism, section, table_label, .. } => {
                let section = section.as_deref().map(|s| format!(" (§{s})")).unwrap_or_default();
                // The page the method's table is in, as a caption's or a page's hit names it.
                let table = match table_label.as_deref() {
                    Some(t) => format!("{t} of {}", hit.page_id),
                    None => hit.page_id.clone(),
                };
                format!("{category} › {mechanism}{section} · {table} · {date}")
            }
            HitDetail::Page { topics, affiliations, .. } => {
                let mut parts = vec![date.to_owned()];
                parts.extend(topics.iter().cloned());
                parts.extend(affiliations.iter().cloned());
                parts.retain(|p| !p.is_empty());
                parts.join(" · ")
            }
            HitDetail::Caption { .. } | HitDetail::Other {} => format!("{date} · {}", shorten(&hit.title, 80)),
        };
        writeln!(out, "     {}", styled(&detail, DIM, color))?;
        // A method's snippet would repeat its name, category or mechanism shown above.
        if !hit.snippet.is_empty() && !matches!(hit.detail, HitDetail::Method { .. }) {
            writeln!(out, "     {}", marked_snippet(hit, color))?;
        }
        if let Some(group) = hit.group.as_ref().filter(|g| g.matched > 1) {
            let also: Vec<&str> = group.also.iter().map(|a| a.id.as_str()).collect();
            let line = format!("{} records of this page matched: {}", group.matched, also.join(", "));
            let more = group.matched as usize - 1 - also.len();
            let line = if more > 0 { format!("{line} and {more} more") } else { line };
            writeln!(out, "     {}", styled(&line, DIM, color))?;
        }
    }
    let mut printed = !results.hits.is_empty();
    for facet in &results.facets {
        if printed {
            writeln!(out)?;
        }
        printed = true;
        let parent = if facet.parent == "/" { String::new() } else { format!(" {}", facet.parent) };
        writeln!(out, "{}", styled(&format!("{}{parent}", facet.field), BOLD, color))?;
        if facet.counts.is_empty() && facet.more == 0 {
            writeln!(out, "  (none)")?;
        }
        // Padded to the widest value as a terminal shows it: a Hangul or CJK character
        // takes two columns.
        let width = facet.counts.iter().map(|c| c.path.width()).max().unwrap_or(0);
        for c in &facet.counts {
            let pad = width - c.path.width();
            writeln!(out, "  {}{:pad$}  {:>6}", c.path, "", c.count)?;
        }
        if facet.more > 0 {
            writeln!(out, "  … and {} more (--facet-limit N shows more)", facet.more)?;
        }
    }
    Ok(())
}

/// One record id a line, best first.
pub fn write_ids(out: &mut impl Write, results: &SearchResults) -> Result<()> {
    for hit in &results.hits {
        writeln!(out, "{}", hit.id)?;
    }
    Ok(())
}

/// One source file a line, each once, in the order of their best hit (like `rg -l`).
///
/// A file under a folder named relatively when it was indexed (`reviews/…`) is printed
/// under the folder's absolute path, so the paths lead to the files from any folder.
pub fn write_paths(out: &mut impl Write, results: &SearchResults, roots: &[crate::index::roots::Root]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for hit in &results.hits {
        if seen.insert(hit.source.as_str()) {
            writeln!(out, "{}", absolute_source(&hit.source, roots))?;
        }
    }
    Ok(())
}

/// `source` (a path as the user named its folder, escaped) under its folder's absolute
/// path; as it is when it is absolute already or under no folder the index remembers.
fn absolute_source(source: &str, roots: &[crate::index::roots::Root]) -> String {
    if source.starts_with('/') {
        return source.to_owned();
    }
    roots
        .iter()
        .filter(|r| !r.given.starts_with('/'))
        .find_map(|r| {
            let rest = source.strip_prefix(r.given.trim_end_matches('/'))?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{}{rest}", r.path))
        })
        .unwrap_or_else(|| source.to_owned())
}

/// `1 file`, `2 files`: a count and its noun.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// `32 hits, showing 1-10, in 0.41 ms`: the summary line for stderr.
pub fn search_summary(results: &SearchResults) -> String {
    let ms = results.took_us as f64 / 1000.0;
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    let total = plural(results.total_hits, "hit", "hits");
    let total = if results.total_exact { total } else { format!("at least {total}") };
    let hits = match results.total_pages {
        Some(pages) => format!("{} ({total})", plural(pages, "page", "pages")),
        None => total,
    };
    let shown_total = results.total_pages.unwrap_or(results.total_hits);
    if results.hits.is_empty() && results.offset > 0 && shown_total > 0 {
        // Hits there are, on earlier pages: say so rather than print nothing.
        format!("{hits}, none past the first {shown_total} (--offset {}), in {ms:.2} ms", results.offset)
    } else if results.hits.is_empty() {
        format!("{hits} in {ms:.2} ms")
    } else {
        let first = results.offset + 1;
        let last = results.offset + results.hits.len();
        format!("{hits}, showing {first}-{last}, in {ms:.2} ms")
    }
}

/// The bench report: machine, index, then one row per query class.
pub fn write_bench(out: &mut impl Write, r: &crate::bench::BenchReport) -> Result<()> {
    let m = &r.machine;
    writeln!(out, "machine  {} cores, {}, {} MB, {}", m.cores, m.cpu_model, m.memory_mb, m.os)?;
    writeln!(out, "index    {}: {} records, {:.1} MB", r.index.path, r.index.records, r.index.bytes as f64 / 1e6)?;
    writeln!(
        out,
        "runs     {} warm-up + {} timed per query, the whole {} times (median, [lowest-highest] repeat); throughput on 1 and {} threads",
        r.warmup, r.iterations, r.repeat, r.threads
    )?;
    if r.cold > 0 {
        writeln!(
            out,
            "cold     {} fresh `paperdex search` processes per query, each repeat: the first search's took_us (cold p50, µs) and spawn to exit (process ms), medians",
            r.cold
        )?;
    }
    if let Some(peer) = &r.peer {
        writeln!(
            out,
            "peer     {peer}: the same queries and runs in this process; its p50 and p99 (µs) and its p50 over paperdex's"
        )?;
    }
    let peer_columns = match &r.peer {
        Some(peer) => format!(" {:>10} {:>10} {:>8}", format!("{peer} p50"), format!("{peer} p99"), "ratio"),
        None => String::new(),
    };
    writeln!(
        out,
        "{:<14} {:>7} {:>9} {:>9} {:>17} {:>9} {:>10} {:>9} {:>9} {:>17} {:>9} {:>9} {:>10} {:>9}{peer_columns}",
        "class",
        "queries",
        "hits",
        "p50 µs",
        "p50 spread",
        "cold p50",
        "process ms",
        "p90 µs",
        "p99 µs",
        "p99 spread",
        "qps",
        "qps(N)",
        "search p50",
        "fetch p50"
    )?;
    // No cold runs: a dash, not a zero that reads as a measurement.
    let figure =
        |value: Option<f64>, decimals: usize| value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"));
    for c in &r.classes {
        let peer_columns = match &r.peer {
            Some(_) => format!(
                " {:>10} {:>10} {:>8}",
                figure(c.peer_p50_us, 1),
                figure(c.peer_p99_us, 1),
                c.peer_ratio.map_or_else(|| "-".to_owned(), |x| format!("{x:.1}x"))
            ),
            None => String::new(),
        };
        writeln!(
            out,
            "{:<14} {:>7} {:>9} {:>9.1} {:>17} {:>9} {:>10} {:>9.1} {:>9.1} {:>17} {:>9.0} {:>9.0} {:>10.1} {:>9.1}{peer_columns}",
            c.class,
            c.queries,
            c.hits,
            c.p50_us,
            format!("[{:.1}-{:.1}]", c.p50_min_us, c.p50_max_us),
            figure(c.cold_p50_us, 0),
            figure(c.process_p50_ms, 2),
            c.p90_us,
            c.p99_us,
            format!("[{:.1}-{:.1}]", c.p99_min_us, c.p99_max_us),
            c.qps,
            c.qps_threads,
            c.search_p50_us,
            c.fetch_p50_us
        )?;
    }
    if !r.baseline.is_empty() {
        writeln!(
            out,
            "\nagainst the baseline (p50, and cold p50 when both runs have it; a change counts only beyond both runs' spread):"
        )?;
        for b in &r.baseline {
            let warm = format!(
                "{:<14} {:>9.1} → {:>9.1} µs  {:>+7.1}%  {}",
                b.class,
                b.baseline_p50_us,
                b.p50_us,
                b.change * 100.0,
                b.verdict
            );
            match (b.baseline_cold_p50_us, b.cold_p50_us, b.cold_change, &b.cold_verdict) {
                (Some(base), Some(now), Some(change), Some(verdict)) => writeln!(
                    out,
                    "{warm:<57}   cold {base:>7.0} → {now:>7.0} µs  {:>+7.1}%  {verdict}",
                    change * 100.0
                )?,
                _ => writeln!(out, "{warm}")?,
            }
        }
    }
    Ok(())
}
