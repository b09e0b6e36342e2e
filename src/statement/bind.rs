//! Binding: Python parameters converted to CQL wire format for a prepared statement's markers.
//!
//! Binding happens on the event-loop thread, with the GIL, before anything is spawned: every
//! parameter is converted with the CQL type the server reported for its bind marker, and the
//! first bad value raises a `ParameterTypeError`/`ParameterValueError` that names it. Nothing is
//! sent unless every parameter converted.

use std::collections::HashSet;
use std::ops::Range;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use scylla::frame::response::result::ColumnSpec;
use scylla::serialize::row::{RowSerializationContext, SerializeRow};
use scylla::serialize::writers::RowWriter;
use scylla::serialize::SerializationError;
use scylla::statement::bound::BoundStatement as ScyllaBound;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;

use crate::codec::{bind_error, is_unset_value, serialize};
use crate::errors::BindError;
use crate::interop::names::{describe, python_type_name};

/// Parameter values already in CQL wire format, ready to be copied into the request frame.
#[derive(Clone)]
pub(crate) struct SerializedCells {
    data: Vec<u8>,
    cells: Vec<Cell>,
}

/// One bound parameter.
#[derive(Clone)]
enum Cell {
    Null,
    /// `UNSET_VALUE`: the server leaves the column as it is.
    Unset,
    Value(Range<usize>),
}

impl SerializeRow for SerializedCells {
    fn serialize(
        &self,
        ctx: &RowSerializationContext<'_>,
        writer: &mut RowWriter,
    ) -> Result<(), SerializationError> {
        if ctx.columns().len() != self.cells.len() {
            return Err(SerializationError::new(BindError::arity(format!(
                "the statement has {} bind markers but {} values were bound",
                ctx.columns().len(),
                self.cells.len()
            ))));
        }
        for cell in &self.cells {
            match cell {
                Cell::Null => {
                    writer.make_cell_writer().set_null();
                }
                Cell::Unset => {
                    writer.make_cell_writer().set_unset();
                }
                Cell::Value(range) => {
                    writer
                        .make_cell_writer()
                        .set_value(&self.data[range.clone()])
                        .map_err(SerializationError::new)?;
                }
            }
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// The parameters as the caller gave them: by position or by name.
enum Parameters<'a, 'py> {
    None,
    Positional(Vec<Bound<'py, PyAny>>),
    Named(&'a Bound<'py, PyAny>),
}

/// Whether `parameters` holds any values (`None`, `[]`, `()` and `{}` do not).
pub(crate) fn has_parameters(parameters: Option<&Bound<'_, PyAny>>) -> bool {
    match parameters {
        None => false,
        Some(p) if p.is_none() => false,
        Some(p) => p.len().map(|n| n > 0).unwrap_or(true),
    }
}

fn classify<'a, 'py>(
    parameters: Option<&'a Bound<'py, PyAny>>,
) -> Result<Parameters<'a, 'py>, BindError> {
    let Some(p) = parameters.filter(|p| !p.is_none()) else {
        return Ok(Parameters::None);
    };
    if let Ok(list) = p.cast::<PyList>() {
        return Ok(Parameters::Positional(list.iter().collect()));
    }
    if let Ok(tuple) = p.cast::<PyTuple>() {
        return Ok(Parameters::Positional(tuple.iter().collect()));
    }
    if p.is_instance_of::<PyDict>()
        || (p.hasattr("keys").unwrap_or(false) && p.hasattr("__getitem__").unwrap_or(false))
    {
        return Ok(Parameters::Named(p));
    }
    let wrong_type = |hint: &str| {
        BindError::parameters_type(
            format!(
                "parameters must be a list or tuple (for ? markers) or a dict (for :name \
                 markers), got {}{hint}",
                describe(p)
            ),
            python_type_name(p),
        )
    };
    if p.is_instance_of::<PyString>() || p.is_instance_of::<PyBytes>() {
        return Err(wrong_type("; for a single value write [value]"));
    }
    // Any other iterable (a generator, a numpy array) is taken positionally.
    p.try_iter()
        .and_then(|it| it.collect::<PyResult<Vec<_>>>())
        .map(Parameters::Positional)
        .map_err(|_| wrong_type(""))
}

/// Converts `parameters` for `prepared` and returns the statement ready to execute.
/// Takes the statement by value: callers hold a per-call copy already, so none is made here.
pub(crate) fn bind(
    prepared: ScyllaPrepared,
    parameters: Option<&Bound<'_, PyAny>>,
) -> Result<ScyllaBound, BindError> {
    let cells = serialize_parameters(&prepared, parameters)?;
    bind_cells(prepared, &cells)
}

/// The Rust driver's bound statement for values already converted.
pub(crate) fn bind_cells(
    prepared: ScyllaPrepared,
    cells: &SerializedCells,
) -> Result<ScyllaBound, BindError> {
    prepared
        .bind(cells)
        .map_err(|e| match e.downcast_ref::<BindError>() {
            Some(bind) => bind.clone(),
            None => BindError::arity(e.to_string()),
        })
}

/// Converts `parameters` to wire format for the bind markers of `prepared`.
pub(crate) fn serialize_parameters(
    prepared: &ScyllaPrepared,
    parameters: Option<&Bound<'_, PyAny>>,
) -> Result<SerializedCells, BindError> {
    serialize_values(prepared.get_variable_col_specs().as_slice(), parameters)
}

/// Converts `parameters` to wire format for the columns `specs` (bind markers, or the columns
/// of a partition key).
pub(crate) fn serialize_values(
    specs: &[ColumnSpec<'_>],
    parameters: Option<&Bound<'_, PyAny>>,
) -> Result<SerializedCells, BindError> {
    let marker_names = || {
        specs
            .iter()
            .map(|s| s.name().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let values: Vec<(String, Bound<'_, PyAny>)> = match classify(parameters)? {
        Parameters::None => Vec::new(),
        Parameters::Positional(values) => values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("#{i}"), v))
            .collect(),
        Parameters::Named(mapping) => {
            let mut values = Vec::with_capacity(specs.len());
            for spec in specs.iter() {
                match mapping.get_item(spec.name()) {
                    Ok(v) => values.push((format!("'{}'", spec.name()), v)),
                    Err(_) => {
                        return Err(BindError::arity(format!(
                            "missing parameter '{}'; the statement's bind markers are: {}",
                            spec.name(),
                            marker_names()
                        )))
                    }
                }
            }
            let known: HashSet<&str> = specs.iter().map(|s| s.name()).collect();
            let keys = mapping
                .call_method0("keys")
                .and_then(|k| k.try_iter()?.collect::<PyResult<Vec<_>>>())
                .map_err(|e| BindError::arity(format!("cannot read the parameter names: {e}")))?;
            let unknown: Vec<String> = keys
                .iter()
                .filter(|k| {
                    k.cast::<PyString>()
                        .ok()
                        .and_then(|s| s.to_str().ok().map(|s| !known.contains(s)))
                        .unwrap_or(true)
                })
                .map(|k| k.repr().map(|r| r.to_string()).unwrap_or_default())
                .collect();
            if !unknown.is_empty() {
                return Err(BindError::arity(format!(
                    "unknown parameter(s) {}; the statement's bind markers are: {}",
                    unknown.join(", "),
                    marker_names()
                )));
            }
            values
        }
    };
    if values.len() != specs.len() {
        return Err(BindError::arity(format!(
            "the statement has {} bind marker(s) ({}) but {} parameter(s) were given",
            specs.len(),
            marker_names(),
            values.len()
        )));
    }

    let mut cells = SerializedCells {
        data: Vec::with_capacity(16 * values.len()),
        cells: Vec::with_capacity(values.len()),
    };
    for ((label, value), spec) in values.iter().zip(specs.iter()) {
        if value.is_none() {
            cells.cells.push(Cell::Null);
            continue;
        }
        if is_unset_value(value) {
            cells.cells.push(Cell::Unset);
            continue;
        }
        let start = cells.data.len();
        serialize(value, spec.typ(), &mut cells.data)
            .map_err(|e| bind_error(e, label, spec.name(), spec.typ(), value))?;
        cells.cells.push(Cell::Value(start..cells.data.len()));
    }
    Ok(cells)
}

impl SerializedCells {
    /// Whether any value is `None` or `UNSET_VALUE`.
    pub(crate) fn has_missing(&self) -> bool {
        self.cells.iter().any(|c| !matches!(c, Cell::Value(_)))
    }

    /// No values, for a batch statement without bind markers.
    pub(crate) fn empty() -> Self {
        SerializedCells {
            data: Vec::new(),
            cells: Vec::new(),
        }
    }
}
