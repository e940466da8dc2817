//! The index schema: one `Fields` struct of handles, the user-facing names of text and
//! facet fields, and the boosts that rank title and method name above labels and
//! summaries, above body text.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, FacetOptions, Field, INDEXED, IndexRecordOption, NumericOptions, STORED,
    STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::tokenizer::ANALYZER;

/// The version of the schema written by this build; kept in the commit payload.
pub const SCHEMA_VERSION: u32 = 4;

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
}

/// A searchable text field: its name in queries (`title:diffusion`) and its boost.
pub struct TextField {
    pub name: &'static str,
    pub boost: f32,
}

/// Every searchable text field, in the order the query parser searches them.
pub const TEXT_FIELDS: &[TextField] = &[
    TextField { name: "title", boost: 3.0 },
    TextField { name: "name", boost: 3.0 },
    TextField { name: "label", boost: 2.0 },
    TextField { name: "citation", boost: 1.5 },
    TextField { name: "category", boost: 1.5 },
    TextField { name: "mechanism", boost: 1.5 },
    TextField { name: "summary", boost: 1.5 },
    TextField { name: "topic", boost: 1.5 },
    TextField { name: "affiliation", boost: 1.5 },
    TextField { name: "authors", boost: 1.5 },
    TextField { name: "caption", boost: 1.2 },
    TextField { name: "description", boost: 1.0 },
    TextField { name: "table", boost: 0.8 },
    TextField { name: "body", boost: 1.0 },
];

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
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let facet = FacetOptions::default();
    let stored_text = TextOptions::default().set_stored();
    let date_options = DateOptions::from(INDEXED).set_stored().set_fast().set_precision(DateTimePrecision::Seconds);
    let year_options = NumericOptions::default().set_indexed().set_stored().set_fast();
    let fields = Fields {
        title: b.add_text_field("title", text.clone()),
        name: b.add_text_field("name", text.clone()),
        label: b.add_text_field("label", text.clone()),
        citation: b.add_text_field("citation", text.clone()),
        category: b.add_text_field("category", text.clone()),
        mechanism: b.add_text_field("mechanism", text.clone()),
        summary: b.add_text_field("summary", text.clone()),
        topic: b.add_text_field("topic", text.clone()),
        affiliation: b.add_text_field("affiliation", text.clone()),
        authors: b.add_text_field("authors", text.clone()),
        caption: b.add_text_field("caption", text.clone()),
        description: b.add_text_field("description", text.clone()),
        table: b.add_text_field("table", text.clone()),
        body: b.add_text_field("body", text),
        kind_facet: b.add_facet_field("kind_facet", facet.clone()),
        category_facet: b.add_facet_field("category_facet", facet.clone()),
        mechanism_facet: b.add_facet_field("mechanism_facet", facet.clone()),
        topic_facet: b.add_facet_field("topic_facet", facet.clone()),
        affiliation_facet: b.add_facet_field("affiliation_facet", facet.clone()),
        date_facet: b.add_facet_field("date_facet", facet.clone()),
        lang_facet: b.add_facet_field("lang_facet", facet),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_text_field("id", STRING | STORED),
        page_id: b.add_text_field("page_id", STRING | STORED),
        page_key: b.add_text_field("page_key", STRING | FAST),
        lang: b.add_text_field("lang", STRING | STORED),
        page_title: b.add_text_field("page_title", stored_text.clone()),
        date: b.add_date_field("date", date_options),
        year: b.add_u64_field("year", year_options),
        section: b.add_text_field("section", stored_text.clone()),
        table_label: b.add_text_field("table_label", stored_text.clone()),
        position: b.add_u64_field("position", STORED),
        image: b.add_text_field("image", stored_text.clone()),
        review_date: b.add_text_field("review_date", stored_text.clone()),
        source: b.add_text_field("source", STRING | STORED | FAST),
        source_key: b.add_text_field("source_key", STRING | FAST),
        content_hash: b.add_text_field("content_hash", STRING | STORED | FAST),
        seq: b.add_u64_field("seq", NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

impl Fields {
    /// The handle of a searchable text field by name.
    pub fn text(&self, name: &str) -> Option<Field> {
        Some(match name {
            "title" => self.title,
            "name" => self.name,
            "label" => self.label,
            "citation" => self.citation,
            "category" => self.category,
            "mechanism" => self.mechanism,
            "summary" => self.summary,
            "topic" => self.topic,
            "affiliation" => self.affiliation,
            "authors" => self.authors,
            "caption" => self.caption,
            "description" => self.description,
            "table" => self.table,
            "body" => self.body,
            _ => return None,
        })
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
