//! A hit's stored fields, read straight from the doc store's bytes: what a hit and its
//! snippet print, without a `String` allocated, zeroed and copied for every stored value
//! (a page body among them) as tantivy's document reader does.
//!
//! A record is stored as a count, then per value its field, a type code and the value
//! (text as a length and UTF-8 bytes, numbers and dates as eight bytes), in tantivy's
//! doc-store encoding. Text is lent out of the stored block, checked to be UTF-8 each
//! time it is asked for (a value that is not reads as absent): a hit asks for a few
//! short values once, and for a page body's paragraphs only as far as its snippet. A record holding a type this reader does not know
//! is read by tantivy's reader instead.

use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tantivy::Directory;
use tantivy::directory::OwnedBytes;
use tantivy::index::SegmentId;
use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::{Field, OwnedValue};
use tantivy::store::StoreReader;
use tantivy::{DateTime, DocAddress, Searcher, SegmentReader};
use tantivy_common::{BinarySerializable, VInt};

use super::docstore::DirectStore;

/// The stored values of one record, in the order they were written.
pub struct StoredDoc {
    bytes: OwnedBytes,
    values: Vec<(Field, Stored)>,
    /// Per field id, the index of its first value; per value, the index of its field's
    /// next one ([`NONE`] for none): a hit asks for a dozen fields of some forty values.
    first: Vec<u32>,
    next: Vec<u32>,
}

/// No value.
const NONE: u32 = u32::MAX;

/// Field ids a record's values are linked by: far more than the schema has.
const MAX_FIELDS: usize = 1024;

enum Stored {
    /// Text: its bytes in the record.
    Text(Range<usize>),
    U64(u64),
    Date(DateTime),
    /// A value a hit never prints (a facet).
    Other,
    /// A value read by tantivy's reader.
    Owned(OwnedValue),
}

/// Doc-store type codes (tantivy's `schema::document::type_codes`).
const TEXT_CODE: u8 = 0;
const U64_CODE: u8 = 1;
const FACET_CODE: u8 = 3;
const DATE_CODE: u8 = 5;

impl StoredDoc {
    /// The record at `address`.
    pub fn read(stores: &StoreReaders, searcher: &Searcher, address: DocAddress) -> tantivy::Result<StoredDoc> {
        let readers = stores.for_searcher(searcher)?;
        let store = readers.get(address.segment_ord as usize).ok_or_else(|| {
            tantivy::TantivyError::InvalidArgument(format!("no segment {} for a hit", address.segment_ord))
        })?;
        let bytes = match store {
            SegmentStore::Direct(store) => store.get(address.doc_id)?,
            SegmentStore::Tantivy(store) => store.get_document_bytes(address.doc_id)?,
        };
        match StoredDoc::parse(bytes) {
            Some(doc) => Ok(doc),
            None => searcher.doc(address),
        }
    }

    /// The record in `bytes`, or `None` when it holds what this reader does not read.
    fn parse(bytes: OwnedBytes) -> Option<StoredDoc> {
        let all = bytes.as_slice();
        let mut rest = all;
        let count = VInt::deserialize(&mut rest).ok()?.val();
        let mut values = Vec::with_capacity(usize::try_from(count).ok()?.min(all.len()));
        for _ in 0..count {
            let field = Field::from_field_id(u32::deserialize(&mut rest).ok()?);
            let code = u8::deserialize(&mut rest).ok()?;
            let value = match code {
                TEXT_CODE | FACET_CODE => {
                    let len = usize::try_from(VInt::deserialize(&mut rest).ok()?.val()).ok()?;
                    rest.get(..len)?;
                    let start = all.len() - rest.len();
                    rest = &rest[len..];
                    if code == TEXT_CODE { Stored::Text(start..start + len) } else { Stored::Other }
                }
                U64_CODE => Stored::U64(u64::deserialize(&mut rest).ok()?),
                DATE_CODE => Stored::Date(DateTime::from_timestamp_nanos(i64::deserialize(&mut rest).ok()?)),
                _ => return None,
            };
            values.push((field, value));
        }
        rest.is_empty().then(|| StoredDoc::indexed(bytes, values))
    }

    /// The record of `values`, with each field's values linked.
    fn indexed(bytes: OwnedBytes, values: Vec<(Field, Stored)>) -> StoredDoc {
        // A field id past any schema's (a damaged record) is never asked for.
        let known = |f: &Field| (f.field_id() as usize) < MAX_FIELDS;
        let fields = values.iter().map(|(f, _)| f).filter(|f| known(f)).map(|f| f.field_id() as usize + 1).max();
        let mut first = vec![NONE; fields.unwrap_or(0)];
        let mut next = vec![NONE; values.len()];
        // Linked from the last value back, so each field's chain runs in written order.
        for (i, (field, _)) in values.iter().enumerate().rev().filter(|(_, (f, _))| known(f)) {
            let head = &mut first[field.field_id() as usize];
            next[i] = *head;
            *head = i as u32;
        }
        StoredDoc { bytes, values, first, next }
    }

    fn of(&self, field: Field) -> impl Iterator<Item = &Stored> {
        let mut at = self.first.get(field.field_id() as usize).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            let (_, value) = self.values.get(at as usize)?;
            at = self.next[at as usize];
            Some(value)
        })
    }

    /// Every text value of `field`.
    pub fn all(&self, field: Field) -> impl Iterator<Item = &str> {
        self.of(field).filter_map(|v| match v {
            // Checked as it is read: a hit reads a page body only as far as its snippet.
            Stored::Text(range) => simdutf8::basic::from_utf8(&self.bytes.as_slice()[range.clone()]).ok(),
            Stored::Owned(OwnedValue::Str(s)) => Some(s.as_str()),
            _ => None,
        })
    }

    /// The first text value of `field`.
    pub fn first(&self, field: Field) -> Option<&str> {
        self.all(field).next()
    }

    /// The first date of `field`.
    pub fn date(&self, field: Field) -> Option<DateTime> {
        self.of(field).find_map(|v| match v {
            Stored::Date(d) | Stored::Owned(OwnedValue::Date(d)) => Some(*d),
            _ => None,
        })
    }

    /// The first unsigned number of `field`.
    pub fn u64(&self, field: Field) -> Option<u64> {
        self.of(field).find_map(|v| match v {
            Stored::U64(n) | Stored::Owned(OwnedValue::U64(n)) => Some(*n),
            _ => None,
        })
    }
}

/// Tantivy's reader, for a record this one does not read.
impl DocumentDeserialize for StoredDoc {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(mut deserializer: D) -> Result<Self, DeserializeError> {
        let mut values = Vec::with_capacity(deserializer.size_hint());
        while let Some((field, value)) = deserializer.next_field::<OwnedValue>()? {
            values.push((field, Stored::Owned(value)));
        }
        Ok(StoredDoc::indexed(OwnedBytes::empty(), values))
    }
}

/// One doc-store reader per segment of the searcher's commit, opened once per commit
/// for an open index (each keeps its own cache of decompressed blocks).
pub struct StoreReaders {
    kept: Mutex<(Vec<SegmentId>, Arc<Vec<SegmentStore>>)>,
    cached_blocks: usize,
}

/// Decompressed blocks each segment's reader keeps for a long-lived index (tantivy's
/// default).
const CACHED_BLOCKS: usize = 100;

impl Default for StoreReaders {
    fn default() -> Self {
        StoreReaders::with_cached_blocks(CACHED_BLOCKS)
    }
}

/// A segment's doc store: read in place where this reader knows its layout, else by
/// tantivy's reader.
enum SegmentStore {
    Direct(DirectStore),
    Tantivy(StoreReader),
}

impl SegmentStore {
    fn open(searcher: &Searcher, segment: &SegmentReader, cached_blocks: usize) -> tantivy::Result<SegmentStore> {
        let name = format!("{}.store", segment.segment_id().uuid_string());
        let file = searcher.index().directory().open_read(Path::new(&name))?;
        Ok(match DirectStore::open(file, cached_blocks) {
            Some(store) => SegmentStore::Direct(store),
            None => SegmentStore::Tantivy(segment.get_store_reader(cached_blocks)?),
        })
    }
}

impl StoreReaders {
    /// Readers for a process that searches once: it reads each hit once, so they keep
    /// few blocks, and the memory of a block let go is reused for the next one read
    /// (a block kept takes fresh pages, a page fault each, for every one after it).
    pub fn for_one_search() -> Self {
        StoreReaders::with_cached_blocks(4)
    }

    fn with_cached_blocks(blocks: usize) -> Self {
        StoreReaders { kept: Mutex::default(), cached_blocks: blocks }
    }

    fn for_searcher(&self, searcher: &Searcher) -> tantivy::Result<Arc<Vec<SegmentStore>>> {
        let segments: Vec<SegmentId> = searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.0 != segments || kept.1.len() != segments.len() {
            let readers = searcher
                .segment_readers()
                .iter()
                .map(|s| SegmentStore::open(searcher, s, self.cached_blocks))
                .collect::<tantivy::Result<Vec<_>>>()?;
            *kept = (segments, Arc::new(readers));
        }
        Ok(kept.1.clone())
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{FAST, STORED, STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, doc};

    use super::*;

    #[test]
    fn records_read_as_tantivy_stored_them() {
        let mut b = Schema::builder();
        let title = b.add_text_field("title", TEXT | STORED);
        let kind = b.add_text_field("kind", STRING | STORED);
        let year = b.add_u64_field("year", STORED | FAST);
        let date = b.add_date_field("date", STORED);
        let topic = b.add_facet_field("topic", STORED);
        let flag = b.add_bool_field("flag", STORED);
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let when = DateTime::from_timestamp_secs(1_736_000_000);
        writer
            .add_document(doc!(
                title => "Café au lait, ünïcode", title => "second value", kind => "page",
                year => 2025u64, date => when, topic => tantivy::schema::Facet::from("/a/b"),
            ))
            .unwrap();
        // A type this reader does not read: tantivy's reader reads the record.
        writer.add_document(doc!(title => "with a flag", flag => true)).unwrap();
        // One field's values with another's between them.
        writer.add_document(doc!(title => "one", kind => "method", title => "two", title => "three")).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let stores = StoreReaders::default();
        let first = StoredDoc::read(&stores, &searcher, DocAddress::new(0, 0)).unwrap();
        assert_eq!(first.all(title).collect::<Vec<_>>(), ["Café au lait, ünïcode", "second value"]);
        assert_eq!(first.first(kind), Some("page"));
        assert_eq!(first.u64(year), Some(2025));
        assert_eq!(first.date(date), Some(when));
        assert_eq!(first.first(topic), None, "a facet is not text");
        assert!(!first.bytes.is_empty(), "read from the stored bytes");
        let second = StoredDoc::read(&stores, &searcher, DocAddress::new(0, 1)).unwrap();
        assert_eq!(second.first(title), Some("with a flag"));
        assert!(second.bytes.is_empty(), "read by tantivy's reader");
        let expected: TantivyDocument = searcher.doc(DocAddress::new(0, 1)).unwrap();
        assert_eq!(expected.get_first(title).and_then(|v| tantivy::schema::Value::as_str(&v)), Some("with a flag"));
        let third = StoredDoc::read(&stores, &searcher, DocAddress::new(0, 2)).unwrap();
        assert_eq!(third.all(title).collect::<Vec<_>>(), ["one", "two", "three"]);
        assert_eq!(third.first(kind), Some("method"));
        assert_eq!(third.first(topic), None);
        // Bytes that end early or run on are not a record.
        let bytes = searcher.segment_readers()[0].get_store_reader(1).unwrap().get_document_bytes(0).unwrap();
        assert!(StoredDoc::parse(bytes.slice(0..bytes.len() - 1)).is_none());
        let mut longer = bytes.as_slice().to_vec();
        longer.push(0);
        assert!(StoredDoc::parse(OwnedBytes::new(longer)).is_none());
        // A text value whose bytes are not UTF-8 reads as absent; the others still read.
        let mut damaged = bytes.as_slice().to_vec();
        let at = damaged.windows(2).position(|w| w == "é".as_bytes()).unwrap();
        damaged[at] = 0xFF;
        let doc = StoredDoc::parse(OwnedBytes::new(damaged)).unwrap();
        assert_eq!(doc.all(title).collect::<Vec<_>>(), ["second value"]);
        assert_eq!(doc.first(kind), Some("page"));
    }
}
