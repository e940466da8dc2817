//! A segment's doc store read in place: a hit's record found through the store's skip
//! index without allocating, its block decompressed once and kept, its bytes lent out.
//!
//! The store is tantivy's (`.store`): blocks of whole records, each LZ4-compressed (or
//! not), then a skip index of layers of checkpoints, then a footer. A checkpoint is a
//! range of records and a range of bytes; the finest layer's ranges are the blocks, each
//! coarser layer's are groups of the next finer layer's checkpoints. Tantivy's reader
//! walks the same layers but allocates a buffer per layer on every look-up, a fifth of
//! reading a hit. A store this reader does not know (another version, compression or
//! layout) is read by tantivy's reader instead ([`super::stored::StoreReaders`]).

use std::ops::Range;
use std::sync::Mutex;

use tantivy::directory::{FileSlice, OwnedBytes};
use tantivy::{DocId, HasLen};

/// The footer: the store version (4 bytes), where the skip index starts (8), the
/// compressor's id (1) and 15 reserved bytes.
const FOOTER_BYTES: usize = 28;

/// The store versions whose blocks and skip index this reader knows.
const VERSIONS: std::ops::RangeInclusive<u32> = 1..=2;

/// The most a block of records decompresses to: LZ4 cannot expand by more than 255.
const LZ4_MAX_RATIO: usize = 255;

/// One segment's doc store.
pub struct DirectStore {
    /// The blocks, up to the skip index: each read when first needed (a process that
    /// searches once reads a few, with `pread` where they are small).
    blocks: FileSlice,
    /// The skip index's layers (coarsest first), as byte ranges of `index`.
    index: OwnedBytes,
    layers: Vec<Range<usize>>,
    lz4: bool,
    /// Decompressed blocks, the most recently read.
    cache: Mutex<Blocks>,
}

/// A checkpoint: a range of records and the range of bytes holding them.
type Checkpoint = (Range<DocId>, Range<usize>);

/// Why a record could not be read: the store does not hold what its index says.
#[derive(Debug, Clone, Copy)]
pub struct Damaged(&'static str);

impl From<Damaged> for tantivy::TantivyError {
    /// In the words a damaged index is reported in ([`crate::index::damage`]).
    fn from(d: Damaged) -> Self {
        tantivy::TantivyError::DataCorruption(tantivy::error::DataCorruption::comment_only(format!(
            "stored records do not read as written ({}): a .store file was overwritten; `paperdex stats --verify` names it",
            d.0
        )))
    }
}

impl DirectStore {
    /// The store in `file`, keeping up to `cached` decompressed blocks; `None` when it is
    /// not one this reader knows.
    pub fn open(file: FileSlice, cached: usize) -> Option<DirectStore> {
        let footer_at = file.len().checked_sub(FOOTER_BYTES)?;
        let footer = file.slice_from(footer_at).read_bytes().ok()?;
        let footer = footer.as_slice();
        let version = u32::from_le_bytes(footer.get(0..4)?.try_into().ok()?);
        let offset = usize::try_from(u64::from_le_bytes(footer.get(4..12)?.try_into().ok()?)).ok()?;
        let lz4 = match footer.get(12)? {
            0 => false,
            1 => true,
            _ => return None,
        };
        if !VERSIONS.contains(&version) || offset > footer_at {
            return None;
        }
        // The layers' ends, a count then each end, measured from after the ends.
        let index = file.slice(offset..footer_at).read_bytes().ok()?;
        let mut rest = index.as_slice();
        let count = vint(&mut rest)?;
        let mut layers = Vec::new();
        let mut start = 0;
        for _ in 0..count {
            let end = usize::try_from(vint(&mut rest)?).ok()?;
            if end < start || end > rest.len() {
                return None;
            }
            layers.push(start..end);
            start = end;
        }
        let header = index.len() - rest.len();
        Some(DirectStore {
            blocks: file.slice_to(offset),
            index: index.slice(header..index.len()),
            layers,
            lz4,
            cache: Mutex::new(Blocks::new(cached)),
        })
    }

    /// The stored bytes of record `doc`.
    pub fn get(&self, doc: DocId) -> Result<OwnedBytes, Damaged> {
        let (docs, bytes) = self.checkpoint(doc)?;
        let block = self.block(bytes)?;
        let range = record_in_block(&block, doc - docs.start).ok_or(Damaged("a record outside its block"))?;
        Ok(block.slice(range))
    }

    /// The block holding `doc`: its records and its bytes, down the layers.
    fn checkpoint(&self, doc: DocId) -> Result<Checkpoint, Damaged> {
        let index = self.index.as_slice();
        let mut from = 0;
        let mut found = None;
        for (i, layer) in self.layers.iter().enumerate() {
            let data = index.get(layer.clone()).ok_or(Damaged("a layer past the index"))?;
            let rest = data.get(from..).ok_or(Damaged("a checkpoint past its layer"))?;
            let (docs, bytes) = seek(rest, doc)?.ok_or(Damaged("no block holds the record"))?;
            // A coarser layer's byte range is in the next layer; the finest's, in the blocks.
            if i + 1 < self.layers.len() {
                from = bytes.start;
            }
            found = Some((docs, bytes));
        }
        match found {
            Some((docs, bytes)) if docs.start <= doc => Ok((docs, bytes)),
            _ => Err(Damaged("no block holds the record")),
        }
    }

    /// The decompressed block at `bytes`, kept for the next record read from it.
    fn block(&self, bytes: Range<usize>) -> Result<OwnedBytes, Damaged> {
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(block) = cache.get(bytes.start) {
            return Ok(block);
        }
        if bytes.start > bytes.end || bytes.end > self.blocks.len() {
            return Err(Damaged("a block past the store"));
        }
        let stored = self.blocks.read_bytes_slice(bytes.clone()).map_err(|_| Damaged("a block that cannot be read"))?;
        let block = if self.lz4 { OwnedBytes::new(lz4_block(stored.as_slice())?) } else { stored };
        cache.put(bytes.start, block.clone());
        Ok(block)
    }
}

/// The blocks last read, by their start: the least recently read goes first.
struct Blocks {
    capacity: usize,
    /// Each block's start, its bytes and when it was last read.
    kept: Vec<(usize, OwnedBytes, u64)>,
    clock: u64,
}

impl Blocks {
    fn new(capacity: usize) -> Blocks {
        Blocks { capacity: capacity.max(1), kept: Vec::new(), clock: 0 }
    }

    fn get(&mut self, start: usize) -> Option<OwnedBytes> {
        self.clock += 1;
        let entry = self.kept.iter_mut().find(|(s, ..)| *s == start)?;
        entry.2 = self.clock;
        Some(entry.1.clone())
    }

    fn put(&mut self, start: usize, block: OwnedBytes) {
        self.clock += 1;
        if self.kept.len() < self.capacity {
            self.kept.push((start, block, self.clock));
        } else if let Some(oldest) = self.kept.iter_mut().min_by_key(|(.., used)| *used) {
            *oldest = (start, block, self.clock);
        }
    }
}

/// An LZ4 block as tantivy writes it: its decompressed length (4 bytes, little-endian),
/// then the block.
fn lz4_block(stored: &[u8]) -> Result<Vec<u8>, Damaged> {
    let (len, compressed) = stored.split_at_checked(4).ok_or(Damaged("a block shorter than its length"))?;
    let len = u32::from_le_bytes(len.try_into().map_err(|_| Damaged("a block's length"))?) as usize;
    if len > compressed.len().saturating_mul(LZ4_MAX_RATIO).saturating_add(16) {
        return Err(Damaged("a block longer than it could decompress to"));
    }
    let mut out = vec![0; len];
    match lz4_flex::block::decompress_into(compressed, &mut out) {
        Ok(n) if n == len => Ok(out),
        _ => Err(Damaged("a block that does not decompress")),
    }
}

/// In one layer, from its start or a coarser checkpoint's: the first checkpoint whose
/// records end after `doc`. A layer is a run of checkpoint blocks: a count, the first
/// record and byte, then per checkpoint its records and bytes.
fn seek(mut data: &[u8], doc: DocId) -> Result<Option<Checkpoint>, Damaged> {
    while !data.is_empty() {
        let count = vint(&mut data).ok_or(Damaged("a skip index that ends early"))?;
        if count == 0 {
            continue;
        }
        let mut first = u32::try_from(vint(&mut data).ok_or(Damaged("a skip index that ends early"))?)
            .map_err(|_| Damaged("a record number past any"))?;
        let mut start = usize::try_from(vint(&mut data).ok_or(Damaged("a skip index that ends early"))?)
            .map_err(|_| Damaged("a byte offset past any"))?;
        for _ in 0..count {
            let docs = vint(&mut data).ok_or(Damaged("a skip index that ends early"))?;
            let bytes = vint(&mut data).ok_or(Damaged("a skip index that ends early"))?;
            let end = u32::try_from(docs).ok().and_then(|n| first.checked_add(n));
            let last = usize::try_from(bytes).ok().and_then(|n| start.checked_add(n));
            let (Some(end), Some(last)) = (end, last) else { return Err(Damaged("a checkpoint past any")) };
            if end > doc {
                return Ok(Some((first..end, start..last)));
            }
            (first, start) = (end, last);
        }
    }
    Ok(None)
}

/// A variable-length integer as tantivy writes one: seven bits a byte, low first, the
/// last byte's high bit set.
fn vint(data: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &b) in data.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 != 0 {
            *data = &data[i + 1..];
            return Some(value);
        }
    }
    None
}

/// Record `pos` of a decompressed block: the records, then each one's start (4 bytes
/// each) and their count (4 bytes); a record ends where the next starts, the last where
/// the starts do.
fn record_in_block(block: &[u8], pos: u32) -> Option<Range<usize>> {
    let u32_at = |at: usize| block.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
    let count_at = block.len().checked_sub(4)?;
    let count = u32_at(count_at)? as usize;
    let starts = count_at.checked_sub(count.checked_mul(4)?)?;
    let pos = pos as usize;
    if pos >= count {
        return None;
    }
    let start = u32_at(starts + pos * 4)? as usize;
    let end = if pos + 1 < count { u32_at(starts + (pos + 1) * 4)? as usize } else { starts };
    (start <= end && end <= starts).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{STORED, Schema, TEXT};
    use tantivy::store::Compressor;
    use tantivy::{Directory, Index, IndexSettings, doc};

    use super::*;

    /// An index of `n` records of varied lengths in small blocks (a skip index of several
    /// layers), stored with `compressor`.
    fn index(n: u32, compressor: Compressor) -> Index {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT | STORED);
        let settings = IndexSettings { docstore_compression: compressor, docstore_blocksize: 96, ..Default::default() };
        let index = Index::builder().schema(b.build()).settings(settings).create_in_ram().unwrap();
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..n {
            let words = "word ".repeat((i % 37) as usize);
            writer.add_document(doc!(text => format!("record {i} {words}ünïcode"))).unwrap();
        }
        writer.commit().unwrap();
        index
    }

    fn store_file(index: &Index) -> FileSlice {
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let name = format!("{}.store", segment.segment_id().uuid_string());
        index.directory().open_read(std::path::Path::new(&name)).unwrap()
    }

    #[test]
    fn every_record_reads_as_tantivy_reads_it() {
        for compressor in [Compressor::Lz4, Compressor::None] {
            let index = index(3_000, compressor);
            let searcher = index.reader().unwrap().searcher();
            let tantivy_store = searcher.segment_readers()[0].get_store_reader(0).unwrap();
            let store = DirectStore::open(store_file(&index), 4).unwrap();
            assert!(store.layers.len() >= 3, "{} layers", store.layers.len());
            // In order, backwards and scattered: from the cache and from the blocks.
            let scattered = (0..3_000u32).map(|i| (i * 7_919) % 3_000);
            for doc in (0..3_000).chain((0..3_000).rev()).chain(scattered) {
                let expected = tantivy_store.get_document_bytes(doc).unwrap();
                assert_eq!(store.get(doc).unwrap().as_slice(), expected.as_slice(), "record {doc}");
            }
            assert!(store.get(3_000).is_err(), "a record past the last");
        }
    }

    #[test]
    fn a_damaged_store_reads_as_an_error_or_not_at_all() {
        let index = index(500, Compressor::Lz4);
        let bytes = store_file(&index).read_bytes().unwrap().as_slice().to_vec();
        // Every byte flipped in turn, and the file cut at every length: no panic.
        for at in (0..bytes.len()).step_by(7) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x5a;
            if let Some(store) = DirectStore::open(FileSlice::from(damaged), 4) {
                for doc in (0..500).step_by(13) {
                    let _ = store.get(doc);
                }
            }
        }
        for len in (0..bytes.len()).step_by(11) {
            if let Some(store) = DirectStore::open(FileSlice::from(bytes[..len].to_vec()), 4) {
                for doc in (0..500).step_by(13) {
                    let _ = store.get(doc);
                }
            }
        }
        assert!(DirectStore::open(FileSlice::from(bytes), 4).is_some());
    }

    #[test]
    fn variable_length_integers_read_as_written() {
        for value in [0u64, 1, 127, 128, 300, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut buffer = Vec::new();
            tantivy_common::VInt(value).serialize_into_vec(&mut buffer);
            let mut rest = &buffer[..];
            assert_eq!(vint(&mut rest), Some(value));
            assert!(rest.is_empty());
        }
        assert_eq!(vint(&mut &[0x01u8, 0x02][..]), None, "no last byte");
    }
}
