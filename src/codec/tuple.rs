//! tuple<...> <-> Python `tuple`.
//!
//! In: a `tuple` or `list` with exactly one value per element type; `None` is a null element
//! (tuples, unlike collections, may hold nulls). Out: a `tuple`; elements missing at the end
//! of what the server sent (a tuple type that was extended later) come back as `None`.
//! Inside sets and map keys, nested lists and sets come back as tuples and frozensets.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use scylla::frame::response::result::ColumnType;

use super::{cql_type_name, deserialize_cells, serialize_cell, ConvError, ConvResult, Decoding};

pub(crate) fn serialize_tuple(
    value: &Bound<'_, PyAny>,
    elements: &[ColumnType<'_>],
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(tuple) = value.cast::<PyTuple>() {
        tuple.iter().collect()
    } else if let Ok(list) = value.cast::<PyList>() {
        list.iter().collect()
    } else {
        let names: Vec<String> = elements.iter().map(cql_type_name).collect();
        return Err(ConvError::type_mismatch(
            &format!("tuple for CQL tuple<{}>", names.join(", ")),
            value,
        ));
    };
    if items.len() != elements.len() {
        return Err(ConvError::value(format!(
            "expected a tuple of {} elements, got {}",
            elements.len(),
            items.len()
        )));
    }
    for (i, (item, typ)) in items.iter().zip(elements).enumerate() {
        serialize_cell(item, typ, out).map_err(|e| e.inside(format_args!("element {i}")))?;
    }
    Ok(())
}

pub(crate) fn deserialize_tuple<'py>(
    py: Python<'py>,
    elements: &[ColumnType<'_>],
    bytes: &[u8],
    decoding: Decoding<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let values = deserialize_cells(py, elements.iter(), bytes, decoding, "tuple")?;
    Ok(PyTuple::new(py, values)?.into_any())
}
