//! Files to plain records: review pages, their captions and taxonomy method entries.
//! Nothing here knows about the search index.

mod frontmatter;
pub mod html;
mod page;
pub mod path;
pub mod record;
mod table;
mod taxonomy;
pub mod text;
mod walk;

pub use page::{ParsedFile, normalize_date, parse_bytes};
pub use record::{Caption, CaptionKind, Insight, Link, MethodEntry, Page, PageRecords, Problem, Severity};
pub use walk::{
    Admission, Corpus, CorpusFiles, MAX_FILE_BYTES, PageHead, PageRegistry, find_files, parse_file, parse_files,
    read_ahead, read_corpus, read_file, walk_root,
};
