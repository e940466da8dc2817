//! Records to tantivy documents, and the facet values they are counted under.

use tantivy::schema::{Facet, Value};
use tantivy::{DateTime, TantivyDocument};

use super::schema::Fields;
use crate::ingest::{Caption, MethodEntry, Page, PageRecords};

/// The facet value of a label: decoration (emoji, a "Hugging Face" prefix) removed, so
/// `🤗 Daily Papers` and `Hugging Face Daily Papers` count as one `Daily Papers`.
/// `None` when nothing is left.
pub fn facet_label(text: &str) -> Option<String> {
    let trimmed = text.trim_matches(|c: char| !c.is_alphanumeric() && !matches!(c, '(' | ')' | '.' | '+'));
    let trimmed = trimmed.trim_start_matches(|c: char| !c.is_alphanumeric());
    let without_site = strip_prefix_ignore_case(trimmed, "Hugging Face ").unwrap_or(trimmed);
    let value = crate::ingest::text::collapse_whitespace(without_site);
    (!value.is_empty()).then_some(value)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..]).filter(|rest| !rest.trim().is_empty())
}

/// `/Daily Papers` for a one-level facet.
pub fn label_facet(text: &str) -> Option<Facet> {
    facet_label(text).map(|v| Facet::from_path([v]))
}

/// `2025-01-17` → `/2025/01/17`.
pub fn date_facet(date: &str) -> Option<Facet> {
    let parts: Vec<&str> = date.split('-').collect();
    (parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
        .then(|| Facet::from_path(parts))
}

/// `2025-01-17` → midnight UTC of that day.
pub fn date_value(date: &str) -> Option<DateTime> {
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(DateTime::from_timestamp_secs(days_from_civil(y, m, d) * 86_400))
}

/// `YYYY-MM-DD` of a day number since 1970-01-01 (the inverse of `days_from_civil`).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Every hit prints its date: written digit by digit, without the formatting machinery.
    if !(0..=9999).contains(&y) {
        return format!("{y:04}-{m:02}-{d:02}");
    }
    let digit = |n: i64| char::from(b'0' + n as u8);
    let mut out = String::with_capacity(10);
    out.extend([digit(y / 1000), digit(y / 100 % 10), digit(y / 10 % 10), digit(y % 10), '-']);
    out.extend([digit(m / 10), digit(m % 10), '-', digit(d / 10), digit(d % 10)]);
    out
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The key shared by all records of one page, used to replace them as a whole.
pub fn page_key(id: &str, lang: &str) -> String {
    format!("{id}|{lang}")
}

/// All the documents of one page: the page, its captions, its method entries.
/// `file_order` is the page's place in the corpus; records are numbered after it.
pub fn documents(f: &Fields, records: &PageRecords, source_key: &str, file_order: u64) -> Vec<TantivyDocument> {
    let mut docs = Vec::with_capacity(1 + records.captions.len() + records.methods.len());
    docs.push(page_document(f, &records.page));
    docs.extend(records.captions.iter().map(|c| caption_document(f, &records.page, c)));
    docs.extend(records.methods.iter().enumerate().map(|(i, m)| method_document(f, &records.page, i, m)));
    for (i, doc) in docs.iter_mut().enumerate() {
        doc.add_text(f.source_key, source_key);
        doc.add_u64(f.seq, (file_order << 24) | i as u64);
        add_exact(f, doc);
    }
    docs
}

/// Copies every text value of `doc` into the unstemmed field.
fn add_exact(f: &Fields, doc: &mut TantivyDocument) {
    let values: Vec<String> = f
        .text_fields
        .iter()
        .flat_map(|&field| doc.get_all(field).filter_map(|v| v.as_str()).map(str::to_owned).collect::<Vec<_>>())
        .collect();
    for value in values {
        doc.add_text(f.exact, value);
    }
}

/// Fields every record of a page carries: keys, language, date, topics, affiliations.
fn common(f: &Fields, page: &Page, kind: &str, id: String) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.kind, kind);
    doc.add_facet(f.kind_facet, Facet::from(&format!("/{kind}")[..]));
    doc.add_text(f.id, id);
    doc.add_text(f.page_id, &page.id);
    doc.add_text(f.page_key, page_key(&page.id, &page.lang));
    doc.add_text(f.lang, &page.lang);
    doc.add_facet(f.lang_facet, Facet::from_path([page.lang.as_str()]));
    doc.add_text(f.page_title, &page.title);
    doc.add_text(f.source, &page.source);
    if let Some(date) = &page.date {
        if let Some(value) = date_value(date) {
            doc.add_date(f.date, value);
        }
        if let Some(facet) = date_facet(date) {
            doc.add_facet(f.date_facet, facet);
        }
    }
    for topic in &page.topics {
        if let Some(facet) = label_facet(topic) {
            doc.add_facet(f.topic_facet, facet);
        }
    }
    for org in &page.affiliations {
        if let Some(facet) = label_facet(org) {
            doc.add_facet(f.affiliation_facet, facet);
        }
    }
    doc
}

fn page_document(f: &Fields, page: &Page) -> TantivyDocument {
    let mut doc = common(f, page, "page", page.id.clone());
    doc.add_text(f.title, &page.title);
    doc.add_text(f.summary, &page.summary);
    for c in &page.categories {
        doc.add_text(f.category, c);
        if let Some(facet) = label_facet(c) {
            doc.add_facet(f.category_facet, facet);
        }
    }
    for t in &page.topics {
        doc.add_text(f.topic, t);
    }
    for a in &page.affiliations {
        doc.add_text(f.affiliation, a);
    }
    if let Some(authors) = &page.authors {
        doc.add_text(f.authors, authors);
    }
    for text in page_body(page) {
        doc.add_text(f.body, text);
    }
    if let Some(d) = &page.review_date {
        doc.add_text(f.review_date, d);
    }
    doc.add_text(f.content_hash, &page.content_hash);
    doc
}

/// The review's own text: TL;DR, takeaways, why it matters, in-depth insights.
pub fn page_body(page: &Page) -> Vec<&str> {
    let mut parts = vec![page.tldr.as_str()];
    parts.extend(page.takeaways.iter().map(String::as_str));
    parts.push(&page.why_it_matters);
    for insight in &page.insights {
        parts.push(&insight.heading);
        parts.push(&insight.text);
    }
    parts.retain(|p| !p.is_empty());
    parts
}

fn caption_document(f: &Fields, page: &Page, c: &Caption) -> TantivyDocument {
    let kind = format!("caption/{}", c.kind.as_str());
    let mut doc = common(f, page, &kind, format!("{}/caption/{}", page.id, c.position));
    for cat in &page.categories {
        if let Some(facet) = label_facet(cat) {
            doc.add_facet(f.category_facet, facet);
        }
    }
    if let Some(label) = &c.label {
        doc.add_text(f.label, label);
    }
    doc.add_text(f.caption, &c.caption);
    doc.add_text(f.description, &c.description);
    if !c.table_text.is_empty() {
        doc.add_text(f.table, &c.table_text);
    }
    if let Some(image) = &c.image {
        doc.add_text(f.image, image);
    }
    doc.add_u64(f.position, c.position as u64);
    doc
}

fn method_document(f: &Fields, page: &Page, index: usize, m: &MethodEntry) -> TantivyDocument {
    let mut doc = common(f, page, "method", format!("{}/method/{index}", page.id));
    doc.add_text(f.name, &m.name);
    doc.add_text(f.citation, &m.citation);
    doc.add_text(f.category, &m.category);
    doc.add_text(f.mechanism, &m.mechanism);
    if let Some(facet) = label_facet(&m.category) {
        doc.add_facet(f.category_facet, facet);
    }
    if let Some(facet) = label_facet(&m.mechanism) {
        doc.add_facet(f.mechanism_facet, facet);
    }
    if let Some(year) = m.year {
        doc.add_u64(f.year, u64::from(year));
    }
    if let Some(section) = &m.section {
        doc.add_text(f.section, section);
    }
    if let Some(label) = &m.table_label {
        doc.add_text(f.table_label, label);
    }
    doc.add_u64(f.position, index as u64);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoration_is_not_part_of_a_facet() {
        assert_eq!(facet_label("🤗 Daily Papers").as_deref(), Some("Daily Papers"));
        assert_eq!(facet_label("Hugging Face Daily Papers").as_deref(), Some("Daily Papers"));
        assert_eq!(facet_label("AI Generated").as_deref(), Some("AI Generated"));
        assert_eq!(facet_label("🏢 Google DeepMind").as_deref(), Some("Google DeepMind"));
        assert_eq!(facet_label("Hugging Face").as_deref(), Some("Hugging Face"));
        assert_eq!(facet_label("🤗"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(date_facet("2025-01-17").unwrap().to_path_string(), "/2025/01/17");
        assert_eq!(date_value("1970-01-02").unwrap().into_timestamp_secs(), 86_400);
        assert_eq!(date_value("2024-12-03").unwrap().into_timestamp_secs(), 1_733_184_000);
        assert!(date_value("2024-13-03").is_none());
    }

    #[test]
    fn civil_dates_round_trip_through_days() {
        // Every day from year 0 to 9999 (digit by digit), and some beyond (formatted).
        for days in (-719_528..2_932_897).step_by(13).chain([-719_529, -800_000, 2_932_896, 2_932_897, 3_500_000]) {
            let date = civil_date(days);
            let (y, rest) = date.rsplit_once('-').and_then(|(ym, d)| Some((ym.rsplit_once('-')?, d))).unwrap();
            let (y, m, d) = (y.0.parse().unwrap(), y.1.parse().unwrap(), rest.parse().unwrap());
            assert_eq!(days_from_civil(y, m, d), days, "{date}");
            assert!(date.len() >= 10, "{date}");
        }
        assert_eq!(civil_date(-719_528), "0000-01-01");
        assert_eq!(civil_date(2_932_896), "9999-12-31");
    }
}
