//! A hit's stored fields, read from the doc store as a plain list of values: what a hit
//! and its snippet print, without the document tree tantivy builds for a `TantivyDocument`
//! (a second copy of every value, a page body among them).

use tantivy::DateTime;
use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::{Field, OwnedValue};

/// The stored values of one record, in the order they were written.
pub struct StoredDoc {
    values: Vec<(Field, OwnedValue)>,
}

impl DocumentDeserialize for StoredDoc {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(mut deserializer: D) -> Result<Self, DeserializeError> {
        let mut values = Vec::with_capacity(deserializer.size_hint());
        while let Some(value) = deserializer.next_field::<OwnedValue>()? {
            values.push(value);
        }
        Ok(StoredDoc { values })
    }
}

impl StoredDoc {
    fn of(&self, field: Field) -> impl Iterator<Item = &OwnedValue> {
        self.values.iter().filter(move |(f, _)| *f == field).map(|(_, v)| v)
    }

    /// Every text value of `field`.
    pub fn all(&self, field: Field) -> impl Iterator<Item = &str> {
        self.of(field).filter_map(|v| match v {
            OwnedValue::Str(s) => Some(s.as_str()),
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
            OwnedValue::Date(d) => Some(*d),
            _ => None,
        })
    }

    /// The first unsigned number of `field`.
    pub fn u64(&self, field: Field) -> Option<u64> {
        self.of(field).find_map(|v| match v {
            OwnedValue::U64(n) => Some(*n),
            _ => None,
        })
    }
}
