//! CQL type names: one table of the native types, read both ways, and the spelling of any type.

use scylla::frame::response::result::{CollectionType, ColumnType, NativeType};

/// Every native CQL type and its name, as cqlsh prints it.
const NATIVE_TYPES: [(&str, NativeType); 20] = [
    ("ascii", NativeType::Ascii),
    ("bigint", NativeType::BigInt),
    ("blob", NativeType::Blob),
    ("boolean", NativeType::Boolean),
    ("counter", NativeType::Counter),
    ("date", NativeType::Date),
    ("decimal", NativeType::Decimal),
    ("double", NativeType::Double),
    ("duration", NativeType::Duration),
    ("float", NativeType::Float),
    ("inet", NativeType::Inet),
    ("int", NativeType::Int),
    ("smallint", NativeType::SmallInt),
    ("text", NativeType::Text),
    ("time", NativeType::Time),
    ("timestamp", NativeType::Timestamp),
    ("timeuuid", NativeType::Timeuuid),
    ("tinyint", NativeType::TinyInt),
    ("uuid", NativeType::Uuid),
    ("varint", NativeType::Varint),
];

/// The native type called `name` (lower case; `varchar` is CQL's alias of `text`).
pub(crate) fn native_type(name: &str) -> Option<NativeType> {
    let name = if name == "varchar" { "text" } else { name };
    NATIVE_TYPES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, native)| native.clone())
}

pub(crate) fn native_type_name(native: &NativeType) -> &'static str {
    NATIVE_TYPES
        .iter()
        .find(|(_, known)| known == native)
        .map_or("unknown", |(name, _)| name)
}

/// The CQL spelling of a type, as `cqlsh` would print it.
pub(crate) fn cql_type_name(typ: &ColumnType<'_>) -> String {
    match typ {
        ColumnType::Native(native) => native_type_name(native).to_string(),
        ColumnType::Collection { frozen, typ } => {
            let inner = match typ {
                CollectionType::List(t) => format!("list<{}>", cql_type_name(t)),
                CollectionType::Set(t) => format!("set<{}>", cql_type_name(t)),
                CollectionType::Map(k, v) => {
                    format!("map<{}, {}>", cql_type_name(k), cql_type_name(v))
                }
                _ => "collection".to_string(),
            };
            if *frozen {
                format!("frozen<{inner}>")
            } else {
                inner
            }
        }
        ColumnType::Vector { typ, dimensions } => {
            format!("vector<{}, {dimensions}>", cql_type_name(typ))
        }
        ColumnType::UserDefinedType { frozen, definition } => {
            let name = format!("{}.{}", definition.keyspace, definition.name);
            if *frozen {
                format!("frozen<{name}>")
            } else {
                name
            }
        }
        ColumnType::Tuple(elements) => {
            let inner: Vec<String> = elements.iter().map(cql_type_name).collect();
            format!("tuple<{}>", inner.join(", "))
        }
        _ => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_native_type_name_reads_back() {
        for (name, native) in NATIVE_TYPES {
            assert_eq!(native_type(name), Some(native.clone()));
            assert_eq!(native_type_name(&native), name);
        }
        assert_eq!(native_type("varchar"), Some(NativeType::Text));
        assert_eq!(native_type("integer"), None);
    }
}
