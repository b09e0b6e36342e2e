//! list, set and map <-> `list`, `set`, `dict` (nested to any depth).
//!
//! In: a list column takes a `list` or `tuple`; a set column a `set`, `frozenset`, `list` or
//! `tuple`; a map column a `dict` (or any mapping with `items()`). CQL collections cannot hold
//! nulls, so a `None` element is refused with its position.
//! Out: `list`, `set` and `dict`; inside a set or as a map key, where Python needs hashable
//! values, nested lists come back as tuples and sets as frozensets.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFrozenSet, PyList, PySet, PyTuple};
use scylla::frame::response::result::ColumnType;

use super::{cql_type_name, deserialize, malformed, serialize, ConvError, ConvResult, Decoding};

fn write_len(len: usize, out: &mut Vec<u8>) -> ConvResult<()> {
    let len = i32::try_from(len)
        .map_err(|_| ConvError::value("collection has more elements than CQL allows"))?;
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
}

fn write_element(
    element: &Bound<'_, PyAny>,
    typ: &ColumnType<'_>,
    out: &mut Vec<u8>,
    location: impl std::fmt::Display,
) -> ConvResult<()> {
    if element.is_none() {
        return Err(
            ConvError::value("CQL collections cannot contain null (None)").inside(location),
        );
    }
    let at = out.len();
    out.extend_from_slice(&[0u8; 4]);
    serialize(element, typ, out).map_err(|e| e.inside(&location))?;
    let len = i32::try_from(out.len() - at - 4)
        .map_err(|_| ConvError::value("element larger than 2 GiB").inside(&location))?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

fn write_sequence<'py>(
    items: impl ExactSizeIterator<Item = Bound<'py, PyAny>>,
    typ: &ColumnType<'_>,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    write_len(items.len(), out)?;
    for (i, item) in items.enumerate() {
        write_element(&item, typ, out, format_args!("element {i}"))?;
    }
    Ok(())
}

pub(crate) fn serialize_list(
    value: &Bound<'_, PyAny>,
    element: &ColumnType<'_>,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    if let Ok(list) = value.cast::<PyList>() {
        return write_sequence(list.iter(), element, out);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return write_sequence(tuple.iter(), element, out);
    }
    Err(ConvError::type_mismatch(
        &format!("list or tuple for CQL list<{}>", cql_type_name(element)),
        value,
    ))
}

pub(crate) fn serialize_set(
    value: &Bound<'_, PyAny>,
    element: &ColumnType<'_>,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    if let Ok(set) = value.cast::<PySet>() {
        return write_sequence(set.iter().collect::<Vec<_>>().into_iter(), element, out);
    }
    if let Ok(set) = value.cast::<PyFrozenSet>() {
        return write_sequence(set.iter().collect::<Vec<_>>().into_iter(), element, out);
    }
    if let Ok(list) = value.cast::<PyList>() {
        return write_sequence(list.iter(), element, out);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return write_sequence(tuple.iter(), element, out);
    }
    Err(ConvError::type_mismatch(
        &format!(
            "set, frozenset, list or tuple for CQL set<{}>",
            cql_type_name(element)
        ),
        value,
    ))
}

pub(crate) fn serialize_map(
    value: &Bound<'_, PyAny>,
    key_type: &ColumnType<'_>,
    value_type: &ColumnType<'_>,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    let expected = || {
        format!(
            "dict for CQL map<{}, {}>",
            cql_type_name(key_type),
            cql_type_name(value_type)
        )
    };
    let pairs: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = if let Ok(dict) = value.cast::<PyDict>()
    {
        dict.iter().collect()
    } else if value.hasattr("items").unwrap_or(false) && !value.is_instance_of::<PyList>() {
        value
            .call_method0("items")
            .and_then(|items| {
                items
                    .try_iter()?
                    .map(|pair| pair.and_then(|p| p.extract()))
                    .collect::<PyResult<Vec<_>>>()
            })
            .map_err(|_| ConvError::type_mismatch(&expected(), value))?
    } else {
        return Err(ConvError::type_mismatch(&expected(), value));
    };
    write_len(pairs.len(), out)?;
    for (k, v) in &pairs {
        let key_repr = k.repr().map(|r| r.to_string()).unwrap_or_default();
        write_element(k, key_type, out, format_args!("key {key_repr}"))?;
        write_element(v, value_type, out, format_args!("value for key {key_repr}"))?;
    }
    Ok(())
}

/// Splits `[int n]([int len][bytes])*` into the n elements; `None` for null elements.
fn elements<'b>(
    bytes: &'b [u8],
    per_entry: usize,
    cql_type: &str,
) -> PyResult<Vec<Option<&'b [u8]>>> {
    let mut rest = bytes;
    let mut take = |n: usize| -> PyResult<&'b [u8]> {
        if rest.len() < n {
            return Err(malformed(cql_type, "truncated collection"));
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let count = i32::from_be_bytes(
        take(4)?
            .try_into()
            .map_err(|_| malformed(cql_type, "bad count"))?,
    );
    let count =
        usize::try_from(count).map_err(|_| malformed(cql_type, "negative element count"))?;
    let mut out = Vec::with_capacity(count.saturating_mul(per_entry).min(bytes.len()));
    for _ in 0..count * per_entry {
        let len = i32::from_be_bytes(
            take(4)?
                .try_into()
                .map_err(|_| malformed(cql_type, "bad length"))?,
        );
        if len < 0 {
            out.push(None);
        } else {
            out.push(Some(take(len as usize)?));
        }
    }
    Ok(out)
}

fn element_value<'py>(
    py: Python<'py>,
    typ: &ColumnType<'_>,
    bytes: Option<&[u8]>,
    decoding: Decoding<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    match bytes {
        Some(b) => deserialize(py, typ, b, decoding),
        None => Ok(py.None().into_bound(py)),
    }
}

pub(crate) fn deserialize_list<'py>(
    py: Python<'py>,
    element: &ColumnType<'_>,
    bytes: &[u8],
    decoding: Decoding<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let items = elements(bytes, 1, "list")?
        .into_iter()
        .map(|b| element_value(py, element, b, decoding))
        .collect::<PyResult<Vec<_>>>()?;
    if decoding.hashable {
        Ok(PyTuple::new(py, items)?.into_any())
    } else {
        Ok(PyList::new(py, items)?.into_any())
    }
}

pub(crate) fn deserialize_set<'py>(
    py: Python<'py>,
    element: &ColumnType<'_>,
    bytes: &[u8],
    decoding: Decoding<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let items = elements(bytes, 1, "set")?
        .into_iter()
        .map(|b| element_value(py, element, b, decoding.hashable()))
        .collect::<PyResult<Vec<_>>>()?;
    if decoding.hashable {
        Ok(PyFrozenSet::new(py, &items)?.into_any())
    } else {
        Ok(PySet::new(py, &items)?.into_any())
    }
}

pub(crate) fn deserialize_map<'py>(
    py: Python<'py>,
    key_type: &ColumnType<'_>,
    value_type: &ColumnType<'_>,
    bytes: &[u8],
    decoding: Decoding<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let flat = elements(bytes, 2, "map")?;
    if decoding.hashable {
        // A map inside a set or used as a map key: a tuple of (key, value) pairs keeps it hashable.
        let pairs = flat
            .chunks(2)
            .map(|kv| {
                let k = element_value(py, key_type, kv[0], decoding)?;
                let v = element_value(py, value_type, kv[1], decoding)?;
                PyTuple::new(py, [k, v])
            })
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(PyTuple::new(py, pairs)?.into_any());
    }
    let dict = PyDict::new(py);
    for kv in flat.chunks(2) {
        let k = element_value(py, key_type, kv[0], decoding.hashable())?;
        let v = element_value(py, value_type, kv[1], decoding)?;
        dict.set_item(k, v)?;
    }
    Ok(dict.into_any())
}
