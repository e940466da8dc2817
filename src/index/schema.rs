//! The index schema: one table of text fields (name, record kinds, ranking weight,
//! stored, snippet role) from which the schema, the default query fields, the ranking and
//! the snippets derive; the facet fields; and one `Fields` struct of handles.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, FacetOptions, Field, INDEXED, IndexRecordOption, NumericOptions, STORED,
    STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::tokenizer::{ANALYZER, EXACT_ANALYZER};

/// The version of the schema written by this build; kept in the commit payload.
pub const SCHEMA_VERSION: u32 = 7;

/// The fast field the index is sorted by.
pub const SORT_FIELD: &str = "seq";

/// Handles to every field of a paperdex index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    // Searchable text (stored too, for printing hits and snippets).
    pub title: Field,
    pub name: Field,
    pub label: Field,
    pub citation: Field,
    pub category: Field,
    pub mechanism: Field,
    pub summary: Field,
    pub topic: Field,
    pub affiliation: Field,
    pub authors: Field,
    pub caption: Field,
    pub description: Field,
    pub table: Field,
    pub body: Field,
    /// Every text field's words, unstemmed ([`EXACT_FIELD`]).
    pub exact: Field,
    // Facets.
    pub kind_facet: Field,
    pub category_facet: Field,
    pub mechanism_facet: Field,
    pub topic_facet: Field,
    pub affiliation_facet: Field,
    pub date_facet: Field,
    pub lang_facet: Field,
    // Keys and stored values.
    pub kind: Field,
    pub id: Field,
    pub page_id: Field,
    pub page_key: Field,
    pub lang: Field,
    pub page_title: Field,
    pub date: Field,
    pub year: Field,
    pub section: Field,
    pub table_label: Field,
    pub position: Field,
    pub image: Field,
    pub review_date: Field,
    pub source: Field,
    /// The file's identity: its escaped path under its root's canonical path.
    pub source_key: Field,
    pub content_hash: Field,
    /// Corpus order (file, then record): the index is sorted by it, so equal scores
    /// and equal dates always come out in the same order.
    pub seq: Field,
    /// The text fields' handles, in [`TEXT_FIELDS`] order.
    pub text_fields: [Field; TEXT_FIELDS.len()],
}

/// The record kinds, as the schema table says which of them carry a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Page,
    Caption,
    Method,
}

impl RecordKind {
    /// The kind of a stored `kind` value (`caption/table` is a caption).
    pub fn of(kind: &str) -> Option<RecordKind> {
        match kind.split('/').next()? {
            "page" => Some(RecordKind::Page),
            "caption" => Some(RecordKind::Caption),
            "method" => Some(RecordKind::Method),
            _ => None,
        }
    }

    /// The facet path that counts records of this kind.
    pub fn facet_path(self) -> &'static str {
        match self {
            RecordKind::Page => "/page",
            RecordKind::Caption => "/caption",
            RecordKind::Method => "/method",
        }
    }
}

/// One searchable text field: everything the index, the query, the ranking and the
/// snippets need to know about it. The tantivy schema, the default query fields, their
/// weights and the snippet fields of each record kind all derive from [`TEXT_FIELDS`].
pub struct TextField {
    /// Its name in queries (`title:diffusion`) and in the index.
    pub name: &'static str,
    /// The record kinds that carry it.
    pub kinds: &'static [RecordKind],
    /// Its weight in the ranking: term frequencies in it count this many times.
    pub weight: f32,
    /// Stored, for printing hits and cutting snippets.
    pub stored: bool,
    /// Where it comes in the search for a snippet, per kind: lower first.
    pub snippet: &'static [(RecordKind, u8)],
}

use RecordKind::{Caption, Method, Page};

/// Every searchable text field, in the order the query parser searches them.
pub const TEXT_FIELDS: &[TextField] = &[
    TextField { name: "title", kinds: &[Page], weight: 2.0, stored: true, snippet: &[(Page, 2)] },
    TextField { name: "name", kinds: &[Method], weight: 3.0, stored: true, snippet: &[(Method, 2)] },
    TextField { name: "label", kinds: &[Caption], weight: 2.0, stored: true, snippet: &[(Caption, 3)] },
    TextField { name: "citation", kinds: &[Method], weight: 1.5, stored: true, snippet: &[(Method, 3)] },
    TextField { name: "category", kinds: &[Page, Method], weight: 1.5, stored: true, snippet: &[(Method, 0)] },
    TextField { name: "mechanism", kinds: &[Method], weight: 1.5, stored: true, snippet: &[(Method, 1)] },
    TextField { name: "summary", kinds: &[Page], weight: 1.0, stored: true, snippet: &[(Page, 1)] },
    TextField { name: "topic", kinds: &[Page], weight: 1.5, stored: true, snippet: &[(Page, 3)] },
    TextField { name: "affiliation", kinds: &[Page], weight: 1.5, stored: true, snippet: &[(Page, 4)] },
    TextField { name: "authors", kinds: &[Page], weight: 1.5, stored: true, snippet: &[(Page, 5)] },
    TextField { name: "caption", kinds: &[Caption], weight: 1.2, stored: true, snippet: &[(Caption, 1)] },
    TextField { name: "description", kinds: &[Caption], weight: 1.0, stored: true, snippet: &[(Caption, 0)] },
    TextField { name: "table", kinds: &[Caption], weight: 0.8, stored: true, snippet: &[(Caption, 2)] },
    TextField { name: "body", kinds: &[Page], weight: 1.0, stored: true, snippet: &[(Page, 0)] },
];

/// The field that holds every text field's words unstemmed (lower-cased and folded
/// only), so that exact words and phrases can rank above their stemmed look-alikes.
pub const EXACT_FIELD: &str = "exact";

/// Looks up a text field by name.
pub fn text_field(name: &str) -> Option<&'static TextField> {
    TEXT_FIELDS.iter().find(|f| f.name == name)
}

/// The text fields a record kind's snippet is looked for in, most telling first.
pub fn snippet_fields(kind: RecordKind) -> Vec<&'static TextField> {
    let mut fields: Vec<(u8, &TextField)> = TEXT_FIELDS
        .iter()
        .filter_map(|f| f.snippet.iter().find(|(k, _)| *k == kind).map(|(_, order)| (*order, f)))
        .collect();
    fields.sort_by_key(|(order, _)| *order);
    fields.into_iter().map(|(_, f)| f).collect()
}

/// A facet field: the name users give to `--filter`/`--facet`, and what it holds.
pub struct FacetField {
    pub name: &'static str,
    pub about: &'static str,
}

pub const FACET_FIELDS: &[FacetField] = &[
    FacetField { name: "kind", about: "/page, /caption/figure, /caption/chart, /caption/table, /method" },
    FacetField { name: "category", about: "a method's taxonomy category; a page's front-matter categories" },
    FacetField { name: "mechanism", about: "a method's mechanism" },
    FacetField { name: "topic", about: "the page's plain tags" },
    FacetField { name: "affiliation", about: "the page's 🏢 tags" },
    FacetField { name: "date", about: "the page's date as /YYYY/MM/DD" },
    FacetField { name: "lang", about: "the page's language, /en, /ko, ..." },
];

/// Looks up a facet field by its user-facing name.
pub fn facet_field(name: &str) -> Option<&'static FacetField> {
    FACET_FIELDS.iter().find(|f| f.name == name)
}

/// The names users may give to `--filter` and `--facet`, for error messages.
pub fn facet_names() -> String {
    FACET_FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// The names of the text fields, for error messages.
pub fn text_field_names() -> String {
    TEXT_FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    for f in TEXT_FIELDS {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        b.add_text_field(f.name, if f.stored { options.set_stored() } else { options });
    }
    let exact = TextFieldIndexing::default()
        .set_tokenizer(EXACT_ANALYZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    b.add_text_field(EXACT_FIELD, TextOptions::default().set_indexing_options(exact));
    let facet = FacetOptions::default();
    let stored_text = TextOptions::default().set_stored();
    let date_options = DateOptions::from(INDEXED).set_stored().set_fast().set_precision(DateTimePrecision::Seconds);
    let year_options = NumericOptions::default().set_indexed().set_stored().set_fast();
    for f in FACET_FIELDS {
        b.add_facet_field(&format!("{}_facet", f.name), facet.clone());
    }
    b.add_text_field("kind", STRING | STORED);
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("page_id", STRING | STORED);
    b.add_text_field("page_key", STRING | FAST);
    b.add_text_field("lang", STRING | STORED);
    b.add_text_field("page_title", stored_text.clone());
    b.add_date_field("date", date_options);
    b.add_u64_field("year", year_options);
    b.add_text_field("section", stored_text.clone());
    b.add_text_field("table_label", stored_text.clone());
    b.add_u64_field("position", STORED);
    b.add_text_field("image", stored_text.clone());
    b.add_text_field("review_date", stored_text);
    b.add_text_field("source", STRING | STORED | FAST);
    b.add_text_field("source_key", STRING | FAST);
    b.add_text_field("content_hash", STRING | STORED | FAST);
    b.add_u64_field(SORT_FIELD, NumericOptions::default().set_fast());
    let schema = b.build();
    let get = |name: &str| schema.get_field(name).expect("every field of the table is in the schema");
    let fields = Fields {
        title: get("title"),
        name: get("name"),
        label: get("label"),
        citation: get("citation"),
        category: get("category"),
        mechanism: get("mechanism"),
        summary: get("summary"),
        topic: get("topic"),
        affiliation: get("affiliation"),
        authors: get("authors"),
        caption: get("caption"),
        description: get("description"),
        table: get("table"),
        body: get("body"),
        exact: get(EXACT_FIELD),
        kind_facet: get("kind_facet"),
        category_facet: get("category_facet"),
        mechanism_facet: get("mechanism_facet"),
        topic_facet: get("topic_facet"),
        affiliation_facet: get("affiliation_facet"),
        date_facet: get("date_facet"),
        lang_facet: get("lang_facet"),
        kind: get("kind"),
        id: get("id"),
        page_id: get("page_id"),
        page_key: get("page_key"),
        lang: get("lang"),
        page_title: get("page_title"),
        date: get("date"),
        year: get("year"),
        section: get("section"),
        table_label: get("table_label"),
        position: get("position"),
        image: get("image"),
        review_date: get("review_date"),
        source: get("source"),
        source_key: get("source_key"),
        content_hash: get("content_hash"),
        seq: get(SORT_FIELD),
        text_fields: std::array::from_fn(|i| get(TEXT_FIELDS[i].name)),
    };
    (schema, fields)
}

impl Fields {
    /// The handle of a searchable text field by name.
    pub fn text(&self, name: &str) -> Option<Field> {
        TEXT_FIELDS.iter().position(|f| f.name == name).map(|i| self.text_fields[i])
    }

    /// Every text field with its handle, in [`TEXT_FIELDS`] order.
    pub fn texts(&self) -> impl Iterator<Item = (&'static TextField, Field)> + '_ {
        TEXT_FIELDS.iter().zip(self.text_fields.iter().copied())
    }

    /// The handle of a facet field by its user-facing name.
    pub fn facet(&self, name: &str) -> Option<Field> {
        Some(match name {
            "kind" => self.kind_facet,
            "category" => self.category_facet,
            "mechanism" => self.mechanism_facet,
            "topic" => self.topic_facet,
            "affiliation" => self.affiliation_facet,
            "date" => self.date_facet,
            "lang" => self.lang_facet,
            _ => return None,
        })
    }
}
