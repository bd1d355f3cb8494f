// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Serializing Rust values into [`PerlValue`].
//!
//! Structs and maps become hashrefs, sequences and tuples arrayrefs,
//! `None` and `()` undef, booleans 1 and 0 (what Perl's comparisons give),
//! unit enum variants their name, other variants a one-key hashref.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{self, Serialize};

use crate::value::PerlValue;

/// A value that cannot become Perl data (a map with non-string keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Converts any serializable value into a [`PerlValue`].
pub fn to_value<T: Serialize + ?Sized>(v: &T) -> Result<PerlValue, Error> {
    v.serialize(Serializer)
}

/// The serializer producing [`PerlValue`]s.
pub struct Serializer;

fn int<T: TryInto<i64> + Into<u64> + Copy>(v: T) -> PerlValue {
    match v.try_into() {
        Ok(i) => PerlValue::Int(i),
        Err(_) => PerlValue::UInt(v.into()),
    }
}

impl ser::Serializer for Serializer {
    type Ok = PerlValue;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantBuilder<MapBuilder>;

    fn serialize_bool(self, v: bool) -> Result<PerlValue, Error> {
        Ok(PerlValue::Int(v as i64))
    }
    fn serialize_i8(self, v: i8) -> Result<PerlValue, Error> {
        Ok(PerlValue::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<PerlValue, Error> {
        Ok(PerlValue::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<PerlValue, Error> {
        Ok(PerlValue::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<PerlValue, Error> {
        Ok(PerlValue::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<PerlValue, Error> {
        Ok(PerlValue::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<PerlValue, Error> {
        Ok(PerlValue::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<PerlValue, Error> {
        Ok(PerlValue::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<PerlValue, Error> {
        Ok(int(v))
    }
    fn serialize_f32(self, v: f32) -> Result<PerlValue, Error> {
        Ok(PerlValue::Num(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<PerlValue, Error> {
        Ok(PerlValue::Num(v))
    }
    fn serialize_char(self, v: char) -> Result<PerlValue, Error> {
        Ok(PerlValue::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<PerlValue, Error> {
        Ok(PerlValue::Str(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<PerlValue, Error> {
        String::from_utf8(v.to_vec())
            .map(PerlValue::Str)
            .map_err(|_| Error("bytes that are not UTF-8 cannot be returned to Perl".into()))
    }
    fn serialize_none(self) -> Result<PerlValue, Error> {
        Ok(PerlValue::Undef)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<PerlValue, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<PerlValue, Error> {
        Ok(PerlValue::Undef)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<PerlValue, Error> {
        Ok(PerlValue::Undef)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<PerlValue, Error> {
        Ok(PerlValue::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<PerlValue, Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<PerlValue, Error> {
        let mut h = BTreeMap::new();
        h.insert(variant.to_owned(), v.serialize(Serializer)?);
        Ok(PerlValue::Hash(h))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<SeqBuilder>, Error> {
        Ok(VariantBuilder {
            variant,
            inner: SeqBuilder(Vec::with_capacity(len)),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder::default())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<MapBuilder, Error> {
        Ok(MapBuilder::default())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantBuilder<MapBuilder>, Error> {
        Ok(VariantBuilder {
            variant,
            inner: MapBuilder::default(),
        })
    }
}

/// Builds an arrayref.
pub struct SeqBuilder(Vec<PerlValue>);

impl ser::SerializeSeq for SeqBuilder {
    type Ok = PerlValue;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.0.push(v.serialize(Serializer)?);
        Ok(())
    }
    fn end(self) -> Result<PerlValue, Error> {
        Ok(PerlValue::Array(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = PerlValue;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<PerlValue, Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = PerlValue;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<PerlValue, Error> {
        ser::SerializeSeq::end(self)
    }
}

/// Builds a hashref.
#[derive(Default)]
pub struct MapBuilder {
    map: BTreeMap<String, PerlValue>,
    key: Option<String>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = PerlValue;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        let key = k.serialize(Serializer)?;
        match key.as_perl_string() {
            Some(s) => {
                self.key = Some(s);
                Ok(())
            }
            None => Err(Error(format!(
                "a hash key must be a string, not {}",
                key.describe()
            ))),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error("hash value given before its key".into()))?;
        self.map.insert(key, v.serialize(Serializer)?);
        Ok(())
    }
    fn end(self) -> Result<PerlValue, Error> {
        Ok(PerlValue::Hash(self.map))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = PerlValue;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.map.insert(key.to_owned(), v.serialize(Serializer)?);
        Ok(())
    }
    fn end(self) -> Result<PerlValue, Error> {
        Ok(PerlValue::Hash(self.map))
    }
}

/// Builds a one-key hashref `{ variant => ... }` for enum variants with data.
pub struct VariantBuilder<T> {
    variant: &'static str,
    inner: T,
}

impl<T> VariantBuilder<T> {
    fn wrap(variant: &'static str, v: PerlValue) -> PerlValue {
        let mut h = BTreeMap::new();
        h.insert(variant.to_owned(), v);
        PerlValue::Hash(h)
    }
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = PerlValue;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(&mut self.inner, v)
    }
    fn end(self) -> Result<PerlValue, Error> {
        Ok(Self::wrap(
            self.variant,
            ser::SerializeSeq::end(self.inner)?,
        ))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<MapBuilder> {
    type Ok = PerlValue;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, v)
    }
    fn end(self) -> Result<PerlValue, Error> {
        Ok(Self::wrap(
            self.variant,
            ser::SerializeStruct::end(self.inner)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Cross,
        Pair(u8, u8),
    }

    #[derive(Serialize)]
    struct S {
        name: &'static str,
        ok: bool,
        none: Option<u32>,
        big: u64,
        list: Vec<u32>,
        kind: Kind,
        pair: Kind,
    }

    #[test]
    fn shapes() {
        let v = to_value(&S {
            name: "x",
            ok: true,
            none: None,
            big: u64::MAX,
            list: vec![1, 2],
            kind: Kind::Cross,
            pair: Kind::Pair(1, 2),
        })
        .unwrap();
        let PerlValue::Hash(h) = v else {
            panic!("not a hash")
        };
        assert_eq!(h["name"], PerlValue::Str("x".into()));
        assert_eq!(h["ok"], PerlValue::Int(1));
        assert_eq!(h["none"], PerlValue::Undef);
        assert_eq!(h["big"], PerlValue::UInt(u64::MAX));
        assert_eq!(
            h["list"],
            PerlValue::Array(vec![PerlValue::Int(1), PerlValue::Int(2)])
        );
        assert_eq!(h["kind"], PerlValue::Str("cross".into()));
        let PerlValue::Hash(p) = &h["pair"] else {
            panic!("pair not a hash")
        };
        assert_eq!(
            p["pair"],
            PerlValue::Array(vec![PerlValue::Int(1), PerlValue::Int(2)])
        );
    }

    #[test]
    fn non_string_keys_rejected() {
        let mut m = BTreeMap::new();
        m.insert(vec![1u8], 1u8);
        assert!(to_value(&m).is_err());
    }
}
