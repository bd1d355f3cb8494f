// This is part of osstest-core, the Rust core of "osstest", an automated
// testing framework for Xen.
// Copyright (C) 2026 The osstest-core developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// osstest-core is free software: you may redistribute and modify it under
// the GNU Affero General Public License, version 3 or (at your option) any
// later version, as published by the Free Software Foundation. It comes
// with no warranty; see COPYING at the top of the source for the terms.

//! Deserializing Rust types from [`PerlValue`], with Perl's conversions.
//!
//! A scalar becomes whatever the Rust side asks for, as Perl would make it:
//! `"42"` is a fine `u32`, `42` a fine `String`, and `""`/`"0"`/`0`/undef are
//! false. Hashrefs become structs and maps, arrayrefs sequences and tuples,
//! undef `None`. Errors say what was found and what was wanted, and where,
//! by hash key and array index.

use std::collections::btree_map;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use crate::value::{perl_truth, PerlValue};

/// A value did not fit the Rust type it was meant for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where in the value, outermost first (`{opts}`, `[2]`).
    path: Vec<String>,
    message: String,
}

impl Error {
    fn at(mut self, step: String) -> Self {
        self.path.insert(0, step);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path.concat(), self.message)
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            path: Vec::new(),
            message: msg.to_string(),
        }
    }
}

/// Converts a [`PerlValue`] into `T`.
pub fn from_value<T: DeserializeOwned>(v: PerlValue) -> Result<T, Error> {
    T::deserialize(v)
}

fn unexpected(v: &PerlValue, wanted: &str) -> Error {
    de::Error::custom(format_args!("expected {wanted}, got {}", v.describe()))
}

macro_rules! deserialize_integer {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let parsed: Option<$ty> = match &self {
                PerlValue::Int(i) => <$ty>::try_from(*i).ok(),
                PerlValue::UInt(u) => <$ty>::try_from(*u).ok(),
                PerlValue::Num(n) if n.fract() == 0.0 => {
                    let t = *n as $ty;
                    (t as f64 == *n).then_some(t)
                }
                PerlValue::Str(s) => s.trim().parse::<$ty>().ok(),
                _ => None,
            };
            match parsed {
                Some(x) => visitor.$visit(x),
                None => Err(unexpected(
                    &self,
                    concat!("an integer that fits ", stringify!($ty)),
                )),
            }
        }
    };
}

impl<'de> de::Deserializer<'de> for PerlValue {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            PerlValue::Undef => visitor.visit_unit(),
            PerlValue::Int(i) => visitor.visit_i64(i),
            PerlValue::UInt(u) => visitor.visit_u64(u),
            PerlValue::Num(n) => visitor.visit_f64(n),
            PerlValue::Str(s) => visitor.visit_string(s),
            PerlValue::Array(a) => visitor.visit_seq(Seq::new(a)),
            PerlValue::Hash(h) => visitor.visit_map(Map::new(h)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(perl_truth(&self))
    }

    deserialize_integer!(deserialize_i8, visit_i8, i8);
    deserialize_integer!(deserialize_i16, visit_i16, i16);
    deserialize_integer!(deserialize_i32, visit_i32, i32);
    deserialize_integer!(deserialize_i64, visit_i64, i64);
    deserialize_integer!(deserialize_u8, visit_u8, u8);
    deserialize_integer!(deserialize_u16, visit_u16, u16);
    deserialize_integer!(deserialize_u32, visit_u32, u32);
    deserialize_integer!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let n = match &self {
            PerlValue::Int(i) => Some(*i as f64),
            PerlValue::UInt(u) => Some(*u as f64),
            PerlValue::Num(n) => Some(*n),
            PerlValue::Str(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) => visitor.visit_f64(n),
            None => Err(unexpected(&self, "a number")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.as_perl_string() {
            Some(s) => visitor.visit_string(s),
            None => Err(unexpected(&self, "a string")),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.as_perl_string() {
            Some(s) => visitor.visit_byte_buf(s.into_bytes()),
            None => Err(unexpected(&self, "a string")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            PerlValue::Undef => visitor.visit_none(),
            v => visitor.visit_some(v),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            PerlValue::Undef => visitor.visit_unit(),
            v => Err(unexpected(&v, "undef")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            PerlValue::Array(a) => visitor.visit_seq(Seq::new(a)),
            v => Err(unexpected(&v, "an ARRAY reference")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            PerlValue::Hash(h) => visitor.visit_map(Map::new(h)),
            v => Err(unexpected(&v, "a HASH reference")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            PerlValue::Hash(h) if h.len() == 1 => {
                let (k, v) = h.into_iter().next().expect("one entry");
                visitor.visit_enum(Enum {
                    variant: k,
                    value: v,
                })
            }
            v => match v.as_perl_string() {
                Some(s) => visitor.visit_enum(s.into_deserializer()),
                None => Err(unexpected(&v, "a name")),
            },
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

impl<'de> IntoDeserializer<'de, Error> for PerlValue {
    type Deserializer = PerlValue;
    fn into_deserializer(self) -> PerlValue {
        self
    }
}

struct Seq {
    iter: std::iter::Enumerate<std::vec::IntoIter<PerlValue>>,
    len: usize,
}

impl Seq {
    fn new(a: Vec<PerlValue>) -> Self {
        Seq {
            len: a.len(),
            iter: a.into_iter().enumerate(),
        }
    }
}

impl<'de> SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.iter.next() {
            Some((i, v)) => seed
                .deserialize(v)
                .map(Some)
                .map_err(|e| e.at(format!("[{i}]"))),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

struct Map {
    iter: btree_map::IntoIter<String, PerlValue>,
    pending: Option<(String, PerlValue)>,
}

impl Map {
    fn new(h: std::collections::BTreeMap<String, PerlValue>) -> Self {
        Map {
            iter: h.into_iter(),
            pending: None,
        }
    }
}

impl<'de> MapAccess<'de> for Map {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                let key = seed.deserialize(PerlValue::Str(k.clone()))?;
                self.pending = Some((k, v));
                Ok(Some(key))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (k, v) = self
            .pending
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("value asked for before its key"))?;
        seed.deserialize(v).map_err(|e| e.at(format!("{{{k}}}")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct Enum {
    variant: String,
    value: PerlValue,
}

impl<'de> de::EnumAccess<'de> for Enum {
    type Error = Error;
    type Variant = PerlValue;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, PerlValue), Error> {
        let v = seed.deserialize(PerlValue::Str(self.variant))?;
        Ok((v, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for PerlValue {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    fn hash(pairs: &[(&str, PerlValue)]) -> PerlValue {
        PerlValue::Hash(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Opts {
        name: String,
        count: u32,
        verbose: bool,
        limit: Option<u64>,
        #[serde(default)]
        list: Vec<String>,
    }

    #[test]
    fn perl_style_scalars() {
        let v = hash(&[
            ("name", PerlValue::Int(12345)),
            ("count", PerlValue::Str("7".into())),
            ("verbose", PerlValue::Str("0".into())),
            ("limit", PerlValue::Undef),
        ]);
        let o: Opts = from_value(v).unwrap();
        assert_eq!(
            o,
            Opts {
                name: "12345".into(),
                count: 7,
                verbose: false,
                limit: None,
                list: vec![]
            }
        );
    }

    #[test]
    fn errors_say_where() {
        let v = hash(&[
            ("name", PerlValue::Str("x".into())),
            ("count", PerlValue::Str("seven".into())),
            ("verbose", PerlValue::Int(1)),
        ]);
        let e = from_value::<Opts>(v).unwrap_err().to_string();
        assert_eq!(
            e,
            "{count}: expected an integer that fits u32, got the string 'seven'"
        );
        let v = hash(&[
            ("name", PerlValue::Str("x".into())),
            ("count", PerlValue::Int(1)),
            ("verbose", PerlValue::Int(1)),
            (
                "list",
                PerlValue::Array(vec![PerlValue::Str("a".into()), PerlValue::Undef]),
            ),
        ]);
        let e = from_value::<Opts>(v).unwrap_err().to_string();
        assert_eq!(e, "{list}[1]: expected a string, got undef");
        let e = from_value::<Opts>(PerlValue::Array(vec![]))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "expected a HASH reference, got an ARRAY reference");
    }

    #[test]
    fn out_of_range() {
        assert!(from_value::<u8>(PerlValue::Int(300)).is_err());
        assert!(from_value::<u64>(PerlValue::Int(-1)).is_err());
        assert_eq!(from_value::<i32>(PerlValue::Num(3.0)).unwrap(), 3);
        assert!(from_value::<i32>(PerlValue::Num(3.5)).is_err());
    }

    #[test]
    fn maps_and_enums() {
        #[derive(Debug, Deserialize, PartialEq)]
        #[serde(rename_all = "lowercase")]
        enum Comp {
            Gzip,
            Xz,
        }
        assert_eq!(
            from_value::<Comp>(PerlValue::Str("xz".into())).unwrap(),
            Comp::Xz
        );
        assert!(from_value::<Comp>(PerlValue::Str("lz4".into())).is_err());
        let m: BTreeMap<String, String> =
            from_value(hash(&[("arch", PerlValue::Str("armhf".into()))])).unwrap();
        assert_eq!(m["arch"], "armhf");
        let _ = Comp::Gzip;
    }
}
