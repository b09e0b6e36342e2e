//! `Row`: one row of a result, a tuple of values plus the result's shared [`Columns`], so a row
//! costs one small object and no per-row class (cassandra-driver builds a namedtuple class per
//! query). It supports `row.col`, `row[0]`, `row["col"]`, `row._asdict()` and compares equal
//! to tuples. [`RowBuilder`] makes the rows of a result, of another kind when the user asks.

use pyo3::exceptions::{PyAttributeError, PyIndexError, PyKeyError};
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::types::{PyDict, PyList, PySlice, PyString, PyTuple};
use scylla::deserialize::row::ColumnIterator;
use scylla::frame::response::result::ColumnSpec;

use super::columns::Columns;
use crate::codec::{deserialize, Decoding};
use crate::errors::DriverError;
use crate::interop::imports;

/// One row of a result: a tuple with named columns.
#[pyclass(module = "aiocql", frozen)]
pub(crate) struct Row {
    values: Py<PyTuple>,
    columns: Py<Columns>,
}

#[pymethods]
impl Row {
    fn __len__(&self, py: Python<'_>) -> usize {
        self.values.bind(py).len()
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let values = self.values.bind(py);
        if key.is_instance_of::<PyString>() {
            return match self.columns.get().position(py, key)? {
                Some(i) => values.get_item(i),
                None => Err(PyKeyError::new_err(key.clone().unbind())),
            };
        }
        if key.is_instance_of::<PySlice>() {
            return values.as_any().get_item(key);
        }
        let index: isize = key.extract()?;
        let len = values.len() as isize;
        let resolved = if index < 0 { index + len } else { index };
        if !(0..len).contains(&resolved) {
            return Err(PyIndexError::new_err("row index out of range"));
        }
        values.get_item(resolved as usize)
    }

    fn __getattr__<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let columns = self.columns.get();
        if let Some(i) = columns.position(py, name.as_any())? {
            return self.values.bind(py).get_item(i);
        }
        // cassandra-driver's `row.applied`, for the `[applied]` column of a conditional write.
        if name.to_cow()? == "applied" {
            if let Some(i) = columns.position(py, pyo3::intern!(py, "[applied]").as_any())? {
                return self.values.bind(py).get_item(i);
            }
        }
        Err(PyAttributeError::new_err(format!(
            "row has no column {:?}; columns are {}",
            name.to_cow()?,
            columns.names(py).repr()?
        )))
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.values.bind(py).as_any().try_iter()?.into_any())
    }

    fn __contains__(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.values.bind(py).contains(value)
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let mine = self.values.bind(py);
        let theirs = match other.cast::<Row>() {
            Ok(row) => row.get().values.bind(py).clone().into_any(),
            Err(_) => other.clone(),
        };
        if !theirs.is_instance_of::<PyTuple>() {
            return Ok(py.NotImplemented());
        }
        Ok(mine.as_any().rich_compare(theirs, op)?.unbind())
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        self.values.bind(py).hash()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let names = self.columns.get().names(py);
        let values = self.values.bind(py);
        let mut parts = Vec::with_capacity(values.len());
        for (name, value) in names.iter().zip(values.iter()) {
            parts.push(format!("{}={}", name.str()?, value.repr()?));
        }
        Ok(format!("Row({})", parts.join(", ")))
    }

    /// The column names, in order (as on a namedtuple).
    #[getter]
    fn _fields<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.columns.get().names(py).clone()
    }

    /// A new dict of column name -> value.
    fn _asdict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self
            .columns
            .get()
            .names(py)
            .iter()
            .zip(self.values.bind(py).iter())
        {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    /// The column names (mapping protocol, as asyncpg's Record).
    fn keys<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.columns.get().names(py).clone()
    }

    /// The values, in column order.
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.values.bind(py).clone()
    }

    /// `(name, value)` pairs, in column order.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let pairs = self
            .columns
            .get()
            .names(py)
            .iter()
            .zip(self.values.bind(py).iter())
            .map(|(n, v)| PyTuple::new(py, [n, v]))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, pairs)
    }

    /// The value of column `name`, or `default` when the row has no such column.
    #[pyo3(signature = (name, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.columns.get().position(py, name)? {
            Some(i) => self.values.bind(py).get_item(i),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }
}

/// What kind of object each row is.
enum RowFactory<'py> {
    Named,
    Tuple,
    Dict,
    Call(Bound<'py, PyAny>),
}

/// What cassandra-driver's row factory `f` (of `aiocql.query`) makes, if it is one: these take
/// every row of a result at once, so they are not called as they are.
fn driver_factory<'py>(f: &Bound<'py, PyAny>) -> Option<RowFactory<'py>> {
    let py = f.py();
    let is = |lookup: fn(Python<'_>) -> PyResult<Bound<'_, PyAny>>| {
        lookup(py).is_ok_and(|known| f.is(&known))
    };
    if is(imports::dict_factory) {
        Some(RowFactory::Dict)
    } else if is(imports::tuple_factory) {
        Some(RowFactory::Tuple)
    } else if is(imports::named_tuple_factory) {
        Some(RowFactory::Named)
    } else if is(imports::ordered_dict_factory) {
        imports::ordered_dict_class(py).ok().map(RowFactory::Call)
    } else {
        None
    }
}

/// How the rows of one result are made: what kind of object each row is, and the classes
/// registered for user-defined types, for the UDT values in its columns.
pub(crate) struct RowBuilder<'py> {
    py: Python<'py>,
    factory: RowFactory<'py>,
    user_types: Option<Bound<'py, PyDict>>,
}

impl<'py> RowBuilder<'py> {
    /// Rows made by `factory` (None: `Row`; `tuple`, `dict`, or any callable taking the
    /// columns as keyword arguments), with UDT values of the types in `user_types`.
    pub(crate) fn new(
        py: Python<'py>,
        factory: Option<&Bound<'py, PyAny>>,
        user_types: Option<Bound<'py, PyDict>>,
    ) -> Self {
        let factory = match factory {
            None => RowFactory::Named,
            Some(f) if f.is(py.get_type::<PyTuple>()) => RowFactory::Tuple,
            Some(f) if f.is(py.get_type::<PyDict>()) => RowFactory::Dict,
            Some(f) if f.is(py.get_type::<Row>()) => RowFactory::Named,
            Some(f) => driver_factory(f).unwrap_or_else(|| RowFactory::Call(f.clone())),
        };
        RowBuilder {
            py,
            factory,
            user_types,
        }
    }

    /// One raw row's columns as Python values.
    pub(crate) fn values(&self, raw: ColumnIterator<'_, '_>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let py = self.py;
        let decoding = Decoding::new(self.user_types.as_ref());
        let mut values: Vec<Bound<'py, PyAny>> = Vec::with_capacity(raw.columns_remaining());
        for column in raw {
            let column =
                column.map_err(|e| DriverError::Protocol(format!("malformed column: {e}")))?;
            let value = match column.slice {
                None => py.None().into_bound(py),
                Some(slice) => deserialize(py, column.spec.typ(), slice.as_slice(), decoding)
                    .map_err(|e| {
                        DriverError::Protocol(format!(
                            "column '{}': {}",
                            column.spec.name(),
                            e.value(py)
                        ))
                    })?,
            };
            values.push(value);
        }
        Ok(values)
    }

    /// The row object of `values`, for a result with `columns` (whose specs are `specs`).
    pub(crate) fn row(
        &self,
        columns: &Py<Columns>,
        specs: &[ColumnSpec<'_>],
        values: Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match &self.factory {
            RowFactory::Named => {
                let row = Row {
                    values: PyTuple::new(py, values)?.unbind(),
                    columns: columns.clone_ref(py),
                };
                Bound::new(py, row)?.into_any()
            }
            RowFactory::Tuple => PyTuple::new(py, values)?.into_any(),
            RowFactory::Dict | RowFactory::Call(_) => {
                let fields = PyDict::new(py);
                for (spec, value) in specs.iter().zip(values) {
                    fields.set_item(spec.name(), value)?;
                }
                match &self.factory {
                    RowFactory::Call(f) => f.call((), Some(&fields))?,
                    _ => fields.into_any(),
                }
            }
        })
    }
}

/// A row the driver could not split into columns.
pub(crate) fn malformed_row(err: impl std::fmt::Display) -> PyErr {
    DriverError::Protocol(format!("malformed row: {err}")).into()
}
