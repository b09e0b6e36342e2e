//! CQL type names parsed into scylla's `ColumnType`, and the private `_native._serialize` /
//! `_native._deserialize` functions built on them.
//!
//! They let unit tests exercise every conversion (and every conversion error message) without a
//! server: the conversions run exactly as they do for a bound parameter or a result cell.
//! User-defined types are written `keyspace.name{field: type, ...}`, since a CQL type name alone
//! does not carry a UDT's fields.

use std::borrow::Cow;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use scylla::frame::response::result::{CollectionType, ColumnType, UserDefinedType};

/// Parses a CQL type such as `map<text, frozen<list<int>>>` or `vector<float, 3>`.
pub(crate) fn parse_cql_type(spec: &str) -> Result<ColumnType<'static>, String> {
    let mut parser = Parser { text: spec, at: 0 };
    let typ = parser.column_type()?;
    parser.skip_space();
    if parser.at != spec.len() {
        return Err(parser.error("end of type"));
    }
    Ok(typ)
}

struct Parser<'s> {
    text: &'s str,
    at: usize,
}

impl Parser<'_> {
    fn error(&self, expected: &str) -> String {
        format!(
            "invalid CQL type {:?}: expected {expected} at offset {}",
            self.text, self.at
        )
    }

    fn skip_space(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: char) -> bool {
        self.skip_space();
        if self.text[self.at..].starts_with(token) {
            self.at += token.len_utf8();
            true
        } else {
            false
        }
    }

    fn require(&mut self, token: char) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error(&format!("'{token}'")))
        }
    }

    fn word(&mut self) -> Result<&str, String> {
        self.skip_space();
        let rest = &self.text[self.at..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("a type name"));
        }
        self.at += len;
        Ok(&rest[..len])
    }

    fn column_type(&mut self) -> Result<ColumnType<'static>, String> {
        let name = self.word()?.to_ascii_lowercase();
        let native = super::names::native_type(&name);
        if let Some(native) = native {
            return Ok(ColumnType::Native(native));
        }
        match name.as_str() {
            "frozen" => {
                self.require('<')?;
                let inner = self.column_type()?;
                self.require('>')?;
                Ok(match inner {
                    ColumnType::Collection { typ, .. } => {
                        ColumnType::Collection { frozen: true, typ }
                    }
                    ColumnType::UserDefinedType { definition, .. } => ColumnType::UserDefinedType {
                        frozen: true,
                        definition,
                    },
                    other => other, // tuples and vectors are always frozen
                })
            }
            "list" | "set" => {
                self.require('<')?;
                let element = Box::new(self.column_type()?);
                self.require('>')?;
                let typ = if name == "list" {
                    CollectionType::List(element)
                } else {
                    CollectionType::Set(element)
                };
                Ok(ColumnType::Collection { frozen: false, typ })
            }
            "map" => {
                self.require('<')?;
                let key = Box::new(self.column_type()?);
                self.require(',')?;
                let value = Box::new(self.column_type()?);
                self.require('>')?;
                Ok(ColumnType::Collection {
                    frozen: false,
                    typ: CollectionType::Map(key, value),
                })
            }
            "tuple" => {
                self.require('<')?;
                let mut elements = vec![self.column_type()?];
                while self.eat(',') {
                    elements.push(self.column_type()?);
                }
                self.require('>')?;
                Ok(ColumnType::Tuple(elements))
            }
            "vector" => {
                self.require('<')?;
                let typ = Box::new(self.column_type()?);
                self.require(',')?;
                let dimensions = self
                    .word()?
                    .parse::<u16>()
                    .map_err(|_| self.error("a dimension from 1 to 65535"))?;
                self.require('>')?;
                Ok(ColumnType::Vector { typ, dimensions })
            }
            qualified if qualified.contains('.') => self.user_type(qualified.to_string()),
            _ => Err(format!(
                "invalid CQL type {:?}: unknown type {name:?}",
                self.text
            )),
        }
    }

    /// `keyspace.name{field: type, ...}` (the name was already read).
    fn user_type(&mut self, qualified: String) -> Result<ColumnType<'static>, String> {
        let Some((keyspace, name)) = qualified.split_once('.') else {
            return Err(self.error("keyspace.name"));
        };
        let (keyspace, name) = (keyspace.to_string(), name.to_string());
        self.require('{')?;
        let mut field_types = Vec::new();
        loop {
            let field = self.word()?.to_string();
            self.require(':')?;
            field_types.push((Cow::Owned(field), self.column_type()?));
            if !self.eat(',') {
                break;
            }
        }
        self.require('}')?;
        Ok(ColumnType::UserDefinedType {
            frozen: false,
            definition: Arc::new(UserDefinedType {
                name: Cow::Owned(name),
                keyspace: Cow::Owned(keyspace),
                field_types,
            }),
        })
    }
}

fn parse_for_python(cql_type: &str) -> PyResult<ColumnType<'static>> {
    parse_cql_type(cql_type).map_err(PyValueError::new_err)
}

/// Serialises `value` as CQL type `cql_type`, exactly as a bound parameter named `value` would be
/// (same checks, same `BindError`). Private: for tests.
#[pyfunction]
pub(crate) fn _serialize<'py>(
    py: Python<'py>,
    cql_type: &str,
    value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let typ = parse_for_python(cql_type)?;
    let mut out = Vec::new();
    super::serialize(value, &typ, &mut out)
        .map_err(|err| super::bind_error(err, "0", "value", &typ, value).into_pyerr(py))?;
    Ok(PyBytes::new(py, &out))
}

/// Decodes `data` (a non-null cell) as CQL type `cql_type`, as a result column would be.
/// Private: for tests.
#[pyfunction]
pub(crate) fn _deserialize<'py>(
    py: Python<'py>,
    cql_type: &str,
    data: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let typ = parse_for_python(cql_type)?;
    super::deserialize(py, &typ, data, super::Decoding::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scylla::frame::response::result::NativeType;

    #[test]
    fn parses_nested_types() -> Result<(), String> {
        let typ = parse_cql_type("map<text, frozen<list<tuple<int, vector<float, 3>>>>>")?;
        assert_eq!(
            super::super::cql_type_name(&typ),
            "map<text, frozen<list<tuple<int, vector<float, 3>>>>>"
        );
        let udt = parse_cql_type("frozen<ks.address{street: text, zip: int}>")?;
        assert_eq!(super::super::cql_type_name(&udt), "frozen<ks.address>");
        assert_eq!(
            parse_cql_type(" VARCHAR ")?,
            ColumnType::Native(NativeType::Text)
        );
        Ok(())
    }

    #[test]
    fn rejects_malformed_types() {
        for bad in [
            "",
            "lst<int>",
            "list<int",
            "map<int>",
            "vector<float, x>",
            "int int",
        ] {
            assert!(parse_cql_type(bad).is_err(), "{bad:?} parsed");
        }
    }
}
